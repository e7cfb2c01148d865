//! Expectations about the degradation detector, judged from the trace (the metadata log as
//! the controllers applied it, and the detector's own escalations), never by asking it.

use std::time::Duration;

use korasim_core::metadata::{MetadataRecord, Mitigation};
use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::checkers::log_replay::LogReplay;
use crate::scenario_file::{ExpectSpec, Target};
use crate::trace::{TraceEntry, TraceKind};

/// Every failed detector expectation of `expect`.
pub fn judge(
    expect: &ExpectSpec,
    fired: &[FiredFault],
    trace: &[TraceEntry],
    safety_ended: Duration,
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(within) = expect.demoted_within {
        failures.extend(cut_off_brokers_demoted(fired, trace, within, safety_ended));
    }
    if let Some(within) = expect.escalated_within {
        failures.extend(escalated(fired, trace, within));
    }
    if let Some(max) = expect.mitigations_max {
        // "At most N mitigations" proves nothing unless the detector was watching.
        failures.extend(every_broker_probed(trace));
        failures.extend(mitigations_bounded(trace, max));
    }
    failures
}

/// A mark put on or lifted from a broker, as the metadata log applied it.
struct MarkChange {
    at: Duration,
    broker: u32,
    mitigation: Mitigation,
    active: bool,
}

fn mark_changes(trace: &[TraceEntry]) -> Vec<MarkChange> {
    let mut replay = LogReplay::default();
    let mut changes = Vec::new();
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            if let MetadataRecord::BrokerMitigation {
                broker,
                mitigation,
                active,
            } = record
            {
                changes.push(MarkChange {
                    at: entry.at,
                    broker: *broker,
                    mitigation: *mitigation,
                    active: *active,
                });
            }
        }
    }
    changes
}

/// For every `partition` fault from a broker to `"clients"`: once the broker has been cut
/// off and unfenced for `within` without a break, it is demoted (the detector only judges
/// unfenced brokers, and a fenced one leads nothing anyway: another fault that fenced it,
/// a crash or a storage restart, restarts the clock when the broker is unfenced again), and
/// while demoted it is never elected leader of a replicated partition. A fault that never
/// left the broker cut off and unfenced for `within` (it healed sooner, or the safety phase
/// `safety_ended` first) asks nothing.
fn cut_off_brokers_demoted(
    fired: &[FiredFault],
    trace: &[TraceEntry],
    within: Duration,
    safety_ended: Duration,
) -> Vec<String> {
    let changes = mark_changes(trace);
    let fencing = fencing_changes(trace);
    let mut failures = Vec::new();
    for fault in fired
        .iter()
        .filter(|fault| fault.action.kind.is("partition") && fault.action.to == Some(Target::Clients))
    {
        let healed_at = fault.heal_at.unwrap_or(safety_ended).min(safety_ended);
        for broker in fault.affected.iter().filter_map(|node| broker_id(node)) {
            let Some(clock_start) = unfenced_for(&fencing, broker, fault.at, healed_at, within) else {
                continue;
            };
            let deadline = clock_start + within;
            let since = if clock_start > fault.at {
                format!(
                    "cut off from the clients at {:.3}s and unfenced again at {:.3}s",
                    fault.at.as_secs_f64(),
                    clock_start.as_secs_f64()
                )
            } else {
                format!("cut off from the clients at {:.3}s", fault.at.as_secs_f64())
            };
            let demotions = || {
                changes
                    .iter()
                    .filter(move |change| change.broker == broker && change.mitigation == Mitigation::Demoted)
            };
            // A demotion between the cut and the deadline, or one for an earlier, overlapping
            // cut that still held when this one began.
            let in_force_at_cut = demotions()
                .rev()
                .find(|change| change.at < fault.at)
                .filter(|change| change.active);
            let in_time =
                demotions().find(|change| change.active && change.at >= fault.at && change.at <= deadline);
            match in_time.or(in_force_at_cut) {
                Some(change) => {
                    let lifted_at = demotions()
                        .find(|lift| !lift.active && lift.at > change.at)
                        .map(|lift| lift.at);
                    failures.extend(led_while_demoted(trace, broker, change.at, lifted_at));
                }
                _ => match demotions().find(|change| change.active && change.at > deadline) {
                    Some(change) => failures.push(format!(
                        "broker {broker}, {since}, was demoted only at {:.3}s (expected within {within:?})",
                        change.at.as_secs_f64()
                    )),
                    None => failures.push(format!(
                        "broker {broker}, {since}, was never demoted (expected within {within:?})"
                    )),
                },
            }
        }
    }
    failures
}

