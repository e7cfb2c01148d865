//! Pure decisions of the active controller: where replicas go and who leads. Each function
//! reads the image and returns the records to propose; nothing here has side effects.

use std::collections::BTreeMap;

use super::eligible::eligible_successor;
use super::image::MetadataImage;
use super::records::{BrokerId, FenceReason, MetadataRecord, PartitionState};

/// Why a topic cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum PlacementError {
    #[error("replication factor {replication_factor} needs that many zones with an unfenced broker; only {zones_available} have one")]
    NotEnoughZones {
        replication_factor: usize,
        zones_available: usize,
    },
    #[error("a topic needs at least one partition and a replication factor of at least one")]
    Empty,
    #[error("topic {name} already exists")]
    TopicExists { name: String },
    #[error("partition {partition}'s assignment {replicas:?} is not valid: {reason}")]
    InvalidAssignment {
        partition: u32,
        replicas: Vec<BrokerId>,
        reason: String,
    },
}

/// Records that take `broker` out of service: every partition it leads gets a new leader
/// from the rest of its ISR, it leaves every ISR it is not the last member of, and finally it
/// is fenced. Kafka keeps the last ISR member in the ISR (with no leader) so that an unclean
/// election is never needed to bring the partition back.
pub fn fence_broker(image: &MetadataImage, broker: BrokerId, reason: FenceReason) -> Vec<MetadataRecord> {
    let Some(state) = image.brokers.get(&broker) else {
        return Vec::new();
    };
    let mut records = partitions_without_broker(image, broker);
    if !state.fenced || reason == FenceReason::ControlledShutdown {
        records.push(MetadataRecord::FenceBroker {
            broker,
            epoch: state.epoch,
            reason,
        });
    }
    records
}

/// The partition changes that stop `broker` leading anything or being in any ISR (except as
/// the last member).
pub fn partitions_without_broker(image: &MetadataImage, broker: BrokerId) -> Vec<MetadataRecord> {
    image
        .partitions()
        .filter(|partition| partition.isr.contains(&broker) || partition.leader == Some(broker))
        .filter_map(|partition| without_broker(image, partition, broker))
        .map(MetadataRecord::PartitionState)
        .collect()
}

/// Records that bring `broker` back: it is unfenced, then leads every leaderless partition
/// whose ISR it is in, or whose ELR it is in (it then becomes the ISR: see `eligible`).
pub fn unfence_broker(image: &MetadataImage, broker: BrokerId) -> Vec<MetadataRecord> {
    let Some(state) = image.brokers.get(&broker) else {
        return Vec::new();
    };
    let mut records = vec![MetadataRecord::UnfenceBroker {
        broker,
        epoch: state.epoch,
    }];
    for partition in image.partitions() {
        if partition.leader.is_none() && (partition.isr.contains(&broker) || partition.elr.contains(&broker))
        {
            let mut next = partition.clone();
            next.leader = Some(broker);
            if !next.isr.contains(&broker) {
                next.isr = vec![broker];
            }
            next.leader_epoch += 1;
            next.partition_epoch += 1;
            records.push(MetadataRecord::PartitionState(next));
        }
    }
    records
}

/// The partition without `broker`: out of the ISR unless it is the last member, and no longer
/// leader. `None` when nothing changes.
fn without_broker(
    image: &MetadataImage,
    partition: &PartitionState,
    broker: BrokerId,
) -> Option<PartitionState> {
    let mut next = partition.clone();
    if next.isr.len() > 1 {
        next.isr.retain(|member| *member != broker);
    }
    if next.leader == Some(broker) {
        // A mitigated broker leads only when no other in-sync replica can.
        let others = || next.isr.iter().copied().filter(|candidate| *candidate != broker);
        next.leader = others()
            .find(|candidate| image.may_lead(*candidate))
            .or_else(|| others().find(|candidate| image.is_active(*candidate)));
        // No other ISR member can lead: an eligible replica (KIP-966) holds every committed
        // record and becomes the ISR (the broker leaving joins the ELR, see `eligible`).
        if next.leader.is_none() {
            if let Some(successor) = eligible_successor(image, &next) {
                next.leader = Some(successor);
                next.isr = vec![successor];
            }
        }
        next.leader_epoch += 1;
    }
    if next == *partition {
        return None;
    }
    next.partition_epoch += 1;
    Some(next)
}

