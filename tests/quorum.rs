//! The metadata quorum under faults, over many seeds. Every run is also judged by all the
//! metadata checkers.

mod support;

use korasim_sim::run::run_seeded;
use korasim_sim::scenarios::quorum;
use korasim_sim::world::WorldParams;
use support::check_seeds;

#[test]
fn active_controller_crash_fails_over_without_losing_metadata() {
    check_seeds(
        "quorum",
        "active_controller_crash_fails_over_without_losing_metadata",
        10,
        |seed| {
            run_seeded(
                seed,
                WorldParams::default(),
                quorum::active_controller_crash_fails_over_without_losing_metadata,
            )
        },
    );
}

#[test]
fn zone_of_active_controller_lost_and_the_rest_carry_on() {
    check_seeds(
        "quorum",
        "zone_of_active_controller_lost_and_the_rest_carry_on",
        10,
        |seed| {
            run_seeded(
                seed,
                WorldParams::default(),
                quorum::zone_of_active_controller_lost_and_the_rest_carry_on,
            )
        },
    );
}

#[test]
fn silent_broker_is_fenced_within_the_session_timeout() {
    check_seeds(
        "quorum",
        "silent_broker_is_fenced_within_the_session_timeout",
        10,
        |seed| {
            run_seeded(
                seed,
                WorldParams::default(),
                quorum::silent_broker_is_fenced_within_the_session_timeout,
            )
        },
    );
}

#[test]
fn every_controller_restarts_from_disk() {
    check_seeds("quorum", "every_controller_restarts_from_disk", 10, |seed| {
        run_seeded(
            seed,
            WorldParams::default(),
            quorum::every_controller_restarts_from_disk,
        )
    });
}

#[test]
fn isolated_active_controller_steps_down() {
    check_seeds("quorum", "isolated_active_controller_steps_down", 10, |seed| {
        run_seeded(
            seed,
            WorldParams::default(),
            quorum::isolated_active_controller_steps_down,
        )
    });
}

#[test]
fn steady_state_has_no_false_alarms() {
    check_seeds("quorum", "steady_state_has_no_false_alarms", 5, |seed| {
        run_seeded(
            seed,
            WorldParams::default(),
            quorum::steady_state_has_no_false_alarms,
        )
    });
}

#[test]
fn isolated_zone_is_fenced_and_rejoins() {
    check_seeds("quorum", "isolated_zone_is_fenced_and_rejoins", 10, |seed| {
        run_seeded(
            seed,
            WorldParams::default(),
            quorum::isolated_zone_is_fenced_and_rejoins,
        )
    });
}

#[test]
fn one_way_partition_does_not_fence_a_heartbeating_broker() {
    check_seeds(
        "quorum",
        "one_way_partition_does_not_fence_a_heartbeating_broker",
        10,
        |seed| {
            run_seeded(
                seed,
                WorldParams::default(),
                quorum::one_way_partition_does_not_fence_a_heartbeating_broker,
            )
        },
    );
}
