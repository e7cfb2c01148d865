//! Idempotent-producer state: per producer id, the sequence numbers and offsets of its last
//! few batches, so that a retried batch is recognised and a lost one noticed.
//!
//! An idempotent producer numbers its records per partition; a batch carries the sequence
//! of its first record. The leader accepts a batch only when it continues the producer's
//! last sequence (or starts a new producer epoch at zero). A batch equal to one of the
//! producer's last [`PRODUCER_BATCHES_RETAINED`] batches is a retry whose first attempt was
//! written but not acknowledged; it is acknowledged again with the original offsets and not
//! written twice. Anything else is a gap (`OutOfOrderSequence`), which the producer must not
//! paper over. Five is the most batches a Kafka producer may have in flight with idempotence.
//!
//! The state is a function of the log: the log rebuilds it from its batches on open and
//! after a truncation. Kafka also keeps producer snapshots so that a producer whose batches
//! have all been deleted by retention is still known; here such a producer is forgotten, and
//! like Kafka the check then accepts whatever sequence it sends next.

use std::collections::{BTreeMap, VecDeque};

use super::batch::ProducerInfo;

/// How many of a producer's latest batches are remembered for duplicate detection.
pub const PRODUCER_BATCHES_RETAINED: usize = 5;

/// The sequence numbers and offsets of one batch of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub base_offset: u64,
    pub last_offset: u64,
}

/// What the log knows about one producer: its epoch and its latest batches in that epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    pub producer_epoch: i16,
    /// Oldest first, at most [`PRODUCER_BATCHES_RETAINED`].
    pub batches: VecDeque<ProducerBatch>,
}

impl ProducerEntry {
    pub fn last_sequence(&self) -> Option<i32> {
        self.batches.back().map(|batch| batch.last_sequence)
    }
}

/// The verdict on an idempotent batch before the leader writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Write it: it continues the producer's sequence, starts a new producer epoch at zero,
    /// comes from a producer the log does not know, or is not idempotent at all.
    Accept,
    /// A retry of a batch already in the log: acknowledge it with these offsets.
    Duplicate { base_offset: u64, last_offset: u64 },
    /// It leaves a gap (or repeats a batch too old to be remembered): reject it.
    OutOfOrder { expected_sequence: i32 },
    /// It comes from an older incarnation of the producer: reject it.
    StaleProducerEpoch { current_epoch: i16 },
}

/// The sequence number `increment` records after `sequence`. Sequences wrap from
/// `i32::MAX` to zero, as in Kafka.
pub fn sequence_after(sequence: i32, increment: u32) -> i32 {
    let wrapped = (i64::from(sequence) + i64::from(increment)) % (i64::from(i32::MAX) + 1);
    wrapped as i32
}

/// The state of every producer that has batches in the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStateTable {
    producers: BTreeMap<i64, ProducerEntry>,
}

impl ProducerStateTable {
    pub fn new() -> Self {
        ProducerStateTable::default()
    }

