//! The metadata log as the checkers replay it: every batch once, in offset order, and only the
//! batches that took effect.
//!
//! Every controller reports each batch it applies, so one offset shows up once per controller,
//! and again when a controller restarts and re-applies its log from the beginning or from a
//! snapshot. A controller applies its log in offset order, so the first report of each offset
//! across the cluster arrives in offset order too; replaying only reports beyond the highest
//! offset seen so far gives every checker the log exactly once, in order, whoever reported it.
//! Whether those reports agree with each other is the metadata-log-agreement checker's
//! business: here the first report of an offset stands for all of them.

use korasim_core::metadata::MetadataRecord;
use korasim_core::observe::Event;

use crate::trace::{TraceEntry, TraceKind};

/// A batch that took effect, seen for the first time.
pub struct NewBatch<'a> {
    pub offset: u64,
    pub records: &'a [MetadataRecord],
}

/// Picks, out of the stream of applied-batch reports, each offset's first report.
#[derive(Debug, Default)]
pub struct LogReplay {
    highest_offset_seen: Option<u64>,
}

impl LogReplay {
    /// The batch this entry reports, if it is the first report of a new offset and the batch was
    /// not rejected. A rejected batch still counts as seen: it was a no-op everywhere.
    pub fn next_batch<'a>(&mut self, entry: &'a TraceEntry) -> Option<NewBatch<'a>> {
        let TraceKind::Node(Event::MetadataApplied {
            offset,
            records,
            rejected,
        }) = &entry.kind
        else {
            return None;
        };
        if self.highest_offset_seen.is_some_and(|highest| *offset <= highest) {
            return None;
        }
        self.highest_offset_seen = Some(*offset);
        if rejected.is_some() {
            return None;
        }
        Some(NewBatch {
            offset: *offset,
            records,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::test_support::*;

    fn replayed(replay: &mut LogReplay, entry: &TraceEntry) -> Option<u64> {
        replay.next_batch(entry).map(|batch| batch.offset)
    }

    #[test]
    fn each_offset_is_replayed_once_whoever_reports_it() {
        let mut replay = LogReplay::default();
        assert_eq!(
            replayed(&mut replay, &applied("controller-1", 1, 1, vec![])),
            Some(1)
        );
        assert_eq!(
            replayed(&mut replay, &applied("controller-2", 2, 1, vec![])),
            None
        );
        assert_eq!(
            replayed(&mut replay, &applied("controller-2", 3, 2, vec![])),
            Some(2)
        );
        assert_eq!(
            replayed(&mut replay, &applied("controller-1", 4, 2, vec![])),
            None
        );
    }

    #[test]
    fn a_restarted_controller_reapplying_old_offsets_is_not_replayed() {
        let mut replay = LogReplay::default();
        for offset in 1..=5 {
            assert!(replay
                .next_batch(&applied("controller-1", offset, offset, vec![]))
                .is_some());
        }
        for offset in 1..=5 {
            assert!(replay
                .next_batch(&applied("controller-1", 10 + offset, offset, vec![]))
                .is_none());
        }
        assert_eq!(
            replayed(&mut replay, &applied("controller-1", 20, 6, vec![])),
            Some(6)
        );
    }

    #[test]
    fn rejected_batches_are_skipped_but_count_as_seen() {
        let mut replay = LogReplay::default();
        assert_eq!(
            replayed(&mut replay, &rejected("controller-1", 1, 1, vec![])),
            None
        );
        // Another controller claiming the same offset took effect is a disagreement for the
        // agreement checker, not a second chance for the batch.
        assert_eq!(
            replayed(&mut replay, &applied("controller-2", 2, 1, vec![])),
            None
        );
        assert_eq!(
            replayed(&mut replay, &applied("controller-2", 3, 2, vec![])),
            Some(2)
        );
    }
}
