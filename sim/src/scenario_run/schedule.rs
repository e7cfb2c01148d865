//! The fault timeline of a run: the file's fixed faults plus, for scenarios with
//! `[random_faults]`, faults drawn from the seed within the fault budget.

use std::collections::BTreeSet;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::faults::{Draw, TargetForm};
use crate::scenario_file::{ChaseSpec, FaultAction, FaultKind, RandomFaultSpec, ScenarioSpec, Target};
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

/// The shortest bounce (`bounce_probability`).
const BOUNCE_MIN: Duration = Duration::from_millis(500);

/// How much of the world a fault takes out, for the budget, and for how long.
#[derive(Debug, Clone, Default)]
struct Footprint {
    /// Every zone the fault touches.
    zones: BTreeSet<String>,
    /// The zones where it takes copies down (a subset of `zones`).
    zones_down: BTreeSet<String>,
    /// The zones where it silences a node that keeps its copies (a pause): that copy leaves
    /// the ISRs once its session expires, so a crash elsewhere meanwhile may take the last
    /// in-sync copy's unflushed tail (Kafka's loss without eligible leader replicas, KIP-966).
    zones_silenced: BTreeSet<String>,
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
        let partitions: Vec<(String, u32)> = spec
            .topics
            .iter()
            .filter(|topic| topic.partitions > 0)
            .map(|topic| (topic.name.clone(), topic.partitions))
            .collect();
        schedule.extend(draw_random_faults(
            random_faults,
            spec.run.safety,
            topology,
            &partitions,
            random,
        ));
    }
    schedule.sort_by_key(|fault| fault.at);
    schedule
}

/// `partitions`: the scenario's topics and their partition counts (what chases aim at).
fn draw_random_faults(
    spec: &RandomFaultSpec,
    safety: Duration,
    topology: &Topology,
    partitions: &[(String, u32)],
    random: &mut impl Rng,
) -> Vec<ScheduledFault> {
    let mut drawn: Vec<(ScheduledFault, Footprint)> = Vec::new();
    let mut at = Duration::ZERO;
    loop {
        // Exponential gaps: faults arrive as a Poisson process with the mean interval.
        let gap_seconds = -spec.mean_interval.as_secs_f64() * (1.0 - random.gen::<f64>()).ln();
        at += Duration::from_secs_f64(gap_seconds);
        if at >= safety {
            break;
        }
        if let Some(fault) = draw_fault_at(at, &spec.kinds, spec, topology, &drawn, random) {
            drawn.push(fault);
        }
    }
    // Recovery is when a system is most fragile (a restarted follower truncating, a new
    // leader not yet caught up, a second failover before the first settled): some faults
    // strike just after another heals. Drawn after the Poisson arrivals, so that a scenario
    // without them keeps its schedule.
    // A follow-up is followed in turn with the same probability (a cascade of recoveries).
    if spec.after_heal_probability > 0.0 {
        let mut next = 0;
        while next < drawn.len() {
            let (fault, _) = &drawn[next];
            next += 1;
            let Some(heal) = fault.lasting.map(|lasting| fault.at + lasting) else {
                continue;
            };
            if !random.gen_bool(spec.after_heal_probability) {
                continue;
            }
            let at = heal + random.gen_range(Duration::ZERO..=spec.after_heal_within);
            if at >= safety {
                continue;
            }
            if let Some(fault) = draw_fault_at(at, &spec.kinds, spec, topology, &drawn, random) {
                drawn.push(fault);
            }
        }
    }
    // A second failure while the cluster still reacts to the first (a session expiring, an
    // election, a follower truncating to its new leader) is what single faults never reach:
    // some faults are joined by another while they last, within the budget (in another zone
    // only if it keeps every copy, when `zones_touched_max` allows a second zone). Drawn
    // last, so that a scenario without them keeps its schedule.
    if spec.overlap_probability > 0.0 {
        let mut next = 0;
        while next < drawn.len() {
            let (fault, footprint) = &drawn[next];
            next += 1;
            if !random.gen_bool(spec.overlap_probability) {
                continue;
            }
            let within = spec.overlap_within.min(footprint.lasting);
            let at = fault.at + random.gen_range(Duration::ZERO..=within);
            if at >= safety {
                continue;
            }
            let first_target = fault.action.target.clone();
            let kinds = &spec.overlap_kinds;
            if let Some(mut joining) = draw_fault_at(at, kinds, spec, topology, &drawn, random) {
                if random.gen_bool(SUCCESSOR_TARGET_PROBABILITY) {
                    aim_at_successor(&mut joining, &first_target, spec, topology, &drawn);
                }
                drawn.push(joining);
            }
        }
    }
    // Chases of one partition's leadership. Drawn last, so that a scenario without them
    // keeps its schedule.
    if let Some(chase) = &spec.chase {
        let mut at = Duration::ZERO;
        loop {
            let gap_seconds = -chase.every.as_secs_f64() * (1.0 - random.gen::<f64>()).ln();
            at += Duration::from_secs_f64(gap_seconds);
            if at >= safety {
                break;
            }
            let Some((topic, partitions)) = partitions.choose(random) else {
                break;
            };
            let partition = random.gen_range(0..*partitions);
            draw_chase(
                at,
                (topic, partition),
                chase,
                spec,
                safety,
                topology,
                &mut drawn,
                random,
            );
        }
    }
    drawn.into_iter().map(|(fault, _)| fault).collect()
}

