//! Expectations about the durability audits, judged from the trace: every corruption fault
//! (`flip-bit`, `trim-log-prefix`, `trim-follower-log-prefix`, `corrupt-object`) is caught by an audit in time
//! (`audit_detects_within`), and repaired in time (`repaired_within`): a corrupt replica left
//! the ISR (and leadership) and came back into the ISR after its rebuild; a corrupt object was
//! written again from a local copy.

use std::time::Duration;

use korasim_core::broker::audit::rules::CorruptionReason;
use korasim_core::metadata::{MetadataRecord, Mitigation};
use korasim_core::observe::Event;

use korasim_core::broker::PrefixTrimRole;

use super::inject::FiredFault;
use crate::faults::Corruption;
use crate::trace::{TraceEntry, TraceKind};

/// What a corruption fault damaged, as the audits must find it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Damage {
    /// A follower's replica of one partition (a flipped bit in the batch at `batch_base_offset`).
    Replica {
        broker: u32,
        topic: String,
        partition: u32,
        batch_base_offset: u64,
    },
    /// Some partition led by the broker (its prefix trimmed; which one is the bug's choice).
    LedPrefix { broker: u32 },
    /// Some partition the broker follows in its ISR (its prefix trimmed, the bug's choice).
    FollowedPrefix { broker: u32 },
    /// A stored segment object, by key.
    Object { key: String },
}

/// The audits' deadlines for every corruption fault that fired.
pub fn judge(
    fired: &[FiredFault],
    trace: &[TraceEntry],
    detects_within: Option<Duration>,
    repaired_within: Option<Duration>,
) -> Vec<String> {
    if detects_within.is_none() && repaired_within.is_none() {
        return Vec::new();
    }
    let mut failures = Vec::new();
    for fault in fired {
        let label = format!("{} at {:.1?}", fault.action.kind, fault.at);
        let Some(corruption) = fault.corruption() else {
            continue;
        };
        let damages: Vec<Damage> = match corruption {
            Corruption::BitFlipped(Some(flip)) => vec![Damage::Replica {
                broker: flip.broker,
                topic: flip.topic.clone(),
                partition: flip.partition,
                batch_base_offset: flip.batch_base_offset,
            }],
            Corruption::PrefixTrimArmed { brokers, .. } if brokers.is_empty() => {
                failures.push(format!(
                    "{label} armed no broker's bug, so the audits could not be judged (target a broker)"
                ));
                continue;
            }
            Corruption::PrefixTrimArmed { brokers, role } => brokers
                .iter()
                .filter_map(|name| broker_id(name))
                .map(|broker| match role {
                    PrefixTrimRole::Follower => Damage::FollowedPrefix { broker },
                    PrefixTrimRole::Leader => Damage::LedPrefix { broker },
                })
                .collect(),
            Corruption::ObjectCorrupted(Some(key)) => vec![Damage::Object { key: key.clone() }],
            // A drawn corruption may strike a broker that is down or follows nothing with
            // committed data on its medium at that moment: the trace notes it, and there is
            // no damage to judge. A corruption written in the file must find its target.
            Corruption::BitFlipped(None) | Corruption::ObjectCorrupted(None) if fault.drawn => continue,
            Corruption::BitFlipped(None) | Corruption::ObjectCorrupted(None) => {
                failures.push(format!(
                    "{label} found nothing to corrupt, so the audits could not be judged (fire it later)"
                ));
                continue;
            }
        };
        for damage in damages {
            failures.extend(judge_damage(
                &label,
                fault.at,
                &damage,
                trace,
                detects_within,
                repaired_within,
            ));
        }
    }
    failures
}

fn broker_id(name: &str) -> Option<u32> {
    name.strip_prefix("broker-")?.parse().ok()
}

