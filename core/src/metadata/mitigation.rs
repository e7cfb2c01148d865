//! What the active controller does when the degradation detector asks it to mitigate a
//! broker, kept pure like the rest of the controller's decisions.
//!
//! Two mitigations, both recorded in the metadata log so that every broker and every later
//! controller knows them:
//!
//! - **Demoted** (the broker's requests make no progress for clients): every partition it
//!   leads gets another leader from its ISR. No data moves and the ISR stays as it is; the
//!   broker keeps replicating as a follower.
//! - **ISR-ineligible** (the broker is slow relative to the rest of the cluster): it leaves
//!   every ISR it can leave and may not rejoin one while marked (the controller refuses the
//!   leaders' ISR expansions, as Kafka's KIP-841 refuses ineligible replicas). It stays a
//!   replica and keeps fetching, so it is caught up when the mark is lifted.
//!
//! A mitigation never takes a partition's ISR below `min_insync_replicas` and never leaves a
//! partition without a leader: a partition where it cannot act safely is left as it is and
//! reported as blocked, and the detector escalates it to a human. A partition with one
//! replica has nothing to move to and is left alone without a report.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::image::MetadataImage;
use super::records::{BrokerId, MetadataRecord, PartitionState};

/// A mitigation the degradation detector can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mitigation {
    /// Leads nothing that another in-sync replica can lead.
    Demoted,
    /// Kept out of every ISR it can leave without going below min ISR.
    IsrIneligible,
}

impl std::fmt::Display for Mitigation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mitigation::Demoted => write!(f, "demoted"),
            Mitigation::IsrIneligible => write!(f, "ISR-ineligible"),
        }
    }
}

/// A partition a mitigation could not touch, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedPartition {
    pub topic: String,
    pub partition: u32,
    pub reason: String,
}

/// The records that carry out a mitigation, and what it did and could not do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MitigationPlan {
    pub records: Vec<MetadataRecord>,
    /// Partitions changed, as (topic, partition).
    pub acted: Vec<(String, u32)>,
    pub blocked: Vec<BlockedPartition>,
}

/// The plan that puts `mitigation` on `broker`. For a broker that already carries it, the
/// plan finishes the mitigation where it was blocked before and is safe now (an ISR grew back,
/// another replica can lead): a mark alone would leave those partitions as they were for as
/// long as it holds. Empty when the broker is unknown or the mitigation is complete.
pub fn mitigate_broker(
    image: &MetadataImage,
    broker: BrokerId,
    mitigation: Mitigation,
    min_insync_replicas: usize,
) -> MitigationPlan {
    let mut plan = MitigationPlan::default();
    if !image.brokers.contains_key(&broker) {
        return plan;
    }
    // The mark applies first, so the new leaders below are chosen among the others.
    let marked = if image.has_mitigation(broker, mitigation) {
        Cow::Borrowed(image)
    } else {
        plan.records.push(MetadataRecord::BrokerMitigation {
            broker,
            mitigation,
            active: true,
        });
        let mut marked = image.clone();
        marked.mark(broker, mitigation, true);
        Cow::Owned(marked)
    };
    for partition in image
        .partitions()
        .filter(|partition| partition.replicas.len() > 1)
    {
        let changed = match mitigation {
            Mitigation::Demoted => demoted(&marked, partition, broker),
            Mitigation::IsrIneligible => without_ineligible(&marked, partition, broker, min_insync_replicas),
        };
        match changed {
            Ok(None) => {}
            Ok(Some(next)) => {
                plan.acted.push((next.topic.clone(), next.partition));
                plan.records.push(MetadataRecord::PartitionState(next));
            }
            Err(reason) => plan.blocked.push(BlockedPartition {
                topic: partition.topic.clone(),
                partition: partition.partition,
                reason,
            }),
        }
    }
    plan
}

/// The mitigations in force that are not complete but could be completed now: what a
/// detector asks the controller for again.
pub fn unfinished_mitigations(
    image: &MetadataImage,
    min_insync_replicas: usize,
) -> Vec<(BrokerId, Mitigation)> {
    image
        .mitigations
        .iter()
        .flat_map(|(broker, marks)| marks.iter().map(move |mitigation| (*broker, *mitigation)))
        .filter(|(broker, mitigation)| {
            !mitigate_broker(image, *broker, *mitigation, min_insync_replicas)
                .acted
                .is_empty()
        })
        .collect()
}

