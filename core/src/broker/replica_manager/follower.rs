//! The follower task: one per followed partition and role, long-lived, ending when the role
//! changes. It asks the leader where its epochs end, truncates as the follower state says
//! (KIP-101: by leader epoch, never by the local high watermark), then fetches from its log
//! end and appends what comes back. The decisions are `FollowerFetchState`'s; this file only
//! carries them out against the log and the network.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::super::data_protocol::{BrokerRequest, BrokerResponse, FetchError, FetchOk};
use super::super::log::{EpochEndOffset, PartitionLog};
use super::super::replication::{FollowerAction, FollowerFetchState, FollowerRequest};
use super::partition::{Partition, Role};
use super::ReplicaManager;

/// What the leader answered, or that it did not.
enum Answer {
    Epoch(Result<Option<EpochEndOffset>, FetchError>),
    Fetch(Result<FetchOk, FetchError>),
    Nothing,
}

impl ReplicaManager {
    /// Follows the leader of `partition` for as long as the replica's role generation is
    /// `generation`.
    pub(super) async fn follow(self: Arc<Self>, partition: Arc<Partition>, generation: u64) {
        loop {
            let Some((request, leader)) = self.next_follower_request(&partition, generation).await else {
                return;
            };
            let answer = self.ask_leader(&partition, leader, request).await;
            match self.take_answer(&partition, generation, answer).await {
                Step::Continue => {}
                Step::Backoff => tokio::time::sleep(self.params.replica_fetch_backoff).await,
                Step::Stop => return,
            }
        }
    }

    async fn next_follower_request(
        &self,
        partition: &Partition,
        generation: u64,
    ) -> Option<(FollowerRequest, crate::metadata::BrokerId)> {
        let replica = partition.replica.lock().await;
        if replica.generation != generation {
            return None;
        }
        let Role::Follower(follower) = &replica.role else {
            return None;
        };
        Some((follower.next_request()?, follower.leader()))
    }

    async fn ask_leader(
        &self,
        partition: &Partition,
        leader: crate::metadata::BrokerId,
        request: FollowerRequest,
    ) -> Answer {
        let (Some(rpc), Some(address)) = (self.rpc(), self.address_of(leader)) else {
            return Answer::Nothing;
        };
        let timeout = self.params.replica_fetch_max_wait + self.params.replica_fetch_timeout;
        let message = match request {
            FollowerRequest::OffsetsForLeaderEpoch {
                current_leader_epoch,
                leader_epoch,
            } => BrokerRequest::OffsetsForLeaderEpoch {
                topic: partition.topic.clone(),
                partition: partition.partition,
                current_leader_epoch,
                leader_epoch,
            },
            FollowerRequest::Fetch {
                current_leader_epoch,
                fetch_offset,
            } => BrokerRequest::Fetch {
                topic: partition.topic.clone(),
                partition: partition.partition,
                fetch_offset,
                max_bytes: self.params.replica_fetch_max_bytes,
                current_leader_epoch: Some(current_leader_epoch),
                replica: Some((self.broker, self.broker_epoch())),
                max_wait_ms: self.params.replica_fetch_max_wait.as_millis() as u64,
            },
        };
        let answer = rpc.call::<_, BrokerResponse>(address, &message, timeout).await;
        // Buggify: the answer lost after the leader recorded the fetch (its view of this
        // follower's progress runs ahead of what the follower has).
        if crate::buggify!() {
            return Answer::Nothing;
        }
        match answer {
            Ok(BrokerResponse::OffsetsForLeaderEpoch(answer)) => Answer::Epoch(answer),
            Ok(BrokerResponse::Fetch(answer)) => Answer::Fetch(answer),
            other => {
                tracing::debug!(broker = self.broker, leader, topic = %partition.topic, partition = partition.partition, ?other, "no usable answer from the leader");
                Answer::Nothing
            }
        }
    }

