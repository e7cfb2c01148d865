//! Replication thresholds, named. Defaults follow Kafka's and KORA.md.

use std::time::Duration;

/// The thresholds a partition leader applies to its followers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationParams {
    /// An ISR follower that has not been caught up with the leader's log end for longer than
    /// this leaves the ISR. Kafka: `replica.lag.time.max.ms`, 30 s.
    pub replica_lag_max: Duration,
    /// `acks=all` appends are refused, and the high watermark does not advance, while the
    /// ISR has fewer members than this. Kafka: `min.insync.replicas`; 2 (of RF 3) here.
    pub min_insync_replicas: usize,
}

impl Default for ReplicationParams {
    fn default() -> Self {
        ReplicationParams {
            replica_lag_max: Duration::from_secs(30),
            min_insync_replicas: 2,
        }
    }
}
