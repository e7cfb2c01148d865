//! The record batch: the unit that a partition log stores, checksums and replicates.
//!
//! A batch is a run of records with consecutive offsets that one producer sent in one
//! request, stamped by the leader with the base offset and its leader epoch. Its encoding
//! (all integers little endian) follows the shape of Kafka's v2 record batch:
//!
//! | field                 | type  | meaning                                              |
//! |-----------------------|-------|------------------------------------------------------|
//! | `batch_length`        | `u32` | bytes that follow this field                         |
//! | `crc`                 | `u32` | CRC-32 of every byte that follows this field         |
//! | `format_version`      | `u8`  | [`BATCH_FORMAT_VERSION`]                             |
//! | `base_offset`         | `u64` | offset of the first record                           |
//! | `leader_epoch`        | `u64` | epoch of the leader that assigned the offsets        |
//! | `producer_id`         | `i64` | [`NO_PRODUCER_ID`] for a producer without idempotence |
//! | `producer_epoch`      | `i16` | [`NO_PRODUCER_EPOCH`] without idempotence            |
//! | `base_sequence`       | `i32` | [`NO_SEQUENCE`] without idempotence                  |
//! | `create_timestamp_ms` | `u64` | when the batch was created, in the caller's clock    |
//! | `record_count`        | `u32` | at least one                                         |
//! | records               |       | each: key length `i32` (-1: no key), key, value length `u32`, value |
//!
//! Unlike Kafka, whose CRC leaves out the base offset and leader epoch so that a broker can
//! stamp them without recomputing it, the checksum here covers every field after itself: the
//! leader encodes a batch only after it has stamped it, and a flipped bit in an offset must be
//! caught like any other. The length field is not covered, but a wrong length makes the
//! checksum run over the wrong bytes, so it is caught as well (or, when it points past the end
//! of the file, looks like a torn write).

use bytes::Bytes;

/// The version written into every batch; decoding refuses any other.
pub const BATCH_FORMAT_VERSION: u8 = 1;
/// The producer id of a batch from a producer without idempotence.
pub const NO_PRODUCER_ID: i64 = -1;
/// The producer epoch of a batch from a producer without idempotence.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// The base sequence of a batch from a producer without idempotence.
pub const NO_SEQUENCE: i32 = -1;

/// Bytes of the two fields in front of the checksummed part: the length and the CRC.
const FRAME_PREFIX_BYTES: usize = 8;
/// Bytes of the fixed fields after the CRC, up to and including the record count.
const CHECKSUMMED_HEADER_BYTES: usize = 1 + 8 + 8 + 8 + 2 + 4 + 8 + 4;
/// The size of a batch without its records.
pub const BATCH_HEADER_BYTES: usize = FRAME_PREFIX_BYTES + CHECKSUMMED_HEADER_BYTES;

/// One record: an optional key and a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Option<Bytes>,
    pub value: Bytes,
}

impl Record {
    pub fn new(key: Option<Bytes>, value: Bytes) -> Self {
        Record { key, value }
    }

    /// A record without a key.
    pub fn value_only(value: impl Into<Bytes>) -> Self {
        Record {
            key: None,
            value: value.into(),
        }
    }

    fn encoded_size_bytes(&self) -> usize {
        4 + self.key.as_ref().map_or(0, Bytes::len) + 4 + self.value.len()
    }
}

/// Who produced a batch, for idempotence: the producer id and epoch the producer was given,
/// and the sequence number of the batch's first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProducerInfo {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
}

impl ProducerInfo {
    /// A producer without idempotence: its batches are never checked for duplicates.
    pub const NONE: ProducerInfo = ProducerInfo {
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        base_sequence: NO_SEQUENCE,
    };

    pub fn idempotent(producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        ProducerInfo {
            producer_id,
            producer_epoch,
            base_sequence,
        }
    }

