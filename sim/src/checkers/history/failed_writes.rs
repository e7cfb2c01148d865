//! A definitely failed write never takes effect.
//!
//! A definite error (`ProduceError::is_definite`) tells the application the record is not in
//! the log, and applications act on that: they send it again, or report the failure to their
//! own caller. A consumer that later reads the record shows the error was a lie, a bug in
//! error reporting that turns at-most-once into duplicates.

use super::index::{partition_name, HistoryIndex};
use super::outcome::Outcome;
use super::HistoryViolation;

pub(super) fn check(index: &HistoryIndex<'_>) -> Vec<HistoryViolation> {
    let mut violations = Vec::new();
    for produce in &index.produces {
        let Outcome::DefinitelyFailed { at: failed_at, error } = produce.outcome else {
            continue;
        };
        // A reused value cannot be traced to this produce; the history is reported instead.
        if index.sole_produce_of(produce.value).is_none() {
            continue;
        }
        let Some(sightings) = index.sightings_of(produce) else {
            continue;
        };
        let read = sightings.first_read;
        violations.push(HistoryViolation::FailedWritePresent {
            at: read.at,
            partition: partition_name(produce.partition()),
            client: produce.invoked.client,
            op_id: produce.invoked.op_id,
            value: produce.invoked.value.clone(),
            error: error.clone(),
            failed_at,
            offset: read.offset,
            reader: read.client,
        });
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::workloads::{History, ProduceError};

    #[test]
    fn a_definitely_failed_write_that_is_read_is_reported() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(failed(1, 1, 150, ProduceError::NotEnoughReplicas));
        history.record(read(2, 300, 0, 0, "1-1"));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["failed-write-present"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.300s: client 2 read \"1-1\" at offset 0 of partition orders-0, yet client 1 op 1 \
             that produced it had failed definitely with NOT_ENOUGH_REPLICAS at 0.150s"
        );
    }

    #[test]
    fn an_indefinite_error_leaves_the_write_free_to_appear() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(failed(1, 1, 150, ProduceError::NotLeaderOrFollower));
        history.record(produce(1, 2, 200, 0, "1-2"));
        history.record(failed(1, 2, 250, ProduceError::RequestTimedOut));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "1-1")]);
        assert_eq!(check_default(&history), vec![]);
    }
}
