//! A broker's thresholds, named. Defaults follow Kafka's.

use std::time::Duration;

use super::audit::AuditParams;
use super::log::LogParams;
use super::replication::ReplicationParams;
use super::storage_health::StorageHealthParams;
use crate::tier::TierParams;

#[derive(Debug, Clone)]
pub struct BrokerParams {
    /// Kafka: `broker.heartbeat.interval.ms`, 2 s.
    pub heartbeat_interval: Duration,
    /// How often the broker asks the active controller for new metadata.
    pub metadata_fetch_interval: Duration,
    /// How long one request to a controller may take before the next controller is tried.
    pub controller_request_timeout: Duration,
    /// Pause between failed registration attempts.
    pub registration_retry_backoff: Duration,
    /// A controlled shutdown that is not confirmed within this long is abandoned and the
    /// broker stops anyway (the session timeout then fences it).
    pub controlled_shutdown_timeout: Duration,
    /// How partition logs roll segments.
    pub log: LogParams,
    /// ISR and high-watermark thresholds.
    pub replication: ReplicationParams,
    /// How often every partition log with unflushed data is synced to disk. Kafka leaves
    /// this to the operating system (`log.flush.interval.ms` unset) and relies on
    /// replication; this models the page-cache writeback (Linux writes dirty pages back
    /// within about 5 s). A crash loses at most this much of a replica's tail, so losing
    /// every replica of a partition within this window may lose acknowledged records.
    pub log_flush_interval: Duration,
    /// Kafka: `replica.fetch.wait.max.ms`: how long a follower's fetch waits at the leader
    /// for new data.
    pub replica_fetch_max_wait: Duration,
    /// Kafka: `replica.fetch.max.bytes`, 1 MiB; 64 KiB here, scaled down with the
    /// simulated workload (as segments are). A follower that cannot write what a fetch
    /// returns before the next one falls behind by at most this much per round, and leaves
    /// the ISR once it has not caught up for `replica_lag_max`.
    pub replica_fetch_max_bytes: u64,
    /// Kafka: `replica.fetch.backoff.ms`: pause after a failed follower fetch.
    pub replica_fetch_backoff: Duration,
    /// How long a follower waits for an answer beyond the leader's long-poll time.
    pub replica_fetch_timeout: Duration,
    /// How often a leader checks whether followers should leave or join the ISR. Kafka
    /// checks shrinking every `replica.lag.time.max.ms / 2` and expansion on every fetch;
    /// one short period serves both here.
    pub isr_check_interval: Duration,
    /// Request-serving workers (Kafka: `num.io.threads`); long-polled fetches hold one each
    /// while they wait, so this bounds how many can wait at once.
    pub request_workers: usize,
    /// Requests queued beyond the workers before new ones are shed (Kafka:
    /// `queued.max.requests`).
    pub request_queue_max: usize,
    /// Tiered storage (off unless the broker is given an object store and this says so).
    pub tier: TierParams,
    /// When the storage health manager restarts the broker.
    pub storage_health: StorageHealthParams,
    /// The durability audits (see `broker::audit`).
    pub audit: AuditParams,
}

impl Default for BrokerParams {
    fn default() -> Self {
        BrokerParams {
            heartbeat_interval: Duration::from_secs(2),
            metadata_fetch_interval: Duration::from_millis(500),
            controller_request_timeout: Duration::from_millis(1500),
            registration_retry_backoff: Duration::from_millis(500),
            controlled_shutdown_timeout: Duration::from_secs(30),
            log: LogParams::default(),
            replication: ReplicationParams::default(),
            log_flush_interval: Duration::from_secs(5),
            replica_fetch_max_wait: Duration::from_millis(500),
            replica_fetch_max_bytes: 64 * 1024,
            replica_fetch_backoff: Duration::from_secs(1),
            replica_fetch_timeout: Duration::from_secs(2),
            isr_check_interval: Duration::from_secs(1),
            request_workers: 64,
            request_queue_max: 500,
            tier: TierParams::default(),
            storage_health: StorageHealthParams::default(),
            audit: AuditParams::default(),
        }
    }
}
