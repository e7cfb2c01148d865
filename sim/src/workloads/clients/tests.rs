//! The clients against the fake brokers of `fake_broker.rs`, each test in its own madsim
//! runtime: rates and offsets, retries and their outcomes, metadata refreshes, consumers, the
//! final read, the oracle's verdict on what they record, and determinism.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use korasim_core::broker::data_protocol::ProduceError as BrokerProduceError;
use korasim_core::net::{Address, Rpc, RpcParams};
use tokio::time::Instant;

use super::fake_broker::{broker_address, FakeCluster, ProduceFault, Seen, TOPIC};
use super::{final_read, FinalReadSummary, MetadataCache, PartitionLeader, Workload, WorkloadParams};
use crate::checkers::history::{check_history, HistoryCheckOptions};
use crate::workloads::{
    Acks, ClientId, History, OpId, Operation, ProduceError, ProduceInvoked, RecordRead, SharedHistory,
};
use crate::world::{LinkDelays, SimTransport};

const CLIENT_ADDRESS: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)), 9000);
const FINAL_READ_DEADLINE: Duration = Duration::from_secs(10);

/// Runs `work` on a client node of its own, with an RPC endpoint.
async fn on_client<F, Fut, T>(work: F) -> T
where
    F: FnOnce(Arc<Rpc>) -> Fut + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let node = madsim::runtime::Handle::current()
        .create_node()
        .name("client")
        .ip(CLIENT_ADDRESS.ip())
        .build();
    node.spawn(async move {
        let transport = SimTransport::bind(CLIENT_ADDRESS, Arc::new(LinkDelays::default()))
            .await
            .expect("the client binds its address");
        work(Rpc::start(transport, None, RpcParams::default())).await
    })
    .await
    .expect("the client's work finishes")
}

/// Small and quick: two producers, two partitions, no consumer, short timeouts.
fn quick_params() -> WorkloadParams {
    WorkloadParams {
        topic: TOPIC.to_string(),
        partition_count: 2,
        producer_count: 2,
        records_per_second: 50.0,
        consumer_count: 0,
        request_timeout: Duration::from_secs(1),
        produce_timeout: Duration::from_millis(800),
        delivery_timeout: Duration::from_secs(5),
        ..WorkloadParams::default()
    }
}

/// What a run left behind.
struct Run {
    history: History,
    final_read: FinalReadSummary,
}

/// Starts the workload, lets it run for `duration`, stops producing and consuming, then reads
/// every partition in full.
async fn run_workload(brokers: Vec<Address>, params: WorkloadParams, duration: Duration) -> Run {
    let history = History::shared();
    let shared = history.clone();
    let final_read = on_client(move |rpc| async move {
        let run_started = Instant::now();
        let workload = Workload::start(
            rpc.clone(),
            brokers.clone(),
            params.clone(),
            shared.clone(),
            run_started,
        );
        tokio::time::sleep(duration).await;
        workload.stop_producing().await;
        workload.stop_consuming();
        let partitions = params.partition_count;
        final_read(
            rpc,
            brokers,
            &params.topic,
            partitions,
            shared,
            run_started,
            &params,
            FINAL_READ_DEADLINE,
        )
        .await
    })
    .await;
    Run {
        history: take(&history),
        final_read,
    }
}

fn take(history: &SharedHistory) -> History {
    history.lock().unwrap().clone()
}

/// Each produce with its completion, by client and op id.
fn produces(history: &History) -> BTreeMap<(ClientId, OpId), (ProduceInvoked, Option<Operation>)> {
    let mut produces = BTreeMap::new();
    for operation in history.operations() {
        match operation {
            Operation::ProduceInvoked(invoked) => {
                produces.insert((invoked.client, invoked.op_id), (invoked.clone(), None));
            }
            Operation::ProduceOk(op) => complete(&mut produces, (op.client, op.op_id), operation),
            Operation::ProduceFailed(op) => complete(&mut produces, (op.client, op.op_id), operation),
            Operation::ProduceUnknown(op) => complete(&mut produces, (op.client, op.op_id), operation),
            _ => {}
        }
    }
    produces
}

fn complete(
    produces: &mut BTreeMap<(ClientId, OpId), (ProduceInvoked, Option<Operation>)>,
    op: (ClientId, OpId),
    completion: &Operation,
) {
    let (_, slot) = produces
        .get_mut(&op)
        .expect("a completion follows its invocation");
    assert!(slot.is_none(), "{op:?} completed twice");
    *slot = Some(completion.clone());
}

