//! What the tier checkers find wrong. Each variant names the partition, the object, the
//! offsets and the tier-metadata record involved, so that the trace can be searched for them.

use std::fmt;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::tier::{TierRecord, TIER_TOPIC};
use serde::Serialize;

use super::{
    local_deleted_after_tiered, no_orphan_objects, referenced_objects_exist, remote_tier_consistent,
    tier_metadata_agreement,
};

/// A record of the tier-metadata topic: its tier partition and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RecordAt {
    pub tier_partition: u32,
    pub offset: u64,
}

impl fmt::Display for RecordAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{TIER_TOPIC}-{} offset {}", self.tier_partition, self.offset)
    }
}

/// A batch as `(base offset, last offset, checksum)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchSeen {
    pub base_offset: u64,
    pub last_offset: u64,
    pub checksum: u32,
}

impl fmt::Display for BatchSeen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch {}..={} (checksum {:#010x})",
            self.base_offset, self.last_offset, self.checksum
        )
    }
}

/// How a tiered segment's bytes differ from the committed batches they should hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum BytesMismatch {
    /// The bytes from `byte_offset` on do not decode as a batch, before `next_offset`.
    Undecodable {
        byte_offset: u64,
        next_offset: u64,
        error: String,
    },
    /// A batch of the object is not the committed batch at its base offset (`None`: no
    /// committed batch starts there, so the batch boundaries differ).
    BatchDiffers {
        found: BatchSeen,
        committed: Option<BatchSeen>,
    },
    /// The object skips offsets `next_offset..found_base_offset` of its serving range.
    Gap {
        next_offset: u64,
        found_base_offset: u64,
    },
    /// A batch starts below the end of the batch before it.
    Overlap { next_offset: u64, found: BatchSeen },
    /// The object ends before its serving range does: offsets from `next_offset` are missing.
    EndsEarly { next_offset: u64 },
    /// A batch reaches past the segment's last offset: the record's last offset is not a
    /// batch boundary, or the object holds more than the record says.
    PastLastOffset { found: BatchSeen },
}

impl fmt::Display for BytesMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BytesMismatch::Undecodable {
                byte_offset,
                next_offset,
                error,
            } => write!(
                f,
                "the bytes from byte {byte_offset} on do not decode as a batch ({error}), with offset \
                 {next_offset} not yet found"
            ),
            BytesMismatch::BatchDiffers {
                found,
                committed: Some(committed),
            } => write!(
                f,
                "it holds the {found} where the committed batch is the {committed}"
            ),
            BytesMismatch::BatchDiffers {
                found,
                committed: None,
            } => write!(
                f,
                "it holds the {found}, but no committed batch starts at offset {}",
                found.base_offset
            ),
            BytesMismatch::Gap {
                next_offset,
                found_base_offset,
            } => write!(f, "it skips offsets {next_offset} to {}", found_base_offset - 1),
            BytesMismatch::Overlap { next_offset, found } => write!(
                f,
                "its {found} starts below offset {next_offset}, where the batch before it ended"
            ),
            BytesMismatch::EndsEarly { next_offset } => {
                write!(f, "it ends before offset {next_offset}")
            }
            BytesMismatch::PastLastOffset { found } => {
                write!(f, "its {found} reaches past the segment's last offset")
            }
        }
    }
}

/// When a referenced object was found missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum MissingSeen {
    /// When the `CopyFinished` record at `record` was accepted.
    AtCopyFinished { record: RecordAt },
    /// A `Delete` removed it while a finished segment still pointed to it (no `DeleteStarted`
    /// for it was committed before; `tier_high_watermark` was the tier partition's high
    /// watermark then).
    Deleted { tier_high_watermark: u64 },
    /// At the end of the run.
    AtEnd,
}

