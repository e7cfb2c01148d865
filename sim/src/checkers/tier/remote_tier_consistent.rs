//! Every offset is served by exactly one tier, with identical bytes.
//!
//! From the tier-metadata log (each offset's record with the verdict of the first broker that
//! materialised it; that every broker agrees is `tier-metadata-agreement`'s job) the checker
//! works out each partition's remote tier itself (see `remote_log.rs`): an accepted
//! `CopyStarted` serves from the tiered end of that moment (its serving start), an accepted
//! `CopyFinished` makes it serve up to its last offset and moves the tiered end past it. When
//! a `CopyFinished` is accepted it judges:
//!
//! - **One remote segment per offset.** The serving range must begin exactly at the tiered
//!   end: below it, two segments serve the same offsets (overlap); and the object must hold
//!   its serving start (otherwise the offsets between the tiered end and its base are in no
//!   segment: a gap). A `CopyFinished` for an object no accepted `CopyStarted` announced has
//!   no range at all. A `DeleteStarted` must take the oldest serving segment, or the remote
//!   tier gets a hole.
//! - **Committed data only.** The serving range must lie below the partition's high
//!   watermark (the highest a leader announced): uploading uncommitted data is a bug.
//! - **Identical bytes.** The `.log` object must be in the bucket (rebuilt from the object
//!   store's events), decode as batches, and hold, over the serving range, exactly the
//!   committed batches: same base and last offsets (batch boundaries match) and the checksum
//!   a replica reported for that batch (`BatchAppended`, the CRC-32 of the encoded batch). A
//!   later `Put` that rewrites a judged object with other bytes while its segment still
//!   serves is reported too.
//!
//! Brokers serving remote reads are held to the same ranges: a `RemoteFetchServed` must come
//! from an object that finished serving the fetched offset.
//!
//! Silent corruption is not this checker's business: an object the world corrupted (a
//! `Corrupted` event) before its `CopyFinished` was accepted is not judged, and corruption
//! after the judgement is ignored. Finding and repairing corrupt objects is the durability
//! audits' job, and a scenario that injects corruption must not fail here for it.
//!
//! Memory: the tier-metadata records' effects, each partition's committed batches above its
//! tiered end, and the bytes of segment objects not yet judged (shared with the trace).

use std::collections::BTreeMap;

use korasim_core::broker::log::RecordBatch;
use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;
use korasim_core::tier::keys::segment_key;

use super::batches::{CommittedAt, CommittedBatches, PartitionBatches};
use super::bucket::{parse_tier_key, Bucket, BucketChange};
use super::remote_log::{Change, RemoteLogs, Upload};
use super::tier_log::{TierEntry, TierLog};
use super::violation::{BatchSeen, BytesMismatch, TierViolation};
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "remote-tier-consistent";

/// The remote tier as records made it, the bucket, and the committed batches to compare.
#[derive(Debug)]
pub struct RemoteTierConsistent {
    tier_log: TierLog,
    remote: RemoteLogs,
    bucket: Bucket,
    batches: CommittedBatches,
    /// The checksum of every judged `.log` object's bytes, by key.
    judged: BTreeMap<String, u32>,
}

impl Default for RemoteTierConsistent {
    fn default() -> Self {
        RemoteTierConsistent {
            tier_log: TierLog::default(),
            remote: RemoteLogs::default(),
            bucket: Bucket::keeping_segment_bodies(),
            batches: CommittedBatches::default(),
            judged: BTreeMap::new(),
        }
    }
}

impl RemoteTierConsistent {
    pub fn new() -> Self {
        Self::default()
    }

