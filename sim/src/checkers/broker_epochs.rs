//! A broker's epochs only increase.
//!
//! In KRaft every registration of a broker gets a new epoch larger than any before, and the
//! epoch names that incarnation of the broker: fencing, unfencing and heartbeats carry it so
//! the controller can tell a live broker from a stale message of a previous life. If an epoch
//! were reused or went backwards, a zombie incarnation could be unfenced or keep leading
//! partitions in place of the live one.
//!
//! Two sources are judged, each against itself and the broker against the log:
//! - the metadata log: each `RegisterBroker` record that took effect (first report of each
//!   offset only, so controllers repeating or re-applying the log are not counted twice) must
//!   carry an epoch above the broker's previous registration in the log;
//! - the broker: each epoch it reports being registered with must be above the epoch it
//!   reported before, and must not be older than the newest epoch the log registered it with
//!   (the log registers before the controller answers, so the same epoch from both is normal).

use std::collections::BTreeMap;

use korasim_core::metadata::{BrokerId, MetadataRecord};
use korasim_core::observe::Event;

use super::log_replay::LogReplay;
use super::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "broker-epochs";

/// The newest epoch of each broker, as the log registered it and as the broker reported it.
#[derive(Debug, Default)]
pub struct BrokerEpochs {
    log: LogReplay,
    newest_in_log: BTreeMap<BrokerId, u64>,
    newest_reported: BTreeMap<BrokerId, u64>,
}

impl BrokerEpochs {
    pub fn new() -> Self {
        Self::default()
    }

    fn judge_log(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let Some(batch) = self.log.next_batch(entry) else {
            return Vec::new();
        };
        let mut violations = Vec::new();
        for record in batch.records {
            let MetadataRecord::RegisterBroker { broker, epoch, .. } = record else {
                continue;
            };
            // Judged against the highest epoch so far, so one step back is reported once.
            match self.newest_in_log.get(broker) {
                Some(&previous) if epoch <= &previous => {
                    violations.push(Violation::RegisteredEpochNotIncreasing {
                        at: entry.at,
                        offset: batch.offset,
                        broker: *broker,
                        epoch: *epoch,
                        previous,
                    });
                }
                _ => {
                    self.newest_in_log.insert(*broker, *epoch);
                }
            }
        }
        violations
    }

    fn judge_report(&mut self, entry: &TraceEntry, broker: BrokerId, epoch: u64) -> Vec<Violation> {
        let mut violations = Vec::new();
        match self.newest_reported.get(&broker) {
            Some(&previous) if epoch <= previous => {
                violations.push(Violation::ReportedEpochNotIncreasing {
                    at: entry.at,
                    broker,
                    epoch,
                    previous,
                });
            }
            _ => {
                self.newest_reported.insert(broker, epoch);
            }
        }
        if let Some(&newest_in_log) = self.newest_in_log.get(&broker).filter(|newest| epoch < **newest) {
            violations.push(Violation::ReportedEpochSuperseded {
                at: entry.at,
                broker,
                epoch,
                newest_in_log,
            });
        }
        violations
    }
}

impl Checker for BrokerEpochs {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        match &entry.kind {
            TraceKind::Node(Event::MetadataApplied { .. }) => self.judge_log(entry),
            TraceKind::Node(Event::BrokerRegistered { broker, epoch }) => {
                self.judge_report(entry, *broker, *epoch)
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::*;

    #[test]
    fn increasing_epochs_reported_by_every_controller_and_the_broker_are_fine() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                broker_registered(1, 110, 1),
                applied("controller-2", 120, 1, vec![register(1, 1)]),
                applied("controller-3", 130, 1, vec![register(1, 1)]),
                applied("controller-1", 200, 2, vec![register(2, 2)]),
                broker_registered(2, 210, 2),
                // Broker 1 restarts and registers again.
                applied("controller-1", 300, 3, vec![register(1, 3)]),
                applied("controller-2", 310, 3, vec![register(1, 3)]),
                broker_registered(1, 320, 3),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn a_restarted_controller_reapplying_old_registrations_is_fine() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                applied("controller-1", 200, 2, vec![register(1, 2)]),
                // controller-2 restarts and replays the log from the start.
                applied("controller-2", 300, 1, vec![register(1, 1)]),
                applied("controller-2", 310, 2, vec![register(1, 2)]),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn rejected_registrations_do_not_count() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 5)]),
                rejected("controller-1", 200, 2, vec![register(1, 4)]),
                applied("controller-1", 300, 3, vec![register(1, 6)]),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn the_log_reusing_an_epoch_is_a_violation() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 4)]),
                applied("controller-1", 200, 2, vec![register(1, 4)]),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::RegisteredEpochNotIncreasing {
                at: Duration::from_millis(200),
                offset: 2,
                broker: 1,
                epoch: 4,
                previous: 4,
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn a_broker_reporting_a_lower_epoch_than_before_is_a_violation() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[broker_registered(1, 100, 5), broker_registered(1, 200, 3)],
        );
        assert_eq!(
            violations,
            vec![Violation::ReportedEpochNotIncreasing {
                at: Duration::from_millis(200),
                broker: 1,
                epoch: 3,
                previous: 5,
            }]
        );
    }

    #[test]
    fn a_broker_told_an_epoch_the_log_has_superseded_is_a_violation() {
        let violations = run(
            &mut BrokerEpochs::new(),
            &[
                applied("controller-1", 100, 1, vec![register(1, 1)]),
                applied("controller-1", 200, 2, vec![register(1, 2)]),
                broker_registered(1, 300, 1),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::ReportedEpochSuperseded {
                at: Duration::from_millis(300),
                broker: 1,
                epoch: 1,
                newest_in_log: 2,
            }]
        );
    }
}
