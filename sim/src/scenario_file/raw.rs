//! The scenario file exactly as written, before its values are checked against each other.
//! Every table rejects keys it does not know, so a typo is an error, not a silent default.

use serde::Deserialize;
use toml::Spanned;

use super::values::{DurationValue, FaultKind, Target};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Spanned<String>,
    pub description: String,
    #[serde(default)]
    pub topology: Option<Spanned<RawTopology>>,
    #[serde(default)]
    pub topics: Vec<Spanned<RawTopic>>,
    #[serde(default)]
    pub workload: RawWorkload,
    pub run: RawRun,
    #[serde(default)]
    pub faults: Vec<Spanned<RawFault>>,
    pub random_faults: Option<Spanned<RawRandomFaults>>,
    #[serde(default)]
    pub expect: RawExpect,
    #[serde(default)]
    pub buggify: bool,
    pub swarm: Option<Spanned<RawSwarm>>,
    pub tiered_storage: Option<Spanned<RawTieredStorage>>,
    pub object_store: Option<Spanned<RawObjectStore>>,
    pub detector: Option<Spanned<RawDetector>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopology {
    pub zones: Option<Spanned<Vec<String>>>,
    pub brokers_per_zone: Option<Spanned<usize>>,
    pub controllers: Option<Spanned<usize>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub name: String,
    pub partitions: Spanned<u32>,
    pub replication_factor: Option<Spanned<usize>>,
    pub min_insync_replicas: Option<Spanned<usize>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub topic_churn_every: Option<Spanned<DurationValue>>,
    pub topic: Option<Spanned<String>>,
    pub records_per_second: Option<Spanned<f64>>,
    pub producers: Option<Spanned<usize>>,
    pub record_size_bytes: Option<Spanned<usize>>,
    pub acks: Option<Spanned<String>>,
    pub idempotent: Option<bool>,
    pub consumers: Option<Spanned<usize>>,
    pub linger: Option<Spanned<DurationValue>>,
    pub background_records_per_second: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRun {
    pub safety: DurationValue,
    pub liveness: DurationValue,
    pub startup_deadline: Option<DurationValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    pub at: Spanned<DurationValue>,
    #[serde(rename = "for")]
    pub lasting: Option<Spanned<DurationValue>>,
    pub kind: Spanned<FaultKind>,
    /// Required, except for the object-store kinds (whose only target is the store).
    pub target: Option<Spanned<Target>>,
    pub to: Option<Spanned<Target>>,
    pub one_way: Option<Spanned<bool>>,
    pub delay: Option<Spanned<DurationValue>>,
    pub latency_multiplier: Option<Spanned<f64>>,
    pub error_rate: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRandomFaults {
    pub kinds: Spanned<Vec<FaultKind>>,
    pub mean_interval: DurationValue,
    pub duration_min: DurationValue,
    pub duration_max: DurationValue,
    pub zones_affected_max: Option<Spanned<usize>>,
    pub nodes_down_max: Option<Spanned<usize>>,
    pub slow_link_delay: Option<DurationValue>,
    pub disk_latency_multiplier: Option<Spanned<f64>>,
    pub object_store_error_rate: Option<Spanned<f64>>,
    pub object_store_latency_multiplier: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    pub checkers: Option<Spanned<Vec<String>>>,
    pub active_controller_within: Option<DurationValue>,
    pub stale_controller_steps_down_within: Option<DurationValue>,
    pub broker_fenced_within: Option<DurationValue>,
    pub converge: Option<bool>,
    pub topics_survive: Option<bool>,
    pub no_false_alarms: Option<bool>,
    pub no_fencing: Option<bool>,
    pub slowed_broker_leaves_isr_within: Option<DurationValue>,
    pub produce_p99_max: Option<DurationValue>,
    pub produce_p99_grace: Option<DurationValue>,
    pub upload_backlog_drains_within: Option<Spanned<DurationValue>>,
    pub local_bytes_rise_and_fall: Option<Spanned<bool>>,
    pub stalled_broker_restarted_within: Option<DurationValue>,
    pub demoted_within: Option<Spanned<DurationValue>>,
    pub escalated_within: Option<Spanned<DurationValue>>,
    pub mitigations_max: Option<Spanned<u64>>,
    pub audit_detects_within: Option<Spanned<DurationValue>>,
    pub repaired_within: Option<Spanned<DurationValue>>,
}

/// `[detector]`: its presence starts the health-check agent and the degradation detector.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDetector {
    pub evaluation_interval: Option<Spanned<DurationValue>>,
    pub no_progress_rounds: Option<Spanned<u32>>,
    pub slow_rounds: Option<Spanned<u32>>,
    pub recovery_rounds: Option<Spanned<u32>>,
    pub slow_factor: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSwarm {
    pub brokers_per_zone: Spanned<(usize, usize)>,
    pub fault_kinds_max: Option<Spanned<usize>>,
}

/// `[tiered_storage]`: its presence turns tiering on; every key is optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTieredStorage {
    pub segment_bytes: Option<Spanned<u64>>,
    pub local_retention_bytes: Option<Spanned<u64>>,
    pub local_retention: Option<Spanned<DurationValue>>,
    pub retention_bytes: Option<Spanned<u64>>,
    pub retention: Option<Spanned<DurationValue>>,
    pub orphan_grace: Option<Spanned<DurationValue>>,
    pub orphan_check_interval: Option<Spanned<DurationValue>>,
    pub upload_attempts_max: Option<Spanned<u32>>,
    pub tier_partitions: Option<Spanned<u32>>,
}

/// `[object_store]`: the store's own behaviour, every key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObjectStore {
    pub get_latency_median: Option<Spanned<DurationValue>>,
    pub get_latency_sigma: Option<Spanned<f64>>,
    pub put_latency_median: Option<Spanned<DurationValue>>,
    pub put_latency_sigma: Option<Spanned<f64>>,
    pub transfer_bytes_per_second: Option<Spanned<f64>>,
    pub writes_per_second_per_prefix: Option<Spanned<f64>>,
    pub reads_per_second_per_prefix: Option<Spanned<f64>>,
    pub write_burst_requests: Option<Spanned<f64>>,
    pub read_burst_requests: Option<Spanned<f64>>,
    pub internal_error_rate: Option<Spanned<f64>>,
    pub timeout_rate: Option<Spanned<f64>>,
    pub reset_rate: Option<Spanned<f64>>,
    pub multipart_threshold_bytes: Option<Spanned<u64>>,
    pub multipart_abort_after: Option<Spanned<DurationValue>>,
}
