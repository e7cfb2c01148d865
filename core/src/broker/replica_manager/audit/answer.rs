//! A follower answering the leader's audit: its checksum over the committed range, read from
//! its own disk. A batch that fails its own CRC marks the replica for a rebuild from that
//! batch on; the rebuild waits until the controller has taken it out of the ISR. A follower
//! the leader convicted by the majority rule is told so in the request, and marks itself.
//! A follower whose local log starts above what retention allows (its committed prefix is
//! gone, whatever deleted it) says so and marks itself for a whole rebuild: judged on every
//! request, not only when the range reaches its log start, so that it is caught within one
//! audit period.

use super::super::partition::Role;
use super::super::ReplicaManager;
use super::Rebuild;
use crate::broker::audit::checksum::range_checksum;
use crate::broker::audit::AuditAnswer;

impl ReplicaManager {
    pub(in super::super) async fn answer_audit(
        &self,
        topic: &str,
        partition: u32,
        leader_epoch: u64,
        range: std::ops::Range<u64>,
        convicted_below: Option<u64>,
        allowed_log_start: u64,
    ) -> AuditAnswer {
        let Some(partition) = self.partition(topic, partition) else {
            return AuditAnswer::Unavailable("unknown partition".to_string());
        };
        let mut replica = partition.replica.lock().await;
        match &replica.role {
            Role::Follower(follower) if follower.leader_epoch() == leader_epoch => {}
            _ => return AuditAnswer::Unavailable(format!("not a follower in leader epoch {leader_epoch}")),
        }
        if let Some(offset) = convicted_below {
            // A log already cut back to the offset has nothing left to distrust: a reminder
            // that crossed the rebuild must not start another.
            let cut_back = replica
                .log
                .as_ref()
                .is_some_and(|log| log.log_end_offset() <= offset);
            if !cut_back {
                replica.pending_rebuild.get_or_insert(Rebuild {
                    keep_below: Some(offset),
                });
            }
            return AuditAnswer::Unavailable("marked corrupt: rebuilds once out of the ISR".to_string());
        }
        let Some(log) = replica.log.as_ref() else {
            return AuditAnswer::Unavailable("the log is offline".to_string());
        };
        // Read under the replica lock: local retention deletes under it, below a tiered end it
        // read before, and the tier state only grows, so this view allows at least as much.
        let own_tiered_end_offset = if self.serves_remotely(topic) {
            self.tiered_end_offset(topic, partition.partition)
        } else {
            0
        };
        let allowed_up_to = allowed_log_start.max(own_tiered_end_offset);
        if log.log_start_offset() > allowed_up_to {
            let log_start_offset = log.log_start_offset();
            replica
                .pending_rebuild
                .get_or_insert(Rebuild { keep_below: None });
            return AuditAnswer::PrefixMissing {
                log_start_offset,
                allowed_up_to,
            };
        }
        let answer = range_checksum(
            log,
            range.start,
            range.end,
            u64::MAX,
            self.params.audit.audit_read_chunk_bytes,
        )
        .await;
        if let AuditAnswer::Corrupt { offset, .. } = &answer {
            if replica.pending_rebuild.is_none() {
                replica.pending_rebuild = Some(Rebuild {
                    keep_below: Some(*offset),
                });
            }
        }
        answer
    }
}