    fn apply(&mut self, entry: &TraceEntry, tier_entry: TierEntry) -> Vec<Violation> {
        let TierEntry {
            record_at,
            record,
            accepted,
            ..
        } = tier_entry;
        let Some(change) = self.remote.apply(&record, accepted, record_at, entry.at) else {
            return Vec::new();
        };
        let (topic, partition) = (record.topic.as_str(), record.partition);
        let violation = |violation| vec![Violation::Tier(violation)];
        match change {
            Change::FinishedUnknown { object_id } => violation(TierViolation::RemoteSegmentNeverStarted {
                at: entry.at,
                topic: topic.to_string(),
                partition,
                object_id,
                record_at,
            }),
            Change::DeleteStarted {
                object_id,
                older_serving: Some(older_object_id),
            } => violation(TierViolation::RemoteSegmentDeletedOutOfOrder {
                at: entry.at,
                topic: topic.to_string(),
                partition,
                object_id,
                record_at,
                older_object_id,
            }),
            Change::DeleteStarted { .. } => Vec::new(),
            Change::Finished {
                object_id,
                tiered_end_before,
            } => {
                let upload = self
                    .remote
                    .upload(topic, partition, &object_id)
                    .expect("a finished upload is known")
                    .clone();
                let scene = Scene {
                    entry,
                    topic,
                    partition,
                    object_id: &object_id,
                    record_at,
                };
                let mut found: Vec<TierViolation> =
                    scene.range(&upload, tiered_end_before).into_iter().collect();
                found.extend(self.judge_bytes(&scene, &upload));
                let tiered_end = self
                    .remote
                    .partition(topic, partition)
                    .map_or(0, |remote| remote.tiered_end());
                if let Some(batches) = self.batches.partition_mut(topic, partition) {
                    batches.forget_below(tiered_end);
                }
                found.into_iter().map(Violation::Tier).collect()
            }
        }
    }

    /// Judges the finished object's bytes (and that its range is committed).
    fn judge_bytes(&mut self, scene: &Scene<'_>, upload: &Upload) -> Option<TierViolation> {
        let (serving_start, last_offset) = upload.serving_range()?;
        let empty = PartitionBatches::default();
        let batches = self
            .batches
            .partition(scene.topic, scene.partition)
            .unwrap_or(&empty);
        if last_offset >= batches.high_watermark() {
            return Some(TierViolation::RemoteSegmentAboveHighWatermark {
                at: scene.entry.at,
                topic: scene.topic.to_string(),
                partition: scene.partition,
                object_id: scene.object_id.to_string(),
                record_at: scene.record_at,
                last_offset,
                high_watermark: batches.high_watermark(),
            });
        }
        let key = segment_key(scene.topic, scene.partition, scene.object_id);
        let Some(object) = self.bucket.get(&key) else {
            return Some(TierViolation::RemoteObjectAbsent {
                at: scene.entry.at,
                topic: scene.topic.to_string(),
                partition: scene.partition,
                object_id: scene.object_id.to_string(),
                record_at: scene.record_at,
                key,
            });
        };
        if object.corrupted {
            return None;
        }
        let body = object.body.clone()?;
        let mismatch = mismatch(&body, serving_start, last_offset, batches);
        self.judged.insert(key.clone(), crc32fast::hash(&body));
        self.bucket.forget_body(&key);
        mismatch.map(|mismatch| TierViolation::RemoteBytesDiffer {
            at: scene.entry.at,
            topic: scene.topic.to_string(),
            partition: scene.partition,
            object_id: scene.object_id.to_string(),
            record_at: scene.record_at,
            key,
            serving_start,
            last_offset,
            mismatch,
        })
    }

    /// A `Put` of a judged object whose segment still serves must bring the same bytes.
    fn rewritten(&mut self, entry: &TraceEntry, key: &str) -> Option<Violation> {
        let checksum_before = *self.judged.get(key)?;
        let body = self.bucket.get(key)?.body.clone()?;
        self.bucket.forget_body(key);
        let tier_key = parse_tier_key(key)?;
        let serving = self
            .remote
            .upload(tier_key.topic, tier_key.partition, tier_key.object_id)
            .is_some_and(Upload::serving);
        let checksum_after = crc32fast::hash(&body);
        if !serving || checksum_after == checksum_before {
            return None;
        }
        self.judged.insert(key.to_string(), checksum_after);
        Some(Violation::Tier(TierViolation::RemoteObjectRewritten {
            at: entry.at,
            topic: tier_key.topic.to_string(),
            partition: tier_key.partition,
            object_id: tier_key.object_id.to_string(),
            key: key.to_string(),
            checksum_before,
            checksum_after,
        }))
    }

    fn remote_fetch(
        &self,
        entry: &TraceEntry,
        broker: BrokerId,
        topic: &str,
        partition: u32,
        fetch_offset: u64,
        object_id: &str,
    ) -> Option<Violation> {
        let serving = self
            .remote
            .upload(topic, partition, object_id)
            .filter(|upload| upload.finished.is_some())
            .and_then(Upload::serving_range);
        if serving.is_some_and(|(start, last)| (start..=last).contains(&fetch_offset)) {
            return None;
        }
        Some(Violation::Tier(TierViolation::RemoteFetchOutsideSegment {
            at: entry.at,
            broker,
            topic: topic.to_string(),
            partition,
            object_id: object_id.to_string(),
            fetch_offset,
            serving,
        }))
    }
}

