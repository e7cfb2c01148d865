//! Turns a run into the report people read: fault bands, marks for controller changes,
//! leadership changes and fencing, series over simulated time, and the verdicts. Everything
//! is derived from the trace, so a report never shows what the system claims about itself
//! beyond what it reported as it ran.

use std::collections::BTreeMap;

use korasim_core::metadata::MetadataRecord;
use korasim_core::observe::Event;
use korasim_reports::{FaultRecord, MarkRecord, RunRecord, Series, ViolationRecord};

use crate::checkers::log_replay::LogReplay;
use crate::faults::FaultEvent;
use crate::report_health::health_series;
use crate::report_history::{history_counters, history_series};
use crate::report_tier::tier_series;
use crate::run::RunReport;
use crate::scenario_run::ReplayedState;
use crate::trace::{TraceEntry, TraceKind};

/// What a report needs besides the run itself.
pub struct ReportContext<'a> {
    pub scenario: &'a str,
    pub description: &'a str,
    pub replay: String,
}

/// The report of `run`.
pub fn run_record(run: &RunReport, context: &ReportContext<'_>) -> RunRecord {
    RunRecord {
        scenario: context.scenario.to_string(),
        description: context.description.to_string(),
        seed: run.seed,
        passed: run.passed(),
        digest: run.digest.clone(),
        simulated_seconds: run.simulated.as_secs_f64(),
        wall_seconds: run.wall.as_secs_f64(),
        replay: context.replay.clone(),
        violations: run
            .violations
            .iter()
            .map(|violation| ViolationRecord {
                checker: violation.checker().to_string(),
                at_seconds: violation.at().as_secs_f64(),
                message: violation.to_string(),
            })
            .chain(run.history_violations.iter().map(|violation| ViolationRecord {
                checker: format!("history/{}", violation.kind()),
                at_seconds: violation.at().as_secs_f64(),
                message: violation.to_string(),
            }))
            .collect(),
        expectation_failures: run
            .expectation_failure
            .iter()
            .flat_map(|failure| failure.lines().map(str::to_string))
            .collect(),
        faults: fault_bands(&run.trace),
        mitigations: mitigations(&run.trace),
        marks: marks(&run.trace),
        series: std::iter::once(unfenced_brokers(&run.trace))
            .chain(history_series(&run.history))
            .chain(tier_series(&run.trace))
            .chain(health_series(&run.trace))
            .collect(),
        counters: [
            ("messages".to_string(), run.messages),
            ("trace entries".to_string(), run.trace.len() as u64),
        ]
        .into_iter()
        .chain(history_counters(&run.history))
        .collect(),
    }
}

/// What detectors, health managers and audits did: a storage restart, the degradation
/// detector's mitigations (and their lifting) and escalations, the durability audits' findings
/// and repairs, each on the broker it concerns.
fn mitigations(trace: &[TraceEntry]) -> Vec<MarkRecord> {
    trace
        .iter()
        .filter_map(|entry| {
            let (kind, detail, node) = match &entry.kind {
                TraceKind::Node(Event::StorageStalled {
                    oldest_operation_ms,
                    operations_in_flight,
                    ..
                }) => (
                    "storage restart",
                    format!("{operations_in_flight} disk operations stuck, the oldest for {oldest_operation_ms} ms"),
                    entry.node.clone(),
                ),
                TraceKind::Node(Event::DetectorDecision {
                    broker,
                    action,
                    reason,
                    partitions_changed,
                    partitions_blocked,
                    ..
                }) => (
                    if action.starts_with("no longer") { "mitigation lifted" } else { "mitigation" },
                    format!("{action}: {reason} ({partitions_changed} partitions changed, {partitions_blocked} blocked)"),
                    format!("broker-{broker}"),
                ),
                TraceKind::Node(Event::Escalated { broker, problem, reason }) => (
                    "escalation",
                    format!("{problem}: {reason}"),
                    format!("broker-{broker}"),
                ),
                TraceKind::Node(Event::AuditCorruptReplica {
                    auditor,
                    broker,
                    topic,
                    partition,
                    reason,
                    ..
                }) => (
                    "audit: corrupt replica",
                    format!("{topic}-{partition}, found by broker-{auditor}'s audit: {reason}"),
                    format!("broker-{broker}"),
                ),
                TraceKind::Node(Event::AuditReplicaRebuilding {
                    broker,
                    topic,
                    partition,
                    log_start_offset,
                    log_end_offset,
                }) => (
                    "replica rebuild",
                    format!("{topic}-{partition} cut back to {log_start_offset}..{log_end_offset}, fetching the rest again"),
                    format!("broker-{broker}"),
                ),
                TraceKind::Node(Event::AuditObjectCorrupt {
                    broker,
                    topic,
                    partition,
                    object_id,
                    repairable,
                    evidence,
                    ..
                }) => (
                    "audit: corrupt object",
                    format!(
                        "{topic}-{partition} object {object_id} ({}): {evidence}",
                        if *repairable { "repairable" } else { "no local copy left" }
                    ),
                    format!("broker-{broker}"),
                ),
                TraceKind::Node(Event::AuditObjectRepaired {
                    broker,
                    topic,
                    partition,
                    object_id,
                    ..
                }) => (
                    "object rewritten",
                    format!("{topic}-{partition} object {object_id} written again from the local copy"),
                    format!("broker-{broker}"),
                ),
                _ => return None,
            };
            Some(MarkRecord {
                at_seconds: entry.at.as_secs_f64(),
                kind: kind.to_string(),
                node,
                detail,
            })
        })
        .collect()
}

