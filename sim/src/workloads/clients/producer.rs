//! A producer: records generated at a steady random rate, spread round-robin over the
//! partitions, and one sender per partition that batches them and delivers each batch.
//!
//! Tasks are long-lived: one generator per producer and one sender per partition, never one
//! per record or per request (madsim keeps memory for every task ever spawned). A sender has
//! at most one request in flight: it takes up to `max_batch_records` queued records (waiting
//! up to `linger` after the batch's first one for more), records each as invoked, and sends
//! the batch to the partition's leader until it is acknowledged or the batch's delivery
//! timeout (counted from when its oldest record was handed over) runs out; no attempt starts
//! after that, and none is cut short by it.
//!
//! A record is recorded as invoked when it joins a batch, not when it is generated: that is
//! when an idempotent producer gives it its sequence number (as Kafka's accumulator does when
//! it drains a batch), and the history records every record with the sequence it is sent
//! with. A record never re-sequenced keeps the history truthful: when a batch is given up
//! (unknown or failed), the sender bumps its producer epoch for the partition and starts the
//! sequences again at 0 (KIP-360), so the next batch is not rejected as out of order whatever
//! became of the abandoned one; the records still queued get their sequences only then.
//!
//! Records that waited in the queue past their delivery timeout are recorded as invoked and
//! at once as failed with `CLIENT_NEVER_SENT`, which is definite: no attempt carried them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use korasim_core::broker::data_protocol::{Acks as BrokerAcks, BrokerRequest, BrokerResponse};
use korasim_core::broker::log::{sequence_after, ProducerInfo, Record};
use korasim_core::net::Rpc;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::attempts::{history_error, Attempts, GivenUp};
use super::metadata_cache::MetadataCache;
use super::params::WorkloadParams;
use super::recorder::Recorder;
use super::stop_signal::StopSignal;
use crate::workloads::{
    Acks, ClientId, OpId, Operation, Payload, ProduceFailed, ProduceInvoked, ProduceOk, ProduceUnknown,
};

/// How long an `acks=0` send waits before the producer counts it as sent: no answer comes.
pub const ACKS_NONE_SEND_WAIT: Duration = Duration::from_millis(1);

/// The character values are padded with up to `record_size_bytes`.
const VALUE_PADDING: char = '.';

/// What every task of one producer shares.
pub(super) struct ProducerContext {
    pub client: ClientId,
    /// `None` without idempotence.
    pub producer_id: Option<i64>,
    pub params: Arc<WorkloadParams>,
    pub rpc: Arc<Rpc>,
    pub cache: Arc<MetadataCache>,
    pub recorder: Recorder,
}

/// A record handed to the producer, waiting for its partition's sender.
struct QueuedRecord {
    op_id: OpId,
    value: Bytes,
    handed_at: Instant,
    /// The same moment on the history's clock.
    handed_over_at: Duration,
}

/// A partition's idempotence state: the producer epoch and the next sequence number.
#[derive(Debug, Clone, Copy, Default)]
struct SequenceState {
    producer_epoch: i16,
    next_sequence: i32,
}

impl SequenceState {
    /// KIP-360: after a batch is given up, a new epoch whose sequences start at 0, so the
    /// leader neither waits for the abandoned sequences nor accepts the abandoned batch later.
    fn bump_epoch(&mut self) {
        self.producer_epoch = self.producer_epoch.saturating_add(1);
        self.next_sequence = 0;
    }
}

/// How the attempts to deliver a batch ended.
enum Delivery {
    Acknowledged {
        base_offset: u64,
    },
    /// `acks=0`: sent, and no answer expected.
    SentWithoutAnswer,
    GivenUp(GivenUp),
}

/// The value of producer `client`'s record `n`, unique in the run, padded to `size_bytes`.
pub(super) fn record_value(client: ClientId, n: u64, size_bytes: usize) -> Bytes {
    let mut value = format!("p{}-{n}", client.0);
    while value.len() < size_bytes {
        value.push(VALUE_PADDING);
    }
    Bytes::from(value)
}

/// Starts producer `index`: its generator and one sender per partition, on the current node.
/// The senders hold a clone of `done` until they finish, so its receiver learns when every
/// record handed over has an outcome.
pub(super) fn spawn_producer(
    context: Arc<ProducerContext>,
    index: u32,
    seed: u64,
    stop: StopSignal,
    done: &mpsc::Sender<()>,
) {
    let mut queues = Vec::new();
    for partition in 0..context.params.partition_count {
        let (queue, receiver) = mpsc::unbounded_channel();
        queues.push(queue);
        let context = context.clone();
        let done = done.clone();
        tokio::spawn(async move {
            send_partition(&context, partition, receiver).await;
            drop(done);
        });
    }
    let random = ChaCha8Rng::seed_from_u64(seed);
    tokio::spawn(async move { generate(&context, index, random, queues, stop).await });
}