/// The record that lifts `mitigation` from `broker`; nothing when it does not carry it. The
/// broker then rejoins ISRs through its leaders as it catches up; leadership is not moved
/// back (there is no preferred-leader election in this model).
pub fn lift_mitigation(
    image: &MetadataImage,
    broker: BrokerId,
    mitigation: Mitigation,
) -> Vec<MetadataRecord> {
    if !image.has_mitigation(broker, mitigation) {
        return Vec::new();
    }
    vec![MetadataRecord::BrokerMitigation {
        broker,
        mitigation,
        active: false,
    }]
}

/// The partition with its leadership moved off `broker`, if it leads it.
fn demoted(
    image: &MetadataImage,
    partition: &PartitionState,
    broker: BrokerId,
) -> Result<Option<PartitionState>, String> {
    if partition.leader != Some(broker) {
        return Ok(None);
    }
    let Some(leader) = successor(image, partition, broker) else {
        return Err(format!(
            "no other in-sync replica can lead (ISR {:?})",
            partition.isr
        ));
    };
    let mut next = partition.clone();
    next.leader = Some(leader);
    next.leader_epoch += 1;
    next.partition_epoch += 1;
    Ok(Some(next))
}

/// The partition with `broker` out of its ISR (and its leadership, if it leads), if that
/// keeps the ISR at `min_insync_replicas` or more.
fn without_ineligible(
    image: &MetadataImage,
    partition: &PartitionState,
    broker: BrokerId,
    min_insync_replicas: usize,
) -> Result<Option<PartitionState>, String> {
    if !partition.isr.contains(&broker) {
        return Ok(None);
    }
    let remaining = partition.isr.len() - 1;
    if remaining < min_insync_replicas {
        return Err(format!(
            "removing it would leave {remaining} in-sync replica(s) of {:?}, below min.insync.replicas {min_insync_replicas}",
            partition.isr
        ));
    }
    let mut next = partition.clone();
    next.isr.retain(|member| *member != broker);
    if partition.leader == Some(broker) {
        let Some(leader) = successor(image, partition, broker) else {
            return Err(format!(
                "it leads and no other in-sync replica can (ISR {:?})",
                partition.isr
            ));
        };
        next.leader = Some(leader);
        next.leader_epoch += 1;
    }
    next.partition_epoch += 1;
    Ok(Some(next))
}

