//! The counts a run report shows for its client history: how many writes were acknowledged,
//! failed or left unknown, how much was read, and how many violations of each kind.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::index::HistoryIndex;
use super::outcome::Outcome;
use super::HistoryViolation;
use crate::workloads::History;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HistorySummary {
    pub produces_invoked: usize,
    pub acknowledged: usize,
    pub definitely_failed: usize,
    /// Produces that timed out, failed with an indefinite error or never completed.
    pub unknown: usize,
    /// Of the unknown produces, those still waiting for an answer when the run ended.
    pub unfinished: usize,
    /// Of the unknown produces, those some consumer read (so they were written after all).
    pub unknown_seen: usize,
    /// Every record read, the final reads' included.
    pub records_read: usize,
    pub final_read_records: usize,
    pub partitions_read_in_full: usize,
    /// Acknowledged writes the final read did not contain.
    pub lost: usize,
    pub violations_by_kind: BTreeMap<&'static str, usize>,
}

impl HistorySummary {
    /// Counts `history` and the `violations` `check_history` found in it.
    pub fn new(history: &History, violations: &[HistoryViolation]) -> Self {
        let index = HistoryIndex::new(history);
        let mut summary = HistorySummary {
            produces_invoked: index.produces.len(),
            records_read: index.reads.len(),
            final_read_records: index.reads.iter().filter(|read| read.record.final_read).count(),
            partitions_read_in_full: index.final_reads.iter().flatten().count(),
            ..HistorySummary::default()
        };
        for produce in &index.produces {
            match produce.outcome {
                Outcome::Acknowledged { .. } => summary.acknowledged += 1,
                Outcome::DefinitelyFailed { .. } => summary.definitely_failed += 1,
                Outcome::Unknown { at } => {
                    summary.unknown += 1;
                    summary.unfinished += usize::from(at.is_none());
                    summary.unknown_seen += usize::from(index.sightings_of(produce).is_some());
                }
            }
        }
        for violation in violations {
            *summary.violations_by_kind.entry(violation.kind()).or_default() += 1;
        }
        summary.lost = summary
            .violations_by_kind
            .get("lost-acknowledged-write")
            .copied()
            .unwrap_or(0);
        summary
    }

    pub fn violation_count(&self) -> usize {
        self.violations_by_kind.values().sum()
    }
}

impl fmt::Display for HistorySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} produces: {} acknowledged, {} definitely failed, {} unknown ({} unfinished, {} \
             seen by a consumer); {} records read, {} of them in final reads of {} partitions; ",
            self.produces_invoked,
            self.acknowledged,
            self.definitely_failed,
            self.unknown,
            self.unfinished,
            self.unknown_seen,
            self.records_read,
            self.final_read_records,
            self.partitions_read_in_full
        )?;
        if self.violations_by_kind.is_empty() {
            return f.write_str("no violations");
        }
        let counts: Vec<String> = self
            .violations_by_kind
            .iter()
            .map(|(kind, count)| format!("{count} {kind}"))
            .collect();
        write!(f, "violations: {}", counts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::history::test_support::*;
    use crate::workloads::ProduceError;

    #[test]
    fn the_summary_counts_outcomes_reads_and_violations() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 0));
        history.record(produce(1, 2, 200, 0, "1-2"));
        history.record(ok(1, 2, 250, 1));
        history.record(produce(1, 3, 300, 0, "1-3"));
        history.record(failed(1, 3, 350, ProduceError::NotEnoughReplicas));
        history.record(produce(1, 4, 400, 0, "1-4"));
        history.record(unknown(1, 4, 450));
        history.record(produce(1, 5, 500, 0, "1-5"));
        history.record(read(2, 600, 0, 0, "1-1"));
        record_final_read(&mut history, 9, 5_000, 0, 0..3, &[(0, "1-1"), (2, "1-4")]);
        let violations = check_default(&history);
        let summary = HistorySummary::new(&history, &violations);
        assert_eq!(summary.acknowledged, 2);
        assert_eq!(summary.definitely_failed, 1);
        assert_eq!(
            (summary.unknown, summary.unfinished, summary.unknown_seen),
            (2, 1, 1)
        );
        assert_eq!((summary.records_read, summary.final_read_records), (3, 2));
        assert_eq!(summary.lost, 1);
        assert_eq!(
            summary.to_string(),
            "5 produces: 2 acknowledged, 1 definitely failed, 2 unknown (1 unfinished, 1 seen by a \
             consumer); 3 records read, 2 of them in final reads of 1 partitions; violations: 1 \
             lost-acknowledged-write"
        );
    }
}