/// Every change of a broker's fencing in the metadata log: `(when, broker, fenced)`. A
/// registration starts a broker fenced.
fn fencing_changes(trace: &[TraceEntry]) -> Vec<(Duration, u32, bool)> {
    let mut replay = LogReplay::default();
    let mut changes = Vec::new();
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            match record {
                MetadataRecord::FenceBroker { broker, .. }
                | MetadataRecord::RegisterBroker { broker, .. } => changes.push((entry.at, *broker, true)),
                MetadataRecord::UnfenceBroker { broker, .. } => changes.push((entry.at, *broker, false)),
                _ => {}
            }
        }
    }
    changes
}

/// The start of the first stretch within `from..until` of at least `within` in which the log
/// shows `broker` unfenced (a broker the log never mentions counts as unfenced).
fn unfenced_for(
    fencing: &[(Duration, u32, bool)],
    broker: u32,
    from: Duration,
    until: Duration,
    within: Duration,
) -> Option<Duration> {
    let mine = || fencing.iter().filter(|(_, id, _)| *id == broker);
    let mut fenced = mine()
        .take_while(|(at, _, _)| *at <= from)
        .last()
        .is_some_and(|(_, _, fenced)| *fenced);
    let mut stretch_start = from;
    for (at, _, now_fenced) in mine().filter(|(at, _, _)| *at > from && *at < until) {
        if !fenced && *now_fenced && *at >= stretch_start + within {
            return Some(stretch_start);
        }
        if fenced && !*now_fenced {
            stretch_start = *at;
        }
        fenced = *now_fenced;
    }
    (!fenced && until >= stretch_start + within).then_some(stretch_start)
}

/// Elections of `broker` as leader of a replicated partition after `from` and before
/// `until`.
fn led_while_demoted(
    trace: &[TraceEntry],
    broker: u32,
    from: Duration,
    until: Option<Duration>,
) -> Vec<String> {
    let mut replay = LogReplay::default();
    let mut failures = Vec::new();
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        if entry.at <= from || until.is_some_and(|until| entry.at >= until) {
            continue;
        }
        for record in batch.records {
            if let MetadataRecord::PartitionState(state) = record {
                if state.leader == Some(broker) && state.replicas.len() > 1 {
                    failures.push(format!(
                        "demoted broker {broker} was made leader of {}-{} (epoch {}) at {:.3}s",
                        state.topic,
                        state.partition,
                        state.leader_epoch,
                        entry.at.as_secs_f64()
                    ));
                }
            }
        }
    }
    failures
}

/// Whether `fault` degrades one broker in a way the detector is there to mitigate (a slow or
/// stalled disk, a cut from the clients): the faults an escalation can be about.
fn degrades_a_broker(fault: &FiredFault) -> bool {
    fault.action.kind.module().degrades_broker(&fault.action)
}