fn reads(history: &History, final_read: bool) -> Vec<&RecordRead> {
    history
        .operations()
        .iter()
        .filter_map(|operation| match operation {
            Operation::Read(read) if read.final_read == final_read => Some(read),
            _ => None,
        })
        .collect()
}

fn assert_every_produce_completed(history: &History) {
    for ((client, op_id), (_, completion)) in produces(history) {
        assert!(completion.is_some(), "{client} {op_id} has no outcome");
    }
}

fn assert_passes_the_oracle(history: &History) {
    let violations = check_history(history, &HistoryCheckOptions::default());
    assert!(violations.is_empty(), "the oracle objects: {violations:#?}");
}

fn produce_requests(cluster: &FakeCluster) -> Vec<Seen> {
    cluster
        .state()
        .seen
        .iter()
        .filter(|seen| matches!(seen, Seen::Produce { .. }))
        .cloned()
        .collect()
}

#[madsim::test]
async fn records_produced_at_the_rate_are_acknowledged_at_increasing_offsets() {
    let cluster = FakeCluster::new(2, 2);
    let brokers = cluster.start().await;
    let params = quick_params();
    let run = run_workload(brokers, params.clone(), Duration::from_secs(10)).await;
    let produces = produces(&run.history);
    // 50 records a second for 10 s: a Poisson count of mean 500.
    assert!(
        (400..=600).contains(&produces.len()),
        "{} records",
        produces.len()
    );
    let mut offsets_by_partition: BTreeMap<u32, BTreeMap<u64, ProduceInvoked>> = BTreeMap::new();
    for (invoked, completion) in produces.values() {
        assert_eq!(invoked.value.as_bytes().len(), params.record_size_bytes);
        assert!(invoked.producer_id.is_some() && invoked.sequence.is_some());
        let Some(Operation::ProduceOk(ok)) = completion else {
            panic!("{} {} ended {completion:?}", invoked.client, invoked.op_id);
        };
        let offset = ok.offset.expect("acks=all answers with an offset");
        let earlier = offsets_by_partition
            .entry(invoked.partition)
            .or_default()
            .insert(offset, invoked.clone());
        assert!(earlier.is_none(), "two records acknowledged at offset {offset}");
    }
    for (partition, by_offset) in &offsets_by_partition {
        let offsets: Vec<u64> = by_offset.keys().copied().collect();
        assert_eq!(
            offsets,
            (0..offsets.len() as u64).collect::<Vec<_>>(),
            "partition {partition}"
        );
        // Each producer's records sit in the order of its sequences and of its invocations.
        let mut last: BTreeMap<ClientId, (i32, OpId)> = BTreeMap::new();
        for invoked in by_offset.values() {
            let now = (invoked.sequence.unwrap(), invoked.op_id);
            if let Some(before) = last.insert(invoked.client, now) {
                assert!(before < now, "partition {partition}: {before:?} then {now:?}");
            }
        }
        // The log holds exactly the acknowledged values at their offsets.
        let log = cluster.state().partitions[partition].records();
        assert_eq!(log.len(), by_offset.len());
        for (offset, value) in log {
            assert_eq!(by_offset[&offset].value.as_bytes(), value.as_ref());
        }
    }
    for request in produce_requests(&cluster) {
        let Seen::Produce { records, .. } = request else {
            unreachable!()
        };
        assert!((1..=params.max_batch_records).contains(&records));
    }
    assert!(run.final_read.is_complete(), "{}", run.final_read);
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn a_timeout_then_success_with_idempotence_writes_one_copy() {
    let cluster = FakeCluster::new(1, 1);
    cluster
        .state()
        .produce_faults
        .push_back(ProduceFault::AppendThenDrop);
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 1,
        producer_count: 1,
        records_per_second: 20.0,
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(3)).await;
    // The first batch was sent twice with the same producer epoch and sequences.
    let requests = produce_requests(&cluster);
    let (Seen::Produce { producer: first, .. }, Seen::Produce { producer: retry, .. }) =
        (&requests[0], &requests[1])
    else {
        unreachable!()
    };
    assert_eq!(first, retry);
    assert_eq!((first.producer_epoch, first.base_sequence), (0, 0));
    // Written once, acknowledged with the offsets of the first append.
    let log = cluster.state().partitions[&0].records();
    let mut values: Vec<_> = log.iter().map(|(_, value)| value.clone()).collect();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), log.len(), "a value is in the log twice");
    let produces = produces(&run.history);
    assert_eq!(produces.len(), log.len());
    for (invoked, completion) in produces.values() {
        let Some(Operation::ProduceOk(ok)) = completion else {
            panic!("{} ended {completion:?}", invoked.op_id);
        };
        let offset = ok.offset.unwrap();
        assert_eq!(log[offset as usize].1.as_ref(), invoked.value.as_bytes());
        assert_eq!(invoked.producer_epoch, Some(0), "no batch was given up");
    }
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn a_definite_error_on_every_attempt_fails_the_produce() {
    let cluster = FakeCluster::new(1, 1);
    cluster.state().refuse_every_produce = Some(BrokerProduceError::NotEnoughReplicas);
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 1,
        producer_count: 1,
        records_per_second: 5.0,
        delivery_timeout: Duration::from_secs(2),
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(5)).await;
    let produces = produces(&run.history);
    assert!(produces.len() >= 10, "{} records", produces.len());
    let mut refused = 0;
    for (invoked, completion) in produces.values() {
        let Some(Operation::ProduceFailed(failed)) = completion else {
            panic!("{} ended {completion:?}", invoked.op_id);
        };
        // A record that waited behind a batch for its whole delivery timeout expires unsent.
        match failed.error {
            ProduceError::NotEnoughReplicas => refused += 1,
            ProduceError::ClientNeverSent => {}
            ref other => panic!("{} failed with {other}", invoked.op_id),
        }
    }
    assert!(
        refused * 2 > produces.len(),
        "{refused} of {} refused",
        produces.len()
    );
    // Retried until the delivery timeout: many more requests than batches (one epoch each).
    let batches: std::collections::BTreeSet<Option<i16>> = produces
        .values()
        .map(|(invoked, _)| invoked.producer_epoch)
        .collect();
    assert!(produce_requests(&cluster).len() > 5 * batches.len());
    // Every abandoned batch moves the partition to a new producer epoch, sequences from 0.
    let epochs: Vec<(i16, i32)> = run
        .history
        .operations()
        .iter()
        .filter_map(|operation| match operation {
            Operation::ProduceInvoked(invoked) => Some((invoked.producer_epoch?, invoked.sequence?)),
            _ => None,
        })
        .collect();
    assert_eq!(epochs[0], (0, 0));
    assert!(epochs.windows(2).all(|pair| pair[0] < pair[1]), "{epochs:?}");
    assert!(epochs.iter().any(|&(epoch, sequence)| epoch > 0 && sequence == 0));
    assert!(cluster.state().partitions[&0].records().is_empty());
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn a_timeout_followed_by_a_definite_error_leaves_the_produce_unknown() {
    let cluster = FakeCluster::new(1, 1);
    {
        let mut state = cluster.state();
        state.produce_faults.push_back(ProduceFault::Drop);
        state.refuse_every_produce = Some(BrokerProduceError::NotEnoughReplicas);
    }
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 1,
        producer_count: 1,
        records_per_second: 5.0,
        delivery_timeout: Duration::from_secs(2),
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(5)).await;
    let produces = produces(&run.history);
    let first_batch_at = produces.values().map(|(invoked, _)| invoked.at).min().unwrap();
    let mut unknown = 0;
    let mut failed = 0;
    for (invoked, completion) in produces.values() {
        match completion {
            Some(Operation::ProduceUnknown(op)) if invoked.at == first_batch_at => {
                assert!(op.reason.contains("no answer"), "{}", op.reason);
                unknown += 1;
            }
            Some(Operation::ProduceFailed(op)) if invoked.at > first_batch_at => {
                assert!(
                    [ProduceError::NotEnoughReplicas, ProduceError::ClientNeverSent].contains(&op.error),
                    "{}",
                    op.error
                );
                failed += 1;
            }
            other => panic!("{} invoked at {:?} ended {other:?}", invoked.op_id, invoked.at),
        }
    }
    assert!(unknown >= 1 && failed >= 5, "{unknown} unknown, {failed} failed");
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn not_leader_refreshes_metadata_and_the_retry_goes_to_the_new_leader() {
    let cluster = FakeCluster::new(2, 1);
    cluster
        .state()
        .produce_faults
        .push_back(ProduceFault::MoveLeaderTo(2));
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 1,
        producer_count: 1,
        records_per_second: 20.0,
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(2)).await;
    let seen = cluster.state().seen.clone();
    let produce_at: Vec<usize> = (0..seen.len())
        .filter(|&i| matches!(seen[i], Seen::Produce { .. }))
        .collect();
    let Seen::Produce {
        broker: 1,
        producer: first,
        ..
    } = seen[produce_at[0]]
    else {
        panic!("the first produce went to {:?}", seen[produce_at[0]]);
    };
    let Seen::Produce {
        broker: 2,
        producer: retry,
        ..
    } = seen[produce_at[1]]
    else {
        panic!("the retry went to {:?}", seen[produce_at[1]]);
    };
    assert_eq!(first, retry);
    assert!(
        seen[produce_at[0]..produce_at[1]]
            .iter()
            .any(|seen| matches!(seen, Seen::Metadata { .. })),
        "no metadata refresh between the attempts: {seen:?}"
    );
    assert!(produce_at[1..]
        .iter()
        .all(|&i| matches!(seen[i], Seen::Produce { broker: 2, .. })));
    for (invoked, completion) in produces(&run.history).values() {
        assert!(
            matches!(completion, Some(Operation::ProduceOk(_))),
            "{} ended {completion:?}",
            invoked.op_id
        );
    }
    assert!(run.final_read.is_complete(), "{}", run.final_read);
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn the_final_read_records_every_record_and_closes_each_partition() {
    let cluster = FakeCluster::new(2, 3);
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 3,
        ..quick_params()
    };
    // Client 3, after the two producers (and no consumer).
    let final_reader = params.final_reader_client();
    assert_eq!(final_reader, ClientId(3));
    let history = History::shared();
    let summary = {
        let shared = history.clone();
        let cluster = cluster.clone();
        on_client(move |rpc| async move {
            let run_started = Instant::now();
            let workload = Workload::start(
                rpc.clone(),
                brokers.clone(),
                params.clone(),
                shared.clone(),
                run_started,
            );
            tokio::time::sleep(Duration::from_secs(3)).await;
            workload.stop_producing().await;
            // Retention deleted the start of partition 1.
            cluster.state().partitions.get_mut(&1).unwrap().log_start = 5;
            final_read(
                rpc,
                brokers,
                TOPIC,
                3,
                shared,
                run_started,
                &params,
                FINAL_READ_DEADLINE,
            )
            .await
        })
        .await
    };
    let history = take(&history);
    assert!(summary.is_complete(), "{summary}");
    assert_eq!(summary.done.len(), 3);
    let final_reads = reads(&history, true);
    assert_eq!(
        final_reads.len() as u64,
        summary.done.iter().map(|done| done.records_read).sum::<u64>()
    );
    for partition in 0..3u32 {
        let log = cluster.state().partitions[&partition].records();
        let log_start = if partition == 1 { 5 } else { 0 };
        assert!(log.len() > 10);
        let read: Vec<(u64, &[u8])> = final_reads
            .iter()
            .filter(|read| read.partition == partition)
            .map(|read| {
                assert_eq!(read.client, final_reader);
                (read.offset, read.value.as_bytes())
            })
            .collect();
        let expected: Vec<(u64, &[u8])> = log
            .iter()
            .map(|(offset, value)| (*offset, value.as_ref()))
            .collect();
        assert_eq!(read, expected, "partition {partition}");
        let done = history
            .operations()
            .iter()
            .find_map(|operation| match operation {
                Operation::FinalReadDone(done) if done.partition == partition => Some(done),
                _ => None,
            })
            .expect("every partition's final read is closed");
        assert_eq!(
            (done.start_offset, done.end_offset),
            (log_start, log_start + log.len() as u64)
        );
    }
    // Retention explains what the final read of partition 1 lacks.
    let options = HistoryCheckOptions {
        retention_start: [(crate::workloads::TopicPartition::new(TOPIC, 1), 5)].into(),
        ..HistoryCheckOptions::default()
    };
    assert_eq!(check_history(&history, &options), vec![]);
}