    /// Whether the batch takes part in duplicate detection, which Kafka decides by the
    /// producer id alone.
    pub fn is_idempotent(&self) -> bool {
        self.producer_id >= 0
    }
}

/// A batch of records with consecutive offsets, as stored in a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordBatch {
    pub base_offset: u64,
    pub leader_epoch: u64,
    pub producer: ProducerInfo,
    pub create_timestamp_ms: u64,
    pub records: Vec<Record>,
}

/// Why bytes could not be decoded as a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchDecodeError {
    /// The bytes end before the batch does. At the end of a segment this is what a torn
    /// write leaves behind (or a flipped length bit that points past the end of the file).
    #[error("incomplete batch: {needed_bytes} bytes needed, {available_bytes} available")]
    Incomplete { needed_bytes: u64, available_bytes: u64 },
    /// The batch is complete but its checksum does not match its contents: corruption.
    #[error("checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    ChecksumMismatch { stored: u32, computed: u32 },
    #[error("unknown batch format version {0}")]
    UnknownFormatVersion(u8),
    /// The checksum matches but the contents contradict themselves; only a bug can write this.
    #[error("malformed batch: {0}")]
    Malformed(&'static str),
}

impl RecordBatch {
    pub fn record_count(&self) -> u32 {
        self.records.len() as u32
    }

    /// The offset of the batch's last record. A batch holds at least one record: the log
    /// refuses empty ones and decoding rejects them.
    pub fn last_offset(&self) -> u64 {
        self.base_offset + u64::from(self.record_count().max(1)) - 1
    }

    /// The offset right after the batch, where the next batch starts.
    pub fn next_offset(&self) -> u64 {
        self.last_offset() + 1
    }

    /// Whether `offset` lies within the batch.
    pub fn contains_offset(&self, offset: u64) -> bool {
        (self.base_offset..=self.last_offset()).contains(&offset)
    }

    pub fn encoded_size_bytes(&self) -> usize {
        BATCH_HEADER_BYTES + self.records.iter().map(Record::encoded_size_bytes).sum::<usize>()
    }

    /// The batch's bytes as stored on disk and sent between replicas. Encoding is a pure
    /// function of the batch, so replicas that hold the same batch hold the same bytes.
    pub fn encode(&self) -> Vec<u8> {
        let size_bytes = self.encoded_size_bytes();
        let mut bytes = Vec::with_capacity(size_bytes);
        bytes.extend_from_slice(&((size_bytes - 4) as u32).to_le_bytes());
        // The CRC is filled in once everything it covers has been written.
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.push(BATCH_FORMAT_VERSION);
        bytes.extend_from_slice(&self.base_offset.to_le_bytes());
        bytes.extend_from_slice(&self.leader_epoch.to_le_bytes());
        bytes.extend_from_slice(&self.producer.producer_id.to_le_bytes());
        bytes.extend_from_slice(&self.producer.producer_epoch.to_le_bytes());
        bytes.extend_from_slice(&self.producer.base_sequence.to_le_bytes());
        bytes.extend_from_slice(&self.create_timestamp_ms.to_le_bytes());
        bytes.extend_from_slice(&self.record_count().to_le_bytes());
        for record in &self.records {
            match &record.key {
                Some(key) => {
                    bytes.extend_from_slice(&(key.len() as i32).to_le_bytes());
                    bytes.extend_from_slice(key);
                }
                None => bytes.extend_from_slice(&(-1i32).to_le_bytes()),
            }
            bytes.extend_from_slice(&(record.value.len() as u32).to_le_bytes());
            bytes.extend_from_slice(&record.value);
        }
        let crc = crc32fast::hash(&bytes[FRAME_PREFIX_BYTES..]);
        bytes[4..8].copy_from_slice(&crc.to_le_bytes());
        debug_assert_eq!(bytes.len(), size_bytes);
        bytes
    }

