//! The metadata quorum under faults: failover of the active controller, loss of its zone,
//! fencing of a silent broker, a full restart from disk, and an isolated leader stepping
//! down. Each scenario returns `Err` with a sentence when one of its deadlines is missed.

use std::time::Duration;

use korasim_core::metadata::{FenceReason, MetadataRecord};
use korasim_core::observe::Event;

use super::probes::*;
use crate::trace::TraceKind;
use crate::world::World;

const STARTUP_DEADLINE: Duration = Duration::from_secs(20);
/// An election takes at most the maximum election timeout plus a few message rounds and a
/// lease renewal.
const FAILOVER_DEADLINE: Duration = Duration::from_secs(6);
/// Kafka fences after 9 s without a heartbeat; the margin covers the session check interval
/// and the commit.
const FENCE_DEADLINE: Duration = Duration::from_secs(11);

/// Starts the cluster and creates a topic with a partition led by every broker.
pub async fn start_cluster(world: &World) -> Result<(), String> {
    wait_for_active_controller(world, STARTUP_DEADLINE).await?;
    wait_for_all_brokers_unfenced(world, STARTUP_DEADLINE).await?;
    create_topic(world, "orders", 12, 3, STARTUP_DEADLINE).await
}

/// The zone `node` runs in, and the brokers of that zone.
fn zone_and_brokers_of(world: &World, node: &str) -> (String, Vec<u32>) {
    let zone = world
        .node_plan(node)
        .map(|plan| plan.zone.clone())
        .unwrap_or_default();
    let brokers = world
        .broker_zones()
        .into_iter()
        .filter(|(_, broker_zone)| *broker_zone == zone)
        .map(|(broker, _)| broker)
        .collect();
    (zone, brokers)
}

/// A broker chosen by the seed, with its node name.
fn random_broker(world: &World) -> (u32, String) {
    let brokers: Vec<u32> = world.broker_zones().into_keys().collect();
    let victim = brokers[world.random::<usize>() % brokers.len()];
    (victim, format!("broker-{victim}"))
}

pub fn broker_fenced_at(world: &World, broker: u32) -> Option<Duration> {
    entries(world).into_iter().find_map(|entry| match &entry.kind {
        TraceKind::Node(Event::MetadataApplied {
            records,
            rejected: None,
            ..
        }) if records.iter().any(|record| {
            matches!(record, MetadataRecord::FenceBroker { broker: fenced, reason: FenceReason::SessionExpired, .. } if *fenced == broker)
        }) =>
        {
            Some(entry.at)
        }
        _ => None,
    })
}

pub async fn active_controller_crash_fails_over_without_losing_metadata(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (old, old_term) = wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    world.kill(&old);
    let (new, new_term) = wait_for(
        &world,
        FAILOVER_DEADLINE,
        "another controller takes over",
        |world| active_controller(world).filter(|(node, term)| *node != old && *term > old_term),
    )
    .await?;
    world.note(format!("{new} took over in term {new_term}"));
    let image = fetch_image_within(&world, FAILOVER_DEADLINE).await?;
    let partitions = image.topics.get("orders").map(Vec::len);
    if partitions != Some(12) {
        return Err(format!(
            "after failover topic orders has {partitions:?} partitions, expected 12"
        ));
    }
    world.restart(&old);
    create_topic(&world, "payments", 6, 3, STARTUP_DEADLINE).await?;
    world.sleep(Duration::from_secs(5)).await;
    Ok(())
}