#[madsim::test]
async fn the_final_read_reports_a_partition_it_could_not_read() {
    let cluster = FakeCluster::new(1, 1);
    let brokers = cluster.start().await;
    let params = quick_params();
    let history = History::shared();
    let shared = history.clone();
    // The topic has one partition; partition 1 has no leader anywhere.
    let summary = on_client(move |rpc| async move {
        final_read(
            rpc,
            brokers,
            TOPIC,
            2,
            shared,
            Instant::now(),
            &params,
            Duration::from_secs(2),
        )
        .await
    })
    .await;
    assert!(!summary.is_complete());
    assert_eq!(summary.done.len(), 1);
    assert_eq!(summary.unfinished.len(), 1);
    let unfinished = &summary.unfinished[0];
    assert_eq!(
        (unfinished.partition, unfinished.position, unfinished.end_offset),
        (1, 0, None)
    );
    assert_eq!(unfinished.reason, "no leader known");
    assert_eq!(
        summary.to_string(),
        "final read of orders: 1 partitions read in full (0 records); partition 1 unfinished at offset 0 \
         of unknown: no leader known"
    );
    let history = take(&history);
    // Both partitions' passes started; only partition 0's finished.
    let started = history
        .operations()
        .iter()
        .filter(|operation| matches!(operation, Operation::FinalReadStarted(_)))
        .count();
    let done = history
        .operations()
        .iter()
        .filter(|operation| matches!(operation, Operation::FinalReadDone(_)))
        .count();
    assert_eq!((history.len(), started, done), (3, 2, 1), "{history:?}");
}

