//! A follower answering the leader's audit: its checksum over the committed range, read from
//! its own disk. A batch that fails its own CRC marks the replica for a rebuild from that
//! batch on; the rebuild waits until the controller has taken it out of the ISR. A follower
//! the leader convicted by the majority rule is told so in the request, and marks itself.

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
            replica.pending_rebuild.get_or_insert(Rebuild {
                keep_below: Some(offset),
            });
            return AuditAnswer::Unavailable("marked corrupt: rebuilds once out of the ISR".to_string());
        }
        let Some(log) = replica.log.as_ref() else {
            return AuditAnswer::Unavailable("the log is offline".to_string());
        };
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
