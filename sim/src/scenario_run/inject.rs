//! Applying a fault to the world and undoing it. Targets are resolved when the fault fires,
//! so "active-controller" is whichever controller is active at that moment.

use std::time::Duration;

use super::expectations::ReplayedState;
use super::partition_roles::{follower_of, leader_of, next_leader_of};
use super::successor::successor_of;
use crate::faults::{Corruption, Effect, Held, Resolved};
use crate::scenario_file::{FaultAction, Target};
use crate::scenarios::probes::{active_controller, entries};
use crate::world::{Role, World, CLIENT_NODE, OBJECT_STORE_NODE};

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
    /// What firing it did, and how to heal it.
    pub effect: Effect,
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
        Target::SuccessorOf(name) => {
            let broker_id = |name: &str| {
                plans.iter().find_map(|plan| match plan.role {
                    Role::Broker(id) if plan.name == name => Some(id),
                    _ => None,
                })
            };
            let successor = broker_id(name).and_then(|id| successor_of(&entries(world), id));
            plans
                .iter()
                .filter(|plan| successor.is_some_and(|id| plan.role == Role::Broker(id)))
                .map(|plan| plan.name.clone())
                .collect()
        }
        Target::LeaderOf(topic, partition)
        | Target::FollowerOf(topic, partition)
        | Target::NextLeaderOf(topic, partition) => {
            let trace = entries(world);
            let broker = match target {
                Target::LeaderOf(..) => leader_of(&trace, topic, *partition),
                Target::NextLeaderOf(..) => next_leader_of(&trace, topic, *partition),
                _ => follower_of(&trace, topic, *partition),
            };
            plans
                .iter()
                .filter(|plan| broker.is_some_and(|id| plan.role == Role::Broker(id)))
                .map(|plan| plan.name.clone())
                .collect()
        }
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
    // A role target names whoever held the role when it fired: say who that was.
    let resolved_by_role = |target: &Target| {
        matches!(
            target,
            Target::SuccessorOf(_) | Target::LeaderOf(..) | Target::FollowerOf(..) | Target::NextLeaderOf(..)
        )
    };
    if resolved_by_role(&action.target) || action.to.as_ref().is_some_and(resolved_by_role) {
        world.note(format!(
            "fault {} on {}{} strikes {}",
            action.kind,
            action.target,
            action
                .to
                .as_ref()
                .map(|to| format!(" to {to}"))
                .unwrap_or_default(),
            if affected.is_empty() {
                "nothing".to_string()
            } else {
                affected.join(", ")
            }
        ));
    }
    let resolved = Resolved {
        zone,
        targets,
        others,
    };
    let effect = action.kind.module().fire(world, action, &resolved);
    let silenced = effect.silenced.clone();
    let silenced: Vec<String> = silenced
        .into_iter()
        .filter(|name| {
            !already_down.contains(name) && !already_fenced(name) && !silenced_by_active_faults.contains(name)
        })
        .collect();
    let took_active_controller = match &active_before {
        Some((controller, _)) => silenced.contains(controller),
        None => false,
    };
    if effect.found_no_target {
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
        effect,
        drawn: false,
    }
}

impl FiredFault {
    /// What the fault damaged, if it is a corruption.
    pub fn corruption(&self) -> Option<&Corruption> {
        self.effect.corruption.as_ref()
    }
}

/// Undoes what `fired` did, except where another fault still active (`others`) holds the
/// same node or disk: healing one of two overlapping faults must not undo the other.
pub fn heal(world: &World, fired: &FiredFault, others: &[&FiredFault]) {
    let held = Held {
        nodes_down: others
            .iter()
            .flat_map(|other| other.effect.held_down.iter().cloned())
            .collect(),
        disks: others
            .iter()
            .flat_map(|other| other.effect.disks_held.iter().cloned())
            .collect(),
        paused: others
            .iter()
            .flat_map(|other| other.effect.paused_held.iter().cloned())
            .collect(),
    };
    if let Some(heal) = &fired.effect.heal {
        heal.apply(world, &held);
    }
}
