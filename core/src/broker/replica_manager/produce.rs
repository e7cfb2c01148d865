//! The leader's produce path: append, then acknowledge as `acks` asks.
//!
//! - `acks=0`: append and send no answer.
//! - `acks=1`: answer once the batch is in the leader's log (not yet on disk, not yet on any
//!   follower: a failover may lose it, as in Kafka).
//! - `acks=all`: refuse with `NOT_ENOUGH_REPLICAS` before appending while the ISR is below
//!   `min_insync_replicas`; after appending, answer only once the high watermark has passed
//!   the batch, i.e. every ISR member has it. If the ISR falls below min ISR while waiting the
//!   answer is `NOT_ENOUGH_REPLICAS_AFTER_APPEND`; if the leader loses leadership,
//!   `NOT_LEADER_OR_FOLLOWER`; if neither happens within the request's timeout,
//!   `REQUEST_TIMED_OUT`. None of these three says the batch is absent.
//! - An idempotent producer's retry of a batch the log has is not written again; it is
//!   answered with the original offsets, after the same wait for `acks=all`.

use std::time::Duration;

use super::super::data_protocol::{Acks, ProduceError, ProduceOk};
use super::super::log::{LeaderAppend, LogError, ProducerInfo, Record, RecordBatch};
use super::super::replication::Completion;
use super::partition::Role;
use super::ReplicaManager;

/// A produce request as the leader handles it.
pub(super) struct ProduceRequest {
    pub topic: String,
    pub partition: u32,
    pub acks: Acks,
    pub producer: ProducerInfo,
    pub records: Vec<Record>,
    pub timeout: Duration,
}

impl ReplicaManager {
    /// Appends and waits as `acks` asks. `None` for `acks=0` (no answer is sent).
    pub(super) async fn produce(&self, request: ProduceRequest) -> Option<Result<ProduceOk, ProduceError>> {
        let acks = request.acks;
        let outcome = self.append_and_wait(request).await;
        (acks != Acks::None).then_some(outcome)
    }

    async fn append_and_wait(&self, request: ProduceRequest) -> Result<ProduceOk, ProduceError> {
        let deadline = tokio::time::Instant::now() + request.timeout;
        let Some(partition) = self.partition(&request.topic, request.partition) else {
            return Err(ProduceError::UnknownTopicOrPartition);
        };
        let (leader_epoch, appended) = {
            let mut replica = partition.replica.lock().await;
            // Buggify: a slow local append (page cache pressure) holds the partition: fetches
            // and other produces queue behind it, and the request may outlive its leadership.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(Duration::from_millis(300))).await;
            }
            let replica = &mut *replica;
            let ineligible = self.isr_ineligible(&replica.suspects);
            let Role::Leader(leader) = &mut replica.role else {
                return Err(ProduceError::NotLeaderOrFollower);
            };
            let Some(log) = replica.log.as_mut() else {
                return Err(ProduceError::KafkaStorageError);
            };
            if request.acks == Acks::All && leader.check_before_append().is_err() {
                return Err(ProduceError::NotEnoughReplicas);
            }
            let leader_epoch = leader.leader_epoch();
            let timestamp_ms = super::tiering::wall_clock_ms();
            let records_for_event = request.records.clone();
            let appended = log
                .append_as_leader(request.records, leader_epoch, request.producer, timestamp_ms)
                .await
                .map_err(produce_error)?;
            if let LeaderAppend::Appended { base_offset, .. } = appended {
                let batch = RecordBatch {
                    base_offset,
                    leader_epoch,
                    producer: request.producer,
                    create_timestamp_ms: timestamp_ms,
                    records: records_for_event,
                };
                self.batch_appended(&partition, &batch);
                // With a one-member ISR (and min ISR 1) the leader alone commits, unless a
                // caught-up follower outside the ISR may join it: the HW waits for that one.
                let now = self.now();
                if let Some(high_watermark) =
                    leader.maybe_advance_high_watermark(log.log_end_offset(), now, &ineligible)
                {
                    self.high_watermark_advanced(&partition, leader_epoch, high_watermark);
                }
            }
            (leader_epoch, appended)
        };
        // Followers long-polling for data wake up now.
        partition.notify();
        let offsets = ProduceOk {
            base_offset: appended.base_offset(),
            last_offset: appended.last_offset(),
        };
        if request.acks != Acks::All {
            return Ok(offsets);
        }
        loop {
            let next_change = partition.next_change();
            {
                let replica = partition.replica.lock().await;
                let Role::Leader(leader) = &replica.role else {
                    return Err(ProduceError::NotLeaderOrFollower);
                };
                if leader.leader_epoch() != leader_epoch {
                    return Err(ProduceError::NotLeaderOrFollower);
                }
                match leader.append_can_complete(offsets.last_offset) {
                    // Buggify: replicated, but answered as timed out (the completion raced
                    // the request's deadline): the producer must treat it as unknown and its
                    // retry must not append the records twice.
                    Completion::Done if crate::buggify!() => return Err(ProduceError::RequestTimedOut),
                    Completion::Done => return Ok(offsets),
                    Completion::NotEnoughReplicas => return Err(ProduceError::NotEnoughReplicasAfterAppend),
                    Completion::Wait => {}
                }
            }
            if tokio::time::timeout(
                deadline.saturating_duration_since(tokio::time::Instant::now()),
                next_change,
            )
            .await
            .is_err()
            {
                return Err(ProduceError::RequestTimedOut);
            }
        }
    }
}

fn produce_error(error: LogError) -> ProduceError {
    match error {
        LogError::OutOfOrderSequence { .. } => ProduceError::OutOfOrderSequence,
        LogError::ProducerFenced { .. } => ProduceError::InvalidProducerEpoch,
        LogError::InvalidProducerInfo { .. } | LogError::EmptyBatch => ProduceError::CorruptMessage,
        LogError::StaleLeaderEpoch { .. } => ProduceError::NotLeaderOrFollower,
        _ => ProduceError::KafkaStorageError,
    }
}
