//! One broker leads a partition per leader epoch, and a broker's leader epochs for a
//! partition only increase.
//!
//! The leader epoch is what fences a deposed leader: followers and clients reject an older
//! epoch, and the log's epoch history decides what a follower truncates. Two brokers leading
//! in the same epoch could both write batches that no one can tell apart by epoch; a broker
//! leading again in an epoch not above one it led before would revive a fenced leadership.
//! Judged from the brokers' own `LeaderStarted` reports (the metadata side is the
//! `leader-epoch-monotonic` checker's).

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use crate::checkers::partition_map::PartitionMap;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "data-leader-per-epoch";

/// For every partition: who started leading in each epoch (and when), and each broker's
/// newest epoch.
#[derive(Debug, Default)]
pub struct DataLeaderPerEpoch {
    partitions: PartitionMap<Leaders>,
}

#[derive(Debug, Default)]
struct Leaders {
    by_epoch: BTreeMap<u64, (BrokerId, Duration)>,
    newest_of_broker: BTreeMap<BrokerId, u64>,
}

impl DataLeaderPerEpoch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for DataLeaderPerEpoch {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(Event::LeaderStarted {
            broker,
            topic,
            partition,
            leader_epoch,
            ..
        }) = &entry.kind
        else {
            return Vec::new();
        };
        let leaders = self.partitions.entry(topic, *partition);
        let mut violations = Vec::new();
        match leaders.by_epoch.get(leader_epoch) {
            Some(&(first, first_at)) if first != *broker => {
                violations.push(Violation::TwoDataLeadersInEpoch {
                    at: entry.at,
                    topic: topic.clone(),
                    partition: *partition,
                    leader_epoch: *leader_epoch,
                    first,
                    first_at,
                    second: *broker,
                });
            }
            Some(_) => {}
            None => {
                leaders.by_epoch.insert(*leader_epoch, (*broker, entry.at));
            }
        }
        if let Some(&previous) = leaders
            .newest_of_broker
            .get(broker)
            .filter(|previous| *leader_epoch <= **previous)
        {
            violations.push(Violation::DataLeaderEpochNotIncreasing {
                at: entry.at,
                broker: *broker,
                topic: topic.clone(),
                partition: *partition,
                leader_epoch: *leader_epoch,
                previous,
            });
        }
        let newest = leaders.newest_of_broker.entry(*broker).or_insert(*leader_epoch);
        *newest = (*newest).max(*leader_epoch);
        violations
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::replicas::test_support::*;
    use crate::checkers::test_support::run;

    #[test]
    fn one_leader_per_epoch_with_rising_epochs_is_fine() {
        let violations = run(
            &mut DataLeaderPerEpoch::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                leader_started(2, 200, "t", 0, 2, 10),
                // Broker 1 leads again later, in a newer epoch.
                leader_started(1, 300, "t", 0, 4, 12),
                // Other partitions count their epochs on their own.
                leader_started(2, 400, "t", 1, 1, 0),
                leader_started(3, 500, "u", 0, 1, 0),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn two_brokers_leading_one_epoch_is_a_violation() {
        let violations = run(
            &mut DataLeaderPerEpoch::new(),
            &[
                leader_started(1, 100, "t", 0, 3, 0),
                leader_started(2, 250, "t", 0, 3, 0),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::TwoDataLeadersInEpoch {
                at: Duration::from_millis(250),
                topic: "t".to_string(),
                partition: 0,
                leader_epoch: 3,
                first: 1,
                first_at: Duration::from_millis(100),
                second: 2,
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
        assert_eq!(
            violations[0].to_string(),
            "at 0.250s: brokers 1 and 2 both started leading t-0 in leader epoch 3 (broker 1 at \
             0.100s): expected one leader per leader epoch"
        );
    }

    #[test]
    fn a_broker_leading_again_in_an_old_or_the_same_epoch_is_a_violation() {
        let violations = run(
            &mut DataLeaderPerEpoch::new(),
            &[
                leader_started(1, 100, "t", 0, 5, 0),
                leader_started(1, 200, "t", 0, 5, 0),
                leader_started(1, 300, "t", 0, 4, 0),
            ],
        );
        assert_eq!(
            violations,
            vec![
                Violation::DataLeaderEpochNotIncreasing {
                    at: Duration::from_millis(200),
                    broker: 1,
                    topic: "t".to_string(),
                    partition: 0,
                    leader_epoch: 5,
                    previous: 5,
                },
                Violation::DataLeaderEpochNotIncreasing {
                    at: Duration::from_millis(300),
                    broker: 1,
                    topic: "t".to_string(),
                    partition: 0,
                    leader_epoch: 4,
                    previous: 5,
                },
            ]
        );
        assert_eq!(
            violations[1].to_string(),
            "at 0.300s: broker 1 started leading t-0 in leader epoch 4, not above the leader \
             epoch 5 it had led in before: expected its leader epochs to increase"
        );
    }
}
