//! Local data is deleted only after its copy-finished record is committed.
//!
//! Every segment a broker reports deleting from its local log (`LocalSegmentsDeleted`, base
//! to last offset) must lie entirely within the serving ranges of remote segments whose
//! `CopyFinished` was accepted and *committed when the broker deleted it*: its offset in the
//! tier-metadata topic below the highest high watermark announced for that tier partition
//! before the deletion. Otherwise a crash of the remote write path, or a leader change that
//! fences the upload, would leave offsets in no tier at all.
//!
//! Remote retention does not change the verdict: a segment whose `CopyFinished` was
//! committed and whose remote copy was later deleted (`DeleteStarted`) still counts as
//! covering its offsets. Remote deletion is retention's verdict that the data may go; once
//! total retention removed it remotely, the local copy going too is legal (Kafka's
//! `retention.ms` applies to the whole log). Whether remote retention deleted the right
//! segments at the right time is the durability audits' question, not this checker's.
//! Local deletion by truncation (`ReplicaTruncated`) is a different event, judged by the
//! replica checkers.
//!
//! A broker may act on a committed `CopyFinished` before any broker reported materialising
//! it, so a deletion that is not covered yet waits until the tier-metadata log is known up
//! to the high watermark noted at the deletion (then it is judged, and reported with the
//! deletion's time), or until the end of the run.

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use super::remote_log::{Change, RemoteLogs};
use super::tier_log::TierLog;
use super::violation::TierViolation;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "local-deleted-after-tiered";

/// A local segment deletion not judged yet.
#[derive(Debug, Clone)]
struct Deletion {
    at: Duration,
    broker: BrokerId,
    topic: String,
    partition: u32,
    segment: (u64, u64),
    /// Every tier partition's high watermark when the segment was deleted.
    tier_high_watermarks: BTreeMap<u32, u64>,
}

enum Verdict {
    Covered,
    Uncovered(Box<TierViolation>),
    Undecided,
}

/// The remote serving ranges with the offset of their `CopyFinished`, and the deletions
/// waiting for the tier-metadata log to catch up.
#[derive(Debug, Default)]
pub struct LocalDeletedAfterTiered {
    tier_log: TierLog,
    remote: RemoteLogs,
    /// Per partition: `(serving start, CopyFinished offset)` to the last offset served.
    tiered: BTreeMap<(String, u32), BTreeMap<(u64, u64), u64>>,
    waiting: Vec<Deletion>,
}

impl LocalDeletedAfterTiered {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first offset of `base..=last` that no remote segment finished by a record below
    /// `high_watermark` served, if any.
    fn first_uncovered(
        &self,
        topic: &str,
        partition: u32,
        (base, last): (u64, u64),
        high_watermark: u64,
    ) -> Option<u64> {
        let mut next = base;
        if let Some(ranges) = self.tiered.get(&(topic.to_string(), partition)) {
            for (&(start, finished_at), &end) in ranges {
                if finished_at >= high_watermark || end < next {
                    continue;
                }
                if start > next {
                    break;
                }
                next = end + 1;
                if next > last {
                    return None;
                }
            }
        }
        Some(next)
    }

