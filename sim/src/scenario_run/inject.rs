//! Applying a fault to the world and undoing it. Targets are resolved when the fault fires,
//! so "active-controller" is whichever controller is active at that moment.

use std::time::Duration;

use korasim_core::broker::PrefixTrimRole;

use super::expectations::ReplayedState;
use crate::scenario_file::{FaultAction, FaultKind, Target};
use crate::scenarios::probes::{active_controller, entries};
use crate::world::{BitFlip, Cut, Role, World, CLIENT_NODE, OBJECT_STORE_NODE};

/// What one fault did, so that healing undoes exactly that.
#[derive(Debug, Clone)]
pub enum Applied {
    Killed(Vec<String>),
    ShutDown(Vec<String>),
    ZoneLost(String),
    Disconnected(Cut),
    Delayed(Vec<(String, String)>),
    DiskSlowed(Vec<String>),
    DiskStalled(Vec<String>),
    /// The nodes crashed with their disks thrown away.
    DisksLost(Vec<String>),
    ObjectStoreOutage,
    /// A 503 storm of this error rate.
    ObjectStoreStorm(f64),
    /// A latency spike of this multiplier.
    ObjectStoreSlowed(f64),
    /// The object corrupted, if the store held a segment to corrupt; nothing to heal.
    ObjectCorrupted(Option<String>),
    /// The bit flipped, if the broker followed a partition with a committed batch on disk.
    BitFlipped(Option<BitFlip>),
    /// The brokers whose "trim the log prefix" bug was armed.
    PrefixTrimArmed(Vec<String>),
    /// The target resolved to nothing (no active controller at that moment, say).
    Nothing,
}

/// A fault as it fired: its resolved nodes and what to undo.
#[derive(Debug, Clone)]
pub struct FiredFault {
    pub action: FaultAction,
    pub at: Duration,
    pub heal_at: Option<Duration>,
    /// Every node the fault took down or cut off.
    pub silenced: Vec<String>,
    /// Every node the fault touched at all (slowed links and disks included).
    pub affected: Vec<String>,
    /// The active controller at the time, and whether the fault took it out.
    pub active_controller_before: Option<(String, u64)>,
    pub took_active_controller: bool,
    pub applied: Applied,
    /// Drawn from the seed rather than written in the file (see `ScheduledFault::drawn`).
    pub drawn: bool,
}

/// Resolves `target` to node names.
fn resolve_nodes(world: &World, target: &Target) -> Vec<String> {
    let plans: Vec<_> = world
        .node_names()
        .into_iter()
        .filter_map(|name| world.node_plan(&name).cloned())
        .collect();
    let controllers: Vec<String> = plans
        .iter()
        .filter(|plan| matches!(plan.role, Role::Controller(_)))
        .map(|plan| plan.name.clone())
        .collect();
    let brokers: Vec<String> = plans
        .iter()
        .filter(|plan| matches!(plan.role, Role::Broker(_)))
        .map(|plan| plan.name.clone())
        .collect();
    let choose = |names: &[String]| {
        let index = world.random::<u64>() as usize % names.len().max(1);
        names.get(index).cloned().into_iter().collect::<Vec<_>>()
    };
    match target {
        Target::Node(name) => vec![name.clone()],
        Target::Controllers => controllers,
        Target::ActiveController => active_controller(world)
            .map(|(name, _)| name)
            .into_iter()
            .collect(),
        Target::RandomController => choose(&controllers),
        Target::RandomBroker => choose(&brokers),
        Target::Clients => vec![CLIENT_NODE.to_string()],
        Target::ObjectStore => world
            .node_plan(OBJECT_STORE_NODE)
            .map(|plan| plan.name.clone())
            .into_iter()
            .collect(),
        Target::Zone(_) | Target::ZoneOfActiveController | Target::RandomZone => resolve_zone(world, target)
            .map(|zone| world.nodes_in_zone(&zone))
            .unwrap_or_default(),
    }
}

fn resolve_zone(world: &World, target: &Target) -> Option<String> {
    let zones = &world.params().topology.zones;
    match target {
        Target::Zone(zone) => Some(zone.clone()),
        Target::ZoneOfActiveController => {
            let (controller, _) = active_controller(world)?;
            world.node_plan(&controller).map(|plan| plan.zone.clone())
        }
        Target::RandomZone => Some(zones[world.random::<u64>() as usize % zones.len()].clone()),
        _ => None,
    }
}