/// Band keys of the object-store faults (a slowdown's and a latency fault's key go on with
/// their value, so that overlapping ones close separately; the store's heal closes every key
/// starting with `object-store `).
const OBJECT_STORE_OUTAGE: &str = "object-store outage";
const OBJECT_STORE_SLOWDOWN: &str = "object-store slowdown";
const OBJECT_STORE_LATENCY: &str = "object-store latency";

/// What opens a band, the key that closes it, and its label.
fn band_opening(fault: &FaultEvent) -> Option<(String, String, String)> {
    let opened = match fault {
        FaultEvent::NodeKilled { node } => (format!("node {node}"), "node killed".to_string(), node.clone()),
        FaultEvent::ShutdownRequested { node } => {
            (format!("node {node}"), "shut down".to_string(), node.clone())
        }
        FaultEvent::ZoneLost { zone } => (format!("zone {zone}"), "zone lost".to_string(), zone.clone()),
        FaultEvent::ZoneIsolated { label, zone } => {
            (format!("cut {label}"), "zone isolated".to_string(), zone.clone())
        }
        FaultEvent::NodeIsolated { label, node } => {
            (format!("cut {label}"), "node isolated".to_string(), node.clone())
        }
        FaultEvent::Partitioned { label, .. } => {
            (format!("cut {label}"), "partition".to_string(), label.clone())
        }
        FaultEvent::LinkSlowed {
            from,
            to,
            extra_delay_ms,
        } if *extra_delay_ms > 0 => (
            format!("link {from} {to}"),
            format!("link +{extra_delay_ms} ms"),
            format!("{from} -> {to}"),
        ),
        FaultEvent::DiskFault { node, fault } => {
            (format!("disk {node}"), format!("disk {fault}"), node.clone())
        }
        FaultEvent::DiskLost { node } => (format!("node {node}"), "disk lost".to_string(), node.clone()),
        FaultEvent::FaultBegan { kind, node, detail } => {
            let label = if detail.is_empty() {
                kind.clone()
            } else {
                format!("{kind} {detail}")
            };
            (format!("{kind} {node}"), label, node.clone())
        }
        FaultEvent::ObjectStoreOutage => (
            OBJECT_STORE_OUTAGE.to_string(),
            "store outage".to_string(),
            "object store".to_string(),
        ),
        FaultEvent::ObjectStoreSlowDown { error_rate } => (
            format!("{OBJECT_STORE_SLOWDOWN} {error_rate}"),
            format!("503 storm {:.0}%", error_rate * 100.0),
            "object store".to_string(),
        ),
        FaultEvent::ObjectStoreLatency { latency_multiplier } => (
            format!("{OBJECT_STORE_LATENCY} {latency_multiplier}"),
            format!("store latency x{latency_multiplier}"),
            "object store".to_string(),
        ),
        _ => return None,
    };
    Some(opened)
}

