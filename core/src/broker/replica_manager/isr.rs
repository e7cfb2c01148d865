//! The leader's ISR maintenance: a long-lived task that, every `isr_check_interval`, moves
//! each led partition's high watermark if time alone lets it, asks its `LeaderState` whether
//! followers should leave the ISR (not caught up for `replica_lag_max`) or join it (caught
//! up, neither fenced nor marked ISR-ineligible), and proposes the change to the controller
//! (AlterPartition). The ISR takes effect only when the controller's decision comes
//! back, in the answer or through metadata, whichever is first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use super::partition::{Partition, Role};
use super::ReplicaManager;
use crate::metadata::{AlterPartitionRequest, BrokerId, ControllerRequest, ControllerResponse};
use crate::observe::Event;

/// Followers that may not join the ISR now, and that the high watermark does not wait for
/// either: brokers the metadata keeps out (fenced or marked ISR-ineligible, `kept_out`) and
/// followers an audit found corrupt, which may not rejoin before they have cut their log
/// back (`fetch.rs` clears them once they fetch from there).
fn isr_ineligible(kept_out: &BTreeSet<BrokerId>, suspects: &BTreeMap<BrokerId, u64>) -> BTreeSet<BrokerId> {
    let mut ineligible = kept_out.clone();
    ineligible.extend(suspects.keys().copied());
    ineligible
}

impl ReplicaManager {
    /// [`isr_ineligible`] with the brokers the latest metadata keeps out of the ISR.
    pub(super) fn isr_ineligible(&self, suspects: &BTreeMap<BrokerId, u64>) -> BTreeSet<BrokerId> {
        isr_ineligible(&self.brokers_kept_out_of_isr(), suspects)
    }

    pub(super) async fn check_isr_periodically(self: Arc<Self>) {
        let Some(controller) = self.controller.get().cloned() else {
            return;
        };
        loop {
            tokio::time::sleep(self.params.isr_check_interval).await;
            // Buggify: a check round skipped (the leader busy): shrinks and expansions late.
            if crate::buggify!() {
                continue;
            }
            let kept_out = self.brokers_kept_out_of_isr();
            for partition in self.all_partitions() {
                let Some(request) = self.isr_proposal(&partition, &kept_out).await else {
                    continue;
                };
                // Buggify: an AlterPartition sent late; leadership or the ISR may have moved
                // meanwhile, and the controller must refuse it by its epochs.
                if crate::buggify!() {
                    tokio::time::sleep(crate::buggify::random_delay(Duration::from_secs(2))).await;
                }
                let answer = controller
                    .send(&ControllerRequest::AlterPartition(request.clone()))
                    .await;
                self.take_isr_answer(&partition, &request, answer).await;
            }
        }
    }

    async fn isr_proposal(
        &self,
        partition: &Partition,
        kept_out: &BTreeSet<BrokerId>,
    ) -> Option<AlterPartitionRequest> {
        let mut guard = partition.replica.lock().await;
        let replica = &mut *guard;
        let log_end_offset = replica.log.as_ref().map(|log| log.log_end_offset());
        let excluded = isr_ineligible(kept_out, &replica.suspects);
        let Role::Leader(leader) = &mut replica.role else {
            return None;
        };
        let now = self.now();
        // Time alone can end the high watermark's wait for a follower outside the ISR (it
        // stops being caught up), with no fetch or produce to notice: the check moves it.
        if let Some(high_watermark) =
            log_end_offset.and_then(|end| leader.maybe_advance_high_watermark(end, now, &excluded))
        {
            self.high_watermark_advanced(partition, leader.leader_epoch(), high_watermark);
            partition.notify();
        }
        if leader.pending_isr_change().is_some() {
            return None;
        }
        let from_isr = leader.isr();
        let proposed = leader.proposed_isr(now, &excluded)?;
        let change = leader.begin_isr_change(proposed).ok()?;
        self.record(Event::IsrChangeRequested {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch: leader.leader_epoch(),
            from_isr,
            to_isr: change.proposed_isr.clone(),
        });
        Some(AlterPartitionRequest {
            broker: self.broker,
            broker_epoch: self.broker_epoch(),
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch: leader.leader_epoch(),
            partition_epoch: change.partition_epoch,
            isr: change.proposed_isr,
        })
    }

    async fn take_isr_answer(
        &self,
        partition: &Partition,
        request: &AlterPartitionRequest,
        answer: Option<ControllerResponse>,
    ) {
        let mut replica = partition.replica.lock().await;
        let log_end_offset = replica.log.as_ref().map(|log| log.log_end_offset());
        let ineligible = self.isr_ineligible(&replica.suspects);
        let Role::Leader(leader) = &mut replica.role else {
            return;
        };
        if leader.leader_epoch() != request.leader_epoch {
            return;
        }
        match answer {
            Some(ControllerResponse::PartitionAltered(state)) => {
                leader.apply_partition_state(state.isr, state.partition_epoch);
                let now = self.now();
                if let Some(high_watermark) =
                    log_end_offset.and_then(|end| leader.maybe_advance_high_watermark(end, now, &ineligible))
                {
                    let epoch = leader.leader_epoch();
                    self.high_watermark_advanced(partition, epoch, high_watermark);
                }
            }
            // Rejected, unavailable or unanswered: forget it; the next check proposes again
            // from whatever the metadata says by then.
            _ => {
                if leader
                    .pending_isr_change()
                    .is_some_and(|pending| pending.partition_epoch == request.partition_epoch)
                {
                    leader.abort_isr_change();
                }
            }
        }
        drop(replica);
        partition.notify();
    }
}
