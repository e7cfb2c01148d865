//! Every controller applies the same batch at the same offset.
//!
//! This is Raft's state machine safety: once a server has applied the entry at an index, no
//! other server ever applies a different entry at that index. KRaft controllers build their
//! whole view of the cluster (brokers, epochs, leaders) by applying the metadata log, and the
//! brokers follow whichever controller is active; if two controllers applied different records
//! at one offset, or one took a batch as valid that another rejected as a no-op, their views
//! would silently diverge and a failover would change the cluster's history under its feet.
//! A controller re-applying its log after a restart is held to the same standard: what it
//! applies at an offset must match what was applied there before.

use std::collections::{BTreeMap, BTreeSet};

use korasim_core::metadata::MetadataRecord;
use korasim_core::observe::Event;

use super::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "metadata-log-agreement";

/// What the first controller to apply an offset applied there.
#[derive(Debug)]
struct FirstApplication {
    node: String,
    records: Vec<MetadataRecord>,
    rejected: Option<String>,
}

/// The batch applied at every offset, to compare every later application with.
#[derive(Debug, Default)]
pub struct MetadataLogAgreement {
    applied_at: BTreeMap<u64, FirstApplication>,
    /// (offset, node) pairs already reported, so a node re-applying a divergent offset after
    /// every restart does not repeat the same finding.
    reported: BTreeSet<(u64, String)>,
}

impl MetadataLogAgreement {
    pub fn new() -> Self {
        Self::default()
    }

    fn compare(
        first: &FirstApplication,
        entry: &TraceEntry,
        offset: u64,
        records: &[MetadataRecord],
        rejected: &Option<String>,
    ) -> Option<Violation> {
        if first.records != records {
            return Some(Violation::LogDivergence {
                at: entry.at,
                offset,
                first_node: first.node.clone(),
                first_records: first.records.clone(),
                node: entry.node.clone(),
                records: records.to_vec(),
            });
        }
        let (applied_by, rejected_by, reason) = match (&first.rejected, rejected) {
            (None, Some(reason)) => (&first.node, &entry.node, reason),
            (Some(reason), None) => (&entry.node, &first.node, reason),
            _ => return None,
        };
        Some(Violation::VerdictDisagreement {
            at: entry.at,
            offset,
            applied_by: applied_by.clone(),
            rejected_by: rejected_by.clone(),
            reason: reason.clone(),
        })
    }
}

impl Checker for MetadataLogAgreement {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(Event::MetadataApplied {
            offset,
            records,
            rejected,
        }) = &entry.kind
        else {
            return Vec::new();
        };
        let Some(first) = self.applied_at.get(offset) else {
            self.applied_at.insert(
                *offset,
                FirstApplication {
                    node: entry.node.clone(),
                    records: records.clone(),
                    rejected: rejected.clone(),
                },
            );
            return Vec::new();
        };
        let Some(violation) = Self::compare(first, entry, *offset, records, rejected) else {
            return Vec::new();
        };
        if !self.reported.insert((*offset, entry.node.clone())) {
            return Vec::new();
        }
        vec![violation]
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::*;

    #[test]
    fn controllers_applying_the_same_batches_agree() {
        let violations = run(
            &mut MetadataLogAgreement::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                applied("controller-2", 110, 1, vec![register(1, 1)]),
                rejected("controller-1", 200, 2, vec![unfence(1, 7)]),
                rejected("controller-2", 210, 2, vec![unfence(1, 7)]),
                applied("controller-3", 220, 1, vec![register(1, 1)]),
                rejected("controller-3", 230, 2, vec![unfence(1, 7)]),
                // controller-1 restarts and re-applies its log.
                applied("controller-1", 300, 1, vec![register(1, 1)]),
                rejected("controller-1", 310, 2, vec![unfence(1, 7)]),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn different_records_at_one_offset_is_a_divergence() {
        let violations = run(
            &mut MetadataLogAgreement::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                applied("controller-2", 200, 1, vec![register(2, 1)]),
                // Re-applied after a restart: the same finding is not reported again.
                applied("controller-2", 300, 1, vec![register(2, 1)]),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::LogDivergence {
                at: Duration::from_millis(200),
                offset: 1,
                first_node: "controller-1".to_string(),
                first_records: vec![register(1, 1)],
                node: "controller-2".to_string(),
                records: vec![register(2, 1)],
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn a_restarted_controller_applying_something_else_is_a_divergence() {
        let violations = run(
            &mut MetadataLogAgreement::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                applied("controller-1", 200, 1, vec![]),
            ],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::LogDivergence { offset: 1, .. }]
        ));
    }

    #[test]
    fn one_applying_what_another_rejected_is_a_disagreement() {
        let violations = run(
            &mut MetadataLogAgreement::new(),
            &[
                rejected("controller-1", 100, 1, vec![unfence(1, 7)]),
                applied("controller-2", 200, 1, vec![unfence(1, 7)]),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::VerdictDisagreement {
                at: Duration::from_millis(200),
                offset: 1,
                applied_by: "controller-2".to_string(),
                rejected_by: "controller-1".to_string(),
                reason: "stale".to_string(),
            }]
        );
    }
}