/// The kind and target of a fault that happens at one instant (a band of no length).
fn instantaneous(fault: &FaultEvent) -> Option<(String, String)> {
    match fault {
        FaultEvent::BitFlipped { node, .. } => Some(("bit flipped".to_string(), node.clone())),
        FaultEvent::LogPrefixTrimArmed { node, role } => {
            Some((format!("prefix-trim bug ({role})"), node.clone()))
        }
        FaultEvent::ObjectCorruption => Some(("object corrupted".to_string(), "object-store".to_string())),
        _ => None,
    }
}

/// The keys of the bands `fault` closes (`None`: every network band).
fn band_closing(fault: &FaultEvent) -> Option<Vec<String>> {
    let keys = match fault {
        FaultEvent::NodeRestarted { node } => vec![format!("node {node}")],
        FaultEvent::ZoneRestored { zone } => vec![format!("zone {zone}")],
        FaultEvent::PartitionHealed { label } => vec![format!("cut {label}")],
        FaultEvent::LinkSlowed {
            from,
            to,
            extra_delay_ms: 0,
        } => vec![format!("link {from} {to}")],
        FaultEvent::DiskHealed { node } => vec![format!("disk {node}")],
        FaultEvent::FaultEnded { kind, node, .. } => vec![format!("{kind} {node}")],
        FaultEvent::NetworkHealed => return None,
        FaultEvent::ObjectStoreOutageEnded => vec![OBJECT_STORE_OUTAGE.to_string()],
        FaultEvent::ObjectStoreSlowDownEnded { error_rate } => {
            vec![format!("{OBJECT_STORE_SLOWDOWN} {error_rate}")]
        }
        FaultEvent::ObjectStoreLatencyRestored { latency_multiplier } => {
            vec![format!("{OBJECT_STORE_LATENCY} {latency_multiplier}")]
        }
        _ => Vec::new(),
    };
    Some(keys)
}

/// Faults as bands from injection to healing. The nodes of a lost zone are shown as the zone.
fn fault_bands(trace: &[TraceEntry]) -> Vec<FaultRecord> {
    let mut bands: Vec<FaultRecord> = Vec::new();
    let mut open: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut zone_event_at = None;
    let mut disk_lost: Option<(std::time::Duration, String)> = None;
    for entry in trace {
        let TraceKind::Fault(fault) = &entry.kind else {
            continue;
        };
        let at = entry.at.as_secs_f64();
        if matches!(
            fault,
            FaultEvent::ZoneLost { .. } | FaultEvent::ZoneRestored { .. }
        ) {
            zone_event_at = Some(entry.at);
        }
        let part_of_zone_event = zone_event_at == Some(entry.at)
            && matches!(
                fault,
                FaultEvent::NodeKilled { .. } | FaultEvent::NodeRestarted { .. }
            );
        if let FaultEvent::DiskLost { node } = fault {
            disk_lost = Some((entry.at, node.clone()));
        }
        // A lost disk is a crash too; its band says so once.
        let part_of_disk_loss = matches!(fault, FaultEvent::NodeKilled { node }
            if disk_lost.as_ref() == Some(&(entry.at, node.clone())));
        if part_of_zone_event || part_of_disk_loss {
            continue;
        }
        if let Some((kind, target)) = instantaneous(fault) {
            bands.push(FaultRecord {
                start_seconds: at,
                end_seconds: Some(at),
                kind,
                target,
            });
            continue;
        }
        if let Some((key, kind, target)) = band_opening(fault) {
            open.entry(key).or_default().push(bands.len());
            bands.push(FaultRecord {
                start_seconds: at,
                end_seconds: None,
                kind,
                target,
            });
            continue;
        }
        let closing: Vec<String> = match band_closing(fault) {
            Some(_) if matches!(fault, FaultEvent::ObjectStoreHealed) => open
                .keys()
                .filter(|key| key.starts_with("object-store "))
                .cloned()
                .collect(),
            Some(keys) => keys,
            None => open
                .keys()
                .filter(|key| key.starts_with("cut ") || key.starts_with("link "))
                .cloned()
                .collect(),
        };
        let heals_everything = band_closing(fault).is_none()
            || matches!(
                fault,
                FaultEvent::NodeRestarted { .. } | FaultEvent::ObjectStoreHealed
            );
        for key in closing {
            let Some(indexes) = open.get_mut(&key) else {
                continue;
            };
            // Two overlapping cuts with one label heal one at a time, oldest first; a restart
            // or a network-wide heal ends them all.
            let ended: Vec<usize> = if heals_everything {
                std::mem::take(indexes)
            } else if let FaultEvent::FaultEnded { began_at_ms, .. } = fault {
                // The band of the very fault that ended (overlapping pauses of one node
                // heal in any order).
                let position = indexes
                    .iter()
                    .position(|index| (bands[*index].start_seconds * 1000.0) as u64 == *began_at_ms)
                    .unwrap_or(0);
                vec![indexes.remove(position)]
            } else {
                vec![indexes.remove(0)]
            };
            for index in ended {
                bands[index].end_seconds = Some(at);
            }
            if indexes.is_empty() {
                open.remove(&key);
            }
        }
    }
    bands
}