    fn judge(&self, deletion: &Deletion, final_verdict: bool) -> Verdict {
        let tier_partition = self
            .remote
            .partition(&deletion.topic, deletion.partition)
            .and_then(|remote| remote.tier_partition);
        let tier_high_watermark = tier_partition
            .and_then(|tier_partition| deletion.tier_high_watermarks.get(&tier_partition).copied());
        let first_uncovered = match tier_partition {
            Some(_) => self.first_uncovered(
                &deletion.topic,
                deletion.partition,
                deletion.segment,
                tier_high_watermark.unwrap_or(0),
            ),
            None => Some(deletion.segment.0),
        };
        let Some(first_uncovered) = first_uncovered else {
            return Verdict::Covered;
        };
        let decided = final_verdict
            || match tier_partition {
                Some(tier_partition) => self
                    .tier_log
                    .caught_up(tier_partition, tier_high_watermark.unwrap_or(0)),
                None => deletion
                    .tier_high_watermarks
                    .iter()
                    .all(|(&tier_partition, &high_watermark)| {
                        self.tier_log.caught_up(tier_partition, high_watermark)
                    }),
            };
        if !decided {
            return Verdict::Undecided;
        }
        Verdict::Uncovered(Box::new(TierViolation::LocalDeletedBeforeTiered {
            at: deletion.at,
            broker: deletion.broker,
            topic: deletion.topic.clone(),
            partition: deletion.partition,
            segment: deletion.segment,
            first_uncovered,
            tier_partition,
            tier_high_watermark,
        }))
    }

    /// Judges the waiting deletions again; keeps those still undecided.
    fn judge_waiting(&mut self, final_verdict: bool) -> Vec<Violation> {
        let mut found = Vec::new();
        let waiting = std::mem::take(&mut self.waiting);
        for deletion in waiting {
            match self.judge(&deletion, final_verdict) {
                Verdict::Covered => {}
                Verdict::Uncovered(violation) => found.push(Violation::Tier(*violation)),
                Verdict::Undecided => self.waiting.push(deletion),
            }
        }
        found
    }
}