/// A broken tiered-storage invariant (KORA.md invariant 7).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TierViolation {
    /// Two brokers materialised different records at one tier-metadata offset.
    RecordDiverged {
        at: Duration,
        record_at: RecordAt,
        first_broker: BrokerId,
        first_record: TierRecord,
        broker: BrokerId,
        record: TierRecord,
    },
    /// One broker applied the record at `record_at` while another rejected it.
    VerdictDiverged {
        at: Duration,
        record_at: RecordAt,
        record: TierRecord,
        accepted_by: BrokerId,
        rejected_by: BrokerId,
        reason: String,
    },
    /// A broker materialised `record_at` without ever having materialised the offsets
    /// `first_missing..record_at.offset` of that tier partition.
    RecordSkipped {
        at: Duration,
        broker: BrokerId,
        record_at: RecordAt,
        first_missing: u64,
    },
    /// An accepted `CopyFinished` made a segment serve offsets the remote tier already served:
    /// its serving range `serving_start..=last_offset` begins below the tiered end
    /// `tiered_end` (or is empty).
    RemoteSegmentOverlaps {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        serving_start: u64,
        last_offset: u64,
        tiered_end: u64,
    },
    /// An accepted `CopyFinished` made a segment serve from `serving_start` (the tiered end)
    /// though its object holds offsets only from `base_offset` on: the offsets between are in
    /// no remote segment.
    RemoteSegmentGap {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        serving_start: u64,
        base_offset: u64,
    },
    /// A `CopyFinished` was accepted for an object no accepted `CopyStarted` announced.
    RemoteSegmentNeverStarted {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
    },
    /// A `DeleteStarted` was accepted for a segment while the older segment `older_object_id`
    /// still served: a hole opened in the remote tier.
    RemoteSegmentDeletedOutOfOrder {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        older_object_id: String,
    },
    /// A segment was finished with offsets at or above the partition's high watermark:
    /// uncommitted data in the remote tier.
    RemoteSegmentAboveHighWatermark {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        last_offset: u64,
        high_watermark: u64,
    },
    /// When its `CopyFinished` was accepted, the segment's `.log` object was not in the
    /// bucket, so its bytes could not be what the remote tier serves.
    RemoteObjectAbsent {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        key: String,
    },
    /// A finished segment's bytes are not the committed batches of its serving range.
    RemoteBytesDiffer {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        record_at: RecordAt,
        key: String,
        serving_start: u64,
        last_offset: u64,
        mismatch: BytesMismatch,
    },
    /// A finished segment's `.log` object was written again with other bytes.
    RemoteObjectRewritten {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        key: String,
        checksum_before: u32,
        checksum_after: u32,
    },
    /// A broker served `fetch_offset` from an object that never served that offset
    /// (`serving`: the range it served, if it ever was a finished segment).
    RemoteFetchOutsideSegment {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        object_id: String,
        fetch_offset: u64,
        serving: Option<(u64, u64)>,
    },
    /// A broker deleted a local segment holding offsets (from `first_uncovered` on) that no
    /// remote segment with a committed `CopyFinished` held: committed means below the tier
    /// partition's high watermark `tier_high_watermark` when the segment was deleted.
    LocalDeletedBeforeTiered {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        segment: (u64, u64),
        first_uncovered: u64,
        tier_partition: Option<u32>,
        tier_high_watermark: Option<u64>,
    },
    /// An object a finished (not delete-started) segment points to is not in the bucket.
    ReferencedObjectMissing {
        at: Duration,
        topic: String,
        partition: u32,
        object_id: String,
        key: String,
        seen: MissingSeen,
    },
    /// At the end of the run the bucket still held `key`, which no tier record pointed to
    /// since `unreferenced_since` (or which none ever did; it was written at `written_at`),
    /// longer than `grace` before (and longer than `grace` after the last fault, at
    /// `last_fault_at`).
    OrphanObjectKept {
        at: Duration,
        key: String,
        topic: String,
        partition: u32,
        object_id: String,
        written_at: Duration,
        unreferenced_since: Option<Duration>,
        last_fault_at: Option<Duration>,
        grace: Duration,
    },
}

