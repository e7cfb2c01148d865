//! The checksum of a committed range of a replica's log, as the audit compares it.
//!
//! A replica reads its batches over `[from_offset, to_offset)` from its own disk, each batch's
//! CRC verified on decode (a flipped bit shows as [`LogError::CorruptBatch`]), and hashes their
//! stored bytes in offset order. Replicas that hold the same committed batches hold the same
//! bytes (batch encoding is a pure function of the batch), so equal data gives equal checksums.

use serde::{Deserialize, Serialize};

use crate::broker::log::{LogError, PartitionLog};

/// A replica's checksum over a range that starts and ends at batch boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeChecksum {
    pub from_offset: u64,
    /// One past the last offset covered.
    pub to_offset: u64,
    pub batches: u32,
    pub bytes: u64,
    /// CRC-32 over the stored bytes of every batch in the range, in order.
    pub checksum: u32,
}

/// A replica's answer to an audit of one range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAnswer {
    Checksum(RangeChecksum),
    /// The batch at `offset` failed its own checksum (or could not be decoded): the replica's
    /// copy is corrupt from there on.
    Corrupt {
        offset: u64,
        defect: String,
    },
    /// The replica's local log starts above what retention allows (`allowed_up_to`: the
    /// leader's log start, or the committed tiered end, whichever is higher): committed data
    /// it should hold is gone, and nothing else in its log can be trusted either.
    PrefixMissing {
        log_start_offset: u64,
        allowed_up_to: u64,
    },
    /// The replica cannot answer for this range now (not a replica of this leader epoch, or
    /// the range is not in its local log); nothing is concluded.
    Unavailable(String),
}

/// The checksum of `log` from `from_offset` (a batch boundary) up to `to_offset` or until
/// `max_bytes` of batches are covered (at least one batch), whichever comes first; the answer
/// says where it stopped. Reads `chunk_bytes` at a time; after a corrupt read it goes on one
/// batch at a time, so that the corrupt batch is named exactly (a chunk may fail on a batch
/// past the range).
pub async fn range_checksum(
    log: &PartitionLog,
    from_offset: u64,
    to_offset: u64,
    max_bytes: u64,
    chunk_bytes: u64,
) -> AuditAnswer {
    if from_offset < log.log_start_offset() || to_offset > log.log_end_offset() || from_offset > to_offset {
        return AuditAnswer::Unavailable(format!(
            "range {from_offset}..{to_offset} is not within the local log {}..{}",
            log.log_start_offset(),
            log.log_end_offset()
        ));
    }
    let mut hasher = crc32fast::Hasher::new();
    let mut next = from_offset;
    let mut batches = 0u32;
    let mut bytes = 0u64;
    let mut chunk = chunk_bytes.max(1);
    'read: while next < to_offset {
        let read = match log.read(next, chunk).await {
            Ok(read) => read,
            Err(LogError::CorruptBatch { .. }) if chunk > 1 => {
                chunk = 1;
                continue;
            }
            Err(error @ LogError::CorruptBatch { .. }) => {
                return AuditAnswer::Corrupt {
                    offset: next,
                    defect: error.to_string(),
                }
            }
            Err(error) => return AuditAnswer::Unavailable(error.to_string()),
        };
        if read.is_empty() {
            return AuditAnswer::Unavailable(format!("nothing to read at {next}"));
        }
        for batch in read {
            if batch.base_offset >= to_offset {
                break 'read;
            }
            if batch.base_offset != next {
                return AuditAnswer::Unavailable(format!(
                    "offset {next} is not a batch boundary (the batch there starts at {})",
                    batch.base_offset
                ));
            }
            if batch.last_offset() >= to_offset {
                return AuditAnswer::Unavailable(format!("the range ends inside the batch at {next}"));
            }
            let size = batch.encoded_size_bytes() as u64;
            if bytes > 0 && bytes + size > max_bytes {
                break 'read;
            }
            hasher.update(&batch.encode());
            batches += 1;
            bytes += size;
            next = batch.next_offset();
        }
    }
    AuditAnswer::Checksum(RangeChecksum {
        from_offset,
        to_offset: next,
        batches,
        bytes,
        checksum: hasher.finalize(),
    })
}

#[cfg(test)]
#[path = "checksum_tests.rs"]
mod tests;
