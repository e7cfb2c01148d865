//! A partition's leader epoch never decreases, and names one leader only.
//!
//! Kafka fences stale leaders with the leader epoch: replicas and clients reject requests
//! carrying an epoch older than the newest they know, and the log's epoch history decides what
//! a follower truncates. That only works if every leader change, to or from "no leader", gets a
//! new, larger epoch: an epoch going backwards would let a deposed leader be obeyed again, and
//! two leaders sharing an epoch could both accept writes that neither side can tell apart,
//! losing acknowledged data on truncation.
//!
//! Judged from the partition states of batches that took effect, first report of each offset
//! only, so controllers repeating or re-applying the log do not look like epochs going back.

use std::collections::BTreeMap;

use korasim_core::metadata::{BrokerId, MetadataRecord};

use super::log_replay::LogReplay;
use super::{Checker, Violation};
use crate::trace::TraceEntry;

pub const NAME: &str = "leader-epoch-monotonic";

/// Each partition's leader for every leader epoch it has had.
#[derive(Debug, Default)]
pub struct LeaderEpochMonotonic {
    log: LogReplay,
    leaders_by_epoch: BTreeMap<(String, u32), BTreeMap<u64, Option<BrokerId>>>,
}

impl LeaderEpochMonotonic {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for LeaderEpochMonotonic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let Some(batch) = self.log.next_batch(entry) else {
            return Vec::new();
        };
        let mut violations = Vec::new();
        for record in batch.records {
            let MetadataRecord::PartitionState(state) = record else {
                continue;
            };
            let history = self
                .leaders_by_epoch
                .entry((state.topic.clone(), state.partition))
                .or_default();
            if let Some((&previous, _)) = history
                .last_key_value()
                .filter(|(newest, _)| state.leader_epoch < **newest)
            {
                violations.push(Violation::LeaderEpochDecreased {
                    at: entry.at,
                    offset: batch.offset,
                    topic: state.topic.clone(),
                    partition: state.partition,
                    epoch: state.leader_epoch,
                    previous,
                });
            }
            match history.get(&state.leader_epoch) {
                Some(&first) if first != state.leader => {
                    violations.push(Violation::TwoLeadersInLeaderEpoch {
                        at: entry.at,
                        offset: batch.offset,
                        topic: state.topic.clone(),
                        partition: state.partition,
                        leader_epoch: state.leader_epoch,
                        first,
                        second: state.leader,
                    });
                }
                Some(_) => {}
                None => {
                    history.insert(state.leader_epoch, state.leader);
                }
            }
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::*;

    #[test]
    fn epochs_rising_with_each_leader_change_are_fine() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 0)],
                ),
                applied(
                    "controller-2",
                    110,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 0)],
                ),
                // An ISR change keeps leader and epoch.
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(1), 0)],
                ),
                // The leader goes away, then a new one comes with a higher epoch.
                applied("controller-1", 300, 3, vec![partition("t", 0, &[1, 2], None, 1)]),
                applied(
                    "controller-1",
                    400,
                    4,
                    vec![partition("t", 0, &[1, 2], Some(2), 2)],
                ),
                // A second partition has its own epochs.
                applied(
                    "controller-1",
                    500,
                    5,
                    vec![partition("t", 1, &[1, 2], Some(1), 0)],
                ),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn a_restarted_controller_reapplying_old_offsets_is_fine() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 0)],
                ),
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(2), 1)],
                ),
                applied(
                    "controller-2",
                    300,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 0)],
                ),
                applied(
                    "controller-2",
                    310,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(2), 1)],
                ),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn rejected_batches_are_ignored() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 3)],
                ),
                rejected(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(2), 3)],
                ),
                rejected(
                    "controller-1",
                    300,
                    3,
                    vec![partition("t", 0, &[1, 2], Some(2), 1)],
                ),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn an_epoch_going_back_is_a_violation() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 4)],
                ),
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(2), 3)],
                ),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::LeaderEpochDecreased {
                at: Duration::from_millis(200),
                offset: 2,
                topic: "t".to_string(),
                partition: 0,
                epoch: 3,
                previous: 4,
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn two_leaders_in_one_epoch_is_a_violation() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 4)],
                ),
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2], Some(2), 4)],
                ),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::TwoLeadersInLeaderEpoch {
                at: Duration::from_millis(200),
                offset: 2,
                topic: "t".to_string(),
                partition: 0,
                leader_epoch: 4,
                first: Some(1),
                second: Some(2),
            }]
        );
    }

    #[test]
    fn losing_the_leader_without_a_new_epoch_is_a_violation() {
        let violations = run(
            &mut LeaderEpochMonotonic::new(),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2], Some(1), 4)],
                ),
                applied("controller-1", 200, 2, vec![partition("t", 0, &[1, 2], None, 4)]),
            ],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::TwoLeadersInLeaderEpoch {
                first: Some(1),
                second: None,
                ..
            }]
        ));
    }
}