/// Records that create topic `name`: each partition's replicas are on distinct zones, spread
/// so that every zone and every broker carries about the same number of replicas and leaders.
pub fn place_topic(
    image: &MetadataImage,
    name: &str,
    partition_count: u32,
    replication_factor: usize,
) -> Result<Vec<MetadataRecord>, PlacementError> {
    if partition_count == 0 || replication_factor == 0 {
        return Err(PlacementError::Empty);
    }
    if image.topics.contains_key(name) {
        return Err(PlacementError::TopicExists {
            name: name.to_string(),
        });
    }
    let mut brokers_by_zone: BTreeMap<&str, Vec<BrokerId>> = BTreeMap::new();
    for (broker, state) in &image.brokers {
        if !state.fenced {
            brokers_by_zone.entry(&state.zone).or_default().push(*broker);
        }
    }
    let zones: Vec<&str> = brokers_by_zone.keys().copied().collect();
    if zones.len() < replication_factor {
        return Err(PlacementError::NotEnoughZones {
            replication_factor,
            zones_available: zones.len(),
        });
    }
    let mut replica_count: BTreeMap<BrokerId, usize> = BTreeMap::new();
    for partition in image.partitions() {
        for replica in &partition.replicas {
            *replica_count.entry(*replica).or_default() += 1;
        }
    }
    let mut records = vec![MetadataRecord::CreateTopic {
        name: name.to_string(),
        partition_count,
    }];
    for partition in 0..partition_count {
        let mut replicas = Vec::with_capacity(replication_factor);
        for slot in 0..replication_factor {
            // Rotating the first zone per partition spreads the preferred leaders over zones.
            let zone = zones[(partition as usize + slot) % zones.len()];
            let least_loaded = brokers_by_zone[zone]
                .iter()
                .copied()
                .min_by_key(|broker| (replica_count.get(broker).copied().unwrap_or(0), *broker))
                .expect("every listed zone has an unfenced broker");
            *replica_count.entry(least_loaded).or_default() += 1;
            replicas.push(least_loaded);
        }
        // A mitigation holds for new topics too: a demoted broker does not lead one and an
        // ISR-ineligible one starts outside its ISR (it joins once the mark is lifted).
        let leader = replicas
            .iter()
            .copied()
            .find(|replica| image.may_lead(*replica))
            .unwrap_or(replicas[0]);
        let isr = replicas
            .iter()
            .copied()
            .filter(|replica| *replica == leader || image.may_join_isr(*replica))
            .collect();
        records.push(MetadataRecord::PartitionState(PartitionState {
            topic: name.to_string(),
            partition,
            leader: Some(leader),
            isr,
            replicas,
            leader_epoch: 0,
            partition_epoch: 0,
            elr: Vec::new(),
        }));
    }
    Ok(records)
}

/// Records that create topic `name` with the replicas its creator chose (Kafka's manual
/// replica assignment): partition `p` on `assignment[p]`, preferred leader first. Every
/// replica must be a registered broker, and one partition's replicas distinct and in distinct
/// zones. The leader is the first replica that may lead (or, failing that, the first unfenced
/// one); a partition with no unfenced replica starts without a leader.
pub fn assign_topic(
    image: &MetadataImage,
    name: &str,
    assignment: &[Vec<BrokerId>],
) -> Result<Vec<MetadataRecord>, PlacementError> {
    if assignment.is_empty() || assignment.iter().any(Vec::is_empty) {
        return Err(PlacementError::Empty);
    }
    if image.topics.contains_key(name) {
        return Err(PlacementError::TopicExists {
            name: name.to_string(),
        });
    }
    let mut records = vec![MetadataRecord::CreateTopic {
        name: name.to_string(),
        partition_count: assignment.len() as u32,
    }];
    for (partition, replicas) in (0u32..).zip(assignment) {
        let invalid = |reason: String| PlacementError::InvalidAssignment {
            partition,
            replicas: replicas.clone(),
            reason,
        };
        let mut zones = std::collections::BTreeSet::new();
        for (index, replica) in replicas.iter().enumerate() {
            let Some(state) = image.brokers.get(replica) else {
                return Err(invalid(format!("broker {replica} is not registered")));
            };
            if replicas[..index].contains(replica) {
                return Err(invalid(format!("broker {replica} is listed twice")));
            }
            if !zones.insert(state.zone.as_str()) {
                return Err(invalid(format!("two replicas in zone {}", state.zone)));
            }
        }
        let leader = replicas
            .iter()
            .copied()
            .find(|replica| image.may_lead(*replica))
            .or_else(|| replicas.iter().copied().find(|replica| image.is_active(*replica)));
        let isr = replicas
            .iter()
            .copied()
            .filter(|replica| Some(*replica) == leader || image.may_join_isr(*replica))
            .collect();
        records.push(MetadataRecord::PartitionState(PartitionState {
            topic: name.to_string(),
            partition,
            leader,
            isr,
            replicas: replicas.clone(),
            leader_epoch: 0,
            partition_epoch: 0,
            elr: Vec::new(),
        }));
    }
    Ok(records)
}