/// Hands records to the partitions' queues at the producer's share of the rate, with
/// exponential gaps (a Poisson process), until told to stop.
async fn generate(
    context: &ProducerContext,
    index: u32,
    mut random: ChaCha8Rng,
    queues: Vec<mpsc::UnboundedSender<QueuedRecord>>,
    stop: StopSignal,
) {
    let params = &context.params;
    let rate = params.records_per_second / f64::from(params.producer_count.max(1));
    let mut n: u64 = 0;
    loop {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u: f64 = random.gen();
        let gap = Duration::from_secs_f64(-(1.0 - u).ln() / rate);
        tokio::select! {
            biased;
            _ = stop.stopped() => break,
            _ = tokio::time::sleep(gap) => {}
        }
        if stop.is_stopped() {
            break;
        }
        let partition = ((n + u64::from(index)) % u64::from(params.partition_count)) as usize;
        let record = QueuedRecord {
            op_id: OpId(n),
            value: record_value(context.client, n, params.record_size_bytes),
            handed_at: Instant::now(),
            handed_over_at: context.recorder.now(),
        };
        // A sender only ends once its queue is closed, which is after this loop ends.
        let _ = queues[partition].send(record);
        n += 1;
    }
    tracing::debug!(client = %context.client, generated = n, "producer stopped generating");
}

/// The sender of one partition: batches queued records and delivers one batch at a time,
/// until the queue is closed and empty.
async fn send_partition(
    context: &ProducerContext,
    partition: u32,
    mut queue: mpsc::UnboundedReceiver<QueuedRecord>,
) {
    let params = &context.params;
    let mut sequences = SequenceState::default();
    while let Some(first) = queue.recv().await {
        let linger_until = first.handed_at + params.linger;
        let mut records = vec![first];
        while records.len() < params.max_batch_records {
            match queue.try_recv() {
                Ok(record) => {
                    records.push(record);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            let now = Instant::now();
            if now >= linger_until {
                break;
            }
            match tokio::time::timeout(linger_until - now, queue.recv()).await {
                Ok(Some(record)) => records.push(record),
                Ok(None) | Err(_) => break,
            }
        }
        let now = Instant::now();
        let expired = records
            .iter()
            .take_while(|record| record.handed_at + params.delivery_timeout <= now)
            .count();
        if expired > 0 {
            let waiting = records.split_off(expired);
            abandon_unsent(context, partition, &mut sequences, records);
            records = waiting;
        }
        if !records.is_empty() {
            deliver_batch(context, partition, &mut sequences, records).await;
        }
    }
}

/// Records `records` as invoked in one batch with the partition's next sequences.
fn record_invoked(
    context: &ProducerContext,
    partition: u32,
    producer: ProducerInfo,
    records: &[QueuedRecord],
) {
    let at = context.recorder.now();
    let idempotent = context.producer_id.is_some();
    context
        .recorder
        .record_all(records.iter().enumerate().map(|(index, record)| {
            Operation::from(ProduceInvoked {
                client: context.client,
                op_id: record.op_id,
                at,
                handed_over_at: record.handed_over_at,
                topic: context.params.topic.clone(),
                partition,
                key: None,
                value: Payload(record.value.clone()),
                producer_id: idempotent.then_some(producer.producer_id),
                producer_epoch: idempotent.then_some(producer.producer_epoch),
                sequence: idempotent.then(|| sequence_after(producer.base_sequence, index as u32)),
                acks: context.params.acks,
            })
        }));
}

/// The producer identity of the partition's next batch.
fn next_producer_info(context: &ProducerContext, sequences: &SequenceState) -> ProducerInfo {
    match context.producer_id {
        Some(producer_id) => {
            ProducerInfo::idempotent(producer_id, sequences.producer_epoch, sequences.next_sequence)
        }
        None => ProducerInfo::NONE,
    }
}

/// Records that expired in the queue: invoked and failed at once, never sent.
fn abandon_unsent(
    context: &ProducerContext,
    partition: u32,
    sequences: &mut SequenceState,
    records: Vec<QueuedRecord>,
) {
    let producer = next_producer_info(context, sequences);
    record_invoked(context, partition, producer, &records);
    record_given_up(
        context,
        &records,
        GivenUp::Failed(crate::workloads::ProduceError::ClientNeverSent),
    );
    if context.producer_id.is_some() {
        sequences.bump_epoch();
    }
    tracing::debug!(client = %context.client, partition, count = records.len(), "records expired unsent");
}

fn record_given_up(context: &ProducerContext, records: &[QueuedRecord], given_up: GivenUp) {
    let at = context.recorder.now();
    let client = context.client;
    context
        .recorder
        .record_all(records.iter().map(|record| match &given_up {
            GivenUp::Failed(error) => Operation::from(ProduceFailed {
                client,
                op_id: record.op_id,
                at,
                error: error.clone(),
            }),
            GivenUp::Unknown(reason) => Operation::from(ProduceUnknown {
                client,
                op_id: record.op_id,
                at,
                reason: reason.clone(),
            }),
        }));
}

/// Sends one batch until it is acknowledged or given up, and records the outcome.
async fn deliver_batch(
    context: &ProducerContext,
    partition: u32,
    sequences: &mut SequenceState,
    records: Vec<QueuedRecord>,
) {
    let params = &context.params;
    let producer = next_producer_info(context, sequences);
    record_invoked(context, partition, producer, &records);
    let deadline = records[0].handed_at + params.delivery_timeout;
    let request = BrokerRequest::Produce {
        topic: params.topic.clone(),
        partition,
        acks: broker_acks(params.acks),
        producer,
        records: records
            .iter()
            .map(|record| Record::value_only(record.value.clone()))
            .collect(),
        timeout_ms: params.produce_timeout.as_millis() as u64,
    };
    let delivery = if params.acks == Acks::None {
        send_without_answer(context, partition, &request, deadline).await
    } else {
        deliver(context, partition, &request, deadline).await
    };
    let at = context.recorder.now();
    let client = context.client;
    match delivery {
        Delivery::Acknowledged { base_offset } => {
            context
                .recorder
                .record_all(records.iter().enumerate().map(|(index, record)| {
                    Operation::from(ProduceOk {
                        client,
                        op_id: record.op_id,
                        at,
                        offset: Some(base_offset + index as u64),
                    })
                }));
            sequences.next_sequence = sequence_after(sequences.next_sequence, records.len() as u32);
        }
        Delivery::SentWithoutAnswer => {
            context.recorder.record_all(records.iter().map(|record| {
                Operation::from(ProduceOk {
                    client,
                    op_id: record.op_id,
                    at,
                    offset: None,
                })
            }));
            sequences.next_sequence = sequence_after(sequences.next_sequence, records.len() as u32);
        }
        Delivery::GivenUp(given_up) => {
            tracing::debug!(client = %client, partition, ?given_up, "batch given up");
            record_given_up(context, &records, given_up);
            if context.producer_id.is_some() {
                sequences.bump_epoch();
            }
        }
    }
}

/// Attempts `request` at the partition's leader until it is acknowledged, a non-retriable
/// error ends it, or `deadline` passes.
async fn deliver(
    context: &ProducerContext,
    partition: u32,
    request: &BrokerRequest,
    deadline: Instant,
) -> Delivery {
    let params = &context.params;
    let started = Instant::now();
    let mut attempts = Attempts::default();
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Delivery::GivenUp(attempts.give_up("delivery timeout", now - started));
        }
        let Some(leader) = context.cache.leader(&params.topic, partition).await else {
            back_off(params.retry_backoff, deadline).await;
            context.cache.refresh().await;
            continue;
        };
        if Instant::now() >= deadline {
            continue;
        }
        // An attempt is never cut short by the deadline (as in Kafka, where an in-flight
        // request completes or times out first): an attempt shorter than a round trip would
        // only turn a definite failure into an unknown outcome.
        let answer = context
            .rpc
            .call::<BrokerRequest, BrokerResponse>(leader.address, request, params.request_timeout)
            .await;
        match answer {
            Ok(BrokerResponse::Produce(Ok(ok))) => {
                return Delivery::Acknowledged {
                    base_offset: ok.base_offset,
                };
            }
            Ok(BrokerResponse::Produce(Err(error))) => {
                tracing::debug!(client = %context.client, partition, broker = leader.broker, %error, "produce failed");
                attempts.answered_with(history_error(&error));
                if !error.is_retriable() {
                    let cause = format!("{error} is not retriable");
                    return Delivery::GivenUp(attempts.give_up(&cause, started.elapsed()));
                }
                if error.refreshes_metadata() {
                    context.cache.refresh().await;
                }
            }
            Ok(_) => attempts.answered_oddly("an answer that is not a produce answer"),
            Err(error) => {
                tracing::debug!(client = %context.client, partition, %error, "produce attempt unanswered");
                attempts.no_answer(&error);
                context.cache.refresh().await;
            }
        }
        back_off(params.retry_backoff, deadline).await;
    }
}

