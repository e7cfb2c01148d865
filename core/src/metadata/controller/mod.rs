//! A controller node: its Raft member, the service answering brokers, and the active
//! controller's duties (sessions, fencing, leadership moves).

mod activity;
mod params;
mod proposer;
mod service;
mod sessions;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use openraft::BasicNode;
use tokio::sync::mpsc;

pub use activity::Activity;
pub use params::{ControllerConfig, ControllerParams};

use super::log_store::DiskLogStore;
use super::raft_network::PeerNetwork;
use super::raft_types::{MetadataRaft, StorageError};
use super::state_machine::{MetadataStateMachine, SharedMetadata};
use crate::net::{Rpc, RpcHandler, Transport};
use crate::observe::{Event, SharedObserver};
use crate::storage::Disk;

const COMMAND_QUEUE_MAX: usize = 256;

/// A running controller.
pub struct Controller {
    pub raft: MetadataRaft,
    pub metadata: SharedMetadata,
    pub activity: Arc<Activity>,
    pub rpc: Arc<Rpc>,
}

/// Why a controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum ControllerStartError {
    #[error("cannot recover metadata from disk: {0}")]
    Storage(#[from] StorageError),
    #[error("raft failed to start: {0}")]
    Raft(String),
}

impl Controller {
    /// Recovers from `disk` and starts serving. Spawns long-lived tasks on the current node.
    pub async fn start(
        config: ControllerConfig,
        disk: Arc<dyn Disk>,
        transport: Arc<dyn Transport>,
        observer: SharedObserver,
    ) -> Result<Controller, ControllerStartError> {
        let params = config.params.clone();
        let (log_store, log_recovery) =
            DiskLogStore::open(disk.clone(), params.entries_per_segment_max).await?;
        let (state_machine, metadata) =
            MetadataStateMachine::open(disk.clone(), observer.clone(), params.recent_batches_max).await?;
        observer.record(Event::ControllerRecovered {
            last_log_index: log_recovery.last_log_index,
            snapshot_offset: state_machine.snapshot_offset(),
            vote_term: log_recovery.vote_term,
            discarded_tail_bytes: log_recovery.discarded_tail_bytes,
        });

        let activity = Arc::new(Activity::default());
        let sessions = Arc::new(sessions::BrokerSessions::default());
        let (command_sender, command_receiver) = mpsc::channel(COMMAND_QUEUE_MAX);
        let service = Arc::new(service::ControllerService {
            raft: OnceLock::new(),
            shared: metadata.clone(),
            activity: activity.clone(),
            sessions: sessions.clone(),
            commands: command_sender,
            voters: config.voters.clone(),
            proposal_timeout: params.proposal_timeout,
        });
        let handler: Arc<dyn RpcHandler> = service.clone();
        let rpc = Rpc::start(transport, Some(handler), params.rpc);

        let raft_config = Arc::new(
            params
                .raft_config()
                .validate()
                .map_err(|error| ControllerStartError::Raft(error.to_string()))?,
        );
        let network = PeerNetwork { rpc: rpc.clone() };
        let raft = MetadataRaft::new(config.id, raft_config, network, log_store, state_machine)
            .await
            .map_err(|error| ControllerStartError::Raft(error.to_string()))?;
        let _ = service.raft.set(raft.clone());

        // Every voter may try to initialize: openraft accepts it only on a node with an empty
        // log and vote, and all of them propose the same membership, so at most one wins and
        // the rest are told no.
        let members: BTreeMap<_, _> = config
            .voters
            .iter()
            .map(|(id, address)| (*id, BasicNode::new(address.to_string())))
            .collect();
        let _ = raft.initialize(members).await;

        tokio::spawn(activity::maintain_activity(
            raft.clone(),
            activity.clone(),
            sessions.clone(),
            observer,
            params.clone(),
        ));
        let proposer = proposer::Proposer {
            raft: raft.clone(),
            shared: metadata.clone(),
            activity: activity.clone(),
            sessions,
            params,
        };
        tokio::spawn(proposer.run(command_receiver));
        Ok(Controller {
            raft,
            metadata,
            activity,
            rpc,
        })
    }
}
