//! The archiver: one task per partition this broker leads, for as long as it leads it in one
//! role generation (Confluent's `TierArchiver`).
//!
//! 1. Until the tier epoch is this leader's, write `InitLeader` (fencing whatever an earlier
//!    leader was still uploading). A newer tier epoch means a newer leader: stop.
//! 2. Upload the oldest rolled segment that reaches past the tiered end and lies wholly
//!    below the high watermark (uncommitted data may still be truncated away, so it is never
//!    uploaded): `CopyStarted` (committed before the object is written, so every object was
//!    announced), the index and segment objects, `CopyFinished`.
//! 3. Otherwise delete remote segments past total retention, and now and then look for
//!    orphaned objects.

use std::sync::Arc;

use rand::Rng;
use tokio::time::Instant;

use super::super::super::log::RolledSegment;
use super::super::partition::{Partition, Role};
use super::super::ReplicaManager;
use super::Tiering;
use crate::observe::Event;
use crate::tier::keys::{index_key, segment_key};
use crate::tier::{SegmentIndex, TierPartitionState, TierRecord, TierRecordKind};

/// What is waiting to be uploaded, as reported in [`Event::UploadBacklog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Backlog {
    segments: u32,
    bytes: u64,
}

impl ReplicaManager {
    pub(in super::super) async fn archive(
        self: Arc<Self>,
        partition: Arc<Partition>,
        generation: u64,
        leader_epoch: u64,
    ) {
        let Some(tiering) = self.tiering().cloned() else {
            return;
        };
        let mut reported_backlog: Option<Backlog> = None;
        let mut next_orphan_check = Instant::now() + tiering.params.orphan_check_interval;
        loop {
            if !self.still_leading(&partition, generation).await {
                return;
            }
            let state = tiering.partition_state(&partition.topic, partition.partition);
            match state.tier_epoch() {
                Some(tier_epoch) if tier_epoch > leader_epoch => return,
                Some(tier_epoch) if tier_epoch == leader_epoch => {}
                _ => {
                    let init = self.tier_record(&partition, leader_epoch, TierRecordKind::InitLeader);
                    if self
                        .publish_tier_record(&tiering, &partition, generation, init)
                        .await
                        .is_none()
                    {
                        return;
                    }
                    continue;
                }
            }
            let Some((candidate, backlog)) =
                self.next_segment_to_upload(&partition, generation, &state).await
            else {
                return;
            };
            if reported_backlog != Some(backlog) {
                reported_backlog = Some(backlog);
                self.record(Event::UploadBacklog {
                    broker: self.broker,
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    leader_epoch,
                    segments: backlog.segments,
                    bytes: backlog.bytes,
                });
            }
            if let Some(segment) = candidate {
                if self
                    .upload_segment(&tiering, &partition, generation, leader_epoch, segment)
                    .await
                    .is_none()
                {
                    return;
                }
                continue;
            }
            match self
                .delete_expired_remote_segment(&tiering, &partition, generation, leader_epoch, &state)
                .await
            {
                None => return,
                Some(true) => continue,
                Some(false) => {}
            }
            if Instant::now() >= next_orphan_check {
                self.collect_orphans(&tiering, &partition, &state).await;
                next_orphan_check = Instant::now() + tiering.params.orphan_check_interval;
            }
            tokio::time::sleep(tiering.params.archive_check_interval).await;
            // Buggify: an archiver round late (the uploader pool busy): segments wait longer
            // for their copy, and local retention must keep them meanwhile.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(
                    tiering.params.archive_check_interval * 4,
                ))
                .await;
            }
        }
    }

    pub(super) fn tier_record(
        &self,
        partition: &Partition,
        leader_epoch: u64,
        kind: TierRecordKind,
    ) -> TierRecord {
        TierRecord {
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch,
            kind,
        }
    }

    /// The next segment to upload (if one is ready) and the backlog; `None` when this broker
    /// no longer leads.
    async fn next_segment_to_upload(
        &self,
        partition: &Partition,
        generation: u64,
        state: &TierPartitionState,
    ) -> Option<(Option<RolledSegment>, Backlog)> {
        let replica = partition.replica.lock().await;
        if replica.generation != generation {
            return None;
        }
        let Role::Leader(leader) = &replica.role else {
            return None;
        };
        let high_watermark = leader.high_watermark();
        let log = replica.log.as_ref()?;
        let tiered_end_offset = state.tiered_end_offset();
        let waiting: Vec<RolledSegment> = log
            .rolled_segments()
            .into_iter()
            .filter(|segment| segment.last_offset >= tiered_end_offset)
            .collect();
        let backlog = Backlog {
            segments: waiting.len() as u32,
            bytes: waiting.iter().map(|segment| segment.size_bytes).sum(),
        };
        let candidate = waiting
            .into_iter()
            .next()
            .filter(|segment| segment.last_offset < high_watermark);
        if let Some(segment) = &candidate {
            if segment.base_offset > tiered_end_offset {
                // Offsets between the tiered end and this segment are in neither tier: the
                // tier state would refuse the upload, so do not ask.
                tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition,
                    base_offset = segment.base_offset, tiered_end_offset, "gap before the next segment to tier");
                return Some((None, backlog));
            }
        }
        Some((candidate, backlog))
    }

    /// Uploads one segment under a new object id. `None` when this broker stopped leading.
    async fn upload_segment(
        &self,
        tiering: &Tiering,
        partition: &Partition,
        generation: u64,
        leader_epoch: u64,
        segment: RolledSegment,
    ) -> Option<()> {
        let object_id = format!(
            "{:020}-{leader_epoch}-{:016x}",
            segment.base_offset,
            madsim::rand::thread_rng().gen::<u64>()
        );
        let started = TierRecordKind::CopyStarted {
            object_id: object_id.clone(),
            base_offset: segment.base_offset,
            last_offset: segment.last_offset,
            size_bytes: segment.size_bytes,
            max_timestamp_ms: segment.max_batch_timestamp_ms.unwrap_or(0),
        };
        let record = self.tier_record(partition, leader_epoch, started);
        self.publish_tier_record(tiering, partition, generation, record)
            .await?;
        let state = tiering.partition_state(&partition.topic, partition.partition);
        if state.in_progress().map(|upload| upload.object_id.as_str()) != Some(object_id.as_str()) {
            // Refused (fenced, or the tiered log moved on): look again.
            return Some(());
        }
        let data = {
            let replica = partition.replica.lock().await;
            if replica.generation != generation {
                return None;
            }
            match replica
                .log
                .as_ref()?
                .read_segment_bytes(segment.base_offset)
                .await
            {
                Ok(data) => data,
                Err(error) => {
                    tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "cannot read a segment to tier");
                    tokio::time::sleep(tiering.params.upload_backoff_max).await;
                    return Some(());
                }
            }
        };
        let index = SegmentIndex {
            batches: segment.batches.clone(),
        };
        let (topic, number) = (&partition.topic, partition.partition);
        let uploaded = match self
            .put_with_retries(tiering, &index_key(topic, number, &object_id), index.encode())
            .await
        {
            Ok(()) => {
                self.put_with_retries(tiering, &segment_key(topic, number, &object_id), data)
                    .await
            }
            failed => failed,
        };
        if let Err(failure) = uploaded {
            self.record(Event::UploadAbandoned {
                broker: self.broker,
                topic: topic.clone(),
                partition: number,
                object_id,
                attempts: failure.attempts,
                error: failure.error.to_string(),
            });
            tokio::time::sleep(tiering.params.upload_backoff_max).await;
            return Some(());
        }
        let finished = TierRecordKind::CopyFinished { object_id };
        let record = self.tier_record(partition, leader_epoch, finished);
        self.publish_tier_record(tiering, partition, generation, record)
            .await
    }
}
