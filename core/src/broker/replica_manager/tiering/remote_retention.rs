//! Total retention: the leader deletes the oldest remote segment once it is past
//! `retention` (by its newest batch) or the remote tier is over `retention_bytes`:
//! `DeleteStarted` (from then on the segment is not served), the objects, `DeleteFinished`.
//! A deletion an earlier leader left half done is finished first.
//!
//! Only segments that are no longer on this broker's disk are deleted, so that the log start
//! never jumps past data the leader still serves locally (local retention is meant to be the
//! shorter of the two, as in Kafka).

use super::super::partition::Partition;
use super::super::ReplicaManager;
use super::{wall_clock_ms, Tiering};
use crate::tier::keys::{index_key, segment_key};
use crate::tier::{SegmentState, TierPartitionState, TierRecordKind};

impl ReplicaManager {
    /// Deletes one remote segment if one is due: `Some(true)` when it did, `Some(false)` when
    /// none was, `None` when this broker stopped leading.
    pub(super) async fn delete_expired_remote_segment(
        &self,
        tiering: &Tiering,
        partition: &Partition,
        generation: u64,
        leader_epoch: u64,
        state: &TierPartitionState,
    ) -> Option<bool> {
        let params = &tiering.params;
        if params.retention.is_none() && params.retention_bytes.is_none() {
            return Some(false);
        }
        let half_deleted = state
            .segments()
            .find(|segment| segment.state == SegmentState::DeleteStarted);
        let object_id = match half_deleted {
            Some(segment) => segment.object_id.clone(),
            None => {
                let local_log_start_offset = {
                    let replica = partition.replica.lock().await;
                    replica.log.as_ref()?.log_start_offset()
                };
                let remote_bytes: u64 = state.segments().map(|segment| segment.size_bytes).sum();
                let now_ms = wall_clock_ms();
                let Some(oldest) = state
                    .segments()
                    .find(|segment| segment.state == SegmentState::CopyFinished)
                else {
                    return Some(false);
                };
                let too_old = params.retention.is_some_and(|retention| {
                    now_ms.saturating_sub(oldest.max_timestamp_ms) > retention.as_millis() as u64
                });
                let too_big = params.retention_bytes.is_some_and(|limit| remote_bytes > limit);
                if !(too_old || too_big) || oldest.last_offset >= local_log_start_offset {
                    return Some(false);
                }
                let object_id = oldest.object_id.clone();
                let started = TierRecordKind::DeleteStarted {
                    object_id: object_id.clone(),
                };
                let record = self.tier_record(partition, leader_epoch, started);
                self.publish_tier_record(tiering, partition, generation, record)
                    .await?;
                // Applied is not accepted: a newer leader's InitLeader may have fenced the
                // record, and then the segment is still served and must not be deleted.
                let accepted = tiering
                    .partition_state(&partition.topic, partition.partition)
                    .segments()
                    .any(|segment| {
                        segment.object_id == object_id && segment.state == SegmentState::DeleteStarted
                    });
                if !accepted {
                    return Some(true);
                }
                object_id
            }
        };
        let (topic, number) = (&partition.topic, partition.partition);
        for key in [
            segment_key(topic, number, &object_id),
            index_key(topic, number, &object_id),
        ] {
            if let Err(failure) = self.delete_with_retries(tiering, &key).await {
                tracing::debug!(
                    broker = self.broker,
                    key,
                    ?failure,
                    "remote segment not deleted yet"
                );
                tokio::time::sleep(tiering.params.upload_backoff_max).await;
                return Some(true);
            }
        }
        lock_cache_forget(tiering, &segment_key(topic, number, &object_id));
        let finished = TierRecordKind::DeleteFinished { object_id };
        let record = self.tier_record(partition, leader_epoch, finished);
        self.publish_tier_record(tiering, partition, generation, record)
            .await?;
        Some(true)
    }
}

pub(super) fn lock_cache_forget(tiering: &Tiering, key: &str) {
    super::super::lock(&tiering.cache).forget_prefix(key);
}
