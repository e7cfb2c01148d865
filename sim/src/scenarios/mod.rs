//! Scenarios: a world, faults and expectations, as code driving a [`World`]. Each is
//! registered by name so that the suite and the `korasim` command run the same thing.

pub mod probes;
pub mod quorum;

use std::future::Future;
use std::pin::Pin;

use crate::world::{World, WorldParams};

/// A scenario's body: drives the world, returns `Err` with a sentence on a missed expectation.
pub type ScenarioFuture = Pin<Box<dyn Future<Output = Result<(), String>>>>;

/// A named scenario.
pub struct Scenario {
    pub name: &'static str,
    pub description: &'static str,
    pub params: fn() -> WorldParams,
    pub body: fn(World) -> ScenarioFuture,
}

/// Every registered scenario.
pub fn catalogue() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "steady-quorum",
            description: "Ten quiet minutes with six brokers heartbeating: nothing fenced, no controller change.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::steady_state_has_no_false_alarms(world)),
        },
        Scenario {
            name: "controller-failover",
            description: "The active controller crashes; another takes over and no committed metadata is lost.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::active_controller_crash_fails_over_without_losing_metadata(world)),
        },
        Scenario {
            name: "controller-zone-loss",
            description: "The zone of the active controller is lost; the other two zones carry on and fence its brokers.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::zone_of_active_controller_lost_and_the_rest_carry_on(world)),
        },
        Scenario {
            name: "silent-broker-fenced",
            description: "A broker crashes or is cut off; it is fenced after the 9 s session timeout and its leaderships move.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::silent_broker_is_fenced_within_the_session_timeout(world)),
        },
        Scenario {
            name: "controllers-restart-from-disk",
            description: "Every controller crashes at once and restarts; the metadata comes back from their disks.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::every_controller_restarts_from_disk(world)),
        },
        Scenario {
            name: "isolated-controller-steps-down",
            description: "The active controller is cut off the network; it stops acting and another takes over.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::isolated_active_controller_steps_down(world)),
        },
        Scenario {
            name: "controller-zone-isolated",
            description: "The zone of the active controller is cut off the network; its brokers are fenced, then rejoin.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::isolated_zone_is_fenced_and_rejoins(world)),
        },
        Scenario {
            name: "one-way-partition",
            description: "Controller replies to one broker are lost but its heartbeats arrive; it must not be fenced.",
            params: WorldParams::default,
            body: |world| Box::pin(quorum::one_way_partition_does_not_fence_a_heartbeating_broker(world)),
        },
    ]
}

/// The scenario called `name`.
pub fn find(name: &str) -> Option<Scenario> {
    catalogue().into_iter().find(|scenario| scenario.name == name)
}
