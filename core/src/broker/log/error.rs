//! What can go wrong in a partition log, typed so that a caller can tell a failing disk from
//! a corrupt batch from a request that breaks the log's rules.

use super::batch::BatchDecodeError;
use crate::storage::{DiskError, RecordFileError};

/// What is wrong with a stored batch: found by open (which cuts the log there) or by a read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchDefect {
    /// The bytes are not a batch: incomplete (a torn write), or failing their checksum.
    #[error(transparent)]
    Undecodable(#[from] BatchDecodeError),
    /// The batch decodes but does not start where the log expects the next offset.
    #[error("batch starts at offset {found_offset}, expected {expected_offset}")]
    OffsetMismatch { expected_offset: u64, found_offset: u64 },
    /// The batch decodes but its leader epoch is lower than that of the batch before it.
    #[error("leader epoch {found_epoch} follows leader epoch {previous_epoch}")]
    LeaderEpochDecreased { previous_epoch: u64, found_epoch: u64 },
}

impl BatchDefect {
    /// Whether this is what a crash during the last write leaves behind, rather than damage
    /// to bytes that were once written whole.
    pub fn is_torn_write(&self) -> bool {
        matches!(
            self,
            BatchDefect::Undecodable(BatchDecodeError::Incomplete { .. })
        )
    }
}

/// Why a partition log operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Disk(#[from] DiskError),
    #[error("leader epoch checkpoint: {0}")]
    EpochCheckpoint(#[from] RecordFileError),
    /// A stored batch failed its checks on read. Open cuts the log at such a batch; a read
    /// reports it and leaves the log alone.
    #[error("corrupt batch in {segment_file:?} at byte {position_bytes}: {defect}")]
    CorruptBatch {
        segment_file: String,
        position_bytes: u64,
        defect: BatchDefect,
    },
    /// A segment file did not grow where the log expected: something else wrote to it.
    #[error("append to {segment_file:?} landed at byte {found_position_bytes}, expected {expected_position_bytes}")]
    SegmentPositionMismatch {
        segment_file: String,
        expected_position_bytes: u64,
        found_position_bytes: u64,
    },
    #[error("a batch must hold at least one record")]
    EmptyBatch,
    /// A follower's batch must start at the log end offset; anything else is a gap or an
    /// overlap.
    #[error("batch starts at offset {found_offset} but the log ends at {expected_offset}")]
    NonContiguousAppend { expected_offset: u64, found_offset: u64 },
    /// A batch, or a leader taking over, with an epoch older than the log's latest: a
    /// deposed leader, or a follower that has not truncated by leader epoch first.
    #[error("leader epoch {found_epoch} is older than the log's latest leader epoch {latest_epoch}")]
    StaleLeaderEpoch { latest_epoch: u64, found_epoch: u64 },
    /// Kafka: `OUT_OF_ORDER_SEQUENCE_NUMBER`. The batch leaves a gap after the producer's
    /// last sequence, or starts a new producer epoch at a sequence other than zero.
    #[error("producer {producer_id}: sequence {found_sequence} where {expected_sequence} was expected")]
    OutOfOrderSequence {
        producer_id: i64,
        expected_sequence: i32,
        found_sequence: i32,
    },
    /// Kafka: `INVALID_PRODUCER_EPOCH`. A newer instance of the producer has taken over.
    #[error("producer {producer_id}: epoch {found_epoch} is older than the current epoch {current_epoch}")]
    ProducerFenced {
        producer_id: i64,
        current_epoch: i16,
        found_epoch: i16,
    },
    /// An idempotent batch (producer id set) needs a producer epoch and a sequence.
    #[error("producer {producer_id}: epoch {producer_epoch} and base sequence {base_sequence} must not be negative")]
    InvalidProducerInfo {
        producer_id: i64,
        producer_epoch: i16,
        base_sequence: i32,
    },
    /// Kafka: `OFFSET_OUT_OF_RANGE`.
    #[error("offset {offset} is outside the log [{log_start_offset}, {log_end_offset}]")]
    OffsetOutOfRange {
        offset: u64,
        log_start_offset: u64,
        log_end_offset: u64,
    },
}
