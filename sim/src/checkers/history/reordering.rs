//! Acknowledged writes keep their order within a partition.
//!
//! Two orders bind the log. An idempotent producer numbers its records per partition, and the
//! leader appends them in that order, rejecting gaps: its acknowledged writes must sit at
//! offsets that increase with (epoch, sequence). And whatever the producer, a write
//! acknowledged before another was even invoked was committed first, so it must sit at a lower
//! offset (real-time order, as linearizability demands). Only writes whose durability is
//! judged count: an `acks=1` write may be truncated and its offset given to a later one.
//! A pair the sequence order already judges (same producer and epoch) is left out of the
//! real-time check, so one mistake is reported once.

use std::collections::BTreeMap;
use std::time::Duration;

use super::index::{partition_name, HistoryIndex, PartitionKey, Produce};
use super::outcome::Outcome;
use super::violation::OrderedWrite;
use super::{HistoryCheckOptions, HistoryViolation};

/// An acknowledged write with its offset, and the produce it came from.
struct Placed<'p, 'h> {
    produce: &'p Produce<'h>,
    offset: u64,
    acknowledged_at: Duration,
}

impl Placed<'_, '_> {
    fn describe(&self) -> OrderedWrite {
        let invoked = self.produce.invoked;
        OrderedWrite {
            client: invoked.client,
            op_id: invoked.op_id,
            offset: self.offset,
            producer_epoch: invoked.producer_epoch,
            sequence: invoked.sequence,
            invoked_at: invoked.at,
            acknowledged_at: self.acknowledged_at,
        }
    }

    /// The idempotent producer and the (epoch, sequence) that order this write, if any.
    fn sequencing(&self) -> Option<(i64, (i16, i32))> {
        let invoked = self.produce.invoked;
        let position = (invoked.producer_epoch.unwrap_or(0), invoked.sequence?);
        Some((invoked.producer_id?, position))
    }

    /// The idempotent producer whose sequence order judges this write, if any.
    fn producer_with_sequence(&self) -> Option<i64> {
        self.sequencing().map(|(producer_id, _)| producer_id)
    }
}

pub(super) fn check(index: &HistoryIndex<'_>, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    let mut by_partition: BTreeMap<PartitionKey<'_>, Vec<Placed<'_, '_>>> = BTreeMap::new();
    for produce in &index.produces {
        let Outcome::Acknowledged {
            at,
            offset: Some(offset),
        } = produce.outcome
        else {
            continue;
        };
        if options.judges_durability_of(produce.invoked.acks) {
            by_partition.entry(produce.partition()).or_default().push(Placed {
                produce,
                offset,
                acknowledged_at: at,
            });
        }
    }
    let mut violations = Vec::new();
    for (partition, writes) in &by_partition {
        violations.extend(sequence_order(*partition, writes));
    }
    for (partition, writes) in &by_partition {
        violations.extend(real_time_order(*partition, writes));
    }
    violations
}

/// Each idempotent producer's writes, in (epoch, sequence) order, must have increasing
/// offsets. Any inversion shows up between two neighbours in that order.
fn sequence_order(partition: PartitionKey<'_>, writes: &[Placed<'_, '_>]) -> Vec<HistoryViolation> {
    let mut by_producer: BTreeMap<i64, Vec<&Placed<'_, '_>>> = BTreeMap::new();
    for write in writes {
        if let Some(producer_id) = write.producer_with_sequence() {
            by_producer.entry(producer_id).or_default().push(write);
        }
    }
    let mut violations = Vec::new();
    for (producer_id, mut sequenced) in by_producer {
        sequenced.sort_by_key(|write| write.sequencing());
        for pair in sequenced.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            // Two writes with one sequence are retries of one batch, not an order.
            if earlier.sequencing() != later.sequencing() && earlier.offset >= later.offset {
                violations.push(HistoryViolation::ReorderedBySequence {
                    at: earlier.acknowledged_at.max(later.acknowledged_at),
                    partition: partition_name(partition),
                    producer_id,
                    earlier: earlier.describe(),
                    later: later.describe(),
                });
            }
        }
    }
    violations
}

