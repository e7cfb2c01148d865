//! Answers the requests that reach a controller: Raft traffic from peers, and registration,
//! heartbeats, metadata fetches, topic creation and shutdown requests from brokers and
//! clients. Only the active controller answers the latter; the others point to it.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::super::protocol::{ControllerRequest, ControllerResponse, HeartbeatReply, MetadataUpdate};
use super::super::raft_types::{ControllerId, MetadataRaft};
use super::super::records::FenceReason;
use super::super::state_machine::SharedMetadata;
use super::activity::Activity;
use super::proposer::Command;
use super::sessions::BrokerSessions;
use crate::net::{decode, encode, Address, RpcHandler};

pub(crate) struct ControllerService {
    /// Set once Raft is built; Raft needs the RPC endpoint first, so requests that arrive
    /// before that get no answer.
    pub raft: OnceLock<MetadataRaft>,
    pub shared: SharedMetadata,
    pub activity: Arc<Activity>,
    pub sessions: Arc<BrokerSessions>,
    pub commands: mpsc::Sender<Command>,
    pub voters: BTreeMap<ControllerId, Address>,
    pub proposal_timeout: Duration,
}

impl ControllerService {
    fn not_controller(&self, raft: &MetadataRaft) -> ControllerResponse {
        let leader = raft.metrics().borrow().current_leader;
        ControllerResponse::NotController {
            active_hint: leader.and_then(|id| self.voters.get(&id).copied()),
        }
    }

    async fn ask(
        &self,
        make: impl FnOnce(oneshot::Sender<ControllerResponse>) -> Command,
    ) -> ControllerResponse {
        let (reply, answer) = oneshot::channel();
        if self.commands.try_send(make(reply)).is_err() {
            return ControllerResponse::Unavailable("controller is busy".to_string());
        }
        match tokio::time::timeout(self.proposal_timeout * 2, answer).await {
            Ok(Ok(response)) => response,
            _ => ControllerResponse::Unavailable("no decision in time".to_string()),
        }
    }

    async fn serve(&self, raft: &MetadataRaft, request: ControllerRequest) -> ControllerResponse {
        match request {
            ControllerRequest::AppendEntries(request) => {
                ControllerResponse::AppendEntries(raft.append_entries(request).await)
            }
            ControllerRequest::Vote(request) => ControllerResponse::Vote(raft.vote(request).await),
            ControllerRequest::InstallSnapshot(request) => {
                ControllerResponse::InstallSnapshot(raft.install_snapshot(request).await)
            }
            _ if self.activity.active_term().is_none() => self.not_controller(raft),
            ControllerRequest::RegisterBroker {
                broker,
                zone,
                address,
                new_process,
            } => {
                self.ask(|reply| Command::Register {
                    broker,
                    zone,
                    address,
                    new_process,
                    reply,
                })
                .await
            }
            ControllerRequest::Heartbeat {
                broker,
                epoch,
                metadata_offset,
                storage_healthy,
            } => self.heartbeat(broker, epoch, metadata_offset, storage_healthy),
            ControllerRequest::FetchMetadata { after_offset } => self.fetch_metadata(after_offset),
            ControllerRequest::CreateTopic {
                name,
                partition_count,
                replication_factor,
            } => {
                self.ask(|reply| Command::CreateTopic {
                    name,
                    partition_count,
                    replication_factor,
                    reply,
                })
                .await
            }
            ControllerRequest::CreateAssignedTopic { name, assignment } => {
                self.ask(|reply| Command::CreateAssignedTopic {
                    name,
                    assignment,
                    reply,
                })
                .await
            }
            ControllerRequest::AlterPartition(request) => {
                self.ask(|reply| Command::AlterPartition { request, reply }).await
            }
            ControllerRequest::ControlledShutdown { broker, epoch } => {
                self.ask(|reply| Command::ControlledShutdown { broker, epoch, reply })
                    .await
            }
            ControllerRequest::Mitigate {
                broker,
                mitigation,
                active,
            } => {
                self.ask(|reply| Command::Mitigate {
                    broker,
                    mitigation,
                    active,
                    reply,
                })
                .await
            }
            ControllerRequest::DescribeCluster => {
                let shared = self
                    .shared
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                ControllerResponse::Cluster(Box::new(shared.image.clone()))
            }
            ControllerRequest::ReportCorruptReplica(report) => {
                self.ask(|reply| Command::ReportCorruptReplica { report, reply })
                    .await
            }
        }
    }

    fn heartbeat(
        &self,
        broker: u32,
        epoch: u64,
        metadata_offset: Option<u64>,
        storage_healthy: bool,
    ) -> ControllerResponse {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let high_watermark = shared.image.offset;
        let Some(state) = shared
            .image
            .brokers
            .get(&broker)
            .filter(|state| state.epoch == epoch)
        else {
            return ControllerResponse::Heartbeat(HeartbeatReply {
                fenced: true,
                stale_epoch: true,
                metadata_high_watermark: high_watermark,
            });
        };
        self.sessions.heartbeat(broker, Instant::now());
        let caught_up = metadata_offset.is_some_and(|offset| offset >= state.registration_offset);
        let shut_down = state.fence_reason == Some(FenceReason::ControlledShutdown);
        // A broker that cannot write would join ISRs it cannot keep up with (and lead
        // partitions it cannot append to): it stays fenced until its storage is healthy.
        if state.fenced && caught_up && !shut_down && storage_healthy {
            // Unfencing needs a commit; it happens in the proposer, and this heartbeat's answer
            // still says fenced. A full queue just means the next heartbeat asks again.
            let _ = self.commands.try_send(Command::Unfence { broker, epoch });
        }
        ControllerResponse::Heartbeat(HeartbeatReply {
            fenced: state.fenced,
            stale_epoch: false,
            metadata_high_watermark: high_watermark,
        })
    }

    fn fetch_metadata(&self, after_offset: Option<u64>) -> ControllerResponse {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let high_watermark = shared.image.offset;
        let incremental = after_offset.is_some_and(|offset| offset >= shared.recent_batches_after)
            || (after_offset.is_none() && shared.recent_batches_after == 0);
        if !incremental {
            return ControllerResponse::Metadata(MetadataUpdate::Image(Box::new(shared.image.clone())));
        }
        let batches = shared
            .recent_batches
            .iter()
            .filter(|(offset, _)| after_offset.is_none_or(|after| *offset > after))
            .cloned()
            .collect();
        ControllerResponse::Metadata(MetadataUpdate::Batches {
            batches,
            high_watermark,
        })
    }
}

#[async_trait]
impl RpcHandler for ControllerService {
    async fn handle(&self, _from: Address, request: Bytes) -> Option<Bytes> {
        let raft = self.raft.get()?;
        let request: ControllerRequest = decode(&request).ok()?;
        Some(encode(&self.serve(raft, request).await))
    }
}
