//! The scenario file exactly as written, before its values are checked against each other.
//! Every table rejects keys it does not know, so a typo is an error, not a silent default.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

use super::fault_keys::ExtraKey;
use super::values::{DurationValue, Target};
use crate::faults::FaultKind;

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

/// A `[[faults]]` entry: the keys every fault has, and its kind's own keys (read by the kind,
/// see `fault_keys.rs`).
#[derive(Debug)]
pub struct RawFault {
    pub at: Spanned<DurationValue>,
    pub lasting: Option<Spanned<DurationValue>>,
    pub kind: Spanned<FaultKind>,
    /// Required, except for the object-store kinds (whose only target is the store).
    pub target: Option<Spanned<Target>>,
    pub to: Option<Spanned<Target>>,
    pub extra: Vec<ExtraKey>,
}

/// The keys of every `[[faults]]` entry; any other key is the kind's.
pub const FAULT_KEYS: [&str; 5] = ["at", "for", "kind", "target", "to"];

impl<'de> Deserialize<'de> for RawFault {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> Visitor<'de> for Entry {
            type Value = RawFault;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a fault table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFault, A::Error> {
                let (mut at, mut lasting, mut kind, mut target, mut to) = (None, None, None, None, None);
                let mut extra = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "at" => at = Some(map.next_value()?),
                        "for" => lasting = Some(map.next_value()?),
                        "kind" => kind = Some(map.next_value()?),
                        "target" => target = Some(map.next_value()?),
                        "to" => to = Some(map.next_value()?),
                        _ => extra.push(extra_key(key, map.next_value()?)),
                    }
                }
                Ok(RawFault {
                    at: at.ok_or_else(|| de::Error::missing_field("at"))?,
                    lasting,
                    kind: kind.ok_or_else(|| de::Error::missing_field("kind"))?,
                    target,
                    to,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(Entry)
    }
}

fn extra_key(key: Spanned<String>, value: Spanned<toml::Value>) -> ExtraKey {
    ExtraKey {
        key_span: key.span(),
        key: key.into_inner(),
        value_span: value.span(),
        value: value.into_inner(),
    }
}

/// `[random_faults]`: the keys of the schedule and its budget, and the kinds' own keys for
/// their drawn parameters (read by the kinds).
#[derive(Debug)]
pub struct RawRandomFaults {
    pub kinds: Spanned<Vec<FaultKind>>,
    pub mean_interval: DurationValue,
    pub duration_min: DurationValue,
    pub duration_max: DurationValue,
    pub zones_affected_max: Option<Spanned<usize>>,
    pub nodes_down_max: Option<Spanned<usize>>,
    pub after_heal_probability: Option<Spanned<f64>>,
    pub after_heal_within: Option<Spanned<DurationValue>>,
    pub bounce_probability: Option<Spanned<f64>>,
    pub bounce_max: Option<Spanned<DurationValue>>,
    pub zones_touched_max: Option<Spanned<usize>>,
    pub overlap_probability: Option<Spanned<f64>>,
    pub overlap_within: Option<Spanned<DurationValue>>,
    pub overlap_kinds: Option<Spanned<Vec<FaultKind>>>,
    pub chase_every: Option<Spanned<DurationValue>>,
    pub chase_steps_max: Option<Spanned<usize>>,
    pub chase_gap_min: Option<Spanned<DurationValue>>,
    pub chase_gap_max: Option<Spanned<DurationValue>>,
    pub extra: Vec<ExtraKey>,
}

/// The keys of `[random_faults]` itself; any other key is a kind's.
pub const RANDOM_FAULTS_KEYS: [&str; 18] = [
    "kinds",
    "mean_interval",
    "duration_min",
    "duration_max",
    "zones_affected_max",
    "nodes_down_max",
    "after_heal_probability",
    "after_heal_within",
    "bounce_probability",
    "bounce_max",
    "zones_touched_max",
    "overlap_probability",
    "overlap_within",
    "overlap_kinds",
    "chase_every",
    "chase_steps_max",
    "chase_gap_min",
    "chase_gap_max",
];

impl<'de> Deserialize<'de> for RawRandomFaults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Table;
        impl<'de> Visitor<'de> for Table {
            type Value = RawRandomFaults;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [random_faults] table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRandomFaults, A::Error> {
                let (mut kinds, mut mean_interval, mut duration_min, mut duration_max) =
                    (None, None, None, None);
                let (mut zones_affected_max, mut nodes_down_max) = (None, None);
                let (mut after_heal_probability, mut after_heal_within) = (None, None);
                let (mut bounce_probability, mut bounce_max) = (None, None);
                let (mut zones_touched_max, mut overlap_probability, mut overlap_within) = (None, None, None);
                let mut overlap_kinds = None;
                let (mut chase_every, mut chase_steps_max) = (None, None);
                let (mut chase_gap_min, mut chase_gap_max) = (None, None);
                let mut extra = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "kinds" => kinds = Some(map.next_value()?),
                        "mean_interval" => mean_interval = Some(map.next_value()?),
                        "duration_min" => duration_min = Some(map.next_value()?),
                        "duration_max" => duration_max = Some(map.next_value()?),
                        "zones_affected_max" => zones_affected_max = Some(map.next_value()?),
                        "nodes_down_max" => nodes_down_max = Some(map.next_value()?),
                        "after_heal_probability" => after_heal_probability = Some(map.next_value()?),
                        "after_heal_within" => after_heal_within = Some(map.next_value()?),
                        "bounce_probability" => bounce_probability = Some(map.next_value()?),
                        "bounce_max" => bounce_max = Some(map.next_value()?),
                        "zones_touched_max" => zones_touched_max = Some(map.next_value()?),
                        "overlap_probability" => overlap_probability = Some(map.next_value()?),
                        "overlap_within" => overlap_within = Some(map.next_value()?),
                        "overlap_kinds" => overlap_kinds = Some(map.next_value()?),
                        "chase_every" => chase_every = Some(map.next_value()?),
                        "chase_steps_max" => chase_steps_max = Some(map.next_value()?),
                        "chase_gap_min" => chase_gap_min = Some(map.next_value()?),
                        "chase_gap_max" => chase_gap_max = Some(map.next_value()?),
                        _ => extra.push(extra_key(key, map.next_value()?)),
                    }
                }
                Ok(RawRandomFaults {
                    kinds: kinds.ok_or_else(|| de::Error::missing_field("kinds"))?,
                    mean_interval: mean_interval.ok_or_else(|| de::Error::missing_field("mean_interval"))?,
                    duration_min: duration_min.ok_or_else(|| de::Error::missing_field("duration_min"))?,
                    duration_max: duration_max.ok_or_else(|| de::Error::missing_field("duration_max"))?,
                    zones_affected_max,
                    nodes_down_max,
                    after_heal_probability,
                    after_heal_within,
                    bounce_probability,
                    bounce_max,
                    zones_touched_max,
                    overlap_probability,
                    overlap_within,
                    overlap_kinds,
                    chase_every,
                    chase_steps_max,
                    chase_gap_min,
                    chase_gap_max,
                    extra,
                })
            }
        }
        deserializer.deserialize_map(Table)
    }
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