pub async fn zone_of_active_controller_lost_and_the_rest_carry_on(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (old, old_term) = wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    let (zone, lost_brokers) = zone_and_brokers_of(&world, &old);
    world.lose_zone(&zone);
    wait_for(
        &world,
        FAILOVER_DEADLINE,
        "a controller outside the lost zone takes over",
        |world| active_controller(world).filter(|(node, term)| *node != old && *term > old_term),
    )
    .await?;
    // The new controller gives every broker a fresh session, so fencing may take up to
    // one failover plus one session timeout.
    for broker in &lost_brokers {
        wait_for(
            &world,
            FAILOVER_DEADLINE + FENCE_DEADLINE,
            &format!("broker {broker} of the lost zone is fenced"),
            |world| broker_fenced_at(world, *broker),
        )
        .await?;
    }
    let image = fetch_image_within(&world, FAILOVER_DEADLINE).await?;
    for partition in image.partitions() {
        if let Some(leader) = partition.leader.filter(|leader| lost_brokers.contains(leader)) {
            return Err(format!(
                "{}-{} is still led by broker {leader} of the lost zone",
                partition.topic, partition.partition
            ));
        }
    }
    // Two zones left: a replication factor of 3 cannot be placed, 2 can.
    create_topic(&world, "two-zones", 3, 2, STARTUP_DEADLINE).await?;
    world.restore_zone(&zone, &crate::faults::Held::default());
    wait_for_all_brokers_unfenced(&world, STARTUP_DEADLINE).await
}

pub async fn silent_broker_is_fenced_within_the_session_timeout(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (victim, name) = random_broker(&world);
    // Half the seeds crash the broker, half cut it off the network: both stop its
    // heartbeats.
    let crashed = world.random::<bool>();
    let silenced_at = world.elapsed();
    if crashed {
        world.kill(&name);
    } else {
        world.isolate_node(&name);
    }
    let fenced_at = wait_for(&world, FENCE_DEADLINE, &format!("{name} is fenced"), |world| {
        broker_fenced_at(world, victim)
    })
    .await?;
    // Its last heartbeat may have been sent up to one heartbeat interval before it went
    // silent; fencing any earlier than a session timeout after that would be premature.
    let took = fenced_at.saturating_sub(silenced_at);
    let earliest =
        world.params().controller.broker_session_timeout - world.params().broker.heartbeat_interval;
    if took < earliest {
        return Err(format!("{name} was fenced {took:?} after going silent, before its session could have expired ({earliest:?})"));
    }
    let image = fetch_image_within(&world, FAILOVER_DEADLINE).await?;
    if let Some(partition) = image
        .partitions()
        .find(|partition| partition.leader == Some(victim))
    {
        return Err(format!(
            "{}-{} is still led by fenced broker {victim}",
            partition.topic, partition.partition
        ));
    }
    if crashed {
        world.restart(&name);
    } else {
        world.heal_network();
    }
    wait_for_all_brokers_unfenced(&world, STARTUP_DEADLINE).await
}

pub async fn every_controller_restarts_from_disk(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let before = fetch_image_within(&world, FAILOVER_DEADLINE).await?;
    let controllers = ["controller-1", "controller-2", "controller-3"];
    for controller in controllers {
        world.kill(controller);
    }
    world.sleep(Duration::from_secs(3)).await;
    for controller in controllers {
        world.restart(controller);
    }
    wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    let after = fetch_image_within(&world, STARTUP_DEADLINE).await?;
    if after.topics.get("orders").map(Vec::len) != Some(12) {
        return Err("topic orders did not come back from disk".to_string());
    }
    for (broker, state) in &before.brokers {
        let Some(now) = after.brokers.get(broker) else {
            return Err(format!(
                "broker {broker}'s registration did not come back from disk"
            ));
        };
        if now.epoch < state.epoch {
            return Err(format!(
                "broker {broker}'s epoch went back from {} to {}",
                state.epoch, now.epoch
            ));
        }
    }
    wait_for_all_brokers_unfenced(&world, STARTUP_DEADLINE).await
}

