//! The `successor-of:<broker>` target: the broker a failover from `<broker>` lands on, read
//! from the metadata log the run has committed so far. A second fault that strikes the
//! successor while the first failover is under way (it is paused while followers truncate to
//! it, or while it is being elected) is what a uniformly random target almost never hits.

use std::collections::BTreeMap;

use korasim_core::metadata::PartitionState;

use super::partition_roles::latest_partition_states;
use crate::trace::TraceEntry;

/// The broker that takes over most of the partitions `broker` leads now: for each, the first
/// other member of its ISR (the controller's choice when `broker` is fenced or shut down).
/// Ties go to the lowest id; `None` when `broker` leads nothing with another ISR member.
pub fn successor_of(trace: &[TraceEntry], broker: u32) -> Option<u32> {
    successor_among(latest_partition_states(trace).values(), broker)
}

fn successor_among<'a>(partitions: impl Iterator<Item = &'a PartitionState>, broker: u32) -> Option<u32> {
    let mut takeovers: BTreeMap<u32, usize> = BTreeMap::new();
    for partition in partitions.filter(|partition| partition.leader == Some(broker)) {
        if let Some(next) = partition.isr.iter().copied().find(|member| *member != broker) {
            *takeovers.entry(next).or_default() += 1;
        }
    }
    // The most takeovers; among equals the lowest id (max_by_key keeps the last maximum, so
    // walk the ids downwards).
    takeovers
        .into_iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map(|(successor, _)| successor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn led(partition: u32, leader: u32, isr: &[u32]) -> PartitionState {
        PartitionState {
            topic: "orders".to_string(),
            partition,
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            leader: Some(leader),
            leader_epoch: 1,
            partition_epoch: 1,
            elr: Vec::new(),
        }
    }

    #[test]
    fn the_successor_is_the_first_other_isr_member_of_most_partitions_it_leads() {
        let partitions = [
            led(0, 1, &[1, 3, 2]),
            led(1, 1, &[1, 3]),
            led(2, 1, &[2, 1]),
            led(3, 2, &[2, 3]),
        ];
        assert_eq!(successor_among(partitions.iter(), 1), Some(3));
        assert_eq!(successor_among(partitions.iter(), 2), Some(3));
        assert_eq!(successor_among(partitions.iter(), 3), None);
        // A tie goes to the lowest id.
        let tied = [led(0, 1, &[1, 3]), led(1, 1, &[1, 2])];
        assert_eq!(successor_among(tied.iter(), 1), Some(2));
        // A leader alone in its ISR has no successor.
        assert_eq!(successor_among([led(0, 1, &[1])].iter(), 1), None);
    }
}
