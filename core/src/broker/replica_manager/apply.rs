//! Applying one role change from metadata to a partition replica.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::super::replication::{FollowerFetchState, LeaderState, RoleChange};
use super::partition::Role;
use super::ReplicaManager;
use crate::metadata::PartitionState;
use crate::observe::Event;

impl ReplicaManager {
    pub(super) async fn apply_role_change(self: &Arc<Self>, change: RoleChange) {
        match change {
            RoleChange::BecomeLeader(state) => self.become_leader(&state).await,
            RoleChange::BecomeFollower(state) => self.become_follower(&state).await,
            RoleChange::AwaitLeader(state) => self.become_idle(&state.topic, state.partition).await,
            RoleChange::Stop { topic, partition } => self.become_idle(&topic, partition).await,
            RoleChange::IsrChanged(state) => self.take_isr(&state).await,
        }
    }

    async fn become_leader(self: &Arc<Self>, state: &PartitionState) {
        let partition = self.partition_or_open(&state.topic, state.partition).await;
        let mut replica = partition.replica.lock().await;
        replica.generation += 1;
        partition.follower_lag_records.store(0, Ordering::Relaxed);
        replica.suspects.clear();
        let known_high_watermark = replica.high_watermark();
        // Still leading from the epoch before: the followers' progress carries over.
        let previous = match &replica.role {
            Role::Leader(previous) => Some(previous.clone()),
            _ => None,
        };
        let now = self.now();
        let Some(log) = replica.log.as_mut() else {
            replica.role = Role::Idle;
            return;
        };
        // The epoch starts at the current log end: followers asking where the previous
        // epoch ends learn "here", and drop what this leader never had.
        if let Err(error) = log.assign_epoch_start(state.leader_epoch).await {
            tracing::warn!(broker = self.broker, topic = %state.topic, partition = state.partition, %error, "cannot take leadership");
            replica.role = Role::Idle;
            return;
        }
        let log_end_offset = log.log_end_offset();
        let mut leader = LeaderState::new(
            self.broker,
            state.leader_epoch,
            state.partition_epoch,
            state.replicas.clone(),
            state.isr.clone(),
            log_end_offset,
            now,
            self.params.replication.clone(),
        )
        .with_high_watermark(known_high_watermark);
        if let Some(previous) = &previous {
            leader = leader.with_follower_progress_of(previous, now);
        }
        self.record(Event::LeaderStarted {
            broker: self.broker,
            topic: state.topic.clone(),
            partition: state.partition,
            leader_epoch: state.leader_epoch,
            log_end_offset,
        });
        let ineligible = self.isr_ineligible(&replica.suspects);
        if let Some(high_watermark) = leader.maybe_advance_high_watermark(log_end_offset, now, &ineligible) {
            self.high_watermark_advanced(&partition, state.leader_epoch, high_watermark);
        }
        replica.role = Role::Leader(leader);
        let generation = replica.generation;
        drop(replica);
        partition.notify();
        if self.serves_remotely(&state.topic) {
            let manager = self.clone();
            let leader_epoch = state.leader_epoch;
            tokio::spawn(async move { manager.archive(partition, generation, leader_epoch).await });
        }
    }

    /// Follows again after a corrupt replica was taken out of the ISR: the rebuild happens
    /// under the same lock, before the new follower task fetches anything.
    pub(super) async fn become_follower_after_rebuild(self: &Arc<Self>, state: &PartitionState) {
        self.become_follower(state).await;
    }

    async fn become_follower(self: &Arc<Self>, state: &PartitionState) {
        let Some(leader) = state.leader else {
            return self.become_idle(&state.topic, state.partition).await;
        };
        let partition = self.partition_or_open(&state.topic, state.partition).await;
        let mut replica = partition.replica.lock().await;
        replica.generation += 1;
        partition.follower_lag_records.store(0, Ordering::Relaxed);
        replica.suspects.clear();
        if replica.pending_rebuild.is_some() && !state.isr.contains(&self.broker) {
            self.rebuild_locked(&partition, &mut replica).await;
        }
        let generation = replica.generation;
        let known_high_watermark = replica.high_watermark();
        let Some(log) = replica.log.as_ref() else {
            replica.role = Role::Idle;
            return;
        };
        let log_end_offset = log.log_end_offset();
        let follower = FollowerFetchState::new(
            leader,
            state.leader_epoch,
            log_end_offset,
            log.leader_epoch_cache(),
        )
        .with_high_watermark(known_high_watermark, log_end_offset);
        self.record(Event::FollowerStarted {
            broker: self.broker,
            topic: state.topic.clone(),
            partition: state.partition,
            leader,
            leader_epoch: state.leader_epoch,
            log_end_offset,
        });
        replica.role = Role::Follower(follower);
        drop(replica);
        partition.notify();
        let manager = self.clone();
        tokio::spawn(async move { manager.follow(partition, generation).await });
    }

    async fn become_idle(&self, topic: &str, partition: u32) {
        let partition = self.partition_or_open(topic, partition).await;
        let mut replica = partition.replica.lock().await;
        replica.generation += 1;
        partition.follower_lag_records.store(0, Ordering::Relaxed);
        replica.role = Role::Idle;
        drop(replica);
        partition.notify();
    }

    /// The controller committed a new ISR for a partition this broker keeps its role in.
    async fn take_isr(&self, state: &PartitionState) {
        let Some(partition) = self.partition(&state.topic, state.partition) else {
            return;
        };
        let mut replica = partition.replica.lock().await;
        let log_end_offset = replica.log.as_ref().map(|log| log.log_end_offset());
        let ineligible = self.isr_ineligible(&replica.suspects);
        let Role::Leader(leader) = &mut replica.role else {
            return;
        };
        if leader.leader_epoch() != state.leader_epoch
            || !leader.apply_partition_state(state.isr.clone(), state.partition_epoch)
        {
            return;
        }
        // A shrink may let the high watermark move on (or, below min ISR, freeze it).
        let now = self.now();
        if let Some(high_watermark) =
            log_end_offset.and_then(|end| leader.maybe_advance_high_watermark(end, now, &ineligible))
        {
            let epoch = leader.leader_epoch();
            self.high_watermark_advanced(&partition, epoch, high_watermark);
        }
        drop(replica);
        partition.notify();
    }
}
