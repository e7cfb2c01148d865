//! The reports of a few fixed (scenario, seed) runs, snapshotted: any change of behaviour (a
//! different fault timeline, another leader elected, a new digest) shows up as a snapshot diff
//! to review with `cargo insta review`. Wall-clock time is zeroed; nothing else is.

use std::path::PathBuf;

use korasim_reports::run_json;
use korasim_sim::report::{run_record, ReportContext};
use korasim_sim::scenario_file::load;
use korasim_sim::scenario_run::run_scenario;

fn report_json(scenario: &str, seed: u64) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{scenario}.toml"));
    let spec = load(&file).unwrap_or_else(|error| panic!("{error}"));
    let run = run_scenario(&spec, seed);
    let context = ReportContext {
        scenario: &spec.name,
        description: &spec.description,
        replay: format!("cargo run --release -- run {scenario} --seed {seed}"),
    };
    let mut record = run_record(&run, &context);
    record.wall_seconds = 0.0;
    run_json(&record)
}

#[test]
fn controller_failover_seed_1() {
    insta::assert_snapshot!(report_json("controller-failover", 1));
}

#[test]
fn controller_zone_loss_seed_2() {
    insta::assert_snapshot!(report_json("controller-zone-loss", 2));
}

#[test]
fn random_faults_seed_3() {
    insta::assert_snapshot!(report_json("random-faults", 3));
}
