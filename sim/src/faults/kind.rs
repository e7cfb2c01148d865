//! What every fault kind is: one module of `kinds/` implementing [`FaultKindModule`], listed
//! once in `kinds/mod.rs`. Everything else (scenario parsing, the random schedule and its
//! budget, firing and healing, the expectations) asks the kind through this trait, so adding
//! a kind touches no other file.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use korasim_core::broker::PrefixTrimRole;
use rand::RngCore;

use super::kinds::KINDS;
use super::params::ParamValues;
use crate::scenario_file::{FaultAction, FaultKeys, ScenarioError, Target};
use crate::world::{BitFlip, Role, Topology, World};

/// A fault kind, by its place in the registry: cheap to copy and compare, ordered as
/// registered (the order a swarm draws kinds in), shown and parsed by its name.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultKind(u8);

impl FaultKind {
    /// Every registered kind, in registration order.
    pub fn all() -> impl Iterator<Item = FaultKind> {
        (0..KINDS.len()).map(|index| FaultKind(index as u8))
    }

    /// The kind written `name` in scenario files.
    pub fn named(name: &str) -> Option<FaultKind> {
        FaultKind::all().find(|kind| kind.name() == name)
    }

    pub fn module(self) -> &'static dyn FaultKindModule {
        KINDS[self.0 as usize]
    }

    pub fn name(self) -> &'static str {
        self.module().name()
    }

    pub fn is(self, name: &str) -> bool {
        self.name() == name
    }

    pub fn shape(self) -> Shape {
        self.module().shape()
    }

    /// Whether the fault's target is a zone rather than a node.
    pub fn targets_zone(self) -> bool {
        self.shape().target == TargetForm::Zone
    }

    /// Whether the fault hits the object store (and so needs tiered storage).
    pub fn targets_object_store(self) -> bool {
        self.shape().target == TargetForm::ObjectStore
    }

    /// Whether the fault happens at one instant and has nothing to heal.
    pub fn is_instantaneous(self) -> bool {
        self.shape().instantaneous
    }

    /// Whether the fault corrupts data (an audit must find it).
    pub fn corrupts_data(self) -> bool {
        self.shape().corrupts_data
    }

    /// Whether the fault also needs a `to` target.
    pub fn needs_destination(self) -> bool {
        self.shape().far_end
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Debug for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for FaultKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        FaultKind::named(&name).ok_or_else(|| {
            let names: Vec<String> = FaultKind::all().map(|kind| format!("`{kind}`")).collect();
            let closest = closest_name(&name, FaultKind::all().map(FaultKind::name))
                .map(|closest| format!(" (did you mean `{closest}`?)"))
                .unwrap_or_default();
            serde::de::Error::custom(format!(
                "unknown fault kind `{name}`{closest}; the fault kinds are {}",
                names.join(", ")
            ))
        })
    }
}

