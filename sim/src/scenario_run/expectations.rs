//! The scenario's own expectations (deadlines and end states), judged after the run from the
//! trace and from what a client reads, the same way the checkers judge invariants.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use korasim_core::metadata::{FenceReason, MetadataRecord};
use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::checkers::log_replay::LogReplay;
use crate::scenario_file::ExpectSpec;
use crate::trace::{TraceEntry, TraceKind};
use crate::world::Role;

/// How long after a fault heals its effects may still show (a fence decided just before the
/// heal, a controller change still settling).
const AFTERMATH_GRACE: Duration = Duration::from_secs(15);

/// Everything the judgement needs besides the trace.
pub struct Judgement<'a> {
    pub expect: &'a ExpectSpec,
    pub fired: &'a [FiredFault],
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    /// When the safety phase began (faults before it are the scenario's set-up).
    pub safety_started: Duration,
    /// When the liveness phase healed every fault still active.
    pub safety_ended: Duration,
    pub broker_nodes: BTreeMap<u32, String>,
    /// The metadata quorum's controllers, by node name.
    pub controllers: Vec<String>,
    /// A link between two controllers slower than this (one way) keeps them from working as
    /// a quorum: a vote or a lease renewal cannot come back in time (the smaller of the
    /// election timeout and the active controller's lease).
    pub quorum_link_delay_max: Duration,
}

/// How a broker came to be fenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FenceCause {
    /// No heartbeat within the session timeout.
    Silence,
    /// Any other way: a controlled shutdown, or a (re-)registration, which starts fenced.
    Other,
}

/// Every time the log fenced a broker, with the time it first recorded it. Each batch counts
/// once, at its first report: a controller re-applying its log after a restart reports old
/// fences again, and those are not new fences.
fn fences(trace: &[TraceEntry]) -> Vec<(Duration, u32, FenceCause)> {
    let mut replay = LogReplay::default();
    let mut fences = Vec::new();
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            match record {
                MetadataRecord::FenceBroker { broker, reason, .. } => {
                    let cause = if *reason == FenceReason::SessionExpired {
                        FenceCause::Silence
                    } else {
                        FenceCause::Other
                    };
                    fences.push((entry.at, *broker, cause));
                }
                MetadataRecord::RegisterBroker { broker, .. } => {
                    fences.push((entry.at, *broker, FenceCause::Other))
                }
                _ => {}
            }
        }
    }
    fences
}

/// The fences for silence alone.
fn fences_for_silence(all: &[(Duration, u32, FenceCause)]) -> Vec<(Duration, u32)> {
    all.iter()
        .filter(|(_, _, cause)| *cause == FenceCause::Silence)
        .map(|(at, broker, _)| (*at, *broker))
        .collect()
}