/// The detection, and then the repair, of one damage done at `at`.
fn judge_damage(
    label: &str,
    at: Duration,
    damage: &Damage,
    trace: &[TraceEntry],
    detects_within: Option<Duration>,
    repaired_within: Option<Duration>,
) -> Option<String> {
    let detection = trace
        .iter()
        .filter(|entry| entry.at >= at)
        .find_map(|entry| detected(damage, entry).map(|found| (entry.at, found)));
    // A damaged batch that the replica itself dropped before any audit spoke (crash recovery
    // stops at a batch failing its CRC, a truncation or a lost disk cut below it) is gone:
    // there is nothing left for an audit to find. The end-of-run disk scrub still reads the
    // broker's disk (`repaired_within`).
    if let Some(dropped_at) = damaged_batch_dropped(damage, at, trace) {
        if detection
            .as_ref()
            .is_none_or(|(detected_at, _)| *detected_at > dropped_at)
        {
            return None;
        }
    }
    // The audits ask only in-sync replicas: the clock runs while the damaged replica is in the
    // partition's ISR (another fault may keep it out for minutes). `None`: it never spent the
    // whole deadline there, so no audit was owed.
    let detection_deadline = |within: Duration| match damage {
        Damage::Replica {
            broker,
            topic,
            partition,
            ..
        } => in_isr_deadline(trace, *broker, topic, *partition, at, within),
        _ => Some(at + within),
    };
    let Some((detected_at, found)) = detection else {
        let owed = detects_within.is_none_or(|within| detection_deadline(within).is_some());
        return owed.then(|| {
            format!(
                "{label}: no durability audit reported the damage ({}) by the end of the run{}",
                describe(damage),
                detects_within.map_or(String::new(), |within| format!(" (deadline {within:?})"))
            )
        });
    };
    if let Some(within) = detects_within.filter(|within| detected_at > at + *within) {
        if let Some(deadline) = detection_deadline(within).filter(|deadline| detected_at > *deadline) {
            let in_isr = if deadline > at + within {
                format!(" (of the damaged replica's time in the ISR; deadline {deadline:.1?})")
            } else {
                String::new()
            };
            return Some(format!(
                "{label}: the durability audit reported the damage ({}) only at {detected_at:.1?}, more than {within:?} after{in_isr}",
                describe(damage)
            ));
        }
    }
    let within = repaired_within?;
    // A detection excused for time out of the ISR leaves the repair what the detection
    // deadline left of `repaired_within`, counted from the detection.
    let deadline = match detects_within {
        Some(detect) if detected_at > at + detect => detected_at + within.saturating_sub(detect),
        _ => at + within,
    };
    let repaired = match (&found, damage) {
        (
            Found::Replica {
                broker,
                topic,
                partition,
            },
            _,
        ) => replica_repaired(
            trace,
            detected_at,
            damaged_batch_dropped(damage, detected_at, trace),
            *broker,
            topic,
            *partition,
        ),
        (Found::Object { object_id }, _) => trace
            .iter()
            .filter(|entry| entry.at >= detected_at)
            .find_map(|entry| match &entry.kind {
                TraceKind::Node(Event::AuditObjectRepaired {
                    object_id: repaired, ..
                }) if repaired == object_id => Some(Ok(entry.at)),
                _ => None,
            })
            .unwrap_or_else(|| Err(format!("object {object_id} was never written again"))),
    };
    // A replica rejoins the ISR only while its broker may join one: time the committed
    // metadata bars it (fenced, or ISR-ineligible under a detector's mitigation for another
    // fault) pushes the deadline back by as much.
    let barred = |repaired_at: Duration| match &found {
        Found::Replica { broker, .. } => time_barred_from_isr(trace, *broker, detected_at, repaired_at),
        Found::Object { .. } => Duration::ZERO,
    };
    match repaired {
        Ok(repaired_at) if repaired_at <= deadline => None,
        Ok(repaired_at) if repaired_at <= deadline + barred(repaired_at) => None,
        Ok(repaired_at) => Some(format!(
            "{label}: repaired only at {repaired_at:.1?}, more than {within:?} after ({}; barred from the ISR {:.1?} of that time)",
            describe(damage),
            barred(repaired_at)
        )),
        Err(why) => Some(format!("{label}: not repaired within {within:?}: {why}")),
    }
}