/// Why an ISR change asked by a partition leader was refused (KRaft's AlterPartition errors).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
pub enum AlterPartitionError {
    #[error("no partition {topic}-{partition}")]
    UnknownPartition { topic: String, partition: u32 },
    #[error("broker {broker} is not the leader (leader {leader:?}, epoch {leader_epoch})")]
    NotLeader {
        broker: BrokerId,
        leader: Option<BrokerId>,
        leader_epoch: u64,
    },
    #[error("stale request: leader epoch {requested_leader_epoch} / partition epoch {requested_partition_epoch}, current {leader_epoch} / {partition_epoch}")]
    StaleEpoch {
        requested_leader_epoch: u64,
        requested_partition_epoch: u64,
        leader_epoch: u64,
        partition_epoch: u64,
    },
    #[error("invalid ISR {isr:?}: {reason}")]
    InvalidIsr { isr: Vec<BrokerId>, reason: String },
}

/// The partition state that applies a leader's request to change the ISR of its partition,
/// or why it is refused. The request names the leader and partition epochs it was computed from, so a
/// leader that was deposed meanwhile cannot change anything; only unfenced replicas may join,
/// and the leader must stay in.
pub fn alter_partition(
    image: &MetadataImage,
    broker: BrokerId,
    topic: &str,
    partition: u32,
    leader_epoch: u64,
    partition_epoch: u64,
    new_isr: &[BrokerId],
) -> Result<PartitionState, AlterPartitionError> {
    let Some(current) = image.partition(topic, partition) else {
        return Err(AlterPartitionError::UnknownPartition {
            topic: topic.to_string(),
            partition,
        });
    };
    if current.leader != Some(broker) {
        return Err(AlterPartitionError::NotLeader {
            broker,
            leader: current.leader,
            leader_epoch: current.leader_epoch,
        });
    }
    if leader_epoch != current.leader_epoch || partition_epoch != current.partition_epoch {
        return Err(AlterPartitionError::StaleEpoch {
            requested_leader_epoch: leader_epoch,
            requested_partition_epoch: partition_epoch,
            leader_epoch: current.leader_epoch,
            partition_epoch: current.partition_epoch,
        });
    }
    let invalid = |reason: &str| AlterPartitionError::InvalidIsr {
        isr: new_isr.to_vec(),
        reason: reason.to_string(),
    };
    if !new_isr.contains(&broker) {
        return Err(invalid("the leader must stay in the ISR"));
    }
    if let Some(outsider) = new_isr.iter().find(|member| !current.replicas.contains(member)) {
        return Err(invalid(&format!("broker {outsider} is not a replica")));
    }
    let joining = new_isr.iter().filter(|member| !current.isr.contains(member));
    if let Some(fenced) = joining.clone().find(|member| !image.is_active(**member)) {
        return Err(invalid(&format!(
            "broker {fenced} is fenced and cannot join the ISR"
        )));
    }
    if let Some(ineligible) = joining.clone().find(|member| !image.may_join_isr(**member)) {
        return Err(invalid(&format!(
            "broker {ineligible} is kept out of ISRs by a mitigation"
        )));
    }
    let mut next = current.clone();
    // Keep the replica order so that the preferred leader stays first.
    next.isr = current
        .replicas
        .iter()
        .copied()
        .filter(|replica| new_isr.contains(replica))
        .collect();
    next.partition_epoch += 1;
    Ok(next)
}

