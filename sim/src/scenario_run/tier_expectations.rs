//! Expectations about tiered storage, judged from the trace: after an object-store fault
//! heals, the upload backlog drains in time; and during a long store outage the brokers'
//! disks fill (nothing can be tiered, so nothing local may be deleted) and empty again after
//! it (the scenario really exercised retention behind a backlog).

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::scenario_file::{ExpectSpec, FaultKind};
use crate::trace::{TraceEntry, TraceKind};

/// Local bytes at the peak of an outage must exceed those at its start by this factor for
/// the disks to have "filled".
const RISE_FACTOR_MIN: f64 = 1.2;
/// Local bytes at the end of the run must be below this fraction of the peak for the disks
/// to have "drained".
const DRAINED_FRACTION_MAX: f64 = 0.7;

/// The unmet tiered-storage expectations of `expect`. A fault without its own end healed
/// when the safety phase ended (`safety_ended`).
pub fn judge(
    expect: &ExpectSpec,
    fired: &[FiredFault],
    safety_ended: Duration,
    trace: &[TraceEntry],
) -> Vec<String> {
    let store_faults: Vec<(&FiredFault, Duration)> = fired
        .iter()
        .filter(|fault| {
            fault.action.kind.targets_object_store() && fault.action.kind != FaultKind::CorruptObject
        })
        .map(|fault| (fault, fault.heal_at.unwrap_or(safety_ended)))
        .collect();
    let label = |fault: &FiredFault| format!("{} at {:.3}s", fault.action.kind, fault.at.as_secs_f64());
    let mut failures = Vec::new();
    if let Some(within) = expect.upload_backlog_drains_within {
        let healed: Vec<(Duration, String)> = store_faults
            .iter()
            .map(|(fault, healed_at)| (*healed_at, label(fault)))
            .collect();
        failures.extend(upload_backlog_drained(trace, &healed, within, 1));
    }
    if expect.local_bytes_rise_and_fall {
        for (fault, healed_at) in store_faults
            .iter()
            .filter(|(fault, _)| fault.action.kind == FaultKind::ObjectStoreOutage)
        {
            failures.extend(local_bytes_rose_and_fell(
                trace,
                fault.at,
                *healed_at,
                &label(fault),
            ));
        }
    }
    failures
}

/// For each `(healed_at, label)`: by `healed_at + within`, every partition's newest upload
/// backlog report shows at most `segments_max` segments waiting.
pub fn upload_backlog_drained(
    trace: &[TraceEntry],
    healed: &[(Duration, String)],
    within: Duration,
    segments_max: u32,
) -> Vec<String> {
    let run_end = trace.last().map(|entry| entry.at).unwrap_or_default();
    let mut failures = Vec::new();
    for (healed_at, label) in healed {
        let deadline = (*healed_at + within).min(run_end);
        let backlog = backlog_at(trace, deadline);
        let behind: Vec<String> = backlog
            .iter()
            .filter(|(_, &(segments, _))| segments > segments_max)
            .map(|((topic, partition), (segments, bytes))| {
                format!("{topic}-{partition} ({segments} segments, {bytes} bytes)")
            })
            .collect();
        if !behind.is_empty() {
            failures.push(format!(
                "{label} healed at {:.3}s, but at {:.3}s uploads were still behind on {}",
                healed_at.as_secs_f64(),
                deadline.as_secs_f64(),
                behind.join(", ")
            ));
        }
    }
    failures
}

/// Every partition's newest upload backlog report at `at`: (segments, bytes).
fn backlog_at(trace: &[TraceEntry], at: Duration) -> BTreeMap<(String, u32), (u32, u64)> {
    let mut backlog = BTreeMap::new();
    for entry in trace.iter().take_while(|entry| entry.at <= at) {
        if let TraceKind::Node(Event::UploadBacklog {
            topic,
            partition,
            segments,
            bytes,
            ..
        }) = &entry.kind
        {
            backlog.insert((topic.clone(), *partition), (*segments, *bytes));
        }
    }
    backlog
}