/// The candidate nearest to `word` in edit distance, if it is near enough to be a typo.
pub fn closest_name<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let distance = |a: &str, b: &str| {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let above = row[j + 1];
                row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
                diagonal = above;
            }
        }
        row[b.len()]
    };
    candidates
        .map(|candidate| (distance(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// What a kind's `target` (and `to`) may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// A node or a set of nodes ("broker-3", "controllers", "random-controller", ...).
    Node,
    /// A broker ("broker-N" or "random-broker"); the hint says why only a broker.
    Broker { why: &'static str },
    /// A controller or the controllers ("controller-N", "controllers", "active-controller",
    /// "random-controller"); the hint says why only controllers.
    Controller { why: &'static str },
    /// A zone ("zone:<name>", "zone-of-active-controller", "random-zone").
    Zone,
    /// The object store (the target may be left out).
    ObjectStore,
}

/// How a kind is written and what it may be combined with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub target: TargetForm,
    /// Whether it has a far end (`to`): a link from `target` to `to`, which may also be the
    /// object store or the clients.
    pub far_end: bool,
    /// It happens at one instant: it takes no `for` and has nothing to heal.
    pub instantaneous: bool,
    /// It damages data that a durability audit must find (`audit_detects_within` judges it).
    pub corrupts_data: bool,
    /// Why it may not be drawn at random (`[random_faults]`), with a hint; `None`: it may.
    pub not_drawn: Option<(&'static str, &'static str)>,
}

impl Shape {
    /// A fault on one node that lasts until healed, drawn at random like any other.
    pub const fn lasting(target: TargetForm) -> Shape {
        Shape {
            target,
            far_end: false,
            instantaneous: false,
            corrupts_data: false,
            not_drawn: None,
        }
    }
}

/// A fault kind. Implemented once per kind in `kinds/<kind>.rs`.
pub trait FaultKindModule: Sync {
    /// The kind as scenario files write it (`kind = "disk-slow"`).
    fn name(&self) -> &'static str;

    fn shape(&self) -> Shape;

    /// What a `[[faults]]` entry that leaves `target` out aims at (`None`: it must name one).
    fn default_target(&self) -> Option<Target> {
        (self.shape().target == TargetForm::ObjectStore).then_some(Target::ObjectStore)
    }

    /// Reads the kind's own keys of a `[[faults]]` entry (beyond `at`, `for`, `kind`,
    /// `target`, `to`); a key it does not read is an error naming the kinds that take it.
    fn keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        let _ = keys;
        Ok(())
    }

    /// Reads the `[random_faults]` keys that set this kind's drawn parameters.
    fn random_keys(&self, keys: &mut FaultKeys) -> Result<(), ScenarioError> {
        let _ = keys;
        Ok(())
    }

    /// A fault of this kind drawn from the seed: its target, far end and parameters.
    fn draw(&self, draw: &mut Draw<'_>) -> Drawn;

    /// Whether the fault leaves every copy its target holds up to date (a slow disk or link,
    /// a one-way cut, a broker cut off from its clients only): then it costs the fault budget
    /// no node, only its zone.
    fn keeps_copies(&self, action: &FaultAction) -> bool {
        let _ = action;
        false
    }

    /// Whether the fault keeps its target's copies whole but holds them out of the ISRs once
    /// its session expires (a pause): for the budget, a crash elsewhere meanwhile could take
    /// the last in-sync copy's unflushed tail.
    fn holds_copies_out_of_isr(&self) -> bool {
        false
    }

    /// Whether the fault cuts its target off while it keeps running (a partition or an
    /// isolation): an active controller so cut off must step down.
    fn cuts_off(&self) -> bool {
        false
    }

    /// Whether the fault is a degradation that the health components exist to notice (a
    /// slow or stalled disk, a broker its clients cannot reach).
    fn degrades_broker(&self, action: &FaultAction) -> bool {
        let _ = action;
        false
    }

    /// Applies the fault to the world, on the targets resolved when it fires.
    fn fire(&self, world: &World, action: &FaultAction, targets: &Resolved) -> Effect;
}

/// The targets of a fault, resolved once when it fires (a random one must be the same node or
/// zone for the fault, its healing and its judgement).
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The zone, for a zone fault (`None` when it resolved to none).
    pub zone: Option<String>,
    /// The nodes of `target` (for a zone fault, the zone's nodes).
    pub targets: Vec<String>,
    /// The nodes of `to`.
    pub others: Vec<String>,
}

/// Nodes and disks that other faults still active hold: healing one of two overlapping faults
/// must not undo the other.
#[derive(Debug, Clone, Default)]
pub struct Held {
    pub nodes_down: Vec<String>,
    pub disks: Vec<String>,
    pub paused: Vec<String>,
}

/// What healing does: undo the fault on the world, sparing what `Held` still holds.
type HealFn = dyn Fn(&World, &Held) + Send + Sync;

/// How a fault that fired is healed.
#[derive(Clone)]
pub struct Heal(Arc<HealFn>);

impl Heal {
    pub fn new(heal: impl Fn(&World, &Held) + Send + Sync + 'static) -> Heal {
        Heal(Arc::new(heal))
    }

    pub fn apply(&self, world: &World, held: &Held) {
        (self.0)(world, held)
    }
}

impl fmt::Debug for Heal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Heal")
    }
}

