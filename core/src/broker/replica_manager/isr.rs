//! The leader's ISR maintenance: a long-lived task that, every `isr_check_interval`, asks
//! each led partition's `LeaderState` whether followers should leave the ISR (not caught up
//! for `replica_lag_max`) or join it (caught up, neither fenced nor marked ISR-ineligible), and proposes the change to the
//! controller (AlterPartition). The ISR takes effect only when the controller's decision comes
//! back, in the answer or through metadata, whichever is first.

use std::sync::Arc;

use super::partition::{Partition, Role};
use super::ReplicaManager;
use crate::metadata::{AlterPartitionRequest, ControllerRequest, ControllerResponse};
use crate::observe::Event;

impl ReplicaManager {
    pub(super) async fn check_isr_periodically(self: Arc<Self>) {
        let Some(controller) = self.controller.get().cloned() else {
            return;
        };
        loop {
            tokio::time::sleep(self.params.isr_check_interval).await;
            let kept_out = self.brokers_kept_out_of_isr();
            for partition in self.all_partitions() {
                let Some(request) = self.isr_proposal(&partition, &kept_out).await else {
                    continue;
                };
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
        kept_out: &std::collections::BTreeSet<crate::metadata::BrokerId>,
    ) -> Option<AlterPartitionRequest> {
        let mut guard = partition.replica.lock().await;
        let replica = &mut *guard;
        let Role::Leader(leader) = &mut replica.role else {
            return None;
        };
        if leader.pending_isr_change().is_some() {
            return None;
        }
        let from_isr = leader.isr();
        // A follower an audit found corrupt may not rejoin before it has cut its log back
        // (`fetch.rs` clears it once it fetches from there).
        let mut excluded = kept_out.clone();
        excluded.extend(replica.suspects.keys().copied());
        let proposed = leader.proposed_isr(self.now(), &excluded)?;
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
        let Role::Leader(leader) = &mut replica.role else {
            return;
        };
        if leader.leader_epoch() != request.leader_epoch {
            return;
        }
        match answer {
            Some(ControllerResponse::PartitionAltered(state)) => {
                leader.apply_partition_state(state.isr, state.partition_epoch);
                if let Some(high_watermark) =
                    log_end_offset.and_then(|end| leader.maybe_advance_high_watermark(end))
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
