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

use std::time::Duration;

use super::index::{partition_name, HistoryIndex, PartitionKey, Produce};
use super::outcome::Outcome;
use super::violation::OrderedWrite;
use super::{HistoryCheckOptions, HistoryViolation};

/// An acknowledged write with its offset, and the produce it came from. What the checks
/// compare is copied out of the produce once, so that they do not go back to the history.
struct Placed<'p, 'h> {
    produce: &'p Produce<'h>,
    offset: u64,
    acknowledged_at: Duration,
    invoked_at: Duration,
    /// The idempotent producer and the (epoch, sequence) that order this write, if any.
    sequencing: Option<(i64, (i16, i32))>,
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

    /// The idempotent producer whose sequence order judges this write, if any.
    fn producer_with_sequence(&self) -> Option<i64> {
        self.sequencing.map(|(producer_id, _)| producer_id)
    }
}

pub(super) fn check(index: &HistoryIndex<'_>, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    let mut by_partition: Vec<Vec<Placed<'_, '_>>> = index.partitions.iter().map(|_| Vec::new()).collect();
    for produce in &index.produces {
        let Outcome::Acknowledged {
            at,
            offset: Some(offset),
        } = produce.outcome
        else {
            continue;
        };
        let invoked = produce.invoked;
        if options.judges_durability_of(invoked.acks) {
            let sequencing = match (invoked.producer_id, invoked.sequence) {
                (Some(producer_id), Some(sequence)) => {
                    Some((producer_id, (invoked.producer_epoch.unwrap_or(0), sequence)))
                }
                _ => None,
            };
            by_partition[produce.partition_id as usize].push(Placed {
                produce,
                offset,
                acknowledged_at: at,
                invoked_at: invoked.at,
                sequencing,
            });
        }
    }
    let in_order = index.partitions_in_order();
    let mut violations = Vec::new();
    for partition in &in_order {
        let writes = &by_partition[*partition as usize];
        violations.extend(sequence_order(index.partitions[*partition as usize], writes));
    }
    for partition in &in_order {
        let writes = &by_partition[*partition as usize];
        violations.extend(real_time_order(index.partitions[*partition as usize], writes));
    }
    violations
}

/// Each idempotent producer's writes, in (epoch, sequence) order, must have increasing
/// offsets. Any inversion shows up between two neighbours in that order.
fn sequence_order(partition: PartitionKey<'_>, writes: &[Placed<'_, '_>]) -> Vec<HistoryViolation> {
    // By producer, then (epoch, sequence), then the order of the history: the position in
    // `writes` keeps the unstable sort stable.
    let mut sequenced: Vec<(i64, (i16, i32), usize)> = writes
        .iter()
        .enumerate()
        .filter_map(|(position, write)| {
            let (producer_id, sequencing) = write.sequencing?;
            Some((producer_id, sequencing, position))
        })
        .collect();
    sequenced.sort_unstable();
    let mut violations = Vec::new();
    for pair in sequenced.windows(2) {
        let ((producer_id, earlier_sequencing, earlier), (later_producer_id, later_sequencing, later)) =
            (pair[0], pair[1]);
        let (earlier, later) = (&writes[earlier], &writes[later]);
        // Two writes with one sequence are retries of one batch, not an order.
        if producer_id == later_producer_id
            && earlier_sequencing != later_sequencing
            && earlier.offset >= later.offset
        {
            violations.push(HistoryViolation::ReorderedBySequence {
                at: earlier.acknowledged_at.max(later.acknowledged_at),
                partition: partition_name(partition),
                producer_id,
                earlier: earlier.describe(),
                later: later.describe(),
            });
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
    // By acknowledgement, ties in the order of the history.
    let mut by_acknowledgement: Vec<(Duration, usize)> = writes
        .iter()
        .enumerate()
        .map(|(position, write)| (write.acknowledged_at, position))
        .collect();
    by_acknowledgement.sort_unstable();
    // highest_so_far[i]: the write with the highest offset among the first i + 1 acknowledged.
    let mut highest_so_far: Vec<&Placed<'_, '_>> = Vec::with_capacity(by_acknowledgement.len());
    for (_, position) in &by_acknowledgement {
        let write = &writes[*position];
        let highest = match highest_so_far.last() {
            Some(previous) if previous.offset >= write.offset => *previous,
            _ => write,
        };
        highest_so_far.push(highest);
    }
    let mut violations = Vec::new();
    // Writes come in the order they were invoked, so the number acknowledged before each
    // invocation only grows: each search starts where the last one ended.
    let (mut acknowledged_before, mut last_invoked_at) = (0, Duration::ZERO);
    for later in writes {
        let invoked_at = later.invoked_at;
        let start = if invoked_at >= last_invoked_at {
            acknowledged_before
        } else {
            0
        };
        acknowledged_before = first_not_before(&by_acknowledgement, start, invoked_at);
        last_invoked_at = invoked_at;
        let Some(earlier) = acknowledged_before
            .checked_sub(1)
            .map(|last| highest_so_far[last])
        else {
            continue;
        };
        if earlier.offset < later.offset {
            continue;
        }
        let judged_by_sequence = matches!(
            (earlier.producer_with_sequence(), later.producer_with_sequence()),
            (Some(first), Some(second)) if first == second
        );
        if !judged_by_sequence {
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

/// The first position in `sorted` (by time), from `start` on, whose time is not before `at`:
/// the number of entries before `at`, given that those before `start` all are. Gallops from
/// `start`, so that finding a position a few places on costs a few steps.
fn first_not_before(sorted: &[(Duration, usize)], start: usize, at: Duration) -> usize {
    let (mut low, mut step) = (start, 1);
    while low + step <= sorted.len() && sorted[low + step - 1].0 < at {
        low += step;
        step *= 2;
    }
    let high = (low + step).min(sorted.len());
    low + sorted[low..high].partition_point(|(time, _)| *time < at)
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
