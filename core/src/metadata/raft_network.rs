//! openraft's network, carried by the node's [`Rpc`] endpoint.

use std::sync::Arc;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::BasicNode;

use super::protocol::{ControllerRequest, ControllerResponse};
use super::raft_types::{ControllerId, MetadataRaftConfig};
use crate::net::{Address, Rpc, RpcError};

/// Makes a [`PeerConnection`] per peer controller.
pub struct PeerNetwork {
    pub rpc: Arc<Rpc>,
}

/// Calls to one peer controller.
pub struct PeerConnection {
    rpc: Arc<Rpc>,
    address: Option<Address>,
    target: ControllerId,
}

type PeerError<E = openraft::error::Infallible> =
    RPCError<ControllerId, BasicNode, RaftError<ControllerId, E>>;

impl RaftNetworkFactory<MetadataRaftConfig> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: ControllerId, node: &BasicNode) -> PeerConnection {
        PeerConnection {
            rpc: self.rpc.clone(),
            address: node.addr.parse().ok(),
            target,
        }
    }
}

impl PeerConnection {
    async fn call<E: std::error::Error>(
        &self,
        request: ControllerRequest,
        option: &RPCOption,
    ) -> Result<ControllerResponse, RPCError<ControllerId, BasicNode, RaftError<ControllerId, E>>> {
        let Some(address) = self.address else {
            let error = std::io::Error::other(format!("controller {} has no valid address", self.target));
            return Err(RPCError::Unreachable(Unreachable::new(&error)));
        };
        match self.rpc.call(address, &request, option.hard_ttl()).await {
            Ok(response) => Ok(response),
            // A peer that does not answer is treated as unreachable so that openraft backs off
            // instead of hammering a dead or partitioned node.
            Err(error @ RpcError::Timeout { .. }) => Err(RPCError::Unreachable(Unreachable::new(&error))),
            Err(error @ RpcError::Malformed { .. }) => Err(RPCError::Network(NetworkError::new(&error))),
        }
    }
}

fn unexpected<E: std::error::Error>(
    response: ControllerResponse,
) -> RPCError<ControllerId, BasicNode, RaftError<ControllerId, E>> {
    let error = std::io::Error::other(format!("unexpected answer {response:?}"));
    RPCError::Network(NetworkError::new(&error))
}

impl RaftNetwork<MetadataRaftConfig> for PeerConnection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<MetadataRaftConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<ControllerId>, PeerError> {
        match self
            .call(ControllerRequest::AppendEntries(request), &option)
            .await?
        {
            ControllerResponse::AppendEntries(result) => result.map_err(|error| remote(self.target, error)),
            other => Err(unexpected(other)),
        }
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<MetadataRaftConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<ControllerId>, PeerError<InstallSnapshotError>> {
        match self
            .call(ControllerRequest::InstallSnapshot(request), &option)
            .await?
        {
            ControllerResponse::InstallSnapshot(result) => result.map_err(|error| remote(self.target, error)),
            other => Err(unexpected(other)),
        }
    }

    async fn vote(
        &mut self,
        request: VoteRequest<ControllerId>,
        option: RPCOption,
    ) -> Result<VoteResponse<ControllerId>, PeerError> {
        match self.call(ControllerRequest::Vote(request), &option).await? {
            ControllerResponse::Vote(result) => result.map_err(|error| remote(self.target, error)),
            other => Err(unexpected(other)),
        }
    }
}

/// A peer's own error, tagged with the peer's id.
fn remote<E: std::error::Error>(target: ControllerId, error: E) -> RPCError<ControllerId, BasicNode, E> {
    RPCError::RemoteError(openraft::error::RemoteError::new(target, error))
}
