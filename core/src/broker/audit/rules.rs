//! The audits' rules, pure: which replicas a set of range checksums convicts, and whether a
//! log-start jump is explained by retention.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checksum::AuditAnswer;
use crate::metadata::BrokerId;

/// Why an audit found a replica corrupt, with the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CorruptionReason {
    /// A batch of the replica's own copy failed its CRC where the replica read it.
    BatchChecksumFailed { offset: u64, defect: String },
    /// The replica's checksum over a committed range differs from the majority's.
    DisagreesWithMajority {
        from_offset: u64,
        to_offset: u64,
        checksum: u32,
        majority_checksum: u32,
        majority: Vec<BrokerId>,
    },
    /// The replica's local log start moved past what retention allows (its prefix is gone).
    UnexplainedLogStartJump { from: u64, to: u64, allowed_up_to: u64 },
    /// An in-sync follower's local log starts past what retention allows: it lacks committed
    /// data the leader or the object store still holds.
    MissingCommittedPrefix {
        log_start_offset: u64,
        allowed_up_to: u64,
    },
}

impl CorruptionReason {
    /// The first offset the replica may no longer be trusted at: it keeps what is below and
    /// fetches the rest again. `None`: nothing of its log can be trusted (rebuild it whole).
    pub fn first_bad_offset(&self) -> Option<u64> {
        match self {
            CorruptionReason::BatchChecksumFailed { offset, .. } => Some(*offset),
            CorruptionReason::DisagreesWithMajority { from_offset, .. } => Some(*from_offset),
            CorruptionReason::UnexplainedLogStartJump { .. }
            | CorruptionReason::MissingCommittedPrefix { .. } => None,
        }
    }
}

impl std::fmt::Display for CorruptionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CorruptionReason::BatchChecksumFailed { offset, defect } => {
                write!(f, "the batch at offset {offset} failed its checksum: {defect}")
            }
            CorruptionReason::DisagreesWithMajority {
                from_offset,
                to_offset,
                checksum,
                majority_checksum,
                majority,
            } => write!(
                f,
                "checksum {checksum:08x} over {from_offset}..{to_offset} differs from {majority_checksum:08x} held by brokers {majority:?}"
            ),
            CorruptionReason::UnexplainedLogStartJump { from, to, allowed_up_to } => write!(
                f,
                "the log start jumped from {from} to {to}, but retention allows at most {allowed_up_to}"
            ),
            CorruptionReason::MissingCommittedPrefix {
                log_start_offset,
                allowed_up_to,
            } => write!(
                f,
                "the local log starts at {log_start_offset}, but retention allows it to start at most at {allowed_up_to}: committed data is missing"
            ),
        }
    }
}

/// What the replicas' answers over one range show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeVerdict {
    /// Replicas found corrupt, each with why.
    pub corrupt: Vec<(BrokerId, CorruptionReason)>,
    /// The checksums disagree with no majority: nobody can be blamed (too few copies).
    pub undecided: Option<String>,
}

/// Judges the answers of the replicas (the leader's own included) over one committed range.
/// A replica whose own batch failed its CRC is corrupt whatever the others say. Among the
/// replicas that computed a checksum, the ones that differ from a strict majority are corrupt;
/// without a strict majority nobody is blamed. A replica whose log starts above what retention
/// allows is corrupt too (its prefix is gone). Unavailable answers count for nothing.
pub fn judge_range(answers: &BTreeMap<BrokerId, AuditAnswer>) -> RangeVerdict {
    let mut verdict = RangeVerdict::default();
    let mut groups: BTreeMap<(u64, u64, u32), Vec<BrokerId>> = BTreeMap::new();
    for (&broker, answer) in answers {
        match answer {
            AuditAnswer::Corrupt { offset, defect } => verdict.corrupt.push((
                broker,
                CorruptionReason::BatchChecksumFailed {
                    offset: *offset,
                    defect: defect.clone(),
                },
            )),
            AuditAnswer::Checksum(range) => groups
                .entry((range.from_offset, range.to_offset, range.checksum))
                .or_default()
                .push(broker),
            AuditAnswer::PrefixMissing {
                log_start_offset,
                allowed_up_to,
            } => verdict.corrupt.push((
                broker,
                CorruptionReason::MissingCommittedPrefix {
                    log_start_offset: *log_start_offset,
                    allowed_up_to: *allowed_up_to,
                },
            )),
            AuditAnswer::Unavailable(_) => {}
        }
    }
    if groups.len() <= 1 {
        verdict.corrupt.sort_by_key(|(broker, _)| *broker);
        return verdict;
    }
    let voters: usize = groups.values().map(Vec::len).sum();
    let majority = groups
        .iter()
        .find(|(_, members)| members.len() * 2 > voters)
        .map(|(key, members)| (*key, members.clone()));
    match majority {
        Some(((_, _, majority_checksum), majority)) => {
            for ((from_offset, to_offset, checksum), members) in &groups {
                if *checksum == majority_checksum {
                    continue;
                }
                for &broker in members {
                    verdict.corrupt.push((
                        broker,
                        CorruptionReason::DisagreesWithMajority {
                            from_offset: *from_offset,
                            to_offset: *to_offset,
                            checksum: *checksum,
                            majority_checksum,
                            majority: majority.clone(),
                        },
                    ));
                }
            }
        }
        None => {
            verdict.undecided = Some(format!(
                "checksums disagree with no majority: {:?}",
                groups
                    .iter()
                    .map(|((_, _, checksum), members)| (format!("{checksum:08x}"), members.clone()))
                    .collect::<Vec<_>>()
            ))
        }
    }
    verdict.corrupt.sort_by_key(|(broker, _)| *broker);
    verdict
}