impl Judgement<'_> {
    /// When `fired` was actually healed: as scheduled, or when the liveness phase began.
    fn healed_at(&self, fired: &FiredFault) -> Duration {
        fired
            .heal_at
            .map_or(self.safety_ended, |heal| heal.min(self.safety_ended))
    }

    /// Every unmet expectation, as a sentence.
    pub fn judge(&self, trace: &[TraceEntry]) -> Vec<String> {
        let mut failures = Vec::new();
        let all_fences = fences(trace);
        for fired in self.fired {
            failures.extend(self.controller_takeover(fired, trace));
            failures.extend(self.stale_controller_steps_down(fired, trace));
            failures.extend(self.brokers_fenced(fired, trace, &all_fences));
        }
        failures.extend(self.false_alarms(trace, &fences_for_silence(&all_fences)));
        failures
    }

    /// When the quorum came back, if faults active together (one of them or several, a crash
    /// here and a pause there) held a majority of the controllers down while `fired` was
    /// active: until then nothing can fence, elect or take over.
    fn quorum_back_at(&self, fired: &FiredFault) -> Option<Duration> {
        let fired_until = self.healed_at(fired);
        self.quorum_lost_spans()
            .into_iter()
            .rev()
            .find(|(lost, back)| *lost <= fired_until && *back >= fired.at)
            .map(|(_, back)| back)
    }

    /// The spans during which the faults active together held a majority of the controllers
    /// down or cut off, merged where they touch, in order.
    fn quorum_lost_spans(&self) -> Vec<(Duration, Duration)> {
        if self.controllers.is_empty() {
            return Vec::new();
        }
        let mut moments: Vec<Duration> = self
            .fired
            .iter()
            .flat_map(|other| [other.at, self.healed_at(other)])
            .collect();
        moments.sort();
        moments.dedup();
        // Sweep the moments at which the set of silenced controllers changes.
        let mut spans: Vec<(Duration, Duration)> = Vec::new();
        for span in moments.windows(2) {
            let (start, end) = (span[0], span[1]);
            let active: Vec<&FiredFault> = self
                .fired
                .iter()
                .filter(|other| other.at <= start && self.healed_at(other) > start)
                .collect();
            if self.quorum_can_work(&active) {
                continue;
            }
            match spans.last_mut() {
                Some(last) if last.1 == start => last.1 = end,
                _ => spans.push((start, end)),
            }
        }
        spans
    }

    /// Whether, under the faults `active` together, a majority of the controllers is up and
    /// every two of them can talk in time (no cut between them either way, no link slower
    /// than `quorum_link_delay_max`).
    fn quorum_can_work(&self, active: &[&FiredFault]) -> bool {
        let down: BTreeSet<&str> = active
            .iter()
            .flat_map(|fault| silenced_controllers(fault))
            .collect();
        let bad_pairs: BTreeSet<(&str, &str)> = active
            .iter()
            .flat_map(|fault| &fault.effect.degraded_links)
            .filter(|(_, _, delay)| delay.is_none_or(|delay| delay >= self.quorum_link_delay_max))
            .flat_map(|(from, to, _)| [(from.as_str(), to.as_str()), (to.as_str(), from.as_str())])
            .collect();
        let up: Vec<&str> = self
            .controllers
            .iter()
            .map(String::as_str)
            .filter(|name| !down.contains(name))
            .collect();
        let majority = self.controllers.len() / 2 + 1;
        // Quorums are few (at most a handful of controllers): try every subset of the live ones.
        (0u32..1 << up.len()).any(|subset| {
            let members: Vec<&str> = (0..up.len())
                .filter(|bit| subset & (1 << bit) != 0)
                .map(|bit| up[bit])
                .collect();
            members.len() >= majority
                && members
                    .iter()
                    .all(|a| members.iter().all(|b| a == b || !bad_pairs.contains(&(*a, *b))))
        })
    }

    /// The first moment from `from` on after which the quorum stays up for `within`: a quorum
    /// lost again before that starts the wait over from its return.
    fn quorum_steady_from(&self, from: Duration, within: Duration) -> Duration {
        let mut steady = from;
        for (lost, back) in self.quorum_lost_spans() {
            if back <= steady {
                continue;
            }
            if lost > steady + within {
                break;
            }
            steady = steady.max(back);
        }
        steady
    }

    /// The first moment from `from` on at which no fault holds `node` down or cut off.
    fn running_again_from(&self, node: &str, from: Duration) -> Duration {
        let mut at = from;
        // Each step jumps to the latest heal among the faults holding it at `at`; faults are
        // few, so this ends after at most one step per fault.
        while let Some(until) = self
            .fired
            .iter()
            .filter(|other| {
                other.at <= at && self.healed_at(other) > at && silenced_nodes(other).any(|name| name == node)
            })
            .map(|other| self.healed_at(other))
            .max()
        {
            at = until;
        }
        at
    }

    fn controller_takeover(&self, fired: &FiredFault, trace: &[TraceEntry]) -> Option<String> {
        let within = self.expect.active_controller_within?;
        let (old, old_term) = fired.active_controller_before.clone()?;
        // Without a quorum no controller can take over: the deadline runs from its return.
        let quorum_back = self.quorum_back_at(fired);
        let start = quorum_back.map_or(fired.at, |back| back.max(fired.at));
        // A fault that took only the active controller and healed before the deadline owes
        // no takeover (the controller may simply come back); once the quorum was lost (by
        // this fault alone or with others) one is owed after it returns.
        let excused_by_heal = quorum_back.is_none() && self.healed_at(fired) < start + within;
        if !fired.took_active_controller || excused_by_heal {
            return None;
        }
        // Later faults that take the quorum away again before the deadline push it back: an
        // election needs `within` of a standing quorum.
        let steady = self.quorum_steady_from(start, within);
        let lost_again = self
            .quorum_lost_spans()
            .into_iter()
            .map(|(lost, _)| lost)
            .find(|lost| *lost > start);
        // After a quorum loss the old controller itself may come back active: in a later term,
        // or in its own term (openraft resumes a leadership whose vote it synced).
        let quorum_lost = quorum_back.is_some() || steady > start;
        let took_over = trace.iter().any(|entry| {
            let TraceKind::Node(Event::ControllerActivated { term }) = entry.kind else {
                return false;
            };
            let counts = if quorum_lost {
                term > old_term || (term == old_term && entry.node == old)
            } else {
                term > old_term && entry.node != old
            };
            entry.at >= fired.at && entry.at <= steady + within && counts
        });
        // ... or it never lost its leadership: a controller paused or cut off briefly while
        // the quorum was down is running again by the deadline (when the quorum returns, or
        // when the last fault still holding it heals, as a pause that outlasts the quorum's
        // loss by a moment), and goes on as the active one without stepping down or
        // restarting (a pause keeps its process) until the deadline, or until a later quorum
        // loss takes it. (A later fault on it is judged on its own.)
        let kept_until = lost_again.map_or(start + within, |lost| lost.min(start + within));
        let running_again = self.running_again_from(&old, start);
        let kept_it = quorum_back.is_some()
            && running_again < kept_until
            && !trace.iter().any(|entry| {
                entry.node == old
                    && entry.at >= fired.at
                    && entry.at <= kept_until
                    && matches!(
                        entry.kind,
                        TraceKind::Node(
                            Event::ControllerDeactivated { .. } | Event::ControllerRecovered { .. }
                        )
                    )
            });
        (!took_over && !kept_it).then(|| {
            format!(
                "{} on {} at {:.3}s took out active controller {old} (term {old_term}); no other controller became active within {within:?}",
                fired.action.kind,
                fired.action.target,
                fired.at.as_secs_f64()
            )
        })
    }

    fn stale_controller_steps_down(&self, fired: &FiredFault, trace: &[TraceEntry]) -> Option<String> {
        let within = self.expect.stale_controller_steps_down_within?;
        let cut_off = fired.action.kind.module().cuts_off();
        let (old, _) = fired.active_controller_before.clone()?;
        if !cut_off || !fired.took_active_controller || self.healed_at(fired) < fired.at + within {
            return None;
        }
        let stepped_down = trace.iter().any(|entry| {
            entry.at >= fired.at
                && entry.at <= fired.at + within
                && entry.node == old
                && matches!(entry.kind, TraceKind::Node(Event::ControllerDeactivated { .. }))
        });
        (!stepped_down).then(|| {
            format!(
                "active controller {old} was cut off at {:.3}s and did not step down within {within:?}",
                fired.at.as_secs_f64()
            )
        })
    }

    /// A broker silenced for longer than the deadline must be fenced by then, and not before
    /// its session could have expired.
    fn brokers_fenced(
        &self,
        fired: &FiredFault,
        trace: &[TraceEntry],
        fences: &[(Duration, u32, FenceCause)],
    ) -> Vec<String> {
        let Some(mut within) = self.expect.broker_fenced_within else {
            return Vec::new();
        };
        // A controlled shutdown ends the broker's session by itself: no fence is owed.
        if fired.action.kind.is("shutdown") {
            return Vec::new();
        }
        if fired.took_active_controller {
            // The successor gives every broker a fresh session, so the deadline starts over
            // once it takes over.
            within += self
                .expect
                .active_controller_within
                .unwrap_or(Duration::from_secs(6));
        }
        let base_within = self.expect.broker_fenced_within.unwrap_or(within);
        // While a fault holds the quorum down nothing can fence: the deadline runs again once
        // the quorum is back and has had time to elect a controller.
        let start = match self.quorum_back_at(fired) {
            Some(back) => fired.at.max(
                back + self
                    .expect
                    .active_controller_within
                    .unwrap_or(Duration::from_secs(6)),
            ),
            None => fired.at,
        };
        let deadline = self.fence_deadline(start + within, base_within, trace);
        // A fault healed before its deadline (pushed back by any takeover) owes no fence.
        if self.healed_at(fired) < deadline {
            return Vec::new();
        }
        let earliest = fired.at + self.session_timeout.saturating_sub(self.heartbeat_interval);
        let mut failures = Vec::new();
        for (broker, node) in &self.broker_nodes {
            if !fired.silenced.contains(node) {
                continue;
            }
            let fence = fences
                .iter()
                .find(|(at, fenced, _)| *at >= fired.at && fenced == broker)
                .map(|(at, _, cause)| (*at, *cause));
            match fence {
                // A broker cut off shortly before may already be most of the way through its
                // session; an early fence is then the earlier fault's doing.
                Some((at, FenceCause::Silence)) if at < earliest && !self.recently_silenced(node, fired) => {
                    failures.push(format!(
                    "{node} was fenced at {:.3}s, before its session could have expired (silenced at {:.3}s)",
                    at.as_secs_f64(),
                    fired.at.as_secs_f64()
                ))
                }
                Some((at, _)) if at <= deadline => {}
                _ => failures.push(format!(
                    "{node} was silenced by {} at {:.3}s and not fenced by {:.3}s",
                    fired.action.kind,
                    fired.at.as_secs_f64(),
                    deadline.as_secs_f64()
                )),
            }
        }
        failures
    }

    /// Whether another fault touched `node` (cut it off, slowed its links or disk) during the
    /// session timeout before `fired` began: its heartbeats may already have been missing.
    fn recently_silenced(&self, node: &str, fired: &FiredFault) -> bool {
        self.fired.iter().any(|other| {
            !std::ptr::eq(other, fired)
                && other.at <= fired.at
                && other.affected.iter().any(|name| name == node)
                && self.healed_at(other) + self.session_timeout >= fired.at
        })
    }

    /// A controller that takes over gives every broker a fresh session (as KRaft does), so each
    /// takeover before the deadline pushes it to a full fencing deadline after the takeover;
    /// and while no controller is active nobody can fence, so a step-down before the deadline
    /// pushes it to a full deadline after the next takeover.
    fn fence_deadline(&self, initial: Duration, within: Duration, trace: &[TraceEntry]) -> Duration {
        let mut deadline = initial;
        for (position, entry) in trace.iter().enumerate() {
            if entry.at > deadline {
                break;
            }
            match &entry.kind {
                TraceKind::Node(Event::ControllerActivated { .. }) => {
                    deadline = deadline.max(entry.at + within)
                }
                TraceKind::Node(Event::ControllerDeactivated { .. }) => {
                    let next_takeover = trace[position..].iter().find(|later| {
                        matches!(later.kind, TraceKind::Node(Event::ControllerActivated { .. }))
                    });
                    deadline = match next_takeover {
                        Some(takeover) => deadline.max(takeover.at + within),
                        // No controller again in this run: the takeover expectation reports it.
                        None => Duration::MAX / 4,
                    };
                }
                _ => {}
            }
        }
        deadline
    }

    /// With `no_false_alarms`, fencing and controller changes happen only during a fault or
    /// its aftermath; with `no_fencing`, no broker is fenced for silence at all.
    fn false_alarms(&self, trace: &[TraceEntry], fences: &[(Duration, u32)]) -> Vec<String> {
        let mut failures = Vec::new();
        let explained = |at: Duration| {
            self.fired
                .iter()
                .any(|fired| at >= fired.at && at <= self.healed_at(fired) + AFTERMATH_GRACE)
        };
        for (at, broker) in fences.iter().filter(|(at, _)| *at >= self.safety_started) {
            if self.expect.no_fencing {
                failures.push(format!(
                    "broker {broker} was fenced at {:.3}s; this scenario fences nobody",
                    at.as_secs_f64()
                ));
            } else if self.expect.no_false_alarms && !explained(*at) {
                failures.push(format!(
                    "false alarm: broker {broker} fenced at {:.3}s with no fault to explain it",
                    at.as_secs_f64()
                ));
            }
        }
        if self.expect.no_false_alarms {
            for entry in trace
                .iter()
                .filter(|entry| entry.at >= self.safety_started && !explained(entry.at))
            {
                if let TraceKind::Node(Event::ControllerDeactivated { reason, .. }) = &entry.kind {
                    failures.push(format!(
                        "false alarm: {} stepped down at {:.3}s with no fault to explain it ({reason})",
                        entry.node,
                        entry.at.as_secs_f64()
                    ));
                }
            }
        }
        failures
    }
}

