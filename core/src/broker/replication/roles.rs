//! What a broker should do with each partition after the metadata moved: lead it, follow a
//! leader, or stop serving it. Decided from two metadata images alone, so the broker's
//! reaction to a leadership change is the same whichever way the change arrived (a batch or a
//! whole image after a controller failover).

use crate::metadata::{BrokerId, MetadataImage, PartitionState};

/// One partition's role change for this broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    /// Lead the partition from this leader epoch on.
    BecomeLeader(PartitionState),
    /// Follow `leader` in this leader epoch (truncating by leader epoch first).
    BecomeFollower(PartitionState),
    /// The partition has no leader right now: keep the data, serve nothing, fetch nothing.
    AwaitLeader(PartitionState),
    /// This broker is no longer a replica (or the topic is gone): stop serving it.
    Stop { topic: String, partition: u32 },
    /// Same role and leader epoch, but the partition changed (its partition epoch moved): a
    /// leader must take the new ISR in. Judged by the partition epoch, not by comparing ISRs:
    /// two changes that cancel out between `before` and `after` (an expansion the leader
    /// already took from its AlterPartition answer, then a shrink by the controller) leave
    /// the ISR equal while the leader's view is one of them behind.
    IsrChanged(PartitionState),
}

/// The role changes for `broker` going from `before` to `after`, in partition order. A
/// fenced broker leads nothing: while `after` has it fenced, partitions it would lead are
/// reported as awaiting a leader (the controller will move them; this only guards the gap).
pub fn role_changes(before: &MetadataImage, after: &MetadataImage, broker: BrokerId) -> Vec<RoleChange> {
    let mut changes = Vec::new();
    for state in after
        .partitions()
        .filter(|state| state.replicas.contains(&broker))
    {
        let previous = before
            .partition(&state.topic, state.partition)
            .filter(|previous| previous.replicas.contains(&broker));
        let same_epoch = previous.is_some_and(|previous| previous.leader_epoch == state.leader_epoch);
        if same_epoch {
            if previous.is_some_and(|previous| previous.partition_epoch != state.partition_epoch) {
                changes.push(RoleChange::IsrChanged(state.clone()));
            }
            continue;
        }
        let fenced = !after.is_active(broker);
        let change = match state.leader {
            Some(leader) if leader == broker && !fenced => RoleChange::BecomeLeader(state.clone()),
            Some(leader) if leader != broker => RoleChange::BecomeFollower(state.clone()),
            _ => RoleChange::AwaitLeader(state.clone()),
        };
        changes.push(change);
    }
    for state in before
        .partitions()
        .filter(|state| state.replicas.contains(&broker))
    {
        let still_replica = after
            .partition(&state.topic, state.partition)
            .is_some_and(|now| now.replicas.contains(&broker));
        if !still_replica {
            changes.push(RoleChange::Stop {
                topic: state.topic.clone(),
                partition: state.partition,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{alter_partition, fence_broker, place_topic, FenceReason, MetadataRecord};

    /// Three unfenced brokers, one per zone.
    fn cluster() -> MetadataImage {
        crate::metadata::test_support::unfenced_brokers(3, 3)
    }

    #[test]
    fn a_new_topic_makes_its_leader_lead_and_the_others_follow() {
        let before = cluster();
        let mut after = before.clone();
        after
            .apply_batch(10, &place_topic(&after, "t", 1, 3).unwrap())
            .unwrap();
        let leader = after.partition("t", 0).unwrap().leader.unwrap();
        for broker in 1..=3 {
            let changes = role_changes(&before, &after, broker);
            assert_eq!(changes.len(), 1);
            match &changes[0] {
                RoleChange::BecomeLeader(_) => assert_eq!(broker, leader),
                RoleChange::BecomeFollower(state) => {
                    assert_ne!(broker, leader);
                    assert_eq!(state.leader, Some(leader));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn fencing_the_leader_promotes_a_follower_and_the_others_follow_the_new_epoch() {
        let mut before = cluster();
        before
            .apply_batch(10, &place_topic(&before, "t", 1, 3).unwrap())
            .unwrap();
        let old_leader = before.partition("t", 0).unwrap().leader.unwrap();
        let mut after = before.clone();
        after
            .apply_batch(11, &fence_broker(&after, old_leader, FenceReason::SessionExpired))
            .unwrap();
        let new_leader = after.partition("t", 0).unwrap().leader.unwrap();
        assert!(matches!(
            role_changes(&before, &after, new_leader)[..],
            [RoleChange::BecomeLeader(_)]
        ));
        let bystander = (1..=3)
            .find(|broker| *broker != old_leader && *broker != new_leader)
            .unwrap();
        // The bystander keeps following, but under a new leader epoch, so it must re-check
        // its log against the new leader.
        assert!(matches!(
            role_changes(&before, &after, bystander)[..],
            [RoleChange::BecomeFollower(_)]
        ));
        // The fenced old leader is out of the ISR but still a replica: it follows.
        assert!(matches!(
            role_changes(&before, &after, old_leader)[..],
            [RoleChange::BecomeFollower(_)]
        ));
    }

    #[test]
    fn a_partition_without_a_leader_is_awaited_not_served() {
        let mut before = cluster();
        before
            .apply_batch(10, &place_topic(&before, "t", 1, 3).unwrap())
            .unwrap();
        let mut after = before.clone();
        let replicas = after.partition("t", 0).unwrap().replicas.clone();
        for (offset, broker) in (20..).zip(&replicas) {
            after
                .apply_batch(
                    offset,
                    &fence_broker(&after, *broker, FenceReason::SessionExpired),
                )
                .unwrap();
        }
        let last = *replicas.last().unwrap();
        let changes = role_changes(&before, &after, last);
        assert!(matches!(changes[..], [RoleChange::AwaitLeader(_)]), "{changes:?}");
    }

    #[test]
    fn no_change_no_role_change() {
        let mut image = cluster();
        image
            .apply_batch(10, &place_topic(&image, "t", 2, 3).unwrap())
            .unwrap();
        for broker in 1..=3 {
            assert!(role_changes(&image, &image, broker).is_empty());
        }
    }

    /// The cluster with topic "t" of one partition on three replicas: the image, the
    /// partition's state and its leader.
    fn one_partition() -> (MetadataImage, PartitionState, BrokerId) {
        let mut image = cluster();
        image
            .apply_batch(10, &place_topic(&image, "t", 1, 3).unwrap())
            .unwrap();
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        (image, state, leader)
    }

    #[test]
    fn an_isr_change_alone_keeps_the_roles_and_tells_the_leader() {
        let (before, state, leader) = one_partition();
        let shrunk: Vec<_> = state.isr.iter().copied().take(2).collect();
        let shrunk = if shrunk.contains(&leader) {
            shrunk
        } else {
            vec![leader]
        };
        let altered = alter_partition(
            &before,
            leader,
            "t",
            0,
            state.leader_epoch,
            state.partition_epoch,
            &shrunk,
        )
        .unwrap();
        let mut after = before.clone();
        after
            .apply_batch(11, &[MetadataRecord::PartitionState(altered)])
            .unwrap();
        for broker in 1..=3 {
            let changes = role_changes(&before, &after, broker);
            assert!(matches!(changes[..], [RoleChange::IsrChanged(_)]), "{changes:?}");
        }
    }

    #[test]
    fn changes_that_cancel_out_still_tell_the_leader() {
        // The leader expanded the ISR (and took the expansion from its AlterPartition
        // answer); the controller then shrank it back before the leader's next metadata
        // update: both arrive in one step, with the ISR as it was before.
        let (mut before, state, leader) = one_partition();
        let shrunk = PartitionState {
            isr: vec![leader],
            partition_epoch: state.partition_epoch + 1,
            ..state.clone()
        };
        before
            .apply_batch(11, &[MetadataRecord::PartitionState(shrunk.clone())])
            .unwrap();
        let mut after = before.clone();
        let expanded = PartitionState {
            isr: state.isr.clone(),
            partition_epoch: shrunk.partition_epoch + 1,
            ..state.clone()
        };
        let shrunk_again = PartitionState {
            partition_epoch: expanded.partition_epoch + 1,
            ..shrunk
        };
        after
            .apply_batch(12, &[MetadataRecord::PartitionState(expanded)])
            .unwrap();
        after
            .apply_batch(13, &[MetadataRecord::PartitionState(shrunk_again.clone())])
            .unwrap();
        let changes = role_changes(&before, &after, leader);
        assert_eq!(changes, vec![RoleChange::IsrChanged(shrunk_again)]);
    }
}
