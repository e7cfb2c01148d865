//! The active controller's single writer: every change to the metadata log is computed from
//! the current image and committed one at a time, so no two proposals are ever computed from
//! the same state (KRaft's controller event queue does the same).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::super::eligible::{after_restart, carry_eligible_leaders};
use super::super::image::MetadataImage;
use super::super::leadership::{
    alter_partition, assign_topic, fence_broker, partitions_without_broker, place_topic, unfence_broker,
    without_corrupt_replica, PlacementError,
};
use super::super::mitigation::{lift_mitigation, mitigate_broker, Mitigation, MitigationPlan};
use super::super::protocol::{AlterPartitionRequest, ControllerResponse, CorruptReplicaReport};
use super::super::raft_types::{BatchOutcome, MetadataBatch, MetadataRaft};
use super::super::records::{BrokerId, FenceReason, MetadataRecord};
use super::super::state_machine::SharedMetadata;
use super::activity::Activity;
use super::params::ControllerParams;
use super::sessions::BrokerSessions;
use crate::net::Address;

/// A change someone asked the active controller for.
pub enum Command {
    Register {
        broker: BrokerId,
        zone: String,
        address: Address,
        new_process: bool,
        reply: oneshot::Sender<ControllerResponse>,
    },
    Unfence {
        broker: BrokerId,
        epoch: u64,
    },
    CreateTopic {
        name: String,
        partition_count: u32,
        replication_factor: usize,
        reply: oneshot::Sender<ControllerResponse>,
    },
    CreateAssignedTopic {
        name: String,
        assignment: Vec<Vec<BrokerId>>,
        reply: oneshot::Sender<ControllerResponse>,
    },
    ControlledShutdown {
        broker: BrokerId,
        epoch: u64,
        reply: oneshot::Sender<ControllerResponse>,
    },
    AlterPartition {
        request: AlterPartitionRequest,
        reply: oneshot::Sender<ControllerResponse>,
    },
    Mitigate {
        broker: BrokerId,
        mitigation: Mitigation,
        active: bool,
        reply: oneshot::Sender<ControllerResponse>,
    },
    ReportCorruptReplica {
        report: CorruptReplicaReport,
        reply: oneshot::Sender<ControllerResponse>,
    },
}

pub(crate) struct Proposer {
    pub raft: MetadataRaft,
    pub shared: SharedMetadata,
    pub activity: Arc<Activity>,
    pub sessions: Arc<BrokerSessions>,
    pub params: ControllerParams,
}

enum Proposal {
    Committed { offset: u64, outcome: BatchOutcome },
    Failed(ControllerResponse),
}

impl Proposal {
    /// The answer to the requester: `on_applied(offset)` when the batch took effect, the
    /// rejection or the failure otherwise.
    fn answer(self, on_applied: impl FnOnce(u64) -> ControllerResponse) -> ControllerResponse {
        match self {
            Proposal::Committed {
                offset,
                outcome: BatchOutcome::Applied,
            } => on_applied(offset),
            Proposal::Committed {
                outcome: BatchOutcome::Rejected(rejection),
                ..
            } => ControllerResponse::Rejected(rejection),
            Proposal::Failed(response) => response,
        }
    }
}

impl Proposer {
    fn image(&self) -> MetadataImage {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .image
            .clone()
    }

