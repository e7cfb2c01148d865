//! The leader-epoch cache: at which offset each leader epoch began in this log (KIP-101).
//!
//! Every batch carries the epoch of the leader that wrote it, so the log is a run of epochs,
//! each starting where the one before ended. The cache keeps one `(leader epoch, start
//! offset)` entry per epoch, both strictly increasing. A new leader also records its epoch at
//! its log end offset as soon as it takes over, before it has written anything, because that
//! offset is where its predecessor's epoch ends as far as the followers are concerned.
//!
//! Its one job is to answer `OffsetsForLeaderEpoch` ([`LeaderEpochCache::end_offset_for_epoch`])
//! so that a follower can find the point where its log and the leader's diverge
//! ([`divergence_point`]) and truncate there, instead of at its high watermark, which may lag
//! behind data that was committed (losing it) or may lie above data that differs from the
//! leader's (keeping it). This file is the pure logic; the log persists it.

use std::collections::BTreeMap;
use std::ops::Bound;

/// The epoch a leader was elected in and the first offset it wrote (or would write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochEntry {
    pub leader_epoch: u64,
    pub start_offset: u64,
}

/// The answer to `OffsetsForLeaderEpoch`: the largest epoch at or below the one asked for,
/// and the offset where it ends (the start of the next epoch, or the log end offset for the
/// latest epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEndOffset {
    pub leader_epoch: u64,
    pub end_offset: u64,
}

/// The epochs of one log, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderEpochCache {
    /// Leader epoch -> its start offset. Both keys and values strictly increase.
    start_offsets: BTreeMap<u64, u64>,
}

impl LeaderEpochCache {
    pub fn new() -> Self {
        LeaderEpochCache::default()
    }

    /// A cache with these entries, assigned in order (so out-of-order ones drop the entries
    /// they contradict, as [`LeaderEpochCache::assign`] does).
    pub fn from_entries(entries: impl IntoIterator<Item = EpochEntry>) -> Self {
        let mut cache = LeaderEpochCache::new();
        for entry in entries {
            cache.assign(entry.leader_epoch, entry.start_offset);
        }
        cache
    }

