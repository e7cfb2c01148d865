//! A segment: one file of consecutive batches, named after the offset of its first batch,
//! with an in-memory offset index that says where each batch starts.
//!
//! The index has one entry per batch (Kafka's is sparse, one entry per 4 KiB, and scans from
//! there; a full index costs a few dozen bytes per batch and saves the scan). It is not
//! stored: opening a segment reads the whole file, verifies every batch and rebuilds it,
//! which is also how a torn or corrupt tail is found.
//!
//! A segment also tracks how much of its file is durable, so that the log can say which
//! offsets a crash cannot take back.

use std::sync::Arc;

use super::batch::RecordBatch;
use super::error::{BatchDefect, LogError};
use super::params::LogParams;
use crate::storage::{Disk, DiskError};

const SEGMENT_SUFFIX: &str = ".log";
const BASE_OFFSET_DIGITS: usize = 20;

/// `<directory>/<base offset, 20 digits>.log`: zero-padded so that name order is offset
/// order, as in Kafka.
pub(super) fn segment_file_name(directory: &str, base_offset: u64) -> String {
    format!("{directory}/{base_offset:0BASE_OFFSET_DIGITS$}{SEGMENT_SUFFIX}")
}

/// The base offset of a segment file of `directory`, or `None` for any other file.
pub(super) fn parse_segment_file_name(directory: &str, file: &str) -> Option<u64> {
    let digits = file
        .strip_prefix(directory)?
        .strip_prefix('/')?
        .strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != BASE_OFFSET_DIGITS || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Where one batch lies in its segment file: an entry of the offset index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BatchLocation {
    pub base_offset: u64,
    pub last_offset: u64,
    pub position_bytes: u64,
    pub size_bytes: u64,
}

impl BatchLocation {
    fn end_position_bytes(&self) -> u64 {
        self.position_bytes + self.size_bytes
    }
}

/// One segment of a partition log.
#[derive(Debug)]
pub(super) struct Segment {
    base_offset: u64,
    file_name: String,
    /// One entry per batch, in offset order.
    index: Vec<BatchLocation>,
    size_bytes: u64,
    /// The file's bytes up to here are on the medium (as of the last successful sync).
    durable_size_bytes: u64,
    /// The file exists on the medium: a crash does not remove it. A file only appears with
    /// its first append, and survives a crash only once synced.
    file_is_durable: bool,
    /// The file was cut shorter and the cut has not been synced yet, so a crash could bring
    /// the removed bytes back.
    unsynced_truncation: bool,
    /// The timestamp of the first batch, from which the segment's age is measured.
    first_batch_timestamp_ms: Option<u64>,
    /// The newest batch timestamp, for retention by time.
    max_batch_timestamp_ms: Option<u64>,
}

/// A segment as found on disk: its valid batches and, when they end before the file does,
/// where and why.
pub(super) struct SegmentScan {
    pub segment: Segment,
    pub file_length_bytes: u64,
    pub invalid_tail: Option<(u64, BatchDefect)>,
}

impl Segment {
    /// A segment that exists only in memory until its first append creates the file.
    pub fn empty(directory: &str, base_offset: u64) -> Segment {
        Segment {
            base_offset,
            file_name: segment_file_name(directory, base_offset),
            index: Vec::new(),
            size_bytes: 0,
            durable_size_bytes: 0,
            file_is_durable: false,
            unsynced_truncation: false,
            first_batch_timestamp_ms: None,
            max_batch_timestamp_ms: None,
        }
    }

    /// An empty segment whose file exists durably, so that its name keeps the log's end
    /// offset across a crash even with no batch in it.
    pub async fn create_durably(
        disk: &Arc<dyn Disk>,
        directory: &str,
        base_offset: u64,
    ) -> Result<Segment, DiskError> {
        let mut segment = Segment::empty(directory, base_offset);
        segment.make_file_durable(disk).await?;
        Ok(segment)
    }

    /// Reads the segment file, verifies each batch in turn and indexes the valid prefix.
    ///
    /// A batch is valid when it decodes (complete, checksum correct), starts right after the
    /// one before it (the first at the segment's base offset) and passes `check`, which the
    /// log uses for the rules that span segments. The file is left as it is; cutting the
    /// invalid tail is the caller's decision.
    pub async fn scan(
        disk: &Arc<dyn Disk>,
        directory: &str,
        base_offset: u64,
        mut check: impl FnMut(&RecordBatch) -> Result<(), BatchDefect>,
    ) -> Result<SegmentScan, DiskError> {
        let mut segment = Segment::empty(directory, base_offset);
        let contents = match disk.length(&segment.file_name).await {
            Ok(0) | Err(DiskError::NotFound { .. }) => bytes::Bytes::new(),
            Ok(length_bytes) => disk.read(&segment.file_name, 0, length_bytes).await?,
            Err(error) => return Err(error),
        };
        let mut position = 0usize;
        let mut invalid_tail = None;
        while position < contents.len() {
            let batch = match RecordBatch::decode_prefix(&contents[position..]) {
                Ok((batch, _)) => batch,
                Err(error) => {
                    invalid_tail = Some((position as u64, BatchDefect::Undecodable(error)));
                    break;
                }
            };
            let expected_offset = segment.next_offset();
            let verdict = if batch.base_offset != expected_offset {
                Err(BatchDefect::OffsetMismatch {
                    expected_offset,
                    found_offset: batch.base_offset,
                })
            } else {
                check(&batch)
            };
            if let Err(defect) = verdict {
                invalid_tail = Some((position as u64, defect));
                break;
            }
            let size_bytes = batch.encoded_size_bytes();
            segment.index_batch(&batch, position as u64, size_bytes as u64);
            position += size_bytes;
        }
        segment.size_bytes = position as u64;
        // Whatever is on the disk now is treated as not yet durable: the caller syncs it,
        // because a file can be listed without having survived a crash yet.
        Ok(SegmentScan {
            segment,
            file_length_bytes: contents.len() as u64,
            invalid_tail,
        })
    }

    pub fn max_batch_timestamp_ms(&self) -> Option<u64> {
        self.max_batch_timestamp_ms
    }

    pub fn base_offset(&self) -> u64 {
        self.base_offset
    }

    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    pub fn batch_count(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn batches(&self) -> &[BatchLocation] {
        &self.index
    }

    /// The offset after the segment's last batch: where the next batch would go.
    pub fn next_offset(&self) -> u64 {
        self.index
            .last()
            .map_or(self.base_offset, |batch| batch.last_offset + 1)
    }

    /// Whether a batch of `batch_size_bytes` created at `batch_timestamp_ms` belongs in a
    /// new segment. An empty segment takes any batch, so that no batch is too big for the log.
    pub fn should_roll(&self, params: &LogParams, batch_size_bytes: u64, batch_timestamp_ms: u64) -> bool {
        let Some(first_batch_timestamp_ms) = self.first_batch_timestamp_ms else {
            return false;
        };
        let too_big = self.size_bytes + batch_size_bytes > params.segment_bytes_max;
        let too_old =
            batch_timestamp_ms.saturating_sub(first_batch_timestamp_ms) >= params.segment_age_max_ms;
        too_big || too_old
    }

    /// Appends an encoded batch to the file (creating it with the first append). Not durable
    /// until [`Segment::sync`].
    pub async fn append(
        &mut self,
        disk: &Arc<dyn Disk>,
        batch: &RecordBatch,
        encoded: &[u8],
    ) -> Result<(), LogError> {
        let position = disk.append(&self.file_name, encoded).await?;
        if position != self.size_bytes {
            // Someone else changed the file. Cutting it back to what the index describes
            // keeps later appends on batch boundaries; the caller hears about it either way.
            let _ = disk.truncate(&self.file_name, self.size_bytes).await;
            self.unsynced_truncation = true;
            return Err(LogError::SegmentPositionMismatch {
                segment_file: self.file_name.clone(),
                expected_position_bytes: self.size_bytes,
                found_position_bytes: position,
            });
        }
        self.index_batch(batch, position, encoded.len() as u64);
        self.size_bytes = position + encoded.len() as u64;
        Ok(())
    }

    fn index_batch(&mut self, batch: &RecordBatch, position_bytes: u64, size_bytes: u64) {
        if self.index.is_empty() {
            self.first_batch_timestamp_ms = Some(batch.create_timestamp_ms);
        }
        self.max_batch_timestamp_ms = self.max_batch_timestamp_ms.max(Some(batch.create_timestamp_ms));
        self.index.push(BatchLocation {
            base_offset: batch.base_offset,
            last_offset: batch.last_offset(),
            position_bytes,
            size_bytes,
        });
    }

    pub fn file_is_durable(&self) -> bool {
        self.file_is_durable
    }

    pub fn has_unsynced_truncation(&self) -> bool {
        self.unsynced_truncation
    }

    /// Whether a sync would make anything durable that is not yet.
    pub fn needs_sync(&self) -> bool {
        if self.size_bytes == 0 && !self.file_is_durable && !self.unsynced_truncation {
            // No file yet: the log's end offset is carried by the segment before this one.
            return false;
        }
        self.size_bytes != self.durable_size_bytes || self.unsynced_truncation || !self.file_is_durable
    }

    /// Makes every append and truncation of the file durable.
    pub async fn sync(&mut self, disk: &Arc<dyn Disk>) -> Result<(), DiskError> {
        if !self.needs_sync() {
            return Ok(());
        }
        disk.sync(&self.file_name).await?;
        self.mark_durable();
        Ok(())
    }

    /// Creates the file when it does not exist yet, and syncs it.
    pub async fn make_file_durable(&mut self, disk: &Arc<dyn Disk>) -> Result<(), DiskError> {
        if self.size_bytes == 0 {
            // An empty append creates the file (and does nothing to an existing one).
            disk.append(&self.file_name, &[]).await?;
        }
        disk.sync(&self.file_name).await?;
        self.mark_durable();
        Ok(())
    }

    fn mark_durable(&mut self) {
        self.durable_size_bytes = self.size_bytes;
        self.file_is_durable = true;
        self.unsynced_truncation = false;
    }

    /// The offset below which every batch of this segment is durable.
    pub fn durable_end_offset(&self) -> u64 {
        if !self.file_is_durable {
            return self.base_offset;
        }
        let durable_batches = self
            .index
            .partition_point(|batch| batch.end_position_bytes() <= self.durable_size_bytes);
        match durable_batches {
            0 => self.base_offset,
            count => self.index[count - 1].last_offset + 1,
        }
    }

    /// The position in the index of the first batch that holds `offset` or lies after it.
    pub fn locate(&self, offset: u64) -> usize {
        self.index.partition_point(|batch| batch.last_offset < offset)
    }

    /// Drops the batch at `batch_position` in the index and every later one, durably.
    pub async fn truncate_to_batch(
        &mut self,
        disk: &Arc<dyn Disk>,
        batch_position: usize,
    ) -> Result<(), DiskError> {
        let Some(first_dropped) = self.index.get(batch_position).copied() else {
            return Ok(());
        };
        self.truncate_file(disk, first_dropped.position_bytes).await?;
        self.index.truncate(batch_position);
        if self.index.is_empty() {
            self.first_batch_timestamp_ms = None;
        }
        self.sync(disk).await
    }

    /// Cuts the file (not the index) to `length_bytes`; used by open for an invalid tail and
    /// by truncation. Durable only after a sync.
    pub async fn truncate_file(&mut self, disk: &Arc<dyn Disk>, length_bytes: u64) -> Result<(), DiskError> {
        disk.truncate(&self.file_name, length_bytes).await?;
        self.size_bytes = self.size_bytes.min(length_bytes);
        self.durable_size_bytes = self.durable_size_bytes.min(length_bytes);
        self.unsynced_truncation = true;
        Ok(())
    }

    /// Reads and verifies the batches at `batch_positions` of the index, which must be a
    /// run of neighbours, with one disk read.
    pub async fn read_batches(
        &self,
        disk: &Arc<dyn Disk>,
        batch_positions: std::ops::Range<usize>,
    ) -> Result<Vec<RecordBatch>, LogError> {
        let locations = &self.index[batch_positions];
        let (Some(first), Some(last)) = (locations.first(), locations.last()) else {
            return Ok(Vec::new());
        };
        let start_bytes = first.position_bytes;
        let length_bytes = last.end_position_bytes() - start_bytes;
        let contents = disk.read(&self.file_name, start_bytes, length_bytes).await?;
        let mut batches = Vec::with_capacity(locations.len());
        for location in locations {
            let relative = (location.position_bytes - start_bytes) as usize;
            let corrupt = |defect: BatchDefect| LogError::CorruptBatch {
                segment_file: self.file_name.clone(),
                position_bytes: location.position_bytes,
                defect,
            };
            let available = contents.get(relative..).unwrap_or_default();
            let (batch, size_bytes) =
                RecordBatch::decode_prefix(available).map_err(|error| corrupt(error.into()))?;
            if batch.base_offset != location.base_offset || batch.last_offset() != location.last_offset {
                return Err(corrupt(BatchDefect::OffsetMismatch {
                    expected_offset: location.base_offset,
                    found_offset: batch.base_offset,
                }));
            }
            if size_bytes as u64 != location.size_bytes {
                return Err(corrupt(BatchDefect::Undecodable(
                    super::batch::BatchDecodeError::Malformed("batch size differs from the index"),
                )));
            }
            batches.push(batch);
        }
        Ok(batches)
    }

    /// Reads and verifies every batch of the segment.
    pub async fn read_all_batches(&self, disk: &Arc<dyn Disk>) -> Result<Vec<RecordBatch>, LogError> {
        self.read_batches(disk, 0..self.index.len()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort_by_offset_and_parse_back() {
        let name = segment_file_name("topic-3", 1234);
        assert_eq!(name, "topic-3/00000000000000001234.log");
        assert_eq!(parse_segment_file_name("topic-3", &name), Some(1234));
        assert!(segment_file_name("t", 99) < segment_file_name("t", 100));
    }

    #[test]
    fn other_files_are_not_segments() {
        for file in [
            "topic-3/leader-epoch-checkpoint-0",
            "topic-3/1234.log",
            "topic-30/00000000000000001234.log",
            "topic-3/0000000000000000123x.log",
            "topic-3/sub/00000000000000001234.log",
        ] {
            assert_eq!(parse_segment_file_name("topic-3", file), None, "{file}");
        }
    }
}