/// Fires `action` now. Nodes already down, and brokers already fenced, are not counted as
/// silenced by this fault: an earlier fault owns what happens to them.
pub fn fire(
    world: &World,
    action: &FaultAction,
    lasting: Option<Duration>,
    silenced_by_active_faults: &[String],
) -> FiredFault {
    let at = world.elapsed();
    let already_down: Vec<String> = world
        .node_names()
        .into_iter()
        .filter(|name| world.is_down(name))
        .collect();
    let replayed = ReplayedState::from_trace(&entries(world));
    let already_fenced = |name: &String| match world.node_plan(name).map(|plan| plan.role) {
        Some(Role::Broker(id)) => replayed.fenced.get(&id).copied().unwrap_or(true),
        _ => false,
    };
    let active_before = active_controller(world);
    // Every target is resolved exactly once: a random one must be the same node (or zone)
    // for the fault, its healing and its judgement.
    let zone = if action.kind.targets_zone() {
        resolve_zone(world, &action.target)
    } else {
        None
    };
    let targets = match &zone {
        Some(zone) => world.nodes_in_zone(zone),
        None if action.kind.targets_zone() => Vec::new(),
        None => resolve_nodes(world, &action.target),
    };
    let others = action
        .to
        .as_ref()
        .map(|to| resolve_nodes(world, to))
        .unwrap_or_default();
    let affected: Vec<String> = targets.iter().chain(&others).cloned().collect();
    let (applied, silenced) = match action.kind {
        FaultKind::Kill => {
            let targets: Vec<String> = targets.into_iter().filter(|name| !world.is_down(name)).collect();
            targets.iter().for_each(|name| world.kill(name));
            (Applied::Killed(targets.clone()), targets)
        }
        FaultKind::Shutdown => {
            let targets: Vec<String> = targets.into_iter().filter(|name| !world.is_down(name)).collect();
            targets.iter().for_each(|name| world.request_shutdown(name));
            (Applied::ShutDown(targets.clone()), targets)
        }
        FaultKind::LoseZone => match zone {
            Some(zone) => {
                let nodes = world.nodes_in_zone(&zone);
                world.lose_zone(&zone);
                (Applied::ZoneLost(zone), nodes)
            }
            None => (Applied::Nothing, Vec::new()),
        },
        FaultKind::IsolateZone => match zone {
            Some(zone) => {
                let nodes = world.nodes_in_zone(&zone);
                let links = world.isolate_zone(&zone);
                (Applied::Disconnected(links), nodes)
            }
            None => (Applied::Nothing, Vec::new()),
        },
        FaultKind::Isolate => match targets.as_slice() {
            [name] => (Applied::Disconnected(world.isolate_node(name)), targets.clone()),
            // Isolating several nodes cuts each from everyone (they cannot reach each other
            // either), as one cut.
            _ => {
                let names: Vec<&str> = targets.iter().map(String::as_str).collect();
                let everyone = world.node_names();
                let everyone: Vec<&str> = everyone.iter().map(String::as_str).collect();
                (
                    Applied::Disconnected(world.partition(&names, &everyone, false)),
                    targets.clone(),
                )
            }
        },
        FaultKind::Partition => {
            let from: Vec<&str> = targets.iter().map(String::as_str).collect();
            let to: Vec<&str> = others.iter().map(String::as_str).collect();
            let cut = world.partition(&from, &to, action.one_way);
            // A one-way cut silences nobody for certain; a two-way cut silences the first side
            // towards the second, unless the second is only the clients: the cluster still
            // hears a broker that lost its external network, so nothing should fence it.
            let silenced = if action.one_way || action.to == Some(Target::Clients) {
                Vec::new()
            } else {
                targets.clone()
            };
            (Applied::Disconnected(cut), silenced)
        }
        FaultKind::SlowLink => {
            let mut pairs = Vec::new();
            for from in &targets {
                for to in &others {
                    world.slow_link(from, to, action.delay);
                    pairs.push((from.clone(), to.clone()));
                }
            }
            (Applied::Delayed(pairs), Vec::new())
        }
        FaultKind::DiskSlow => {
            targets
                .iter()
                .for_each(|name| world.slow_disk(name, action.latency_multiplier));
            (Applied::DiskSlowed(targets), Vec::new())
        }
        FaultKind::DiskStall => {
            targets.iter().for_each(|name| world.stall_disk(name));
            (Applied::DiskStalled(targets), Vec::new())
        }
        // A node already down loses its disk too: it comes back empty whoever restarts it.
        FaultKind::LoseDisk => {
            targets.iter().for_each(|name| world.lose_disk(name));
            (Applied::DisksLost(targets.clone()), targets)
        }
        FaultKind::FlipBit => {
            let flipped = targets
                .first()
                .filter(|name| !world.is_down(name))
                .and_then(|name| world.flip_committed_bit(name));
            match &flipped {
                Some(flip) => world.note(format!(
                    "bit {} of {} flipped on broker-{} (batch at offset {} of {}-{})",
                    flip.bit_index,
                    flip.file,
                    flip.broker,
                    flip.batch_base_offset,
                    flip.topic,
                    flip.partition
                )),
                None => world.note("bit flip found no committed batch of a followed partition".to_string()),
            }
            (Applied::BitFlipped(flipped), Vec::new())
        }
        FaultKind::TrimLogPrefix | FaultKind::TrimFollowerLogPrefix => {
            let role = if action.kind == FaultKind::TrimLogPrefix {
                PrefixTrimRole::Leader
            } else {
                PrefixTrimRole::Follower
            };
            let armed: Vec<String> = targets
                .into_iter()
                .filter(|name| world.arm_trim_log_prefix(name, role))
                .collect();
            armed
                .iter()
                .for_each(|name| world.note(format!("{name}'s log-prefix trimming bug armed ({role:?})")));
            (Applied::PrefixTrimArmed(armed), Vec::new())
        }
        // Validation keeps the store's faults out of worlds without a store.
        _ if world.object_store().is_none() => (Applied::Nothing, Vec::new()),
        FaultKind::ObjectStoreOutage => {
            world.start_object_store_outage();
            (Applied::ObjectStoreOutage, Vec::new())
        }
        FaultKind::ObjectStoreSlowdown => {
            world.start_object_store_storm(action.error_rate);
            (Applied::ObjectStoreStorm(action.error_rate), Vec::new())
        }
        FaultKind::ObjectStoreLatency => {
            world.start_object_store_latency(action.latency_multiplier);
            (Applied::ObjectStoreSlowed(action.latency_multiplier), Vec::new())
        }
        FaultKind::CorruptObject => {
            let corrupted = world.corrupt_object().map(|(key, _)| key);
            (Applied::ObjectCorrupted(corrupted), Vec::new())
        }
    };
    let silenced: Vec<String> = silenced
        .into_iter()
        .filter(|name| {
            !already_down.contains(name) && !already_fenced(name) && !silenced_by_active_faults.contains(name)
        })
        .collect();
    let took_active_controller = match &active_before {
        Some((controller, _)) => silenced.contains(controller) && !matches!(action.kind, FaultKind::Shutdown),
        None => false,
    };
    if matches!(applied, Applied::Nothing) || targets_empty(&applied) {
        world.note(format!(
            "fault {} on {} found no target",
            action.kind, action.target
        ));
    }
    FiredFault {
        affected,
        action: action.clone(),
        at,
        heal_at: lasting.map(|lasting| at + lasting),
        silenced,
        active_controller_before: active_before,
        took_active_controller,
        applied,
        drawn: false,
    }
}