    pub fn producer(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    pub fn producer_count(&self) -> usize {
        self.producers.len()
    }

    /// Judges a batch of `record_count` records from `producer` (Kafka's rules, in order:
    /// duplicate of a remembered batch, fenced epoch, new epoch, next in sequence).
    pub fn check(&self, producer: ProducerInfo, record_count: u32) -> SequenceCheck {
        if !producer.is_idempotent() {
            return SequenceCheck::Accept;
        }
        let Some(entry) = self.producers.get(&producer.producer_id) else {
            return SequenceCheck::Accept;
        };
        let last_sequence = sequence_after(producer.base_sequence, record_count.saturating_sub(1));
        if producer.producer_epoch == entry.producer_epoch {
            let duplicate = entry.batches.iter().find(|batch| {
                batch.first_sequence == producer.base_sequence && batch.last_sequence == last_sequence
            });
            if let Some(original) = duplicate {
                return SequenceCheck::Duplicate {
                    base_offset: original.base_offset,
                    last_offset: original.last_offset,
                };
            }
        }
        if producer.producer_epoch < entry.producer_epoch {
            return SequenceCheck::StaleProducerEpoch {
                current_epoch: entry.producer_epoch,
            };
        }
        let expected_sequence = if producer.producer_epoch > entry.producer_epoch {
            0
        } else {
            match entry.last_sequence() {
                Some(last) => sequence_after(last, 1),
                None => return SequenceCheck::Accept,
            }
        };
        if producer.base_sequence == expected_sequence {
            SequenceCheck::Accept
        } else {
            SequenceCheck::OutOfOrder { expected_sequence }
        }
    }

    /// Records a batch that is now in the log, written by this leader or copied from one.
    pub fn record(&mut self, producer: ProducerInfo, record_count: u32, base_offset: u64) {
        if !producer.is_idempotent() || record_count == 0 {
            return;
        }
        let entry = self
            .producers
            .entry(producer.producer_id)
            .or_insert_with(|| ProducerEntry {
                producer_epoch: producer.producer_epoch,
                batches: VecDeque::new(),
            });
        if entry.producer_epoch != producer.producer_epoch {
            // A new epoch starts the sequence afresh; the old epoch's batches can no longer
            // be retried.
            entry.producer_epoch = producer.producer_epoch;
            entry.batches.clear();
        }
        crate::invariant!(
            entry
                .batches
                .back()
                .is_none_or(|last| last.last_offset < base_offset),
            "producer {} batch at offset {base_offset} recorded after one ending at {:?}",
            producer.producer_id,
            entry.batches.back().map(|last| last.last_offset)
        );
        entry.batches.push_back(ProducerBatch {
            first_sequence: producer.base_sequence,
            last_sequence: sequence_after(producer.base_sequence, record_count - 1),
            base_offset,
            last_offset: base_offset + u64::from(record_count) - 1,
        });
        while entry.batches.len() > PRODUCER_BATCHES_RETAINED {
            entry.batches.pop_front();
        }
    }

    /// Forgets the batches at or after `end_offset`, as the log is truncated there. Returns
    /// whether it forgot any remembered batch: then the producer's last
    /// [`PRODUCER_BATCHES_RETAINED`] batches in the shorter log include older ones the table
    /// no longer holds, and the caller must rebuild the table from the log (as Kafka reloads
    /// its producer state on `truncateTo`). Without that, a retry of one of those older
    /// batches would be answered `OutOfOrder` live but `Duplicate` after a reopen.
    #[must_use]
    pub fn truncate_from_end(&mut self, end_offset: u64) -> bool {
        let mut forgot_a_batch = false;
        self.producers.retain(|_, entry| {
            let before = entry.batches.len();
            entry.batches.retain(|batch| batch.last_offset < end_offset);
            forgot_a_batch |= entry.batches.len() != before;
            !entry.batches.is_empty()
        });
        forgot_a_batch
    }

    /// Forgets the batches below `start_offset`, as retention deletes them, and producers
    /// left without any; the result is what rebuilding from the remaining log would give.
    pub fn truncate_from_start(&mut self, start_offset: u64) {
        self.producers.retain(|_, entry| {
            entry.batches.retain(|batch| batch.base_offset >= start_offset);
            !entry.batches.is_empty()
        });
    }

    pub fn clear(&mut self) {
        self.producers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCER: i64 = 7;

    fn producer(epoch: i16, base_sequence: i32) -> ProducerInfo {
        ProducerInfo::idempotent(PRODUCER, epoch, base_sequence)
    }

    /// A table with batches of ten records at sequences 0, 10, ... in epoch 0, the first at
    /// offset 100.
    fn table_with_batches(batch_count: i32) -> ProducerStateTable {
        let mut table = ProducerStateTable::new();
        for batch in 0..batch_count {
            table.record(producer(0, batch * 10), 10, 100 + batch as u64 * 10);
        }
        table
    }

    #[test]
    fn the_next_batch_in_sequence_is_accepted() {
        let table = table_with_batches(3);
        assert_eq!(table.check(producer(0, 30), 10), SequenceCheck::Accept);
        assert_eq!(table.check(ProducerInfo::NONE, 10), SequenceCheck::Accept);
        assert_eq!(
            table.check(ProducerInfo::idempotent(8, 0, 500), 1),
            SequenceCheck::Accept,
            "a producer the log does not know may start anywhere"
        );
    }

    #[test]
    fn a_retry_of_one_of_the_last_five_batches_gets_its_original_offsets() {
        let table = table_with_batches(7);
        assert_eq!(
            table.check(producer(0, 60), 10),
            SequenceCheck::Duplicate {
                base_offset: 160,
                last_offset: 169
            }
        );
        assert_eq!(
            table.check(producer(0, 20), 10),
            SequenceCheck::Duplicate {
                base_offset: 120,
                last_offset: 129
            }
        );
        assert_eq!(
            table.check(producer(0, 10), 10),
            SequenceCheck::OutOfOrder {
                expected_sequence: 70
            },
            "the sixth batch back is no longer remembered"
        );
    }

    #[test]
    fn a_gap_or_a_partial_overlap_is_out_of_order() {
        let table = table_with_batches(2);
        assert_eq!(
            table.check(producer(0, 25), 10),
            SequenceCheck::OutOfOrder {
                expected_sequence: 20
            }
        );
        assert_eq!(
            table.check(producer(0, 10), 5),
            SequenceCheck::OutOfOrder {
                expected_sequence: 20
            }
        );
    }

    #[test]
    fn producer_epochs_fence_old_instances_and_restart_sequences() {
        let mut table = table_with_batches(2);
        assert_eq!(table.check(producer(1, 0), 3), SequenceCheck::Accept);
        assert_eq!(
            table.check(producer(1, 20), 3),
            SequenceCheck::OutOfOrder { expected_sequence: 0 }
        );
        table.record(producer(1, 0), 3, 200);
        assert_eq!(
            table.check(producer(0, 20), 10),
            SequenceCheck::StaleProducerEpoch { current_epoch: 1 }
        );
        assert_eq!(table.producer(PRODUCER).unwrap().batches.len(), 1);
    }

    #[test]
    fn sequences_wrap_at_the_largest_i32() {
        assert_eq!(sequence_after(i32::MAX, 1), 0);
        assert_eq!(sequence_after(i32::MAX - 1, 3), 1);
        let mut table = ProducerStateTable::new();
        table.record(producer(0, i32::MAX - 4), 5, 0);
        assert_eq!(table.check(producer(0, 0), 1), SequenceCheck::Accept);
    }

    #[test]
    fn truncation_forgets_removed_batches_and_asks_for_a_rebuild_when_it_forgot_any() {
        let mut table = table_with_batches(3);
        assert!(
            !table.truncate_from_end(130),
            "nothing remembered at or after 130"
        );
        assert!(
            table.truncate_from_end(125),
            "the batch holding offset 125 is dropped whole"
        );
        assert_eq!(table.check(producer(0, 20), 10), SequenceCheck::Accept);
        assert!(table.truncate_from_end(100));
        assert_eq!(table.producer_count(), 0);
    }

    #[test]
    fn retention_forgets_batches_below_the_new_start() {
        let mut table = table_with_batches(3);
        table.truncate_from_start(110);
        assert_eq!(table.producer(PRODUCER).unwrap().batches.len(), 2);
        table.truncate_from_start(200);
        assert_eq!(table.producer_count(), 0);
    }
}
