//! Every scenario file of the catalogue, over many seeds, with every expectation and checker
//! the file asks for. This is the chaos gate as a test; `korasim gate` runs the same runs.

mod support;

use std::path::PathBuf;

use korasim_sim::scenario_file::load;
use korasim_sim::scenario_run::run_scenario;
use support::check_seeds;

fn scenario_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

fn check_scenario(name: &str, default_seeds: u64) {
    let spec = load(&scenario_file(name)).unwrap_or_else(|error| panic!("{error}"));
    check_seeds("catalogue", &name.replace("-", "_"), default_seeds, |seed| {
        run_scenario(&spec, seed)
    });
}

macro_rules! catalogue_tests {
    ($($test:ident => $file:literal, $seeds:literal;)*) => {
        $(
            #[test]
            fn $test() {
                check_scenario($file, $seeds);
            }
        )*

        #[test]
        fn every_scenario_file_has_a_test() {
            let listed = [$($file),*];
            let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
            for file in korasim_sim::scenario_file::catalogue_files(&directory).unwrap() {
                let name = file.file_stem().unwrap().to_str().unwrap().to_string();
                assert!(listed.contains(&name.as_str()), "scenarios/{name}.toml has no test in tests/catalogue.rs");
            }
        }
    };
}

catalogue_tests! {
    broker_controlled_shutdown => "broker-controlled-shutdown", 10;
    broker_crash_restart => "broker-crash-restart", 2;
    fast_double_failover => "fast-double-failover", 2;
    leader_isolated_after_isr_shrink => "leader-isolated-after-isr-shrink", 2;
    slow_follower => "slow-follower", 1;
    steady_state => "steady-state", 1;
    storage_stall => "storage-stall", 2;
    detector_broker_cut_off_from_clients => "detector-broker-cut-off-from-clients", 1;
    detector_slow_replica => "detector-slow-replica", 1;
    detector_steady_state => "detector-steady-state", 1;
    detector_zone_loss_during_slow_replica => "detector-zone-loss-during-slow-replica", 1;
    audit_follower_bit_flip => "audit-follower-bit-flip", 1;
    audit_leader_trims_prefix => "audit-leader-trims-prefix", 1;
    audit_follower_trims_prefix => "audit-follower-trims-prefix", 1;
    audit_corrupt_object => "audit-corrupt-object", 1;
    zone_loss_data => "zone-loss-data", 2;
    tier_broker_loses_disk => "tier-broker-loses-disk", 1;
    tier_leader_change_during_upload => "tier-leader-change-during-upload", 1;
    tier_s3_latency_spike => "tier-s3-latency-spike", 1;
    tier_s3_outage => "tier-s3-outage", 1;
    tier_s3_slowdown_storm => "tier-s3-slowdown-storm", 1;
    controller_failover => "controller-failover", 10;
    controller_zone_isolated => "controller-zone-isolated", 10;
    controller_zone_loss => "controller-zone-loss", 10;
    controllers_restart_from_disk => "controllers-restart-from-disk", 10;
    isolated_controller_steps_down => "isolated-controller-steps-down", 10;
    one_way_partition => "one-way-partition", 10;
    random_faults => "random-faults", 10;
    silent_broker_fenced => "silent-broker-fenced", 10;
    steady_quorum => "steady-quorum", 3;
    swarm => "swarm", 10;
    chaos_data => "chaos-data", 2;
    chaos_tier => "chaos-tier", 1;
    chaos_health => "chaos-health", 1;
    chaos_failover => "chaos-failover", 1;
    chaos_pauses => "chaos-pauses", 1;
    chaos_leaders => "chaos-leaders", 1;
}