fn mark(entry: &TraceEntry, kind: &str, node: &str, detail: String) -> MarkRecord {
    MarkRecord {
        at_seconds: entry.at.as_secs_f64(),
        kind: kind.to_string(),
        node: node.to_string(),
        detail,
    }
}

/// Controller changes (from the controllers' reports) and leadership changes and fencing
/// (from the metadata log, each batch once).
/// A mark per broker that left or joined a partition's ISR.
fn isr_marks(
    entry: &TraceEntry,
    state: &korasim_core::metadata::PartitionState,
    previous_isr: &[u32],
) -> Vec<MarkRecord> {
    let left = previous_isr
        .iter()
        .filter(|b| !state.isr.contains(b))
        .map(|b| ("isr shrink", *b, "left"));
    let joined = state
        .isr
        .iter()
        .filter(|b| !previous_isr.contains(b))
        .map(|b| ("isr expand", *b, "joined"));
    left.chain(joined)
        .map(|(kind, broker, verb)| {
            let detail = format!(
                "broker-{broker} {verb} the ISR of {}-{} (now {:?})",
                state.topic, state.partition, state.isr
            );
            mark(entry, kind, &format!("broker-{broker}"), detail)
        })
        .collect()
}

fn marks(trace: &[TraceEntry]) -> Vec<MarkRecord> {
    let mut marks = Vec::new();
    let mut replay = LogReplay::default();
    let mut leaders: BTreeMap<(String, u32), Option<u32>> = BTreeMap::new();
    let mut isrs: BTreeMap<(String, u32), Vec<u32>> = BTreeMap::new();
    for entry in trace {
        match &entry.kind {
            TraceKind::Node(Event::ControllerActivated { term }) => {
                marks.push(mark(
                    entry,
                    "controller",
                    &entry.node,
                    format!("active in term {term}"),
                ));
            }
            TraceKind::Node(Event::ControllerDeactivated { term, reason }) => {
                marks.push(mark(
                    entry,
                    "controller",
                    &entry.node,
                    format!("stepped down from term {term}: {reason}"),
                ));
            }
            // Which broker a fault aimed at a role (`leader-of:`, `successor-of:` ...) struck.
            TraceKind::Scenario(text) if text.starts_with("fault ") && text.contains(" strikes ") => {
                marks.push(mark(entry, "aimed fault", "scenario", text.clone()));
            }
            _ => {}
        }
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            match record {
                MetadataRecord::FenceBroker { broker, reason, .. } => {
                    marks.push(mark(
                        entry,
                        "fence",
                        &format!("broker-{broker}"),
                        format!("fenced ({reason:?}) at offset {}", batch.offset),
                    ));
                }
                MetadataRecord::UnfenceBroker { broker, .. } => {
                    marks.push(mark(
                        entry,
                        "unfence",
                        &format!("broker-{broker}"),
                        format!("unfenced at offset {}", batch.offset),
                    ));
                }
                MetadataRecord::PartitionState(state) => {
                    let key = (state.topic.clone(), state.partition);
                    let previous_isr = isrs.insert(key.clone(), state.isr.clone());
                    if let Some(previous_isr) = &previous_isr {
                        marks.extend(isr_marks(entry, state, previous_isr));
                    }
                    // A leader from outside the ISR it replaces came from the eligible
                    // leader replicas (KIP-966): say so, it is the rarer path.
                    let from_eligible = state.leader.is_some_and(|leader| {
                        previous_isr.as_ref().is_some_and(|isr| !isr.contains(&leader))
                    });
                    let previous = leaders.insert(key, state.leader);
                    if previous.is_some() && previous != Some(state.leader) {
                        let node = state
                            .leader
                            .map_or("none".to_string(), |leader| format!("broker-{leader}"));
                        let detail = format!(
                            "{}-{} led by {node} in epoch {}{}",
                            state.topic,
                            state.partition,
                            state.leader_epoch,
                            if from_eligible {
                                " (an eligible leader replica, outside the ISR it replaces)"
                            } else {
                                ""
                            }
                        );
                        marks.push(mark(entry, "leader", &node, detail));
                    }
                }
                _ => {}
            }
        }
    }
    marks
}

