//! The metadata quorum (KRaft): three controllers replicate the metadata log with Raft; the
//! leader is the active controller, which registers and fences brokers, places topics and
//! moves partition leadership.

mod controller;
mod eligible;
mod image;
mod leadership;
mod log_store;
mod mitigation;
mod protocol;
mod raft_network;
mod raft_types;
mod records;
mod state_machine;
#[cfg(test)]
pub(crate) mod test_support;

pub use controller::{Controller, ControllerConfig, ControllerParams};
pub use eligible::{after_restart, carry_eligible_leaders};
pub use image::{BrokerState, MetadataImage, Rejection};
pub use leadership::{
    alter_partition, assign_topic, fence_broker, partitions_without_broker, place_topic, unfence_broker,
    without_corrupt_replica, AlterPartitionError, PlacementError,
};
pub use log_store::{DiskLogStore, LogRecovery};
pub use mitigation::{
    lift_mitigation, mitigate_broker, unfinished_mitigations, BlockedPartition, Mitigation, MitigationPlan,
};
pub use protocol::{
    AlterPartitionRequest, ControllerRequest, ControllerResponse, CorruptReplicaReport, HeartbeatReply,
    MetadataUpdate,
};
pub use raft_types::{BatchOutcome, ControllerId, MetadataBatch, MetadataRaft, MetadataRaftConfig};
pub use records::{BrokerId, FenceReason, MetadataRecord, PartitionState};
pub use state_machine::{AppliedMetadata, MetadataStateMachine, SharedMetadata};
