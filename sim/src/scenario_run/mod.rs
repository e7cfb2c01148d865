//! Runs a scenario file: sets the cluster up, plays the fault timeline through the safety
//! phase, heals everything, waits out the liveness phase, then judges the expectations.

mod audit_expectations;
mod data_expectations;
mod data_workload;
mod detector_expectations;
mod disk_scrub;
mod expectations;
mod health_expectations;
mod inject;
mod partition_roles;
mod schedule;
mod storage_sampler;
mod successor;
mod tier_expectations;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use korasim_core::metadata::{ControllerRequest, ControllerResponse, PlacementError};
use korasim_core::tier::TIER_TOPIC;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use expectations::ReplayedState;
pub use inject::FiredFault;
pub use schedule::{build_schedule, ScheduledFault};

use crate::progress::ProgressHook;
use crate::run::{run_with, RunOptions, RunReport};
use crate::scenario_file::ScenarioSpec;
use crate::scenarios::probes::{
    active_controller, create_topic, fetch_image_within, wait_for_active_controller,
    wait_for_all_brokers_unfenced,
};
use crate::world::{World, WorldParams};

/// How long the final read of the metadata may take (several controller round trips, each of
/// which buggify may slow or drop).
const READ_BACK_DEADLINE: Duration = Duration::from_secs(20);

/// Mixed into the seed for choices made before the world exists (a swarm's topology), so they
/// do not repeat the world's own draws.
const SWARM_SEED_SALT: u64 = 0x5357_4152_4d00_0001;

/// The world parameters `spec` asks for with `seed` (a swarm lets the seed pick the topology
/// and the fault mix).
pub fn world_params_for(spec: &ScenarioSpec, seed: u64) -> (WorldParams, ScenarioSpec) {
    let mut params = WorldParams {
        topology: spec.topology.clone(),
        ..WorldParams::default()
    };
    // Brokers hold min ISR as one setting; the produced topic's is the one that matters.
    if let Some(topic) = spec
        .workload
        .data
        .as_ref()
        .and_then(|data| spec.topics.iter().find(|topic| topic.name == data.topic))
    {
        params.broker.replication.min_insync_replicas = topic.min_insync_replicas;
        params.controller.min_insync_replicas = topic.min_insync_replicas;
    }
    params.health = spec.detector.clone().map(|mut health| {
        health.min_insync_replicas = params.controller.min_insync_replicas;
        health
    });
    if let Some(tiered) = &spec.tiered_storage {
        tiered.apply_to(&mut params);
    }
    let mut spec = spec.clone();
    if let (Some(swarm), Some(random_faults)) = (&spec.swarm, spec.random_faults.as_mut()) {
        let mut random = ChaCha8Rng::seed_from_u64(seed ^ SWARM_SEED_SALT);
        params.topology.brokers_per_zone =
            random.gen_range(swarm.brokers_per_zone_min..=swarm.brokers_per_zone_max);
        let kinds_wanted = random.gen_range(1..=swarm.fault_kinds_max.min(random_faults.kinds.len()).max(1));
        let mut kinds = random_faults.kinds.clone();
        while kinds.len() > kinds_wanted {
            kinds.remove(random.gen_range(0..kinds.len()));
        }
        // A joining fault is drawn from the kinds this seed kept.
        random_faults.overlap_kinds.retain(|kind| kinds.contains(kind));
        if random_faults.overlap_kinds.is_empty() {
            random_faults.overlap_kinds = kinds.clone();
        }
        random_faults.kinds = kinds;
    }
    (params, spec)
}

/// Runs `spec` with `seed`.
pub fn run_scenario(spec: &ScenarioSpec, seed: u64) -> RunReport {
    run_scenario_reporting(spec, seed, None)
}

/// Runs `spec` with `seed`, telling `progress` how far it has got. The hook changes nothing
/// in the run: the same seed gives the same digest with or without it.
pub fn run_scenario_reporting(spec: &ScenarioSpec, seed: u64, progress: Option<ProgressHook>) -> RunReport {
    let (params, spec) = world_params_for(spec, seed);
    let options = RunOptions {
        params,
        checkers: spec.expect.checkers.clone(),
        buggify: spec.buggify,
        progress,
    };
    run_with(seed, options, move |world| execute(world, spec))
}

