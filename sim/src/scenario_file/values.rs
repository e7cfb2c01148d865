//! The small value types of scenario files: durations ("15s", "2m 30s"), fault kinds and
//! fault targets. Each parses itself during deserialization so that a bad value is reported
//! at its own line and column.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// A duration written as text: "500ms", "15s", "2m 30s".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DurationValue(pub Duration);

/// The longest duration a scenario file may state: far beyond any run, and small enough that
/// adding a few of them to a simulated instant cannot overflow.
pub const DURATION_MAX: Duration = Duration::from_secs(365 * 24 * 3600);

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let duration = humantime::parse_duration(&text).map_err(|error| {
            de::Error::custom(format!(
                "`{text}` is not a duration ({error}); write it like \"500ms\", \"15s\" or \"2m 30s\""
            ))
        })?;
        if duration > DURATION_MAX {
            return Err(de::Error::custom(format!(
                "`{text}` is longer than a scenario can use (at most 365 days); write a shorter duration"
            )));
        }
        Ok(DurationValue(duration))
    }
}

/// The faults a scenario can inject, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The node crashes (unsynced writes lost); it restarts when the fault ends.
    Kill,
    /// The node asks for a clean shutdown (ctrl-c); it restarts when the fault ends.
    Shutdown,
    /// The node is cut off from every other node, both ways.
    Isolate,
    /// Traffic from `target` to `to` is dropped (both ways unless `one_way`).
    Partition,
    /// Messages from `target` to `to` take `delay` longer.
    SlowLink,
    /// Every node of the zone crashes; they restart when the fault ends.
    LoseZone,
    /// The zone is cut off from the rest of the region, both ways.
    IsolateZone,
    /// The node's disk is `latency_multiplier` times slower.
    DiskSlow,
    /// The node's disk makes no progress until the fault ends.
    DiskStall,
    /// The broker crashes and its whole disk is lost; it restarts, empty, when the fault ends.
    LoseDisk,
    /// The object store refuses every request (503, or no answer) until the fault ends.
    ObjectStoreOutage,
    /// A 503 storm: each object-store request fails with SlowDown with `error_rate`.
    ObjectStoreSlowdown,
    /// Every object-store request takes `latency_multiplier` times longer.
    ObjectStoreLatency,
    /// One byte of one stored segment object is silently changed (instantaneous).
    CorruptObject,
    /// One bit of a committed batch in a segment file of a partition the broker follows is
    /// silently flipped (instantaneous).
    FlipBit,
    /// The broker's own bug: as leader of a partition it deletes its local segments below the
    /// high watermark, which retention does not allow (armed at one instant; fires once).
    TrimLogPrefix,
    /// The same bug striking the broker as an in-sync follower of a partition: its log then
    /// starts above what retention allows while it stays in the ISR.
    TrimFollowerLogPrefix,
}

impl FaultKind {
    pub const ALL: [FaultKind; 17] = [
        FaultKind::Kill,
        FaultKind::Shutdown,
        FaultKind::Isolate,
        FaultKind::Partition,
        FaultKind::SlowLink,
        FaultKind::LoseZone,
        FaultKind::IsolateZone,
        FaultKind::DiskSlow,
        FaultKind::DiskStall,
        FaultKind::LoseDisk,
        FaultKind::ObjectStoreOutage,
        FaultKind::ObjectStoreSlowdown,
        FaultKind::ObjectStoreLatency,
        FaultKind::CorruptObject,
        FaultKind::FlipBit,
        FaultKind::TrimLogPrefix,
        FaultKind::TrimFollowerLogPrefix,
    ];

    /// Whether the fault's target is a zone rather than a node.
    pub fn targets_zone(self) -> bool {
        matches!(self, FaultKind::LoseZone | FaultKind::IsolateZone)
    }

    /// Whether the fault hits the object store (and so needs tiered storage).
    pub fn targets_object_store(self) -> bool {
        matches!(
            self,
            FaultKind::ObjectStoreOutage
                | FaultKind::ObjectStoreSlowdown
                | FaultKind::ObjectStoreLatency
                | FaultKind::CorruptObject
        )
    }

    /// Whether the fault happens at one instant and has nothing to heal.
    pub fn is_instantaneous(self) -> bool {
        matches!(
            self,
            FaultKind::CorruptObject
                | FaultKind::FlipBit
                | FaultKind::TrimLogPrefix
                | FaultKind::TrimFollowerLogPrefix
        )
    }