/// How many partitions a convergence failure names before it counts the rest.
const LISTED_MAX: usize = 4;

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// The cluster state at the end of the trace, replayed from the applied metadata batches.
#[derive(Debug, Default)]
pub struct ReplayedState {
    pub fenced: BTreeMap<u32, bool>,
    pub leaders: BTreeMap<(String, u32), Option<u32>>,
    /// Per partition, the replicas outside its ISR.
    pub out_of_isr: BTreeMap<(String, u32), Vec<u32>>,
}

impl ReplayedState {
    pub fn from_trace(trace: &[TraceEntry]) -> Self {
        let mut replay = LogReplay::default();
        let mut state = ReplayedState::default();
        for entry in trace {
            if let Some(batch) = replay.next_batch(entry) {
                state.apply(batch.records);
            }
        }
        state
    }

    /// Applies one batch that took effect.
    pub fn apply(&mut self, records: &[MetadataRecord]) {
        for record in records {
            match record {
                MetadataRecord::RegisterBroker { broker, .. }
                | MetadataRecord::FenceBroker { broker, .. } => {
                    self.fenced.insert(*broker, true);
                }
                MetadataRecord::UnfenceBroker { broker, .. } => {
                    self.fenced.insert(*broker, false);
                }
                MetadataRecord::CreateTopic { .. } | MetadataRecord::BrokerMitigation { .. } => {}
                MetadataRecord::PartitionState(partition) => {
                    let key = (partition.topic.clone(), partition.partition);
                    let out_of_isr = partition
                        .replicas
                        .iter()
                        .filter(|replica| !partition.isr.contains(replica))
                        .copied()
                        .collect();
                    self.leaders.insert(key.clone(), partition.leader);
                    self.out_of_isr.insert(key, out_of_isr);
                }
            }
        }
    }

