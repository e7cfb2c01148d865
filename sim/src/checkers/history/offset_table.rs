//! The first of several things at each offset of one partition, found without hashing.
//!
//! The offsets a partition's reads name are dense (a consumer reads a range, a final read
//! reads the whole log), so a table indexed by offset is both the fastest lookup and the
//! smallest. It covers only the offsets from the lowest to the highest, so a log that
//! retention trimmed far above zero is still dense; only where they are sparse (a broken
//! history) does the table fall back to an ordered map.

use std::collections::BTreeMap;

/// The span of the offsets one partition's table will hold, counted before it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct OffsetSpan {
    lowest: u64,
    highest: u64,
    count: usize,
}

impl OffsetSpan {
    pub fn of(offset: u64) -> Self {
        OffsetSpan {
            lowest: offset,
            highest: offset,
            count: 1,
        }
    }

    pub fn add(&mut self, offset: u64) {
        self.lowest = self.lowest.min(offset);
        self.highest = self.highest.max(offset);
        self.count += 1;
    }

    /// Adds `offset` to `span`, starting it if there is none yet.
    pub fn include(span: &mut Option<OffsetSpan>, offset: u64) {
        match span {
            Some(span) => span.add(offset),
            None => *span = Some(OffsetSpan::of(offset)),
        }
    }
}

/// What no slot holds: ids are positions in a vector, which never reach `u32::MAX`.
const EMPTY: u32 = u32::MAX;

/// For each offset, the id of the first entry put there.
#[derive(Debug)]
pub(super) enum FirstAtOffset {
    Dense { lowest: u64, slots: Vec<u32> },
    Sparse(BTreeMap<u64, u32>),
}

impl FirstAtOffset {
    /// A table for offsets within `span`.
    pub fn new(span: Option<OffsetSpan>) -> Self {
        let Some(span) = span else {
            return FirstAtOffset::Dense {
                lowest: 0,
                slots: Vec::new(),
            };
        };
        // Dense unless that would waste more than it holds (plus a little, for tiny tables).
        let width = span.highest - span.lowest;
        match usize::try_from(width) {
            Ok(width) if width <= span.count.saturating_mul(2).saturating_add(64) => FirstAtOffset::Dense {
                lowest: span.lowest,
                slots: vec![EMPTY; width + 1],
            },
            _ => FirstAtOffset::Sparse(BTreeMap::new()),
        }
    }

    /// The id at `offset`, after putting `id` there if the offset was free. `offset` must be
    /// within the span the table was made for.
    pub fn first_or_insert(&mut self, offset: u64, id: u32) -> u32 {
        debug_assert_ne!(id, EMPTY);
        match self {
            FirstAtOffset::Dense { lowest, slots } => {
                let slot = &mut slots[(offset - *lowest) as usize];
                if *slot == EMPTY {
                    *slot = id;
                }
                *slot
            }
            FirstAtOffset::Sparse(map) => *map.entry(offset).or_insert(id),
        }
    }

    /// The id first put at `offset`, if any.
    pub fn get(&self, offset: u64) -> Option<u32> {
        match self {
            FirstAtOffset::Dense { lowest, slots } => {
                let slot = *slots.get(usize::try_from(offset.checked_sub(*lowest)?).ok()?)?;
                (slot != EMPTY).then_some(slot)
            }
            FirstAtOffset::Sparse(map) => map.get(&offset).copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(offsets: &[u64]) -> FirstAtOffset {
        let mut span = None;
        for &offset in offsets {
            OffsetSpan::include(&mut span, offset);
        }
        let mut table = FirstAtOffset::new(span);
        for (id, &offset) in offsets.iter().enumerate() {
            table.first_or_insert(offset, id as u32);
        }
        table
    }

    #[test]
    fn the_first_entry_at_an_offset_stays() {
        for offsets in [&[5, 6, 5, 7][..], &[0, u64::MAX, 0, 3]] {
            let table = table(offsets);
            assert_eq!(table.get(offsets[0]), Some(0));
            assert_eq!(table.get(offsets[1]), Some(1));
            assert_eq!(table.get(offsets[3]), Some(3));
            assert_eq!(table.get(4), None);
            assert_eq!(table.get(1 << 40), None);
        }
        assert!(matches!(table(&[5, 6, 5, 7]), FirstAtOffset::Dense { .. }));
        assert!(matches!(table(&[0, u64::MAX]), FirstAtOffset::Sparse(_)));
        assert_eq!(FirstAtOffset::new(None).get(0), None);
    }
}