/// When the replica dropped the damaged batch on its own, before anything else: a reopened
/// (recovered) or truncated log ending at or below the batch.
fn damaged_batch_dropped(damage: &Damage, at: Duration, trace: &[TraceEntry]) -> Option<Duration> {
    let Damage::Replica {
        broker,
        topic,
        partition,
        batch_base_offset,
    } = damage
    else {
        return None;
    };
    trace
        .iter()
        .filter(|entry| entry.at >= at)
        .find_map(|entry| match &entry.kind {
            TraceKind::Node(
                Event::ReplicaOpened {
                    broker: b,
                    topic: t,
                    partition: p,
                    log_end_offset,
                    ..
                }
                | Event::ReplicaTruncated {
                    broker: b,
                    topic: t,
                    partition: p,
                    log_end_offset,
                    ..
                },
            ) if b == broker && t == topic && p == partition && log_end_offset <= batch_base_offset => {
                Some(entry.at)
            }
            _ => None,
        })
}

/// The moment the damaged replica of `topic-partition` on `broker` has spent `within` in the
/// partition's ISR since `from` (from the metadata log; a partition the log has not shown yet
/// counts as holding it), or `None` if it never did by the end of the trace.
fn in_isr_deadline(
    trace: &[TraceEntry],
    broker: u32,
    topic: &str,
    partition: u32,
    from: Duration,
    within: Duration,
) -> Option<Duration> {
    let mut replay = crate::checkers::log_replay::LogReplay::default();
    let mut in_isr = true;
    let mut since = from;
    let mut spent = Duration::ZERO;
    for entry in trace {
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            let MetadataRecord::PartitionState(state) = record else {
                continue;
            };
            if state.topic != topic || state.partition != partition {
                continue;
            }
            let now_in = state.isr.contains(&broker);
            if entry.at > from {
                if in_isr && spent + (entry.at - since) >= within {
                    return Some(since + (within - spent));
                }
                if in_isr && !now_in {
                    spent += entry.at - since;
                }
                if !in_isr && now_in {
                    since = entry.at;
                }
            }
            in_isr = now_in;
        }
    }
    let end = trace.last().map_or(from, |entry| entry.at);
    (in_isr && spent + end.saturating_sub(since) >= within).then(|| since + (within - spent))
}

/// What the audit named, to follow the repair of.
enum Found {
    Replica {
        broker: u32,
        topic: String,
        partition: u32,
    },
    Object {
        object_id: String,
    },
}

/// Whether `entry` is an audit reporting `damage`.
fn detected(damage: &Damage, entry: &TraceEntry) -> Option<Found> {
    match (&entry.kind, damage) {
        (
            TraceKind::Node(Event::AuditCorruptReplica {
                broker,
                topic,
                partition,
                ..
            }),
            Damage::Replica {
                broker: damaged,
                topic: damaged_topic,
                partition: damaged_partition,
                ..
            },
        ) if broker == damaged && topic == damaged_topic && partition == damaged_partition => {
            Some(Found::Replica {
                broker: *broker,
                topic: topic.clone(),
                partition: *partition,
            })
        }
        // A trimmed prefix: the leader's own log-start rule, or the follower's missing prefix.
        (
            TraceKind::Node(Event::AuditCorruptReplica {
                broker,
                topic,
                partition,
                reason,
                ..
            }),
            Damage::LedPrefix { broker: damaged } | Damage::FollowedPrefix { broker: damaged },
        ) if broker == damaged
            && matches!(
                (damage, reason),
                (
                    Damage::LedPrefix { .. },
                    CorruptionReason::UnexplainedLogStartJump { .. }
                ) | (
                    Damage::FollowedPrefix { .. },
                    CorruptionReason::MissingCommittedPrefix { .. }
                )
            ) =>
        {
            Some(Found::Replica {
                broker: *broker,
                topic: topic.clone(),
                partition: *partition,
            })
        }
        (TraceKind::Node(Event::AuditObjectCorrupt { object_id, .. }), Damage::Object { key })
            if key.contains(object_id.as_str()) =>
        {
            Some(Found::Object {
                object_id: object_id.clone(),
            })
        }
        _ => None,
    }
}