/// The share of a chase's handovers after the first around which the partition's last
/// in-sync follower is paused (it always is around the first): a follower that misses a short
/// leadership entirely, and then leads or follows the next one.
const CHASE_FOLLOWER_PAUSE_PROBABILITY: f64 = 0.5;

/// The share of chases whose first strike follows a few seconds of a slowed link from the
/// replica elected next to the leader.
const CHASE_LAGGING_SUCCESSOR_PROBABILITY: f64 = 0.5;

/// One chase from `at`: 2 to `steps_max` strikes on `leader-of:<partition>`, `gap_min` to
/// `gap_max` apart (long enough for the struck leader's session to expire and a successor to
/// be elected, the next strike landing on that successor), half the time after a few seconds
/// in which the replica elected next lags. The first strike takes a kind from
/// `kinds` that strikes one broker and keeps its broker out until the chase is over (a leader
/// that came back and caught up would rejoin the ISR and take the next failover itself); the
/// next ones are pauses of `gap_min` to `gap_min + gap_max`, so a struck successor may return
/// in time to lead again after the next one. Around the first handover and half the later
/// ones, `follower-of` the partition is paused from somewhere between just before the strike and just before its
/// failover until just after the next strike: it misses the short leadership in between.
/// A strike the budget does not allow ends the chase; a chase that ends before its second
/// strike draws nothing.
#[allow(clippy::too_many_arguments)]
fn draw_chase(
    at: Duration,
    (topic, partition): (&str, u32),
    chase: &ChaseSpec,
    spec: &RandomFaultSpec,
    safety: Duration,
    topology: &Topology,
    drawn: &mut Vec<(ScheduledFault, Footprint)>,
    random: &mut impl Rng,
) {
    let pause = FaultKind::named("pause").expect("a registered kind");
    let leader = Target::LeaderOf(topic.to_string(), partition);
    let follower = Target::FollowerOf(topic.to_string(), partition);
    let steps = random.gen_range(2..=chase.steps_max);
    let strikes_at: Vec<Duration> = (0..steps)
        .scan(at, |strike_at, step| {
            if step > 0 {
                *strike_at += random.gen_range(chase.gap_min..=chase.gap_max);
            }
            Some(*strike_at)
        })
        .collect();
    let chase_end = strikes_at[steps - 1];
    // A chase that cannot strike twice is no chase: its faults are taken back.
    let drawn_before = drawn.len();
    // The replica elected next lags: its link to the leader slowed for a few seconds before
    // the first strike (its fetch requests arrive late, so it asks for less), so it leads
    // with less of the leader's last epoch than the follower that stays behind (what makes
    // their logs part in the middle of an epoch).
    if random.gen_bool(CHASE_LAGGING_SUCCESSOR_PROBABILITY) {
        if let Some(slow_link) = FaultKind::named("slow-link") {
            let mut action = random_action(slow_link, spec, topology, random);
            action.target = Target::NextLeaderOf(topic.to_string(), partition);
            action.to = Some(leader.clone());
            let slowed_at =
                at.saturating_sub(random.gen_range(Duration::from_secs(1)..=Duration::from_secs(6)));
            let lasting = at - slowed_at + Duration::from_millis(500);
            let lag = ScheduledFault {
                at: slowed_at,
                lasting: Some(lasting),
                action,
                drawn: true,
            };
            push_within_budget(lag, spec, topology, drawn);
        }
    }
    let mut strikes = 0;
    for (step, &strike_at) in strikes_at.iter().enumerate() {
        if strike_at >= safety {
            break;
        }
        let first_kind = *spec.kinds.choose(random).expect("validated non-empty");
        let takes_one_broker = matches!(
            first_kind.shape().target,
            TargetForm::Node | TargetForm::Broker { .. }
        );
        let kind = if step == 0 && takes_one_broker {
            first_kind
        } else {
            pause
        };
        let mut action = random_action(kind, spec, topology, random);
        if action.to.is_some() {
            action = random_action(pause, spec, topology, random);
        }
        action.target = leader.clone();
        let lasting = if step == 0 {
            chase_end - strike_at + random.gen_range(chase.gap_min..=chase.gap_max)
        } else {
            random.gen_range(chase.gap_min..=chase.gap_min + chase.gap_max)
        };
        let strike = ScheduledFault {
            at: strike_at,
            lasting: Some(lasting),
            action,
            drawn: true,
        };
        if !push_within_budget(strike, spec, topology, drawn) {
            break;
        }
        strikes += 1;
        let Some(&next_strike_at) = strikes_at.get(step + 1) else {
            continue;
        };
        if step == 0 || random.gen_bool(CHASE_FOLLOWER_PAUSE_PROBABILITY) {
            let mut action = random_action(pause, spec, topology, random);
            action.target = follower.clone();
            let paused_at = (strike_at + random.gen_range(Duration::ZERO..=chase.gap_min))
                .saturating_sub(Duration::from_secs(1));
            let resumed_at = next_strike_at + random.gen_range(Duration::ZERO..=Duration::from_millis(1500));
            let lasting = resumed_at.saturating_sub(paused_at).max(BOUNCE_MIN);
            let joining = ScheduledFault {
                at: paused_at,
                lasting: Some(lasting),
                action,
                drawn: true,
            };
            push_within_budget(joining, spec, topology, drawn);
        }
    }
    if strikes < 2 {
        drawn.truncate(drawn_before);
    }
}

