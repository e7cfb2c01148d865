//! The records of the metadata log, the single source of truth for cluster membership and
//! partition leadership (KRaft's `__cluster_metadata`).

use serde::{Deserialize, Serialize};

use super::mitigation::Mitigation;

use crate::net::Address;

/// A broker's stable identity.
pub type BrokerId = u32;

/// One record of the metadata log. A Raft entry carries a batch of them, applied atomically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataRecord {
    /// A broker (re)registered. Every registration carries a new, larger epoch; the broker
    /// starts fenced and is unfenced once it has caught up with the log.
    RegisterBroker {
        broker: BrokerId,
        epoch: u64,
        zone: String,
        address: Address,
    },
    /// The broker may no longer lead or be in an ISR until it is unfenced again.
    FenceBroker {
        broker: BrokerId,
        epoch: u64,
        reason: FenceReason,
    },
    UnfenceBroker {
        broker: BrokerId,
        epoch: u64,
    },
    CreateTopic {
        name: String,
        partition_count: u32,
    },
    /// The whole state of one partition after a change (creation included).
    PartitionState(PartitionState),
    /// The degradation detector put a mitigation on a broker (`active`) or lifted it. The
    /// partition changes that carry it out are in the same batch.
    BrokerMitigation {
        broker: BrokerId,
        mitigation: Mitigation,
        active: bool,
    },
}

/// Why a broker was fenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FenceReason {
    /// No heartbeat within the session timeout.
    SessionExpired,
    /// The broker asked to leave and its leaderships were moved first.
    ControlledShutdown,
}

/// Leadership and replicas of one partition.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PartitionState {
    pub topic: String,
    pub partition: u32,
    /// Replica brokers, preferred leader first.
    pub replicas: Vec<BrokerId>,
    /// In-sync replicas, a subset of `replicas`.
    pub isr: Vec<BrokerId>,
    /// `None` when no eligible replica can lead (the partition is offline).
    pub leader: Option<BrokerId>,
    /// Increases on every leader change (including to and from `None`).
    pub leader_epoch: u64,
    /// Increases on every change of this partition; used to reject stale proposals.
    pub partition_epoch: u64,
    /// Eligible leader replicas (Kafka's KIP-966): replicas that left the ISR while it was
    /// below `min_insync_replicas`. The high watermark cannot advance then, so each still
    /// holds every committed record and may lead when no ISR member can — in particular when
    /// the last ISR member restarted and may have lost what it had not synced. Empty whenever
    /// the ISR is at `min_insync_replicas` or more (see `metadata::eligible`).
    #[serde(default)]
    pub elr: Vec<BrokerId>,
}

impl std::fmt::Display for MetadataRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetadataRecord::RegisterBroker {
                broker, epoch, zone, ..
            } => write!(f, "register broker {broker} epoch {epoch} in {zone}"),
            MetadataRecord::FenceBroker {
                broker,
                epoch,
                reason,
            } => write!(f, "fence broker {broker} epoch {epoch} ({reason:?})"),
            MetadataRecord::UnfenceBroker { broker, epoch } => {
                write!(f, "unfence broker {broker} epoch {epoch}")
            }
            MetadataRecord::CreateTopic {
                name,
                partition_count,
            } => write!(f, "create topic {name} with {partition_count} partitions"),
            MetadataRecord::PartitionState(state) => write!(
                f,
                "{}-{} leader {:?} epoch {} isr {:?} replicas {:?}",
                state.topic, state.partition, state.leader, state.leader_epoch, state.isr, state.replicas
            ),
            MetadataRecord::BrokerMitigation {
                broker,
                mitigation,
                active: true,
            } => write!(f, "broker {broker} {mitigation}"),
            MetadataRecord::BrokerMitigation {
                broker,
                mitigation,
                active: false,
            } => write!(f, "broker {broker} no longer {mitigation}"),
        }
    }
}
