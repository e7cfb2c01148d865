//! The metadata image: the state obtained by applying the metadata log in order.
//!
//! Applying a batch is conditional: every record is checked against the image as it stands
//! (epochs must move forward, a partition change must name the next partition epoch) and a
//! batch with any stale record is rejected whole. A controller that proposed from an image
//! that was not yet up to date therefore cannot corrupt the state; it simply retries.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::mitigation::Mitigation;
use super::records::{BrokerId, FenceReason, MetadataRecord, PartitionState};
use crate::net::Address;

/// What the image knows about one broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerState {
    pub epoch: u64,
    pub zone: String,
    pub address: Address,
    pub fenced: bool,
    pub fence_reason: Option<FenceReason>,
    /// Log offset of the broker's latest registration; it is unfenced once it has caught up
    /// to here.
    pub registration_offset: u64,
}

/// The applied state of the metadata log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataImage {
    /// Offset (Raft log index) of the last applied batch.
    pub offset: Option<u64>,
    pub brokers: BTreeMap<BrokerId, BrokerState>,
    /// Partitions of every topic, by partition number.
    pub topics: BTreeMap<String, Vec<PartitionState>>,
    pub max_broker_epoch: u64,
    /// The degradation detector's mitigations in force, by broker (kept across the broker's
    /// restarts: a mark is lifted only by the detector).
    #[serde(default)]
    pub mitigations: BTreeMap<BrokerId, BTreeSet<Mitigation>>,
}

/// Why a batch was not applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Rejection {
    #[error("broker {broker} epoch {epoch} is not above the newest epoch {newest}")]
    StaleBrokerEpoch {
        broker: BrokerId,
        epoch: u64,
        newest: u64,
    },
    #[error("broker {broker} with epoch {epoch} is not the registered incarnation")]
    UnknownBrokerEpoch { broker: BrokerId, epoch: u64 },
    #[error("topic {name} already exists")]
    TopicExists { name: String },
    #[error("partition {topic}-{partition} change is stale or malformed: {detail}")]
    BadPartitionChange {
        topic: String,
        partition: u32,
        detail: String,
    },
}

impl MetadataImage {
    /// Applies `batch` at `offset` if every record in it is valid; otherwise leaves the image
    /// unchanged except for the offset, and says why.
    pub fn apply_batch(&mut self, offset: u64, batch: &[MetadataRecord]) -> Result<(), Rejection> {
        let mut next = self.clone();
        let outcome = batch
            .iter()
            .try_for_each(|record| next.apply_record(offset, record));
        if outcome.is_ok() {
            *self = next;
        }
        self.offset = Some(offset);
        outcome
    }

    pub fn partition(&self, topic: &str, partition: u32) -> Option<&PartitionState> {
        self.topics.get(topic)?.get(partition as usize)
    }

    pub fn partitions(&self) -> impl Iterator<Item = &PartitionState> {
        self.topics.values().flatten()
    }

    /// Whether `broker` is registered and unfenced.
    pub fn is_active(&self, broker: BrokerId) -> bool {
        self.brokers.get(&broker).is_some_and(|state| !state.fenced)
    }

    pub fn has_mitigation(&self, broker: BrokerId, mitigation: Mitigation) -> bool {
        self.mitigations
            .get(&broker)
            .is_some_and(|marks| marks.contains(&mitigation))
    }

    /// Whether `broker` should be chosen to lead: unfenced and under no mitigation.
    pub fn may_lead(&self, broker: BrokerId) -> bool {
        self.is_active(broker) && self.mitigations.get(&broker).is_none_or(BTreeSet::is_empty)
    }

    /// Whether `broker` may join an ISR: unfenced and not marked ISR-ineligible.
    pub fn may_join_isr(&self, broker: BrokerId) -> bool {
        self.is_active(broker) && !self.has_mitigation(broker, Mitigation::IsrIneligible)
    }

    pub(super) fn mark(&mut self, broker: BrokerId, mitigation: Mitigation, active: bool) {
        let marks = self.mitigations.entry(broker).or_default();
        if active {
            marks.insert(mitigation);
        } else {
            marks.remove(&mitigation);
        }
        if marks.is_empty() {
            self.mitigations.remove(&broker);
        }
    }