/// The share of joining faults on a node that strike the first fault's successor (the broker
/// its partitions fail over to) instead of their drawn node, when the first fault hit a broker.
const SUCCESSOR_TARGET_PROBABILITY: f64 = 0.5;

/// Retargets a joining fault on a node at the successor of the broker `first` hit, if the
/// kind takes such a target and the budget still fits (the successor's zone is unknown until
/// it fires: it counts as a zone of its own).
fn aim_at_successor(
    joining: &mut (ScheduledFault, Footprint),
    first: &Target,
    spec: &RandomFaultSpec,
    topology: &Topology,
    drawn: &[(ScheduledFault, Footprint)],
) {
    let Target::Node(first_node) = first else {
        return;
    };
    let action = &joining.0.action;
    let takes_a_broker = matches!(
        action.kind.shape().target,
        TargetForm::Node | TargetForm::Broker { .. }
    );
    if !first_node.starts_with("broker-") || !takes_a_broker || action.to.is_some() {
        return;
    }
    let mut candidate = joining.0.clone();
    candidate.action.target = Target::SuccessorOf(first_node.clone());
    let footprint = footprint(&candidate.action, topology, candidate.at, joining.1.lasting);
    if within_budget(&candidate, &footprint, drawn, spec, topology) {
        *joining = (candidate, footprint);
    }
}

