//! An acknowledged write is never lost or changed (KORA.md invariant 1, judged by the client).
//!
//! Kafka promises that a record acknowledged under `acks=all` is committed: every in-sync
//! replica has it, and it stays at its offset for as long as retention keeps it. The final
//! read, made once faults are healed, must therefore hold every such record, at the offset it
//! was acknowledged at. Retention may delete records below `retention_start`, so those may be
//! missing; it never rewrites one, so a different value at an acknowledged offset is always a
//! violation. The value is looked up anywhere in the final read, not only at its offset, so
//! that a write the broker acknowledged with the wrong offset is told apart from a lost one.

use std::time::Duration;

use super::index::{partition_name, FinalRead, HistoryIndex, Produce};
use super::outcome::Outcome;
use super::{HistoryCheckOptions, HistoryViolation};

pub(super) fn check(index: &HistoryIndex<'_>, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    let mut retention_start = vec![0; index.partitions.len()];
    for (partition, offset) in &options.retention_start {
        if let Some(id) = index.find_partition((&partition.topic, partition.partition)) {
            retention_start[id as usize] = *offset;
        }
    }
    let mut violations = Vec::new();
    let mut unread_writes = vec![0; index.partitions.len()];
    for produce in &index.produces {
        let Outcome::Acknowledged { at, offset } = produce.outcome else {
            continue;
        };
        if !options.judges_durability_of(produce.invoked.acks) {
            continue;
        }
        let Some(final_read) = index.final_read_of(produce.partition_id) else {
            unread_writes[produce.partition_id as usize] += 1;
            continue;
        };
        let retained_from = retention_start[produce.partition_id as usize];
        violations.extend(judge(index, produce, at, offset, final_read, retained_from));
    }
    if options.require_final_read {
        violations.extend(
            index
                .partitions_in_order()
                .into_iter()
                .filter(|partition| unread_writes[*partition as usize] > 0)
                .map(|partition| HistoryViolation::MissingFinalRead {
                    at: index.end,
                    partition: partition_name(index.partitions[partition as usize]),
                    acknowledged_writes: unread_writes[partition as usize],
                }),
        );
    }
    violations
}

/// Judges one acknowledged write against the final read of its partition.
fn judge(
    index: &HistoryIndex<'_>,
    produce: &Produce<'_>,
    acknowledged_at: Duration,
    offset: Option<u64>,
    final_read: &FinalRead<'_>,
    retained_from: u64,
) -> Option<HistoryViolation> {
    let invoked = produce.invoked;
    let at = final_read.done.at;
    let partition = || partition_name(produce.partition());
    match offset {
        Some(offset) => match final_read.record_at(offset).map(|position| index.reads[position]) {
            Some(record) if record.value == produce.value => None,
            Some(record) => Some(HistoryViolation::ChangedAcknowledgedWrite {
                at,
                partition: partition(),
                client: invoked.client,
                op_id: invoked.op_id,
                acks: invoked.acks,
                offset,
                acknowledged_at,
                acknowledged_value: invoked.value.clone(),
                final_value: record.record.value.clone(),
            }),
            None if final_read.holds(produce.value) => Some(HistoryViolation::MisplacedAcknowledgedWrite {
                at,
                partition: partition(),
                client: invoked.client,
                op_id: invoked.op_id,
                value: invoked.value.clone(),
                acks: invoked.acks,
                acknowledged_offset: offset,
                acknowledged_at,
                found_at_offsets: final_read.offsets_of(produce.value),
            }),
            None if offset < retained_from => None,
            None => Some(lost(produce, acknowledged_at, Some(offset), final_read)),
        },
        // Without an offset (acks=0) only presence can be judged, and once retention has
        // deleted anything the write may have been among the deleted.
        None if final_read.holds(produce.value) || retained_from > 0 => None,
        None => Some(lost(produce, acknowledged_at, None, final_read)),
    }
}