/// During `from..until` (a store outage) the brokers' total local bytes rose, and by the end
/// of the run they fell well below the peak.
pub fn local_bytes_rose_and_fell(
    trace: &[TraceEntry],
    from: Duration,
    until: Duration,
    label: &str,
) -> Vec<String> {
    let totals: Vec<(Duration, u64)> = trace
        .iter()
        .filter_map(|entry| match &entry.kind {
            TraceKind::Sample(sample) => Some((entry.at, sample.local_bytes.values().sum())),
            _ => None,
        })
        .collect();
    let at_start = totals
        .iter()
        .take_while(|(at, _)| *at <= from)
        .last()
        .map(|&(_, bytes)| bytes);
    let peak = totals
        .iter()
        .filter(|(at, _)| *at >= from && *at <= until)
        .map(|&(_, bytes)| bytes)
        .max();
    let (Some(at_start), Some(peak), Some(&(_, at_end))) = (at_start, peak, totals.last()) else {
        return vec![format!(
            "{label}: no storage samples around it to judge local bytes by"
        )];
    };
    let mut failures = Vec::new();
    if (peak as f64) < at_start as f64 * RISE_FACTOR_MIN {
        failures.push(format!(
            "{label}: local bytes did not rise during it ({at_start} at its start, at most {peak} during it)"
        ));
    }
    if at_end as f64 > peak as f64 * DRAINED_FRACTION_MAX {
        failures.push(format!(
            "{label}: local bytes did not drain after it ({peak} at the peak, {at_end} at the end of the run)"
        ));
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::StorageSample;

    fn sample(at_seconds: u64, bytes: u64) -> TraceEntry {
        TraceEntry {
            at: Duration::from_secs(at_seconds),
            node: "world".to_string(),
            kind: TraceKind::Sample(StorageSample {
                local_bytes: [("broker-1".to_string(), bytes)].into_iter().collect(),
                remote_bytes: 0,
                remote_objects: 0,
                incomplete_upload_bytes: 0,
            }),
        }
    }

    fn backlog(at_seconds: u64, partition: u32, segments: u32) -> TraceEntry {
        TraceEntry {
            at: Duration::from_secs(at_seconds),
            node: "broker-1".to_string(),
            kind: TraceKind::Node(Event::UploadBacklog {
                broker: 1,
                topic: "t".to_string(),
                partition,
                leader_epoch: 1,
                segments,
                bytes: u64::from(segments) * 100,
            }),
        }
    }

    #[test]
    fn a_backlog_that_drains_in_time_passes_and_one_that_does_not_fails() {
        let trace = vec![
            backlog(10, 0, 9),
            backlog(10, 1, 9),
            backlog(40, 0, 1),
            backlog(50, 1, 0),
            backlog(200, 1, 0),
        ];
        let healed = vec![(Duration::from_secs(20), "outage".to_string())];
        assert!(upload_backlog_drained(&trace, &healed, Duration::from_secs(60), 1).is_empty());
        let failures = upload_backlog_drained(&trace, &healed, Duration::from_secs(25), 1);
        assert_eq!(failures.len(), 1);
        assert!(failures[0].contains("t-1 (9 segments"), "{failures:?}");
    }

    #[test]
    fn local_bytes_must_rise_during_the_outage_and_fall_after_it() {
        let filled_and_drained = vec![sample(0, 100), sample(10, 100), sample(20, 400), sample(30, 120)];
        let from = Duration::from_secs(10);
        let until = Duration::from_secs(25);
        assert!(local_bytes_rose_and_fell(&filled_and_drained, from, until, "outage").is_empty());

        let flat = vec![sample(0, 100), sample(10, 100), sample(20, 105), sample(30, 100)];
        let failures = local_bytes_rose_and_fell(&flat, from, until, "outage");
        assert!(failures[0].contains("did not rise"), "{failures:?}");

        let stuck = vec![sample(0, 100), sample(10, 100), sample(20, 400), sample(30, 390)];
        let failures = local_bytes_rose_and_fell(&stuck, from, until, "outage");
        assert!(failures[0].contains("did not drain"), "{failures:?}");
    }
}
