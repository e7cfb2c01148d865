//! What happens to a replica an audit found corrupt.
//!
//! 1. **Marked**: an `AuditCorruptReplica` event names the auditor, the replica, the reason
//!    and the evidence.
//! 2. **Kept from leadership**: the leader reports it to the controller, which takes it out of
//!    the ISR (and, if it leads, moves leadership to another in-sync replica with a new
//!    epoch); out of the ISR it can never be elected (unclean election is off). The leader
//!    also keeps it from rejoining until it has cut its log back (its fetch offset fell to
//!    the first untrusted offset), so that a replica still fetching from its old, corrupt log
//!    end is not taken back.
//! 3. **Rebuilt**: once the metadata shows the corrupt replica out of the ISR and following a
//!    leader, it cuts its log back to the first offset it can trust (or empties it when none:
//!    a lost prefix) and fetches the rest from the leader like any follower; it rejoins the
//!    ISR the ordinary way once caught up. Cutting earlier would leave an in-sync replica
//!    without committed data, which a failover could elect.

use std::sync::Arc;

use super::super::partition::{Partition, Replica};
use super::super::ReplicaManager;
use crate::broker::audit::rules::{CorruptionReason, LogStartCause};
use crate::metadata::{ControllerRequest, ControllerResponse, CorruptReplicaReport, MetadataImage};
use crate::observe::Event;

/// A replica marked for rebuilding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in super::super) struct Rebuild {
    /// Keep the log below this offset and fetch the rest again; `None`: empty it.
    pub keep_below: Option<u64>,
}

impl ReplicaManager {
    /// Marks `corrupt` (this broker or a follower) and reports it to the controller.
    pub(super) async fn convict(
        &self,
        partition: &Partition,
        leader_epoch: u64,
        corrupt: crate::metadata::BrokerId,
        reason: CorruptionReason,
    ) {
        tracing::warn!(broker = self.broker, corrupt, topic = %partition.topic, partition = partition.partition, %reason, "durability audit found a corrupt replica");
        self.record(Event::AuditCorruptReplica {
            auditor: self.broker,
            broker: corrupt,
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch,
            reason: reason.clone(),
        });
        {
            let mut replica = partition.replica.lock().await;
            if corrupt == self.broker {
                replica.pending_rebuild = Some(Rebuild {
                    keep_below: reason.first_bad_offset(),
                });
            } else {
                replica
                    .suspects
                    .insert(corrupt, reason.first_bad_offset().unwrap_or(0));
            }
        }
        // A follower whose own CRCs failed knows it is corrupt; one convicted by the majority
        // rule does not, and is told.
        if let (
            true,
            CorruptionReason::DisagreesWithMajority {
                from_offset,
                to_offset,
                ..
            },
        ) = (corrupt != self.broker, &reason)
        {
            self.ask_audit_checksum(
                partition,
                corrupt,
                leader_epoch,
                *from_offset..*to_offset,
                Some(*from_offset),
                // Told it is convicted, it answers nothing else.
                u64::MAX,
            )
            .await;
        }
        self.report_corrupt(partition, leader_epoch, corrupt).await;
    }

    /// Asks the controller to take `corrupt` out of the partition's ISR (and leadership).
    pub(super) async fn report_corrupt(
        &self,
        partition: &Partition,
        leader_epoch: u64,
        corrupt: crate::metadata::BrokerId,
    ) {
        let Some(controller) = self.controller.get() else {
            return;
        };
        let report = CorruptReplicaReport {
            broker: self.broker,
            broker_epoch: self.broker_epoch(),
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch,
            corrupt,
        };
        let answer = controller
            .send(&ControllerRequest::ReportCorruptReplica(report))
            .await;
        match answer {
            Some(ControllerResponse::PartitionAltered(state)) => {
                tracing::info!(broker = self.broker, corrupt, topic = %partition.topic, partition = partition.partition, isr = ?state.isr, leader = ?state.leader, "corrupt replica out of the ISR");
            }
            other => {
                tracing::info!(broker = self.broker, corrupt, topic = %partition.topic, partition = partition.partition, ?other, "corrupt replica report not taken; the next round reports again");
            }
        }
    }

    /// After a metadata update: every replica of this broker marked corrupt that the metadata
    /// now shows out of the ISR and following another leader starts its rebuild.
    pub(in super::super) async fn rebuild_corrupt_replicas(self: &Arc<Self>, image: &MetadataImage) {
        for partition in self.all_partitions() {
            let marked = partition.replica.lock().await.pending_rebuild.is_some();
            if !marked {
                continue;
            }
            let Some(state) = image.partition(&partition.topic, partition.partition) else {
                continue;
            };
            if state.isr.contains(&self.broker) || state.leader.is_none_or(|leader| leader == self.broker) {
                continue;
            }
            // Following again starts a fresh follower task, which the rebuild precedes.
            let state = state.clone();
            self.become_follower_after_rebuild(&state).await;
        }
    }

    /// Cuts a marked replica's log back (see the module documentation), under its lock.
    /// Returns whether it did; on a disk error the mark stays and the next update retries.
    pub(in super::super) async fn rebuild_locked(
        &self,
        partition: &Partition,
        replica: &mut Replica,
    ) -> bool {
        let Some(rebuild) = replica.pending_rebuild else {
            return false;
        };
        let Some(log) = replica.log.as_mut() else {
            return false;
        };
        let log_start_before = log.log_start_offset();
        let cut = match rebuild.keep_below {
            Some(offset) if offset > log.log_start_offset() => log.truncate_to(offset).await.map(|_| ()),
            _ => log.truncate_fully_and_start_at(0).await,
        };
        if let Err(error) = cut {
            tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "rebuild of a corrupt replica failed; will retry");
            return false;
        }
        replica.pending_rebuild = None;
        let log = replica.log.as_ref().expect("checked above");
        self.replica_truncated(partition, log);
        if log.log_start_offset() != log_start_before {
            self.record(Event::AuditLogStartChanged {
                broker: self.broker,
                topic: partition.topic.clone(),
                partition: partition.partition,
                from: log_start_before,
                to: log.log_start_offset(),
                cause: LogStartCause::Rebuild,
            });
        }
        self.record(Event::AuditReplicaRebuilding {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            log_start_offset: log.log_start_offset(),
            log_end_offset: log.log_end_offset(),
        });
        true
    }
}
