//! Expectations about the durability audits, judged from the trace: every corruption fault
//! (`flip-bit`, `trim-log-prefix`, `trim-follower-log-prefix`, `corrupt-object`) is caught by an audit in time
//! (`audit_detects_within`), and repaired in time (`repaired_within`): a corrupt replica left
//! the ISR (and leadership) and came back into the ISR after its rebuild; a corrupt object was
//! written again from a local copy.

use std::time::Duration;

use korasim_core::broker::audit::rules::CorruptionReason;
use korasim_core::metadata::MetadataRecord;
use korasim_core::observe::Event;

use super::inject::{Applied, FiredFault};
use crate::scenario_file::FaultKind;
use crate::trace::{TraceEntry, TraceKind};

/// What a corruption fault damaged, as the audits must find it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Damage {
    /// A follower's replica of one partition (a flipped bit).
    Replica {
        broker: u32,
        topic: String,
        partition: u32,
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
        let damages: Vec<Damage> = match &fault.applied {
            Applied::BitFlipped(Some(flip)) => vec![Damage::Replica {
                broker: flip.broker,
                topic: flip.topic.clone(),
                partition: flip.partition,
            }],
            Applied::PrefixTrimArmed(names) if names.is_empty() => {
                failures.push(format!(
                    "{label} armed no broker's bug, so the audits could not be judged (target a broker)"
                ));
                continue;
            }
            Applied::PrefixTrimArmed(names) => names
                .iter()
                .filter_map(|name| broker_id(name))
                .map(|broker| match fault.action.kind {
                    FaultKind::TrimFollowerLogPrefix => Damage::FollowedPrefix { broker },
                    _ => Damage::LedPrefix { broker },
                })
                .collect(),
            Applied::ObjectCorrupted(Some(key)) => vec![Damage::Object { key: key.clone() }],
            Applied::BitFlipped(None) | Applied::ObjectCorrupted(None) => {
                failures.push(format!(
                    "{label} found nothing to corrupt, so the audits could not be judged (fire it later)"
                ));
                continue;
            }
            _ => continue,
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
    let Some((detected_at, found)) = detection else {
        return Some(format!(
            "{label}: no durability audit reported the damage ({}) by the end of the run{}",
            describe(damage),
            detects_within.map_or(String::new(), |within| format!(" (deadline {within:?})"))
        ));
    };
    if let Some(within) = detects_within.filter(|within| detected_at > at + *within) {
        return Some(format!(
            "{label}: the durability audit reported the damage ({}) only at {detected_at:.1?}, more than {within:?} after",
            describe(damage)
        ));
    }
    let within = repaired_within?;
    let deadline = at + within;
    let repaired = match (&found, damage) {
        (
            Found::Replica {
                broker,
                topic,
                partition,
            },
            _,
        ) => replica_repaired(trace, detected_at, *broker, topic, *partition),
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
    match repaired {
        Ok(repaired_at) if repaired_at <= deadline => None,
        Ok(repaired_at) => Some(format!(
            "{label}: repaired only at {repaired_at:.1?}, more than {within:?} after ({})",
            describe(damage)
        )),
        Err(why) => Some(format!("{label}: not repaired within {within:?}: {why}")),
    }
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
fn replica_repaired(
    trace: &[TraceEntry],
    detected_at: Duration,
    broker: u32,
    topic: &str,
    partition: u32,
) -> Result<Duration, String> {
    let mut replay = crate::checkers::log_replay::LogReplay::default();
    let mut left_at = None;
    let mut rebuilt_at = None;
    for entry in trace {
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
        let failure = judge_replica(&[isr(60, 5, vec![1, 3])]).unwrap();
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