    fn apply_record(&mut self, offset: u64, record: &MetadataRecord) -> Result<(), Rejection> {
        match record {
            MetadataRecord::RegisterBroker {
                broker,
                epoch,
                zone,
                address,
            } => {
                if *epoch <= self.max_broker_epoch {
                    return Err(Rejection::StaleBrokerEpoch {
                        broker: *broker,
                        epoch: *epoch,
                        newest: self.max_broker_epoch,
                    });
                }
                self.max_broker_epoch = *epoch;
                self.brokers.insert(
                    *broker,
                    BrokerState {
                        epoch: *epoch,
                        zone: zone.clone(),
                        address: *address,
                        fenced: true,
                        fence_reason: None,
                        registration_offset: offset,
                    },
                );
            }
            MetadataRecord::FenceBroker {
                broker,
                epoch,
                reason,
            } => {
                let state = self.broker_with_epoch(*broker, *epoch)?;
                state.fenced = true;
                state.fence_reason = Some(*reason);
            }
            MetadataRecord::UnfenceBroker { broker, epoch } => {
                let state = self.broker_with_epoch(*broker, *epoch)?;
                state.fenced = false;
                state.fence_reason = None;
            }
            MetadataRecord::CreateTopic {
                name,
                partition_count: _,
            } => {
                if self.topics.contains_key(name) {
                    return Err(Rejection::TopicExists { name: name.clone() });
                }
                self.topics.insert(name.clone(), Vec::new());
            }
            MetadataRecord::PartitionState(state) => self.apply_partition_state(state)?,
            MetadataRecord::BrokerMitigation {
                broker,
                mitigation,
                active,
            } => self.mark(*broker, *mitigation, *active),
        }
        Ok(())
    }

    fn broker_with_epoch(&mut self, broker: BrokerId, epoch: u64) -> Result<&mut BrokerState, Rejection> {
        match self.brokers.get_mut(&broker) {
            Some(state) if state.epoch == epoch => Ok(state),
            _ => Err(Rejection::UnknownBrokerEpoch { broker, epoch }),
        }
    }

    fn apply_partition_state(&mut self, state: &PartitionState) -> Result<(), Rejection> {
        let bad = |detail: String| Rejection::BadPartitionChange {
            topic: state.topic.clone(),
            partition: state.partition,
            detail,
        };
        if !state.isr.iter().all(|member| state.replicas.contains(member)) {
            return Err(bad(format!(
                "ISR {:?} is not within replicas {:?}",
                state.isr, state.replicas
            )));
        }
        if let Some(stray) = state
            .elr
            .iter()
            .find(|member| !state.replicas.contains(member) || state.isr.contains(member))
        {
            return Err(bad(format!(
                "ELR member {stray} is not a replica outside ISR {:?}",
                state.isr
            )));
        }
        if let Some(leader) = state.leader {
            if !state.isr.contains(&leader) {
                return Err(bad(format!("leader {leader} is not in ISR {:?}", state.isr)));
            }
            if !self.is_active(leader) {
                return Err(bad(format!("leader {leader} is fenced or unknown")));
            }
        }
        let Some(partitions) = self.topics.get_mut(&state.topic) else {
            return Err(bad("no such topic".to_string()));
        };
        let index = state.partition as usize;
        let partition_count = partitions.len();
        match partitions.get_mut(index) {
            Some(current) => {
                if state.partition_epoch != current.partition_epoch + 1 {
                    return Err(bad(format!(
                        "partition epoch {} does not follow {}",
                        state.partition_epoch, current.partition_epoch
                    )));
                }
                let expected_leader_epoch = if state.leader == current.leader {
                    current.leader_epoch
                } else {
                    current.leader_epoch + 1
                };
                if state.leader_epoch != expected_leader_epoch || state.replicas != current.replicas {
                    return Err(bad(format!(
                        "leader epoch {} (expected {expected_leader_epoch}) or replicas changed",
                        state.leader_epoch
                    )));
                }
                *current = state.clone();
            }
            None if index == partition_count && state.partition_epoch == 0 => {
                partitions.push(state.clone());
            }
            None => return Err(bad("partition created out of order".to_string())),
        }
        Ok(())
    }
}
