//! The world's network faults do what they say: a slowed link delays messages by the extra
//! amount (so requests over it time out), and healing restores it.

use std::time::Duration;

use korasim_core::metadata::{ControllerRequest, ControllerResponse};
use korasim_sim::run::run_seeded;
use korasim_sim::scenarios::probes::wait_for_active_controller;
use korasim_sim::world::WorldParams;

#[test]
fn a_slowed_link_delays_requests_until_healed() {
    let report = run_seeded(5, WorldParams::default(), |world| async move {
        wait_for_active_controller(&world, Duration::from_secs(20)).await?;
        let fetch = ControllerRequest::FetchMetadata { after_offset: None };
        let started = world.elapsed();
        match world.admin_request(fetch.clone()).await {
            Some(ControllerResponse::Metadata(_)) => {}
            other => return Err(format!("a healthy fetch failed: {other:?}")),
        }
        let healthy = world.elapsed() - started;
        if healthy > Duration::from_millis(100) {
            return Err(format!("a healthy fetch took {healthy:?}"));
        }
        // 2 s each way is beyond the client's 1.5 s request timeout.
        for controller in ["controller-1", "controller-2", "controller-3"] {
            world.slow_link("client-1", controller, Duration::from_secs(2));
        }
        let started = world.elapsed();
        if let Some(answer) = world.admin_request(fetch.clone()).await {
            return Err(format!("a fetch over slowed links answered in time: {answer:?}"));
        }
        let slowed = world.elapsed() - started;
        if slowed < Duration::from_millis(1500) {
            return Err(format!(
                "requests over slowed links gave up after only {slowed:?}"
            ));
        }
        world.heal_network();
        match world.admin_request(fetch).await {
            Some(ControllerResponse::Metadata(_)) => Ok(()),
            other => Err(format!("after healing, the fetch failed: {other:?}")),
        }
    });
    assert!(report.passed(), "{}", report.failure_summary());
}

/// A node a pause still holds starts frozen when it is restarted after a crash: the new
/// process does nothing (it does not even recover its log) until the pause heals.
#[test]
fn a_node_restarted_under_a_pause_starts_frozen() {
    let report = run_seeded(7, WorldParams::default(), |world| async move {
        wait_for_active_controller(&world, Duration::from_secs(20)).await?;
        let recoveries = |world: &korasim_sim::world::World| {
            world
                .trace()
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entries()
                .iter()
                .filter(|entry| {
                    entry.node == "controller-3"
                        && matches!(
                            entry.kind,
                            korasim_sim::trace::TraceKind::Node(
                                korasim_core::observe::Event::ControllerRecovered { .. }
                            )
                        )
                })
                .count()
        };
        let before = recoveries(&world);
        world.kill("controller-3");
        world.restart_frozen_if_paused("controller-3", &["controller-3".to_string()]);
        world.sleep(Duration::from_secs(5)).await;
        if recoveries(&world) != before {
            return Err("the restarted node ran although a pause still held it".to_string());
        }
        world.resume("controller-3");
        world.sleep(Duration::from_secs(2)).await;
        if recoveries(&world) != before + 1 {
            return Err("the node did not start once its pause healed".to_string());
        }
        Ok(())
    });
    assert!(report.passed(), "{}", report.failure_summary());
}
