//! Where each replica's log ends, as its own events tell it.

use std::collections::BTreeMap;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use crate::checkers::partition_map::PartitionMap;

/// Each broker's log end offset for each partition it reported on.
#[derive(Debug, Default)]
pub(super) struct LogEnds {
    ends: PartitionMap<BTreeMap<BrokerId, u64>>,
}

impl LogEnds {
    /// Follows the replica events that move or state a log end.
    pub(super) fn observe(&mut self, event: &Event) {
        let (broker, topic, partition, log_end_offset) = match event {
            Event::ReplicaOpened {
                broker,
                topic,
                partition,
                log_end_offset,
                ..
            }
            | Event::LeaderStarted {
                broker,
                topic,
                partition,
                log_end_offset,
                ..
            }
            | Event::FollowerStarted {
                broker,
                topic,
                partition,
                log_end_offset,
                ..
            }
            | Event::ReplicaTruncated {
                broker,
                topic,
                partition,
                log_end_offset,
                ..
            } => (*broker, topic, *partition, *log_end_offset),
            Event::BatchAppended {
                broker,
                topic,
                partition,
                last_offset,
                ..
            } => (*broker, topic, *partition, last_offset + 1),
            _ => return,
        };
        self.ends.entry(topic, partition).insert(broker, log_end_offset);
    }

    /// `broker`'s log end for the partition, if it reported one.
    pub(super) fn get(&self, topic: &str, partition: u32, broker: BrokerId) -> Option<u64> {
        self.ends.get(topic, partition)?.get(&broker).copied()
    }
}