impl Checker for LocalDeletedAfterTiered {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(event) = &entry.kind else {
            return Vec::new();
        };
        if let Event::LocalSegmentsDeleted {
            broker,
            topic,
            partition,
            segments,
            ..
        } = event
        {
            for &(base, last) in segments {
                if base > last {
                    continue;
                }
                self.waiting.push(Deletion {
                    at: entry.at,
                    broker: *broker,
                    topic: topic.clone(),
                    partition: *partition,
                    segment: (base, last),
                    tier_high_watermarks: self.tier_log.high_watermarks().clone(),
                });
            }
            return self.judge_waiting(false);
        }
        let Some(tier_entry) = self.tier_log.observe(event, entry.at) else {
            return Vec::new();
        };
        let record = &tier_entry.record;
        let change = self
            .remote
            .apply(record, tier_entry.accepted, tier_entry.record_at, entry.at);
        if let Some(Change::Finished { object_id, .. }) = change {
            let upload = self
                .remote
                .upload(&record.topic, record.partition, &object_id)
                .expect("a finished upload is known");
            if let Some((start, last)) = upload.serving_range() {
                self.tiered
                    .entry((record.topic.clone(), record.partition))
                    .or_default()
                    .insert((start, tier_entry.record_at.offset), last);
            }
        }
        if self.waiting.is_empty() {
            return Vec::new();
        }
        self.judge_waiting(false)
    }

    fn finish(&mut self, _at: Duration) -> Vec<Violation> {
        self.judge_waiting(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::test_support::run;
    use crate::checkers::tier::test_support::*;

    /// Object "a" serves 0..=7 (its CopyFinished at tier offset 2), "b" serves 8..=14
    /// (CopyFinished at tier offset 4); the tier high watermark reaches 5 at 400 ms.
    fn tiered() -> Vec<TraceEntry> {
        vec![
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
            tier_hw(1, 200, 0, 3),
            materialized(1, 210, 0, 2, finished("t", 0, 1, "a")),
            materialized(1, 220, 0, 3, started("t", 0, 1, "b", 5, 14)),
            tier_hw(1, 400, 0, 5),
            materialized(1, 410, 0, 4, finished("t", 0, 1, "b")),
        ]
    }

    #[test]
    fn deleting_tiered_segments_passes() {
        let mut entries = tiered();
        entries.extend([
            local_deleted(1, 500, "t", 0, &[(0, 3), (4, 7)]),
            // A replica that rolled elsewhere: its segment spans both objects.
            local_deleted(2, 510, "t", 0, &[(0, 11)]),
            local_deleted(3, 520, "t", 0, &[(0, 14)]),
            // The remote copy of "a" deleted by retention: the local copy may go too.
            materialized(1, 600, 0, 5, delete_started("t", 0, 1, "a")),
            materialized(1, 610, 0, 6, delete_finished("t", 0, 1, "a")),
            local_deleted(4, 620, "t", 0, &[(0, 7)]),
        ]);
        assert_eq!(run(&mut LocalDeletedAfterTiered::new(), &entries), vec![]);
    }

    #[test]
    fn a_deletion_acting_on_a_committed_record_not_yet_materialised_passes() {
        let entries = vec![
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
            tier_hw(1, 200, 0, 3),
            // The uploader deletes once its CopyFinished is committed, before any broker
            // reports materialising it.
            local_deleted(1, 210, "t", 0, &[(0, 7)]),
            materialized(2, 220, 0, 0, init("t", 0, 1)),
            materialized(2, 230, 0, 1, started("t", 0, 1, "a", 0, 7)),
            materialized(2, 240, 0, 2, finished("t", 0, 1, "a")),
        ];
        assert_eq!(run(&mut LocalDeletedAfterTiered::new(), &entries), vec![]);
    }

    #[test]
    fn deleting_a_segment_never_tiered_is_reported() {
        let mut entries = tiered();
        entries.push(local_deleted(2, 500, "t", 0, &[(0, 7), (8, 16)]));
        let violations = run(&mut LocalDeletedAfterTiered::new(), &entries);
        assert_eq!(
            violations,
            vec![Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
                at: Duration::from_millis(500),
                broker: 2,
                topic: "t".to_string(),
                partition: 0,
                segment: (8, 16),
                first_uncovered: 15,
                tier_partition: Some(0),
                tier_high_watermark: Some(5),
            })]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn deleting_before_the_copy_finished_is_committed_is_reported() {
        let mut entries = tiered();
        // At 300 ms the tier high watermark is 3: "b"'s CopyFinished (offset 4) is not
        // committed, though it is materialised by the end.
        entries.insert(5, local_deleted(1, 300, "t", 0, &[(8, 14)]));
        let violations = run(&mut LocalDeletedAfterTiered::new(), &entries);
        assert!(matches!(
            violations.as_slice(),
            [Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
                first_uncovered: 8,
                tier_high_watermark: Some(3),
                ..
            })]
        ));
    }

    #[test]
    fn deleting_while_only_the_copy_started_is_reported() {
        let entries = vec![
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
            tier_hw(1, 200, 0, 2),
            local_deleted(1, 300, "t", 0, &[(0, 7)]),
        ];
        assert!(matches!(
            run(&mut LocalDeletedAfterTiered::new(), &entries).as_slice(),
            [Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
                first_uncovered: 0,
                ..
            })]
        ));
    }

    #[test]
    fn deleting_with_no_tier_record_at_all_is_reported() {
        let violations = run(
            &mut LocalDeletedAfterTiered::new(),
            &[local_deleted(1, 300, "t", 0, &[(0, 7)])],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
                tier_partition: None,
                tier_high_watermark: None,
                ..
            })]
        ));
    }

    #[test]
    fn a_committed_record_never_materialised_cannot_cover_a_deletion() {
        let entries = [
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
            tier_hw(1, 200, 0, 3),
            local_deleted(1, 210, "t", 0, &[(0, 7)]),
        ];
        // Waiting for offset 2 until the end of the run, then reported.
        let mut checker = LocalDeletedAfterTiered::new();
        let seen: Vec<Violation> = entries.iter().flat_map(|entry| checker.observe(entry)).collect();
        assert_eq!(seen, vec![]);
        assert!(matches!(
            checker.finish(Duration::from_secs(1)).as_slice(),
            [Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
                at,
                first_uncovered: 0,
                ..
            })] if *at == Duration::from_millis(210)
        ));
    }
}