fn targets_empty(applied: &Applied) -> bool {
    match applied {
        Applied::Killed(names)
        | Applied::ShutDown(names)
        | Applied::PrefixTrimArmed(names)
        | Applied::DiskSlowed(names)
        | Applied::DiskStalled(names)
        | Applied::DisksLost(names) => names.is_empty(),
        Applied::Delayed(pairs) => pairs.is_empty(),
        Applied::Disconnected(cut) => cut.links.is_empty(),
        // A corruption that found no segment says so itself.
        Applied::ZoneLost(_)
        | Applied::ObjectStoreOutage
        | Applied::ObjectStoreStorm(_)
        | Applied::ObjectStoreSlowed(_)
        | Applied::ObjectCorrupted(_)
        | Applied::BitFlipped(_)
        | Applied::Nothing => false,
    }
}

impl FiredFault {
    /// Nodes this fault keeps down (crashed, lost with their zone or disk, or shut down).
    pub fn nodes_held_down(&self, world: &World) -> Vec<String> {
        match &self.applied {
            Applied::Killed(names) | Applied::ShutDown(names) | Applied::DisksLost(names) => names.clone(),
            Applied::ZoneLost(zone) => world.nodes_in_zone(zone),
            _ => Vec::new(),
        }
    }

    /// Nodes whose disk this fault keeps slow or stalled.
    pub fn disks_held(&self) -> Vec<String> {
        match &self.applied {
            Applied::DiskSlowed(names) | Applied::DiskStalled(names) => names.clone(),
            _ => Vec::new(),
        }
    }
}

/// Undoes what `fired` did, except where another fault still active (`others`) holds the
/// same node or disk: healing one of two overlapping faults must not undo the other.
pub fn heal(world: &World, fired: &FiredFault, others: &[&FiredFault]) {
    let held_down: Vec<String> = others
        .iter()
        .flat_map(|other| other.nodes_held_down(world))
        .collect();
    let disks_held: Vec<String> = others.iter().flat_map(|other| other.disks_held()).collect();
    let restart = |name: &String| {
        if !held_down.contains(name) {
            world.restart(name);
        }
    };
    match &fired.applied {
        Applied::Killed(names) | Applied::DisksLost(names) => names.iter().for_each(restart),
        Applied::ShutDown(names) => {
            for name in names.iter().filter(|name| !held_down.contains(name)) {
                world.mark_stopped(name);
                world.restart(name);
            }
        }
        Applied::ZoneLost(zone) => world.restore_zone(zone, &held_down),
        Applied::Disconnected(cut) => world.reconnect(cut),
        Applied::Delayed(pairs) => {
            for (from, to) in pairs {
                world.restore_link(from, to, fired.action.delay);
            }
        }
        Applied::DiskSlowed(names) | Applied::DiskStalled(names) => names
            .iter()
            .filter(|name| !disks_held.contains(name))
            .for_each(|name| world.heal_disk(name)),
        Applied::ObjectStoreOutage => world.end_object_store_outage(),
        Applied::ObjectStoreStorm(error_rate) => world.end_object_store_storm(*error_rate),
        Applied::ObjectStoreSlowed(multiplier) => world.end_object_store_latency(*multiplier),
        Applied::ObjectCorrupted(_)
        | Applied::BitFlipped(_)
        | Applied::PrefixTrimArmed(_)
        | Applied::Nothing => {}
    }
}
