//! The openraft type configuration of the metadata quorum.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use super::image::Rejection;
use super::records::MetadataRecord;
use crate::runtime::ShimRuntime;

/// A controller's Raft node id.
pub type ControllerId = u64;

/// One Raft entry of the metadata log: a batch of records applied atomically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataBatch(pub Vec<MetadataRecord>);

/// What applying a batch produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchOutcome {
    Applied,
    Rejected(Rejection),
}

openraft::declare_raft_types!(
    /// The metadata quorum's Raft types.
    pub MetadataRaftConfig:
        D = MetadataBatch,
        R = BatchOutcome,
        NodeId = ControllerId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<MetadataRaftConfig>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = ShimRuntime,
);

pub type MetadataRaft = openraft::Raft<MetadataRaftConfig>;
pub type StorageError = openraft::StorageError<ControllerId>;
