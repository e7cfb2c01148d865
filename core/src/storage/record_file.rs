//! An append-only file of checksummed records, the building block of every durable log here.
//!
//! Each record is framed as `[length: u32 LE][crc32 of payload: u32 LE][payload]`. On open the
//! file is scanned from the start; the first frame that is incomplete or fails its checksum
//! marks the end of the valid log, and everything from there on is cut away. That is exactly
//! what a torn final write after a crash leaves behind, so recovery needs no other marker.
//! (A bit flip in the middle of the file is cut away the same way; the durability audits are
//! the place that tells the two apart.)

use std::sync::Arc;

use bytes::Bytes;

use super::{Disk, DiskError};

const FRAME_HEADER_BYTES: u64 = 8;

/// Why a record file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordFileError {
    #[error(transparent)]
    Disk(#[from] DiskError),
    #[error("record {record_index} of {file:?} does not exist (the file holds {record_count})")]
    NoSuchRecord {
        file: String,
        record_index: usize,
        record_count: usize,
    },
}

/// An open record file: the disk, its name, and where each valid record starts.
pub struct RecordFile {
    disk: Arc<dyn Disk>,
    name: String,
    /// Byte offset of the start of each valid record, in order.
    record_offsets: Vec<u64>,
    end_offset: u64,
}

/// What was cut away when a record file was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovery {
    pub records: usize,
    pub discarded_tail_bytes: u64,
}

impl RecordFile {
    /// Opens `name` (an absent file is an empty log), drops any torn or corrupt tail and
    /// returns the file with all valid payloads.
    pub async fn open(
        disk: Arc<dyn Disk>,
        name: &str,
    ) -> Result<(Self, Vec<Bytes>, Recovery), RecordFileError> {
        let contents = match disk.length(name).await {
            Ok(0) => Bytes::new(),
            Ok(length_bytes) => disk.read(name, 0, length_bytes).await?,
            Err(DiskError::NotFound { .. }) => Bytes::new(),
            Err(error) => return Err(error.into()),
        };
        let mut record_offsets = Vec::new();
        let mut payloads = Vec::new();
        let mut position = 0u64;
        while let Some(payload) = parse_frame(&contents, position) {
            record_offsets.push(position);
            position += FRAME_HEADER_BYTES + payload.len() as u64;
            payloads.push(payload);
        }
        let discarded_tail_bytes = contents.len() as u64 - position;
        if discarded_tail_bytes > 0 {
            // Cut the torn tail off for good, so that later appends start on a frame boundary.
            disk.truncate(name, position).await?;
            disk.sync(name).await?;
        }
        let recovery = Recovery {
            records: payloads.len(),
            discarded_tail_bytes,
        };
        let file = RecordFile {
            disk,
            name: name.to_string(),
            record_offsets,
            end_offset: position,
        };
        Ok((file, payloads, recovery))
    }

    /// Appends one record; it is durable only after [`RecordFile::sync`].
    pub async fn append(&mut self, payload: &[u8]) -> Result<(), RecordFileError> {
        let mut frame = Vec::with_capacity(payload.len() + FRAME_HEADER_BYTES as usize);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        frame.extend_from_slice(payload);
        let offset = self.disk.append(&self.name, &frame).await?;
        // The disk tells us where the frame landed; trusting our own count instead would hide a
        // file that someone else changed underneath us.
        self.record_offsets.push(offset);
        self.end_offset = offset + frame.len() as u64;
        Ok(())
    }

    /// Makes every appended record durable.
    pub async fn sync(&self) -> Result<(), RecordFileError> {
        if self.record_offsets.is_empty() {
            return Ok(());
        }
        Ok(self.disk.sync(&self.name).await?)
    }

    /// Keeps the first `record_count` records and drops the rest, durably.
    pub async fn truncate_records(&mut self, record_count: usize) -> Result<(), RecordFileError> {
        if record_count >= self.record_offsets.len() {
            return Ok(());
        }
        let new_end = self.record_offsets[record_count];
        self.disk.truncate(&self.name, new_end).await?;
        self.disk.sync(&self.name).await?;
        self.record_offsets.truncate(record_count);
        self.end_offset = new_end;
        Ok(())
    }

    /// Deletes the whole file; it is empty afterwards.
    pub async fn clear(&mut self) -> Result<(), RecordFileError> {
        self.disk.delete(&self.name).await?;
        self.record_offsets.clear();
        self.end_offset = 0;
        Ok(())
    }

    pub fn record_count(&self) -> usize {
        self.record_offsets.len()
    }

    pub fn size_bytes(&self) -> u64 {
        self.end_offset
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

fn parse_frame(contents: &Bytes, position: u64) -> Option<Bytes> {
    let start = position as usize;
    let header = contents.get(start..start + FRAME_HEADER_BYTES as usize)?;
    let length = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    let checksum = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let payload_start = start + FRAME_HEADER_BYTES as usize;
    let payload = contents.get(payload_start..payload_start.checked_add(length)?)?;
    if crc32fast::hash(payload) != checksum {
        return None;
    }
    Some(contents.slice(payload_start..payload_start + length))
}