    pub(crate) async fn run(self, mut commands: mpsc::Receiver<Command>) {
        let mut session_check = tokio::time::interval(self.params.session_check_interval);
        loop {
            tokio::select! {
                biased;
                command = commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => return,
                },
                _ = session_check.tick() => self.fence_expired_sessions().await,
            }
        }
    }

    async fn propose(&self, records: Vec<MetadataRecord>) -> Proposal {
        self.propose_keeping_out(records, &[]).await
    }

    /// Proposes `records` with every partition change's eligible leader replicas carried
    /// over (see `metadata::eligible`), brokers in `never_eligible` kept out of them.
    async fn propose_keeping_out(
        &self,
        records: Vec<MetadataRecord>,
        never_eligible: &[BrokerId],
    ) -> Proposal {
        let records = carry_eligible_leaders(
            &self.image(),
            records,
            self.params.min_insync_replicas,
            never_eligible,
        );
        // A controller busy elsewhere decides late; everything computed from the image must
        // still hold when it does.
        if crate::buggify!() {
            tokio::time::sleep(crate::buggify::random_delay(std::time::Duration::from_millis(
                500,
            )))
            .await;
        }
        if self.activity.active_term().is_none() {
            return Proposal::Failed(ControllerResponse::NotController { active_hint: None });
        }
        let write = self.raft.client_write(MetadataBatch(records));
        match tokio::time::timeout(self.params.proposal_timeout, write).await {
            Ok(Ok(response)) => Proposal::Committed {
                offset: response.log_id.index,
                outcome: response.data,
            },
            Ok(Err(error)) => Proposal::Failed(ControllerResponse::Unavailable(error.to_string())),
            Err(_) => Proposal::Failed(ControllerResponse::Unavailable("proposal timed out".to_string())),
        }
    }

    async fn handle(&self, command: Command) {
        match command {
            Command::Register {
                broker,
                zone,
                address,
                new_process,
                reply,
            } => {
                let image = self.image();
                let epoch = image.max_broker_epoch + 1;
                // A restarted broker may still be leading from its previous life; its
                // leaderships move first, in the same batch as the registration that fences it.
                let mut records = partitions_without_broker(&image, broker);
                // A new process may have lost what it had not synced: it no longer counts as
                // a copy of every committed record (computed on the image those moves leave).
                let never_eligible = if new_process {
                    let mut moved = image.clone();
                    if moved.apply_batch(image.offset.unwrap_or(0), &records).is_ok() {
                        let restarted = after_restart(&moved, broker);
                        records.extend(restarted.into_iter().map(MetadataRecord::PartitionState));
                    }
                    vec![broker]
                } else {
                    Vec::new()
                };
                records.push(MetadataRecord::RegisterBroker {
                    broker,
                    epoch,
                    zone,
                    address,
                });
                let answer = self
                    .propose_keeping_out(records, &never_eligible)
                    .await
                    .answer(|offset| {
                        self.sessions.heartbeat(broker, Instant::now());
                        ControllerResponse::Registered {
                            epoch,
                            registration_offset: offset,
                        }
                    });
                let _ = reply.send(answer);
            }
            Command::Unfence { broker, epoch } => {
                let image = self.image();
                let current = image.brokers.get(&broker);
                if current.is_some_and(|state| state.epoch == epoch && state.fenced) {
                    let _ = self.propose(unfence_broker(&image, broker)).await;
                }
            }
            Command::CreateTopic {
                name,
                partition_count,
                replication_factor,
                reply,
            } => {
                let placed = place_topic(&self.image(), &name, partition_count, replication_factor);
                let _ = reply.send(self.create_topic(placed).await);
            }
            Command::CreateAssignedTopic {
                name,
                assignment,
                reply,
            } => {
                let placed = assign_topic(&self.image(), &name, &assignment);
                let _ = reply.send(self.create_topic(placed).await);
            }
            Command::AlterPartition { request, reply } => {
                let image = self.image();
                // A broker that re-registered since computing its request speaks for a
                // previous life: its view of the ISR cannot be trusted.
                let registered = image
                    .brokers
                    .get(&request.broker)
                    .is_some_and(|state| state.epoch == request.broker_epoch);
                let answer = if !registered {
                    ControllerResponse::Rejected(super::super::image::Rejection::UnknownBrokerEpoch {
                        broker: request.broker,
                        epoch: request.broker_epoch,
                    })
                } else {
                    match alter_partition(
                        &image,
                        request.broker,
                        &request.topic,
                        request.partition,
                        request.leader_epoch,
                        request.partition_epoch,
                        &request.isr,
                    ) {
                        Err(error) => ControllerResponse::AlterPartitionRejected(error),
                        Ok(state) => self
                            .propose(vec![MetadataRecord::PartitionState(state.clone())])
                            .await
                            .answer(|_| ControllerResponse::PartitionAltered(state)),
                    }
                };
                let _ = reply.send(answer);
            }
            Command::ControlledShutdown { broker, epoch, reply } => {
                let image = self.image();
                let answer = if image
                    .brokers
                    .get(&broker)
                    .is_none_or(|state| state.epoch != epoch)
                {
                    ControllerResponse::Rejected(super::super::image::Rejection::UnknownBrokerEpoch {
                        broker,
                        epoch,
                    })
                } else {
                    self.propose(fence_broker(&image, broker, FenceReason::ControlledShutdown))
                        .await
                        .answer(|_| ControllerResponse::ShutdownComplete)
                };
                let _ = reply.send(answer);
            }
            Command::Mitigate {
                broker,
                mitigation,
                active,
                reply,
            } => {
                let _ = reply.send(self.mitigate(broker, mitigation, active).await);
            }
            Command::ReportCorruptReplica { report, reply } => {
                let image = self.image();
                let registered = image
                    .brokers
                    .get(&report.broker)
                    .is_some_and(|state| state.epoch == report.broker_epoch);
                let answer = if !registered {
                    ControllerResponse::Rejected(super::super::image::Rejection::UnknownBrokerEpoch {
                        broker: report.broker,
                        epoch: report.broker_epoch,
                    })
                } else {
                    match without_corrupt_replica(&image, &report) {
                        Err(error) => ControllerResponse::AlterPartitionRejected(error),
                        // Already out: nothing to commit.
                        Ok((state, false)) => ControllerResponse::PartitionAltered(state),
                        // A convicted copy never becomes an eligible leader.
                        Ok((state, true)) => self
                            .propose_keeping_out(
                                vec![MetadataRecord::PartitionState(state.clone())],
                                &[report.corrupt],
                            )
                            .await
                            .answer(|_| ControllerResponse::PartitionAltered(state)),
                    }
                };
                let _ = reply.send(answer);
            }
        }
    }

    /// Commits a topic's placement, or says why it has none.
    async fn create_topic(&self, placed: Result<Vec<MetadataRecord>, PlacementError>) -> ControllerResponse {
        match placed {
            Err(error) => ControllerResponse::TopicRejected(error),
            Ok(records) => self
                .propose(records)
                .await
                .answer(|_| ControllerResponse::TopicCreated),
        }
    }

    async fn mitigate(&self, broker: BrokerId, mitigation: Mitigation, active: bool) -> ControllerResponse {
        let image = self.image();
        let plan = if active {
            mitigate_broker(&image, broker, mitigation, self.params.min_insync_replicas)
        } else {
            MitigationPlan {
                records: lift_mitigation(&image, broker, mitigation),
                ..MitigationPlan::default()
            }
        };
        let MitigationPlan {
            records,
            acted,
            blocked,
        } = plan;
        if records.is_empty() {
            return ControllerResponse::Mitigated { acted, blocked };
        }
        self.propose(records)
            .await
            .answer(|_| ControllerResponse::Mitigated { acted, blocked })
    }

    async fn fence_expired_sessions(&self) {
        if self.activity.active_term().is_none() {
            return;
        }
        let image = self.image();
        let expired = self
            .sessions
            .expired(&image, Instant::now(), self.params.broker_session_timeout);
        for broker in expired {
            // Each fence is computed from the image as the previous one left it.
            let records = fence_broker(&self.image(), broker, FenceReason::SessionExpired);
            let _ = self.propose(records).await;
        }
    }
}