/// Data a corruption fault damaged, for the audits' expectations and the disk scrub.
#[derive(Debug, Clone, PartialEq)]
pub enum Corruption {
    /// The bit flipped, if the broker followed a partition with a committed batch on disk.
    BitFlipped(Option<BitFlip>),
    /// The brokers whose "trim the log prefix" bug was armed, to strike in `role`.
    PrefixTrimArmed {
        brokers: Vec<String>,
        role: PrefixTrimRole,
    },
    /// The object corrupted, if the store held a segment to corrupt.
    ObjectCorrupted(Option<String>),
}

/// What firing a fault did.
#[derive(Debug, Clone, Default)]
pub struct Effect {
    /// Nodes the fault took down or cut off (the run drops those an earlier fault owns).
    pub silenced: Vec<String>,
    /// Nodes it keeps down until healed.
    pub held_down: Vec<String>,
    /// Nodes whose disk it keeps slow or stalled until healed.
    pub disks_held: Vec<String>,
    /// Nodes it keeps paused until healed.
    pub paused_held: Vec<String>,
    /// Links (from, to) it cuts (`None`) or slows by the given delay until healed: the
    /// expectations ask whether the controllers still left up can form a working quorum.
    pub degraded_links: Vec<(String, String, Option<Duration>)>,
    pub corruption: Option<Corruption>,
    /// Its target resolved to nothing it could act on (the run notes it).
    pub found_no_target: bool,
    /// `None`: nothing to heal.
    pub heal: Option<Heal>,
}

impl Effect {
    /// The fault found nothing to act on.
    pub fn nothing() -> Effect {
        Effect {
            found_no_target: true,
            ..Effect::default()
        }
    }
}

/// What a kind's draw produced.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub target: Target,
    pub to: Option<Target>,
    pub params: ParamValues,
}

impl Drawn {
    pub fn at(target: Target) -> Drawn {
        Drawn {
            target,
            to: None,
            params: ParamValues::default(),
        }
    }
}

/// The seed's randomness and what a draw may pick from.
pub struct Draw<'a> {
    pub topology: &'a Topology,
    /// The `[random_faults]` keys the kinds read (`random_keys`).
    pub params: &'a ParamValues,
    pub random: &'a mut dyn RngCore,
}

impl Draw<'_> {
    /// Every node but the clients' node.
    pub fn servers(&self) -> Vec<String> {
        let nodes = self.topology.nodes();
        nodes
            .into_iter()
            .filter(|plan| plan.role != Role::Client)
            .map(|plan| plan.name)
            .collect()
    }

    pub fn brokers(&self) -> Vec<String> {
        let nodes = self.topology.nodes();
        nodes
            .into_iter()
            .filter(|plan| matches!(plan.role, Role::Broker(_)))
            .map(|plan| plan.name)
            .collect()
    }

    pub fn pick(&mut self, names: &[String]) -> Target {
        use rand::Rng;
        Target::Node(names[self.random.gen_range(0..names.len())].clone())
    }

    pub fn server(&mut self) -> Target {
        let servers = self.servers();
        self.pick(&servers)
    }

    pub fn broker(&mut self) -> Target {
        let brokers = self.brokers();
        self.pick(&brokers)
    }

    /// Two distinct servers: a link's two ends.
    pub fn two_servers(&mut self) -> (Target, Target) {
        let servers = self.servers();
        let from = self.pick(&servers);
        let mut to = self.pick(&servers);
        while to == from {
            to = self.pick(&servers);
        }
        (from, to)
    }

    pub fn zone(&mut self) -> Target {
        use rand::Rng;
        let zones = &self.topology.zones;
        Target::Zone(zones[self.random.gen_range(0..zones.len())].clone())
    }
}

/// Heals by restarting `names`, except those another fault holds down; a node a pause still
/// holds starts frozen (`World::restart_frozen_if_paused`).
pub fn restart_unless_held(names: Vec<String>) -> Heal {
    Heal::new(move |world, held| {
        names
            .iter()
            .filter(|name| !held.nodes_down.contains(name))
            .for_each(|name| world.restart_frozen_if_paused(name, &held.paused))
    })
}

/// Heals the disks of `names`, except those another fault holds.
pub fn heal_disks_unless_held(names: Vec<String>) -> Heal {
    Heal::new(move |world, held| {
        names
            .iter()
            .filter(|name| !held.disks.contains(name))
            .for_each(|name| world.heal_disk(name))
    })
}
