//! Local retention on every replica, leader or follower: a segment is deleted from the disk
//! only when it is tiered (every offset in it below the tiered end, which this broker knows
//! only from committed `CopyFinished` records) and local retention wants it gone: the local
//! log is over `local_retention_bytes`, or the segment's newest batch is older than
//! `local_retention`. Oldest first, never the active segment.

use std::sync::Arc;

use super::super::partition::Partition;
use super::super::ReplicaManager;
use super::{is_tiered_topic, wall_clock_ms, Tiering};
use crate::observe::Event;

impl ReplicaManager {
    pub(super) async fn retain_locally_periodically(self: Arc<Self>) {
        let Some(tiering) = self.tiering().cloned() else {
            return;
        };
        loop {
            tokio::time::sleep(tiering.params.archive_check_interval).await;
            // Buggify: a retention round skipped: the local log grows past its limits for a
            // while and the next round must catch up.
            if crate::buggify!() {
                continue;
            }
            for partition in self.all_partitions() {
                if is_tiered_topic(&partition.topic) {
                    self.retain_locally(&tiering, &partition).await;
                }
            }
        }
    }

    async fn retain_locally(&self, tiering: &Tiering, partition: &Partition) {
        let tiered_end_offset = tiering
            .partition_state(&partition.topic, partition.partition)
            .tiered_end_offset();
        if tiered_end_offset == 0 {
            return;
        }
        let mut replica = partition.replica.lock().await;
        let Some(log) = replica.log.as_mut() else { return };
        let now_ms = wall_clock_ms();
        let local_retention_ms = tiering.params.local_retention.as_millis() as u64;
        let mut remaining_bytes = log.size_bytes();
        let mut deleted = Vec::new();
        for segment in log.rolled_segments() {
            let tiered = segment.last_offset < tiered_end_offset;
            let over_size = remaining_bytes > tiering.params.local_retention_bytes;
            let too_old = segment
                .max_batch_timestamp_ms
                .is_some_and(|newest_ms| now_ms.saturating_sub(newest_ms) > local_retention_ms);
            if !tiered || !(over_size || too_old) {
                break;
            }
            remaining_bytes -= segment.size_bytes;
            deleted.push((segment.base_offset, segment.last_offset));
        }
        let Some(&(_, last_offset)) = deleted.last() else {
            return;
        };
        let log_start_before = log.log_start_offset();
        match log.delete_segments_before(last_offset + 1).await {
            Ok(log_start_offset) => {
                self.record(Event::LocalSegmentsDeleted {
                    broker: self.broker,
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    segments: deleted,
                    log_start_offset,
                });
                self.record(Event::AuditLogStartChanged {
                    broker: self.broker,
                    topic: partition.topic.clone(),
                    partition: partition.partition,
                    from: log_start_before,
                    to: log_start_offset,
                    cause: crate::broker::audit::rules::LogStartCause::LocalRetention { tiered_end_offset },
                });
            }
            Err(error) => {
                tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "local retention failed");
            }
        }
    }
}
