//! The deliberate "leader trims its log prefix" bug (a real Kora incident), armed only by a
//! test harness through [`crate::broker::InjectedBugs`]. When armed, the flusher makes this
//! broker, as leader of some partition, delete its local segments below the high watermark
//! although retention does not allow it, and report nothing: the durability audit must find
//! the jump of the log start.

use super::super::partition::Role;
use super::super::ReplicaManager;

impl ReplicaManager {
    pub(in super::super) async fn maybe_trim_log_prefix(&self) {
        let Some(bugs) = self.bugs.get() else { return };
        if !bugs.trim_log_prefix_armed() {
            return;
        }
        for partition in self.all_partitions() {
            if partition.topic.starts_with("__") {
                continue;
            }
            let mut replica = partition.replica.lock().await;
            let Role::Leader(leader) = &replica.role else {
                continue;
            };
            let high_watermark = leader.high_watermark();
            let Some(log) = replica.log.as_mut() else { continue };
            let before = log.log_start_offset();
            if high_watermark <= before {
                continue;
            }
            if let Ok(after) = log.delete_segments_before(high_watermark).await {
                if after > before {
                    tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, before, after, "injected bug: the leader trimmed its log prefix");
                    bugs.disarm_trim_log_prefix();
                    return;
                }
            }
        }
    }
}
