//! The leader serving fetches and `OffsetsForLeaderEpoch`.
//!
//! - A **follower's** fetch offset is its log end: the leader records it (which may move the
//!   high watermark) and returns batches up to its own log end.
//! - A **consumer** gets only batches below the high watermark: records not yet on every
//!   ISR member may still be truncated away by a failover, and a consumer must never see a
//!   record that later disappears.
//! - With nothing to return, the request waits up to its `max_wait` for the log or the high
//!   watermark to move (a long poll), so that idle followers do not spin.
//! - The requester's leader epoch (KIP-320) must match: older is `FENCED_LEADER_EPOCH` (the
//!   requester's metadata is stale), newer is `UNKNOWN_LEADER_EPOCH` (ours is).

use std::time::Duration;

use super::super::data_protocol::{FetchError, FetchOk};
use super::super::log::{EpochEndOffset, LogError};
use super::super::replication::{FetchError as FollowerFetchError, LeaderState};
use super::partition::Role;
use super::tiering::RemoteFetch;
use super::ReplicaManager;
use crate::metadata::BrokerId;

/// A fetch as the leader handles it.
pub(super) struct FetchRequest {
    pub topic: String,
    pub partition: u32,
    pub fetch_offset: u64,
    pub max_bytes: u64,
    pub current_leader_epoch: Option<u64>,
    pub replica: Option<BrokerId>,
    pub max_wait: Duration,
}

