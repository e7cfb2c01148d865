//! The `leader-of:<topic>-<p>` and `follower-of:<topic>-<p>` targets: the brokers holding a
//! partition's roles when the fault fires, read from the metadata log the run has committed
//! so far. Faults that follow one partition's leadership from broker to broker (a chase, see
//! `schedule`) reach the sequences of fast failovers that random targets almost never line up
//! (a follower whose latest epoch its new leader never saw: KIP-279).

use std::collections::BTreeMap;

use korasim_core::metadata::{MetadataRecord, PartitionState};

use crate::checkers::log_replay::LogReplay;
use crate::trace::TraceEntry;

/// The latest committed state of every partition, from the metadata log the run has
/// committed so far.
pub fn latest_partition_states(trace: &[TraceEntry]) -> BTreeMap<(String, u32), PartitionState> {
    let mut replay = LogReplay::default();
    let mut partitions = BTreeMap::new();
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            if let MetadataRecord::PartitionState(state) = record {
                partitions.insert((state.topic.clone(), state.partition), state.clone());
            }
        }
    }
    partitions
}

/// The latest committed state of `topic`-`partition`, if the topic exists.
fn partition_state(trace: &[TraceEntry], topic: &str, partition: u32) -> Option<PartitionState> {
    latest_partition_states(trace).remove(&(topic.to_string(), partition))
}

/// The broker leading `topic`-`partition` now.
pub fn leader_of(trace: &[TraceEntry], topic: &str, partition: u32) -> Option<u32> {
    partition_state(trace, topic, partition)?.leader
}

/// The broker a failover of `topic`-`partition` would elect now: the first ISR member other
/// than the leader.
pub fn next_leader_of(trace: &[TraceEntry], topic: &str, partition: u32) -> Option<u32> {
    let state = partition_state(trace, topic, partition)?;
    state
        .isr
        .iter()
        .copied()
        .find(|member| Some(*member) != state.leader)
}

/// The in-sync follower of `topic`-`partition` a failover would pick last.
pub fn follower_of(trace: &[TraceEntry], topic: &str, partition: u32) -> Option<u32> {
    last_follower(&partition_state(trace, topic, partition)?)
}

fn last_follower(state: &PartitionState) -> Option<u32> {
    state
        .isr
        .iter()
        .rev()
        .copied()
        .find(|member| Some(*member) != state.leader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follower_is_the_last_isr_member_other_than_the_leader() {
        let state = |leader: Option<u32>, isr: &[u32]| PartitionState {
            topic: "orders".to_string(),
            partition: 3,
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            leader,
            leader_epoch: 1,
            partition_epoch: 1,
            elr: Vec::new(),
        };
        assert_eq!(last_follower(&state(Some(1), &[1, 2, 3])), Some(3));
        assert_eq!(last_follower(&state(Some(3), &[1, 2, 3])), Some(2));
        assert_eq!(last_follower(&state(Some(2), &[2])), None);
        // Without a leader, the last ISR member (the one a returning broker would follow
        // last).
        assert_eq!(last_follower(&state(None, &[2, 3])), Some(3));
    }
}
