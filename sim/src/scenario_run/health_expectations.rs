//! Expectations about the storage health manager, judged from the trace: a broker whose
//! storage stalls is restarted in time, and from then until its storage recovers it is
//! neither unfenced nor let into any ISR.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use korasim_core::metadata::MetadataRecord;
use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::checkers::log_replay::LogReplay;
use crate::faults::FaultEvent;
use crate::trace::{TraceEntry, TraceKind};

/// For every `disk-stall` fault on a broker that lasts at least `within`: the broker's
/// storage health manager reports the stall (and the broker restarts) within `within` of
/// the fault's start, and the restarted broker registers again within that time; from then
/// until the fault heals (`safety_ended` for a fault without its own end) the metadata log
/// neither unfences the broker nor adds it to an ISR.
///
/// The manager lives in the broker's process, so the deadline binds only the life in which
/// the disk stalled: a broker down when its disk stalls, or killed before the deadline, owes
/// no report for that life. A life that starts on the stalled disk never had healthy storage;
/// by design it waits, fenced, instead of restarting again and again, so from its start until
/// the disk heals it must be neither unfenced nor let into an ISR.
pub fn stalled_brokers_restarted(
    fired: &[FiredFault],
    trace: &[TraceEntry],
    within: Duration,
    safety_ended: Duration,
) -> Vec<String> {
    // Stalls of one disk that overlap are one stall, from the first's start to the last's
    // heal: a second stall on a disk already stalled strikes no new life (the one it finds
    // started on the stalled disk and waits fenced, as designed).
    let mut stalls: BTreeMap<String, Vec<Stall>> = BTreeMap::new();
    for fault in fired.iter().filter(|fault| fault.action.kind.is("disk-stall")) {
        // The liveness phase heals a fault whose own end lies beyond it.
        let healed_at = fault.heal_at.unwrap_or(safety_ended).min(safety_ended);
        for node in &fault.affected {
            stalls.entry(node.clone()).or_default().push(Stall {
                at: fault.at,
                healed_at,
            });
        }
    }
    let mut failures = Vec::new();
    for (node, node_stalls) in stalls {
        let Some(broker) = node.strip_prefix("broker-").and_then(|id| id.parse::<u32>().ok()) else {
            continue;
        };
        let downs = down_intervals(fired, &node, safety_ended);
        for stall in merged(node_stalls) {
            if stall.healed_at < stall.at + within {
                continue;
            }
            failures.extend(judge_stalled_broker_lives(trace, broker, stall, &downs, within));
        }
    }
    failures
}

/// `stalls` with every overlapping pair joined into one, in order of start.
fn merged(mut stalls: Vec<Stall>) -> Vec<Stall> {
    stalls.sort_by_key(|stall| (stall.at, stall.healed_at));
    let mut joined: Vec<Stall> = Vec::new();
    for stall in stalls {
        match joined.last_mut() {
            Some(last) if stall.at <= last.healed_at => last.healed_at = last.healed_at.max(stall.healed_at),
            _ => joined.push(stall),
        }
    }
    joined
}

/// One disk stall: from `at` until `healed_at`.
#[derive(Debug, Clone, Copy)]
struct Stall {
    at: Duration,
    healed_at: Duration,
}

/// When other faults held `node` down: each interval ends with the node's process starting
/// again (a fault without its own end is healed when the safety phase ends).
fn down_intervals(fired: &[FiredFault], node: &str, safety_ended: Duration) -> Vec<(Duration, Duration)> {
    let mut downs: Vec<_> = fired
        .iter()
        .filter(|other| other.effect.held_down.iter().any(|held| held == node))
        .map(|other| (other.at, other.heal_at.unwrap_or(safety_ended).min(safety_ended)))
        .collect();
    downs.sort();
    downs
}

/// Judges each life of `broker` that the stall touches: the life it struck (if the broker was
/// up then) by [`judge_stalled_broker`], and each life that started on the stalled disk by
/// [`admitted_while_stalled`].
fn judge_stalled_broker_lives(
    trace: &[TraceEntry],
    broker: u32,
    stall: Stall,
    downs: &[(Duration, Duration)],
    within: Duration,
) -> Vec<String> {
    let deadline = stall.at + within;
    let down_at_stall = downs
        .iter()
        .any(|(from, until)| *from <= stall.at && stall.at < *until);
    let killed_before_deadline = downs.iter().any(|(from, _)| stall.at < *from && *from < deadline);
    let mut failures = Vec::new();
    if !down_at_stall && !killed_before_deadline {
        return judge_stalled_broker(trace, broker, stall.at, stall.healed_at, within);
    }
    for (_, started) in downs {
        if stall.at <= *started && *started < stall.healed_at {
            failures.extend(admitted_while_stalled(trace, broker, *started, stall.healed_at));
        }
    }
    failures
}

