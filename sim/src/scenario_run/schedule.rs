//! The fault timeline of a run: the file's fixed faults plus, for scenarios with
//! `[random_faults]`, faults drawn from the seed within the fault budget.

use std::collections::BTreeSet;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::scenario_file::{FaultAction, FaultKind, RandomFaultSpec, ScenarioSpec, Target};
use crate::world::{Role, Topology};

/// One fault of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledFault {
    /// From the start of the safety phase.
    pub at: Duration,
    /// `None`: until the liveness phase heals everything.
    pub lasting: Option<Duration>,
    pub action: FaultAction,
}

/// How much of the world a fault takes out, for the budget.
#[derive(Debug, Clone, Default)]
struct Footprint {
    zones: BTreeSet<String>,
    nodes_down: BTreeSet<String>,
}

/// The timeline: fixed faults as written, random ones drawn from `random`.
pub fn build_schedule(
    spec: &ScenarioSpec,
    topology: &Topology,
    random: &mut impl Rng,
) -> Vec<ScheduledFault> {
    let mut schedule: Vec<ScheduledFault> = spec
        .faults
        .iter()
        .map(|fault| ScheduledFault {
            at: fault.at,
            lasting: fault.lasting,
            action: fault.action.clone(),
        })
        .collect();
    if let Some(random_faults) = &spec.random_faults {
        schedule.extend(draw_random_faults(
            random_faults,
            spec.run.safety,
            topology,
            random,
        ));
    }
    schedule.sort_by_key(|fault| fault.at);
    schedule
}

fn draw_random_faults(
    spec: &RandomFaultSpec,
    safety: Duration,
    topology: &Topology,
    random: &mut impl Rng,
) -> Vec<ScheduledFault> {
    const ATTEMPTS_PER_FAULT_MAX: usize = 10;
    let mut drawn: Vec<(ScheduledFault, Footprint)> = Vec::new();
    let mut at = Duration::ZERO;
    loop {
        // Exponential gaps: faults arrive as a Poisson process with the mean interval.
        let gap_seconds = -spec.mean_interval.as_secs_f64() * (1.0 - random.gen::<f64>()).ln();
        at += Duration::from_secs_f64(gap_seconds);
        if at >= safety {
            break;
        }
        for _ in 0..ATTEMPTS_PER_FAULT_MAX {
            let kind = *spec.kinds.choose(random).expect("validated non-empty");
            let lasting = random.gen_range(spec.duration_min..=spec.duration_max);
            let action = random_action(kind, spec, topology, random);
            let footprint = footprint(&action, topology);
            let candidate = ScheduledFault {
                at,
                lasting: Some(lasting),
                action,
            };
            if within_budget(&candidate, &footprint, &drawn, spec) {
                drawn.push((candidate, footprint));
                break;
            }
        }
    }
    drawn.into_iter().map(|(fault, _)| fault).collect()
}

fn random_action(
    kind: FaultKind,
    spec: &RandomFaultSpec,
    topology: &Topology,
    random: &mut impl Rng,
) -> FaultAction {
    let nodes = topology.nodes();
    let servers: Vec<&str> = nodes
        .iter()
        .filter(|plan| plan.role != Role::Client)
        .map(|plan| plan.name.as_str())
        .collect();
    let brokers: Vec<&str> = nodes
        .iter()
        .filter(|plan| matches!(plan.role, Role::Broker(_)))
        .map(|plan| plan.name.as_str())
        .collect();
    let pick = |names: &[&str], random: &mut dyn rand::RngCore| {
        Target::Node(names[random.gen_range(0..names.len())].to_string())
    };
    let (target, to) = match kind {
        FaultKind::LoseZone | FaultKind::IsolateZone => {
            let zone = &topology.zones[random.gen_range(0..topology.zones.len())];
            (Target::Zone(zone.clone()), None)
        }
        // A controller ignores a shutdown request the way it ignores any signal: only brokers
        // have a controlled shutdown. Only a broker's disk may be lost: a controller's Raft
        // log and vote must survive.
        FaultKind::Shutdown | FaultKind::LoseDisk => (pick(&brokers, random), None),
        // Never drawn (see validate.rs); a broker if they were.
        FaultKind::FlipBit | FaultKind::TrimLogPrefix | FaultKind::TrimFollowerLogPrefix => {
            (pick(&brokers, random), None)
        }
        // The store's faults have one target; `corrupt-object` is never drawn (see validate.rs).
        FaultKind::ObjectStoreOutage
        | FaultKind::ObjectStoreSlowdown
        | FaultKind::ObjectStoreLatency
        | FaultKind::CorruptObject => (Target::ObjectStore, None),
        FaultKind::SlowLink => {
            let from = pick(&servers, random);
            let mut to = pick(&servers, random);
            while to == from {
                to = pick(&servers, random);
            }
            (from, Some(to))
        }
        _ => (pick(&servers, random), None),
    };
    FaultAction {
        kind,
        target,
        to,
        one_way: false,
        delay: spec.slow_link_delay,
        latency_multiplier: if kind == FaultKind::ObjectStoreLatency {
            spec.object_store_latency_multiplier
        } else {
            spec.disk_latency_multiplier
        },
        error_rate: spec.object_store_error_rate,
    }
}

fn footprint(action: &FaultAction, topology: &Topology) -> Footprint {
    let nodes = topology.nodes();
    let zone_of = |name: &str| {
        nodes
            .iter()
            .find(|plan| plan.name == name)
            .map(|plan| plan.zone.clone())
    };
    let mut footprint = Footprint::default();
    match &action.target {
        Target::Zone(zone) => {
            footprint.zones.insert(zone.clone());
            let in_zone = nodes
                .iter()
                .filter(|plan| plan.zone == *zone && plan.role != Role::Client);
            footprint.nodes_down.extend(in_zone.map(|plan| plan.name.clone()));
        }
        Target::Node(name) => {
            footprint.zones.extend(zone_of(name));
            let takes_node_down = !matches!(action.kind, FaultKind::SlowLink | FaultKind::DiskSlow);
            if takes_node_down {
                footprint.nodes_down.insert(name.clone());
            }
        }
        // The object store is a regional service outside every zone, and its outages, storms
        // and slowness destroy no copy of anything: they cost the budget nothing.
        Target::ObjectStore => {}
        _ => {}
    }
    footprint
}

fn overlaps(a: &ScheduledFault, b: &ScheduledFault) -> bool {
    let end = |fault: &ScheduledFault| fault.at + fault.lasting.unwrap_or(Duration::MAX / 4);
    a.at < end(b) && b.at < end(a)
}

fn within_budget(
    candidate: &ScheduledFault,
    footprint: &Footprint,
    drawn: &[(ScheduledFault, Footprint)],
    spec: &RandomFaultSpec,
) -> bool {
    let mut zones = footprint.zones.clone();
    let mut nodes_down = footprint.nodes_down.clone();
    for (_, other) in drawn.iter().filter(|(fault, _)| overlaps(fault, candidate)) {
        zones.extend(other.zones.iter().cloned());
        nodes_down.extend(other.nodes_down.iter().cloned());
    }
    // A zone fault alone may take more nodes than `nodes_down_max`; the zone budget is what
    // keeps it safe.
    let nodes_down_max = spec.budget.nodes_down_max.max(footprint.nodes_down.len());
    zones.len() <= spec.budget.zones_affected_max && nodes_down.len() <= nodes_down_max
}