    pub fn entries(&self) -> Vec<EpochEntry> {
        self.start_offsets
            .iter()
            .map(|(&leader_epoch, &start_offset)| EpochEntry {
                leader_epoch,
                start_offset,
            })
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.start_offsets.is_empty()
    }

    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.start_offsets
            .iter()
            .next_back()
            .map(|(&leader_epoch, &start_offset)| EpochEntry {
                leader_epoch,
                start_offset,
            })
    }

    pub fn latest_epoch(&self) -> Option<u64> {
        self.latest_entry().map(|entry| entry.leader_epoch)
    }

    /// The epoch of the leader that wrote `offset`, if the cache covers it.
    pub fn epoch_for_offset(&self, offset: u64) -> Option<u64> {
        self.start_offsets
            .iter()
            .rev()
            .find(|(_, &start_offset)| start_offset <= offset)
            .map(|(&leader_epoch, _)| leader_epoch)
    }

    /// Records that `leader_epoch` starts at `start_offset`; returns whether the cache changed.
    ///
    /// As in Kafka, the latest entry is kept when the epoch is the same and starts no later.
    /// Otherwise any entry with an epoch at or above `leader_epoch`, or a start offset at or
    /// above `start_offset`, contradicts the new one and is dropped: the entries stay strictly
    /// increasing in both.
    pub fn assign(&mut self, leader_epoch: u64, start_offset: u64) -> bool {
        if let Some(latest) = self.latest_entry() {
            if latest.leader_epoch == leader_epoch && latest.start_offset <= start_offset {
                return false;
            }
        }
        while let Some(latest) = self.latest_entry() {
            if latest.leader_epoch < leader_epoch && latest.start_offset < start_offset {
                break;
            }
            self.start_offsets.remove(&latest.leader_epoch);
        }
        self.start_offsets.insert(leader_epoch, start_offset);
        crate::invariant!(
            self.start_offsets
                .values()
                .zip(self.start_offsets.values().skip(1))
                .all(|(earlier, later)| earlier < later),
            "leader epoch start offsets not strictly increasing: {:?}",
            self.start_offsets
        );
        true
    }

    /// Drops the entries of epochs that start at or after `end_offset`, as the log is
    /// truncated there; returns whether the cache changed.
    pub fn truncate_from_end(&mut self, end_offset: u64) -> bool {
        let before = self.start_offsets.len();
        self.start_offsets
            .retain(|_, start_offset| *start_offset < end_offset);
        self.start_offsets.len() != before
    }

    /// Drops the epochs that end at or before `start_offset`, as the log's start moves
    /// there, and moves the start of the epoch that covers it up to it; returns whether the
    /// cache changed.
    pub fn truncate_from_start(&mut self, start_offset: u64) -> bool {
        let covering = self
            .start_offsets
            .iter()
            .rev()
            .find(|(_, &epoch_start)| epoch_start <= start_offset)
            .map(|(&leader_epoch, &epoch_start)| (leader_epoch, epoch_start));
        let Some((covering_epoch, covering_start)) = covering else {
            return false;
        };
        let before = self.start_offsets.len();
        self.start_offsets
            .retain(|&leader_epoch, _| leader_epoch >= covering_epoch);
        self.start_offsets.insert(covering_epoch, start_offset);
        self.start_offsets.len() != before || covering_start != start_offset
    }

    pub fn clear(&mut self) -> bool {
        let changed = !self.start_offsets.is_empty();
        self.start_offsets.clear();
        changed
    }

    /// The answer to `OffsetsForLeaderEpoch` for `requested_epoch`, as KIP-279 defines it for
    /// a log that ends at `log_end_offset`:
    ///
    /// - the latest epoch ends at the log end offset;
    /// - an older epoch the cache knows ends where the next known epoch starts;
    /// - an epoch the cache does not know, but with known epochs on both sides, is answered
    ///   with the largest known epoch below it and the start of the next one above it;
    /// - an epoch below every known epoch is answered with itself and the start of the first
    ///   known epoch (older epochs were removed with the start of the log);
    /// - `None` (Kafka's `UNDEFINED_EPOCH_OFFSET`) when the cache is empty or the requested
    ///   epoch is newer than the latest one.
    pub fn end_offset_for_epoch(&self, requested_epoch: u64, log_end_offset: u64) -> Option<EpochEndOffset> {
        let latest = self.latest_entry()?;
        if latest.leader_epoch == requested_epoch {
            return Some(EpochEndOffset {
                leader_epoch: requested_epoch,
                end_offset: log_end_offset,
            });
        }
        let after_requested = (Bound::Excluded(requested_epoch), Bound::Unbounded);
        let (_, &next_epoch_start) = self.start_offsets.range(after_requested).next()?;
        let leader_epoch = match self.start_offsets.range(..=requested_epoch).next_back() {
            Some((&floor_epoch, _)) => floor_epoch,
            None => requested_epoch,
        };
        Some(EpochEndOffset {
            leader_epoch,
            end_offset: next_epoch_start,
        })
    }
}

/// What a follower does with the leader's answer to `OffsetsForLeaderEpoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Divergence {
    /// The logs agree below `offset` and may differ from there on: truncate to `offset` and
    /// fetch from it.
    TruncateTo { offset: u64 },
    /// The follower does not know the epoch the leader answered with, so it cannot tell yet
    /// where the logs part. It truncates to `offset` (the end of its own largest epoch below
    /// the leader's answer, which the leader may still not share) and asks again with its
    /// new latest epoch. Each round asks with a smaller epoch, so this ends.
    TruncateAndAskAgain { offset: u64 },
    /// The leader knows no epoch at or below the one asked for (its cache is empty, or the
    /// follower asked with an epoch the leader has not seen, which means the leader is
    /// stale). No common prefix can be proven. Kafka falls back to the high watermark here;
    /// this log never does: the caller retries against a newer leader, or truncates fully
    /// and fetches from the leader's log start.
    NoCommonEpoch,
}

