//! Eligible leader replicas (Kafka's KIP-966): who may lead a partition besides its ISR.
//!
//! Without them, the last replica standing decides alone. Say the ISR of a partition is
//! `[1, 3]` and broker 1 leaves it (paused, cut off): the ISR is `[3]`, below
//! `min_insync_replicas`, so the high watermark freezes with every committed record on both.
//! Broker 3 then crashes before it synced its tail and restarts: as the sole ISR member it
//! would be elected and lead with a log that ends below the high watermark, while broker 1,
//! which still holds every committed record, may not lead because it is not in the ISR.
//! (The chaos gate found exactly this: `chaos-pauses` seed 74.)
//!
//! The rules, applied to every partition change the active controller commits:
//! - A replica that leaves the ISR while the ISR is below `min_insync_replicas` joins the ELR:
//!   the high watermark cannot move past what it holds.
//! - The ELR empties as soon as the ISR is at `min_insync_replicas` again: the high watermark
//!   may then move past its members.
//! - A broker whose process started again is taken out of every ISR and ELR where another
//!   eligible copy remains (it may have lost what it had not synced); where it is the last
//!   eligible copy it stays, as the least bad choice (KIP-966's "unclean recovery" would pick
//!   the longest log among the last ones; see REFERENCE).
//! - A replica the audits convicted of corruption never joins the ELR.
//! - A partition whose ISR has no member that can lead is led by an unfenced ELR member,
//!   which becomes the ISR (see `leadership`).

use std::collections::BTreeMap;

use super::image::MetadataImage;
use super::records::{BrokerId, MetadataRecord, PartitionState};

/// `records` with the ELR of every partition change set from the state it replaces (the
/// image's, or an earlier change in the same batch). Brokers in `never_eligible` are kept
/// out of every ELR these records write.
pub fn carry_eligible_leaders(
    image: &MetadataImage,
    records: Vec<MetadataRecord>,
    min_insync_replicas: usize,
    never_eligible: &[BrokerId],
) -> Vec<MetadataRecord> {
    let mut latest: BTreeMap<(String, u32), PartitionState> = BTreeMap::new();
    records
        .into_iter()
        .map(|record| match record {
            MetadataRecord::PartitionState(mut next) => {
                let key = (next.topic.clone(), next.partition);
                let previous = latest
                    .get(&key)
                    .or_else(|| image.partition(&next.topic, next.partition));
                next.elr = match previous {
                    Some(previous) => eligible_after(previous, &next, min_insync_replicas, never_eligible),
                    None => Vec::new(),
                };
                latest.insert(key, next.clone());
                MetadataRecord::PartitionState(next)
            }
            other => other,
        })
        .collect()
}

/// The ELR of `next`, which replaces `previous`, in replica order.
fn eligible_after(
    previous: &PartitionState,
    next: &PartitionState,
    min_insync_replicas: usize,
    never_eligible: &[BrokerId],
) -> Vec<BrokerId> {
    if next.isr.len() >= min_insync_replicas {
        return Vec::new();
    }
    next.replicas
        .iter()
        .copied()
        .filter(|replica| !next.isr.contains(replica) && !never_eligible.contains(replica))
        .filter(|replica| previous.elr.contains(replica) || previous.isr.contains(replica))
        .collect()
}

/// Every partition change that takes `broker`, whose process just started again, out of the
/// ISRs and ELRs where another eligible copy remains. The broker is fenced (it is
/// registering), so a partition it was the last ISR member of has no leader; an unfenced
/// ELR member takes it over.
pub fn after_restart(image: &MetadataImage, broker: BrokerId) -> Vec<PartitionState> {
    image
        .partitions()
        .filter(|partition| partition.isr.contains(&broker) || partition.elr.contains(&broker))
        .filter_map(|partition| {
            let mut next = partition.clone();
            next.isr.retain(|member| *member != broker);
            next.elr.retain(|member| *member != broker);
            if next.isr.is_empty() && next.elr.is_empty() {
                // The last eligible copy: keep it rather than leave the partition offline.
                return None;
            }
            if next.leader == Some(broker) {
                next.leader = None;
            }
            if next.leader.is_none() && next.isr.is_empty() {
                if let Some(successor) = eligible_successor(image, &next) {
                    next.leader = Some(successor);
                    next.isr = vec![successor];
                }
            }
            if next.leader != partition.leader {
                next.leader_epoch += 1;
            }
            next.partition_epoch += 1;
            Some(next)
        })
        .collect()
}

