//! The messages controllers and brokers exchange, Raft's included.

use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::{Deserialize, Serialize};

use super::image::{MetadataImage, Rejection};
use super::leadership::{AlterPartitionError, PlacementError};
use super::mitigation::{BlockedPartition, Mitigation};
use super::raft_types::{ControllerId, MetadataRaftConfig};
use super::records::{BrokerId, MetadataRecord, PartitionState};
use crate::net::Address;

/// A request to a controller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ControllerRequest {
    AppendEntries(AppendEntriesRequest<MetadataRaftConfig>),
    Vote(VoteRequest<ControllerId>),
    InstallSnapshot(InstallSnapshotRequest<MetadataRaftConfig>),
    /// A broker starting up asks for a new epoch.
    RegisterBroker {
        broker: BrokerId,
        zone: String,
        address: Address,
        /// The first registration of a new process: whatever the broker had not synced
        /// before it stopped may be gone, so the controller no longer counts it as holding
        /// every committed record (it leaves every ISR and ELR where another eligible copy
        /// remains). A re-registration of a running process (its session had expired) keeps
        /// its memory and its disk, and says `false`.
        new_process: bool,
    },
    /// A broker says it is alive and how far it has read the metadata log.
    Heartbeat {
        broker: BrokerId,
        epoch: u64,
        metadata_offset: Option<u64>,
        /// The broker's storage completed a write in this life (see the storage health
        /// manager); a broker whose storage is not healthy is not unfenced.
        storage_healthy: bool,
    },
    /// Metadata batches after `after_offset` (all of them when `None`).
    FetchMetadata {
        after_offset: Option<u64>,
    },
    CreateTopic {
        name: String,
        partition_count: u32,
        replication_factor: usize,
    },
    /// Creates a topic on the replicas the caller chose (partition `p` on `assignment[p]`,
    /// preferred leader first), as Kafka's CreateTopics with a replica assignment.
    CreateAssignedTopic {
        name: String,
        assignment: Vec<Vec<BrokerId>>,
    },
    /// A partition leader asks to change its ISR (KRaft's AlterPartition), naming the epochs
    /// its view was computed from.
    AlterPartition(AlterPartitionRequest),
    /// A broker asks to leave: move its leaderships away, then fence it.
    ControlledShutdown {
        broker: BrokerId,
        epoch: u64,
    },
    /// The degradation detector asks to put a mitigation on a broker (`active`) or to lift it.
    Mitigate {
        broker: BrokerId,
        mitigation: Mitigation,
        active: bool,
    },
    /// The whole applied metadata image (for the degradation detector, outside the cluster).
    DescribeCluster,
    /// A partition leader's durability audit found a replica corrupt (possibly its own): take
    /// it out of the ISR, and out of leadership if it leads, so that it can be rebuilt.
    ReportCorruptReplica(CorruptReplicaReport),
}

/// A controller's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum ControllerResponse {
    AppendEntries(Result<AppendEntriesResponse<ControllerId>, RaftError<ControllerId>>),
    Vote(Result<VoteResponse<ControllerId>, RaftError<ControllerId>>),
    InstallSnapshot(
        Result<InstallSnapshotResponse<ControllerId>, RaftError<ControllerId, InstallSnapshotError>>,
    ),
    /// This controller is not the active one; try `active_hint` if known.
    NotController {
        active_hint: Option<Address>,
    },
    Registered {
        epoch: u64,
        registration_offset: u64,
    },
    Heartbeat(HeartbeatReply),
    Metadata(MetadataUpdate),
    TopicCreated,
    TopicRejected(PlacementError),
    ShutdownComplete,
    /// The ISR change was committed; the partition's new state.
    PartitionAltered(PartitionState),
    AlterPartitionRejected(AlterPartitionError),
    /// The proposal was refused by the state machine (a stale epoch, usually).
    Rejected(Rejection),
    /// The request could not be served now (not committed in time); retry later.
    Unavailable(String),
    /// The mitigation is in the metadata log (or there was nothing to do): the partitions it
    /// changed, and those it left alone because acting there was not safe.
    Mitigated {
        acted: Vec<(String, u32)>,
        blocked: Vec<BlockedPartition>,
    },
    Cluster(Box<MetadataImage>),
}

/// What a heartbeat tells the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeartbeatReply {
    pub fenced: bool,
    /// The broker's epoch is no longer the registered one: it must register again.
    pub stale_epoch: bool,
    /// The offset of the newest metadata batch.
    pub metadata_high_watermark: Option<u64>,
}

/// New metadata for a broker following the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum MetadataUpdate {
    Batches {
        batches: Vec<(u64, Vec<MetadataRecord>)>,
        high_watermark: Option<u64>,
    },
    /// The broker is too far behind for batches: here is the whole image.
    Image(Box<MetadataImage>),
}

/// A leader's report of a corrupt replica of its partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorruptReplicaReport {
    /// The reporting leader and its registration epoch.
    pub broker: BrokerId,
    pub broker_epoch: u64,
    pub topic: String,
    pub partition: u32,
    /// The leader epoch the audit ran in: a deposed leader's report is refused.
    pub leader_epoch: u64,
    /// The replica found corrupt (the leader itself, possibly).
    pub corrupt: BrokerId,
}

/// A leader's ISR change, as it asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlterPartitionRequest {
    pub broker: BrokerId,
    /// The leader's registration epoch: a request from a previous life of the broker is refused.
    pub broker_epoch: u64,
    pub topic: String,
    pub partition: u32,
    pub leader_epoch: u64,
    pub partition_epoch: u64,
    pub isr: Vec<BrokerId>,
}