fn lost(
    produce: &Produce<'_>,
    acknowledged_at: Duration,
    offset: Option<u64>,
    final_read: &FinalRead<'_>,
) -> HistoryViolation {
    let invoked = produce.invoked;
    HistoryViolation::LostAcknowledgedWrite {
        at: final_read.done.at,
        partition: partition_name(produce.partition()),
        client: invoked.client,
        op_id: invoked.op_id,
        value: invoked.value.clone(),
        acks: invoked.acks,
        offset,
        acknowledged_at,
        final_read_offsets: final_read.done.start_offset..final_read.done.end_offset,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::HistoryCheckOptions;
    use crate::workloads::{Acks, History, TopicPartition};

    #[test]
    fn an_acknowledged_write_missing_from_the_final_read_is_lost() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 0));
        history.record(produce(1, 2, 200, 0, "1-2"));
        history.record(ok(1, 2, 250, 1));
        record_final_read(&mut history, 9, 5_000, 0, 0..2, &[(0, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["lost-acknowledged-write"]);
        assert_eq!(
            violations[0].to_string(),
            "at 5.000s: partition orders-0 lost an acknowledged write: client 1 op 2 wrote \"1-2\" \
             (acks=all), acknowledged at offset 1 at 0.250s, but the final read of offsets 0..2 \
             does not contain it"
        );
    }

    #[test]
    fn a_log_that_ends_below_an_acknowledged_offset_lost_it() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 7));
        record_final_read(&mut history, 9, 5_000, 0, 0..3, &[(0, "x"), (1, "y"), (2, "z")]);
        let violations = check_default(&history);
        assert!(
            kinds(&violations).contains(&"lost-acknowledged-write"),
            "{violations:?}"
        );
    }

    #[test]
    fn another_value_at_an_acknowledged_offset_is_a_change() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 0));
        history.record(produce(2, 1, 200, 0, "2-1"));
        history.record(ok(2, 1, 250, 1));
        // After an unclean election the second write took the first one's offset.
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "2-1")]);
        let violations = check_default(&history);
        assert_eq!(
            kinds(&violations),
            ["changed-acknowledged-write", "misplaced-acknowledged-write"]
        );
        assert_eq!(
            violations[0].to_string(),
            "at 5.000s: partition orders-0 changed an acknowledged write: offset 0 was \
             acknowledged to client 1 op 1 for \"1-1\" (acks=all) at 0.150s, but the final read \
             found \"2-1\" there"
        );
    }

    #[test]
    fn retention_may_delete_but_never_rewrite() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 0));
        history.record(produce(1, 2, 200, 0, "1-2"));
        history.record(ok(1, 2, 250, 1));
        history.record(produce(1, 3, 300, 0, "1-3"));
        history.record(ok(1, 3, 350, 2));
        record_final_read(&mut history, 9, 5_000, 0, 1..3, &[(1, "1-2"), (2, "1-3")]);
        let mut options = HistoryCheckOptions::default();
        assert_eq!(kinds(&check(&history, &options)), ["lost-acknowledged-write"]);
        options.retention_start.insert(TopicPartition::new(TOPIC, 0), 1);
        assert_eq!(check(&history, &options), vec![]);

        let mut rewritten = History::new();
        rewritten.record(produce(1, 1, 100, 0, "1-1"));
        rewritten.record(ok(1, 1, 150, 0));
        rewritten.record(produce(1, 2, 200, 0, "1-2"));
        rewritten.record(ok(1, 2, 250, 1));
        record_final_read(&mut rewritten, 9, 5_000, 0, 0..2, &[(0, "1-2"), (1, "1-2")]);
        options.retention_start.insert(TopicPartition::new(TOPIC, 0), 2);
        assert!(kinds(&check(&rewritten, &options)).contains(&"changed-acknowledged-write"));
    }

    #[test]
    fn an_acknowledgement_with_the_wrong_offset_is_misplaced() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 4));
        record_final_read(&mut history, 9, 5_000, 0, 0..6, &[(5, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["misplaced-acknowledged-write"]);
        assert_eq!(
            violations[0].to_string(),
            "at 5.000s: partition orders-0 holds \"1-1\" of client 1 op 1 (acks=all) at offset 5, \
             not at offset 4 where it was acknowledged at 0.150s"
        );
    }

    #[test]
    fn weak_acks_losses_are_ignored_unless_strict() {
        let mut history = History::new();
        history.record(produce_with_acks(1, 1, 100, 0, "1-1", Acks::Leader));
        history.record(ok(1, 1, 150, 0));
        history.record(produce_with_acks(1, 2, 200, 0, "1-2", Acks::None));
        history.record(ok_without_offset(1, 2, 250));
        record_final_read(&mut history, 9, 5_000, 0, 0..0, &[]);
        assert_eq!(check_default(&history), vec![]);
        let strict = HistoryCheckOptions {
            strict_for_weak_acks: true,
            ..HistoryCheckOptions::default()
        };
        assert_eq!(
            kinds(&check(&history, &strict)),
            ["lost-acknowledged-write", "lost-acknowledged-write"]
        );
    }

    #[test]
    fn a_partition_never_read_at_the_end_is_reported_unless_allowed() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 150, 0));
        history.record(read(2, 200, 0, 0, "1-1"));
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["missing-final-read"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.200s: partition orders-0 was never read in full at the end of the run, so its 1 \
             acknowledged writes could not be checked"
        );
        let lenient = HistoryCheckOptions {
            require_final_read: false,
            ..HistoryCheckOptions::default()
        };
        assert_eq!(check(&history, &lenient), vec![]);
    }
}