/// One fault starting `at`, within the budget left by `drawn`; `None` when no attempt fits.
fn draw_fault_at(
    at: Duration,
    kinds: &[FaultKind],
    spec: &RandomFaultSpec,
    topology: &Topology,
    drawn: &[(ScheduledFault, Footprint)],
    random: &mut impl Rng,
) -> Option<(ScheduledFault, Footprint)> {
    const ATTEMPTS_PER_FAULT_MAX: usize = 10;
    for _ in 0..ATTEMPTS_PER_FAULT_MAX {
        let kind = *kinds.choose(random).expect("validated non-empty");
        let mut drawn_lasting = random.gen_range(spec.duration_min..=spec.duration_max);
        // A bounce: the node is back before its session expires, still registered and still
        // in every ISR it was in, which a longer fault never leaves it.
        if spec.bounce_probability > 0.0 && random.gen_bool(spec.bounce_probability) {
            drawn_lasting = random.gen_range(BOUNCE_MIN..=spec.bounce_max.max(BOUNCE_MIN));
        }
        let action = random_action(kind, spec, topology, random);
        // An instantaneous fault has nothing to heal; its damage lasts until repaired.
        let (lasting, footprint_lasting) = if kind.is_instantaneous() {
            (None, CORRUPTION_BUDGET_WINDOW)
        } else {
            (Some(drawn_lasting), drawn_lasting)
        };
        let footprint = footprint(&action, topology, at, footprint_lasting);
        let candidate = ScheduledFault {
            at,
            lasting,
            action,
            drawn: true,
        };
        if within_budget(&candidate, &footprint, drawn, spec, topology) {
            return Some((candidate, footprint));
        }
    }
    None
}

/// The kind draws its target and parameters from the seed.
fn random_action(
    kind: FaultKind,
    spec: &RandomFaultSpec,
    topology: &Topology,
    random: &mut impl Rng,
) -> FaultAction {
    let drawn = kind.module().draw(&mut Draw {
        topology,
        params: &spec.params,
        random,
    });
    FaultAction {
        kind,
        target: drawn.target,
        to: drawn.to,
        params: drawn.params,
    }
}