/// The detector pages a human about a broker that a degrading fault hit (the mitigation it
/// could not apply safely), within `within` of that fault's start. An escalation about any
/// other broker, or before the fault, does not count: paging about the wrong broker is not
/// the safe fallback the scenario asks for.
fn escalated(fired: &[FiredFault], trace: &[TraceEntry], within: Duration) -> Vec<String> {
    let degraded: Vec<(u32, Duration)> = fired
        .iter()
        .filter(|fault| degrades_a_broker(fault))
        .flat_map(|fault| {
            fault
                .affected
                .iter()
                .filter_map(|node| broker_id(node))
                .map(move |broker| (broker, fault.at))
        })
        .collect();
    if degraded.is_empty() {
        return vec![
            "`escalated_within` needs a fault that degrades a broker (disk-slow, disk-stall, or a partition from the clients), and none fired"
                .to_string(),
        ];
    }
    let escalations: Vec<(Duration, u32, &str)> = trace
        .iter()
        .filter_map(|entry| match &entry.kind {
            TraceKind::Node(Event::Escalated { broker, problem, .. }) => {
                Some((entry.at, *broker, problem.as_str()))
            }
            _ => None,
        })
        .collect();
    let on_time = escalations.iter().any(|(at, broker, _)| {
        degraded
            .iter()
            .any(|(degraded, since)| degraded == broker && at >= since && *at <= *since + within)
    });
    if on_time {
        return Vec::new();
    }
    let brokers: Vec<String> = degraded
        .iter()
        .map(|(broker, since)| format!("broker {broker} (degraded at {:.3}s)", since.as_secs_f64()))
        .collect();
    let seen: Vec<String> = escalations
        .iter()
        .map(|(at, broker, problem)| format!("broker {broker} ({problem}) at {:.3}s", at.as_secs_f64()))
        .collect();
    vec![format!(
        "the detector did not escalate about {} within {within:?}; escalations seen: {}",
        brokers.join(" or "),
        if seen.is_empty() {
            "none".to_string()
        } else {
            seen.join(", ")
        }
    )]
}

/// Every broker that registered was probed by the health-check agent and judged by the
/// detector, with some probes answered: read from the detector's `HealthRound` reports.
fn every_broker_probed(trace: &[TraceEntry]) -> Vec<String> {
    let mut probes: std::collections::BTreeMap<u32, (u64, u64)> = std::collections::BTreeMap::new();
    for entry in trace {
        match &entry.kind {
            TraceKind::Node(Event::BrokerRegistered { broker, .. }) => {
                probes.entry(*broker).or_default();
            }
            TraceKind::Node(Event::HealthRound {
                broker,
                probes: sent,
                probe_failures,
                ..
            }) => {
                let counts = probes.entry(*broker).or_default();
                counts.0 += sent;
                counts.1 += probe_failures;
            }
            _ => {}
        }
    }
    probes
        .into_iter()
        .filter(|(_, (sent, failed))| sent == failed)
        .map(|(broker, (sent, _))| {
            format!(
                "the detector never saw a probe of broker {broker} answered ({sent} sent), so its silence proves nothing"
            )
        })
        .collect()
}

/// At most `max` mitigations were put on brokers in the whole run.
fn mitigations_bounded(trace: &[TraceEntry], max: u64) -> Vec<String> {
    let marks: Vec<MarkChange> = mark_changes(trace)
        .into_iter()
        .filter(|change| change.active)
        .collect();
    if marks.len() as u64 <= max {
        return Vec::new();
    }
    let listed: Vec<String> = marks
        .iter()
        .map(|mark| {
            format!(
                "broker {} {} at {:.3}s",
                mark.broker,
                mark.mitigation,
                mark.at.as_secs_f64()
            )
        })
        .collect();
    vec![format!(
        "{} mitigations, more than the {max} expected (false alarms?): {}",
        marks.len(),
        listed.join(", ")
    )]
}