    /// How many registered brokers are unfenced.
    pub fn unfenced_count(&self) -> usize {
        self.fenced.values().filter(|fenced| !**fenced).count()
    }

    /// Sentences for everything that has not converged (KORA invariant 10): a broker not
    /// registered or still fenced, a partition without a leader, an ISR not back to full.
    pub fn unconverged(&self, brokers: &BTreeMap<u32, String>) -> Vec<String> {
        let mut problems = Vec::new();
        for (broker, node) in brokers {
            match self.fenced.get(broker) {
                None => problems.push(format!("{node} never registered")),
                Some(true) => problems.push(format!("{node} is still fenced")),
                Some(false) => {}
            }
        }
        let leaderless: Vec<String> = self
            .leaders
            .iter()
            .filter(|(_, leader)| leader.is_none())
            .map(|((topic, partition), _)| format!("{topic}-{partition}"))
            .collect();
        if !leaderless.is_empty() {
            problems.push(format!("partitions without a leader: {}", leaderless.join(", ")));
        }
        // Grouped by the missing broker: one broker that never rejoins reads as one line.
        let mut missing: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for ((topic, partition), outside) in &self.out_of_isr {
            for broker in outside {
                missing
                    .entry(*broker)
                    .or_default()
                    .push(format!("{topic}-{partition}"));
            }
        }
        let short: Vec<String> = missing
            .iter()
            .map(|(broker, partitions)| {
                let name = brokers
                    .get(broker)
                    .map_or_else(|| format!("broker {broker}"), String::clone);
                let listed: Vec<&str> = partitions.iter().take(LISTED_MAX).map(String::as_str).collect();
                let more = partitions.len().saturating_sub(LISTED_MAX);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!(
                    "{name} is missing from {} ({}{tail})",
                    plural(partitions.len(), "ISR"),
                    listed.join(", ")
                )
            })
            .collect();
        if !short.is_empty() {
            problems.push(format!("ISRs not back to full: {}", short.join("; ")));
        }
        problems
    }
}