/// The partition state without a replica a leader's audit found corrupt, and whether it
/// differs from the current one. The replica leaves the ISR, and leadership too if it leads
/// (a leader that lost its prefix, say), moving to another active ISR member with a new
/// epoch. Refused when the report is stale (the reporter no longer leads in that epoch), and
/// when the corrupt replica is the last in-sync copy or no other in-sync replica can lead:
/// a damaged copy beats an offline partition, and unclean election stays off.
pub fn without_corrupt_replica(
    image: &MetadataImage,
    report: &super::protocol::CorruptReplicaReport,
) -> Result<(PartitionState, bool), AlterPartitionError> {
    let Some(current) = image.partition(&report.topic, report.partition) else {
        return Err(AlterPartitionError::UnknownPartition {
            topic: report.topic.clone(),
            partition: report.partition,
        });
    };
    if current.leader != Some(report.broker) || current.leader_epoch != report.leader_epoch {
        return Err(AlterPartitionError::NotLeader {
            broker: report.broker,
            leader: current.leader,
            leader_epoch: current.leader_epoch,
        });
    }
    let corrupt = report.corrupt;
    if !current.isr.contains(&corrupt) {
        return Ok((current.clone(), false));
    }
    let invalid = |reason: String| AlterPartitionError::InvalidIsr {
        isr: current.isr.clone(),
        reason,
    };
    if current.isr.len() == 1 {
        return Err(invalid(format!(
            "broker {corrupt} holds the last in-sync copy: it stays"
        )));
    }
    let mut next = current.clone();
    next.isr.retain(|member| *member != corrupt);
    if current.leader == Some(corrupt) {
        // A broker under no mitigation if there is one, else any active one.
        let Some(successor) = next
            .isr
            .iter()
            .copied()
            .find(|candidate| image.may_lead(*candidate))
            .or_else(|| {
                next.isr
                    .iter()
                    .copied()
                    .find(|candidate| image.is_active(*candidate))
            })
        else {
            return Err(invalid(format!(
                "no other active in-sync replica can take over from broker {corrupt}"
            )));
        };
        next.leader = Some(successor);
        next.leader_epoch += 1;
    }
    next.partition_epoch += 1;
    Ok((next, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Six unfenced brokers over three zones, and topic "t" with three partitions.
    fn cluster() -> MetadataImage {
        let mut image = crate::metadata::test_support::unfenced_brokers(6, 3);
        let topic = place_topic(&image, "t", 3, 3).unwrap();
        image.apply_batch(13, &topic).unwrap();
        image
    }

    #[test]
    fn an_assigned_topic_goes_where_it_was_asked_and_bad_assignments_are_refused() {
        let mut image = crate::metadata::test_support::unfenced_brokers(6, 3);
        let records = assign_topic(&image, "probe", &[vec![5], vec![2, 6]]).unwrap();
        image.apply_batch(13, &records).unwrap();
        let first = image.partition("probe", 0).unwrap();
        assert_eq!((first.replicas.clone(), first.leader), (vec![5], Some(5)));
        let second = image.partition("probe", 1).unwrap();
        assert_eq!((second.isr.clone(), second.leader), (vec![2, 6], Some(2)));
        let refused =
            |assignment: &[Vec<BrokerId>]| assign_topic(&image, "other", assignment).unwrap_err().to_string();
        assert!(refused(&[vec![9]]).contains("broker 9 is not registered"));
        assert!(refused(&[vec![1, 1]]).contains("listed twice"));
        // Brokers 1 and 4 are both in az-1.
        assert!(refused(&[vec![1, 4]]).contains("two replicas in zone az-1"));
        assert_eq!(assign_topic(&image, "other", &[]), Err(PlacementError::Empty));
        assert!(matches!(
            assign_topic(&image, "probe", &[vec![1]]),
            Err(PlacementError::TopicExists { .. })
        ));
    }

    #[test]
    fn an_assigned_partition_on_a_fenced_broker_starts_without_a_leader() {
        let mut image = crate::metadata::test_support::unfenced_brokers(3, 3);
        let fence = fence_broker(&image, 3, FenceReason::SessionExpired);
        image.apply_batch(7, &fence).unwrap();
        let records = assign_topic(&image, "probe", &[vec![3]]).unwrap();
        image.apply_batch(8, &records).unwrap();
        assert_eq!(image.partition("probe", 0).unwrap().leader, None);
    }

    #[test]
    fn placement_puts_replicas_in_distinct_zones_and_spreads_leaders() {
        let image = cluster();
        let mut leaders = Vec::new();
        for partition in image.partitions() {
            let zones: std::collections::BTreeSet<_> = partition
                .replicas
                .iter()
                .map(|broker| &image.brokers[broker].zone)
                .collect();
            assert_eq!(zones.len(), 3, "replicas {:?} share a zone", partition.replicas);
            leaders.push(partition.leader.unwrap());
        }
        leaders.sort();
        leaders.dedup();
        assert_eq!(leaders.len(), 3, "each partition should have its own leader");
    }

    #[test]
    fn placement_keeps_mitigated_brokers_from_leading_and_out_of_the_isr() {
        let mut image = crate::metadata::test_support::unfenced_brokers(3, 3);
        image.mark(1, crate::metadata::Mitigation::Demoted, true);
        image.mark(2, crate::metadata::Mitigation::IsrIneligible, true);
        for record in place_topic(&image, "t", 3, 3).unwrap() {
            let MetadataRecord::PartitionState(state) = record else {
                continue;
            };
            assert_eq!(state.leader, Some(3), "{state:?}");
            assert!(!state.isr.contains(&2), "{state:?}");
            assert!(state.isr.contains(&1), "a demoted broker may follow: {state:?}");
        }
    }

    #[test]
    fn placement_refuses_more_replicas_than_zones() {
        let image = cluster();
        assert_eq!(
            place_topic(&image, "u", 1, 4),
            Err(PlacementError::NotEnoughZones {
                replication_factor: 4,
                zones_available: 3
            })
        );
    }

    #[test]
    fn fencing_moves_leadership_to_another_isr_member_with_a_new_epoch() {
        let mut image = cluster();
        let before = image.partition("t", 0).unwrap().clone();
        let leader = before.leader.unwrap();
        let records = fence_broker(&image, leader, FenceReason::SessionExpired);
        image.apply_batch(100, &records).unwrap();
        let after = image.partition("t", 0).unwrap();
        assert_ne!(after.leader, Some(leader));
        assert!(after.leader.is_some());
        assert_eq!(after.leader_epoch, before.leader_epoch + 1);
        assert!(!after.isr.contains(&leader));
        assert!(image.brokers[&leader].fenced);
    }

    #[test]
    fn the_last_isr_member_stays_in_the_isr_without_leading() {
        let mut image = cluster();
        let replicas = image.partition("t", 0).unwrap().replicas.clone();
        for (offset, broker) in (200..).zip(&replicas) {
            let records = fence_broker(&image, *broker, FenceReason::SessionExpired);
            image.apply_batch(offset, &records).unwrap();
        }
        let partition = image.partition("t", 0).unwrap();
        assert_eq!(partition.leader, None, "no unclean election");
        assert_eq!(partition.isr, vec![*replicas.last().unwrap()]);
        // Unfencing the last ISR member brings the partition back under it.
        let last = *replicas.last().unwrap();
        image.apply_batch(300, &unfence_broker(&image, last)).unwrap();
        assert_eq!(image.partition("t", 0).unwrap().leader, Some(last));
    }

    #[test]
    fn a_stale_proposal_is_rejected_whole() {
        let mut image = cluster();
        let leader = image.partition("t", 0).unwrap().leader.unwrap();
        let stale = fence_broker(&image, leader, FenceReason::SessionExpired);
        image.apply_batch(100, &stale).unwrap();
        let unchanged = image.clone();
        let outcome = image.apply_batch(101, &stale);
        assert!(matches!(
            outcome,
            Err(super::super::image::Rejection::BadPartitionChange { .. })
        ));
        assert_eq!(
            image.topics, unchanged.topics,
            "a rejected batch must change nothing"
        );
        assert_eq!(image.offset, Some(101));
    }

    #[test]
    fn a_leader_shrinks_and_grows_its_isr() {
        let mut image = cluster();
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        let follower = *state.isr.iter().find(|member| **member != leader).unwrap();
        let shrunk: Vec<_> = state
            .isr
            .iter()
            .copied()
            .filter(|member| *member != follower)
            .collect();
        let record = alter_partition(
            &image,
            leader,
            "t",
            0,
            state.leader_epoch,
            state.partition_epoch,
            &shrunk,
        )
        .unwrap();
        image
            .apply_batch(500, &[MetadataRecord::PartitionState(record)])
            .unwrap();
        let after = image.partition("t", 0).unwrap().clone();
        assert_eq!(after.isr.len(), 2);
        assert_eq!(
            after.leader_epoch, state.leader_epoch,
            "an ISR change keeps the leader epoch"
        );
        let grown = alter_partition(
            &image,
            leader,
            "t",
            0,
            after.leader_epoch,
            after.partition_epoch,
            &state.isr,
        )
        .unwrap();
        image
            .apply_batch(501, &[MetadataRecord::PartitionState(grown)])
            .unwrap();
        assert_eq!(image.partition("t", 0).unwrap().isr, state.replicas);
    }

    #[test]
    fn a_corrupt_replica_leaves_the_isr_and_a_corrupt_leader_its_leadership() {
        let image = cluster();
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        let follower = *state.replicas.iter().find(|replica| **replica != leader).unwrap();
        let report = |corrupt| super::super::protocol::CorruptReplicaReport {
            broker: leader,
            broker_epoch: 1,
            topic: "t".into(),
            partition: 0,
            leader_epoch: state.leader_epoch,
            corrupt,
        };
        let (without_follower, changed) = without_corrupt_replica(&image, &report(follower)).unwrap();
        assert!(changed);
        assert!(!without_follower.isr.contains(&follower));
        assert_eq!(without_follower.leader, Some(leader));
        assert_eq!(without_follower.leader_epoch, state.leader_epoch);
        let (without_leader, _) = without_corrupt_replica(&image, &report(leader)).unwrap();
        assert!(!without_leader.isr.contains(&leader));
        assert!(without_leader.leader.is_some_and(|new| new != leader));
        assert_eq!(without_leader.leader_epoch, state.leader_epoch + 1);
        let mut stale = report(follower);
        stale.leader_epoch += 1;
        assert!(matches!(
            without_corrupt_replica(&image, &stale),
            Err(AlterPartitionError::NotLeader { .. })
        ));
    }

    #[test]
    fn the_last_in_sync_copy_is_never_dropped_for_corruption() {
        let mut image = cluster();
        let mut state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        state.isr = vec![leader];
        state.partition_epoch += 1;
        image
            .apply_batch(600, &[MetadataRecord::PartitionState(state.clone())])
            .unwrap();
        let report = super::super::protocol::CorruptReplicaReport {
            broker: leader,
            broker_epoch: 1,
            topic: "t".into(),
            partition: 0,
            leader_epoch: state.leader_epoch,
            corrupt: leader,
        };
        assert!(matches!(
            without_corrupt_replica(&image, &report),
            Err(AlterPartitionError::InvalidIsr { .. })
        ));
    }

    #[test]
    fn a_deposed_leader_or_a_stale_request_changes_nothing() {
        let image = cluster();
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        let other = *state.replicas.iter().find(|replica| **replica != leader).unwrap();
        assert!(matches!(
            alter_partition(
                &image,
                other,
                "t",
                0,
                state.leader_epoch,
                state.partition_epoch,
                &[other]
            ),
            Err(AlterPartitionError::NotLeader { .. })
        ));
        assert!(matches!(
            alter_partition(
                &image,
                leader,
                "t",
                0,
                state.leader_epoch,
                state.partition_epoch + 1,
                &[leader]
            ),
            Err(AlterPartitionError::StaleEpoch { .. })
        ));
        assert!(matches!(
            alter_partition(
                &image,
                leader,
                "t",
                0,
                state.leader_epoch,
                state.partition_epoch,
                &[other]
            ),
            Err(AlterPartitionError::InvalidIsr { .. })
        ));
    }

    #[test]
    fn a_fenced_replica_cannot_join_the_isr() {
        let mut image = cluster();
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        let follower = *state.isr.iter().find(|member| **member != leader).unwrap();
        image
            .apply_batch(600, &fence_broker(&image, follower, FenceReason::SessionExpired))
            .unwrap();
        let after = image.partition("t", 0).unwrap().clone();
        let rejoin = alter_partition(
            &image,
            leader,
            "t",
            0,
            after.leader_epoch,
            after.partition_epoch,
            &state.isr,
        );
        assert!(
            matches!(rejoin, Err(AlterPartitionError::InvalidIsr { .. })),
            "{rejoin:?}"
        );
    }
}