fn broker_id(node: &str) -> Option<u32> {
    node.strip_prefix("broker-")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use korasim_core::metadata::PartitionState;

    use super::*;
    use crate::faults::{Effect, FaultKind, ParamValue, ParamValues};
    use crate::scenario_file::FaultAction;

    fn at(seconds: u64, node: &str, event: Event) -> TraceEntry {
        crate::checkers::test_support::entry(node, seconds * 1000, event)
    }

    fn applied(seconds: u64, offset: u64, record: MetadataRecord) -> TraceEntry {
        at(
            seconds,
            "controller-1",
            Event::MetadataApplied {
                offset,
                records: vec![record],
                rejected: None,
            },
        )
    }

    fn demotion(seconds: u64, offset: u64, active: bool) -> TraceEntry {
        applied(
            seconds,
            offset,
            MetadataRecord::BrokerMitigation {
                broker: 2,
                mitigation: Mitigation::Demoted,
                active,
            },
        )
    }

    fn led_by_2(seconds: u64, offset: u64) -> TraceEntry {
        applied(
            seconds,
            offset,
            MetadataRecord::PartitionState(PartitionState {
                topic: "t".into(),
                partition: 0,
                replicas: vec![1, 2, 3],
                isr: vec![1, 2, 3],
                leader: Some(2),
                leader_epoch: 4,
                partition_epoch: offset,
                elr: Vec::new(),
            }),
        )
    }

    /// broker-2 cut off from the clients at 30 s until 200 s.
    fn cut_off() -> Vec<FiredFault> {
        vec![FiredFault {
            action: FaultAction {
                kind: FaultKind::named("partition").expect("a registered kind"),
                target: Target::Node("broker-2".into()),
                to: Some(Target::Clients),
                params: ParamValues::default().with("one_way", ParamValue::Flag(false)),
            },
            at: Duration::from_secs(30),
            heal_at: Some(Duration::from_secs(200)),
            silenced: Vec::new(),
            affected: vec!["broker-2".into()],
            active_controller_before: None,
            took_active_controller: false,
            effect: Effect::default(),
            drawn: false,
        }]
    }

    fn escalation(seconds: u64, broker: u32) -> TraceEntry {
        at(
            seconds,
            "controller-1",
            Event::Escalated {
                broker,
                problem: "slow".into(),
                reason: "every candidate is below min ISR".into(),
            },
        )
    }

    fn within(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    /// When the safety phase of these runs ends.
    const END: Duration = Duration::from_secs(400);

    fn fence(seconds: u64, offset: u64) -> TraceEntry {
        applied(
            seconds,
            offset,
            MetadataRecord::FenceBroker {
                broker: 2,
                epoch: 1,
                reason: korasim_core::metadata::FenceReason::SessionExpired,
            },
        )
    }

    fn unfence(seconds: u64, offset: u64) -> TraceEntry {
        applied(
            seconds,
            offset,
            MetadataRecord::UnfenceBroker { broker: 2, epoch: 2 },
        )
    }

    /// Fenced by another fault (a storage restart) 10 s into the cut and unfenced at 120 s:
    /// the deadline runs from 120 s. Demoted at 150 s passes; never demoted fails, naming when
    /// the clock restarted; a cut that ends before a whole deadline unfenced asks nothing.
    #[test]
    fn a_cut_off_broker_fenced_by_another_fault_is_judged_from_its_unfencing() {
        let fired = cut_off();
        let fenced_then_demoted = [fence(40, 1), unfence(120, 2), demotion(150, 3, true)];
        assert!(cut_off_brokers_demoted(&fired, &fenced_then_demoted, within(60), END).is_empty());
        let never = cut_off_brokers_demoted(&fired, &[fence(40, 1), unfence(120, 2)], within(60), END);
        assert!(never[0].contains("unfenced again at 120.000s"), "{never:?}");
        assert!(never[0].contains("never demoted"), "{never:?}");
        let late = cut_off_brokers_demoted(
            &fired,
            &[fence(40, 1), unfence(120, 2), demotion(190, 3, true)],
            within(60),
            END,
        );
        assert!(late[0].contains("demoted only at 190.000s"), "{late:?}");
        let short = [fence(40, 1), unfence(160, 2)];
        assert!(cut_off_brokers_demoted(&fired, &short, within(60), END).is_empty());
        // The liveness phase healing the cut at 80 s leaves less than a deadline.
        assert!(cut_off_brokers_demoted(&fired, &[], within(60), within(80)).is_empty());
        // A demotion for an earlier cut that still holds counts.
        assert!(cut_off_brokers_demoted(&fired, &[demotion(10, 1, true)], within(60), END).is_empty());
    }

    #[test]
    fn a_cut_off_broker_must_be_demoted_in_time_and_then_lead_nothing() {
        let fired = cut_off();
        assert!(cut_off_brokers_demoted(&fired, &[demotion(60, 1, true)], within(60), END).is_empty());
        let never = cut_off_brokers_demoted(&fired, &[], within(60), END);
        assert!(never[0].contains("was never demoted"), "{never:?}");
        let late = cut_off_brokers_demoted(&fired, &[demotion(100, 1, true)], within(60), END);
        assert!(late[0].contains("was demoted only at 100.000s"), "{late:?}");
        let led = cut_off_brokers_demoted(&fired, &[demotion(60, 1, true), led_by_2(70, 2)], within(60), END);
        assert!(led[0].contains("was made leader of t-0"), "{led:?}");
        let lifted_first = cut_off_brokers_demoted(
            &fired,
            &[demotion(60, 1, true), demotion(65, 2, false), led_by_2(70, 3)],
            within(60),
            END,
        );
        assert!(
            lifted_first.is_empty(),
            "leading after the lift is fine: {lifted_first:?}"
        );
    }

    fn health_round(seconds: u64, broker: u32, probes: u64, probe_failures: u64) -> TraceEntry {
        at(
            seconds,
            "client-1",
            Event::HealthRound {
                broker,
                probes,
                probe_failures,
                probe_produce_p99_ms: 5,
                probe_fetch_p99_ms: 5,
                scraped: true,
                disk_write_p99_us: 1000,
                produce_p99_ms: 5,
                follower_lag_max_records: 0,
            },
        )
    }

    #[test]
    fn no_false_alarm_counts_only_when_every_broker_was_probed() {
        let registered = |broker| {
            at(
                1,
                &format!("broker-{broker}"),
                Event::BrokerRegistered { broker, epoch: 1 },
            )
        };
        let watched = vec![
            registered(1),
            registered(2),
            health_round(10, 1, 16, 0),
            health_round(10, 2, 16, 1),
        ];
        assert!(every_broker_probed(&watched).is_empty());
        let unwatched = vec![registered(1), registered(2), health_round(10, 1, 16, 0)];
        let failures = every_broker_probed(&unwatched);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].contains("broker 2"), "{failures:?}");
        let all_failing = vec![registered(1), health_round(10, 1, 16, 16)];
        assert_eq!(every_broker_probed(&all_failing).len(), 1);
    }

    #[test]
    fn more_mitigations_than_allowed_are_listed() {
        assert!(mitigations_bounded(&[demotion(60, 1, true)], 1).is_empty());
        let failures = mitigations_bounded(&[demotion(60, 1, true)], 0);
        assert!(
            failures[0].contains("1 mitigations, more than the 0 expected"),
            "{failures:?}"
        );
        assert!(
            mitigations_bounded(&[demotion(60, 1, false)], 0).is_empty(),
            "a lift is no mitigation"
        );
    }

    #[test]
    fn an_escalation_must_name_the_degraded_broker_in_time() {
        let fired = cut_off();
        assert!(escalated(&fired, &[escalation(90, 2)], within(120)).is_empty());
        let none = escalated(&fired, &[], within(120));
        assert!(none[0].contains("did not escalate about broker 2"), "{none:?}");
        assert!(none[0].contains("escalations seen: none"), "{none:?}");
        let wrong_broker = escalated(&fired, &[escalation(90, 5)], within(120));
        assert!(
            wrong_broker[0].contains("broker 5 (slow) at 90.000s"),
            "{wrong_broker:?}"
        );
        let late = escalated(&fired, &[escalation(200, 2)], within(120));
        assert_eq!(late.len(), 1, "{late:?}");
        let before = escalated(&fired, &[escalation(20, 2)], within(120));
        assert_eq!(before.len(), 1, "{before:?}");
        let mut zone_only = cut_off();
        zone_only[0].action.kind = FaultKind::named("lose-zone").expect("a registered kind");
        let refused = escalated(&zone_only, &[escalation(90, 2)], within(120));
        assert!(
            refused[0].contains("needs a fault that degrades a broker"),
            "{refused:?}"
        );
        assert!(escalated(&[], &[escalation(90, 2)], within(120))[0].contains("and none fired"));
    }
}
