//! The partition log: how a broker stores one partition replica on its disk (Kafka's log
//! layer). One concept per file:
//!
//! - `batch.rs`: the record batch and its checksummed encoding;
//! - `segment.rs`: a segment file of consecutive batches and its offset index;
//! - `params.rs`: when segments roll;
//! - `leader_epoch_cache.rs`: where each leader epoch starts, the `OffsetsForLeaderEpoch`
//!   answer, and the follower's divergence point (KIP-101, KIP-279);
//! - `leader_epoch_checkpoint.rs`: that cache on disk;
//! - `producer_state.rs`: idempotent-producer sequences, duplicates and gaps;
//! - `partition_log.rs`: the log itself, its durability model and its recovery on open;
//! - `error.rs`: what can go wrong.

mod batch;
mod error;
mod leader_epoch_cache;
mod leader_epoch_checkpoint;
#[cfg(test)]
pub(crate) mod memory_disk;
mod params;
mod partition_log;
mod producer_state;
mod segment;
#[cfg(test)]
mod tests;

pub use batch::{
    framed_size_bytes, BatchDecodeError, ProducerInfo, Record, RecordBatch, BATCH_FORMAT_VERSION,
    BATCH_HEADER_BYTES, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE,
};
pub use error::{BatchDefect, LogError};
pub use leader_epoch_cache::{divergence_point, Divergence, EpochEndOffset, EpochEntry, LeaderEpochCache};
pub use params::LogParams;
pub use partition_log::{
    BatchPosition, LeaderAppend, LogRecovery, PartitionLog, RolledSegment, TailCut, TailCutReason,
};
pub use producer_state::{
    sequence_after, ProducerBatch, ProducerEntry, ProducerStateTable, SequenceCheck,
    PRODUCER_BATCHES_RETAINED,
};