/// When the corrupt replica, found at `detected_at`, was back in the ISR after having left it
/// (and leadership) and rebuilt; or why it was not.
/// How long, between `from` and `until`, the committed metadata kept `broker` from joining
/// an ISR: fenced (a registration starts fenced) or marked ISR-ineligible.
fn time_barred_from_isr(trace: &[TraceEntry], broker: u32, from: Duration, until: Duration) -> Duration {
    let mut replay = crate::checkers::log_replay::LogReplay::default();
    let (mut fenced, mut ineligible) = (false, false);
    let mut barred_since: Option<Duration> = None;
    let mut barred = Duration::ZERO;
    for entry in trace {
        if entry.at > until {
            break;
        }
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        for record in batch.records {
            match record {
                MetadataRecord::RegisterBroker {
                    broker: registered, ..
                } if *registered == broker => fenced = true,
                MetadataRecord::FenceBroker { broker: changed, .. } if *changed == broker => fenced = true,
                MetadataRecord::UnfenceBroker { broker: changed, .. } if *changed == broker => fenced = false,
                MetadataRecord::BrokerMitigation {
                    broker: changed,
                    mitigation: Mitigation::IsrIneligible,
                    active,
                } if *changed == broker => ineligible = *active,
                _ => {}
            }
        }
        let now_barred = fenced || ineligible;
        match (barred_since, now_barred) {
            (None, true) => barred_since = Some(entry.at.max(from)),
            (Some(since), false) => {
                barred += entry.at.max(from).saturating_sub(since);
                barred_since = None;
            }
            _ => {}
        }
    }
    if let Some(since) = barred_since {
        barred += until.saturating_sub(since.max(from));
    }
    barred
}

/// `dropped_at`: when the replica itself dropped the damaged batch after the detection (a
/// crash recovery stopping at the batch that fails its CRC, or a truncation below it): that
/// repairs the replica as a rebuild does.
fn replica_repaired(
    trace: &[TraceEntry],
    detected_at: Duration,
    dropped_at: Option<Duration>,
    broker: u32,
    topic: &str,
    partition: u32,
) -> Result<Duration, String> {
    let mut replay = crate::checkers::log_replay::LogReplay::default();
    let mut left_at = None;
    let mut rebuilt_at = None;
    for entry in trace {
        if let Some(dropped_at) = dropped_at.filter(|dropped_at| entry.at >= *dropped_at) {
            rebuilt_at.get_or_insert(dropped_at);
        }
        if let TraceKind::Node(Event::AuditReplicaRebuilding {
            broker: rebuilt,
            topic: rebuilt_topic,
            partition: rebuilt_partition,
            ..
        }) = &entry.kind
        {
            if *rebuilt == broker
                && rebuilt_topic == topic
                && *rebuilt_partition == partition
                && entry.at >= detected_at
            {
                rebuilt_at.get_or_insert(entry.at);
            }
        }
        let Some(batch) = replay.next_batch(entry) else {
            continue;
        };
        if entry.at < detected_at {
            continue;
        }
        for record in batch.records {
            let MetadataRecord::PartitionState(state) = record else {
                continue;
            };
            if state.topic != topic || state.partition != partition {
                continue;
            }
            let in_isr = state.isr.contains(&broker);
            match left_at {
                None if !in_isr && state.leader != Some(broker) => left_at = Some(entry.at),
                Some(_) if in_isr && rebuilt_at.is_some() => return Ok(entry.at),
                _ => {}
            }
        }
    }
    Err(match (left_at, rebuilt_at) {
        (None, _) => format!("broker-{broker} never left the ISR (and leadership) of {topic}-{partition}"),
        (Some(left), None) => format!("broker-{broker} left the ISR of {topic}-{partition} at {left:.1?} but never rebuilt its replica"),
        (Some(left), Some(rebuilt)) => format!(
            "broker-{broker} left the ISR of {topic}-{partition} at {left:.1?} and rebuilt at {rebuilt:.1?}, but never rejoined it"
        ),
    })
}

