//! Expectations about the degradation detector, judged from the trace (the metadata log as
//! the controllers applied it, and the detector's own escalations), never by asking it.

use std::time::Duration;

use korasim_core::metadata::{MetadataRecord, Mitigation};
use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::checkers::log_replay::LogReplay;
use crate::scenario_file::{ExpectSpec, FaultKind, Target};
use crate::trace::{TraceEntry, TraceKind};

/// Every failed detector expectation of `expect`.
pub fn judge(expect: &ExpectSpec, fired: &[FiredFault], trace: &[TraceEntry]) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(within) = expect.demoted_within {
        failures.extend(cut_off_brokers_demoted(fired, trace, within));
    }
    if let Some(within) = expect.escalated_within {
        failures.extend(escalated(fired, trace, within));
    }
    if let Some(max) = expect.mitigations_max {
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

/// For every `partition` fault from a broker to `"clients"` that lasts at least `within`:
/// the broker is demoted within `within` of the fault's start, and while demoted it is never
/// elected leader of a replicated partition.
fn cut_off_brokers_demoted(fired: &[FiredFault], trace: &[TraceEntry], within: Duration) -> Vec<String> {
    let changes = mark_changes(trace);
    let mut failures = Vec::new();
    for fault in fired
        .iter()
        .filter(|fault| fault.action.kind == FaultKind::Partition && fault.action.to == Some(Target::Clients))
    {
        if fault.heal_at.is_some_and(|healed| healed < fault.at + within) {
            continue;
        }
        for broker in fault.affected.iter().filter_map(|node| broker_id(node)) {
            let demoted = changes.iter().find(|change| {
                change.broker == broker
                    && change.mitigation == Mitigation::Demoted
                    && change.active
                    && change.at >= fault.at
            });
            match demoted {
                Some(change) if change.at <= fault.at + within => {
                    let lifted_at = changes
                        .iter()
                        .find(|lift| {
                            lift.broker == broker
                                && lift.mitigation == Mitigation::Demoted
                                && !lift.active
                                && lift.at > change.at
                        })
                        .map(|lift| lift.at);
                    failures.extend(led_while_demoted(trace, broker, change.at, lifted_at));
                }
                Some(change) => failures.push(format!(
                    "broker {broker}, cut off from the clients at {:.3}s, was demoted only at {:.3}s (expected within {within:?})",
                    fault.at.as_secs_f64(),
                    change.at.as_secs_f64()
                )),
                None => failures.push(format!(
                    "broker {broker}, cut off from the clients at {:.3}s, was never demoted (expected within {within:?})",
                    fault.at.as_secs_f64()
                )),
            }
        }
    }
    failures
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

/// The detector escalates within `within` of the first fault.
fn escalated(fired: &[FiredFault], trace: &[TraceEntry], within: Duration) -> Vec<String> {
    let Some(first) = fired.iter().map(|fault| fault.at).min() else {
        return vec!["`escalated_within` needs a fault to escalate after, and none fired".to_string()];
    };
    let escalation = trace.iter().find_map(|entry| match &entry.kind {
        TraceKind::Node(Event::Escalated { .. }) if entry.at >= first => Some(entry.at),
        _ => None,
    });
    match escalation {
        Some(at) if at <= first + within => Vec::new(),
        Some(at) => vec![format!(
            "the detector escalated only at {:.3}s, {:.1} s after the first fault (expected within {within:?})",
            at.as_secs_f64(),
            (at - first).as_secs_f64()
        )],
        None => vec![format!(
            "the detector never escalated after the first fault at {:.3}s (expected within {within:?})",
            first.as_secs_f64()
        )],
    }
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
