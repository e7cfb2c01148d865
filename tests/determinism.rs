//! One seed, one run: the same seed must give a bit-identical trace, and different seeds must
//! explore different runs. Without this, a failing seed could not be replayed.

use korasim_sim::run::{run_seeded, RunReport};
use korasim_sim::scenarios::catalogue;

fn run(scenario_name: &str, seed: u64) -> RunReport {
    let scenario = catalogue()
        .into_iter()
        .find(|scenario| scenario.name == scenario_name)
        .expect("scenario is registered");
    run_seeded(seed, (scenario.params)(), scenario.body)
}

#[test]
fn same_seed_gives_the_same_trace_digest() {
    for scenario in catalogue() {
        let first = run(scenario.name, 42);
        let second = run(scenario.name, 42);
        assert_eq!(
            first.digest, second.digest,
            "{}: seed 42 gave two different traces",
            scenario.name
        );
        assert_eq!(
            first.trace, second.trace,
            "{}: traces differ entry by entry",
            scenario.name
        );
        assert!(
            first.trace.len() > 50,
            "{}: the trace is suspiciously short",
            scenario.name
        );
    }
}

#[test]
fn different_seeds_give_different_traces() {
    for scenario in catalogue() {
        let one = run(scenario.name, 1);
        let other = run(scenario.name, 2);
        assert_ne!(
            one.digest, other.digest,
            "{}: seeds 1 and 2 gave the same trace; the seed is not reaching the run",
            scenario.name
        );
    }
}
