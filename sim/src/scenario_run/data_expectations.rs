//! Expectations about the data plane, judged from the trace and the client history: a broker
//! whose disk was slowed leaves the ISR in time, and `acks=all` produce latency stays under a
//! bound outside a grace period after each fault.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use korasim_core::metadata::MetadataRecord;

use super::inject::FiredFault;
use crate::checkers::log_replay::LogReplay;
use crate::trace::TraceEntry;
use crate::workloads::{Acks, History};

/// The width of the windows produce latency is judged in.
const LATENCY_WINDOW: Duration = Duration::from_secs(10);

/// Fewer acknowledgements than this in a window say nothing about its p99.
const LATENCY_WINDOW_SAMPLES_MIN: usize = 20;

/// For every disk-slow fault on a broker: by `within` after it began, the broker is out of
/// the ISR of every partition whose ISR held it when the fault began, except where it was
/// the only member (the last member always stays, and a single-replica partition, such as a
/// health-check probe's, has no other).
pub fn slowed_brokers_leave_isr(fired: &[FiredFault], trace: &[TraceEntry], within: Duration) -> Vec<String> {
    let mut failures = Vec::new();
    for fault in fired.iter().filter(|fault| fault.action.kind.is("disk-slow")) {
        for node in &fault.affected {
            let Some(broker) = node.strip_prefix("broker-").and_then(|id| id.parse::<u32>().ok()) else {
                continue;
            };
            let at_start = isrs_at(trace, fault.at);
            let deadline = fault.at + within;
            if fault.heal_at.is_some_and(|heal| heal < deadline) {
                continue;
            }
            let at_deadline = isrs_at(trace, deadline);
            let still_in: Vec<String> = at_start
                .iter()
                .filter(|(_, isr)| isr.contains(&broker) && isr.len() > 1)
                .filter(|(partition, _)| {
                    at_deadline
                        .get(*partition)
                        .is_some_and(|isr| isr.contains(&broker))
                })
                .map(|((topic, partition), _)| format!("{topic}-{partition}"))
                .collect();
            if !still_in.is_empty() {
                failures.push(format!(
                    "broker-{broker}'s disk was slowed at {:.3}s, but {within:?} later it was still in the ISR of {}",
                    fault.at.as_secs_f64(),
                    still_in.join(", ")
                ));
            }
        }
    }
    failures
}

/// Every partition's ISR as the metadata log had it at `at`.
fn isrs_at(trace: &[TraceEntry], at: Duration) -> BTreeMap<(String, u32), BTreeSet<u32>> {
    let mut replay = LogReplay::default();
    let mut isrs = BTreeMap::new();
    for entry in trace.iter().take_while(|entry| entry.at <= at) {
        if let Some(batch) = replay.next_batch(entry) {
            for record in batch.records {
                if let MetadataRecord::PartitionState(state) = record {
                    isrs.insert(
                        (state.topic.clone(), state.partition),
                        state.isr.iter().copied().collect(),
                    );
                }
            }
        }
    }
    isrs
}

/// The p99 of `acks=all` produce latency (hand-over to acknowledgement) in every 10 s window
/// that starts after `judged_from` and lies outside `grace` after any fault began or healed
/// (a healed broker catching up disturbs the cluster too) stays at most `max`.
pub fn produce_latency_bounded(
    history: &History,
    fired: &[FiredFault],
    judged_from: Duration,
    max: Duration,
    grace: Duration,
) -> Vec<String> {
    let mut windows: BTreeMap<u64, Vec<Duration>> = BTreeMap::new();
    for acknowledgement in history
        .acknowledgements()
        .into_iter()
        .filter(|acknowledgement| acknowledgement.acks == Acks::All)
    {
        let window = acknowledgement.acknowledged_at.as_nanos() as u64 / LATENCY_WINDOW.as_nanos() as u64;
        windows.entry(window).or_default().push(acknowledgement.latency);
    }
    let mut failures = Vec::new();
    for (window, mut latencies) in windows {
        let start = LATENCY_WINDOW * window as u32;
        let disturbed_after = |moment: Duration| start + LATENCY_WINDOW > moment && start < moment + grace;
        let in_grace = fired
            .iter()
            .any(|fault| disturbed_after(fault.at) || fault.heal_at.is_some_and(disturbed_after));
        if start < judged_from || in_grace || latencies.len() < LATENCY_WINDOW_SAMPLES_MIN {
            continue;
        }
        latencies.sort();
        let rank = (latencies.len() * 99).div_ceil(100).max(1);
        let p99 = latencies[rank - 1];
        if p99 > max {
            failures.push(format!(
                "acks=all produce latency p99 was {p99:?} in [{:.0}s, {:.0}s) ({} records), above {max:?}, outside the {grace:?} after any fault began or healed",
                start.as_secs_f64(),
                (start + LATENCY_WINDOW).as_secs_f64(),
                latencies.len()
            ));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::history::test_support::{ok, produce};

    /// `acks=all` records, each invoked at the first time and acknowledged after the second.
    fn history_with_latencies(latencies_ms: impl Iterator<Item = (u64, u64)>) -> History {
        let mut history = History::new();
        for (op, (at_ms, latency_ms)) in latencies_ms.enumerate() {
            let op = op as u64;
            history.record(produce(1, op, at_ms, 0, &format!("v{op}")));
            history.record(ok(1, op, at_ms + latency_ms, op));
        }
        history
    }

    #[test]
    fn a_slow_window_fails_and_a_fast_one_passes() {
        // 100 records in [10 s, 20 s), every tenth one slow; 100 fast ones in [20 s, 30 s).
        let slow = (0..100).map(|i| (10_000 + i * 90, if i % 10 == 0 { 900 } else { 10 }));
        let fast = (0..100).map(|i| (20_100 + i * 90, 10));
        let history = history_with_latencies(slow.chain(fast));
        let failures = produce_latency_bounded(
            &history,
            &[],
            Duration::ZERO,
            Duration::from_millis(250),
            Duration::from_secs(60),
        );
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("[10s, 20s)"), "{failures:?}");
        let bound_ok = produce_latency_bounded(
            &history,
            &[],
            Duration::ZERO,
            Duration::from_secs(1),
            Duration::from_secs(60),
        );
        assert!(bound_ok.is_empty(), "{bound_ok:?}");
    }

    #[test]
    fn windows_before_judging_starts_or_with_few_records_are_not_judged() {
        let history = history_with_latencies((0..100).map(|i| (i * 90, 900)));
        let judged_later = produce_latency_bounded(
            &history,
            &[],
            Duration::from_secs(10),
            Duration::from_millis(250),
            Duration::ZERO,
        );
        assert!(judged_later.is_empty());
        let few = history_with_latencies((0..5).map(|i| (20_000 + i * 90, 900)));
        assert!(produce_latency_bounded(
            &few,
            &[],
            Duration::ZERO,
            Duration::from_millis(250),
            Duration::ZERO
        )
        .is_empty());
    }
}
