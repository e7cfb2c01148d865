//! A broker that starts leading a partition holds every committed offset.
//!
//! With unclean leader election off, the controller only elects a replica from the ISR, and
//! an ISR member has every offset below any high watermark a leader announced (the leader
//! counts it in before moving its high watermark). So when a broker reports `LeaderStarted`,
//! its log must end at or above the highest high watermark ever announced for the partition;
//! ending below means committed offsets are lost. (The simulation's fault budgets keep out
//! crashes of every replica at once, the one way a clean election could still lose them.)

use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use crate::checkers::partition_map::PartitionMap;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "new-leader-has-committed-data";

/// The highest high watermark announced for every partition, with who announced it, when.
#[derive(Debug, Default)]
pub struct NewLeaderHasCommittedData {
    highest: PartitionMap<Option<Announcement>>,
}

#[derive(Debug, Clone, Copy)]
struct Announcement {
    high_watermark: u64,
    by: BrokerId,
    leader_epoch: u64,
    at: Duration,
}

impl NewLeaderHasCommittedData {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for NewLeaderHasCommittedData {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(event) = &entry.kind else {
            return Vec::new();
        };
        match event {
            Event::HighWatermarkAdvanced {
                broker,
                topic,
                partition,
                leader_epoch,
                high_watermark,
            } => {
                let highest = self.highest.entry(topic, *partition);
                if highest.is_none_or(|highest| *high_watermark > highest.high_watermark) {
                    *highest = Some(Announcement {
                        high_watermark: *high_watermark,
                        by: *broker,
                        leader_epoch: *leader_epoch,
                        at: entry.at,
                    });
                }
                Vec::new()
            }
            Event::LeaderStarted {
                broker,
                topic,
                partition,
                leader_epoch,
                log_end_offset,
            } => match *self.highest.entry(topic, *partition) {
                Some(highest) if *log_end_offset < highest.high_watermark => {
                    vec![Violation::NewLeaderMissesCommittedData {
                        at: entry.at,
                        broker: *broker,
                        topic: topic.clone(),
                        partition: *partition,
                        leader_epoch: *leader_epoch,
                        log_end_offset: *log_end_offset,
                        high_watermark: highest.high_watermark,
                        announced_by: highest.by,
                        announced_epoch: highest.leader_epoch,
                        announced_at: highest.at,
                    }]
                }
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::replicas::test_support::*;
    use crate::checkers::test_support::run;

    #[test]
    fn new_leaders_holding_every_committed_offset_are_fine() {
        let violations = run(
            &mut NewLeaderHasCommittedData::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                appended(1, 110, "t", 0, (0, 9), 1, 0xa),
                appended(1, 115, "t", 0, (10, 14), 1, 0xb),
                hw(1, 120, "t", 0, 1, 10),
                // Broker 2 has the committed offsets, not the uncommitted tail 10..14.
                leader_started(2, 200, "t", 0, 2, 10),
                // Its own high watermark starts lower; the highest one announced still counts.
                hw(2, 210, "t", 0, 2, 3),
                leader_started(3, 300, "t", 0, 3, 12),
                // Other partitions have nothing committed yet.
                leader_started(3, 400, "t", 1, 1, 0),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn a_new_leader_missing_committed_offsets_is_a_violation() {
        let violations = run(
            &mut NewLeaderHasCommittedData::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                appended(1, 110, "t", 0, (0, 9), 1, 0xa),
                hw(1, 120, "t", 0, 1, 6),
                hw(1, 130, "t", 0, 1, 10),
                // Broker 2 lost offsets 7..9 (say, an unflushed tail in a crash) and is elected.
                leader_started(2, 200, "t", 0, 2, 7),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::NewLeaderMissesCommittedData {
                at: Duration::from_millis(200),
                broker: 2,
                topic: "t".to_string(),
                partition: 0,
                leader_epoch: 2,
                log_end_offset: 7,
                high_watermark: 10,
                announced_by: 1,
                announced_epoch: 1,
                announced_at: Duration::from_millis(130),
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
        assert_eq!(
            violations[0].to_string(),
            "at 0.200s: broker 2 started leading t-0 in leader epoch 2 with its log ending at \
             offset 7, but broker 1 had announced high watermark 10 in leader epoch 1 at 0.130s: \
             expected every committed offset, missing offsets 7 to 9"
        );
    }
}