#[madsim::test]
async fn acks_zero_records_are_acknowledged_without_offsets() {
    let cluster = FakeCluster::new(1, 2);
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        acks: Acks::None,
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(3)).await;
    let produces = produces(&run.history);
    assert!(produces.len() > 100);
    for (invoked, completion) in produces.values() {
        assert_eq!(invoked.acks, Acks::None);
        assert_eq!(invoked.producer_id, None, "no idempotence under acks=0");
        let Some(Operation::ProduceOk(ok)) = completion else {
            panic!("{} ended {completion:?}", invoked.op_id);
        };
        assert_eq!(ok.offset, None);
    }
    let written: usize = (0..2)
        .map(|p| cluster.state().partitions[&p].records().len())
        .sum();
    assert_eq!(written, produces.len());
    assert_passes_the_oracle(&run.history);
}

#[madsim::test]
async fn the_metadata_cache_passes_over_a_silent_broker_and_keeps_the_newest_answer() {
    let cluster = FakeCluster::new(2, 1);
    cluster.state().silent_for_metadata.insert(1);
    let brokers = cluster.start().await;
    let observed = {
        let cluster = cluster.clone();
        on_client(move |rpc| async move {
            let cache = MetadataCache::new(rpc, brokers, Duration::from_secs(1), Duration::from_secs(60), 0);
            let started = Instant::now();
            let leader = cache.leader(TOPIC, 0).await;
            let waited = started.elapsed();
            // A broker with an older image moves the leader: the cache keeps the newer answer.
            {
                let mut state = cluster.state();
                state.metadata_offset = 0;
                state.partitions.get_mut(&0).unwrap().leader = 2;
            }
            let refreshed = cache.refresh().await;
            let kept = cache.cached_leader(TOPIC, 0);
            // Metadata is not asked for again before the refresh interval.
            let requests_before = cluster.state().seen.len();
            let again = cache.leader(TOPIC, 0).await;
            let requests_after = cluster.state().seen.len();
            (
                leader,
                waited,
                refreshed,
                kept,
                again,
                requests_after - requests_before,
            )
        })
        .await
    };
    let (leader, waited, refreshed, kept, again, new_requests) = observed;
    let expected = Some(PartitionLeader {
        broker: 1,
        address: broker_address(1),
        leader_epoch: 0,
    });
    assert_eq!(leader, expected);
    assert!(
        waited >= Duration::from_secs(1),
        "broker 1's silence cost {waited:?}"
    );
    assert!(refreshed);
    assert_eq!(kept, expected);
    assert_eq!(again, expected);
    assert_eq!(new_requests, 0);
    let asked: Vec<Seen> = cluster.state().seen.clone();
    assert_eq!(
        asked,
        vec![
            Seen::Metadata { broker: 1 },
            Seen::Metadata { broker: 2 },
            // Each refresh starts at the next broker.
            Seen::Metadata { broker: 1 },
            Seen::Metadata { broker: 2 },
        ]
    );
}