impl ReplicaManager {
    pub(super) async fn fetch(&self, request: FetchRequest) -> Result<FetchOk, FetchError> {
        let deadline = tokio::time::Instant::now() + request.max_wait;
        let Some(partition) = self.partition(&request.topic, request.partition) else {
            return Err(FetchError::UnknownTopicOrPartition);
        };
        let mut follower_recorded = false;
        loop {
            let next_change = partition.next_change();
            let remote = 'look: {
                let mut replica = partition.replica.lock().await;
                let replica = &mut *replica;
                let Role::Leader(leader) = &mut replica.role else {
                    return Err(FetchError::NotLeaderOrFollower);
                };
                check_leader_epoch(leader, request.current_leader_epoch)?;
                let Some(log) = replica.log.as_ref() else {
                    return Err(FetchError::KafkaStorageError);
                };
                let log_start_offset = log.log_start_offset();
                let log_end_offset = log.log_end_offset();
                if let Some(follower) = request.replica.filter(|_| !follower_recorded) {
                    follower_recorded = true;
                    // A follower an audit found corrupt has rebuilt once it fetches from at or
                    // below its first untrusted offset: it may rejoin the ISR when caught up.
                    if replica
                        .suspects
                        .get(&follower)
                        .is_some_and(|keep_below| request.fetch_offset <= *keep_below)
                    {
                        replica.suspects.remove(&follower);
                    }
                    let now = self.now();
                    leader
                        .record_follower_fetch(follower, request.fetch_offset, log_end_offset, now)
                        .map_err(|error| match error {
                            FollowerFetchError::UnknownReplica(_) => FetchError::NotLeaderOrFollower,
                            FollowerFetchError::OffsetOutOfRange { .. } => FetchError::OffsetOutOfRange {
                                log_start_offset,
                                log_end_offset,
                            },
                        })?;
                    let ineligible = self.isr_ineligible(&replica.suspects);
                    if let Some(high_watermark) =
                        leader.maybe_advance_high_watermark(log_end_offset, now, &ineligible)
                    {
                        self.high_watermark_advanced(&partition, leader.leader_epoch(), high_watermark);
                        partition.notify();
                    }
                }
                if request.fetch_offset < log_start_offset
                    && request.replica.is_none()
                    && self.serves_remotely(&request.topic)
                {
                    // Below the local log: the object store has it (or nothing does).
                    let remote = RemoteFetch {
                        topic: request.topic.clone(),
                        partition: request.partition,
                        fetch_offset: request.fetch_offset,
                        max_bytes: request.max_bytes,
                        high_watermark: leader.high_watermark(),
                        log_end_offset,
                    };
                    break 'look Some(remote);
                }
                if request.fetch_offset < log_start_offset || request.fetch_offset > log_end_offset {
                    return Err(FetchError::OffsetOutOfRange {
                        log_start_offset,
                        log_end_offset,
                    });
                }
                let high_watermark = leader.high_watermark();
                let visible_end = match request.replica {
                    Some(_) => log_end_offset,
                    None => high_watermark,
                };
                // A consumer is told where the whole log starts, across both tiers; a follower
                // where the local log does (it copies only the local hot set).
                let reported_log_start_offset = match request.replica {
                    None => self.log_start_across_tiers(&request.topic, request.partition, log_start_offset),
                    Some(_) => log_start_offset,
                };
                let answer = |batches| FetchOk {
                    high_watermark,
                    log_start_offset: reported_log_start_offset,
                    log_end_offset,
                    batches,
                };
                // Buggify: data there but the answer empty (a fetch session's throttled or
                // cut-short answer); the fetcher must simply ask again.
                if request.fetch_offset < visible_end && crate::buggify!() {
                    return Ok(answer(Vec::new()));
                }
                if request.fetch_offset < visible_end {
                    let mut batches = log
                        .read(request.fetch_offset, request.max_bytes)
                        .await
                        .map_err(fetch_error)?;
                    batches.retain(|batch| batch.base_offset < visible_end);
                    // Buggify: only the first batch fits (a small `max_bytes`): the fetcher
                    // must continue from where this answer ends, not from the log end.
                    if crate::buggify!() {
                        batches.truncate(1);
                    }
                    return Ok(answer(batches));
                }
                if tokio::time::Instant::now() >= deadline {
                    return Ok(answer(Vec::new()));
                }
                None
            };
            if let Some(remote) = remote {
                return self.fetch_remote(remote).await;
            }
            if tokio::time::timeout(
                deadline.saturating_duration_since(tokio::time::Instant::now()),
                next_change,
            )
            .await
            .is_err()
            {
                // One last look, then answer empty.
                continue;
            }
        }
    }

    /// Where `leader_epoch` ends in this leader's log (KIP-101, KIP-279).
    pub(super) async fn offsets_for_leader_epoch(
        &self,
        topic: &str,
        partition: u32,
        current_leader_epoch: u64,
        leader_epoch: u64,
    ) -> Result<Option<EpochEndOffset>, FetchError> {
        let Some(partition) = self.partition(topic, partition) else {
            return Err(FetchError::UnknownTopicOrPartition);
        };
        let replica = partition.replica.lock().await;
        let Role::Leader(leader) = &replica.role else {
            return Err(FetchError::NotLeaderOrFollower);
        };
        check_leader_epoch(leader, Some(current_leader_epoch))?;
        let log = replica.log.as_ref().ok_or(FetchError::KafkaStorageError)?;
        Ok(log.end_offset_for_epoch(leader_epoch))
    }
}

fn check_leader_epoch(leader: &LeaderState, current_leader_epoch: Option<u64>) -> Result<(), FetchError> {
    match current_leader_epoch {
        Some(epoch) if epoch < leader.leader_epoch() => Err(FetchError::FencedLeaderEpoch),
        Some(epoch) if epoch > leader.leader_epoch() => Err(FetchError::UnknownLeaderEpoch),
        _ => Ok(()),
    }
}

fn fetch_error(error: LogError) -> FetchError {
    match error {
        LogError::OffsetOutOfRange {
            log_start_offset,
            log_end_offset,
            ..
        } => FetchError::OffsetOutOfRange {
            log_start_offset,
            log_end_offset,
        },
        LogError::CorruptBatch { .. } => FetchError::CorruptMessage,
        _ => FetchError::KafkaStorageError,
    }
}
