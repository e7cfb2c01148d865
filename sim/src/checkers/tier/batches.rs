//! The committed batches of every partition, from what the replicas reported: the batches
//! each replica appended (with their checksums) and cut, and the high watermarks leaders
//! announced. A batch is committed the first time a leader announces a high watermark above
//! all of it, and it is then the batch that leader held at those offsets (as
//! `committed-prefix-agreement` counts it; that every replica holds the same is its job).
//!
//! Memory: the committed batches of each partition, less those below the partition's
//! tiered end once the remote tier's bytes were judged ([`CommittedBatches::forget_below`]),
//! and each replica's batches above the committed end (its tail).

use std::collections::BTreeMap;

use crate::checkers::partition_map::PartitionMap;
use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;
use korasim_core::tier::TIER_TOPIC;

use super::violation::BatchSeen;

/// A batch at a known base offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub last_offset: u64,
    pub checksum: u32,
}

#[derive(Debug, Default)]
pub struct PartitionBatches {
    committed: BTreeMap<u64, Batch>,
    /// The highest high watermark announced: every offset below it is committed.
    high_watermark: u64,
    /// Committed batches below this offset were forgotten; one starts at it.
    forgotten_below: u64,
    tails: BTreeMap<BrokerId, BTreeMap<u64, Batch>>,
}

/// What is known of the committed batch at a base offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommittedAt {
    Batch(BatchSeen),
    /// No committed batch starts there.
    None,
    /// The offset is below what is remembered.
    Forgotten,
}

impl PartitionBatches {
    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }

    /// What is known of the committed batch where a batch `base_offset..=last_offset` is.
    pub fn committed_at(&self, base_offset: u64, last_offset: u64) -> CommittedAt {
        if base_offset < self.forgotten_below {
            // A committed batch starts at `forgotten_below`: one reaching past it is none.
            return if last_offset >= self.forgotten_below {
                CommittedAt::None
            } else {
                CommittedAt::Forgotten
            };
        }
        match self.committed.get(&base_offset) {
            Some(batch) => CommittedAt::Batch(BatchSeen {
                base_offset,
                last_offset: batch.last_offset,
                checksum: batch.checksum,
            }),
            None => CommittedAt::None,
        }
    }

    fn appended(&mut self, broker: BrokerId, base_offset: u64, batch: Batch) {
        if batch.last_offset < self.high_watermark {
            return;
        }
        let tail = self.tails.entry(broker).or_default();
        // An append at `base_offset` replaces whatever the replica held from there on (the
        // usual append lands past the tail's end, and costs no split).
        if tail
            .last_key_value()
            .is_some_and(|(&last_base, _)| last_base >= base_offset)
        {
            tail.split_off(&base_offset);
        }
        tail.insert(base_offset, batch);
    }

    fn kept_between(&mut self, broker: BrokerId, log_start_offset: u64, log_end_offset: u64) {
        let Some(tail) = self.tails.get_mut(&broker) else {
            return;
        };
        tail.split_off(&log_end_offset);
        tail.retain(|_, batch| batch.last_offset >= log_start_offset);
    }

    fn committed_by(&mut self, leader: BrokerId, high_watermark: u64) {
        if high_watermark <= self.high_watermark {
            return;
        }
        if let Some(tail) = self.tails.get(&leader) {
            for (&base_offset, batch) in tail.range(..high_watermark) {
                if batch.last_offset < high_watermark && base_offset >= self.high_watermark {
                    self.committed.entry(base_offset).or_insert(*batch);
                }
            }
        }
        for tail in self.tails.values_mut() {
            while let Some(entry) = tail.first_entry() {
                if entry.get().last_offset >= high_watermark {
                    break;
                }
                entry.remove();
            }
        }
        self.high_watermark = high_watermark;
    }

    /// Forgets the committed batches that end below `offset`.
    pub fn forget_below(&mut self, offset: u64) {
        while let Some(entry) = self.committed.first_entry() {
            if entry.get().last_offset >= offset {
                break;
            }
            // The next committed batch starts right after the one forgotten.
            self.forgotten_below = self.forgotten_below.max(entry.get().last_offset + 1);
            entry.remove();
        }
    }
}

