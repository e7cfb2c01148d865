//! Turns a raw scenario into a [`ScenarioSpec`], rejecting values that cannot work together
//! (an impossible topology, a fault aimed at a node that does not exist, a deadline outside
//! the run) with the place in the file and a hint.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use toml::Spanned;

use super::error::ScenarioError;
use super::fault_keys::{FaultKeys, KeyTable};
use super::raw::{RawFault, RawRandomFaults, RawScenario, RawTopology};
use super::raw::{FAULT_KEYS, RANDOM_FAULTS_KEYS};
use super::spec::*;
use super::values::{Target, TARGET_FORMS};
use crate::checkers::checker_names;
use crate::faults::{FaultKind, TargetForm};
use crate::workloads::Acks;
use crate::world::Topology;

const ZONES_MAX: usize = 9;
const BROKERS_PER_ZONE_MAX: usize = 50;
const PARTITIONS_MAX: u32 = 10_000;
const DEFAULT_STARTUP_DEADLINE: Duration = Duration::from_secs(20);
const DEFAULT_RECORDS_PER_SECOND: f64 = 200.0;
const RECORDS_PER_SECOND_MAX: f64 = 100_000.0;
const PRODUCERS_MAX: usize = 64;
const CONSUMERS_MAX: usize = 8;
const DEFAULT_RECORD_SIZE_BYTES: usize = 100;
/// Kafka 4.0's default `linger.ms`.
const DEFAULT_LINGER: Duration = Duration::from_millis(5);
const LINGER_MAX: Duration = Duration::from_secs(1);
/// Long enough for a lagging follower to leave the ISR (`replica_lag_max`, 30 s) and then some.
const DEFAULT_PRODUCE_P99_GRACE: Duration = Duration::from_secs(60);
const RECORD_SIZE_BYTES_MIN: usize = 16;
const RECORD_SIZE_BYTES_MAX: usize = 1024 * 1024;
const NO_TIERED_STORAGE_HINT: &str =
    "add a [tiered_storage] table: its presence turns tiering on and adds the object store (scenarios/REFERENCE.md)";

/// Which end of a fault a target names: the object store may be the far end (`to`) of a
/// partition or slow link, never the near one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Target,
    To,
}

/// Checks a scenario read from `file` (whose text is `text`, for locating errors).
pub struct Validator<'a> {
    pub file: &'a Path,
    pub text: &'a str,
}

