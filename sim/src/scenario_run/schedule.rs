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
    /// Drawn from the seed (`[random_faults]`) rather than written in the file.
    pub drawn: bool,
}

/// How long a drawn `flip-bit` counts against the budget: the flipped replica is a damaged
/// copy until an audit finds it (one audit period, 30 s) and it is rebuilt (a few seconds),
/// so for this long no fault may take down a copy in another zone. Twice the expected time,
/// so that a slow audit round still leaves two healthy copies.
const CORRUPTION_BUDGET_WINDOW: Duration = Duration::from_secs(90);

/// How much of the world a fault takes out, for the budget, and for how long.
#[derive(Debug, Clone, Default)]
struct Footprint {
    zones: BTreeSet<String>,
    nodes_down: BTreeSet<String>,
    /// How long the footprint lasts from the fault's start: its duration, or for an
    /// instantaneous fault how long its damage lasts.
    lasting: Duration,
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
            drawn: false,
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
            let drawn_lasting = random.gen_range(spec.duration_min..=spec.duration_max);
            let action = random_action(kind, spec, topology, random);
            // An instantaneous fault has nothing to heal; its damage lasts until repaired.
            let (lasting, footprint_lasting) = if kind.is_instantaneous() {
                (None, CORRUPTION_BUDGET_WINDOW)
            } else {
                (Some(drawn_lasting), drawn_lasting)
            };
            let footprint = footprint(&action, topology, footprint_lasting);
            let candidate = ScheduledFault {
                at,
                lasting,
                action,
                drawn: true,
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
    let mut one_way = false;
    let (target, to) = match kind {
        FaultKind::LoseZone | FaultKind::IsolateZone => {
            let zone = &topology.zones[random.gen_range(0..topology.zones.len())];
            (Target::Zone(zone.clone()), None)
        }
        // A controller ignores a shutdown request the way it ignores any signal: only brokers
        // have a controlled shutdown. Only a broker's disk may be lost: a controller's Raft
        // log and vote must survive.
        FaultKind::Shutdown | FaultKind::LoseDisk => (pick(&brokers, random), None),
        // A bit flip strikes a broker's copy of a partition it follows; the budget keeps the
        // other two copies up until it is repaired. The trims are never drawn (validate.rs).
        FaultKind::FlipBit | FaultKind::TrimLogPrefix | FaultKind::TrimFollowerLogPrefix => {
            (pick(&brokers, random), None)
        }
        // Half the time a broker loses its external network (clients cannot reach it, the
        // cluster still can: what the detector must demote); otherwise a one-way cut between
        // two servers (a broker or controller hears another but is not heard back).
        FaultKind::Partition => {
            if random.gen_bool(0.5) {
                (pick(&brokers, random), Some(Target::Clients))
            } else {
                one_way = true;
                let from = pick(&servers, random);
                let mut to = pick(&servers, random);
                while to == from {
                    to = pick(&servers, random);
                }
                (from, Some(to))
            }
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
        one_way,
        delay: spec.slow_link_delay,
        latency_multiplier: if kind == FaultKind::ObjectStoreLatency {
            spec.object_store_latency_multiplier
        } else {
            spec.disk_latency_multiplier
        },
        error_rate: spec.object_store_error_rate,
    }
}

fn footprint(action: &FaultAction, topology: &Topology, lasting: Duration) -> Footprint {
    let nodes = topology.nodes();
    let zone_of = |name: &str| {
        nodes
            .iter()
            .find(|plan| plan.name == name)
            .map(|plan| plan.zone.clone())
    };
    let mut footprint = Footprint {
        lasting,
        ..Footprint::default()
    };
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
            // A broker cut off from the clients only, or a one-way cut, keeps every copy it
            // holds up to date: the cluster still reaches it.
            let keeps_copies = match action.kind {
                FaultKind::SlowLink | FaultKind::DiskSlow => true,
                FaultKind::Partition => action.one_way || action.to == Some(Target::Clients),
                _ => false,
            };
            let takes_node_down = !keeps_copies;
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

fn overlaps(a: (&ScheduledFault, &Footprint), b: (&ScheduledFault, &Footprint)) -> bool {
    let end = |(fault, footprint): (&ScheduledFault, &Footprint)| fault.at + footprint.lasting;
    a.0.at < end(b) && b.0.at < end(a)
}

fn within_budget(
    candidate: &ScheduledFault,
    footprint: &Footprint,
    drawn: &[(ScheduledFault, Footprint)],
    spec: &RandomFaultSpec,
) -> bool {
    let mut zones = footprint.zones.clone();
    let mut nodes_down = footprint.nodes_down.clone();
    for (_, other) in drawn
        .iter()
        .filter(|(fault, other)| overlaps((fault, other), (candidate, footprint)))
    {
        zones.extend(other.zones.iter().cloned());
        nodes_down.extend(other.nodes_down.iter().cloned());
    }
    // A zone fault alone may take more nodes than `nodes_down_max`; the zone budget is what
    // keeps it safe.
    let nodes_down_max = spec.budget.nodes_down_max.max(footprint.nodes_down.len());
    zones.len() <= spec.budget.zones_affected_max && nodes_down.len() <= nodes_down_max
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::scenario_file::parse;

    fn spec_drawing(kinds: &str) -> ScenarioSpec {
        let text = format!(
            "name = \"draws\"\ndescription = \"d\"\n[run]\nsafety = \"30m\"\nliveness = \"30s\"\n\
             [random_faults]\nkinds = {kinds}\nmean_interval = \"10s\"\nduration_min = \"5s\"\n\
             duration_max = \"30s\"\n"
        );
        parse(Path::new("scenarios/draws.toml"), &text).expect("valid")
    }

    fn zone_of(topology: &Topology, target: &Target) -> Option<String> {
        match target {
            Target::Node(name) => topology
                .nodes()
                .into_iter()
                .find(|plan| plan.name == *name)
                .map(|plan| plan.zone),
            Target::Zone(zone) => Some(zone.clone()),
            _ => None,
        }
    }

    #[test]
    fn drawn_partitions_cut_a_broker_from_the_clients_or_one_way_between_servers() {
        let spec = spec_drawing("[\"partition\"]");
        let topology = Topology::default();
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(7));
        let (mut to_clients, mut one_way) = (0, 0);
        for fault in &schedule {
            assert_eq!(fault.action.kind, FaultKind::Partition);
            match &fault.action.to {
                Some(Target::Clients) => {
                    assert!(!fault.action.one_way);
                    let Target::Node(name) = &fault.action.target else {
                        panic!("{fault:?}")
                    };
                    assert!(name.starts_with("broker-"), "{fault:?}");
                    to_clients += 1;
                }
                Some(Target::Node(to)) => {
                    assert!(fault.action.one_way, "{fault:?}");
                    assert_ne!(Some(&fault.action.target), fault.action.to.as_ref());
                    assert!(!to.starts_with("client"), "{fault:?}");
                    one_way += 1;
                }
                other => panic!("unexpected destination {other:?}"),
            }
        }
        assert!(
            to_clients > 5 && one_way > 5,
            "{to_clients} to clients, {one_way} one-way"
        );
    }

    /// A drawn bit flip has nothing to heal, and for `CORRUPTION_BUDGET_WINDOW` no fault that
    /// takes a copy down may strike another zone: the two healthy copies stay up until the
    /// damaged one can have been repaired.
    #[test]
    fn a_drawn_bit_flip_holds_its_zone_until_it_can_have_been_repaired() {
        let spec = spec_drawing("[\"flip-bit\", \"kill\", \"lose-zone\"]");
        let topology = Topology::default();
        let mut flips_checked = 0;
        for seed in 0..20 {
            let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(seed));
            for flip in schedule.iter().filter(|f| f.action.kind == FaultKind::FlipBit) {
                assert_eq!(flip.lasting, None, "{flip:?}");
                let flip_zone = zone_of(&topology, &flip.action.target);
                for other in schedule
                    .iter()
                    .filter(|other| other.at >= flip.at && other.at < flip.at + CORRUPTION_BUDGET_WINDOW)
                {
                    assert_eq!(
                        zone_of(&topology, &other.action.target),
                        flip_zone,
                        "{flip:?} then {other:?}"
                    );
                }
                flips_checked += 1;
            }
        }
        assert!(flips_checked > 20, "only {flips_checked} flips drawn");
    }
}