/// Where a follower's log diverges from its leader's (KIP-101, refined by KIP-279).
///
/// The follower asks the leader for the end of the follower's latest epoch; `leader_answer`
/// is the reply: the largest epoch at or below it that the leader knows, and where that epoch
/// ends in the leader's log. The rule, as in Kafka's fetcher:
///
/// - when the follower knows that epoch too, both logs agree up to the smaller of the two
///   ends of that epoch, because within one epoch there was only one leader writing and
///   every replica holds a prefix of what it wrote. So the follower truncates to the minimum
///   of the leader's end offset, its own end offset for that epoch and its log end offset.
///   That keeps every committed record (a committed record lies below the leader's end for
///   its epoch) and drops every record from an old epoch that the new leader never had;
/// - when the follower does not know that epoch, it truncates to where its own largest
///   epoch below it ends and asks again;
/// - when the follower knows no epoch at all (an empty log), it keeps at most what lies
///   below the leader's end offset.
pub fn divergence_point(
    local: &LeaderEpochCache,
    local_log_end_offset: u64,
    leader_answer: Option<EpochEndOffset>,
) -> Divergence {
    let Some(leader_answer) = leader_answer else {
        return Divergence::NoCommonEpoch;
    };
    match local.end_offset_for_epoch(leader_answer.leader_epoch, local_log_end_offset) {
        Some(local_end) if local_end.leader_epoch == leader_answer.leader_epoch => Divergence::TruncateTo {
            offset: local_end
                .end_offset
                .min(leader_answer.end_offset)
                .min(local_log_end_offset),
        },
        Some(local_end) => Divergence::TruncateAndAskAgain {
            offset: local_end.end_offset.min(local_log_end_offset),
        },
        None => Divergence::TruncateTo {
            offset: leader_answer.end_offset.min(local_log_end_offset),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(u64, u64)]) -> LeaderEpochCache {
        LeaderEpochCache::from_entries(entries.iter().map(|&(leader_epoch, start_offset)| EpochEntry {
            leader_epoch,
            start_offset,
        }))
    }

    fn answer(leader_epoch: u64, end_offset: u64) -> Option<EpochEndOffset> {
        Some(EpochEndOffset {
            leader_epoch,
            end_offset,
        })
    }

    #[test]
    fn assign_keeps_epochs_and_offsets_strictly_increasing() {
        let mut epochs = cache(&[(1, 0), (3, 50)]);
        assert!(
            !epochs.assign(3, 60),
            "a later batch of the latest epoch changes nothing"
        );
        assert!(epochs.assign(4, 70));
        // A leader that recorded epoch 5 at its log end but never wrote is superseded by
        // epoch 6 starting at the same offset.
        assert!(epochs.assign(5, 80));
        assert!(epochs.assign(6, 80));
        assert_eq!(epochs, cache(&[(1, 0), (3, 50), (4, 70), (6, 80)]));
        // An older epoch at a lower offset contradicts everything from there on.
        assert!(epochs.assign(2, 40));
        assert_eq!(epochs, cache(&[(1, 0), (2, 40)]));
    }

    #[test]
    fn end_offsets_follow_kip_279() {
        let epochs = cache(&[(1, 0), (3, 50), (5, 90)]);
        let log_end_offset = 120;
        let ask = |epoch| epochs.end_offset_for_epoch(epoch, log_end_offset);
        assert_eq!(ask(5), answer(5, 120), "the latest epoch ends at the log end");
        assert_eq!(ask(3), answer(3, 90), "a known epoch ends where the next begins");
        assert_eq!(ask(1), answer(1, 50));
        assert_eq!(
            ask(4),
            answer(3, 90),
            "an unknown epoch gets the largest known one below it"
        );
        assert_eq!(
            ask(0),
            answer(0, 0),
            "below every known epoch: the first start offset"
        );
        assert_eq!(ask(6), None, "an epoch newer than the latest is undefined");
        assert_eq!(LeaderEpochCache::new().end_offset_for_epoch(1, 10), None);
    }

    #[test]
    fn truncation_from_the_end_drops_epochs_starting_at_or_after_it() {
        let mut epochs = cache(&[(1, 0), (3, 50), (5, 90)]);
        assert!(epochs.truncate_from_end(90));
        assert_eq!(epochs, cache(&[(1, 0), (3, 50)]));
        assert!(!epochs.truncate_from_end(60));
        assert!(epochs.truncate_from_end(0));
        assert!(epochs.is_empty());
    }

    #[test]
    fn truncation_from_the_start_moves_the_covering_epoch_up() {
        let mut epochs = cache(&[(1, 0), (3, 50), (5, 90)]);
        assert!(epochs.truncate_from_start(60));
        assert_eq!(epochs, cache(&[(3, 60), (5, 90)]));
        assert!(epochs.truncate_from_start(90));
        assert_eq!(epochs, cache(&[(5, 90)]));
        assert!(!epochs.truncate_from_start(90));
        assert_eq!(epochs.epoch_for_offset(95), Some(5));
        assert_eq!(epochs.epoch_for_offset(10), None);
    }

    /// KIP-101, scenario 1 (data loss). Leader A and follower B both hold offsets 0 and 1
    /// from epoch 1, but B's high watermark is still 1 when it restarts. Truncating to its
    /// high watermark would drop offset 1, which A may already have acknowledged; if A then
    /// dies, it is gone. By epoch, B keeps everything A has.
    #[test]
    fn a_restarted_follower_keeps_what_the_leader_has() {
        let follower = cache(&[(1, 0)]);
        let leader = cache(&[(1, 0)]);
        let leader_answer = leader.end_offset_for_epoch(1, 2);
        assert_eq!(
            divergence_point(&follower, 2, leader_answer),
            Divergence::TruncateTo { offset: 2 }
        );
    }

    /// KIP-101, scenario 2 (divergence). A leads epoch 1 and has written offsets 0 and 1, B
    /// has only offset 0. Both crash; B returns first, becomes leader of epoch 2 and writes a
    /// different record at offset 1. A returns as a follower with its uncommitted offset 1
    /// from epoch 1, which it must drop even though its log is no longer than B's.
    #[test]
    fn a_follower_drops_uncommitted_records_of_an_old_epoch() {
        let follower = cache(&[(1, 0)]);
        let leader = cache(&[(1, 0), (2, 1)]);
        let leader_answer = leader.end_offset_for_epoch(follower.latest_epoch().unwrap(), 2);
        assert_eq!(leader_answer, answer(1, 1));
        assert_eq!(
            divergence_point(&follower, 2, leader_answer),
            Divergence::TruncateTo { offset: 1 }
        );
    }

    /// A follower that led epoch 3 for a while (writing offsets 50 to 79 nobody else got)
    /// while the real history went on under epochs 2 and 4.
    #[test]
    fn a_follower_with_an_epoch_the_leader_never_had_asks_again() {
        let mut follower = cache(&[(1, 0), (3, 50)]);
        let leader = cache(&[(1, 0), (2, 40), (4, 60)]);
        let leader_log_end_offset = 100;

        let first_answer = leader.end_offset_for_epoch(3, leader_log_end_offset);
        assert_eq!(first_answer, answer(2, 60));
        let first = divergence_point(&follower, 80, first_answer);
        assert_eq!(first, Divergence::TruncateAndAskAgain { offset: 50 });
        follower.truncate_from_end(50);

        let second_answer =
            leader.end_offset_for_epoch(follower.latest_epoch().unwrap(), leader_log_end_offset);
        assert_eq!(second_answer, answer(1, 40));
        assert_eq!(
            divergence_point(&follower, 50, second_answer),
            Divergence::TruncateTo { offset: 40 }
        );
    }

    #[test]
    fn a_follower_behind_the_leader_truncates_nothing() {
        let follower = cache(&[(1, 0), (2, 30)]);
        let leader = cache(&[(1, 0), (2, 30), (3, 70)]);
        let leader_answer = leader.end_offset_for_epoch(2, 90);
        assert_eq!(leader_answer, answer(2, 70));
        assert_eq!(
            divergence_point(&follower, 45, leader_answer),
            Divergence::TruncateTo { offset: 45 }
        );
    }

    #[test]
    fn an_empty_follower_keeps_nothing_beyond_the_leader_and_no_answer_proves_nothing() {
        assert_eq!(
            divergence_point(&LeaderEpochCache::new(), 0, answer(2, 10)),
            Divergence::TruncateTo { offset: 0 }
        );
        assert_eq!(
            divergence_point(&cache(&[(1, 0)]), 5, None),
            Divergence::NoCommonEpoch
        );
    }
}