impl Validator<'_> {
    pub(super) fn error(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.text, Some(span), message)
    }

    pub fn validate(&self, raw: RawScenario) -> Result<ScenarioSpec, ScenarioError> {
        let stem = self
            .file
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default();
        if raw.name.get_ref() != stem {
            return Err(self
                .error(raw.name.span(), format!("the scenario is named `{}` but its file is `{stem}.toml`", raw.name.get_ref()))
                .with_hint(format!("name the scenario `{stem}` or rename the file; `korasim run NAME` finds scenarios by file name")));
        }
        let topology = self.topology(raw.topology.as_ref())?;
        let topics = self.topics(&raw, &topology)?;
        let run = RunSpec {
            startup_deadline: raw
                .run
                .startup_deadline
                .map_or(DEFAULT_STARTUP_DEADLINE, |value| value.0),
            safety: raw.run.safety.0,
            liveness: raw.run.liveness.0,
        };
        if let Some(every) = &raw.workload.topic_churn_every {
            if every.get_ref().0.is_zero() {
                return Err(self
                    .error(every.span(), "topic_churn_every must be longer than zero")
                    .with_hint("e.g. \"5s\""));
            }
        }
        // A swarm may shrink the topology to its smallest size, so fixed faults must name
        // nodes that exist even then.
        let smallest_topology = match &raw.swarm {
            Some(swarm) => Topology {
                brokers_per_zone: swarm.get_ref().brokers_per_zone.get_ref().0.max(1),
                ..topology.clone()
            },
            None => topology.clone(),
        };
        let tiered_storage = self.tiered_storage(&raw)?;
        let tiered = tiered_storage.is_some();
        let faults = raw
            .faults
            .iter()
            .map(|fault| self.fault(fault, &smallest_topology, &run, tiered, &topics))
            .collect::<Result<Vec<_>, _>>()?;
        let random_faults = raw
            .random_faults
            .as_ref()
            .map(|random| self.random_faults(random, tiered))
            .transpose()?;
        let detector = self.detector(&raw)?;
        let expect = self.expect(&raw, tiered, detector.is_some())?;
        let data = self.data_workload(&raw, &topics)?;
        let swarm = match &raw.swarm {
            None => None,
            Some(swarm) => {
                let (minimum, maximum) = *swarm.get_ref().brokers_per_zone.get_ref();
                if minimum == 0 || minimum > maximum || maximum > BROKERS_PER_ZONE_MAX {
                    return Err(self
                        .error(swarm.get_ref().brokers_per_zone.span(), format!("brokers_per_zone range [{minimum}, {maximum}] is not a range of 1 to {BROKERS_PER_ZONE_MAX}"))
                        .with_hint("write it as [smallest, largest], e.g. [1, 3]"));
                }
                if random_faults.is_none() {
                    return Err(self
                        .error(
                            swarm.span(),
                            "a swarm scenario draws its faults from [random_faults], which is missing",
                        )
                        .with_hint(
                            "add a [random_faults] table listing the kinds the seed may choose from",
                        ));
                }
                let fault_kinds_max = match &swarm.get_ref().fault_kinds_max {
                    Some(count) if *count.get_ref() == 0 => {
                        return Err(self
                            .error(count.span(), "fault_kinds_max must be at least 1")
                            .with_hint("it is how many of the [random_faults] kinds a seed may pick"))
                    }
                    Some(count) => *count.get_ref(),
                    None => FaultKind::all().count(),
                };
                Some(SwarmSpec {
                    brokers_per_zone_min: minimum,
                    brokers_per_zone_max: maximum,
                    fault_kinds_max,
                })
            }
        };
        Ok(ScenarioSpec {
            name: raw.name.into_inner(),
            description: raw.description,
            file: self.file.to_path_buf(),
            topology,
            topics,
            workload: WorkloadSpec {
                topic_churn_every: raw
                    .workload
                    .topic_churn_every
                    .as_ref()
                    .map(|value| value.get_ref().0),
                data,
            },
            run,
            faults,
            random_faults,
            expect,
            buggify: raw.buggify,
            swarm,
            tiered_storage,
            detector,
        })
    }

    /// The producers and consumers of `[workload]`, if it names a topic.
    fn data_workload(
        &self,
        raw: &RawScenario,
        topics: &[TopicSpec],
    ) -> Result<Option<DataWorkloadSpec>, ScenarioError> {
        let workload = &raw.workload;
        let Some(topic) = &workload.topic else {
            let stray = [
                workload
                    .records_per_second
                    .as_ref()
                    .map(|v| ("records_per_second", v.span())),
                workload.producers.as_ref().map(|v| ("producers", v.span())),
                workload
                    .record_size_bytes
                    .as_ref()
                    .map(|v| ("record_size_bytes", v.span())),
                workload.acks.as_ref().map(|v| ("acks", v.span())),
                workload.consumers.as_ref().map(|v| ("consumers", v.span())),
                workload.linger.as_ref().map(|v| ("linger", v.span())),
                workload
                    .background_records_per_second
                    .as_ref()
                    .map(|v| ("background_records_per_second", v.span())),
            ];
            if let Some((key, span)) = stray.into_iter().flatten().next() {
                return Err(self
                    .error(
                        span,
                        format!("`{key}` describes producers, but [workload] names no topic to produce to"),
                    )
                    .with_hint("add `topic = \"NAME\"` naming one of the [[topics]]"));
            }
            return Ok(None);
        };
        let Some(spec) = topics.iter().find(|t| &t.name == topic.get_ref()) else {
            let known: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
            return Err(self
                .error(
                    topic.span(),
                    format!(
                        "workload topic `{}` is not one of the [[topics]]",
                        topic.get_ref()
                    ),
                )
                .with_hint(if known.is_empty() {
                    "add a [[topics]] table for it".to_string()
                } else {
                    format!("declared topics: {}", known.join(", "))
                }));
        };
        let rate = |value: &Spanned<f64>, key: &str| {
            let rate = *value.get_ref();
            if rate.is_finite() && rate > 0.0 && rate <= RECORDS_PER_SECOND_MAX {
                Ok(rate)
            } else {
                Err(self
                    .error(
                        value.span(),
                        format!("{key} must be above 0 and at most {RECORDS_PER_SECOND_MAX}"),
                    )
                    .with_hint("e.g. 200 (over all producers together)"))
            }
        };
        let records_per_second = match &workload.records_per_second {
            None => DEFAULT_RECORDS_PER_SECOND,
            Some(value) => rate(value, "records_per_second")?,
        };
        let background_records_per_second = workload
            .background_records_per_second
            .as_ref()
            .map(|value| rate(value, "background_records_per_second"))
            .transpose()?;
        let count =
            |value: &Option<Spanned<usize>>, key: &str, default: usize, minimum: usize, maximum: usize| {
                match value {
                    None => Ok(default),
                    Some(n) if (minimum..=maximum).contains(n.get_ref()) => Ok(*n.get_ref()),
                    Some(n) => Err(self.error(n.span(), format!("{key} must be {minimum} to {maximum}"))),
                }
            };
        let producers = count(&workload.producers, "producers", 1, 1, PRODUCERS_MAX)?;
        let consumers = count(&workload.consumers, "consumers", 1, 0, CONSUMERS_MAX)?;
        let record_size_bytes = count(
            &workload.record_size_bytes,
            "record_size_bytes",
            DEFAULT_RECORD_SIZE_BYTES,
            RECORD_SIZE_BYTES_MIN,
            RECORD_SIZE_BYTES_MAX,
        )?;
        let acks = match workload.acks.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
            None | Some(("all", _)) => Acks::All,
            Some(("leader", _)) => Acks::Leader,
            Some(("none", _)) => Acks::None,
            Some((other, span)) => {
                return Err(self
                    .error(span, format!("acks `{other}` is not known"))
                    .with_hint("write \"all\" (Kafka acks=-1), \"leader\" (acks=1) or \"none\" (acks=0)"))
            }
        };
        let linger = match &workload.linger {
            None => DEFAULT_LINGER,
            Some(value) if value.get_ref().0 <= LINGER_MAX => value.get_ref().0,
            Some(value) => {
                return Err(self
                    .error(value.span(), "linger must be at most 1s")
                    .with_hint("Kafka's linger.ms is usually 5 to 100 ms"))
            }
        };
        Ok(Some(DataWorkloadSpec {
            topic: spec.name.clone(),
            partitions: spec.partitions,
            records_per_second,
            producers,
            record_size_bytes,
            acks,
            idempotent: workload.idempotent.unwrap_or(true),
            consumers,
            linger,
            background_records_per_second,
        }))
    }

    fn topology(&self, raw: Option<&Spanned<RawTopology>>) -> Result<Topology, ScenarioError> {
        let mut topology = Topology::default();
        let Some(raw) = raw else { return Ok(topology) };
        if let Some(zones) = &raw.get_ref().zones {
            let names = zones.get_ref();
            let distinct: BTreeSet<&String> = names.iter().collect();
            if names.is_empty() || names.len() > ZONES_MAX || distinct.len() != names.len() {
                return Err(self
                    .error(
                        zones.span(),
                        format!("zones must be 1 to {ZONES_MAX} distinct names, got {names:?}"),
                    )
                    .with_hint("e.g. zones = [\"az-1\", \"az-2\", \"az-3\"]"));
            }
            topology.zones = names.clone();
        }
        if let Some(brokers) = &raw.get_ref().brokers_per_zone {
            if *brokers.get_ref() == 0 || *brokers.get_ref() > BROKERS_PER_ZONE_MAX {
                return Err(self.error(
                    brokers.span(),
                    format!("brokers_per_zone must be 1 to {BROKERS_PER_ZONE_MAX}"),
                ));
            }
            topology.brokers_per_zone = *brokers.get_ref();
        }
        if let Some(controllers) = &raw.get_ref().controllers {
            if *controllers.get_ref() != topology.zones.len() {
                return Err(self
                    .error(controllers.span(), format!("{} controllers cannot be laid out one per zone over {} zones", controllers.get_ref(), topology.zones.len()))
                    .with_hint("the quorum has one controller per zone: leave `controllers` out or make it equal to the number of zones"));
            }
        }
        Ok(topology)
    }

    fn topics(&self, raw: &RawScenario, topology: &Topology) -> Result<Vec<TopicSpec>, ScenarioError> {
        let mut names = BTreeSet::new();
        let mut topics = Vec::new();
        for topic in &raw.topics {
            let value = topic.get_ref();
            if value.name.is_empty() || !names.insert(value.name.clone()) {
                return Err(self.error(
                    topic.span(),
                    format!("topic name `{}` is empty or used twice", value.name),
                ));
            }
            let partitions = *value.partitions.get_ref();
            if partitions == 0 || partitions > PARTITIONS_MAX {
                return Err(self.error(
                    value.partitions.span(),
                    format!("partitions must be 1 to {PARTITIONS_MAX}"),
                ));
            }
            let replication_factor = value.replication_factor.as_ref().map_or(3, |rf| *rf.get_ref());
            let replication_span = value
                .replication_factor
                .as_ref()
                .map_or(topic.span(), |rf| rf.span());
            if replication_factor == 0 || replication_factor > topology.zones.len() {
                return Err(self
                    .error(replication_span, format!("impossible topology: replication factor {replication_factor} needs {replication_factor} zones (one replica per zone), the topology has {}", topology.zones.len()))
                    .with_hint("lower replication_factor or add zones to [topology]"));
            }
            let min_insync_replicas = value
                .min_insync_replicas
                .as_ref()
                .map_or(2.min(replication_factor), |min| *min.get_ref());
            if min_insync_replicas == 0 || min_insync_replicas > replication_factor {
                let span = value
                    .min_insync_replicas
                    .as_ref()
                    .map_or(topic.span(), |min| min.span());
                return Err(self
                    .error(span, format!("min_insync_replicas {min_insync_replicas} must be between 1 and the replication factor {replication_factor}"))
                    .with_hint("Kora runs replication factor 3 with min_insync_replicas 2"));
            }
            topics.push(TopicSpec {
                name: value.name.clone(),
                partitions,
                replication_factor,
                min_insync_replicas,
            });
        }
        Ok(topics)
    }

    fn target(
        &self,
        target: &Spanned<Target>,
        kind: FaultKind,
        end: End,
        topology: &Topology,
        tiered: bool,
    ) -> Result<Target, ScenarioError> {
        let value = target.get_ref().clone();
        let is_store = value == Target::ObjectStore;
        let is_clients = value == Target::Clients;
        if is_clients && !(end == End::To && kind.needs_destination()) {
            return Err(self
                .error(
                    target.span(),
                    format!("fault `{kind}` cannot target the clients"),
                )
                .with_hint("\"clients\" is only the `to` of a partition or slow-link: write target = \"broker-N\", to = \"clients\""));
        }
        let form_fits = if kind.targets_object_store() {
            is_store
        } else if kind.targets_zone() {
            value.is_zone()
        } else {
            !value.is_zone() && (!is_store || end == End::To)
        };
        if !form_fits {
            let (wanted, hint) = if kind.targets_object_store() {
                (
                    "the object store".to_string(),
                    "leave `target` out (or write \"object-store\")".to_string(),
                )
            } else if kind.targets_zone() {
                (
                    "a zone (\"zone:<name>\", \"zone-of-active-controller\" or \"random-zone\")".to_string(),
                    format!("a target is {TARGET_FORMS}"),
                )
            } else if is_store {
                (
                    "a node (the object store can only be the `to` of a partition or slow-link)".to_string(),
                    "the object store's own faults are object-store-outage, object-store-slowdown, object-store-latency and corrupt-object".to_string(),
                )
            } else {
                (
                    "a node (not a zone)".to_string(),
                    format!("a target is {TARGET_FORMS}"),
                )
            };
            return Err(self
                .error(
                    target.span(),
                    format!("fault `{kind}` needs {wanted}, got `{value}`"),
                )
                .with_hint(hint));
        }
        match &value {
            Target::ObjectStore if !tiered => Err(self
                .error(
                    target.span(),
                    "there is no object store: the scenario has no [tiered_storage] table",
                )
                .with_hint(NO_TIERED_STORAGE_HINT)),
            Target::Zone(zone) if !topology.zones.contains(zone) => Err(self
                .error(target.span(), format!("there is no zone `{zone}`"))
                .with_hint(format!("the zones are {:?}", topology.zones))),
            Target::Node(node) | Target::SuccessorOf(node)
                if !topology.nodes().iter().any(|plan| plan.name == *node) =>
            {
                let count = topology.zones.len() * topology.brokers_per_zone;
                Err(self
                    .error(target.span(), format!("there is no node `{node}`"))
                    .with_hint(format!(
                        "this topology has controller-1 to controller-{} and broker-1 to broker-{count}",
                        topology.zones.len()
                    )))
            }
            _ => Ok(value),
        }
    }

    fn fault(
        &self,
        fault: &Spanned<RawFault>,
        topology: &Topology,
        run: &RunSpec,
        tiered: bool,
        topics: &[TopicSpec],
    ) -> Result<FaultSpec, ScenarioError> {
        let raw = fault.get_ref();
        let kind = *raw.kind.get_ref();
        let at = raw.at.get_ref().0;
        if at >= run.safety {
            return Err(self
                .error(raw.at.span(), format!("fault at {at:?} is after the safety phase ends ({:?})", run.safety))
                .with_hint("faults happen in the safety phase; the liveness phase heals everything and checks convergence"));
        }
        if let Some(lasting) = raw
            .lasting
            .as_ref()
            .filter(|lasting| lasting.get_ref().0.is_zero())
        {
            return Err(self
                .error(lasting.span(), "a fault must last longer than zero")
                .with_hint("leave `for` out to keep the fault until the liveness phase"));
        }
        if let Some(lasting) = raw.lasting.as_ref().filter(|_| kind.is_instantaneous()) {
            return Err(self
                .error(
                    lasting.span(),
                    format!("fault `{kind}` happens at one instant and takes no `for`"),
                )
                .with_hint("corrupted data stays corrupted (and an armed bug fires once): remove `for`"));
        }
        if kind.targets_object_store() && !tiered {
            return Err(self
                .error(
                    raw.kind.span(),
                    format!("fault `{kind}` needs the object store, but the scenario has no [tiered_storage] table"),
                )
                .with_hint(NO_TIERED_STORAGE_HINT));
        }
        let target = match &raw.target {
            Some(target) => self.target(target, kind, End::Target, topology, tiered)?,
            None if kind.module().default_target().is_some() => {
                kind.module().default_target().unwrap_or(Target::ObjectStore)
            }
            None => {
                return Err(self
                    .error(raw.kind.span(), format!("fault `{kind}` needs a `target`"))
                    .with_hint(format!("a target is {TARGET_FORMS}")))
            }
        };
        let target_span = raw
            .target
            .as_ref()
            .map_or(raw.kind.span(), |target| target.span());
        if let Target::LeaderOf(topic, partition)
        | Target::FollowerOf(topic, partition)
        | Target::NextLeaderOf(topic, partition) = &target
        {
            let known = topics.iter().find(|known| known.name == *topic);
            if known.is_none_or(|known| *partition >= known.partitions) {
                let listed: Vec<String> = topics
                    .iter()
                    .map(|known| {
                        format!(
                            "{} (partitions 0 to {})",
                            known.name,
                            known.partitions.saturating_sub(1)
                        )
                    })
                    .collect();
                return Err(self
                    .error(
                        target_span,
                        format!("`{target}` names no partition of the scenario's topics"),
                    )
                    .with_hint(format!("the [[topics]] are: {}", listed.join(", "))));
            }
        }
        let is_broker = matches!(&target, Target::Node(name) if name.starts_with("broker-"))
            || matches!(
                target,
                Target::RandomBroker
                    | Target::SuccessorOf(_)
                    | Target::LeaderOf(..)
                    | Target::FollowerOf(..)
                    | Target::NextLeaderOf(..)
            );
        let is_controller = matches!(&target, Target::Node(name) if name.starts_with("controller-"))
            || matches!(
                target,
                Target::Controllers | Target::ActiveController | Target::RandomController
            );
        match kind.shape().target {
            TargetForm::Broker { why } if !is_broker => {
                return Err(self
                    .error(
                        target_span,
                        format!("fault `{kind}` needs a broker, got `{target}`"),
                    )
                    .with_hint(why));
            }
            TargetForm::Controller { why } if !is_controller => {
                return Err(self
                    .error(
                        target_span,
                        format!("fault `{kind}` needs controllers, got `{target}`"),
                    )
                    .with_hint(why));
            }
            _ => {}
        }
        let to = match (&raw.to, kind.needs_destination()) {
            (Some(to), true) => Some(self.target(to, kind, End::To, topology, tiered)?),
            (None, true) => {
                return Err(self
                    .error(
                        raw.kind.span(),
                        format!("fault `{kind}` needs a `to` target (the other end of the link)"),
                    )
                    .with_hint("e.g. to = \"controllers\""))
            }
            (Some(to), false) => {
                return Err(self
                    .error(to.span(), format!("fault `{kind}` takes no `to` target"))
                    .with_hint("only `partition` and `slow-link` have two ends"))
            }
            (None, false) => None,
        };
        let mut keys = FaultKeys::new(self, KeyTable::Fault(kind), raw.extra.clone());
        kind.module().keys(&mut keys)?;
        let params = keys.finish(&FAULT_KEYS)?;
        Ok(FaultSpec {
            at,
            lasting: raw.lasting.as_ref().map(|value| value.get_ref().0),
            action: FaultAction {
                kind,
                target,
                to,
                params,
            },
        })
    }

    /// A list of kinds the seed draws from: non-empty, every kind drawable, the object-store
    /// kinds only with the object store.
    fn drawable_kinds(
        &self,
        listed: &Spanned<Vec<FaultKind>>,
        key: &str,
        tiered: bool,
    ) -> Result<Vec<FaultKind>, ScenarioError> {
        let kinds = listed.get_ref().clone();
        if kinds.is_empty() {
            return Err(self.error(listed.span(), format!("{key} needs at least one kind")));
        }
        if let Some((kind, (reason, hint))) = kinds
            .iter()
            .find_map(|kind| kind.shape().not_drawn.map(|not_drawn| (kind, not_drawn)))
        {
            return Err(self
                .error(
                    listed.span(),
                    format!("`{kind}` cannot be drawn at random: {reason}"),
                )
                .with_hint(hint));
        }
        if let Some(kind) = kinds.iter().find(|kind| kind.targets_object_store() && !tiered) {
            return Err(self
                .error(
                    listed.span(),
                    format!("fault `{kind}` needs the object store, but the scenario has no [tiered_storage] table"),
                )
                .with_hint(NO_TIERED_STORAGE_HINT));
        }
        Ok(kinds)
    }

    fn random_faults(
        &self,
        random: &Spanned<RawRandomFaults>,
        tiered: bool,
    ) -> Result<RandomFaultSpec, ScenarioError> {
        let raw = random.get_ref();
        let kinds = self.drawable_kinds(&raw.kinds, "kinds", tiered)?;
        let overlap_kinds = match &raw.overlap_kinds {
            Some(listed) => self.drawable_kinds(listed, "overlap_kinds", tiered)?,
            None => kinds.clone(),
        };
        if raw.duration_min.0 > raw.duration_max.0 || raw.mean_interval.0.is_zero() {
            return Err(self
                .error(
                    random.span(),
                    "duration_min must not exceed duration_max, and mean_interval must be positive",
                )
                .with_hint("e.g. mean_interval = \"20s\", duration_min = \"5s\", duration_max = \"30s\""));
        }
        let at_least_one = |value: &Option<Spanned<usize>>, key: &str, default: usize| match value {
            Some(count) if *count.get_ref() == 0 => Err(self
                .error(count.span(), format!("{key} must be at least 1"))
                .with_hint("a budget of zero would allow no fault at all")),
            Some(count) => Ok(*count.get_ref()),
            None => Ok(default),
        };
        let zones_affected_max = at_least_one(&raw.zones_affected_max, "zones_affected_max", 1)?;
        let nodes_down_max = at_least_one(&raw.nodes_down_max, "nodes_down_max", 2)?;
        let zones_touched_max =
            at_least_one(&raw.zones_touched_max, "zones_touched_max", zones_affected_max)?;
        if let Some(touched) = raw
            .zones_touched_max
            .as_ref()
            .filter(|_| zones_touched_max < zones_affected_max)
        {
            return Err(self
                .error(
                    touched.span(),
                    format!("zones_touched_max ({zones_touched_max}) must be at least zones_affected_max ({zones_affected_max})"),
                )
                .with_hint("every zone where a fault takes copies down is also a zone a fault touches"));
        }
        let probability = |value: &Option<Spanned<f64>>, key: &str, hint: &str| {
            self.number(
                value,
                key,
                0.0,
                |share| (0.0..=1.0).contains(&share),
                "a number from 0 to 1",
                hint,
            )
        };
        let after_heal_probability = probability(
            &raw.after_heal_probability,
            "after_heal_probability",
            "0.5 follows half the healed faults with another within after_heal_within",
        )?;
        let overlap_probability = probability(
            &raw.overlap_probability,
            "overlap_probability",
            "0.3 has three faults in ten joined by another while they last",
        )?;
        let overlap_within = self.duration(
            &raw.overlap_within,
            "overlap_within",
            Duration::from_secs(10),
            |within| !within.is_zero(),
            "longer than zero",
            "e.g. \"10s\": the second fault strikes while the cluster reacts to the first (a session timeout, an election)",
        )?;
        let bounce_probability = probability(
            &raw.bounce_probability,
            "bounce_probability",
            "0.3 makes three faults in ten last from 0.5 s to bounce_max",
        )?;
        let after_heal_within = self.duration(
            &raw.after_heal_within,
            "after_heal_within",
            Duration::from_secs(2),
            |within| !within.is_zero(),
            "longer than zero",
            "e.g. \"2s\": a restarted node is still catching up",
        )?;
        let bounce_max = self.duration(
            &raw.bounce_max,
            "bounce_max",
            Duration::from_secs(5),
            |bounce| bounce >= Duration::from_millis(500),
            "at least 500ms",
            "e.g. \"5s\": under the broker session timeout (9 s), so that a bounced broker returns still registered and in its ISRs",
        )?;
        let chase = self.chase(raw)?;
        // Every kind reads its own keys (a kind not listed too: the table may set them all).
        let mut keys = FaultKeys::new(self, KeyTable::RandomFaults, raw.extra.clone());
        for kind in FaultKind::all() {
            kind.module().random_keys(&mut keys)?;
        }
        let params = keys.finish(&RANDOM_FAULTS_KEYS)?;
        Ok(RandomFaultSpec {
            kinds,
            mean_interval: raw.mean_interval.0,
            duration_min: raw.duration_min.0,
            duration_max: raw.duration_max.0,
            budget: FaultBudget {
                zones_affected_max,
                nodes_down_max,
                zones_touched_max,
            },
            after_heal_probability,
            after_heal_within,
            bounce_probability,
            bounce_max,
            overlap_probability,
            overlap_within,
            overlap_kinds,
            chase,
            params,
        })
    }

    /// `chase_every` turns chases on; `chase_steps_max`, `chase_gap_min` and `chase_gap_max`
    /// shape them.
    fn chase(&self, raw: &RawRandomFaults) -> Result<Option<ChaseSpec>, ScenarioError> {
        let Some(every) = &raw.chase_every else {
            let stray = [
                raw.chase_steps_max
                    .as_ref()
                    .map(|key| (key.span(), "chase_steps_max")),
                raw.chase_gap_min
                    .as_ref()
                    .map(|key| (key.span(), "chase_gap_min")),
                raw.chase_gap_max
                    .as_ref()
                    .map(|key| (key.span(), "chase_gap_max")),
            ];
            if let Some((span, key)) = stray.into_iter().flatten().next() {
                return Err(self
                    .error(
                        span,
                        format!("`{key}` shapes chases, but `chase_every` is not set"),
                    )
                    .with_hint(
                        "add chase_every = \"60s\" (the mean time between chases) or remove the key",
                    ));
            }
            return Ok(None);
        };
        if every.get_ref().0.is_zero() {
            return Err(self
                .error(every.span(), "chase_every must be longer than zero")
                .with_hint("e.g. chase_every = \"60s\": a chase starts about once a minute"));
        }
        let steps_max = match &raw.chase_steps_max {
            Some(steps) if *steps.get_ref() < 2 => {
                return Err(self
                    .error(steps.span(), "chase_steps_max must be at least 2")
                    .with_hint("a chase strikes a leader and then its successor: 2 or more"))
            }
            Some(steps) => *steps.get_ref(),
            None => 3,
        };
        let gap_min = self.duration(
            &raw.chase_gap_min,
            "chase_gap_min",
            Duration::from_secs(10),
            |gap| gap >= Duration::from_millis(500),
            "at least 500ms",
            "e.g. \"10s\": a little over the broker session timeout, so the struck leader's successor leads by the next strike",
        )?;
        let gap_max = self.duration(
            &raw.chase_gap_max,
            "chase_gap_max",
            Duration::from_secs(14),
            |gap| gap >= gap_min,
            "at least chase_gap_min",
            "e.g. \"14s\": a few seconds over chase_gap_min",
        )?;
        Ok(Some(ChaseSpec {
            every: every.get_ref().0,
            steps_max,
            gap_min,
            gap_max,
        }))
    }

    /// An expectation that needs a table the scenario lacks is an error at the first such key
    /// written (`spans`: each key's place and name, `None` when absent).
    fn require_table<const N: usize>(
        &self,
        spans: [Option<(Range<usize>, &str)>; N],
        present: bool,
        problem: &str,
        hint: &str,
    ) -> Result<(), ScenarioError> {
        match spans.into_iter().flatten().next().filter(|_| !present) {
            Some((span, key)) => Err(self.error(span, format!("`{key}` {problem}")).with_hint(hint)),
            None => Ok(()),
        }
    }

    fn expect(&self, raw: &RawScenario, tiered: bool, detector: bool) -> Result<ExpectSpec, ScenarioError> {
        let expect = &raw.expect;
        let detector_spans = [
            expect
                .demoted_within
                .as_ref()
                .map(|value| (value.span(), "demoted_within")),
            expect
                .escalated_within
                .as_ref()
                .map(|value| (value.span(), "escalated_within")),
            expect
                .mitigations_max
                .as_ref()
                .map(|value| (value.span(), "mitigations_max")),
        ];
        self.require_table(
            detector_spans,
            detector,
            "judges the degradation detector, but the scenario has no [detector] table",
            "add a [detector] table: its presence starts the health-check agent and the detector (scenarios/REFERENCE.md)",
        )?;
        let tiering_spans = [
            expect
                .upload_backlog_drains_within
                .as_ref()
                .map(|value| (value.span(), "upload_backlog_drains_within")),
            expect
                .local_bytes_rise_and_fall
                .as_ref()
                .map(|value| (value.span(), "local_bytes_rise_and_fall")),
        ];
        self.require_table(
            tiering_spans,
            tiered,
            "judges tiered storage, but the scenario has no [tiered_storage] table",
            NO_TIERED_STORAGE_HINT,
        )?;
        // The audit deadlines judge corruption faults: without one they would judge nothing
        // and pass, which a reader of the file would not expect.
        let audit_spans = [
            expect
                .audit_detects_within
                .as_ref()
                .map(|value| (value.span(), "audit_detects_within")),
            expect
                .repaired_within
                .as_ref()
                .map(|value| (value.span(), "repaired_within")),
        ];
        let corrupts = raw
            .faults
            .iter()
            .any(|fault| fault.get_ref().kind.get_ref().corrupts_data())
            || raw.random_faults.as_ref().is_some_and(|random| {
                random
                    .get_ref()
                    .kinds
                    .get_ref()
                    .iter()
                    .any(|kind| kind.corrupts_data())
            });
        self.require_table(
            audit_spans,
            corrupts,
            "judges corruption faults, but the scenario has none",
            "add a [[faults]] entry of kind flip-bit, trim-log-prefix, trim-follower-log-prefix or corrupt-object (or `flip-bit` to the [random_faults] kinds), or remove the key",
        )?;
        let checkers = match &expect.checkers {
            None => vec!["all".to_string()],
            Some(names) => {
                let known = checker_names();
                if let Some(unknown) = names
                    .get_ref()
                    .iter()
                    .find(|name| *name != "all" && !known.contains(&name.as_str()))
                {
                    return Err(self
                        .error(names.span(), format!("unknown checker `{unknown}`"))
                        .with_hint(format!("the checkers are \"all\" or any of {known:?}")));
                }
                names.get_ref().clone()
            }
        };
        Ok(ExpectSpec {
            checkers,
            active_controller_within: expect.active_controller_within.map(|value| value.0),
            stale_controller_steps_down_within: expect
                .stale_controller_steps_down_within
                .map(|value| value.0),
            broker_fenced_within: expect.broker_fenced_within.map(|value| value.0),
            converge: expect.converge.unwrap_or(true),
            topics_survive: expect.topics_survive.unwrap_or(true),
            no_false_alarms: expect.no_false_alarms.unwrap_or(false),
            no_fencing: expect.no_fencing.unwrap_or(false),
            slowed_broker_leaves_isr_within: expect.slowed_broker_leaves_isr_within.map(|value| value.0),
            produce_p99_max: expect.produce_p99_max.map(|value| value.0),
            produce_p99_grace: expect
                .produce_p99_grace
                .map_or(DEFAULT_PRODUCE_P99_GRACE, |value| value.0),
            upload_backlog_drains_within: expect
                .upload_backlog_drains_within
                .as_ref()
                .map(|value| value.get_ref().0),
            local_bytes_rise_and_fall: expect
                .local_bytes_rise_and_fall
                .as_ref()
                .is_some_and(|value| *value.get_ref()),
            stalled_broker_restarted_within: expect.stalled_broker_restarted_within.map(|value| value.0),
            demoted_within: expect.demoted_within.as_ref().map(|value| value.get_ref().0),
            escalated_within: expect.escalated_within.as_ref().map(|value| value.get_ref().0),
            mitigations_max: expect.mitigations_max.as_ref().map(|value| *value.get_ref()),
            audit_detects_within: expect
                .audit_detects_within
                .as_ref()
                .map(|value| value.get_ref().0),
            repaired_within: expect.repaired_within.as_ref().map(|value| value.get_ref().0),
        })
    }
}