fn describe(damage: &Damage) -> String {
    match damage {
        Damage::Replica {
            broker,
            topic,
            partition,
            ..
        } => format!("broker-{broker}'s replica of {topic}-{partition}"),
        Damage::LedPrefix { broker } => format!("a log prefix broker-{broker} trimmed as leader"),
        Damage::FollowedPrefix { broker } => {
            format!("a log prefix broker-{broker} trimmed as an in-sync follower")
        }
        Damage::Object { key } => format!("object {key}"),
    }
}

#[cfg(test)]
mod tests {
    use korasim_core::metadata::PartitionState;

    use crate::checkers::test_support;

    use super::*;

    fn at(seconds: u64, node: &str, event: Event) -> TraceEntry {
        crate::checkers::test_support::entry(node, seconds * 1000, event)
    }

    /// broker-1's audit convicts broker-2's replica of t-0 for `reason`.
    fn convicted_for(seconds: u64, reason: CorruptionReason) -> TraceEntry {
        at(
            seconds,
            "broker-1",
            Event::AuditCorruptReplica {
                auditor: 1,
                broker: 2,
                topic: "t".into(),
                partition: 0,
                leader_epoch: 1,
                reason,
            },
        )
    }

    fn convicted(seconds: u64) -> TraceEntry {
        convicted_for(
            seconds,
            CorruptionReason::BatchChecksumFailed {
                offset: 10,
                defect: "checksum mismatch".into(),
            },
        )
    }

    fn rebuilt(seconds: u64) -> TraceEntry {
        at(
            seconds,
            "broker-2",
            Event::AuditReplicaRebuilding {
                broker: 2,
                topic: "t".into(),
                partition: 0,
                log_start_offset: 0,
                log_end_offset: 10,
            },
        )
    }

    fn isr(seconds: u64, offset: u64, isr: Vec<u32>) -> TraceEntry {
        at(
            seconds,
            "controller-1",
            Event::MetadataApplied {
                offset,
                records: vec![MetadataRecord::PartitionState(PartitionState {
                    topic: "t".into(),
                    partition: 0,
                    replicas: vec![1, 2, 3],
                    isr,
                    leader: Some(1),
                    leader_epoch: 1,
                    partition_epoch: offset,
                    elr: Vec::new(),
                })],
                rejected: None,
            },
        )
    }

    fn replica() -> Damage {
        Damage::Replica {
            broker: 2,
            topic: "t".into(),
            partition: 0,
            batch_base_offset: 86,
        }
    }

    const FAULT_AT: Duration = Duration::from_secs(40);

    fn judge_replica(trace: &[TraceEntry]) -> Option<String> {
        judge_damage(
            "flip-bit",
            FAULT_AT,
            &replica(),
            trace,
            Some(Duration::from_secs(35)),
            Some(Duration::from_secs(60)),
        )
    }

    fn reopened(seconds: u64, log_end_offset: u64) -> TraceEntry {
        at(
            seconds,
            "broker-2",
            Event::ReplicaOpened {
                broker: 2,
                topic: "t".into(),
                partition: 0,
                log_start_offset: 0,
                log_end_offset,
            },
        )
    }

    /// Crash recovery that stops at the damaged batch (offset 86) removes the damage: no audit
    /// is owed. Recovery that keeps the batch (the log reopens past it) removes nothing.
    #[test]
    fn a_damaged_batch_the_replica_dropped_itself_owes_no_audit() {
        let end = isr(200, 6, vec![1, 2, 3]);
        assert_eq!(judge_replica(&[reopened(50, 86), end.clone()]), None);
        let kept = judge_replica(&[reopened(50, 120), end]).expect("still damaged");
        assert!(kept.contains("no durability audit reported the damage"), "{kept}");
    }