impl TierViolation {
    /// The name of the checker that reports this kind of violation.
    pub fn checker(&self) -> &'static str {
        match self {
            TierViolation::RecordDiverged { .. }
            | TierViolation::VerdictDiverged { .. }
            | TierViolation::RecordSkipped { .. } => tier_metadata_agreement::NAME,
            TierViolation::RemoteSegmentOverlaps { .. }
            | TierViolation::RemoteSegmentGap { .. }
            | TierViolation::RemoteSegmentNeverStarted { .. }
            | TierViolation::RemoteSegmentDeletedOutOfOrder { .. }
            | TierViolation::RemoteSegmentAboveHighWatermark { .. }
            | TierViolation::RemoteObjectAbsent { .. }
            | TierViolation::RemoteBytesDiffer { .. }
            | TierViolation::RemoteObjectRewritten { .. }
            | TierViolation::RemoteFetchOutsideSegment { .. } => remote_tier_consistent::NAME,
            TierViolation::LocalDeletedBeforeTiered { .. } => local_deleted_after_tiered::NAME,
            TierViolation::ReferencedObjectMissing { .. } => referenced_objects_exist::NAME,
            TierViolation::OrphanObjectKept { .. } => no_orphan_objects::NAME,
        }
    }

    /// When the checker saw it (simulated time since the run started).
    pub fn at(&self) -> Duration {
        match self {
            TierViolation::RecordDiverged { at, .. }
            | TierViolation::VerdictDiverged { at, .. }
            | TierViolation::RecordSkipped { at, .. }
            | TierViolation::RemoteSegmentOverlaps { at, .. }
            | TierViolation::RemoteSegmentGap { at, .. }
            | TierViolation::RemoteSegmentNeverStarted { at, .. }
            | TierViolation::RemoteSegmentDeletedOutOfOrder { at, .. }
            | TierViolation::RemoteSegmentAboveHighWatermark { at, .. }
            | TierViolation::RemoteObjectAbsent { at, .. }
            | TierViolation::RemoteBytesDiffer { at, .. }
            | TierViolation::RemoteObjectRewritten { at, .. }
            | TierViolation::RemoteFetchOutsideSegment { at, .. }
            | TierViolation::LocalDeletedBeforeTiered { at, .. }
            | TierViolation::ReferencedObjectMissing { at, .. }
            | TierViolation::OrphanObjectKept { at, .. } => *at,
        }
    }
}

