//! A scenario as the executor runs it: every value checked, every default filled in.

use std::path::PathBuf;
use std::time::Duration;

use korasim_core::health::HealthParams;

use super::values::Target;
use crate::devices::object_store::ObjectStoreConfig;
use crate::faults::{FaultKind, ParamValues};
use crate::workloads::Acks;
use crate::world::Topology;
use crate::world::WorldParams;

#[derive(Debug, Clone)]
pub struct ScenarioSpec {
    pub name: String,
    pub description: String,
    pub file: PathBuf,
    pub topology: Topology,
    pub topics: Vec<TopicSpec>,
    pub workload: WorkloadSpec,
    pub run: RunSpec,
    pub faults: Vec<FaultSpec>,
    pub random_faults: Option<RandomFaultSpec>,
    pub expect: ExpectSpec,
    /// Fault points inside the system under test fire (see `korasim_core::buggify`).
    pub buggify: bool,
    pub swarm: Option<SwarmSpec>,
    /// Tiered storage and its object store; `None`: off (no object store in the world).
    pub tiered_storage: Option<TieredStorageSpec>,
    /// The health-check agent and degradation detector; `None`: not running.
    pub detector: Option<HealthParams>,
}

/// `[tiered_storage]` and `[object_store]`, every default filled in (from the brokers'
/// `TierParams` and `LogParams`, and from `ObjectStoreConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct TieredStorageSpec {
    /// The partition log's `segment_bytes_max`: segments roll (and become tierable) at this
    /// size.
    pub segment_bytes_max: u64,
    pub local_retention_bytes: u64,
    pub local_retention: Duration,
    pub retention_bytes: Option<u64>,
    pub retention: Option<Duration>,
    pub orphan_grace: Duration,
    pub orphan_check_interval: Duration,
    pub upload_attempts_max: u32,
    pub tier_partition_count: u32,
    pub object_store: ObjectStoreConfig,
}

impl TieredStorageSpec {
    /// Turns tiering on in `params`: the object store's node and the brokers' tier and log
    /// thresholds.
    pub fn apply_to(&self, params: &mut WorldParams) {
        params.object_store = Some(self.object_store.clone());
        params.broker.log.segment_bytes_max = self.segment_bytes_max;
        let tier = &mut params.broker.tier;
        tier.enabled = true;
        tier.local_retention_bytes = self.local_retention_bytes;
        tier.local_retention = self.local_retention;
        tier.retention_bytes = self.retention_bytes;
        tier.retention = self.retention;
        tier.orphan_grace = self.orphan_grace;
        tier.orphan_check_interval = self.orphan_check_interval;
        tier.upload_attempts_max = self.upload_attempts_max;
        tier.tier_partition_count = self.tier_partition_count;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: usize,
    pub min_insync_replicas: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadSpec {
    /// Create a new topic this often during the safety phase (metadata churn).
    pub topic_churn_every: Option<Duration>,
    /// Producers and consumers on one topic, recording the client history the oracle judges.
    pub data: Option<DataWorkloadSpec>,
}

/// Producers and consumers of one topic.
#[derive(Debug, Clone, PartialEq)]
pub struct DataWorkloadSpec {
    pub topic: String,
    pub partitions: u32,
    /// Over all producers together.
    pub records_per_second: f64,
    pub producers: usize,
    pub record_size_bytes: usize,
    pub acks: Acks,
    pub idempotent: bool,
    /// Consumers tailing every partition during the run (a final read happens regardless).
    pub consumers: usize,
    /// Kafka's `linger.ms`: how long a producer waits for more records to fill a batch.
    pub linger: Duration,
    /// Extra load from one more producer with `acks=1`, whose writes Kafka does not promise
    /// to keep; `None` for none. Unlike `acks=all` producers it is not slowed down by a slow
    /// follower, so a follower that cannot keep up falls behind.
    pub background_records_per_second: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// How long to wait for the cluster to come up before the scenario starts.
    pub startup_deadline: Duration,
    /// The safety phase: faults on.
    pub safety: Duration,
    /// The liveness phase: faults healed, the cluster must converge.
    pub liveness: Duration,
}

/// A fault at a fixed time (from the start of the safety phase).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub at: Duration,
    /// Healed after this long; `None` lasts until the liveness phase heals everything.
    pub lasting: Option<Duration>,
    pub action: FaultAction,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultAction {
    pub kind: FaultKind,
    pub target: Target,
    /// The other end, for kinds with a far end (partitions, slow links).
    pub to: Option<Target>,
    /// The kind's own parameters (a slow link's `delay`, a storm's `error_rate`).
    pub params: ParamValues,
}

/// Faults drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaultSpec {
    pub kinds: Vec<FaultKind>,
    pub mean_interval: Duration,
    pub duration_min: Duration,
    pub duration_max: Duration,
    pub budget: FaultBudget,
    /// The share of healed faults followed by another fault within `after_heal_within` of
    /// the heal (0: none).
    pub after_heal_probability: f64,
    pub after_heal_within: Duration,
    /// The share of drawn faults that are bounces: they last from 0.5 s to `bounce_max`
    /// instead of `duration_min` to `duration_max` (0: none).
    pub bounce_probability: f64,
    pub bounce_max: Duration,
    /// The share of drawn faults during which another fault strikes, within
    /// `overlap_within` of its start (0: none).
    pub overlap_probability: f64,
    pub overlap_within: Duration,
    /// The kinds a joining fault is drawn from (by default `kinds`).
    pub overlap_kinds: Vec<FaultKind>,
    /// Chases of one partition's leadership (`None`: none).
    pub chase: Option<ChaseSpec>,
    /// The kinds' drawn parameters (`slow_link_delay`, `disk_latency_multiplier`, ...).
    pub params: ParamValues,
}

/// Chases (`chase_every`): from time to time the seed picks a partition of the scenario's
/// topics and strikes whoever leads it, again and again as leadership moves (Jepsen's
/// "kill the leader", aimed at one partition), while its last in-sync follower is paused
/// around some of the handovers. Fast successive failovers on one replica set are what leave
/// a follower with an epoch its next leader never saw (KIP-279).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChaseSpec {
    /// The mean time between the starts of two chases (exponential gaps).
    pub every: Duration,
    /// The most leaders one chase strikes, one after another (at least 2).
    pub steps_max: usize,
    /// The shortest gap between two strikes of one chase: about the broker session timeout,
    /// so that the struck leader's successor leads by the next strike.
    pub gap_min: Duration,
    /// The longest gap between two strikes of one chase.
    pub gap_max: Duration,
}