/// Broker id to node name, from the topology.
pub fn broker_nodes(plans: &[crate::world::NodePlan]) -> BTreeMap<u32, String> {
    plans
        .iter()
        .filter_map(|plan| match plan.role {
            Role::Broker(id) => Some((id, plan.name.clone())),
            _ => None,
        })
        .collect()
}

/// The controllers a fault took down or cut off.
fn silenced_controllers(fired: &FiredFault) -> impl Iterator<Item = &str> {
    silenced_nodes(fired).filter(|node| node.starts_with("controller-"))
}

/// Every node a fault held down or cut off while it lasted, including those an earlier fault
/// had silenced already (`FiredFault::silenced` leaves those to the earlier fault's judgement,
/// but when the earlier one heals first, this one still holds them).
fn silenced_nodes(fired: &FiredFault) -> impl Iterator<Item = &str> {
    fired
        .silenced
        .iter()
        .chain(&fired.effect.silenced)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::test_support::{partition, register, unfence};
    use korasim_core::metadata::PartitionState;

    fn nodes() -> BTreeMap<u32, String> {
        (1..=3).map(|id| (id, format!("broker-{id}"))).collect()
    }

    fn healthy() -> ReplayedState {
        let mut state = ReplayedState::default();
        for broker in 1..=3 {
            state.apply(&[register(broker, 1), unfence(broker, 1)]);
        }
        state.apply(&[partition("orders", 0, &[1, 2, 3], Some(1), 1)]);
        state
    }

    /// orders-`partition` with broker 2 out of its ISR.
    fn without_broker_2(partition: u32) -> MetadataRecord {
        MetadataRecord::PartitionState(PartitionState {
            topic: "orders".to_string(),
            partition,
            replicas: vec![1, 2, 3],
            isr: vec![1, 3],
            leader: Some(1),
            leader_epoch: 1,
            partition_epoch: 2,
            elr: Vec::new(),
        })
    }

    #[test]
    fn a_healthy_cluster_has_converged() {
        assert_eq!(healthy().unconverged(&nodes()), Vec::<String>::new());
    }

    #[test]
    fn a_shrunk_isr_has_not_converged() {
        let mut state = healthy();
        state.apply(&[without_broker_2(0)]);
        assert_eq!(
            state.unconverged(&nodes()),
            vec!["ISRs not back to full: broker-2 is missing from 1 ISR (orders-0)".to_string()]
        );
        // Expanded again: converged.
        state.apply(&[partition("orders", 0, &[1, 2, 3], Some(1), 1)]);
        assert!(state.unconverged(&nodes()).is_empty());
    }

    #[test]
    fn a_fenced_broker_and_a_leaderless_partition_have_not_converged() {
        let mut state = healthy();
        state.apply(&[
            MetadataRecord::FenceBroker {
                broker: 3,
                epoch: 1,
                reason: FenceReason::SessionExpired,
            },
            partition("orders", 0, &[1, 2, 3], None, 2),
        ]);
        let problems = state.unconverged(&nodes());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0], "broker-3 is still fenced");
        assert_eq!(problems[1], "partitions without a leader: orders-0");
    }

    #[test]
    fn a_broker_missing_from_many_isrs_is_one_line() {
        let mut state = healthy();
        for partition in 0..6 {
            state.apply(&[without_broker_2(partition)]);
        }
        assert_eq!(
            state.unconverged(&nodes()),
            vec![
                "ISRs not back to full: broker-2 is missing from 6 ISRs (orders-0, orders-1, orders-2, orders-3 and 2 more)"
                    .to_string()
            ]
        );
    }

    fn expect_takeover_within_10s() -> ExpectSpec {
        let text = "name = \"quorum\"\ndescription = \"d\"\n[run]\nsafety = \"60s\"\nliveness = \"30s\"\n\
                    [expect]\nactive_controller_within = \"10s\"\n";
        crate::scenario_file::parse(std::path::Path::new("scenarios/quorum.toml"), text)
            .expect("valid")
            .expect
    }

    /// controller-1 came back at 30 s from what its disk held.
    fn controller_1_recovered_at_30s() -> TraceEntry {
        crate::checkers::test_support::entry(
            "controller-1",
            30_000,
            Event::ControllerRecovered {
                last_log_index: Some(10),
                snapshot_offset: None,
                vote_term: Some(3),
                discarded_tail_bytes: 0,
            },
        )
    }

    /// Every controller crashed from 10 s to 30 s, the active one included.
    fn controllers_crashed() -> FiredFault {
        let controllers: Vec<String> = (1..=3).map(|id| format!("controller-{id}")).collect();
        FiredFault {
            action: crate::scenario_file::FaultAction {
                kind: crate::faults::FaultKind::named("crash-controllers").expect("a registered kind"),
                target: crate::scenario_file::Target::Controllers,
                to: None,
                params: Default::default(),
            },
            at: Duration::from_secs(10),
            heal_at: Some(Duration::from_secs(30)),
            silenced: controllers.clone(),
            affected: controllers,
            active_controller_before: Some(("controller-1".to_string(), 3)),
            took_active_controller: true,
            effect: Default::default(),
            drawn: true,
        }
    }

    /// Without a quorum no controller can take over: the deadline runs from the heal, so a
    /// takeover 5 s after it is in time, and one 15 s after it is late.
    #[test]
    fn a_takeover_after_the_quorum_was_lost_is_due_from_its_return() {
        let expect = expect_takeover_within_10s();
        let fired = [controllers_crashed()];
        let judgement = Judgement {
            expect: &expect,
            fired: &fired,
            session_timeout: Duration::from_secs(9),
            heartbeat_interval: Duration::from_secs(2),
            safety_started: Duration::ZERO,
            safety_ended: Duration::from_secs(60),
            broker_nodes: nodes(),
            controllers: (1..=3).map(|id| format!("controller-{id}")).collect(),
            quorum_link_delay_max: Duration::from_millis(500),
        };
        let activated = |seconds: u64| {
            crate::checkers::test_support::entry(
                "controller-2",
                seconds * 1000,
                Event::ControllerActivated { term: 4 },
            )
        };
        assert!(judgement
            .controller_takeover(&fired[0], &[activated(35)])
            .is_none());
        // The crashed active controller itself may win again, in a later term.
        let same_again = crate::checkers::test_support::entry(
            "controller-1",
            36_000,
            Event::ControllerActivated { term: 4 },
        );
        assert!(judgement.controller_takeover(&fired[0], &[same_again]).is_none());
        // ... or resume its leadership in its own term; another controller in that term does
        // not count (single-active-controller judges that).
        let resumed = crate::checkers::test_support::entry(
            "controller-1",
            36_000,
            Event::ControllerActivated { term: 3 },
        );
        assert!(judgement.controller_takeover(&fired[0], &[resumed]).is_none());
        let other_same_term = crate::checkers::test_support::entry(
            "controller-2",
            36_000,
            Event::ControllerActivated { term: 3 },
        );
        // Every controller restarted at 30 s, recovering its log from disk.
        let recovered = controller_1_recovered_at_30s();
        assert!(judgement
            .controller_takeover(&fired[0], &[recovered.clone(), other_same_term])
            .is_some());
        let late = judgement.controller_takeover(&fired[0], &[recovered, activated(45)]);
        assert!(
            late.as_deref()
                .is_some_and(|failure| failure.contains("no other controller became active")),
            "{late:?}"
        );
        // Had one controller stayed up, the usual deadline (10 s from the crash) would apply.
        let mut one_crashed = controllers_crashed();
        one_crashed.silenced.truncate(1);
        let fired = [one_crashed];
        let judgement = Judgement {
            fired: &fired,
            ..judgement
        };
        assert!(judgement
            .controller_takeover(&fired[0], &[activated(35)])
            .is_some());
    }

    /// Two faults that each take one controller (a crash of the active one from 10 s to 30 s,
    /// a pause of another from 20 s to 40 s) hold the quorum down together from 20 s to 30 s:
    /// the takeover is due 10 s after 30 s, not after 10 s.
    #[test]
    fn faults_that_take_the_quorum_together_push_the_takeover_back_too() {
        let expect = expect_takeover_within_10s();
        let mut crash = controllers_crashed();
        crash.silenced = vec!["controller-1".to_string()];
        let mut pause = controllers_crashed();
        pause.action.kind = crate::faults::FaultKind::named("pause").expect("a registered kind");
        pause.silenced = vec!["controller-2".to_string()];
        pause.at = Duration::from_secs(20);
        pause.heal_at = Some(Duration::from_secs(40));
        pause.took_active_controller = false;
        let fired = [crash, pause];
        let judgement = Judgement {
            expect: &expect,
            fired: &fired,
            session_timeout: Duration::from_secs(9),
            heartbeat_interval: Duration::from_secs(2),
            safety_started: Duration::ZERO,
            safety_ended: Duration::from_secs(60),
            broker_nodes: nodes(),
            controllers: (1..=3).map(|id| format!("controller-{id}")).collect(),
            quorum_link_delay_max: Duration::from_millis(500),
        };
        assert_eq!(judgement.quorum_back_at(&fired[0]), Some(Duration::from_secs(30)));
        assert_eq!(judgement.quorum_back_at(&fired[1]), Some(Duration::from_secs(30)));
        let activated = |seconds: u64| {
            crate::checkers::test_support::entry(
                "controller-3",
                seconds * 1000,
                Event::ControllerActivated { term: 4 },
            )
        };
        assert!(judgement
            .controller_takeover(&fired[0], &[activated(35)])
            .is_none());
        // The crashed controller restarted at 30 s (its log recovered from disk): a takeover
        // after 40 s is late.
        let recovered = controller_1_recovered_at_30s();
        assert!(judgement
            .controller_takeover(&fired[0], &[recovered.clone(), activated(45)])
            .is_some());
        // Had it been paused instead (no restart, no step-down), it would still be the active
        // controller once the quorum is back: nothing else is owed.
        assert!(judgement.controller_takeover(&fired[0], &[]).is_none());
        let stepped_down = crate::checkers::test_support::entry(
            "controller-1",
            31_000,
            Event::ControllerDeactivated {
                term: 3,
                reason: "lease".to_string(),
            },
        );
        assert!(judgement
            .controller_takeover(&fired[0], &[stepped_down])
            .is_some());
        // Apart, they never hold the quorum down: the usual deadline applies.
        let mut apart = fired.clone();
        apart[1].at = Duration::from_secs(31);
        let judgement = Judgement {
            fired: &apart,
            ..judgement
        };
        assert_eq!(judgement.quorum_back_at(&apart[0]), None);
        assert!(judgement
            .controller_takeover(&apart[0], &[activated(25)])
            .is_some());
    }

    /// The active controller paused from 10 s to 31 s, another from 20 s to 30 s: the quorum
    /// returns at 30 s while the active one is still paused. Resuming at 31 s and going on as
    /// the active one meets the deadline (40 s); still paused at 45 s with nobody else active
    /// does not.
    #[test]
    fn an_active_controller_resuming_just_after_the_quorum_returned_keeps_it() {
        let expect = expect_takeover_within_10s();
        let pause_of = |controller: &str, from: u64, until: u64, active: bool| {
            let mut pause = controllers_crashed();
            pause.action.kind = crate::faults::FaultKind::named("pause").expect("a registered kind");
            pause.silenced = vec![controller.to_string()];
            pause.at = Duration::from_secs(from);
            pause.heal_at = Some(Duration::from_secs(until));
            pause.took_active_controller = active;
            pause
        };
        let fired = [
            pause_of("controller-1", 10, 31, true),
            pause_of("controller-2", 20, 30, false),
        ];
        let judgement = Judgement {
            expect: &expect,
            fired: &fired,
            session_timeout: Duration::from_secs(9),
            heartbeat_interval: Duration::from_secs(2),
            safety_started: Duration::ZERO,
            safety_ended: Duration::from_secs(60),
            broker_nodes: nodes(),
            controllers: (1..=3).map(|id| format!("controller-{id}")).collect(),
            quorum_link_delay_max: Duration::from_millis(500),
        };
        assert_eq!(judgement.quorum_back_at(&fired[0]), Some(Duration::from_secs(30)));
        assert_eq!(judgement.controller_takeover(&fired[0], &[]), None);
        // It stepped down once it woke: someone else had to take over, and nobody did.
        let stepped_down = crate::checkers::test_support::entry(
            "controller-1",
            31_000,
            Event::ControllerDeactivated {
                term: 3,
                reason: "lease".to_string(),
            },
        );
        assert!(judgement
            .controller_takeover(&fired[0], &[stepped_down])
            .is_some());
        // Paused until 45 s, past the deadline, with nobody else active: late.
        let fired = [
            pause_of("controller-1", 10, 45, true),
            pause_of("controller-2", 20, 30, false),
        ];
        let judgement = Judgement {
            fired: &fired,
            ..judgement
        };
        let late = judgement.controller_takeover(&fired[0], &[]);
        assert!(
            late.as_deref()
                .is_some_and(|failure| failure.contains("no other controller became active")),
            "{late:?}"
        );
    }

    /// A controller paused (the active one) while the link between the other two is slower
    /// than a vote can wait: the two left up cannot work as a quorum, so the takeover is due
    /// only once the link is fast again. A slightly slow link leaves the quorum working.
    #[test]
    fn a_slow_link_between_the_controllers_left_up_counts_as_a_lost_quorum() {
        let expect = expect_takeover_within_10s();
        let mut paused = controllers_crashed();
        paused.silenced = vec!["controller-1".to_string()];
        paused.heal_at = Some(Duration::from_secs(50));
        let mut slowed = controllers_crashed();
        slowed.silenced.clear();
        slowed.took_active_controller = false;
        slowed.active_controller_before = None;
        slowed.at = Duration::from_secs(5);
        slowed.heal_at = Some(Duration::from_secs(40));
        slowed.effect.degraded_links = vec![(
            "controller-3".to_string(),
            "controller-2".to_string(),
            Some(Duration::from_secs(2)),
        )];
        let fired = [paused.clone(), slowed.clone()];
        let judgement = Judgement {
            expect: &expect,
            fired: &fired,
            session_timeout: Duration::from_secs(9),
            heartbeat_interval: Duration::from_secs(2),
            safety_started: Duration::ZERO,
            safety_ended: Duration::from_secs(60),
            broker_nodes: nodes(),
            controllers: (1..=3).map(|id| format!("controller-{id}")).collect(),
            quorum_link_delay_max: Duration::from_millis(500),
        };
        assert_eq!(judgement.quorum_back_at(&fired[0]), Some(Duration::from_secs(40)));
        let activated = |seconds: u64| {
            crate::checkers::test_support::entry(
                "controller-2",
                seconds * 1000,
                Event::ControllerActivated { term: 9 },
            )
        };
        assert_eq!(judgement.controller_takeover(&fired[0], &[activated(45)]), None);
        assert!(judgement
            .controller_takeover(&fired[0], &[activated(55)])
            .is_some());
        // 100 ms more on that link: the two still make a quorum, the usual deadline applies.
        slowed.effect.degraded_links[0].2 = Some(Duration::from_millis(100));
        let fired = [paused, slowed];
        let judgement = Judgement {
            fired: &fired,
            ..judgement
        };
        assert_eq!(judgement.quorum_back_at(&fired[0]), None);
        assert!(judgement
            .controller_takeover(&fired[0], &[activated(25)])
            .is_some());
        assert_eq!(judgement.controller_takeover(&fired[0], &[activated(15)]), None);
    }

    /// The quorum lost again soon after it returned: the takeover waits for a quorum that
    /// stands for the whole deadline.
    #[test]
    fn a_quorum_lost_again_before_the_deadline_pushes_the_takeover_back() {
        let expect = expect_takeover_within_10s();
        let first = controllers_crashed();
        let mut second = controllers_crashed();
        second.took_active_controller = false;
        second.active_controller_before = None;
        second.at = Duration::from_secs(33);
        second.heal_at = Some(Duration::from_secs(50));
        let fired = [first, second];
        let judgement = Judgement {
            expect: &expect,
            fired: &fired,
            session_timeout: Duration::from_secs(9),
            heartbeat_interval: Duration::from_secs(2),
            safety_started: Duration::ZERO,
            safety_ended: Duration::from_secs(90),
            broker_nodes: nodes(),
            controllers: (1..=3).map(|id| format!("controller-{id}")).collect(),
            quorum_link_delay_max: Duration::from_millis(500),
        };
        let activated = |seconds: u64| {
            crate::checkers::test_support::entry(
                "controller-2",
                seconds * 1000,
                Event::ControllerActivated { term: 9 },
            )
        };
        // The crashed controllers start again (a crash ends the old one's leadership).
        let recovered = crate::checkers::test_support::entry(
            "controller-1",
            30_500,
            Event::ControllerRecovered {
                last_log_index: None,
                snapshot_offset: None,
                vote_term: None,
                discarded_tail_bytes: 0,
            },
        );
        assert_eq!(
            judgement.controller_takeover(&fired[0], &[recovered.clone(), activated(55)]),
            None
        );
        assert!(judgement
            .controller_takeover(&fired[0], &[recovered, activated(65)])
            .is_some());
    }
}