/// Plays `spec` in `world`; `Err` lists every unmet expectation.
pub async fn execute(world: World, spec: ScenarioSpec) -> Result<(), String> {
    let startup = spec.run.startup_deadline;
    wait_for_active_controller(&world, startup).await?;
    wait_for_all_brokers_unfenced(&world, startup).await?;
    let mut topics: Vec<(String, u32)> = Vec::new();
    for topic in &spec.topics {
        create_topic(
            &world,
            &topic.name,
            topic.partitions,
            topic.replication_factor,
            startup,
        )
        .await?;
        topics.push((topic.name.clone(), topic.partitions));
    }
    let tier = &world.params().broker.tier;
    if tier.enabled {
        // Kafka creates its internal topics when first needed; here the operator does, before
        // any segment can roll.
        create_topic(&world, TIER_TOPIC, tier.tier_partition_count, 3, startup).await?;
        storage_sampler::start(&world);
    }
    let workload = match &spec.workload.data {
        Some(data) => Some(data_workload::start(&world, data).await?),
        None => None,
    };

    world.note("safety phase begins");
    let safety_started = world.elapsed();
    let mut schedule_random = ChaCha8Rng::seed_from_u64(world.random());
    let schedule = build_schedule(&spec, &world.params().topology, &mut schedule_random);
    let churn = start_topic_churn(&world, &spec);
    let fired = play_timeline(&world, &schedule, safety_started, spec.run.safety).await;
    churn.stop.store(true, Ordering::Relaxed);

    world.note("liveness phase begins: every fault healed");
    korasim_core::buggify::stop_firing();
    let safety_ended = world.elapsed();
    for fault in fired
        .iter()
        .filter(|fault| fault.heal_at.is_none_or(|heal| heal > world.elapsed()))
    {
        inject::heal(&world, fault, &[]);
    }
    world.heal_everything();
    world.sleep(spec.run.liveness).await;
    world.note("liveness phase ends");
    let mut failures = Vec::new();
    if let (Some(workload), Some(data)) = (workload, &spec.workload.data) {
        failures.extend(data_workload::finish(&world, workload, data).await);
    }

    let plans: Vec<_> = world
        .node_names()
        .iter()
        .filter_map(|name| world.node_plan(name).cloned())
        .collect();
    let brokers = expectations::broker_nodes(&plans);
    let judgement = expectations::Judgement {
        expect: &spec.expect,
        fired: &fired,
        session_timeout: world.params().controller.broker_session_timeout,
        heartbeat_interval: world.params().broker.heartbeat_interval,
        safety_started,
        safety_ended,
        broker_nodes: brokers.clone(),
        controllers: plans
            .iter()
            .filter(|plan| matches!(plan.role, crate::world::Role::Controller(_)))
            .map(|plan| plan.name.clone())
            .collect(),
        quorum_link_delay_max: world
            .params()
            .controller
            .election_timeout_min
            .min(world.params().controller.active_lease),
    };
    {
        // Judged under the trace's lock rather than on a copy: a data run's trace holds
        // hundreds of thousands of entries. Nothing here awaits.
        let trace = world
            .trace()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.extend(judgement.judge(trace.entries()));
        if let Some(within) = spec.expect.slowed_broker_leaves_isr_within {
            failures.extend(data_expectations::slowed_brokers_leave_isr(
                &fired,
                trace.entries(),
                within,
            ));
        }
        if let Some(within) = spec.expect.stalled_broker_restarted_within {
            failures.extend(health_expectations::stalled_brokers_restarted(
                &fired,
                trace.entries(),
                within,
                safety_ended,
            ));
        }
        failures.extend(detector_expectations::judge(
            &spec.expect,
            &fired,
            trace.entries(),
            safety_ended,
        ));
        failures.extend(audit_expectations::judge(
            &fired,
            trace.entries(),
            spec.expect.audit_detects_within,
            spec.expect.repaired_within,
        ));
        failures.extend(tier_expectations::judge(
            &spec.expect,
            &fired,
            safety_ended,
            trace.entries(),
        ));
        if spec.expect.converge {
            let problems = ReplayedState::from_trace(trace.entries()).unconverged(&brokers);
            if !problems.is_empty() {
                failures.push(format!(
                    "not converged by the end of the liveness phase: {}",
                    problems.join("; ")
                ));
            }
        }
    }
    if spec.expect.repaired_within.is_some() {
        failures.extend(disk_scrub::judge(&world, &fired, spec.tiered_storage.is_some()));
    }
    if let Some(max) = spec.expect.produce_p99_max {
        let history = world.history();
        let history = history.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.extend(data_expectations::produce_latency_bounded(
            &history,
            &fired,
            safety_started,
            max,
            spec.expect.produce_p99_grace,
        ));
    }
    if spec.expect.converge && active_controller(&world).is_none() {
        failures.push("no active controller at the end of the liveness phase".to_string());
    }
    if spec.expect.topics_survive {
        topics.extend(
            churn
                .created
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .iter()
                .cloned(),
        );
        match fetch_image_within(&world, READ_BACK_DEADLINE).await {
            Ok(image) => {
                for (name, partitions) in &topics {
                    let found = image.topics.get(name).map(Vec::len);
                    if found != Some(*partitions as usize) {
                        failures.push(format!("topic {name} was created with {partitions} partitions but reads back as {found:?}"));
                    }
                }
            }
            Err(error) => failures.push(format!("could not read the metadata back at the end: {error}")),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Fires and heals faults at their times until the safety phase ends; returns every fault
/// that fired.
async fn play_timeline(
    world: &World,
    schedule: &[ScheduledFault],
    safety_started: Duration,
    safety: Duration,
) -> Vec<FiredFault> {
    let safety_ends = safety_started + safety;
    let mut fired: Vec<FiredFault> = Vec::new();
    let mut healed: Vec<bool> = Vec::new();
    let mut next = 0;
    loop {
        let next_fire = schedule.get(next).map(|fault| safety_started + fault.at);
        let next_heal = fired
            .iter()
            .zip(&healed)
            .filter(|(_, healed)| !**healed)
            .filter_map(|(fault, _)| fault.heal_at)
            .min();
        let due = [next_fire, next_heal, Some(safety_ends)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(safety_ends);
        let now = world.elapsed();
        if due > now {
            world.sleep(due - now).await;
        }
        if due >= safety_ends
            && next_fire.is_none_or(|at| at >= safety_ends)
            && next_heal.is_none_or(|at| at >= safety_ends)
        {
            return fired;
        }
        if next_heal == Some(due) {
            if let Some(index) = fired
                .iter()
                .zip(&healed)
                .position(|(fault, healed)| !healed && fault.heal_at == Some(due))
            {
                healed[index] = true;
                let others: Vec<&FiredFault> = fired
                    .iter()
                    .zip(&healed)
                    .filter(|(_, healed)| !**healed)
                    .map(|(fault, _)| fault)
                    .collect();
                inject::heal(world, &fired[index], &others);
            }
        } else if next_fire == Some(due) {
            let fault = &schedule[next];
            let silenced_now: Vec<String> = fired
                .iter()
                .zip(&healed)
                .filter(|(_, healed)| !**healed)
                .flat_map(|(fault, _)| fault.silenced.iter().cloned())
                .collect();
            let mut fired_now = inject::fire(world, &fault.action, fault.lasting, &silenced_now);
            fired_now.drawn = fault.drawn;
            fired.push(fired_now);
            healed.push(false);
            next += 1;
        }
    }
}

struct TopicChurn {
    stop: Arc<AtomicBool>,
    created: Arc<Mutex<Vec<(String, u32)>>>,
}

/// Creates a topic every `topic_churn_every` during the safety phase, remembering the ones
/// the controller confirmed.
fn start_topic_churn(world: &World, spec: &ScenarioSpec) -> TopicChurn {
    let churn = TopicChurn {
        stop: Arc::new(AtomicBool::new(false)),
        created: Arc::new(Mutex::new(Vec::new())),
    };
    let Some(every) = spec.workload.topic_churn_every else {
        return churn;
    };
    let (world, stop, created) = (world.clone(), churn.stop.clone(), churn.created.clone());
    let replication_factor = world.params().topology.zones.len().min(3);
    tokio::spawn(async move {
        let mut count = 0u32;
        while !stop.load(Ordering::Relaxed) {
            world.sleep(every).await;
            count += 1;
            let name = format!("churn-{count}");
            let request = ControllerRequest::CreateTopic {
                name: name.clone(),
                partition_count: 3,
                replication_factor,
            };
            // "Already exists" means an earlier attempt whose answer was lost went through; the
            // final read-back checks it has the partitions asked for.
            let answer = world.admin_request(request).await;
            if matches!(
                answer,
                Some(ControllerResponse::TopicCreated)
                    | Some(ControllerResponse::TopicRejected(
                        PlacementError::TopicExists { .. }
                    ))
            ) {
                created
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push((name, 3));
            }
        }
    });
    churn
}