/// The committed batches of every partition but the tier-metadata topic's.
#[derive(Debug, Default)]
pub struct CommittedBatches {
    partitions: PartitionMap<PartitionBatches>,
}

impl CommittedBatches {
    fn entry(&mut self, topic: &str, partition: u32) -> &mut PartitionBatches {
        self.partitions.entry(topic, partition)
    }

    pub fn partition(&self, topic: &str, partition: u32) -> Option<&PartitionBatches> {
        self.partitions.get(topic, partition)
    }

    pub fn partition_mut(&mut self, topic: &str, partition: u32) -> Option<&mut PartitionBatches> {
        self.partitions.get_mut(topic, partition)
    }

    /// Reads one event of a replica; returns whether it was one.
    pub fn observe(&mut self, event: &Event) -> bool {
        match event {
            Event::BatchAppended {
                broker,
                topic,
                partition,
                base_offset,
                last_offset,
                checksum,
                ..
            } if topic != TIER_TOPIC => {
                let batch = Batch {
                    last_offset: *last_offset,
                    checksum: *checksum,
                };
                self.entry(topic, *partition)
                    .appended(*broker, *base_offset, batch);
                true
            }
            Event::ReplicaTruncated {
                broker,
                topic,
                partition,
                log_start_offset,
                log_end_offset,
            }
            | Event::ReplicaOpened {
                broker,
                topic,
                partition,
                log_start_offset,
                log_end_offset,
            } if topic != TIER_TOPIC => {
                self.entry(topic, *partition)
                    .kept_between(*broker, *log_start_offset, *log_end_offset);
                true
            }
            Event::HighWatermarkAdvanced {
                broker,
                topic,
                partition,
                high_watermark,
                ..
            } if topic != TIER_TOPIC => {
                self.entry(topic, *partition)
                    .committed_by(*broker, *high_watermark);
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::tier::test_support::{appended, hw, truncated};
    use crate::trace::{TraceEntry, TraceKind};

    fn feed(batches: &mut CommittedBatches, entries: &[TraceEntry]) {
        for entry in entries {
            let TraceKind::Node(event) = &entry.kind else {
                unreachable!()
            };
            batches.observe(event);
        }
    }

    fn seen(base_offset: u64, last_offset: u64, checksum: u32) -> CommittedAt {
        CommittedAt::Batch(BatchSeen {
            base_offset,
            last_offset,
            checksum,
        })
    }

    #[test]
    fn the_leaders_batches_below_its_high_watermark_are_committed() {
        let mut batches = CommittedBatches::default();
        feed(
            &mut batches,
            &[
                appended(1, 10, "t", 0, (0, 4), 0xa),
                appended(2, 11, "t", 0, (0, 4), 0xa),
                // Broker 2 holds a divergent tail, which it later cuts.
                appended(2, 12, "t", 0, (5, 9), 0xbad),
                appended(1, 13, "t", 0, (5, 6), 0xb),
                hw(1, 14, "t", 0, 5),
                truncated(2, 15, "t", 0, 0, 5),
                appended(2, 16, "t", 0, (5, 6), 0xb),
                appended(1, 17, "t", 0, (7, 9), 0xc),
                hw(1, 18, "t", 0, 10),
                // Tier metadata is not kept.
                appended(1, 19, TIER_TOPIC, 0, (0, 0), 0xd),
            ],
        );
        let partition = batches.partition("t", 0).unwrap();
        assert_eq!(partition.high_watermark(), 10);
        assert_eq!(partition.committed_at(0, 4), seen(0, 4, 0xa));
        assert_eq!(partition.committed_at(5, 6), seen(5, 6, 0xb));
        assert_eq!(partition.committed_at(7, 9), seen(7, 9, 0xc));
        assert_eq!(partition.committed_at(6, 6), CommittedAt::None);
        assert!(batches.partition(TIER_TOPIC, 0).is_none());
        let partition = batches.partition_mut("t", 0).unwrap();
        partition.forget_below(8);
        assert_eq!(partition.committed_at(5, 6), CommittedAt::Forgotten);
        assert_eq!(partition.committed_at(6, 8), CommittedAt::None);
        assert_eq!(partition.committed_at(7, 9), seen(7, 9, 0xc));
    }
}
