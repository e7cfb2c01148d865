//! A record is written at most once, when its producer is idempotent.
//!
//! Kafka's idempotent producer (a producer id, an epoch and a sequence per partition) lets the
//! leader drop a batch it already has, so retries after a lost response never write a record
//! twice: one value at two offsets is a bug, whatever the produce's outcome (an unknown
//! outcome may appear once, never twice). Without idempotence Kafka is at-least-once, and a
//! retry may write the record again; `allow_duplicates_without_idempotence` (on by default)
//! accepts those. Offsets count from every read, not only the final one, so a copy that a
//! truncation removed later still counts.

use super::index::{partition_name, HistoryIndex};
use super::{HistoryCheckOptions, HistoryViolation};

pub(super) fn check(index: &HistoryIndex<'_>, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    let mut violations = Vec::new();
    for produce in &index.produces {
        if !produce.invoked.is_idempotent() && options.allow_duplicates_without_idempotence {
            continue;
        }
        // A reused value may legitimately be at two offsets; the history is reported instead.
        if index.sole_produce_of(produce.value).is_none() {
            continue;
        }
        let Some(sightings) = index.sightings_of(produce) else {
            continue;
        };
        let Some(duplicated_at) = sightings.duplicated_at() else {
            continue;
        };
        violations.push(HistoryViolation::DuplicateRecord {
            at: duplicated_at,
            partition: partition_name(produce.partition()),
            client: produce.invoked.client,
            op_id: produce.invoked.op_id,
            value: produce.invoked.value.clone(),
            producer_id: produce.invoked.producer_id,
            outcome: produce.outcome.kind(),
            offsets: sightings.offsets(),
        });
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::HistoryCheckOptions;
    use crate::workloads::History;

    /// A retried produce whose first attempt was written after all: the value at two offsets.
    fn written_twice(first: crate::workloads::ProduceInvoked) -> History {
        let mut history = History::new();
        history.record(first);
        history.record(ok(1, 1, 900, 1));
        record_final_read(&mut history, 9, 5_000, 0, 0..2, &[(0, "1-1"), (1, "1-1")]);
        history
    }

    #[test]
    fn an_idempotent_producer_never_writes_a_value_twice() {
        let history = written_twice(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["duplicate-record"]);
        assert_eq!(
            violations[0].to_string(),
            "at 5.000s: partition orders-0 holds \"1-1\" of client 1 op 1 (idempotent producer \
             4000, acknowledged) at offsets 0, 1: it was written more than once"
        );
    }

    #[test]
    fn without_idempotence_a_retry_may_write_twice_unless_forbidden() {
        let history = written_twice(produce(1, 1, 100, 0, "1-1"));
        assert_eq!(check_default(&history), vec![]);
        let forbidden = HistoryCheckOptions {
            allow_duplicates_without_idempotence: false,
            ..HistoryCheckOptions::default()
        };
        assert_eq!(kinds(&check(&history, &forbidden)), ["duplicate-record"]);
    }

    #[test]
    fn an_unknown_idempotent_write_may_appear_once_but_not_twice() {
        let mut once = History::new();
        once.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        once.record(unknown(1, 1, 30_100));
        record_final_read(&mut once, 9, 50_000, 0, 0..1, &[(0, "1-1")]);
        assert_eq!(check_default(&once), vec![]);

        let mut twice = History::new();
        twice.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        twice.record(unknown(1, 1, 30_100));
        twice.record(read(2, 1_000, 0, 0, "1-1"));
        record_final_read(&mut twice, 9, 50_000, 0, 0..2, &[(0, "1-1"), (1, "1-1")]);
        let violations = check_default(&twice);
        assert_eq!(kinds(&violations), ["duplicate-record"]);
        assert!(
            violations[0].to_string().contains("of unknown outcome"),
            "{}",
            violations[0]
        );
    }
}