fn footprint(action: &FaultAction, topology: &Topology, at: Duration, lasting: Duration) -> Footprint {
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
            footprint.zones_down.insert(zone.clone());
            let in_zone = nodes
                .iter()
                .filter(|plan| plan.zone == *zone && plan.role != Role::Client);
            footprint.nodes_down.extend(in_zone.map(|plan| plan.name.clone()));
        }
        Target::Node(name) => {
            footprint.zones.extend(zone_of(name));
            if action.kind.module().holds_copies_out_of_isr() {
                footprint.zones_silenced.extend(zone_of(name));
            }
            if !action.kind.module().keeps_copies(action) {
                footprint.zones_down.extend(zone_of(name));
                footprint.nodes_down.insert(name.clone());
            }
        }
        // Resolved when it fires: a broker in another zone than the one it succeeds, but
        // which is unknown now, so it counts as a zone (and a node) of its own.
        Target::SuccessorOf(of) => {
            let unknown = format!("the zone of the successor of {of}");
            footprint.zones.insert(unknown.clone());
            if action.kind.module().holds_copies_out_of_isr() {
                footprint.zones_silenced.insert(unknown.clone());
            }
            if !action.kind.module().keeps_copies(action) {
                footprint.zones_down.insert(unknown);
                footprint.nodes_down.insert(format!("the successor of {of}"));
            }
        }
        // Resolved when it fires, and two strikes of one chase may land on different brokers:
        // each counts as a zone (and a node) of its own, named by its start.
        Target::LeaderOf(..) | Target::FollowerOf(..) | Target::NextLeaderOf(..) => {
            let unknown = format!("the zone of {} at {at:?}", action.target);
            footprint.zones.insert(unknown.clone());
            if action.kind.module().holds_copies_out_of_isr() {
                footprint.zones_silenced.insert(unknown.clone());
            }
            if !action.kind.module().keeps_copies(action) {
                footprint.zones_down.insert(unknown);
                footprint
                    .nodes_down
                    .insert(format!("{} at {at:?}", action.target));
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

/// Adds `fault` (which has a duration) to `drawn` if the budget left allows it; says whether
/// it did.
fn push_within_budget(
    fault: ScheduledFault,
    spec: &RandomFaultSpec,
    topology: &Topology,
    drawn: &mut Vec<(ScheduledFault, Footprint)>,
) -> bool {
    let lasting = fault.lasting.unwrap_or_default();
    let fault_footprint = footprint(&fault.action, topology, fault.at, lasting);
    let fits = within_budget(&fault, &fault_footprint, drawn, spec, topology);
    if fits {
        drawn.push((fault, fault_footprint));
    }
    fits
}

fn within_budget(
    candidate: &ScheduledFault,
    footprint: &Footprint,
    drawn: &[(ScheduledFault, Footprint)],
    spec: &RandomFaultSpec,
    topology: &Topology,
) -> bool {
    let mut zones = footprint.zones.clone();
    let mut zones_down = footprint.zones_down.clone();
    let mut nodes_down = footprint.nodes_down.clone();
    for (other_fault, other) in drawn
        .iter()
        .filter(|(fault, other)| overlaps((fault, other), (candidate, footprint)))
    {
        zones.extend(other.zones.iter().cloned());
        zones_down.extend(other.zones_down.iter().cloned());
        nodes_down.extend(other.nodes_down.iter().cloned());
        // A fault that takes copies down may not strike while a pause elsewhere holds a copy
        // out of the ISRs; a pause may still join a crash (the crashed copy is out already).
        if !footprint.zones_down.is_empty() && other_fault.at <= candidate.at {
            zones_down.extend(other.zones_silenced.iter().cloned());
        }
        if !other.zones_down.is_empty() && candidate.at < other_fault.at {
            zones_down.extend(footprint.zones_silenced.iter().cloned());
        }
    }
    // A zone fault alone may take more nodes than `nodes_down_max`; the zone budget is what
    // keeps it safe.
    let nodes_down_max = spec.budget.nodes_down_max.max(footprint.nodes_down.len());
    // A zone unknown until its fault fires (a successor's, a chased leader's) counts as one
    // more zone, but there are never more zones than the topology has: the worst case.
    let zone_count = topology.zones.len();
    zones.len().min(zone_count) <= spec.budget.zones_touched_max
        && zones_down.len().min(zone_count) <= spec.budget.zones_affected_max
        && nodes_down.len() <= nodes_down_max
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
            assert!(fault.action.kind.is("partition"));
            match &fault.action.to {
                Some(Target::Clients) => {
                    assert!(!fault.action.params.flag("one_way"));
                    let Target::Node(name) = &fault.action.target else {
                        panic!("{fault:?}")
                    };
                    assert!(name.starts_with("broker-"), "{fault:?}");
                    to_clients += 1;
                }
                Some(Target::Node(to)) => {
                    assert!(fault.action.params.flag("one_way"), "{fault:?}");
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
            for flip in schedule.iter().filter(|f| f.action.kind.is("flip-bit")) {
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

    fn spec_with(kinds: &str, extra: &str) -> ScenarioSpec {
        let text = format!(
            "name = \"draws\"\ndescription = \"d\"\n[run]\nsafety = \"30m\"\nliveness = \"30s\"\n\
             [random_faults]\nkinds = {kinds}\nmean_interval = \"10s\"\nduration_min = \"5s\"\n\
             duration_max = \"30s\"\n{extra}"
        );
        parse(Path::new("scenarios/draws.toml"), &text).expect("valid")
    }

    /// The recovery and bounce keys at zero draw exactly the schedule drawn without them.
    #[test]
    fn recovery_keys_at_zero_keep_the_schedule() {
        let topology = Topology::default();
        let plain = spec_with("[\"kill\", \"partition\"]", "");
        let zero = spec_with(
            "[\"kill\", \"partition\"]",
            "after_heal_probability = 0\nbounce_probability = 0.0\n",
        );
        for seed in 0..5 {
            assert_eq!(
                build_schedule(&plain, &topology, &mut ChaCha8Rng::seed_from_u64(seed)),
                build_schedule(&zero, &topology, &mut ChaCha8Rng::seed_from_u64(seed))
            );
        }
    }

    /// With `after_heal_probability = 1` a fault starts within `after_heal_within` of most heals
    /// (all but those the budget or the end of the safety phase refuse).
    #[test]
    fn faults_strike_just_after_heals_when_asked() {
        let topology = Topology::default();
        let spec = spec_with(
            "[\"kill\", \"isolate\", \"slow-link\"]",
            "after_heal_probability = 1\nafter_heal_within = \"1s\"\n",
        );
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(3));
        let heals: Vec<Duration> = schedule
            .iter()
            .filter_map(|fault| fault.lasting.map(|lasting| fault.at + lasting))
            .filter(|heal| *heal < Duration::from_secs(1790))
            .collect();
        let followed = heals
            .iter()
            .filter(|heal| {
                schedule
                    .iter()
                    .any(|fault| fault.at >= **heal && fault.at <= **heal + Duration::from_secs(1))
            })
            .count();
        assert!(
            followed * 10 >= heals.len() * 7,
            "{followed} of {} heals followed within 1 s",
            heals.len()
        );
    }

    /// Bounces last from 0.5 s to `bounce_max`; the rest as the table says.
    #[test]
    fn bounces_are_short_and_the_rest_keep_their_range() {
        let topology = Topology::default();
        let spec = spec_with("[\"kill\"]", "bounce_probability = 0.5\nbounce_max = \"4s\"\n");
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(11));
        let lastings: Vec<Duration> = schedule.iter().filter_map(|fault| fault.lasting).collect();
        let bounces = lastings
            .iter()
            .filter(|lasting| **lasting < Duration::from_secs(5))
            .count();
        assert!(lastings
            .iter()
            .all(|lasting| *lasting >= BOUNCE_MIN && *lasting <= Duration::from_secs(30)));
        assert!(lastings
            .iter()
            .all(|lasting| *lasting <= Duration::from_secs(4) || *lasting >= Duration::from_secs(5)));
        assert!(
            bounces * 4 >= lastings.len() && bounces * 4 <= lastings.len() * 3,
            "{bounces} bounces of {}",
            lastings.len()
        );
    }

    /// A drawn `crash-controllers` crashes every controller and costs no budget: it may
    /// overlap a zone fault.
    #[test]
    fn a_drawn_crash_of_the_controllers_takes_them_all_and_no_budget() {
        let topology = Topology::default();
        let spec = spec_with("[\"crash-controllers\", \"lose-zone\"]", "");
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(5));
        let crashes: Vec<&ScheduledFault> = schedule
            .iter()
            .filter(|fault| fault.action.kind.is("crash-controllers"))
            .collect();
        assert!(!crashes.is_empty());
        assert!(crashes
            .iter()
            .all(|fault| fault.action.target == Target::Controllers));
        let overlaps_a_zone_fault = crashes.iter().any(|crash| {
            schedule.iter().any(|other| {
                other.action.kind.is("lose-zone")
                    && other.at < crash.at + crash.lasting.unwrap_or_default()
                    && crash.at < other.at + other.lasting.unwrap_or_default()
            })
        });
        assert!(overlaps_a_zone_fault, "{schedule:#?}");
    }

    /// Chases strike `leader-of` one partition two or more times in a row, within
    /// `chase_gap_max` of each other (the first with a drawn kind, the rest pauses), some
    /// joined by a pause of `follower-of` the same partition; a scenario without
    /// `chase_every` draws none.
    #[test]
    fn chases_strike_one_partitions_leaders_in_turn() {
        let topology = Topology::default();
        let topics = "\n[[topics]]\nname = \"orders\"\npartitions = 12\nreplication_factor = 3\n";
        let spec = spec_with(
            "[\"kill\", \"pause\"]",
            &format!("zones_touched_max = 3\nchase_every = \"60s\"\nchase_gap_max = \"12s\"\n{topics}"),
        );
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(3));
        let strikes: Vec<&ScheduledFault> = schedule
            .iter()
            .filter(|fault| matches!(fault.action.target, Target::LeaderOf(..)))
            .collect();
        let follower_pauses = schedule
            .iter()
            .filter(|fault| matches!(fault.action.target, Target::FollowerOf(..)))
            .inspect(|fault| assert!(fault.action.kind.is("pause"), "{fault:?}"))
            .count();
        assert!(strikes.len() > 20, "only {} strikes", strikes.len());
        assert!(follower_pauses > 5, "only {follower_pauses} follower pauses");
        // Every strike has a strike on the same partition within the gap before or after it.
        for strike in &strikes {
            assert!(
                strikes.iter().any(|other| !std::ptr::eq(*other, *strike)
                    && other.action.target == strike.action.target
                    && other.at.abs_diff(strike.at) <= Duration::from_secs(12)),
                "{strike:?} strikes alone"
            );
            let Target::LeaderOf(topic, partition) = &strike.action.target else {
                unreachable!()
            };
            assert!(topic == "orders" && *partition < 12, "{strike:?}");
        }
        // The first strike of a chase may be a crash (on some seed: it must fit the budget
        // for the whole chase).
        let crash_first = (0..10).any(|seed| {
            build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(seed))
                .iter()
                .any(|fault| {
                    fault.action.kind.is("kill") && matches!(fault.action.target, Target::LeaderOf(..))
                })
        });
        assert!(crash_first, "no chase started with a crash");
        // Some chases start with the link from the leader to the next leader slowed.
        assert!(schedule.iter().any(|fault| fault.action.kind.is("slow-link")
            && fault.action.to
                == Some(Target::LeaderOf(
                    "orders".to_string(),
                    match &fault.action.target {
                        Target::NextLeaderOf(_, partition) => *partition,
                        _ => u32::MAX,
                    }
                ))));
        let plain = spec_with(
            "[\"kill\", \"pause\"]",
            &format!("zones_touched_max = 3\n{topics}"),
        );
        let schedule = build_schedule(&plain, &topology, &mut ChaCha8Rng::seed_from_u64(3));
        assert!(!schedule
            .iter()
            .any(|fault| matches!(fault.action.target, Target::LeaderOf(..) | Target::FollowerOf(..))));
    }

    /// With `overlap_probability = 1` most faults are joined by another while they last;
    /// with `zones_touched_max = 2` the one in a second zone keeps every copy (a pause, a slow
    /// link), and never two zones lose copies at once.
    #[test]
    fn overlapping_faults_in_a_second_zone_keep_every_copy() {
        let topology = Topology::default();
        let spec = spec_with(
            "[\"kill\", \"pause\", \"slow-link\"]",
            "overlap_probability = 1\noverlap_within = \"4s\"\nzones_touched_max = 2\n",
        );
        let schedule = build_schedule(&spec, &topology, &mut ChaCha8Rng::seed_from_u64(9));
        let active = |fault: &ScheduledFault, at: Duration| {
            fault.at <= at && at < fault.at + fault.lasting.unwrap_or_default()
        };
        let mut two_zones = 0;
        for fault in &schedule {
            let others: Vec<&ScheduledFault> = schedule
                .iter()
                .filter(|other| !std::ptr::eq(*other, fault) && active(other, fault.at))
                .collect();
            let mut zones = BTreeSet::new();
            let mut zones_down = BTreeSet::new();
            for one in others.iter().copied().chain([fault]) {
                let zone = zone_of(&topology, &one.action.target);
                zones.extend(zone.clone());
                if !one.action.kind.module().keeps_copies(&one.action) {
                    zones_down.extend(zone);
                }
            }
            assert!(
                zones.len() <= 2 && zones_down.len() <= 1,
                "{fault:?} with {others:?}"
            );
            if zones.len() == 2 {
                two_zones += 1;
            }
        }
        assert!(two_zones > 10, "only {two_zones} faults in a second zone");
        // Half the joining faults on a broker's failover strike its successor.
        let successors = schedule
            .iter()
            .filter(|fault| matches!(fault.action.target, Target::SuccessorOf(_)))
            .count();
        assert!(successors > 2, "only {successors} faults aimed at a successor");
        // No crash starts while a pause in another zone holds a copy out of the ISRs.
        for crash in schedule.iter().filter(|fault| fault.action.kind.is("kill")) {
            for pause in schedule.iter().filter(|other| {
                other.action.kind.is("pause") && active(other, crash.at) && other.at < crash.at
            }) {
                assert_eq!(
                    zone_of(&topology, &pause.action.target),
                    zone_of(&topology, &crash.action.target),
                    "{crash:?} during {pause:?}"
                );
            }
        }
        // Without the overlap keys, the same kinds never touch two zones at once.
        let plain = spec_with("[\"kill\", \"pause\", \"slow-link\"]", "");
        let schedule = build_schedule(&plain, &topology, &mut ChaCha8Rng::seed_from_u64(9));
        for fault in &schedule {
            assert!(schedule
                .iter()
                .filter(|other| active(other, fault.at))
                .all(|other| zone_of(&topology, &other.action.target)
                    == zone_of(&topology, &fault.action.target)));
        }
    }
}