    async fn take_answer(&self, partition: &Partition, generation: u64, answer: Answer) -> Step {
        let mut guard = partition.replica.lock().await;
        let replica = &mut *guard;
        if replica.generation != generation {
            return Step::Stop;
        }
        let (Role::Follower(follower), Some(log)) = (&mut replica.role, replica.log.as_mut()) else {
            return Step::Stop;
        };
        let action = match answer {
            Answer::Nothing => FollowerAction::Retry,
            Answer::Epoch(answer) => {
                follower.on_epoch_answer(&answer, log.leader_epoch_cache(), log.log_end_offset())
            }
            Answer::Fetch(Err(error)) => follower.on_fetch_error(&error, log.leader_epoch_cache()),
            Answer::Fetch(Ok(fetched)) => {
                let appended = self.append_fetched(partition, log, &fetched).await;
                follower.on_fetched(fetched.high_watermark, log.log_end_offset());
                let lag = fetched.log_end_offset.saturating_sub(log.log_end_offset());
                partition.follower_lag_records.store(lag, Ordering::Relaxed);
                if !appended {
                    return Step::Backoff;
                }
                FollowerAction::Fetch {
                    offset: log.log_end_offset(),
                }
            }
        };
        let step = self.carry_out(partition, follower, log, action).await;
        drop(guard);
        partition.notify();
        step
    }

    /// Appends the fetched batches that continue the log. Returns false if one could not be
    /// appended (the caller backs off and fetches again from the log end).
    async fn append_fetched(&self, partition: &Partition, log: &mut PartitionLog, fetched: &FetchOk) -> bool {
        // Buggify: a slow follower write; the leader's ISR lag rule must judge it fairly.
        if crate::buggify!() {
            tokio::time::sleep(crate::buggify::random_delay(std::time::Duration::from_millis(
                500,
            )))
            .await;
        }
        for batch in &fetched.batches {
            if batch.last_offset() < log.log_end_offset() {
                continue;
            }
            if let Err(error) = log.append_as_follower(batch).await {
                tracing::debug!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "fetched batch not appended");
                return false;
            }
            self.batch_appended(partition, batch);
        }
        true
    }

    async fn carry_out(
        &self,
        partition: &Partition,
        follower: &mut FollowerFetchState,
        log: &mut PartitionLog,
        action: FollowerAction,
    ) -> Step {
        let log_start_before = log.log_start_offset();
        let truncated = match action {
            FollowerAction::Fetch { .. } | FollowerAction::AskAgain { .. } | FollowerAction::Ignore => {
                return Step::Continue
            }
            FollowerAction::Retry => return Step::Backoff,
            FollowerAction::AwaitMetadata => {
                // The leader does not (yet) know itself as leader of this epoch, or we are
                // behind. Start over after a backoff; new metadata replaces this task anyway.
                *follower = FollowerFetchState::new(
                    follower.leader(),
                    follower.leader_epoch(),
                    log.log_end_offset(),
                    log.leader_epoch_cache(),
                )
                .with_high_watermark(follower.high_watermark(), log.log_end_offset());
                return Step::Backoff;
            }
            FollowerAction::TruncateAndFetch { offset }
            | FollowerAction::TruncateAndAskAgain { offset, .. } => log.truncate_to(offset).await.map(|_| ()),
            FollowerAction::TruncateFullyAndFetch { offset } => log.truncate_fully_and_start_at(offset).await,
        };
        match truncated {
            Ok(()) => {
                self.replica_truncated(partition, log);
                if log.log_start_offset() != log_start_before {
                    self.record(crate::observe::Event::AuditLogStartChanged {
                        broker: self.broker,
                        topic: partition.topic.clone(),
                        partition: partition.partition,
                        from: log_start_before,
                        to: log.log_start_offset(),
                        cause: crate::broker::audit::rules::LogStartCause::FollowerTruncation,
                    });
                }
                follower.on_truncated(log.log_end_offset());
                Step::Continue
            }
            Err(error) => {
                tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "truncation failed");
                Step::Backoff
            }
        }
    }
}

enum Step {
    Continue,
    Backoff,
    Stop,
}
