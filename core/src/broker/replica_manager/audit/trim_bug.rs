//! The deliberate "trims its log prefix" bug (a real Kora incident, where a leader did it),
//! armed only by a test harness through [`crate::broker::InjectedBugs`]. When armed, the
//! flusher makes this broker, as leader of some partition, delete its local segments below the
//! high watermark although retention does not allow it, and report nothing; armed as a
//! follower, it deletes every segment below its log end (a retention bug that takes the log
//! end for the high watermark: a follower's high watermark trails its log end while data
//! flows, so a cut at it would rarely find a whole segment). The durability audit must find
//! the lost prefix.

use super::super::partition::Role;
use super::super::ReplicaManager;
use crate::broker::audit::PrefixTrimRole;

impl ReplicaManager {
    pub(in super::super) async fn maybe_trim_log_prefix(&self) {
        let Some(bugs) = self.bugs.get() else { return };
        let Some(armed_role) = bugs.trim_log_prefix_armed() else {
            return;
        };
        for partition in self.all_partitions() {
            if partition.topic.starts_with("__") {
                continue;
            }
            let mut replica = partition.replica.lock().await;
            let Some(log) = replica.log.as_ref() else { continue };
            let cut_below = match (&replica.role, armed_role) {
                (Role::Leader(leader), PrefixTrimRole::Leader) => leader.high_watermark(),
                (Role::Follower(follower), PrefixTrimRole::Follower)
                    if follower.high_watermark() > log.log_start_offset() =>
                {
                    log.log_end_offset()
                }
                _ => continue,
            };
            let Some(log) = replica.log.as_mut() else { continue };
            let before = log.log_start_offset();
            if cut_below <= before {
                continue;
            }
            if let Ok(after) = log.delete_segments_before(cut_below).await {
                if after > before {
                    tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, ?armed_role, before, after, "injected bug: the replica trimmed its log prefix");
                    bugs.disarm_trim_log_prefix();
                    return;
                }
            }
        }
    }
}