/// A write invoked after another was acknowledged must have a higher offset. For each write,
/// the highest offset among writes acknowledged before it was invoked is the one to beat.
/// When that write is the same idempotent producer's, the sequence order has judged the pair
/// already; another producer's write below it then goes unreported here, a price paid for
/// keeping this check one pass.
fn real_time_order(partition: PartitionKey<'_>, writes: &[Placed<'_, '_>]) -> Vec<HistoryViolation> {
    let mut by_acknowledgement: Vec<&Placed<'_, '_>> = writes.iter().collect();
    by_acknowledgement.sort_by_key(|write| write.acknowledged_at);
    // highest_so_far[i]: the write with the highest offset among the first i + 1 acknowledged.
    let mut highest_so_far: Vec<&Placed<'_, '_>> = Vec::with_capacity(by_acknowledgement.len());
    for write in &by_acknowledgement {
        let highest = match highest_so_far.last() {
            Some(previous) if previous.offset >= write.offset => *previous,
            _ => *write,
        };
        highest_so_far.push(highest);
    }
    let mut violations = Vec::new();
    for later in writes {
        let invoked_at = later.produce.invoked.at;
        let acknowledged_before =
            by_acknowledgement.partition_point(|write| write.acknowledged_at < invoked_at);
        let Some(earlier) = acknowledged_before
            .checked_sub(1)
            .map(|last| highest_so_far[last])
        else {
            continue;
        };
        let judged_by_sequence = matches!(
            (earlier.producer_with_sequence(), later.producer_with_sequence()),
            (Some(first), Some(second)) if first == second
        );
        if earlier.offset >= later.offset && !judged_by_sequence {
            violations.push(HistoryViolation::ReorderedAfterAcknowledgement {
                at: later.acknowledged_at,
                partition: partition_name(partition),
                earlier: earlier.describe(),
                later: later.describe(),
            });
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::workloads::History;

    #[test]
    fn an_idempotent_producer_s_writes_keep_their_sequence_order() {
        let mut history = History::new();
        // Two pipelined batches: both in flight at once, the second appended first.
        history.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        history.record(idempotent_produce(1, 2, 110, 0, "1-2", 4_000, 1));
        history.record(ok(1, 2, 200, 0));
        history.record(ok(1, 1, 210, 1));
        record_final_read(&mut history, 9, 5_000, 0, 0..2, &[(0, "1-2"), (1, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["reordered-by-sequence"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.210s: idempotent producer 4000 wrote to partition orders-0 out of sequence \
             order: sequence 0 of epoch 0 (client 1 op 1) is at offset 1, but the later sequence \
             1 of epoch 0 (client 1 op 2) is at offset 0"
        );
    }

    #[test]
    fn pipelined_writes_without_idempotence_may_land_in_either_order() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(produce(1, 2, 110, 0, "1-2"));
        history.record(ok(1, 2, 200, 0));
        history.record(ok(1, 1, 210, 1));
        record_final_read(&mut history, 9, 5_000, 0, 0..2, &[(0, "1-2"), (1, "1-1")]);
        assert_eq!(check_default(&history), vec![]);
    }

    #[test]
    fn a_write_invoked_after_an_acknowledgement_lands_after_it() {
        let mut history = History::new();
        history.record(produce(1, 1, 100, 0, "1-1"));
        history.record(ok(1, 1, 200, 5));
        history.record(produce(2, 1, 300, 0, "2-1"));
        history.record(ok(2, 1, 400, 4));
        record_final_read(&mut history, 9, 5_000, 0, 0..6, &[(4, "2-1"), (5, "1-1")]);
        let violations = check_default(&history);
        assert_eq!(kinds(&violations), ["reordered-after-acknowledgement"]);
        assert_eq!(
            violations[0].to_string(),
            "at 0.400s: partition orders-0 put client 2 op 1 at offset 4, not after offset 5 of \
             client 1 op 1, although that write was acknowledged at 0.200s before this one was \
             invoked at 0.300s"
        );
    }

    #[test]
    fn sequences_restart_with_a_new_producer_epoch() {
        let mut history = History::new();
        history.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        history.record(ok(1, 1, 200, 0));
        history.record(idempotent_produce(1, 2, 300, 0, "1-2", 4_000, 1));
        history.record(ok(1, 2, 400, 1));
        let mut after_bump = idempotent_produce(1, 3, 500, 0, "1-3", 4_000, 0);
        after_bump.producer_epoch = Some(1);
        history.record(after_bump);
        history.record(ok(1, 3, 600, 2));
        record_final_read(
            &mut history,
            9,
            5_000,
            0,
            0..3,
            &[(0, "1-1"), (1, "1-2"), (2, "1-3")],
        );
        assert_eq!(check_default(&history), vec![]);
    }

    #[test]
    fn one_inversion_of_one_producer_is_reported_once() {
        let mut history = History::new();
        history.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        history.record(ok(1, 1, 200, 5));
        history.record(idempotent_produce(1, 2, 300, 0, "1-2", 4_000, 1));
        history.record(ok(1, 2, 400, 4));
        record_final_read(&mut history, 9, 5_000, 0, 0..6, &[(4, "1-2"), (5, "1-1")]);
        assert_eq!(kinds(&check_default(&history)), ["reordered-by-sequence"]);
    }
}
