//! No two replicas of a partition in one availability zone.
//!
//! Replicas are spread across zones so that losing a whole zone (power, network, a bad
//! deploy) loses at most one copy of each partition: with two copies in one zone, a zone
//! outage can take a partition offline or, with `min.insync.replicas` met by the survivors
//! alone, leave its only copies in one place. The zones are the world's topology, not what
//! brokers claim in their registrations, so a broker registering with the wrong zone cannot
//! hide a bad placement. A replica on a broker the topology does not know is reported too:
//! its zone, and so the placement, cannot be vouched for.
//!
//! Judged on the partition states of batches that took effect, first report of each offset
//! only; a placement is judged again only when a partition's replicas change, so a bad
//! placement is reported once rather than on every ISR or leader change.

use std::collections::BTreeMap;

use korasim_core::metadata::{BrokerId, MetadataRecord, PartitionState};

use super::log_replay::LogReplay;
use super::{Checker, Violation};
use crate::trace::TraceEntry;

pub const NAME: &str = "replica-placement";

/// Checks each partition's replicas against the world's zones.
#[derive(Debug)]
pub struct ReplicaPlacement {
    zone_of_broker: BTreeMap<BrokerId, String>,
    log: LogReplay,
    judged_replicas: BTreeMap<(String, u32), Vec<BrokerId>>,
}

impl ReplicaPlacement {
    /// `zone_of_broker` is the world's topology: the zone each broker node runs in.
    pub fn new(zone_of_broker: BTreeMap<BrokerId, String>) -> Self {
        ReplicaPlacement {
            zone_of_broker,
            log: LogReplay::default(),
            judged_replicas: BTreeMap::new(),
        }
    }

    fn judge(&self, entry: &TraceEntry, offset: u64, state: &PartitionState) -> Vec<Violation> {
        let mut violations = Vec::new();
        let mut brokers_in_zone: BTreeMap<&str, Vec<BrokerId>> = BTreeMap::new();
        for &broker in &state.replicas {
            match self.zone_of_broker.get(&broker) {
                Some(zone) => brokers_in_zone.entry(zone).or_default().push(broker),
                None => violations.push(Violation::ReplicaOnUnknownBroker {
                    at: entry.at,
                    offset,
                    topic: state.topic.clone(),
                    partition: state.partition,
                    broker,
                }),
            }
        }
        for (zone, brokers) in brokers_in_zone {
            if brokers.len() > 1 {
                violations.push(Violation::ReplicasShareZone {
                    at: entry.at,
                    offset,
                    topic: state.topic.clone(),
                    partition: state.partition,
                    zone: zone.to_string(),
                    brokers,
                });
            }
        }
        violations
    }
}

impl Checker for ReplicaPlacement {
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
            let key = (state.topic.clone(), state.partition);
            if self.judged_replicas.get(&key) == Some(&state.replicas) {
                continue;
            }
            violations.extend(self.judge(entry, batch.offset, state));
            self.judged_replicas.insert(key, state.replicas.clone());
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::*;

    /// Brokers 1 and 4 in zone a, 2 in zone b, 3 in zone c.
    fn topology() -> BTreeMap<BrokerId, String> {
        [(1, "a"), (2, "b"), (3, "c"), (4, "a")]
            .into_iter()
            .map(|(broker, zone)| (broker, zone.to_string()))
            .collect()
    }

    #[test]
    fn replicas_in_distinct_zones_are_fine() {
        let violations = run(
            &mut ReplicaPlacement::new(topology()),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2, 3], Some(1), 0)],
                ),
                applied(
                    "controller-2",
                    110,
                    1,
                    vec![partition("t", 0, &[1, 2, 3], Some(1), 0)],
                ),
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 1, &[4, 2, 3], Some(4), 0)],
                ),
                // A badly placed partition in a rejected batch never took effect.
                rejected(
                    "controller-1",
                    300,
                    3,
                    vec![partition("t", 2, &[1, 4], Some(1), 0)],
                ),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn two_replicas_in_one_zone_is_a_violation_reported_once() {
        let violations = run(
            &mut ReplicaPlacement::new(topology()),
            &[
                applied(
                    "controller-1",
                    100,
                    1,
                    vec![partition("t", 0, &[1, 2, 4], Some(1), 0)],
                ),
                // The same placement again (a leader change) is not reported twice.
                applied(
                    "controller-1",
                    200,
                    2,
                    vec![partition("t", 0, &[1, 2, 4], Some(2), 1)],
                ),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::ReplicasShareZone {
                at: Duration::from_millis(100),
                offset: 1,
                topic: "t".to_string(),
                partition: 0,
                zone: "a".to_string(),
                brokers: vec![1, 4],
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn a_replica_on_a_broker_outside_the_topology_is_a_violation() {
        let violations = run(
            &mut ReplicaPlacement::new(topology()),
            &[applied(
                "controller-1",
                100,
                1,
                vec![partition("t", 0, &[1, 9], Some(1), 0)],
            )],
        );
        assert_eq!(
            violations,
            vec![Violation::ReplicaOnUnknownBroker {
                at: Duration::from_millis(100),
                offset: 1,
                topic: "t".to_string(),
                partition: 0,
                broker: 9,
            }]
        );
    }
}