    /// Out of the ISR (another fault) from 45 s to 145 s, the replica owes its audit 35 s of
    /// ISR time: 5 s before and 30 s after, so by 175 s. Caught at 170 s passes; at 180 s
    /// fails, naming the deadline; never back in the ISR owes nothing.
    #[test]
    fn the_detection_clock_runs_only_while_the_damaged_replica_is_in_the_isr() {
        let away = |caught: Vec<TraceEntry>| {
            let mut trace = vec![
                isr(30, 1, vec![1, 2, 3]),
                isr(45, 2, vec![1, 3]),
                isr(145, 3, vec![1, 2, 3]),
            ];
            trace.extend(caught);
            trace
        };
        assert_eq!(
            judge_replica(&away(vec![
                convicted(170),
                isr(171, 4, vec![1, 3]),
                rebuilt(172),
                isr(175, 5, vec![1, 2, 3])
            ])),
            None
        );
        let late = judge_replica(&away(vec![convicted(180)])).expect("late");
        assert!(
            late.contains("only at 180.0s") && late.contains("deadline 175.0s"),
            "{late}"
        );
        let never_back = vec![
            isr(30, 1, vec![1, 2, 3]),
            isr(45, 2, vec![1, 3]),
            isr(300, 3, vec![1, 3]),
        ];
        assert_eq!(judge_replica(&never_back), None);
    }

    #[test]
    fn a_replica_caught_in_time_and_rebuilt_passes() {
        let trace = vec![
            convicted(60),
            isr(60, 5, vec![1, 3]),
            rebuilt(61),
            isr(63, 6, vec![1, 2, 3]),
        ];
        assert_eq!(judge_replica(&trace), None);
    }

    #[test]
    fn a_follower_prefix_is_caught_only_by_a_missing_prefix_verdict() {
        let damage = Damage::FollowedPrefix { broker: 2 };
        let judge = |trace: &[TraceEntry]| {
            judge_damage(
                "trim-follower-log-prefix",
                FAULT_AT,
                &damage,
                trace,
                Some(Duration::from_secs(35)),
                None,
            )
        };
        let failure = judge(&[convicted(60)]).unwrap();
        assert!(
            failure.contains("no durability audit reported the damage"),
            "a checksum verdict is another damage: {failure}"
        );
        let missing = convicted_for(
            60,
            CorruptionReason::MissingCommittedPrefix {
                log_start_offset: 500,
                allowed_up_to: 0,
            },
        );
        assert_eq!(judge(&[missing]), None);
    }

    #[test]
    fn no_audit_report_fails() {
        // The damaged replica stays in the ISR to the end of the trace (200 s): an audit was owed.
        let failure = judge_replica(&[isr(60, 5, vec![1, 2, 3]), isr(200, 6, vec![1, 2, 3])]).unwrap();
        assert!(
            failure.contains("no durability audit reported the damage"),
            "{failure}"
        );
    }

    #[test]
    fn a_late_report_fails() {
        let failure = judge_replica(&[convicted(80)]).unwrap();
        assert!(failure.contains("only at 80.0s"), "{failure}");
    }

    #[test]
    fn a_replica_kept_in_the_isr_or_never_rebuilt_fails() {
        let failure = judge_replica(&[convicted(60)]).unwrap();
        assert!(failure.contains("never left the ISR"), "{failure}");
        let failure =
            judge_replica(&[convicted(60), isr(60, 5, vec![1, 3]), isr(63, 6, vec![1, 2, 3])]).unwrap();
        assert!(failure.contains("never rebuilt"), "{failure}");
        let failure = judge_replica(&[convicted(60), isr(60, 5, vec![1, 3]), rebuilt(61)]).unwrap();
        assert!(failure.contains("never rejoined"), "{failure}");
    }

    /// chaos-health seed 84: convicted at 60 s, out of the ISR, then killed; its crash
    /// recovery stops at the damaged batch (offset 86) and it rejoins at 70 s: repaired
    /// without an `AuditReplicaRebuilding`. A recovery that keeps the batch repairs nothing.
    #[test]
    fn a_replica_that_dropped_the_damaged_batch_after_conviction_is_repaired() {
        let after = |log_end_offset: u64| {
            judge_replica(&[
                convicted(60),
                isr(60, 5, vec![1, 3]),
                reopened(65, log_end_offset),
                isr(70, 6, vec![1, 2, 3]),
            ])
        };
        assert_eq!(after(86), None);
        let kept = after(120).expect("the batch is still there");
        assert!(kept.contains("never rebuilt"), "{kept}");
    }

