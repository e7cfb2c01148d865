//! Every record read was produced, to that partition.
//!
//! A consumer can only legitimately see what some producer sent to the partition it reads. A
//! value nobody produced there is a phantom: a corrupted record, a record served from another
//! partition's log (a routing or tenancy bug), or one invented by a faulty replica. Each
//! phantom value is reported once per partition, at its first read.

use std::collections::BTreeSet;

use super::index::{partition_name, HistoryIndex};
use super::HistoryViolation;
use crate::workloads::TopicPartition;

pub(super) fn check(index: &HistoryIndex<'_>) -> Vec<HistoryViolation> {
    let mut violations = Vec::new();
    let mut reported = BTreeSet::new();
    for read in &index.reads {
        if index.produced_to(read.value, read.partition) || !reported.insert((read.partition, read.value)) {
            continue;
        }
        let produced_to: Option<TopicPartition> = index
            .first_produce_of(read.value)
            .map(|produce| partition_name(produce.partition()));
        let record = read.record;
        violations.push(HistoryViolation::PhantomRecord {
            at: record.at,
            partition: partition_name(index.partitions[read.partition as usize]),
            offset: record.offset,
            value: record.value.clone(),
            reader: record.client,
            produced_to,
        });
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::workloads::History;

    #[test]
    fn a_value_nobody_produced_is_a_phantom() {
        let mut history = History::new();
        history.record(read(2, 300, 0, 0, "ghost"));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "ghost")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["phantom-record"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.300s: client 2 read \"ghost\" at offset 0 of partition orders-0, but no client \
             ever produced it there"
        );
    }

    #[test]
    fn a_value_read_from_another_partition_is_a_phantom_there() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 1, "1-1"));
        history.record(unknown(1, 1, 200));
        history.record(read(2, 300, 0, 0, "1-1"));
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["phantom-record"]);
        assert!(
            violations[0]
                .to_string()
                .ends_with("(it was produced to partition orders-1)"),
            "{}",
            violations[0]
        );
    }

    #[test]
    fn a_produced_value_is_no_phantom_whatever_its_outcome() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(read(2, 300, 0, 0, "1-1"));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "1-1")]);
        assert_eq!(check_default(&history), vec![]);
    }
}