/// Why a replica's log start moved (the cause an `AuditLogStartChanged` event states).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogStartCause {
    /// Local retention deleted segments wholly below the committed tiered end.
    LocalRetention { tiered_end_offset: u64 },
    /// A follower restarted its log at the leader's (local) log start.
    FollowerTruncation,
    /// A corrupt replica was emptied to be rebuilt from a healthy one.
    Rebuild,
    /// Nothing explains it: retention does not allow it (found by an audit).
    Unexplained { allowed_up_to: u64 },
}

/// What the log-start rule says about one move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStartVerdict {
    /// Unchanged, or moved back (a rebuild restarts the log lower): nothing lost.
    Fine,
    /// Moved forward within what retention allows.
    Retention,
    /// Moved forward past what retention allows: the prefix was lost.
    Unexplained { allowed_up_to: u64 },
}

/// The log-start rule: a leader's local log start may move forward only below the committed
/// tiered end (local retention deletes only data the object store holds). A topic that is not
/// tiered has no retention here, so any forward move is unexplained. `tiered_end_offset` is
/// `None` for an untiered topic.
pub fn judge_log_start(previous: u64, current: u64, tiered_end_offset: Option<u64>) -> LogStartVerdict {
    if current <= previous {
        return LogStartVerdict::Fine;
    }
    match tiered_end_offset {
        Some(end) if current <= end => LogStartVerdict::Retention,
        Some(end) => LogStartVerdict::Unexplained {
            allowed_up_to: end.max(previous),
        },
        None => LogStartVerdict::Unexplained {
            allowed_up_to: previous,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::checksum::RangeChecksum;
    use super::*;

    fn sum(checksum: u32) -> AuditAnswer {
        AuditAnswer::Checksum(RangeChecksum {
            from_offset: 10,
            to_offset: 20,
            batches: 3,
            bytes: 300,
            checksum,
        })
    }

    fn answers(list: &[(BrokerId, AuditAnswer)]) -> BTreeMap<BrokerId, AuditAnswer> {
        list.iter().cloned().collect()
    }

    #[test]
    fn agreeing_replicas_convict_nobody() {
        let verdict = judge_range(&answers(&[(1, sum(7)), (2, sum(7)), (3, sum(7))]));
        assert_eq!(verdict, RangeVerdict::default());
    }

    #[test]
    fn a_replica_whose_own_batch_fails_its_crc_is_corrupt_from_that_batch() {
        let corrupt = AuditAnswer::Corrupt {
            offset: 14,
            defect: "checksum mismatch".into(),
        };
        let verdict = judge_range(&answers(&[(1, sum(7)), (2, corrupt), (3, sum(7))]));
        assert_eq!(verdict.corrupt.len(), 1);
        assert_eq!(verdict.corrupt[0].0, 2);
        assert_eq!(verdict.corrupt[0].1.first_bad_offset(), Some(14));
        assert_eq!(verdict.undecided, None);
    }

    #[test]
    fn the_minority_is_corrupt_even_when_it_is_the_leader() {
        let verdict = judge_range(&answers(&[(1, sum(9)), (2, sum(7)), (3, sum(7))]));
        assert_eq!(verdict.corrupt.len(), 1);
        assert_eq!(verdict.corrupt[0].0, 1);
        assert!(matches!(
            &verdict.corrupt[0].1,
            CorruptionReason::DisagreesWithMajority { majority, majority_checksum: 7, checksum: 9, .. }
                if majority == &vec![2, 3]
        ));
    }

    #[test]
    fn a_replica_missing_its_committed_prefix_is_corrupt_whatever_its_checksums() {
        let missing = AuditAnswer::PrefixMissing {
            log_start_offset: 500,
            allowed_up_to: 0,
        };
        let verdict = judge_range(&answers(&[(1, sum(7)), (2, missing), (3, sum(7))]));
        assert_eq!(verdict.corrupt.len(), 1);
        assert_eq!(verdict.corrupt[0].0, 2);
        assert_eq!(verdict.corrupt[0].1.first_bad_offset(), None, "rebuilt whole");
        assert_eq!(verdict.undecided, None);
    }

    #[test]
    fn two_copies_that_disagree_blame_nobody() {
        let verdict = judge_range(&answers(&[
            (1, sum(9)),
            (2, sum(7)),
            (3, AuditAnswer::Unavailable("x".into())),
        ]));
        assert!(verdict.corrupt.is_empty());
        assert!(verdict.undecided.is_some());
    }

    #[test]
    fn unavailable_answers_count_for_nothing() {
        let verdict = judge_range(&answers(&[
            (1, sum(7)),
            (2, AuditAnswer::Unavailable("lagging".into())),
        ]));
        assert_eq!(verdict, RangeVerdict::default());
    }

    #[test]
    fn an_untiered_log_start_may_not_move_forward() {
        assert_eq!(judge_log_start(0, 0, None), LogStartVerdict::Fine);
        assert_eq!(
            judge_log_start(0, 500, None),
            LogStartVerdict::Unexplained { allowed_up_to: 0 }
        );
        assert_eq!(
            judge_log_start(500, 0, None),
            LogStartVerdict::Fine,
            "a rebuild moves it back"
        );
    }

    #[test]
    fn a_tiered_log_start_may_move_up_to_the_tiered_end_only() {
        assert_eq!(judge_log_start(0, 400, Some(400)), LogStartVerdict::Retention);
        assert_eq!(
            judge_log_start(0, 401, Some(400)),
            LogStartVerdict::Unexplained { allowed_up_to: 400 }
        );
        assert_eq!(
            judge_log_start(600, 700, Some(400)),
            LogStartVerdict::Unexplained { allowed_up_to: 600 }
        );
    }
}
