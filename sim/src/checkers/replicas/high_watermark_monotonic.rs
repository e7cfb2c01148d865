//! A leader's high watermark only moves forward within its leader epoch, and never past its
//! own log.
//!
//! Everything below a high watermark is committed: consumers may read it, producers waiting
//! for `acks=all` have been told it is safe. A leader taking its high watermark back would
//! take back that promise; one announcing a high watermark above its own log end would
//! promise offsets it does not even hold. A new leader (a new leader epoch) may start lower
//! than the last one and catch up, as in Kafka, so the comparison is within one epoch.

use std::collections::BTreeMap;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use super::log_ends::LogEnds;
use crate::checkers::partition_map::PartitionMap;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "high-watermark-monotonic";

/// The highest high watermark each leader announced in each of its epochs, and every
/// replica's log end.
#[derive(Debug, Default)]
pub struct HighWatermarkMonotonic {
    highest: PartitionMap<BTreeMap<(u64, BrokerId), u64>>,
    log_ends: LogEnds,
}

impl HighWatermarkMonotonic {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for HighWatermarkMonotonic {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(event) = &entry.kind else {
            return Vec::new();
        };
        self.log_ends.observe(event);
        let Event::HighWatermarkAdvanced {
            broker,
            topic,
            partition,
            leader_epoch,
            high_watermark,
        } = event
        else {
            return Vec::new();
        };
        let mut violations = Vec::new();
        let highest = self
            .highest
            .entry(topic, *partition)
            .entry((*leader_epoch, *broker))
            .or_insert(*high_watermark);
        if *high_watermark < *highest {
            violations.push(Violation::HighWatermarkDecreased {
                at: entry.at,
                broker: *broker,
                topic: topic.clone(),
                partition: *partition,
                leader_epoch: *leader_epoch,
                high_watermark: *high_watermark,
                previous: *highest,
            });
        }
        *highest = (*highest).max(*high_watermark);
        if let Some(log_end_offset) = self
            .log_ends
            .get(topic, *partition, *broker)
            .filter(|log_end| high_watermark > log_end)
        {
            violations.push(Violation::HighWatermarkAboveLogEnd {
                at: entry.at,
                broker: *broker,
                topic: topic.clone(),
                partition: *partition,
                leader_epoch: *leader_epoch,
                high_watermark: *high_watermark,
                log_end_offset,
            });
        }
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
    fn a_high_watermark_rising_within_each_epoch_is_fine() {
        let violations = run(
            &mut HighWatermarkMonotonic::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                appended(1, 110, "t", 0, (0, 9), 1, 0xa),
                hw(1, 120, "t", 0, 1, 5),
                hw(1, 130, "t", 0, 1, 10),
                // The same high watermark again is no step back.
                hw(1, 140, "t", 0, 1, 10),
                // Broker 2 takes over in epoch 2 with all ten offsets but learns the high
                // watermark only as its followers fetch: it starts lower and catches up.
                follower_started(2, 100, "t", 0, 1, 1, 0),
                appended(2, 115, "t", 0, (0, 9), 1, 0xa),
                leader_started(2, 200, "t", 0, 2, 10),
                hw(2, 210, "t", 0, 2, 4),
                appended(2, 220, "t", 0, (10, 14), 2, 0xb),
                hw(2, 230, "t", 0, 2, 15),
                // Another partition has its own high watermark.
                leader_started(3, 300, "t", 1, 1, 0),
                appended(3, 310, "t", 1, (0, 0), 1, 0xc),
                hw(3, 320, "t", 1, 1, 1),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn a_high_watermark_going_back_within_an_epoch_is_a_violation() {
        let violations = run(
            &mut HighWatermarkMonotonic::new(),
            &[
                leader_started(1, 100, "t", 0, 3, 0),
                appended(1, 110, "t", 0, (0, 9), 3, 0xa),
                hw(1, 120, "t", 0, 3, 10),
                hw(1, 130, "t", 0, 3, 7),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::HighWatermarkDecreased {
                at: Duration::from_millis(130),
                broker: 1,
                topic: "t".to_string(),
                partition: 0,
                leader_epoch: 3,
                high_watermark: 7,
                previous: 10,
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
        assert_eq!(
            violations[0].to_string(),
            "at 0.130s: broker 1, leading t-0 in leader epoch 3, announced high watermark 7 \
             after having announced 10 in that epoch: expected a high watermark that never goes \
             down within a leader epoch"
        );
    }

    #[test]
    fn a_high_watermark_above_the_leaders_log_end_is_a_violation() {
        let violations = run(
            &mut HighWatermarkMonotonic::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                appended(1, 110, "t", 0, (0, 9), 1, 0xa),
                hw(1, 120, "t", 0, 1, 12),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::HighWatermarkAboveLogEnd {
                at: Duration::from_millis(120),
                broker: 1,
                topic: "t".to_string(),
                partition: 0,
                leader_epoch: 1,
                high_watermark: 12,
                log_end_offset: 10,
            }]
        );
        assert_eq!(
            violations[0].to_string(),
            "at 0.120s: broker 1, leading t-0 in leader epoch 1, announced high watermark 12, \
             but its own log ends at offset 10: expected a high watermark at most its log end \
             offset"
        );
    }

    #[test]
    fn a_restarted_leader_with_a_shorter_log_cannot_announce_the_old_high_watermark() {
        let violations = run(
            &mut HighWatermarkMonotonic::new(),
            &[
                leader_started(1, 100, "t", 0, 1, 0),
                appended(1, 110, "t", 0, (0, 9), 1, 0xa),
                hw(1, 120, "t", 0, 1, 10),
                // A crash lost the unflushed offsets 5..9.
                opened(1, 200, "t", 0, 0, 5),
                leader_started(1, 210, "t", 0, 2, 5),
                hw(1, 220, "t", 0, 2, 10),
            ],
        );
        assert!(matches!(
            violations.as_slice(),
            [Violation::HighWatermarkAboveLogEnd {
                leader_epoch: 2,
                high_watermark: 10,
                log_end_offset: 5,
                ..
            }]
        ));
    }
}
