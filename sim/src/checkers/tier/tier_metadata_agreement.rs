//! Every broker materialises the same tier metadata: the same record, with the same verdict,
//! at every offset of every tier partition.
//!
//! Each broker builds its view of the remote tier (which segments exist, which offsets they
//! serve, which objects may be deleted) by applying the committed records of the
//! tier-metadata topic in offset order, with the same rules. If two brokers read different
//! records at one offset, or one applied a record another rejected, their views diverge: a
//! new leader would tier, serve or delete on a different idea of the remote log than the
//! last. A broker applying its tier partitions again after a restart is held to the same
//! standard. The checker compares brokers; it does not apply the rules itself.
//!
//! It also holds each broker to reading a tier partition without holes: a broker that
//! applies offset `o` must have applied offset `o - 1` before (in this life or an earlier
//! one), since a skipped record changes its state silently. Its first offset of a tier
//! partition must be 0 (the tier-metadata topic keeps everything).
//!
//! Each finding is reported once per broker and offset. Memory: one record per offset of the
//! tier-metadata topic.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;
use korasim_core::tier::TierRecord;

use super::violation::{RecordAt, TierViolation};
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "tier-metadata-agreement";

#[derive(Debug)]
struct FirstMaterialised {
    broker: BrokerId,
    record: TierRecord,
    rejected: Option<String>,
}

/// The record and verdict first materialised at every offset, and how far each broker read.
#[derive(Debug, Default)]
pub struct TierMetadataAgreement {
    first: BTreeMap<RecordAt, FirstMaterialised>,
    /// The highest offset each broker materialised of each tier partition.
    highest: BTreeMap<(BrokerId, u32), u64>,
    reported: BTreeSet<(RecordAt, BrokerId)>,
}

impl TierMetadataAgreement {
    pub fn new() -> Self {
        Self::default()
    }

    fn skipped(&mut self, entry: &TraceEntry, broker: BrokerId, record_at: RecordAt) -> Option<Violation> {
        let highest = self.highest.entry((broker, record_at.tier_partition));
        let first_missing = match highest {
            Entry::Vacant(vacant) => {
                vacant.insert(record_at.offset);
                0
            }
            Entry::Occupied(mut occupied) => {
                let first_missing = *occupied.get() + 1;
                let highest = occupied.get_mut();
                *highest = (*highest).max(record_at.offset);
                first_missing
            }
        };
        (record_at.offset > first_missing).then_some(Violation::Tier(TierViolation::RecordSkipped {
            at: entry.at,
            broker,
            record_at,
            first_missing,
        }))
    }
}

