//! The scenario's producers and consumers: started once the topics exist, stopped after the
//! liveness phase, followed by a final read of every partition and the history oracle's
//! verdict.

use std::time::Duration;

use korasim_core::net::Address;

use crate::checkers::history::{check_history, HistoryCheckOptions};
use crate::scenario_file::DataWorkloadSpec;
use crate::workloads::clients::{final_read, Workload, WorkloadParams};
use crate::workloads::{Acks, ClientId, HistoryPolicy, RetentionAllowed, HISTORY_FORMAT_VERSION};
use crate::world::{Role, World, BROKER_PORT};

/// How long the final read may take once every fault is healed.
const FINAL_READ_DEADLINE: Duration = Duration::from_secs(60);

/// The client settings for `spec`.
pub fn workload_params(spec: &DataWorkloadSpec) -> WorkloadParams {
    WorkloadParams {
        topic: spec.topic.clone(),
        partition_count: spec.partitions,
        producer_count: spec.producers as u32,
        idempotent: spec.idempotent,
        acks: spec.acks,
        records_per_second: spec.records_per_second,
        record_size_bytes: spec.record_size_bytes,
        consumer_count: spec.consumers as u32,
        linger: spec.linger,
        ..WorkloadParams::default()
    }
}

/// Every broker's address, for the clients to bootstrap from.
fn broker_addresses(world: &World) -> Vec<Address> {
    world
        .node_names()
        .iter()
        .filter_map(|name| world.node_plan(name))
        .filter(|plan| matches!(plan.role, Role::Broker(_)))
        .map(|plan| Address::new(plan.address.ip(), BROKER_PORT))
        .collect()
}

/// Client ids of the background producer start here, far above the judged workload's.
const BACKGROUND_CLIENT_ID_BASE: u32 = 100;

/// The background producer's settings: `acks=1`, no consumers.
fn background_params(spec: &DataWorkloadSpec, records_per_second: f64) -> WorkloadParams {
    WorkloadParams {
        producer_count: 1,
        acks: Acks::Leader,
        records_per_second,
        consumer_count: 0,
        client_id_base: BACKGROUND_CLIENT_ID_BASE,
        ..workload_params(spec)
    }
}

/// The clients of a run: the judged workload and any background load.
pub struct RunningWorkload {
    main: Workload,
    background: Option<Workload>,
}

/// Starts the producers and consumers (and the background producer) on the client node.
pub async fn start(world: &World, spec: &DataWorkloadSpec) -> Result<RunningWorkload, String> {
    // First in the file: what the oracle holds the run to, so that a reader of the file alone
    // judges it the same way.
    let options = HistoryCheckOptions::default();
    world
        .history()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .record(HistoryPolicy {
            client: ClientId(0),
            at: world.elapsed(),
            version: HISTORY_FORMAT_VERSION,
            allow_duplicates_without_idempotence: options.allow_duplicates_without_idempotence,
            strict_for_weak_acks: options.strict_for_weak_acks,
            require_final_read: options.require_final_read,
        });
    let main = start_one(world, workload_params(spec)).await?;
    let background = match spec.background_records_per_second {
        Some(rate) => Some(start_one(world, background_params(spec, rate)).await?),
        None => None,
    };
    Ok(RunningWorkload { main, background })
}

async fn start_one(world: &World, params: WorkloadParams) -> Result<Workload, String> {
    params
        .validate()
        .map_err(|problem| format!("workload cannot run: {problem}"))?;
    let brokers = broker_addresses(world);
    let history = world.history();
    let started = world.run_started();
    let task = world
        .spawn_on_client(move |rpc| async move { Workload::start(rpc, brokers, params, history, started) })
        .await
        .ok_or("the client node is down: the workload cannot start")?;
    task.await
        .map_err(|error| format!("the workload failed to start: {error}"))
}

/// Stops producing (waiting for every record's outcome) and consuming, reads every partition
/// in full, and judges the history. Returns the expectation failures (an unfinished final
/// read); the oracle's violations go to the world.
pub async fn finish(world: &World, workload: RunningWorkload, spec: &DataWorkloadSpec) -> Vec<String> {
    world.note("workload: producers stop");
    workload.main.stop_producing().await;
    if let Some(background) = &workload.background {
        background.stop_producing().await;
    }
    workload.main.stop_consuming();
    world.note("workload: final read");
    let params = workload_params(spec);
    // What retention allowed: no scenario's retention may delete what its final read must
    // find (tiered topics keep every record in the object store), so nothing below offset 0.
    {
        let history = world.history();
        let mut history = history.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for partition in 0..spec.partitions {
            history.record(RetentionAllowed {
                client: params.final_reader_client(),
                at: world.elapsed(),
                topic: spec.topic.clone(),
                partition,
                allowed_start: 0,
            });
        }
    }
    let brokers = broker_addresses(world);
    let history = world.history();
    let started = world.run_started();
    let topic = spec.topic.clone();
    let partitions = spec.partitions;
    let mut failures = Vec::new();
    let read = world
        .spawn_on_client(move |rpc| async move {
            final_read(
                rpc,
                brokers,
                &topic,
                partitions,
                history,
                started,
                &params,
                FINAL_READ_DEADLINE,
            )
            .await
        })
        .await;
    match read {
        Some(task) => match task.await {
            Ok(summary) => {
                world.note(summary.to_string());
                if !summary.is_complete() {
                    failures.push(format!("the final read did not finish: {summary}"));
                }
            }
            Err(error) => failures.push(format!("the final read failed: {error}")),
        },
        None => failures.push("the client node is down: no final read".to_string()),
    }
    let violations = {
        let history = world.history();
        let history = history.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        check_history(&history, &HistoryCheckOptions::from_history(&history))
    };
    world.report_history_violations(violations);
    failures
}