pub async fn isolated_active_controller_steps_down(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (old, old_term) = wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    world.isolate_node(&old);
    let isolated_at = world.elapsed();
    wait_for(
        &world,
        FAILOVER_DEADLINE,
        &format!("isolated {old} steps down"),
        |world| {
            entries(world).into_iter().find(|entry| {
                entry.at >= isolated_at
                    && entry.node == old
                    && matches!(entry.kind, TraceKind::Node(Event::ControllerDeactivated { .. }))
            })
        },
    )
    .await?;
    wait_for(
        &world,
        FAILOVER_DEADLINE,
        "another controller takes over",
        |world| active_controller(world).filter(|(node, term)| *node != old && *term > old_term),
    )
    .await?;
    // The stale leader must not act: nothing it applies may differ from the quorum's
    // log (the agreement checker judges that), and it must not claim to be active.
    world.sleep(Duration::from_secs(5)).await;
    let mut stale_claims = entries(&world).into_iter().filter(|entry| {
        entry.at > isolated_at + FAILOVER_DEADLINE
            && entry.node == old
            && matches!(entry.kind, TraceKind::Node(Event::ControllerActivated { .. }))
    });
    if let Some(claim) = stale_claims.next_back() {
        return Err(format!("isolated {old} claimed to be active again: {claim}"));
    }
    world.heal_network();
    create_topic(&world, "after-heal", 3, 3, STARTUP_DEADLINE).await
}

/// How long the steady-state scenario runs once the cluster is up.
pub const STEADY_STATE_DURATION: Duration = Duration::from_secs(600);

/// Ten quiet minutes: six brokers heartbeating and following the log, no faults. Nothing may
/// be fenced and the first active controller must stay active (no false alarms).
pub async fn steady_state_has_no_false_alarms(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (controller, term) = wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    let quiet_from = world.elapsed();
    world.sleep(STEADY_STATE_DURATION).await;
    for entry in entries(&world).into_iter().filter(|entry| entry.at >= quiet_from) {
        match &entry.kind {
            TraceKind::Node(Event::ControllerDeactivated { reason, .. }) => {
                return Err(format!(
                    "{} stepped down without a fault ({reason}): {entry}",
                    entry.node
                ));
            }
            TraceKind::Node(Event::MetadataApplied { records, .. })
                if records
                    .iter()
                    .any(|record| matches!(record, MetadataRecord::FenceBroker { .. })) =>
            {
                return Err(format!("a broker was fenced without a fault: {entry}"));
            }
            _ => {}
        }
    }
    match active_controller(&world) {
        Some((now, now_term)) if now == controller && now_term == term => Ok(()),
        other => Err(format!(
            "the active controller changed without a fault: {controller} in term {term}, now {other:?}"
        )),
    }
}

/// The zone of the active controller is cut off (its nodes keep running). The controller
/// there must stop acting, one outside takes over and fences the zone's brokers, which come
/// back once the network heals.
pub async fn isolated_zone_is_fenced_and_rejoins(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (old, old_term) = wait_for_active_controller(&world, STARTUP_DEADLINE).await?;
    let (zone, cut_off) = zone_and_brokers_of(&world, &old);
    world.isolate_zone(&zone);
    wait_for(
        &world,
        FAILOVER_DEADLINE,
        "a controller outside the isolated zone takes over",
        |world| active_controller(world).filter(|(node, term)| *node != old && *term > old_term),
    )
    .await?;
    for broker in &cut_off {
        let what = format!("broker {broker} of the isolated zone is fenced");
        wait_for(&world, FAILOVER_DEADLINE + FENCE_DEADLINE, &what, |world| {
            broker_fenced_at(world, *broker)
        })
        .await?;
    }
    world.heal_network();
    wait_for_all_brokers_unfenced(&world, STARTUP_DEADLINE).await
}

/// Replies from the controllers to one broker are lost, but its heartbeats still arrive. The
/// controller judges liveness by the heartbeats it receives, so the broker must stay
/// unfenced: fencing it would move leadership away from a healthy broker.
pub async fn one_way_partition_does_not_fence_a_heartbeating_broker(world: World) -> Result<(), String> {
    start_cluster(&world).await?;
    let (victim, name) = random_broker(&world);
    let cut_from = world.elapsed();
    world.partition(&["controller-1", "controller-2", "controller-3"], &[&name], true);
    world.sleep(Duration::from_secs(30)).await;
    if let Some(fenced_at) = broker_fenced_at(&world, victim).filter(|at| *at >= cut_from) {
        return Err(format!(
            "{name} was fenced at {fenced_at:?} although its heartbeats kept arriving"
        ));
    }
    world.heal_network();
    Ok(())
}