/// Limits that keep a no-data-loss scenario honest: it never destroys every copy of anything.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultBudget {
    /// How many zones may have a fault active at once (1: at most one zone at a time, so a
    /// majority of controllers and two replicas of every partition always survive).
    pub zones_affected_max: usize,
    /// How many nodes may be down or cut off at once.
    pub nodes_down_max: usize,
    /// How many zones any fault may touch at once, counting the faults that keep every copy
    /// up to date (a slow link or disk, a pause); at least `zones_affected_max`, which then
    /// counts only the zones where a fault takes copies down.
    pub zones_touched_max: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectSpec {
    /// Names of the checkers that judge the run.
    pub checkers: Vec<String>,
    pub active_controller_within: Option<Duration>,
    pub stale_controller_steps_down_within: Option<Duration>,
    pub broker_fenced_within: Option<Duration>,
    pub converge: bool,
    pub topics_survive: bool,
    pub no_false_alarms: bool,
    pub no_fencing: bool,
    /// A broker whose disk is slowed is out of the ISR of every partition it was in within
    /// this long.
    pub slowed_broker_leaves_isr_within: Option<Duration>,
    /// `acks=all` produce latency p99 per 10 s window, outside `produce_p99_grace` after each
    /// fault began, stays at most this.
    pub produce_p99_max: Option<Duration>,
    pub produce_p99_grace: Duration,
    /// After each object-store fault heals, every partition's upload backlog is down to at
    /// most one segment within this long.
    pub upload_backlog_drains_within: Option<Duration>,
    /// During each object-store outage the brokers' local bytes rise, and by the end of the
    /// run they fall well below the peak.
    pub local_bytes_rise_and_fall: bool,
    /// A broker whose disk stalls is restarted by its storage health manager within this
    /// long, and stays fenced and out of every ISR until the stall ends.
    pub stalled_broker_restarted_within: Option<Duration>,
    /// A broker cut off from the clients (a `partition` to `"clients"`) is demoted by the
    /// detector within this long, and leads no replicated partition from then until the
    /// mark is lifted.
    pub demoted_within: Option<Duration>,
    /// The detector escalates (pages a human) within this long after the first fault.
    pub escalated_within: Option<Duration>,
    /// At most this many mitigations in the whole run (0: no false alarms).
    pub mitigations_max: Option<u64>,
    /// Every corruption fault (`flip-bit`, `trim-log-prefix`, `corrupt-object`) is reported by
    /// a durability audit within this long.
    pub audit_detects_within: Option<Duration>,
    /// ... and repaired within this long of the fault: the corrupt replica left the ISR (and
    /// leadership), rebuilt and rejoined it; the corrupt object was written again.
    pub repaired_within: Option<Duration>,
}

/// The seed also chooses the topology and the fault mix.
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmSpec {
    pub brokers_per_zone_min: usize,
    pub brokers_per_zone_max: usize,
    pub fault_kinds_max: usize,
}