/// The sentence, without the time (the enclosing [`crate::checkers::Violation`] says when).
impl fmt::Display for TierViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TierViolation::RecordDiverged {
                record_at,
                first_broker,
                first_record,
                broker,
                record,
                ..
            } => write!(
                f,
                "tier metadata diverged at {record_at}: broker {first_broker} materialised \
                 [{}] but broker {broker} materialised [{}]",
                describe_record(first_record),
                describe_record(record)
            ),
            TierViolation::VerdictDiverged {
                record_at,
                record,
                accepted_by,
                rejected_by,
                reason,
                ..
            } => write!(
                f,
                "brokers disagreed on the tier record at {record_at} [{}]: broker {accepted_by} \
                 applied it but broker {rejected_by} rejected it ({reason})",
                describe_record(record)
            ),
            TierViolation::RecordSkipped {
                broker,
                record_at,
                first_missing,
                ..
            } => write!(
                f,
                "broker {broker} materialised the tier record at {record_at} without ever having \
                 materialised offsets {first_missing} to {} of that tier partition",
                record_at.offset - 1
            ),
            TierViolation::RemoteSegmentOverlaps {
                topic,
                partition,
                object_id,
                record_at,
                serving_start,
                last_offset,
                tiered_end,
                ..
            } => write!(
                f,
                "the CopyFinished at {record_at} made object {object_id} of {topic}-{partition} \
                 serve offsets {serving_start} to {last_offset}, but the remote tier already \
                 served offsets up to {}: expected every offset served by exactly one remote \
                 segment",
                tiered_end.saturating_sub(1)
            ),
            TierViolation::RemoteSegmentGap {
                topic,
                partition,
                object_id,
                record_at,
                serving_start,
                base_offset,
                ..
            } => write!(
                f,
                "the CopyFinished at {record_at} made object {object_id} of {topic}-{partition} \
                 serve from offset {serving_start} (the tiered end), but it holds offsets only \
                 from {base_offset}: offsets {serving_start} to {} are in no remote segment",
                base_offset - 1
            ),
            TierViolation::RemoteSegmentNeverStarted {
                topic,
                partition,
                object_id,
                record_at,
                ..
            } => write!(
                f,
                "the CopyFinished at {record_at} for object {object_id} of {topic}-{partition} \
                 was accepted, but no accepted CopyStarted announced that object"
            ),
            TierViolation::RemoteSegmentDeletedOutOfOrder {
                topic,
                partition,
                object_id,
                record_at,
                older_object_id,
                ..
            } => write!(
                f,
                "the DeleteStarted at {record_at} stopped object {object_id} of \
                 {topic}-{partition} serving while the older object {older_object_id} still \
                 serves: expected the remote tier to stay contiguous (deletion oldest first)"
            ),
            TierViolation::RemoteSegmentAboveHighWatermark {
                topic,
                partition,
                object_id,
                record_at,
                last_offset,
                high_watermark,
                ..
            } => write!(
                f,
                "the CopyFinished at {record_at} finished object {object_id} of \
                 {topic}-{partition} up to offset {last_offset}, but the partition's high \
                 watermark was {high_watermark}: uncommitted data in the remote tier"
            ),
            TierViolation::RemoteObjectAbsent {
                topic,
                partition,
                object_id,
                record_at,
                key,
                ..
            } => write!(
                f,
                "the CopyFinished at {record_at} finished object {object_id} of \
                 {topic}-{partition}, but the bucket held no {key}"
            ),
            TierViolation::RemoteBytesDiffer {
                topic,
                partition,
                object_id,
                record_at,
                key,
                serving_start,
                last_offset,
                mismatch,
                ..
            } => write!(
                f,
                "object {object_id} of {topic}-{partition} (finished at {record_at}, serving \
                 offsets {serving_start} to {last_offset}) is not the committed data: in {key}, \
                 {mismatch}"
            ),
            TierViolation::RemoteObjectRewritten {
                topic,
                partition,
                object_id,
                key,
                checksum_before,
                checksum_after,
                ..
            } => write!(
                f,
                "{key}, of the finished object {object_id} of {topic}-{partition}, was written \
                 again with other bytes (checksum {checksum_before:#010x}, now \
                 {checksum_after:#010x})"
            ),
            TierViolation::RemoteFetchOutsideSegment {
                broker,
                topic,
                partition,
                object_id,
                fetch_offset,
                serving,
                ..
            } => match serving {
                Some((start, last)) => write!(
                    f,
                    "broker {broker} served offset {fetch_offset} of {topic}-{partition} from \
                     object {object_id}, which serves offsets {start} to {last} only"
                ),
                None => write!(
                    f,
                    "broker {broker} served offset {fetch_offset} of {topic}-{partition} from \
                     object {object_id}, which never was a finished segment"
                ),
            },
            TierViolation::LocalDeletedBeforeTiered {
                broker,
                topic,
                partition,
                segment: (base, last),
                first_uncovered,
                tier_partition,
                tier_high_watermark,
                ..
            } => {
                write!(
                    f,
                    "broker {broker} deleted its local segment of {topic}-{partition} holding \
                     offsets {base} to {last}, but offset {first_uncovered} was in no remote \
                     segment whose CopyFinished was committed"
                )?;
                match (tier_partition, tier_high_watermark) {
                    (Some(tier_partition), Some(high_watermark)) => write!(
                        f,
                        " (below the high watermark {high_watermark} of {TIER_TOPIC}-{tier_partition} then)"
                    ),
                    (Some(tier_partition), None) => {
                        write!(f, " ({TIER_TOPIC}-{tier_partition} had no high watermark then)")
                    }
                    _ => write!(f, " (no tier record about the partition was committed then)"),
                }
            }
            TierViolation::ReferencedObjectMissing {
                topic,
                partition,
                object_id,
                key,
                seen,
                ..
            } => match seen {
                MissingSeen::AtCopyFinished { record } => write!(
                    f,
                    "the CopyFinished at {record} finished object {object_id} of \
                     {topic}-{partition}, but the bucket held no {key}"
                ),
                MissingSeen::Deleted { tier_high_watermark } => write!(
                    f,
                    "{key} was deleted while the finished object {object_id} of \
                     {topic}-{partition} pointed to it (no DeleteStarted for it below the tier \
                     high watermark {tier_high_watermark})"
                ),
                MissingSeen::AtEnd => write!(
                    f,
                    "at the end of the run the bucket held no {key}, though the finished object \
                     {object_id} of {topic}-{partition} points to it"
                ),
            },
            TierViolation::OrphanObjectKept {
                key,
                written_at,
                unreferenced_since,
                last_fault_at,
                grace,
                ..
            } => {
                write!(
                    f,
                    "the bucket still held {key} (written at {:.3}s), ",
                    written_at.as_secs_f64()
                )?;
                match unreferenced_since {
                    Some(since) => write!(
                        f,
                        "which no tier record pointed to since {:.3}s",
                        since.as_secs_f64()
                    ),
                    None => write!(f, "which no accepted tier record ever pointed to"),
                }?;
                if let Some(fault) = last_fault_at {
                    write!(f, " and the last fault was at {:.3}s", fault.as_secs_f64())?;
                }
                write!(f, ": expected orphans deleted within {:.0}s", grace.as_secs_f64())
            }
        }
    }
}

fn describe_record(record: &TierRecord) -> String {
    format!(
        "{:?} of {}-{} in leader epoch {}",
        record.kind, record.topic, record.partition, record.leader_epoch
    )
}