/// The in-sync replica that takes over from `broker`: unfenced and without a mitigation of
/// its own, first in replica order (the preferred leader first).
fn successor(image: &MetadataImage, partition: &PartitionState, broker: BrokerId) -> Option<BrokerId> {
    partition
        .isr
        .iter()
        .copied()
        .find(|candidate| *candidate != broker && image.may_lead(*candidate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{fence_broker, place_topic, FenceReason};

    /// Three zones, one broker each, one topic of 3 partitions with 3 replicas.
    fn cluster() -> MetadataImage {
        let mut image = crate::metadata::test_support::unfenced_brokers(3, 3);
        image
            .apply_batch(10, &place_topic(&image, "t", 3, 3).unwrap())
            .unwrap();
        image
    }

    fn apply(image: &mut MetadataImage, records: &[MetadataRecord]) {
        let offset = image.offset.unwrap() + 1;
        image.apply_batch(offset, records).unwrap();
    }

    #[test]
    fn demotion_moves_every_leadership_and_keeps_every_isr() {
        let mut image = cluster();
        let before = image.clone();
        let plan = mitigate_broker(&image, 1, Mitigation::Demoted, 2);
        assert!(plan.blocked.is_empty(), "{:?}", plan.blocked);
        apply(&mut image, &plan.records);
        for (after, before) in image.partitions().zip(before.partitions()) {
            assert_ne!(after.leader, Some(1));
            assert_eq!(after.isr, before.isr, "no data moves, the ISR stays");
        }
        assert!(image.has_mitigation(1, Mitigation::Demoted));
        assert!(!image.may_lead(1));
        // Asking again changes nothing.
        assert!(mitigate_broker(&image, 1, Mitigation::Demoted, 2)
            .records
            .is_empty());
    }

    #[test]
    fn an_ineligible_broker_leaves_isrs_and_may_not_rejoin() {
        let mut image = cluster();
        let plan = mitigate_broker(&image, 2, Mitigation::IsrIneligible, 2);
        assert!(plan.blocked.is_empty());
        apply(&mut image, &plan.records);
        for partition in image.partitions() {
            assert!(!partition.isr.contains(&2));
            assert!(partition.replicas.contains(&2), "it stays a replica");
            assert_ne!(partition.leader, Some(2));
        }
        let state = image.partition("t", 0).unwrap().clone();
        let leader = state.leader.unwrap();
        let rejoin = crate::metadata::alter_partition(
            &image,
            leader,
            "t",
            0,
            state.leader_epoch,
            state.partition_epoch,
            &state.replicas,
        );
        assert!(rejoin.is_err(), "{rejoin:?}");
        let records = lift_mitigation(&image, 2, Mitigation::IsrIneligible);
        apply(&mut image, &records);
        let rejoin = crate::metadata::alter_partition(
            &image,
            leader,
            "t",
            0,
            state.leader_epoch,
            state.partition_epoch,
            &state.replicas,
        );
        assert!(rejoin.is_ok(), "{rejoin:?}");
    }

    #[test]
    fn no_mitigation_takes_an_isr_below_min_isr_it_is_blocked_instead() {
        let mut image = cluster();
        // Broker 3 is lost: every ISR is down to brokers 1 and 2.
        let records = fence_broker(&image, 3, FenceReason::SessionExpired);
        apply(&mut image, &records);
        let plan = mitigate_broker(&image, 2, Mitigation::IsrIneligible, 2);
        assert_eq!(plan.blocked.len(), 3, "{plan:?}");
        assert!(plan.acted.is_empty());
        assert!(plan.blocked[0].reason.contains("below min.insync.replicas 2"));
        apply(&mut image, &plan.records);
        for partition in image.partitions() {
            assert_eq!(partition.isr.len(), 2);
        }
    }

    /// Brokers 2 and 3 lost, then broker 1 demoted: the only ISR member of every partition
    /// stays the leader.
    fn demoted_alone() -> (MetadataImage, MitigationPlan) {
        let mut image = cluster();
        for broker in [2, 3] {
            let records = fence_broker(&image, broker, FenceReason::SessionExpired);
            apply(&mut image, &records);
        }
        let plan = mitigate_broker(&image, 1, Mitigation::Demoted, 2);
        apply(&mut image, &plan.records);
        (image, plan)
    }

    #[test]
    fn demotion_is_blocked_where_no_other_replica_can_lead() {
        let (image, plan) = demoted_alone();
        assert_eq!(plan.blocked.len(), 3);
        assert!(image.partitions().all(|partition| partition.leader == Some(1)));
    }

    #[test]
    fn a_blocked_demotion_is_finished_once_another_replica_can_lead() {
        let (mut image, _) = demoted_alone();
        assert!(
            unfinished_mitigations(&image, 2).is_empty(),
            "nothing can be done yet"
        );
        // Brokers 2 and 3 come back and catch up: every ISR is full again.
        for broker in [2, 3] {
            let records = super::super::leadership::unfence_broker(&image, broker);
            apply(&mut image, &records);
        }
        let grown: Vec<MetadataRecord> = image
            .partitions()
            .map(|partition| {
                let mut next = partition.clone();
                next.isr = next.replicas.clone();
                next.partition_epoch += 1;
                MetadataRecord::PartitionState(next)
            })
            .collect();
        apply(&mut image, &grown);
        assert_eq!(unfinished_mitigations(&image, 2), vec![(1, Mitigation::Demoted)]);
        let plan = mitigate_broker(&image, 1, Mitigation::Demoted, 2);
        assert_eq!(plan.acted.len(), 3, "{plan:?}");
        assert!(
            !plan
                .records
                .iter()
                .any(|record| matches!(record, MetadataRecord::BrokerMitigation { .. })),
            "the mark is on already"
        );
        apply(&mut image, &plan.records);
        assert!(image.partitions().all(|partition| partition.leader != Some(1)));
        assert!(unfinished_mitigations(&image, 2).is_empty());
    }
}
