//! The tier state of a partition, as every broker materialises it from the committed
//! tier-metadata records (Confluent's `TierPartitionState`).
//!
//! The rules make a leader change during an upload harmless:
//!
//! - **Fencing.** `InitLeader` of a newer epoch makes that epoch the tier epoch and drops an
//!   upload in progress; every other record must carry exactly the tier epoch. A deposed
//!   leader's `CopyFinished` is therefore refused, and its object, never referenced by a
//!   finished segment, is left to the orphan collector.
//! - **One upload at a time, contiguous.** `CopyStarted` must reach past the tiered end
//!   (the offset after the last finished segment) and must not start after it (no gap). A
//!   segment may start before the tiered end (replicas roll segments at different offsets);
//!   it then serves only from the tiered end on, so no offset is ever served by two remote
//!   segments. A new `CopyStarted` replaces an unfinished one (a failed upload retried under
//!   a new object id).
//! - **Deletion in order.** `DeleteStarted` applies to the oldest finished segment only; from
//!   then on it is not served and the remote log starts after it.
//! - **Idempotent.** A record applied twice (a producer retry) changes nothing the second
//!   time.
//!
//! Everything is deterministic: ordered collections only.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::record::{TierRecord, TierRecordKind};

/// Where a tiered segment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SegmentState {
    CopyStarted,
    CopyFinished,
    DeleteStarted,
}

/// One segment of the remote tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TieredSegment {
    pub object_id: String,
    /// The first offset in the object.
    pub base_offset: u64,
    pub last_offset: u64,
    /// The first offset this segment serves: its base, or the tiered end when it was started
    /// (when it overlaps the segment before it).
    pub serving_start_offset: u64,
    pub size_bytes: u64,
    pub max_timestamp_ms: u64,
    /// The epoch of the leader that uploaded it.
    pub leader_epoch: u64,
    pub state: SegmentState,
}

/// Why a record changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum TierRejection {
    #[error("epoch {record_epoch} is older than the tier epoch {tier_epoch}")]
    Fenced { record_epoch: u64, tier_epoch: u64 },
    #[error("epoch {record_epoch} was never initialised (tier epoch {tier_epoch:?})")]
    NotInitialised {
        record_epoch: u64,
        tier_epoch: Option<u64>,
    },
    #[error("segment {base_offset}..={last_offset} does not continue the tiered log at {tiered_end_offset}")]
    NotContiguous {
        base_offset: u64,
        last_offset: u64,
        tiered_end_offset: u64,
    },
    #[error("object {object_id} is not in a state that allows this record")]
    WrongState { object_id: String },
    #[error("only the oldest segment may be deleted, not {object_id}")]
    NotOldest { object_id: String },
}

/// The tier state of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierPartitionState {
    tier_epoch: Option<u64>,
    /// Finished and delete-started segments, by serving start offset.
    segments: BTreeMap<u64, TieredSegment>,
    in_progress: Option<TieredSegment>,
    /// One past the last offset of the newest finished segment (0 when none).
    tiered_end_offset: u64,
    /// Objects whose deletion finished, so that a repeated record is recognised.
    deleted_objects: BTreeSet<String>,
}

impl TierPartitionState {
    pub fn tier_epoch(&self) -> Option<u64> {
        self.tier_epoch
    }

    /// One past the last offset held by a finished segment: every offset below it (and at or
    /// above [`Self::remote_log_start_offset`]) is in the remote tier.
    pub fn tiered_end_offset(&self) -> u64 {
        self.tiered_end_offset
    }

    /// The first offset the remote tier serves (the tiered end when it serves none).
    pub fn remote_log_start_offset(&self) -> u64 {
        self.segments
            .values()
            .find(|segment| segment.state == SegmentState::CopyFinished)
            .map(|segment| segment.serving_start_offset)
            .unwrap_or(self.tiered_end_offset)
    }

    /// Whether any segment was ever tiered (the remote log start means something).
    pub fn has_tiered_data(&self) -> bool {
        self.tiered_end_offset > 0
    }

    pub fn in_progress(&self) -> Option<&TieredSegment> {
        self.in_progress.as_ref()
    }

    /// Finished and delete-started segments, oldest first.
    pub fn segments(&self) -> impl Iterator<Item = &TieredSegment> {
        self.segments.values()
    }

    /// The finished segment that serves `offset`.
    pub fn segment_serving(&self, offset: u64) -> Option<&TieredSegment> {
        let (_, segment) = self.segments.range(..=offset).next_back()?;
        (segment.state == SegmentState::CopyFinished && offset <= segment.last_offset).then_some(segment)
    }

    /// Every object a record still points to: the store must keep them.
    pub fn referenced_objects(&self) -> BTreeSet<String> {
        self.segments
            .values()
            .chain(self.in_progress.iter())
            .map(|segment| segment.object_id.clone())
            .collect()
    }

    /// Applies one committed record.
    pub fn apply(&mut self, record: &TierRecord) -> Result<(), TierRejection> {
        let applied = self.apply_record(record);
        self.check_serving_ranges();
        applied
    }

    /// The segments serve disjoint ranges, oldest first, all below the tiered end.
    fn check_serving_ranges(&self) {
        let segments: Vec<&TieredSegment> = self.segments.values().collect();
        crate::invariant!(
            segments
                .windows(2)
                .all(|pair| pair[0].last_offset < pair[1].serving_start_offset)
                && segments
                    .iter()
                    .all(|segment| segment.serving_start_offset <= segment.last_offset
                        && segment.last_offset < self.tiered_end_offset),
            "tiered segments overlap or pass the tiered end {}: {:?}",
            self.tiered_end_offset,
            segments
                .iter()
                .map(|segment| (segment.serving_start_offset, segment.last_offset))
                .collect::<Vec<_>>()
        );
    }