/// The expectation for one broker whose disk stalled at `fault_at` until `healed_at`.
fn judge_stalled_broker(
    trace: &[TraceEntry],
    broker: u32,
    fault_at: Duration,
    healed_at: Duration,
    within: Duration,
) -> Vec<String> {
    // The stall report alone is not the restart: the restarted process registers
    // again, with a new broker epoch.
    let stalled_at = trace.iter().find_map(|entry| match &entry.kind {
        TraceKind::Node(Event::StorageStalled { broker: stalled, .. })
            if *stalled == broker && entry.at >= fault_at =>
        {
            Some(entry.at)
        }
        _ => None,
    });
    // The process restart, as the world's supervisor saw it, or (where the trace predates
    // that record) the restarted broker registering again. A broker that another fault cuts
    // off from the controllers cannot register, but it has still been restarted.
    let node = format!("broker-{broker}");
    let restarted_at = stalled_at.and_then(|stalled_at| {
        trace.iter().find_map(|entry| match &entry.kind {
            TraceKind::Node(Event::BrokerRegistered {
                broker: registered, ..
            }) if *registered == broker && entry.at >= stalled_at => Some(entry.at),
            TraceKind::Fault(FaultEvent::ProcessRestartedBySupervisor { node: restarted })
                if *restarted == node && entry.at >= stalled_at =>
            {
                Some(entry.at)
            }
            _ => None,
        })
    });
    let Some(restarted_at) = restarted_at.filter(|at| *at <= fault_at + within) else {
        let what = match (stalled_at, restarted_at) {
            (None, _) => "its storage health manager never reported the stall".to_string(),
            (Some(stalled_at), None) => format!(
                "its storage health manager reported the stall at {:.3}s but the broker was never restarted (no supervisor restart, never registered again)",
                stalled_at.as_secs_f64()
            ),
            (Some(_), Some(at)) => format!("it was restarted only at {:.3}s", at.as_secs_f64()),
        };
        return vec![format!(
            "broker-{broker}'s disk stalled at {:.3}s, but it was not restarted within {within:?}: {what}",
            fault_at.as_secs_f64(),
        )];
    };
    admitted_while_stalled(trace, broker, restarted_at, healed_at)
}