#[madsim::test]
async fn a_tailing_consumer_reads_every_committed_record_and_starts_again_when_out_of_range() {
    let cluster = FakeCluster::new(1, 1);
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        partition_count: 1,
        producer_count: 1,
        consumer_count: 1,
        records_per_second: 20.0,
        ..quick_params()
    };
    let history = History::shared();
    let shared = history.clone();
    let cluster_on_client = cluster.clone();
    let truncated_to = on_client(move |rpc| async move {
        let workload = Workload::start(rpc, brokers, params, shared, Instant::now());
        tokio::time::sleep(Duration::from_secs(3)).await;
        workload.stop_producing().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        // The log loses its tail: the consumer's position is now beyond its end.
        let truncated_to = {
            let mut state = cluster_on_client.state();
            let partition = state.partitions.get_mut(&0).unwrap();
            let keep = partition.batches.len() / 2;
            partition.batches.truncate(keep);
            partition.log_end()
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        workload.stop_consuming();
        truncated_to
    })
    .await;
    let history = take(&history);
    let acknowledged: BTreeMap<u64, Vec<u8>> = produces(&history)
        .values()
        .map(|(invoked, completion)| {
            let Some(Operation::ProduceOk(ok)) = completion else {
                panic!("{completion:?}");
            };
            (ok.offset.unwrap(), invoked.value.as_bytes().to_vec())
        })
        .collect();
    let tailing = reads(&history, false);
    let consumer = ClientId(2);
    let mut first_pass = BTreeMap::new();
    let mut second_pass = BTreeMap::new();
    for read in &tailing {
        assert_eq!(read.client, consumer);
        let pass = if first_pass.contains_key(&read.offset) {
            &mut second_pass
        } else {
            &mut first_pass
        };
        assert!(pass.insert(read.offset, read.value.as_bytes().to_vec()).is_none());
    }
    assert_eq!(
        first_pass, acknowledged,
        "the consumer read every record once, in order"
    );
    let expected_again: BTreeMap<u64, Vec<u8>> = acknowledged
        .into_iter()
        .filter(|(offset, _)| *offset < truncated_to)
        .collect();
    assert_eq!(
        second_pass, expected_again,
        "after the truncation it read from the start again"
    );
}

