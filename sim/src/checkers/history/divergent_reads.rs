//! Every read of one offset returns the same record.
//!
//! Consumers read only below the high watermark, and everything below it is committed: the
//! same on every in-sync replica, never truncated. Two reads of one offset returning
//! different values (by any consumers, the final read included) mean committed data changed
//! under them: a truncation below the high watermark, a replica that diverged and served
//! reads, or a corrupted segment. Each different value at an offset is reported once, against
//! the first value read there.

use std::collections::HashMap;

use super::index::{partition_name, HistoryIndex, PartitionKey};
use super::HistoryViolation;
use crate::workloads::{Payload, RecordRead};

/// The first read of an offset, and the other values already reported against it.
struct FirstRead<'h> {
    read: &'h RecordRead,
    reported_values: Vec<&'h Payload>,
}

pub(super) fn check(index: &HistoryIndex<'_>) -> Vec<HistoryViolation> {
    let mut violations = Vec::new();
    let mut first_reads: HashMap<(PartitionKey<'_>, u64), FirstRead<'_>> = HashMap::new();
    for read in &index.reads {
        let key = ((read.topic.as_str(), read.partition), read.offset);
        let first_read = first_reads.entry(key).or_insert(FirstRead {
            read,
            reported_values: Vec::new(),
        });
        let first = first_read.read;
        if first.value == read.value || first_read.reported_values.contains(&&read.value) {
            continue;
        }
        first_read.reported_values.push(&read.value);
        violations.push(HistoryViolation::DivergentRead {
            at: read.at,
            partition: partition_name(key.0),
            offset: read.offset,
            first_reader: first.client,
            first_read_at: first.at,
            first_value: first.value.clone(),
            reader: read.client,
            value: read.value.clone(),
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
