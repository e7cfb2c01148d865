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
    pub target: Spanned<Target>,
    pub to: Option<Spanned<Target>>,
    pub one_way: Option<Spanned<bool>>,
    pub delay: Option<Spanned<DurationValue>>,
    pub latency_multiplier: Option<Spanned<f64>>,
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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSwarm {
    pub brokers_per_zone: Spanned<(usize, usize)>,
    pub fault_kinds_max: Option<Spanned<usize>>,
}