/// The scenario of the determinism test: two brokers, faults of every kind (the first
/// produce requests meet scripted faults, then answers are lost from 0 to 8 s), a consumer.
async fn eventful_run() -> History {
    let cluster = FakeCluster::new(2, 2);
    {
        let mut state = cluster.state();
        state.produce_faults.extend([
            ProduceFault::AppendThenDrop,
            ProduceFault::Drop,
            ProduceFault::MoveLeaderTo(2),
            ProduceFault::Refuse(BrokerProduceError::NotEnoughReplicasAfterAppend),
            ProduceFault::Refuse(BrokerProduceError::NotEnoughReplicas),
        ]);
        // Answers lost for longer than the delivery timeout: those batches end unknown.
        state.silent_produce_until = Some(Instant::now() + Duration::from_secs(8));
    }
    let brokers = cluster.start().await;
    let params = WorkloadParams {
        consumer_count: 1,
        ..quick_params()
    };
    let run = run_workload(brokers, params, Duration::from_secs(5)).await;
    assert!(run.final_read.is_complete(), "{}", run.final_read);
    run.history
}

#[madsim::test]
async fn a_history_with_faults_and_a_consumer_passes_the_oracle() {
    let history = eventful_run().await;
    assert_every_produce_completed(&history);
    assert!(
        !reads(&history, false).is_empty(),
        "the tailing consumer read nothing"
    );
    assert!(history
        .operations()
        .iter()
        .any(|operation| matches!(operation, Operation::ProduceUnknown(_))));
    assert_passes_the_oracle(&history);
}

fn history_of_seed(seed: u64) -> String {
    // A fresh thread per runtime, as `run::run_with` does, so the seed alone decides the run.
    std::thread::spawn(move || {
        let runtime = madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default());
        let history = runtime.block_on(eventful_run());
        let mut jsonl = Vec::new();
        history.write_jsonl_to(&mut jsonl).expect("writes to memory");
        String::from_utf8(jsonl).expect("JSON is UTF-8")
    })
    .join()
    .expect("the run finishes")
}

#[test]
fn the_same_seed_gives_the_same_history() {
    let first = history_of_seed(7);
    assert!(first.lines().count() > 500);
    assert_eq!(first, history_of_seed(7));
    assert_ne!(first, history_of_seed(8), "the seed does not reach the workload");
}