/// An unfenced ELR member to lead `partition` (one that may lead unmitigated first).
pub fn eligible_successor(image: &MetadataImage, partition: &PartitionState) -> Option<BrokerId> {
    let members = || partition.elr.iter().copied();
    members()
        .find(|member| image.may_lead(*member))
        .or_else(|| members().find(|member| image.is_active(*member)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::test_support::unfenced_brokers;

    fn state(isr: &[BrokerId], elr: &[BrokerId], leader: Option<BrokerId>) -> PartitionState {
        PartitionState {
            topic: "orders".to_string(),
            partition: 0,
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            leader,
            leader_epoch: 1,
            partition_epoch: 1,
            elr: elr.to_vec(),
        }
    }

    /// Three unfenced brokers and partition orders-0 as `partition` says.
    fn image_with(partition: &PartitionState) -> MetadataImage {
        let mut image = unfenced_brokers(3, 3);
        let records = [
            MetadataRecord::CreateTopic {
                name: "orders".to_string(),
                partition_count: 1,
            },
            // Created as it is: a new partition starts at partition epoch 0.
            MetadataRecord::PartitionState(PartitionState {
                partition_epoch: 0,
                ..partition.clone()
            }),
        ];
        image.apply_batch(100, &records).expect("applies");
        image
    }

    fn carried(previous: &PartitionState, next: PartitionState, never: &[BrokerId]) -> Vec<BrokerId> {
        let image = image_with(previous);
        match carry_eligible_leaders(&image, vec![MetadataRecord::PartitionState(next)], 2, never).remove(0) {
            MetadataRecord::PartitionState(state) => state.elr,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_replica_leaving_an_isr_below_min_isr_becomes_eligible() {
        // [1, 2, 3] -> [1, 3]: still at min ISR, nobody is eligible.
        assert!(carried(
            &state(&[1, 2, 3], &[], Some(1)),
            state(&[1, 3], &[], Some(1)),
            &[]
        )
        .is_empty());
        // [1, 3] -> [3]: broker 1 holds everything committed.
        assert_eq!(
            carried(&state(&[1, 3], &[], Some(3)), state(&[3], &[], Some(3)), &[]),
            vec![1]
        );
        // The ELR stays while the ISR is below min ISR, and empties once it is back.
        assert_eq!(
            carried(&state(&[3], &[1], Some(3)), state(&[3], &[], Some(3)), &[]),
            vec![1]
        );
        assert!(carried(&state(&[3], &[1], Some(3)), state(&[2, 3], &[], Some(3)), &[]).is_empty());
        // A replica that was never in the ISR or the ELR does not become eligible.
        assert_eq!(
            carried(&state(&[3], &[1], Some(3)), state(&[3], &[], Some(3)), &[]),
            vec![1]
        );
        // ... and one the caller rules out (a restarted or convicted broker) never does.
        assert!(carried(&state(&[1, 3], &[], Some(3)), state(&[3], &[], Some(3)), &[1]).is_empty());
    }

    #[test]
    fn a_restarted_last_isr_member_gives_way_to_an_eligible_replica() {
        // Broker 3 is the last ISR member, fenced, without a leader; broker 1 is eligible.
        let image = image_with(&state(&[3], &[1], None));
        let changes = after_restart(&image, 3);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].leader, Some(1), "the eligible replica leads");
        assert_eq!(changes[0].isr, vec![1]);
        assert_eq!(changes[0].leader_epoch, 2);
        // The restarted broker is not eligible either.
        let records = carry_eligible_leaders(
            &image,
            changes.into_iter().map(MetadataRecord::PartitionState).collect(),
            2,
            &[3],
        );
        let MetadataRecord::PartitionState(next) = &records[0] else {
            panic!("{records:?}")
        };
        assert!(next.elr.is_empty(), "{next:?}");
    }

    #[test]
    fn a_restarted_last_eligible_copy_stays() {
        let image = image_with(&state(&[3], &[], None));
        assert!(after_restart(&image, 3).is_empty());
        // An ELR member restarting leaves the ELR, the ISR member stays.
        let image = image_with(&state(&[3], &[1], Some(3)));
        let changes = after_restart(&image, 1);
        assert_eq!(changes[0].isr, vec![3]);
        assert!(changes[0].elr.is_empty());
        assert_eq!(changes[0].leader, Some(3));
        assert_eq!(changes[0].leader_epoch, 1, "leadership did not change");
    }

    #[test]
    fn an_eligible_replica_leads_when_no_isr_member_can() {
        use crate::metadata::leadership::{fence_broker, unfence_broker};
        use crate::metadata::FenceReason;
        // Broker 3 leads alone, broker 1 is eligible: fencing 3 hands leadership to 1.
        let image = image_with(&state(&[3], &[1], Some(3)));
        let records = fence_broker(&image, 3, FenceReason::SessionExpired);
        let MetadataRecord::PartitionState(next) = &records[0] else {
            panic!("{records:?}")
        };
        assert_eq!((next.leader, next.isr.clone()), (Some(1), vec![1]));
        let carried = carry_eligible_leaders(&image, records, 2, &[]);
        let MetadataRecord::PartitionState(next) = &carried[0] else {
            panic!("{carried:?}")
        };
        assert_eq!(
            next.elr,
            vec![3],
            "the fenced leader still holds every committed record"
        );
        // Nobody can lead (3 fenced, last in the ISR; 1 fenced, eligible): unfencing 1
        // gives it the partition.
        let mut image = image_with(&state(&[3], &[1], None));
        image
            .apply_batch(
                200,
                &[
                    MetadataRecord::FenceBroker {
                        broker: 1,
                        epoch: 1,
                        reason: FenceReason::SessionExpired,
                    },
                    MetadataRecord::FenceBroker {
                        broker: 3,
                        epoch: 3,
                        reason: FenceReason::SessionExpired,
                    },
                ],
            )
            .expect("applies");
        let records = unfence_broker(&image, 1);
        let MetadataRecord::PartitionState(next) = &records[1] else {
            panic!("{records:?}")
        };
        assert_eq!((next.leader, next.isr.clone()), (Some(1), vec![1]));
    }
}