/// `acks=0`: sends `request` once to the leader and counts it as sent; no answer will come.
async fn send_without_answer(
    context: &ProducerContext,
    partition: u32,
    request: &BrokerRequest,
    deadline: Instant,
) -> Delivery {
    let params = &context.params;
    loop {
        if Instant::now() >= deadline {
            return Delivery::GivenUp(GivenUp::Failed(crate::workloads::ProduceError::ClientNeverSent));
        }
        let Some(leader) = context.cache.leader(&params.topic, partition).await else {
            back_off(params.retry_backoff, deadline).await;
            context.cache.refresh().await;
            continue;
        };
        let _ = context
            .rpc
            .call::<BrokerRequest, BrokerResponse>(leader.address, request, ACKS_NONE_SEND_WAIT)
            .await;
        return Delivery::SentWithoutAnswer;
    }
}

/// Sleeps `backoff`, or until `deadline` if that comes first.
pub(super) async fn back_off(backoff: Duration, deadline: Instant) {
    let until = (Instant::now() + backoff).min(deadline);
    tokio::time::sleep_until(until).await;
}

pub(super) fn broker_acks(acks: Acks) -> BrokerAcks {
    match acks {
        Acks::All => BrokerAcks::All,
        Acks::Leader => BrokerAcks::Leader,
        Acks::None => BrokerAcks::None,
    }
}
