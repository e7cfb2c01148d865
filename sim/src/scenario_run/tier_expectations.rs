//! Expectations about tiered storage, judged from the trace: after an object-store fault
//! heals, the upload backlog drains in time; and during a long store outage the brokers'
//! disks fill (nothing can be tiered, so nothing local may be deleted) and empty again after
//! it (the scenario really exercised retention behind a backlog).

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::observe::Event;

use super::inject::FiredFault;
use crate::scenario_file::ExpectSpec;
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
        .filter(|fault| fault.action.kind.targets_object_store() && !fault.action.kind.is_instantaneous())
        .map(|fault| (fault, fault.heal_at.unwrap_or(safety_ended)))
        .collect();
    let label = |fault: &FiredFault| format!("{} at {:.3}s", fault.action.kind, fault.at.as_secs_f64());
    let mut failures = Vec::new();
    if let Some(within) = expect.upload_backlog_drains_within {
        let faults: Vec<(Duration, Duration, String)> = store_faults
            .iter()
            .map(|(fault, healed_at)| (fault.at, *healed_at, label(fault)))
            .collect();
        failures.extend(upload_backlog_drained(
            trace,
            &store_fault_episodes(&faults, within),
            within,
            1,
        ));
    }
    if expect.local_bytes_rise_and_fall {
        for (fault, healed_at) in store_faults
            .iter()
            .filter(|(fault, _)| fault.action.kind.is("object-store-outage"))
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

/// Groups store faults `(at, healed_at, label)` into episodes: a fault that begins before the
/// drain deadline of the one before it (its heal plus `within`) blocks that drain too, so a
/// random schedule whose faults follow each other is judged once, `within` after the last of
/// them healed, rather than at a deadline another fault made meaningless. Returns each
/// episode's end and a label naming every fault in it.
pub fn store_fault_episodes(
    faults: &[(Duration, Duration, String)],
    within: Duration,
) -> Vec<(Duration, String)> {
    let mut by_start: Vec<&(Duration, Duration, String)> = faults.iter().collect();
    by_start.sort_by_key(|(at, healed_at, _)| (*at, *healed_at));
    let mut episodes: Vec<(Duration, Vec<String>)> = Vec::new();
    for (at, healed_at, label) in by_start {
        match episodes.last_mut() {
            Some((end, labels)) if *at < *end + within => {
                *end = (*end).max(*healed_at);
                labels.push(label.clone());
            }
            _ => episodes.push((*healed_at, vec![label.clone()])),
        }
    }
    episodes
        .into_iter()
        .map(|(end, labels)| {
            let label = match labels.as_slice() {
                [one] => one.clone(),
                many => format!(
                    "the store faults {} (each began before the one before it had drained)",
                    many.join(", ")
                ),
            };
            (end, label)
        })
        .collect()
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

    /// A storm that begins before the one before it could drain is judged with it, after the
    /// later heal; one that begins after the drain deadline is an episode of its own.
    #[test]
    fn store_faults_that_follow_before_the_drain_deadline_are_judged_together() {
        let s = Duration::from_secs;
        let faults = vec![
            (s(10), s(40), "storm at 10".to_string()),
            (s(100), s(160), "storm at 100".to_string()),
            (s(50), s(60), "latency at 50".to_string()),
            (s(400), s(420), "outage at 400".to_string()),
        ];
        let episodes = store_fault_episodes(&faults, s(120));
        assert_eq!(episodes.len(), 2, "{episodes:?}");
        assert_eq!(episodes[0].0, s(160));
        assert!(episodes[0].1.contains("storm at 10") && episodes[0].1.contains("storm at 100"));
        assert_eq!(episodes[1], (s(420), "outage at 400".to_string()));
        // The first episode's backlog is judged at 280 s: a backlog left at 200 s fails there,
        // one drained by 250 s passes.
        let still_behind = vec![backlog(200, 0, 9)];
        assert_eq!(
            upload_backlog_drained(&still_behind, &episodes[..1], s(120), 1).len(),
            1
        );
        let drained = vec![backlog(200, 0, 9), backlog(250, 0, 0), backlog(300, 0, 0)];
        assert!(upload_backlog_drained(&drained, &episodes[..1], s(120), 1).is_empty());
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
