//! A tiered segment's offset index, uploaded beside its data so that a remote read fetches
//! only the byte range it needs (a ranged GET) instead of the whole segment.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::broker::log::BatchPosition;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentIndex {
    pub batches: Vec<BatchPosition>,
}

impl SegmentIndex {
    pub fn encode(&self) -> bytes::Bytes {
        crate::net::encode(self)
    }

    pub fn decode(bytes: &[u8]) -> Option<SegmentIndex> {
        crate::net::decode(bytes).ok()
    }

    /// The bytes to read for a fetch at `offset` of at most `max_bytes`: from the batch
    /// holding `offset` on, whole batches only, at least one. `None` when the segment holds
    /// nothing at or after `offset`.
    pub fn byte_range(&self, offset: u64, max_bytes: u64) -> Option<Range<u64>> {
        let first = self
            .batches
            .iter()
            .position(|batch| batch.last_offset >= offset)?;
        let start = self.batches[first].position_bytes;
        let mut end = start + self.batches[first].size_bytes;
        for batch in &self.batches[first + 1..] {
            let batch_end = batch.position_bytes + batch.size_bytes;
            if batch_end - start > max_bytes {
                break;
            }
            end = batch_end;
        }
        Some(start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SegmentIndex {
        let batch = |base: u64, last: u64, position: u64| BatchPosition {
            base_offset: base,
            last_offset: last,
            position_bytes: position,
            size_bytes: 100,
        };
        SegmentIndex {
            batches: vec![batch(10, 14, 0), batch(15, 19, 100), batch(20, 24, 200)],
        }
    }

    #[test]
    fn a_fetch_starts_at_the_batch_holding_its_offset() {
        assert_eq!(index().byte_range(16, 1000), Some(100..300));
        assert_eq!(index().byte_range(0, 1000), Some(0..300));
    }

    #[test]
    fn a_fetch_takes_whole_batches_up_to_its_size_but_at_least_one() {
        assert_eq!(index().byte_range(10, 250), Some(0..200));
        assert_eq!(index().byte_range(10, 10), Some(0..100));
    }

    #[test]
    fn nothing_past_the_last_batch() {
        assert_eq!(index().byte_range(25, 1000), None);
    }

    #[test]
    fn the_index_round_trips() {
        assert_eq!(SegmentIndex::decode(&index().encode()), Some(index()));
    }
}