/// Where and when a finished segment is judged.
struct Scene<'a> {
    entry: &'a TraceEntry,
    topic: &'a str,
    partition: u32,
    object_id: &'a str,
    record_at: super::violation::RecordAt,
}

impl Scene<'_> {
    /// Judges the serving range against the tiered end before the segment finished.
    fn range(&self, upload: &Upload, tiered_end_before: u64) -> Option<TierViolation> {
        let serving_start = upload.serving_start;
        if serving_start < tiered_end_before || upload.last_offset < serving_start {
            return Some(TierViolation::RemoteSegmentOverlaps {
                at: self.entry.at,
                topic: self.topic.to_string(),
                partition: self.partition,
                object_id: self.object_id.to_string(),
                record_at: self.record_at,
                serving_start,
                last_offset: upload.last_offset,
                tiered_end: tiered_end_before,
            });
        }
        if upload.base_offset > serving_start {
            return Some(TierViolation::RemoteSegmentGap {
                at: self.entry.at,
                topic: self.topic.to_string(),
                partition: self.partition,
                object_id: self.object_id.to_string(),
                record_at: self.record_at,
                serving_start,
                base_offset: upload.base_offset,
            });
        }
        None
    }
}

/// How `body` differs from the committed batches over `serving_start..=last_offset`, if it
/// does. Batches before the serving range are not looked at beyond decoding them; batches
/// below what `batches` remembers are checked for their boundaries only.
fn mismatch(
    body: &[u8],
    serving_start: u64,
    last_offset: u64,
    batches: &PartitionBatches,
) -> Option<BytesMismatch> {
    let mut position = 0;
    let mut next_offset = serving_start;
    let mut started = false;
    while next_offset <= last_offset {
        if position >= body.len() {
            return Some(BytesMismatch::EndsEarly { next_offset });
        }
        let (batch, size) = match RecordBatch::decode_prefix(&body[position..]) {
            Ok(decoded) => decoded,
            Err(error) => {
                return Some(BytesMismatch::Undecodable {
                    byte_offset: position as u64,
                    next_offset,
                    error: error.to_string(),
                })
            }
        };
        let found = BatchSeen {
            base_offset: batch.base_offset,
            last_offset: batch.last_offset(),
            checksum: crc32fast::hash(&body[position..position + size]),
        };
        position += size;
        if found.last_offset < serving_start {
            continue;
        }
        if found.base_offset > next_offset {
            return Some(BytesMismatch::Gap {
                next_offset,
                found_base_offset: found.base_offset,
            });
        }
        if started && found.base_offset < next_offset {
            return Some(BytesMismatch::Overlap { next_offset, found });
        }
        if found.last_offset > last_offset {
            return Some(BytesMismatch::PastLastOffset { found });
        }
        match batches.committed_at(found.base_offset, found.last_offset) {
            CommittedAt::Forgotten => {}
            CommittedAt::Batch(committed) if committed == found => {}
            CommittedAt::Batch(committed) => {
                return Some(BytesMismatch::BatchDiffers {
                    found,
                    committed: Some(committed),
                })
            }
            CommittedAt::None => {
                return Some(BytesMismatch::BatchDiffers {
                    found,
                    committed: None,
                })
            }
        }
        started = true;
        next_offset = found.last_offset + 1;
    }
    None
}

impl Checker for RemoteTierConsistent {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let event = match &entry.kind {
            TraceKind::Node(event) => event,
            TraceKind::ObjectStore(event) => {
                return match self.bucket.apply(event, entry.at) {
                    Some(BucketChange::Put(key)) => {
                        let found = self.rewritten(entry, key);
                        found.into_iter().collect()
                    }
                    _ => Vec::new(),
                };
            }
            _ => return Vec::new(),
        };
        if self.batches.observe(event) {
            return Vec::new();
        }
        if let Event::RemoteFetchServed {
            broker,
            topic,
            partition,
            fetch_offset,
            object_id,
            ..
        } = event
        {
            return self
                .remote_fetch(entry, *broker, topic, *partition, *fetch_offset, object_id)
                .into_iter()
                .collect();
        }
        match self.tier_log.observe(event, entry.at) {
            Some(tier_entry) => self.apply(entry, tier_entry),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
#[path = "remote_tier_consistent_tests.rs"]
mod tests;
