//! The batches of one partition: those committed, and those each replica holds that are not
//! known to equal a committed one.

use std::collections::BTreeMap;

use super::{CommittedBatch, ReplicaBatch};

/// What one replica holds, batches equal to committed ones left out: its uncommitted tail,
/// and any divergent batches.
#[derive(Debug, Default)]
pub(super) struct ReplicaLog {
    /// Batches overlapping no committed batch, by base offset.
    pub tail: BTreeMap<u64, ReplicaBatch>,
    /// Batches that overlap a committed batch and differ from it, by base offset, each with
    /// the first such committed batch. Tolerated only as a stale tail, from an older leader
    /// epoch than that batch's, which the replica has yet to truncate.
    pub divergent: BTreeMap<u64, (ReplicaBatch, CommittedBatch)>,
}

impl ReplicaLog {
    /// Forgets every batch that is not wholly within `start..end`: the replica's log now
    /// starts at `start` and ends at `end`.
    pub fn keep_between(&mut self, start: u64, end: u64) {
        self.tail = self.tail.split_off(&start);
        self.divergent = self.divergent.split_off(&start);
        self.cut_from(end);
    }

    /// Forgets every batch holding `offset` or a later one.
    pub fn cut_from(&mut self, offset: u64) {
        cut_from(&mut self.tail, offset, |batch| batch.last_offset);
        cut_from(&mut self.divergent, offset, |(batch, _)| batch.last_offset);
    }

    /// The first batch above the one at `base` whose leader epoch is at least `leader_epoch`.
    pub fn later_of_epoch(&self, base: u64, leader_epoch: u64) -> Option<ReplicaBatch> {
        let tail = self.tail.range(base + 1..).map(|(_, batch)| *batch);
        let divergent = self.divergent.range(base + 1..).map(|(_, (batch, _))| *batch);
        tail.chain(divergent)
            .filter(|batch| batch.leader_epoch >= leader_epoch)
            .min_by_key(|batch| batch.base_offset)
    }
}

fn cut_from<T>(batches: &mut BTreeMap<u64, T>, offset: u64, last_offset: impl Fn(&T) -> u64) {
    batches.split_off(&offset);
    if batches
        .last_key_value()
        .is_some_and(|(_, last)| last_offset(last) >= offset)
    {
        batches.pop_last();
    }
}

/// How a batch compares with the committed ones.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Judgement {
    /// It is a committed batch.
    Committed,
    /// It overlaps no committed batch.
    Uncommitted,
    /// It overlaps this committed batch (the first it overlaps) and differs from it.
    Differs(CommittedBatch),
}

/// A partition's committed batches, by base offset; never overlapping.
#[derive(Debug, Default)]
pub(super) struct Committed {
    batches: BTreeMap<u64, CommittedBatch>,
}

impl Committed {
    pub fn judge(&self, batch: &ReplicaBatch) -> Judgement {
        let mut judgement = Judgement::Uncommitted;
        for committed in self.overlapping(batch) {
            if committed.batch == *batch {
                return Judgement::Committed;
            }
            judgement = Judgement::Differs(*committed);
        }
        judgement
    }

    pub fn insert(&mut self, committed: CommittedBatch) {
        self.batches.insert(committed.batch.base_offset, committed);
    }

    /// The committed batches sharing an offset with `batch`, last first.
    fn overlapping<'a>(&'a self, batch: &'a ReplicaBatch) -> impl Iterator<Item = &'a CommittedBatch> + 'a {
        self.batches
            .range(..=batch.last_offset)
            .rev()
            .map(|(_, committed)| committed)
            .take_while(|committed| committed.batch.last_offset >= batch.base_offset)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn batch(base_offset: u64, last_offset: u64, leader_epoch: u64) -> ReplicaBatch {
        ReplicaBatch {
            base_offset,
            last_offset,
            leader_epoch,
            checksum: 7,
        }
    }

    fn log(batches: &[(u64, u64)]) -> ReplicaLog {
        let mut log = ReplicaLog::default();
        for &(base, last) in batches {
            log.tail.insert(base, batch(base, last, 1));
        }
        log
    }

    fn bases(log: &ReplicaLog) -> Vec<u64> {
        log.tail.keys().copied().collect()
    }

    #[test]
    fn cutting_drops_the_batch_holding_the_offset_and_everything_after() {
        let mut replica = log(&[(0, 4), (5, 9), (10, 14)]);
        replica.cut_from(10);
        assert_eq!(bases(&replica), [0, 5]);
        replica.cut_from(7);
        assert_eq!(bases(&replica), [0]);
        replica.cut_from(100);
        assert_eq!(bases(&replica), [0]);
    }

    #[test]
    fn keeping_a_range_drops_batches_starting_before_it() {
        let mut replica = log(&[(0, 4), (5, 9), (10, 14)]);
        replica.keep_between(3, 15);
        assert_eq!(bases(&replica), [5, 10]);
        replica.keep_between(20, 20);
        assert_eq!(bases(&replica), Vec::<u64>::new());
    }

    #[test]
    fn judging_compares_layout_epoch_and_checksum() {
        let mut committed = Committed::default();
        for (base, last) in [(0, 4), (5, 9)] {
            committed.insert(CommittedBatch {
                batch: batch(base, last, 1),
                by: 1,
                leader_epoch: 1,
                high_watermark: 10,
                at: Duration::ZERO,
            });
        }
        assert_eq!(committed.judge(&batch(5, 9, 1)), Judgement::Committed);
        assert_eq!(committed.judge(&batch(10, 12, 1)), Judgement::Uncommitted);
        let Judgement::Differs(first) = committed.judge(&batch(3, 12, 1)) else {
            panic!("a different layout over committed offsets differs");
        };
        assert_eq!(first.batch.base_offset, 0);
        assert!(matches!(committed.judge(&batch(5, 9, 2)), Judgement::Differs(_)));
        let other_bytes = ReplicaBatch {
            checksum: 8,
            ..batch(5, 9, 1)
        };
        assert!(matches!(committed.judge(&other_bytes), Judgement::Differs(_)));
    }
}