    #[test]
    fn a_repair_after_the_deadline_fails() {
        let trace = vec![
            convicted(60),
            isr(60, 5, vec![1, 3]),
            rebuilt(61),
            isr(120, 6, vec![1, 2, 3]),
        ];
        let failure = judge_replica(&trace).unwrap();
        assert!(failure.contains("repaired only at 120.0s"), "{failure}");
    }

    /// The metadata log applying `record` at `seconds`, as the checkers' tests write it.
    fn metadata(seconds: u64, offset: u64, record: MetadataRecord) -> TraceEntry {
        test_support::applied("controller-1", seconds * 1000, offset, vec![record])
    }

    fn ineligible(seconds: u64, offset: u64, active: bool) -> TraceEntry {
        metadata(
            seconds,
            offset,
            MetadataRecord::BrokerMitigation {
                broker: 2,
                mitigation: Mitigation::IsrIneligible,
                active,
            },
        )
    }

    /// The deadline (100 s) is pushed back by the time the committed metadata kept broker-2
    /// out of every ISR (a detector's mitigation for a slow disk, 62-110 s): rejoining at 120 s
    /// passes. Fenced only 62-70 s, the same repair is late; an ISR-ineligible mark that is
    /// never lifted excuses up to the repair.
    #[test]
    fn time_barred_from_the_isr_pushes_the_repair_deadline_back() {
        let repaired_with = |bar: Vec<TraceEntry>| {
            let mut trace = vec![convicted(60), isr(60, 5, vec![1, 3]), rebuilt(61)];
            trace.extend(bar);
            trace.push(isr(120, 9, vec![1, 2, 3]));
            judge_replica(&trace)
        };
        assert_eq!(
            repaired_with(vec![ineligible(62, 6, true), ineligible(110, 7, false)]),
            None
        );
        let fenced = vec![
            metadata(62, 6, test_support::fence(2, 1)),
            metadata(70, 7, test_support::unfence(2, 1)),
        ];
        let failure = repaired_with(fenced).expect("8 s barred do not excuse 20 s late");
        assert!(failure.contains("barred from the ISR 8.0s"), "{failure}");
        assert_eq!(repaired_with(vec![ineligible(62, 6, true)]), None);
        // A mark on another broker excuses nothing.
        let other = metadata(
            62,
            6,
            MetadataRecord::BrokerMitigation {
                broker: 3,
                mitigation: Mitigation::IsrIneligible,
                active: true,
            },
        );
        assert!(repaired_with(vec![other]).is_some());
    }

    #[test]
    fn a_corrupt_object_must_be_reported_and_written_again() {
        let damage = Damage::Object {
            key: "tier/t/0/abc.log".into(),
        };
        let reported = at(
            60,
            "broker-1",
            Event::AuditObjectCorrupt {
                broker: 1,
                topic: "t".into(),
                partition: 0,
                object_id: "abc".into(),
                base_offset: 0,
                last_offset: 9,
                repairable: true,
                evidence: "checksum mismatch".into(),
            },
        );
        let repaired = at(
            61,
            "broker-1",
            Event::AuditObjectRepaired {
                broker: 1,
                topic: "t".into(),
                partition: 0,
                object_id: "abc".into(),
                key: "tier/t/0/abc.log".into(),
            },
        );
        let judge = |trace: &[TraceEntry]| {
            judge_damage(
                "corrupt-object",
                FAULT_AT,
                &damage,
                trace,
                Some(Duration::from_secs(35)),
                Some(Duration::from_secs(40)),
            )
        };
        assert_eq!(judge(&[reported.clone(), repaired]), None);
        let failure = judge(&[reported]).unwrap();
        assert!(failure.contains("never written again"), "{failure}");
        let failure = judge(&[]).unwrap();
        assert!(failure.contains("no durability audit reported"), "{failure}");
    }
}
