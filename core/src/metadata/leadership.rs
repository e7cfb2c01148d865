//! Pure decisions of the active controller: where replicas go and who leads. Each function
//! reads the image and returns the records to propose; nothing here has side effects.

use std::collections::BTreeMap;

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
/// whose ISR it is in.
pub fn unfence_broker(image: &MetadataImage, broker: BrokerId) -> Vec<MetadataRecord> {
    let Some(state) = image.brokers.get(&broker) else {
        return Vec::new();
    };
    let mut records = vec![MetadataRecord::UnfenceBroker {
        broker,
        epoch: state.epoch,
    }];
    for partition in image.partitions() {
        if partition.leader.is_none() && partition.isr.contains(&broker) {
            let mut next = partition.clone();
            next.leader = Some(broker);
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
        next.leader = next
            .isr
            .iter()
            .copied()
            .find(|candidate| *candidate != broker && image.is_active(*candidate));
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
        records.push(MetadataRecord::PartitionState(PartitionState {
            topic: name.to_string(),
            partition,
            leader: Some(replicas[0]),
            isr: replicas.clone(),
            replicas,
            leader_epoch: 0,
            partition_epoch: 0,
        }));
    }
    Ok(records)
}
