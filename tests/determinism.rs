//! One seed, one run: the same seed must give a bit-identical trace, and different seeds must
//! explore different runs. Without this, a failing seed could not be replayed.

use std::path::PathBuf;

use korasim_sim::run::RunReport;
use korasim_sim::scenario_file::{load_catalogue, ScenarioSpec};
use korasim_sim::scenario_run::run_scenario;

/// Data scenarios (producers and consumers) take 3 to 230 s a run in release and several times
/// that in this debug build, and each is run four times here; only these two represent them
/// (a steady load, and failovers with truncation). `korasim gate` checks every scenario in
/// release: it runs the first seed of each twice and fails on any digest that differs, and
/// `.ci/run` runs that gate over the whole catalogue.
const DATA_SCENARIOS_CHECKED_HERE: [&str; 2] = ["steady-state", "fast-double-failover"];

fn catalogue() -> Vec<ScenarioSpec> {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    load_catalogue(&directory)
        .unwrap_or_else(|error| panic!("{error}"))
        .into_iter()
        .filter(|spec| {
            spec.workload.data.is_none() || DATA_SCENARIOS_CHECKED_HERE.contains(&spec.name.as_str())
        })
        .collect()
}

fn run(spec: &ScenarioSpec, seed: u64) -> RunReport {
    run_scenario(spec, seed)
}

#[test]
fn same_seed_gives_the_same_trace_digest() {
    for spec in catalogue() {
        let first = run(&spec, 42);
        let second = run(&spec, 42);
        assert_eq!(
            first.digest, second.digest,
            "{}: seed 42 gave two different traces",
            spec.name
        );
        assert_eq!(
            first.trace, second.trace,
            "{}: traces differ entry by entry",
            spec.name
        );
        assert!(
            first.trace.len() > 50,
            "{}: the trace is suspiciously short",
            spec.name
        );
    }
}

#[test]
fn different_seeds_give_different_traces() {
    for spec in catalogue() {
        let one = run(&spec, 1);
        let other = run(&spec, 2);
        assert_ne!(
            one.digest, other.digest,
            "{}: seeds 1 and 2 gave the same trace; the seed is not reaching the run",
            spec.name
        );
    }
}

#[test]
fn watching_a_run_progress_does_not_change_it() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use korasim_sim::progress::ProgressHook;
    use korasim_sim::scenario_run::run_scenario_reporting;

    let spec = catalogue()
        .into_iter()
        .find(|spec| spec.name == "steady-state")
        .expect("steady-state is in the catalogue");
    let reports = Arc::new(AtomicU64::new(0));
    let counter = reports.clone();
    let hook = ProgressHook::new(Duration::from_secs(5), move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    let watched = run_scenario_reporting(&spec, 7, Some(hook));
    let unwatched = run(&spec, 7);
    assert_eq!(watched.digest, unwatched.digest);
    let expected_min = watched.simulated.as_secs() / 5 / 2;
    assert!(
        reports.load(Ordering::Relaxed) >= expected_min,
        "{} progress reports over {:?}",
        reports.load(Ordering::Relaxed),
        watched.simulated
    );
}
