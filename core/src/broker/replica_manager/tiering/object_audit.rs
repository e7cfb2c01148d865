//! The object-store audit of a tiered partition, run by its leader from the audit task.
//!
//! Each round downloads up to `max_audit_objects_per_round` finished remote segments (a
//! cursor walks them, wrapping to the oldest, so every object is checked again and again) and
//! judges each with [`judge_segment_object`]: whole batches passing their CRCs, exactly the
//! offsets the record names, and byte-identical to the leader's local copy when the leader
//! still holds the range. A corrupt object is reported (`AuditObjectCorrupt`). When the range
//! is still local, the object is written again under its own key from the local batches,
//! which rebuild it byte for byte (an object is the segment's batches as stored, and committed
//! batches are identical on every replica), so the tier metadata needs no change and no offset
//! is ever served by two objects; the rewrite is read back and checked before it counts as
//! repaired (`AuditObjectRepaired`). Otherwise no copy is left anywhere and the event flags it
//! as unrepairable.

use bytes::Bytes;

use super::super::partition::{Partition, Role};
use super::super::ReplicaManager;
use super::{lock, Tiering};
use crate::broker::audit::objects::{judge_segment_object, ObjectVerdict};
use crate::observe::Event;
use crate::tier::keys::segment_key;
use crate::tier::{SegmentState, TieredSegment};

impl ReplicaManager {
    /// Audits the next remote segments of `partition` if this broker leads it; `next_offset`
    /// is the audit's cursor (a base offset).
    pub(in super::super) async fn audit_remote_segments(&self, partition: &Partition, next_offset: &mut u64) {
        let Some(tiering) = self.tiering().cloned() else {
            return;
        };
        if !self.serves_remotely(&partition.topic) {
            return;
        }
        // A leader its own audit convicted does not judge (or rewrite) objects from its
        // untrusted copy; its successor will.
        if !self.still_leads_untainted(partition).await {
            return;
        }
        let state = tiering.partition_state(&partition.topic, partition.partition);
        let finished: Vec<TieredSegment> = state
            .segments()
            .filter(|segment| segment.state == SegmentState::CopyFinished)
            .cloned()
            .collect();
        if finished.is_empty() {
            return;
        }
        let start = finished
            .iter()
            .position(|segment| segment.base_offset >= *next_offset)
            .unwrap_or(0);
        let count = self.params.audit.max_audit_objects_per_round.min(finished.len());
        for index in 0..count {
            let segment = &finished[(start + index) % finished.len()];
            self.audit_remote_segment(&tiering, partition, segment).await;
            *next_offset = segment.last_offset + 1;
        }
        if start + count >= finished.len() {
            *next_offset = 0;
        }
    }

    async fn audit_remote_segment(&self, tiering: &Tiering, partition: &Partition, segment: &TieredSegment) {
        let key = segment_key(&partition.topic, partition.partition, &segment.object_id);
        let object = match tiering.store.get(&key, None).await {
            Ok(object) => object,
            Err(error) => {
                tracing::debug!(broker = self.broker, key, %error, "audit could not read the object; next round");
                return;
            }
        };
        let local = self
            .local_batches_bytes(partition, segment.base_offset, segment.last_offset)
            .await;
        let ObjectVerdict::Corrupt(evidence) = judge_segment_object(
            &object,
            segment.base_offset,
            segment.last_offset,
            local.as_deref(),
        ) else {
            return;
        };
        tracing::warn!(
            broker = self.broker,
            key,
            evidence,
            repairable = local.is_some(),
            "durability audit found a corrupt object"
        );
        self.record(Event::AuditObjectCorrupt {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            object_id: segment.object_id.clone(),
            base_offset: segment.base_offset,
            last_offset: segment.last_offset,
            repairable: local.is_some(),
            evidence,
        });
        if let Some(local) = local {
            self.rewrite_object(tiering, partition, segment, &key, local)
                .await;
        }
    }

    /// Writes the object again from the local copy, then reads it back and checks it.
    async fn rewrite_object(
        &self,
        tiering: &Tiering,
        partition: &Partition,
        segment: &TieredSegment,
        key: &str,
        local: Bytes,
    ) {
        // The download and the local read took time: write only if this broker still leads
        // and the segment is still referenced as it was. A deposed leader, or a segment that
        // remote retention deleted meanwhile, would re-create an object nothing refers to.
        if !self.still_leads_untainted(partition).await
            || !tiering
                .partition_state(&partition.topic, partition.partition)
                .segments()
                .any(|current| current == segment)
        {
            return;
        }
        if let Err(failure) = self.put_with_retries(tiering, key, local.clone()).await {
            tracing::info!(broker = self.broker, key, error = %failure.error, "corrupt object not rewritten; the next round tries again");
            return;
        }
        // Cached reads of the corrupt bytes must not outlive the repair.
        lock(&tiering.cache).forget_prefix(key);
        let Ok(written) = tiering.store.get(key, None).await else {
            return;
        };
        if judge_segment_object(&written, segment.base_offset, segment.last_offset, Some(&local))
            != (ObjectVerdict::Intact {
                batches: written_batches(&written),
            })
        {
            return;
        }
        self.record(Event::AuditObjectRepaired {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            object_id: segment.object_id.clone(),
            key: key.to_string(),
        });
    }

    /// Whether this broker leads `partition` with a replica its own audit has not convicted.
    async fn still_leads_untainted(&self, partition: &Partition) -> bool {
        let replica = partition.replica.lock().await;
        matches!(replica.role, Role::Leader(_)) && replica.pending_rebuild.is_none()
    }

    /// The committed batches `base_offset..=last_offset` as this replica stores them, if its
    /// local log holds exactly that run of whole batches below the high watermark.
    async fn local_batches_bytes(
        &self,
        partition: &Partition,
        base_offset: u64,
        last_offset: u64,
    ) -> Option<Bytes> {
        let replica = partition.replica.lock().await;
        let log = replica.log.as_ref()?;
        if base_offset < log.log_start_offset() || last_offset >= replica.high_watermark() {
            return None;
        }
        let mut bytes = Vec::new();
        let mut next = base_offset;
        while next <= last_offset {
            let batches = log
                .read(next, self.params.audit.audit_read_chunk_bytes)
                .await
                .ok()?;
            if batches.is_empty() {
                return None;
            }
            for batch in batches {
                if batch.base_offset > last_offset {
                    break;
                }
                if batch.base_offset != next || batch.last_offset() > last_offset {
                    return None;
                }
                bytes.extend_from_slice(&batch.encode());
                next = batch.next_offset();
            }
        }
        Some(Bytes::from(bytes))
    }
}

/// How many whole batches `object` holds (for comparing verdicts).
fn written_batches(object: &[u8]) -> u32 {
    let mut position = 0;
    let mut batches = 0;
    while let Ok((_, size)) = crate::broker::log::RecordBatch::decode_prefix(&object[position..]) {
        position += size;
        batches += 1;
    }
    batches
}