/// Unfencings of `broker`, and ISRs it newly joined, between `from` and `until`.
fn admitted_while_stalled(trace: &[TraceEntry], broker: u32, from: Duration, until: Duration) -> Vec<String> {
    let mut replay = LogReplay::default();
    let mut isr_members: BTreeMap<(String, u32), BTreeSet<u32>> = BTreeMap::new();
    let mut failures = Vec::new();
    for entry in trace.iter().take_while(|entry| entry.at <= until) {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        let during = entry.at > from;
        for record in batch.records {
            match record {
                MetadataRecord::UnfenceBroker { broker: unfenced, .. } if *unfenced == broker && during => {
                    failures.push(format!(
                        "broker-{broker} was unfenced at {:.3}s while its storage was still stalled (restarted at {:.3}s, disk healed at {:.3}s)",
                        entry.at.as_secs_f64(),
                        from.as_secs_f64(),
                        until.as_secs_f64()
                    ));
                }
                MetadataRecord::PartitionState(state) => {
                    let key = (state.topic.clone(), state.partition);
                    let was_in = isr_members.get(&key).is_some_and(|isr| isr.contains(&broker));
                    let is_in = state.isr.contains(&broker);
                    if during && is_in && !was_in {
                        failures.push(format!(
                            "broker-{broker} joined the ISR of {}-{} at {:.3}s while its storage was still stalled",
                            state.topic,
                            state.partition,
                            entry.at.as_secs_f64()
                        ));
                    }
                    isr_members.insert(key, state.isr.iter().copied().collect());
                }
                _ => {}
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use korasim_core::metadata::PartitionState;

    use super::*;

    fn at(seconds: u64, node: &str, kind: TraceKind) -> TraceEntry {
        TraceEntry {
            at: Duration::from_secs(seconds),
            node: node.to_string(),
            kind,
        }
    }

    fn stalled(seconds: u64) -> TraceEntry {
        at(
            seconds,
            "broker-2",
            TraceKind::Node(Event::StorageStalled {
                broker: 2,
                oldest_operation_ms: 10_000,
                operations_in_flight: 3,
                operations_completed: 100,
            }),
        )
    }

    fn registered(seconds: u64, epoch: u64) -> TraceEntry {
        at(
            seconds,
            "broker-2",
            TraceKind::Node(Event::BrokerRegistered { broker: 2, epoch }),
        )
    }

    fn applied(seconds: u64, offset: u64, records: Vec<MetadataRecord>) -> TraceEntry {
        at(
            seconds,
            "controller-1",
            TraceKind::Node(Event::MetadataApplied {
                offset,
                records,
                rejected: None,
            }),
        )
    }

    fn isr(isr: Vec<u32>) -> MetadataRecord {
        MetadataRecord::PartitionState(PartitionState {
            topic: "t".to_string(),
            partition: 0,
            replicas: vec![1, 2, 3],
            isr,
            leader: Some(1),
            leader_epoch: 1,
            partition_epoch: 1,
            elr: Vec::new(),
        })
    }

    const FAULT_AT: Duration = Duration::from_secs(30);
    const HEALED_AT: Duration = Duration::from_secs(120);
    const WITHIN: Duration = Duration::from_secs(20);

    fn judge(trace: &[TraceEntry]) -> Vec<String> {
        judge_stalled_broker(trace, 2, FAULT_AT, HEALED_AT, WITHIN)
    }

    /// chaos-health seed 82: a disk stalled at 143 s (the broker restarted on it at 153 s)
    /// and stalled again at 160 s, the first healed at 200 s and the second at 221 s, is one
    /// stall from 143 s to 221 s: the life the second finds started on a stalled disk and owes
    /// no report of its own. Disjoint stalls stay apart.
    #[test]
    fn overlapping_stalls_of_one_disk_are_one_stall() {
        let stall = |at: u64, healed_at: u64| Stall {
            at: Duration::from_secs(at),
            healed_at: Duration::from_secs(healed_at),
        };
        let joined = merged(vec![stall(160, 221), stall(143, 200), stall(12, 95)]);
        let spans: Vec<(u64, u64)> = joined
            .iter()
            .map(|stall| (stall.at.as_secs(), stall.healed_at.as_secs()))
            .collect();
        assert_eq!(spans, vec![(12, 95), (143, 221)]);
    }

    #[test]
    fn a_restart_in_time_that_stays_fenced_until_the_disk_heals_passes() {
        let trace = vec![
            applied(1, 1, vec![isr(vec![1, 2, 3])]),
            stalled(41),
            registered(42, 7),
            applied(43, 2, vec![isr(vec![1, 3])]),
            applied(
                125,
                3,
                vec![MetadataRecord::UnfenceBroker { broker: 2, epoch: 7 }],
            ),
            applied(130, 4, vec![isr(vec![1, 2, 3])]),
        ];
        assert_eq!(judge(&trace), Vec::<String>::new());
    }

    fn judge_with_downs(trace: &[TraceEntry], downs: &[(u64, u64)]) -> Vec<String> {
        let downs: Vec<_> = downs
            .iter()
            .map(|(from, until)| (Duration::from_secs(*from), Duration::from_secs(*until)))
            .collect();
        let stall = Stall {
            at: FAULT_AT,
            healed_at: HEALED_AT,
        };
        judge_stalled_broker_lives(trace, 2, stall, &downs, WITHIN)
    }

    /// A broker down when its disk stalls (or killed before the deadline) owes no report for
    /// that life; the life it starts on the stalled disk must stay fenced until the disk heals.
    #[test]
    fn a_broker_down_or_killed_during_the_stall_owes_no_report_but_stays_fenced() {
        assert_eq!(
            judge_with_downs(&[registered(70, 7)], &[(20, 60)]),
            Vec::<String>::new()
        );
        assert_eq!(judge_with_downs(&[], &[(40, 60)]), Vec::<String>::new());
        let unfenced = vec![
            registered(62, 7),
            applied(64, 2, vec![MetadataRecord::UnfenceBroker { broker: 2, epoch: 7 }]),
        ];
        let failures = judge_with_downs(&unfenced, &[(40, 60)]);
        assert!(failures[0].contains("unfenced at 64.000s"), "{failures:?}");
        // Killed only after the deadline: the report was still owed.
        let failures = judge_with_downs(&[], &[(55, 60)]);
        assert!(failures[0].contains("never reported the stall"), "{failures:?}");
    }

    #[test]
    fn no_stall_report_fails() {
        let failures = judge(&[registered(42, 7)]);
        assert!(failures[0].contains("never reported the stall"), "{failures:?}");
    }

    #[test]
    fn a_stall_report_without_a_restart_fails() {
        let failures = judge(&[stalled(41)]);
        assert!(failures[0].contains("never restarted"), "{failures:?}");
    }

    #[test]
    fn a_late_restart_fails() {
        let failures = judge(&[stalled(41), registered(55, 7)]);
        assert!(failures[0].contains("restarted only at 55.000s"), "{failures:?}");
    }

    /// A broker another fault cuts off from the controllers cannot register after its restart;
    /// the supervisor's record of the restart is proof enough.
    #[test]
    fn a_supervisor_restart_without_registration_passes() {
        let restart = TraceEntry {
            at: Duration::from_secs(42),
            node: "world".to_string(),
            kind: TraceKind::Fault(FaultEvent::ProcessRestartedBySupervisor {
                node: "broker-2".to_string(),
            }),
        };
        assert_eq!(judge(&[stalled(41), restart]), Vec::<String>::new());
    }

    #[test]
    fn unfencing_or_joining_an_isr_before_the_disk_heals_fails() {
        let unfenced = vec![
            stalled(41),
            registered(42, 7),
            applied(50, 2, vec![MetadataRecord::UnfenceBroker { broker: 2, epoch: 7 }]),
        ];
        let failures = judge(&unfenced);
        assert!(failures[0].contains("unfenced at 50.000s"), "{failures:?}");

        let joined = vec![
            applied(1, 1, vec![isr(vec![1, 3])]),
            stalled(41),
            registered(42, 7),
            applied(60, 2, vec![isr(vec![1, 2, 3])]),
        ];
        let failures = judge(&joined);
        assert!(
            failures[0].contains("joined the ISR of t-0 at 60.000s"),
            "{failures:?}"
        );
    }
}