    fn apply_record(&mut self, record: &TierRecord) -> Result<(), TierRejection> {
        let epoch = record.leader_epoch;
        if let TierRecordKind::InitLeader = record.kind {
            return match self.tier_epoch {
                Some(tier_epoch) if epoch < tier_epoch => Err(TierRejection::Fenced {
                    record_epoch: epoch,
                    tier_epoch,
                }),
                Some(tier_epoch) if epoch == tier_epoch => Ok(()),
                _ => {
                    self.tier_epoch = Some(epoch);
                    self.in_progress = None;
                    Ok(())
                }
            };
        }
        match self.tier_epoch {
            Some(tier_epoch) if epoch < tier_epoch => {
                return Err(TierRejection::Fenced {
                    record_epoch: epoch,
                    tier_epoch,
                })
            }
            Some(tier_epoch) if epoch == tier_epoch => {}
            tier_epoch => {
                return Err(TierRejection::NotInitialised {
                    record_epoch: epoch,
                    tier_epoch,
                })
            }
        }
        match &record.kind {
            TierRecordKind::InitLeader => Ok(()),
            TierRecordKind::CopyStarted {
                object_id,
                base_offset,
                last_offset,
                size_bytes,
                max_timestamp_ms,
            } => {
                if self.is_known(object_id) {
                    return Ok(());
                }
                if *last_offset < self.tiered_end_offset || *base_offset > self.tiered_end_offset {
                    return Err(TierRejection::NotContiguous {
                        base_offset: *base_offset,
                        last_offset: *last_offset,
                        tiered_end_offset: self.tiered_end_offset,
                    });
                }
                self.in_progress = Some(TieredSegment {
                    object_id: object_id.clone(),
                    base_offset: *base_offset,
                    last_offset: *last_offset,
                    serving_start_offset: self.tiered_end_offset,
                    size_bytes: *size_bytes,
                    max_timestamp_ms: *max_timestamp_ms,
                    leader_epoch: epoch,
                    state: SegmentState::CopyStarted,
                });
                Ok(())
            }
            TierRecordKind::CopyFinished { object_id } => {
                if self
                    .segments
                    .values()
                    .any(|segment| &segment.object_id == object_id)
                    || self.deleted_objects.contains(object_id)
                {
                    return Ok(());
                }
                match self.in_progress.take() {
                    Some(mut segment) if &segment.object_id == object_id => {
                        segment.state = SegmentState::CopyFinished;
                        self.tiered_end_offset = segment.last_offset + 1;
                        self.segments.insert(segment.serving_start_offset, segment);
                        Ok(())
                    }
                    other => {
                        self.in_progress = other;
                        Err(TierRejection::WrongState {
                            object_id: object_id.clone(),
                        })
                    }
                }
            }
            TierRecordKind::DeleteStarted { object_id } => {
                let found = self
                    .segments
                    .values()
                    .find(|segment| &segment.object_id == object_id)
                    .map(|segment| segment.state);
                let oldest_finished = self
                    .segments
                    .values_mut()
                    .find(|segment| segment.state == SegmentState::CopyFinished);
                match (found, oldest_finished) {
                    (Some(SegmentState::DeleteStarted), _) => Ok(()),
                    (Some(SegmentState::CopyFinished), Some(oldest)) if &oldest.object_id == object_id => {
                        oldest.state = SegmentState::DeleteStarted;
                        Ok(())
                    }
                    (Some(_), _) => Err(TierRejection::NotOldest {
                        object_id: object_id.clone(),
                    }),
                    (None, _) if self.deleted_objects.contains(object_id) => Ok(()),
                    (None, _) => Err(TierRejection::WrongState {
                        object_id: object_id.clone(),
                    }),
                }
            }
            TierRecordKind::DeleteFinished { object_id } => {
                let key = self
                    .segments
                    .iter()
                    .find(|(_, segment)| &segment.object_id == object_id)
                    .map(|(&key, segment)| (key, segment.state));
                match key {
                    Some((key, SegmentState::DeleteStarted)) => {
                        self.segments.remove(&key);
                        self.deleted_objects.insert(object_id.clone());
                        Ok(())
                    }
                    None if self.deleted_objects.contains(object_id) => Ok(()),
                    _ => Err(TierRejection::WrongState {
                        object_id: object_id.clone(),
                    }),
                }
            }
        }
    }

    fn is_known(&self, object_id: &str) -> bool {
        self.in_progress
            .as_ref()
            .is_some_and(|segment| segment.object_id == object_id)
            || self
                .segments
                .values()
                .any(|segment| segment.object_id == object_id)
            || self.deleted_objects.contains(object_id)
    }
}

/// The tier state of every partition, keyed by topic and partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierState {
    partitions: BTreeMap<(String, u32), TierPartitionState>,
}

impl TierState {
    pub fn apply(&mut self, record: &TierRecord) -> Result<(), TierRejection> {
        self.partitions
            .entry((record.topic.clone(), record.partition))
            .or_default()
            .apply(record)
    }

    pub fn partition(&self, topic: &str, partition: u32) -> Option<&TierPartitionState> {
        self.partitions.get(&(topic.to_string(), partition))
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