impl Checker for TierMetadataAgreement {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(Event::TierRecordMaterialized {
            broker,
            tier_partition,
            offset,
            record,
            rejected,
        }) = &entry.kind
        else {
            return Vec::new();
        };
        let record_at = RecordAt {
            tier_partition: *tier_partition,
            offset: *offset,
        };
        let mut found = Vec::new();
        found.extend(self.skipped(entry, *broker, record_at));
        match self.first.get(&record_at) {
            None => {
                self.first.insert(
                    record_at,
                    FirstMaterialised {
                        broker: *broker,
                        record: record.clone(),
                        rejected: rejected.clone(),
                    },
                );
            }
            Some(first) if first.record != *record => {
                found.push(Violation::Tier(TierViolation::RecordDiverged {
                    at: entry.at,
                    record_at,
                    first_broker: first.broker,
                    first_record: first.record.clone(),
                    broker: *broker,
                    record: record.clone(),
                }));
            }
            Some(first) => {
                let verdicts = match (&first.rejected, rejected) {
                    (None, Some(reason)) => Some((first.broker, *broker, reason)),
                    (Some(reason), None) => Some((*broker, first.broker, reason)),
                    _ => None,
                };
                if let Some((accepted_by, rejected_by, reason)) = verdicts {
                    found.push(Violation::Tier(TierViolation::VerdictDiverged {
                        at: entry.at,
                        record_at,
                        record: record.clone(),
                        accepted_by,
                        rejected_by,
                        reason: reason.clone(),
                    }));
                }
            }
        }
        if found.is_empty() || !self.reported.insert((record_at, *broker)) {
            return Vec::new();
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::run;
    use crate::checkers::tier::test_support::*;

    fn record_at(tier_partition: u32, offset: u64) -> RecordAt {
        RecordAt {
            tier_partition,
            offset,
        }
    }

    #[test]
    fn brokers_materialising_the_same_records_agree() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                materialized(2, 110, 0, 0, init("t", 0, 1)),
                rejected_at(1, 120, 0, 1, started("t", 0, 0, "a", 0, 9)),
                rejected_at(2, 130, 0, 1, started("t", 0, 0, "a", 0, 9)),
                materialized(3, 140, 1, 0, init("u", 2, 4)),
                materialized(3, 150, 0, 0, init("t", 0, 1)),
                // Broker 1 restarts and applies tier partition 0 again from its start.
                materialized(1, 200, 0, 0, init("t", 0, 1)),
                rejected_at(1, 210, 0, 1, started("t", 0, 0, "a", 0, 9)),
                // Broker 3 reads on from where it was.
                rejected_at(3, 220, 0, 1, started("t", 0, 0, "a", 0, 9)),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn another_record_at_one_offset_is_a_divergence() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                materialized(2, 200, 0, 0, init("t", 0, 2)),
                // After a restart, the same finding is not reported again.
                materialized(2, 300, 0, 0, init("t", 0, 2)),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::Tier(TierViolation::RecordDiverged {
                at: Duration::from_millis(200),
                record_at: record_at(0, 0),
                first_broker: 1,
                first_record: init("t", 0, 1),
                broker: 2,
                record: init("t", 0, 2),
            })]
        );
        assert_eq!(violations[0].checker(), NAME);
        assert!(
            violations[0]
                .to_string()
                .contains("tier metadata diverged at __tier_metadata-0 offset 0"),
            "{}",
            violations[0]
        );
    }

    #[test]
    fn a_restarted_broker_reading_another_record_is_a_divergence() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                materialized(1, 200, 0, 0, finished("t", 0, 1, "a")),
            ],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::Tier(TierViolation::RecordDiverged { broker: 1, .. })]
        ));
    }

    #[test]
    fn applying_what_another_rejected_is_a_disagreement() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                rejected_at(1, 110, 0, 1, finished("t", 0, 1, "a")),
                materialized(2, 200, 0, 0, init("t", 0, 1)),
                materialized(2, 210, 0, 1, finished("t", 0, 1, "a")),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::Tier(TierViolation::VerdictDiverged {
                at: Duration::from_millis(210),
                record_at: record_at(0, 1),
                record: finished("t", 0, 1, "a"),
                accepted_by: 2,
                rejected_by: 1,
                reason: "fenced".to_string(),
            })]
        );
    }

    #[test]
    fn rejecting_what_another_applied_is_a_disagreement() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                rejected_at(2, 200, 0, 0, init("t", 0, 1)),
            ],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::Tier(TierViolation::VerdictDiverged {
                accepted_by: 1,
                rejected_by: 2,
                ..
            })]
        ));
    }

    #[test]
    fn skipping_an_offset_is_reported() {
        let violations = run(
            &mut TierMetadataAgreement::new(),
            &[
                materialized(1, 100, 0, 0, init("t", 0, 1)),
                materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 9)),
                materialized(1, 120, 0, 2, finished("t", 0, 1, "a")),
                materialized(2, 130, 0, 0, init("t", 0, 1)),
                materialized(2, 140, 0, 2, finished("t", 0, 1, "a")),
                // Broker 3 starts in the middle of a tier partition.
                materialized(3, 150, 0, 1, started("t", 0, 1, "a", 0, 9)),
            ],
        );
        assert_eq!(
            violations,
            vec![
                Violation::Tier(TierViolation::RecordSkipped {
                    at: Duration::from_millis(140),
                    broker: 2,
                    record_at: record_at(0, 2),
                    first_missing: 1,
                }),
                Violation::Tier(TierViolation::RecordSkipped {
                    at: Duration::from_millis(150),
                    broker: 3,
                    record_at: record_at(0, 1),
                    first_missing: 0,
                }),
            ]
        );
    }
}
