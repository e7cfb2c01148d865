//! Tiered storage's thresholds, named. Kafka's and Confluent's defaults are scaled down so
//! that a simulation of minutes sees segments tiered, local copies deleted and orphans
//! collected.

use std::time::Duration;

use crate::object_store::NetworkObjectStoreParams;

#[derive(Debug, Clone, PartialEq)]
pub struct TierParams {
    /// Whether the broker tiers at all (it needs an object store to be given one).
    pub enabled: bool,
    /// Partitions of the tier-metadata topic (Confluent: `confluent.tier.metadata.num.partitions`, 50).
    pub tier_partition_count: u32,
    /// Local copies of tiered segments are deleted, oldest first, while the partition's local
    /// log is over this size (Kafka: `local.retention.bytes`).
    pub local_retention_bytes: u64,
    /// ... or once a tiered segment's newest batch is this old (Kafka: `local.retention.ms`).
    pub local_retention: Duration,
    /// Remote segments are deleted, oldest first, while the whole log is over this size;
    /// `None` keeps everything (Kafka: `retention.bytes`).
    pub retention_bytes: Option<u64>,
    /// ... or once their newest batch is this old; `None` keeps everything (`retention.ms`).
    pub retention: Option<Duration>,
    /// How often a leader looks for a segment to upload or delete when it found none.
    pub archive_check_interval: Duration,
    /// Retriable failures allowed for one upload attempt before it is abandoned and started
    /// again under a new object id (the retry budget).
    pub upload_attempts_max: u32,
    /// Backoff between retries: doubling from the initial value up to the maximum, each
    /// wait drawn uniformly from its upper half (jitter), so that brokers do not retry in
    /// lockstep after a store outage.
    pub upload_backoff_initial: Duration,
    pub upload_backoff_max: Duration,
    /// How often a leader lists its partition's objects looking for orphans.
    pub orphan_check_interval: Duration,
    /// An object no record points to is deleted once it is this old: long enough that an
    /// upload whose `CopyStarted` is still on its way is never mistaken for an orphan.
    pub orphan_grace: Duration,
    /// Bytes of remote segment data (and indexes) a broker keeps for remote reads.
    pub remote_cache_bytes: u64,
    /// How long the tier-metadata consumer long-polls each tier partition.
    pub materializer_fetch_max_wait: Duration,
    /// How long a write to the tier-metadata topic may take before it is retried.
    pub publish_timeout: Duration,
    pub store: NetworkObjectStoreParams,
}

impl Default for TierParams {
    fn default() -> Self {
        TierParams {
            enabled: false,
            tier_partition_count: 3,
            local_retention_bytes: 512 * 1024,
            local_retention: Duration::from_secs(120),
            retention_bytes: None,
            retention: None,
            archive_check_interval: Duration::from_secs(1),
            upload_attempts_max: 5,
            upload_backoff_initial: Duration::from_millis(200),
            upload_backoff_max: Duration::from_secs(10),
            orphan_check_interval: Duration::from_secs(30),
            orphan_grace: Duration::from_secs(60),
            remote_cache_bytes: 1024 * 1024,
            materializer_fetch_max_wait: Duration::from_millis(500),
            publish_timeout: Duration::from_secs(5),
            store: NetworkObjectStoreParams::default(),
        }
    }
}