    /// Decodes exactly one batch that fills `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<RecordBatch, BatchDecodeError> {
        let (batch, size_bytes) = RecordBatch::decode_prefix(bytes)?;
        if size_bytes != bytes.len() {
            return Err(BatchDecodeError::Malformed("bytes follow the batch"));
        }
        Ok(batch)
    }

    /// Decodes the batch at the start of `bytes` and says how many bytes it took. The
    /// checksum is verified before any field is trusted.
    pub fn decode_prefix(bytes: &[u8]) -> Result<(RecordBatch, usize), BatchDecodeError> {
        let size_bytes = framed_size_bytes(bytes)?;
        if size_bytes < BATCH_HEADER_BYTES {
            return Err(BatchDecodeError::Malformed("batch length below the header size"));
        }
        if bytes.len() < size_bytes {
            return Err(BatchDecodeError::Incomplete {
                needed_bytes: size_bytes as u64,
                available_bytes: bytes.len() as u64,
            });
        }
        let stored = u32::from_le_bytes(bytes[4..8].try_into().expect("four bytes were checked above"));
        let computed = crc32fast::hash(&bytes[FRAME_PREFIX_BYTES..size_bytes]);
        if stored != computed {
            return Err(BatchDecodeError::ChecksumMismatch { stored, computed });
        }
        let mut reader = Reader {
            bytes: &bytes[FRAME_PREFIX_BYTES..size_bytes],
        };
        let format_version = reader.u8()?;
        if format_version != BATCH_FORMAT_VERSION {
            return Err(BatchDecodeError::UnknownFormatVersion(format_version));
        }
        let base_offset = reader.u64()?;
        let leader_epoch = reader.u64()?;
        let producer = ProducerInfo {
            producer_id: reader.i64()?,
            producer_epoch: reader.i16()?,
            base_sequence: reader.i32()?,
        };
        let create_timestamp_ms = reader.u64()?;
        let record_count = reader.u32()? as usize;
        if record_count == 0 {
            return Err(BatchDecodeError::Malformed("a batch holds at least one record"));
        }
        if base_offset.checked_add(record_count as u64).is_none() {
            return Err(BatchDecodeError::Malformed("offsets overflow"));
        }
        // Each record takes at least eight bytes, which bounds the allocation by the input
        // rather than by a count that could be anything.
        let mut records = Vec::with_capacity(record_count.min(reader.bytes.len() / 8));
        for _ in 0..record_count {
            let key_length = reader.i32()?;
            let key = match key_length {
                -1 => None,
                length if length >= 0 => Some(Bytes::copy_from_slice(reader.take(length as usize)?)),
                _ => return Err(BatchDecodeError::Malformed("negative key length")),
            };
            let value_length = reader.u32()? as usize;
            let value = Bytes::copy_from_slice(reader.take(value_length)?);
            records.push(Record { key, value });
        }
        if !reader.bytes.is_empty() {
            return Err(BatchDecodeError::Malformed(
                "bytes left over after the last record",
            ));
        }
        let batch = RecordBatch {
            base_offset,
            leader_epoch,
            producer,
            create_timestamp_ms,
            records,
        };
        Ok((batch, size_bytes))
    }
}

/// The full size of the batch that starts at `bytes`, read from its length field.
pub fn framed_size_bytes(bytes: &[u8]) -> Result<usize, BatchDecodeError> {
    let Some(length_field) = bytes.get(0..4) else {
        return Err(BatchDecodeError::Incomplete {
            needed_bytes: 4,
            available_bytes: bytes.len() as u64,
        });
    };
    let batch_length = u32::from_le_bytes(length_field.try_into().expect("a slice of four bytes"));
    Ok(4 + batch_length as usize)
}

