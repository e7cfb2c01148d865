//! The small value types of scenario files: durations ("15s", "2m 30s") and fault targets
//! (fault kinds are `crate::faults::FaultKind`). Each parses itself during deserialization so that a bad value is reported
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
        parse_duration(&text)
            .map(DurationValue)
            .map_err(de::Error::custom)
    }
}

/// A duration as scenario files write it, or what is wrong with it.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| {
        format!("`{text}` is not a duration ({error}); write it like \"500ms\", \"15s\" or \"2m 30s\"")
    })?;
    if duration > DURATION_MAX {
        return Err(format!(
            "`{text}` is longer than a scenario can use (at most 365 days); write a shorter duration"
        ));
    }
    Ok(duration)
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
    /// "successor-of:broker-3": resolved when the fault fires, the broker that takes over
    /// most of the partitions the named broker leads (the first other member of their ISRs,
    /// as the controller picks): the one a failover from it lands on.
    SuccessorOf(String),
    /// "leader-of:orders-3": resolved when the fault fires, the broker leading partition 3 of
    /// topic `orders` (nothing when it has no leader).
    LeaderOf(String, u32),
    /// "follower-of:orders-3": resolved when the fault fires, the in-sync follower of that
    /// partition a failover would pick last (the last ISR member other than the leader): the
    /// replica that goes on following while the others take turns leading.
    FollowerOf(String, u32),
    /// "next-leader-of:orders-3": resolved when the fault fires, the broker the controller
    /// would elect if the leader failed now (the first ISR member other than the leader).
    NextLeaderOf(String, u32),
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
\"random-controller\", \"random-broker\", \"successor-of:broker-<n>\", \"leader-of:<topic>-<partition>\", \"follower-of:<topic>-<partition>\", \"next-leader-of:<topic>-<partition>\", \"zone:<name>\", \"zone-of-active-controller\", \"random-zone\", \
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
            successor if successor.starts_with("successor-of:broker-") => {
                Target::SuccessorOf(successor["successor-of:".len()..].to_string())
            }
            role if role.starts_with("leader-of:")
                || role.starts_with("follower-of:")
                || role.starts_with("next-leader-of:") =>
            {
                let (form, partition) = role.split_once(':').unwrap_or_default();
                let Some((topic, index)) = partition
                    .rsplit_once('-')
                    .and_then(|(topic, index)| Some((topic, index.parse::<u32>().ok()?)))
                    .filter(|(topic, _)| !topic.is_empty())
                else {
                    return Err(de::Error::custom(format!(
                        "`{role}` does not name a partition; write {form}:<topic>-<partition>, e.g. \"{form}:orders-3\""
                    )));
                };
                match form {
                    "leader-of" => Target::LeaderOf(topic.to_string(), index),
                    "next-leader-of" => Target::NextLeaderOf(topic.to_string(), index),
                    _ => Target::FollowerOf(topic.to_string(), index),
                }
            }
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
            Target::SuccessorOf(broker) => write!(f, "successor-of:{broker}"),
            Target::LeaderOf(topic, partition) => write!(f, "leader-of:{topic}-{partition}"),
            Target::FollowerOf(topic, partition) => write!(f, "follower-of:{topic}-{partition}"),
            Target::NextLeaderOf(topic, partition) => write!(f, "next-leader-of:{topic}-{partition}"),
            Target::Zone(zone) => write!(f, "zone:{zone}"),
            Target::ZoneOfActiveController => f.write_str("zone-of-active-controller"),
            Target::RandomZone => f.write_str("random-zone"),
            Target::ObjectStore => f.write_str("object-store"),
            Target::Clients => f.write_str("clients"),
        }
    }
}