/// Unfenced brokers over time, a step series from the metadata log.
fn unfenced_brokers(trace: &[TraceEntry]) -> Series {
    let mut replay = LogReplay::default();
    let mut state = ReplayedState::default();
    let mut points = vec![(0.0, 0.0)];
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        state.apply(batch.records);
        let unfenced = state.unfenced_count() as f64;
        let at = entry.at.as_secs_f64();
        if let Some(&(_, previous)) = points.last() {
            if previous != unfenced {
                // A step: hold the old value until just now.
                points.push((at, previous));
                points.push((at, unfenced));
            }
        }
    }
    if let (Some(&(_, last)), Some(end)) = (points.last(), trace.last()) {
        points.push((end.at.as_secs_f64(), last));
    }
    Series {
        name: "unfenced brokers".to_string(),
        unit: "brokers".to_string(),
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::test_support::{applied, partition};

    fn leader_details(trace: &[TraceEntry]) -> Vec<String> {
        marks(trace)
            .into_iter()
            .filter(|mark| mark.kind == "leader")
            .map(|mark| mark.detail)
            .collect()
    }

    /// A leader elected from outside the ISR it replaces (an eligible leader replica) is
    /// marked as such; one from inside it is not.
    #[test]
    fn a_leader_from_the_eligible_replicas_is_marked() {
        let with_isr = |isr: &[u32], leader: u32, epoch: u64| {
            let MetadataRecord::PartitionState(mut state) =
                partition("orders", 0, &[1, 2, 3], Some(leader), epoch)
            else {
                unreachable!()
            };
            state.isr = isr.to_vec();
            MetadataRecord::PartitionState(state)
        };
        let trace = [
            applied("controller-1", 10, 1, vec![with_isr(&[1, 2, 3], 1, 0)]),
            applied("controller-1", 20, 2, vec![with_isr(&[2, 3], 2, 1)]),
            applied("controller-1", 30, 3, vec![with_isr(&[1], 1, 2)]),
        ];
        assert_eq!(
            leader_details(&trace),
            vec![
                "orders-0 led by broker-2 in epoch 1".to_string(),
                "orders-0 led by broker-1 in epoch 2 (an eligible leader replica, outside the ISR it replaces)"
                    .to_string(),
            ]
        );
    }

    /// A fault aimed at a role is shown with the broker it struck.
    #[test]
    fn an_aimed_fault_is_marked_with_what_it_struck() {
        let note = TraceEntry {
            at: std::time::Duration::from_secs(5),
            node: "scenario".to_string(),
            kind: TraceKind::Scenario("fault pause on leader-of:orders-0 strikes broker-1".to_string()),
        };
        let shown = marks(&[note]);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].kind, "aimed fault");
        assert!(shown[0].detail.contains("strikes broker-1"));
    }
}