    /// Whether the fault needs a broker target (`broker-N` or `random-broker`).
    pub fn targets_broker_only(self) -> bool {
        matches!(
            self,
            FaultKind::Shutdown
                | FaultKind::LoseDisk
                | FaultKind::FlipBit
                | FaultKind::TrimLogPrefix
                | FaultKind::TrimFollowerLogPrefix
        )
    }

    /// Whether the fault corrupts data (an audit must find it): never drawn at random,
    /// because it is outside every fault budget.
    pub fn corrupts_data(self) -> bool {
        matches!(
            self,
            FaultKind::CorruptObject
                | FaultKind::FlipBit
                | FaultKind::TrimLogPrefix
                | FaultKind::TrimFollowerLogPrefix
        )
    }

    /// Whether the fault also needs a `to` target.
    pub fn needs_destination(self) -> bool {
        matches!(self, FaultKind::Partition | FaultKind::SlowLink)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            FaultKind::Kill => "kill",
            FaultKind::Shutdown => "shutdown",
            FaultKind::Isolate => "isolate",
            FaultKind::Partition => "partition",
            FaultKind::SlowLink => "slow-link",
            FaultKind::LoseZone => "lose-zone",
            FaultKind::IsolateZone => "isolate-zone",
            FaultKind::DiskSlow => "disk-slow",
            FaultKind::DiskStall => "disk-stall",
            FaultKind::LoseDisk => "lose-disk",
            FaultKind::ObjectStoreOutage => "object-store-outage",
            FaultKind::ObjectStoreSlowdown => "object-store-slowdown",
            FaultKind::ObjectStoreLatency => "object-store-latency",
            FaultKind::CorruptObject => "corrupt-object",
            FaultKind::FlipBit => "flip-bit",
            FaultKind::TrimLogPrefix => "trim-log-prefix",
            FaultKind::TrimFollowerLogPrefix => "trim-follower-log-prefix",
        };
        f.write_str(name)
    }
}

/// What a fault hits, resolved when the fault fires (so "active-controller" means the one
/// active at that moment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A node by name: "controller-2", "broker-5".
    Node(String),
    /// Every controller.
    Controllers,
    ActiveController,
    RandomController,
    RandomBroker,
    /// A zone by name: "zone:az-2".
    Zone(String),
    ZoneOfActiveController,
    RandomZone,
    /// The object store (with tiered storage on): the target of the object-store faults, and
    /// the far end (`to`) a partition or slow link may cut or slow.
    ObjectStore,
    /// Everything outside the cluster that acts as a client: the workload's and operator's
    /// node and the health-check agent on it. Only the far end (`to`) of a partition or slow
    /// link: a broker cut off from its clients but not from the cluster.
    Clients,
}

pub const TARGET_FORMS: &str =
    "a node name (\"broker-3\", \"controller-1\"), \"controllers\", \"active-controller\", \
\"random-controller\", \"random-broker\", \"zone:<name>\", \"zone-of-active-controller\", \"random-zone\", \
\"object-store\" or (as the `to` of a partition or slow-link) \"clients\"";

impl Target {
    pub fn is_zone(&self) -> bool {
        matches!(
            self,
            Target::Zone(_) | Target::ZoneOfActiveController | Target::RandomZone
        )
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let target = match text.as_str() {
            "controllers" => Target::Controllers,
            "active-controller" => Target::ActiveController,
            "random-controller" => Target::RandomController,
            "random-broker" => Target::RandomBroker,
            "zone-of-active-controller" => Target::ZoneOfActiveController,
            "random-zone" => Target::RandomZone,
            "object-store" => Target::ObjectStore,
            "clients" => Target::Clients,
            zone if zone.starts_with("zone:") => Target::Zone(zone["zone:".len()..].to_string()),
            node if node.starts_with("broker-") || node.starts_with("controller-") => {
                Target::Node(node.to_string())
            }
            other => {
                return Err(de::Error::custom(format!(
                    "unknown target `{other}`; a target is {TARGET_FORMS}"
                )))
            }
        };
        Ok(target)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Node(name) => f.write_str(name),
            Target::Controllers => f.write_str("controllers"),
            Target::ActiveController => f.write_str("active-controller"),
            Target::RandomController => f.write_str("random-controller"),
            Target::RandomBroker => f.write_str("random-broker"),
            Target::Zone(zone) => write!(f, "zone:{zone}"),
            Target::ZoneOfActiveController => f.write_str("zone-of-active-controller"),
            Target::RandomZone => f.write_str("random-zone"),
            Target::ObjectStore => f.write_str("object-store"),
            Target::Clients => f.write_str("clients"),
        }
    }
}