/// Reads fields off the front of the checksummed part of a batch.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, length_bytes: usize) -> Result<&'a [u8], BatchDecodeError> {
        if self.bytes.len() < length_bytes {
            return Err(BatchDecodeError::Malformed(
                "a field runs past the end of the batch",
            ));
        }
        let (field, rest) = self.bytes.split_at(length_bytes);
        self.bytes = rest;
        Ok(field)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BatchDecodeError> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    fn u8(&mut self) -> Result<u8, BatchDecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn i16(&mut self) -> Result<i16, BatchDecodeError> {
        Ok(i16::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, BatchDecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, BatchDecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, BatchDecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, BatchDecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_batch() -> RecordBatch {
        RecordBatch {
            base_offset: 42,
            leader_epoch: 7,
            producer: ProducerInfo::idempotent(1001, 3, 17),
            create_timestamp_ms: 1_700_000_000_000,
            records: vec![
                Record::new(
                    Some(Bytes::from_static(b"key-1")),
                    Bytes::from_static(b"value one"),
                ),
                Record::value_only(Bytes::from_static(b"")),
                Record::new(
                    Some(Bytes::new()),
                    Bytes::from_static(b"empty key, not a missing one"),
                ),
            ],
        }
    }

    #[test]
    fn a_batch_survives_encoding_and_decoding() {
        let batch = sample_batch();
        let bytes = batch.encode();
        assert_eq!(bytes.len(), batch.encoded_size_bytes());
        assert_eq!(RecordBatch::decode(&bytes), Ok(batch.clone()));
        assert_eq!(batch.last_offset(), 44);
        assert_eq!(batch.next_offset(), 45);
        assert!(batch.contains_offset(42) && batch.contains_offset(44) && !batch.contains_offset(45));
    }

    #[test]
    fn decoding_a_prefix_reports_the_size_and_leaves_the_rest() {
        let first = sample_batch();
        let second = RecordBatch {
            base_offset: first.next_offset(),
            ..sample_batch()
        };
        let mut bytes = first.encode();
        bytes.extend_from_slice(&second.encode());
        let (decoded, size_bytes) = RecordBatch::decode_prefix(&bytes).unwrap();
        assert_eq!(decoded, first);
        assert_eq!(RecordBatch::decode(&bytes[size_bytes..]), Ok(second));
    }

    #[test]
    fn every_flipped_bit_after_the_length_is_detected() {
        let bytes = sample_batch().encode();
        for bit in 32..bytes.len() * 8 {
            let mut corrupt = bytes.clone();
            corrupt[bit / 8] ^= 1 << (bit % 8);
            let outcome = RecordBatch::decode(&corrupt);
            assert!(
                matches!(outcome, Err(BatchDecodeError::ChecksumMismatch { .. })),
                "bit {bit}: {outcome:?}"
            );
        }
    }

    #[test]
    fn a_flipped_length_bit_is_never_accepted() {
        let bytes = sample_batch().encode();
        for bit in 0..32 {
            let mut corrupt = bytes.clone();
            corrupt[bit / 8] ^= 1 << (bit % 8);
            assert!(
                RecordBatch::decode_prefix(&corrupt).is_err(),
                "bit {bit} went unnoticed"
            );
        }
    }

    #[test]
    fn every_strict_prefix_is_incomplete() {
        let bytes = sample_batch().encode();
        for length in 0..bytes.len() {
            let outcome = RecordBatch::decode_prefix(&bytes[..length]);
            assert!(
                matches!(outcome, Err(BatchDecodeError::Incomplete { .. })),
                "prefix of {length} bytes: {outcome:?}"
            );
        }
    }

    #[test]
    fn an_empty_batch_is_malformed() {
        let empty = RecordBatch {
            records: Vec::new(),
            ..sample_batch()
        };
        assert_eq!(
            RecordBatch::decode(&empty.encode()),
            Err(BatchDecodeError::Malformed("a batch holds at least one record"))
        );
    }

    #[test]
    fn producer_info_none_is_not_idempotent() {
        assert!(!ProducerInfo::NONE.is_idempotent());
        assert!(ProducerInfo::idempotent(0, 0, 0).is_idempotent());
    }
}
