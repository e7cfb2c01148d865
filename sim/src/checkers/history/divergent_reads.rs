//! Every read of one offset returns the same record.
//!
//! Consumers read only below the high watermark, and everything below it is committed: the
//! same on every in-sync replica, never truncated. Two reads of one offset returning
//! different values (by any consumers, the final read included) mean committed data changed
//! under them: a truncation below the high watermark, a replica that diverged and served
//! reads, or a corrupted segment. Each different value at an offset is reported once, against
//! the first value read there.

use std::collections::BTreeMap;

use super::index::{partition_name, HistoryIndex, ValueId};
use super::offset_table::FirstAtOffset;
use super::HistoryViolation;

pub(super) fn check(index: &HistoryIndex<'_>) -> Vec<HistoryViolation> {
    let mut violations = Vec::new();
    // Per partition, the position in `index.reads` of the first read of each offset.
    let mut first_reads: Vec<FirstAtOffset> = index
        .read_spans
        .iter()
        .map(|span| FirstAtOffset::new(*span))
        .collect();
    // By the position of the first read of an offset, the other values already reported
    // against it.
    let mut reported_values: BTreeMap<u32, Vec<ValueId>> = BTreeMap::new();
    for (position, read) in index.reads.iter().enumerate() {
        let position = position as u32;
        let first_position = first_reads[read.partition as usize].first_or_insert(read.offset, position);
        let first = index.reads[first_position as usize];
        if first.value == read.value {
            continue;
        }
        let reported = reported_values.entry(first_position).or_default();
        if reported.contains(&read.value) {
            continue;
        }
        reported.push(read.value);
        let (first, record) = (first.record, read.record);
        violations.push(HistoryViolation::DivergentRead {
            at: record.at,
            partition: partition_name(index.partitions[read.partition as usize]),
            offset: record.offset,
            first_reader: first.client,
            first_read_at: first.at,
            first_value: first.value.clone(),
            reader: record.client,
            value: record.value.clone(),
        });
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::workloads::History;

    #[test]
    fn two_values_read_at_one_offset_diverge() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(produce(1, 2, 110, 0, "1-2"));
        history.record(read(2, 300, 0, 0, "1-1"));
        history.record(read(3, 400, 0, 0, "1-2"));
        history.record(read(3, 500, 0, 0, "1-2"));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["divergent-read"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.400s: client 3 read \"1-2\" at offset 0 of partition orders-0, but client 2 had \
             read \"1-1\" at that offset at 0.300s"
        );
    }

    #[test]
    fn the_final_read_must_agree_with_earlier_reads() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(produce(1, 2, 110, 0, "1-2"));
        history.record(read(2, 300, 0, 0, "1-1"));
        record_final_read(&mut history, 9, 5_000, 0, 0..1, &[(0, "1-2")]);
        assert_eq!(kinds(&check_default(&history)), ["divergent-read"]);
    }
}
