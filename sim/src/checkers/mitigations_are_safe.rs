//! The degradation detector's mitigations never make things worse, judged from the metadata
//! log alone:
//!
//! - a batch that puts a mitigation on a broker (a `BrokerMitigation` record) never takes a
//!   partition's ISR below `min.insync.replicas` and never leaves a partition that had a
//!   leader without one (KORA: "a mitigation never takes a partition's ISR below min ISR;
//!   when it cannot act safely it escalates");
//! - a demoted or ISR-ineligible broker is never elected leader of a partition while another
//!   member of its ISR is unfenced and unmarked (KORA invariant 8: a demoted broker leads
//!   nothing; only when no healthy replica can lead may a marked one).
//!
//! Who is fenced and who is marked is replayed from the same log, not asked of anyone.

use std::collections::{BTreeMap, BTreeSet};

use korasim_core::metadata::{BrokerId, MetadataRecord, Mitigation, PartitionState};

use super::log_replay::LogReplay;
use super::{Checker, Violation};
use crate::trace::TraceEntry;

pub const NAME: &str = "mitigations-are-safe";

#[derive(Debug)]
pub struct MitigationsAreSafe {
    min_insync_replicas: usize,
    log: LogReplay,
    partitions: BTreeMap<(String, u32), PartitionState>,
    fenced: BTreeMap<BrokerId, bool>,
    marks: BTreeMap<BrokerId, BTreeSet<Mitigation>>,
}

impl MitigationsAreSafe {
    pub fn new(min_insync_replicas: usize) -> Self {
        MitigationsAreSafe {
            min_insync_replicas,
            log: LogReplay::default(),
            partitions: BTreeMap::new(),
            fenced: BTreeMap::new(),
            marks: BTreeMap::new(),
        }
    }

    fn healthy(&self, broker: BrokerId) -> bool {
        self.fenced.get(&broker) == Some(&false) && self.marks.get(&broker).is_none_or(BTreeSet::is_empty)
    }

    /// The violations one partition change reveals; `mitigating` is the broker a mitigation
    /// in the same batch was put on, if any.
    fn judge(
        &self,
        entry: &TraceEntry,
        offset: u64,
        state: &PartitionState,
        mitigating: Option<BrokerId>,
    ) -> Vec<Violation> {
        let key = (state.topic.clone(), state.partition);
        let Some(previous) = self.partitions.get(&key) else {
            return Vec::new();
        };
        let mut violations = Vec::new();
        if let Some(broker) = mitigating {
            let shrank = state.isr.len() < previous.isr.len();
            let lost_leader = previous.leader.is_some() && state.leader.is_none();
            if (shrank && state.isr.len() < self.min_insync_replicas) || lost_leader {
                violations.push(Violation::UnsafeMitigation {
                    at: entry.at,
                    offset,
                    broker,
                    topic: state.topic.clone(),
                    partition: state.partition,
                    isr_before: previous.isr.clone(),
                    isr_after: state.isr.clone(),
                    leader_after: state.leader,
                    min_insync_replicas: self.min_insync_replicas,
                });
            }
        }
        if let Some(leader) = state.leader.filter(|leader| previous.leader != Some(*leader)) {
            let marked = self.marks.get(&leader).is_some_and(|marks| !marks.is_empty());
            let passed_over: Vec<BrokerId> = state
                .isr
                .iter()
                .copied()
                .filter(|member| *member != leader && self.healthy(*member))
                .collect();
            if marked && !passed_over.is_empty() {
                violations.push(Violation::MarkedBrokerElected {
                    at: entry.at,
                    offset,
                    broker: leader,
                    topic: state.topic.clone(),
                    partition: state.partition,
                    healthy_members: passed_over,
                });
            }
        }
        violations
    }
}

impl Checker for MitigationsAreSafe {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let Some(batch) = self.log.next_batch(entry) else {
            return Vec::new();
        };
        let mitigating = batch.records.iter().find_map(|record| match record {
            MetadataRecord::BrokerMitigation {
                broker, active: true, ..
            } => Some(*broker),
            _ => None,
        });
        // Marks apply first: the controller chooses new leaders as if they were in force.
        for record in batch.records {
            if let MetadataRecord::BrokerMitigation {
                broker,
                mitigation,
                active,
            } = record
            {
                let marks = self.marks.entry(*broker).or_default();
                if *active {
                    marks.insert(*mitigation);
                } else {
                    marks.remove(mitigation);
                }
            }
        }
        let mut violations = Vec::new();
        for record in batch.records {
            match record {
                MetadataRecord::RegisterBroker { broker, .. }
                | MetadataRecord::FenceBroker { broker, .. } => {
                    self.fenced.insert(*broker, true);
                }
                MetadataRecord::UnfenceBroker { broker, .. } => {
                    self.fenced.insert(*broker, false);
                }
                MetadataRecord::PartitionState(state) => {
                    violations.extend(self.judge(entry, batch.offset, state, mitigating));
                    self.partitions
                        .insert((state.topic.clone(), state.partition), state.clone());
                }
                MetadataRecord::CreateTopic { .. } | MetadataRecord::BrokerMitigation { .. } => {}
            }
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use korasim_core::metadata::FenceReason;
    use korasim_core::observe::Event;

    use super::*;
    use crate::trace::TraceKind;

    fn partition(
        isr: &[BrokerId],
        leader: Option<BrokerId>,
        leader_epoch: u64,
        partition_epoch: u64,
    ) -> MetadataRecord {
        MetadataRecord::PartitionState(PartitionState {
            topic: "t".to_string(),
            partition: 0,
            replicas: vec![1, 2, 3],
            isr: isr.to_vec(),
            leader,
            leader_epoch,
            partition_epoch,
            elr: Vec::new(),
        })
    }

    fn batch(offset: u64, records: Vec<MetadataRecord>) -> TraceEntry {
        TraceEntry {
            at: Duration::from_secs(offset),
            node: "controller-1".to_string(),
            kind: TraceKind::Node(Event::MetadataApplied {
                offset,
                records,
                rejected: None,
            }),
        }
    }

    fn mark(broker: BrokerId, mitigation: Mitigation) -> MetadataRecord {
        MetadataRecord::BrokerMitigation {
            broker,
            mitigation,
            active: true,
        }
    }

    /// Three unfenced brokers and one partition led by broker 1 with every replica in sync.
    fn started() -> MitigationsAreSafe {
        let mut checker = MitigationsAreSafe::new(2);
        let mut records: Vec<MetadataRecord> = (1..=3)
            .flat_map(|broker| {
                [
                    MetadataRecord::RegisterBroker {
                        broker,
                        epoch: u64::from(broker),
                        zone: format!("az-{broker}"),
                        address: "10.0.0.1:9092".parse().unwrap(),
                    },
                    MetadataRecord::UnfenceBroker {
                        broker,
                        epoch: u64::from(broker),
                    },
                ]
            })
            .collect();
        records.push(partition(&[1, 2, 3], Some(1), 0, 0));
        assert!(checker.observe(&batch(1, records)).is_empty());
        checker
    }

    #[test]
    fn a_safe_mitigation_passes() {
        let mut checker = started();
        let records = vec![
            mark(2, Mitigation::IsrIneligible),
            partition(&[1, 3], Some(1), 0, 1),
        ];
        assert!(checker.observe(&batch(2, records)).is_empty());
        let records = vec![mark(1, Mitigation::Demoted), partition(&[1, 3], Some(3), 1, 2)];
        assert!(checker.observe(&batch(3, records)).is_empty());
    }

    #[test]
    fn a_mitigation_that_takes_the_isr_below_min_isr_is_caught() {
        let mut checker = started();
        let records = vec![
            MetadataRecord::FenceBroker {
                broker: 3,
                epoch: 3,
                reason: FenceReason::SessionExpired,
            },
            partition(&[1, 2], Some(1), 0, 1),
        ];
        assert!(
            checker.observe(&batch(2, records)).is_empty(),
            "fencing is not a mitigation"
        );
        let records = vec![mark(2, Mitigation::IsrIneligible), partition(&[1], Some(1), 0, 2)];
        let violations = checker.observe(&batch(3, records));
        assert!(
            matches!(&violations[..], [Violation::UnsafeMitigation { broker: 2, .. }]),
            "{violations:?}"
        );
    }

    #[test]
    fn a_mitigation_that_leaves_a_partition_leaderless_is_caught() {
        let mut checker = started();
        let records = vec![mark(1, Mitigation::Demoted), partition(&[1, 2, 3], None, 1, 1)];
        let violations = checker.observe(&batch(2, records));
        assert!(
            matches!(&violations[..], [Violation::UnsafeMitigation { .. }]),
            "{violations:?}"
        );
    }

    #[test]
    fn electing_a_demoted_broker_over_healthy_ones_is_caught() {
        let mut checker = started();
        let records = vec![mark(2, Mitigation::Demoted), partition(&[1, 2, 3], Some(1), 0, 1)];
        assert!(checker.observe(&batch(2, records)).is_empty());
        // Broker 1 is lost and the demoted broker 2 is chosen though broker 3 is healthy.
        let records = vec![
            MetadataRecord::FenceBroker {
                broker: 1,
                epoch: 1,
                reason: FenceReason::SessionExpired,
            },
            partition(&[2, 3], Some(2), 1, 2),
        ];
        let violations = checker.observe(&batch(3, records));
        assert!(
            matches!(
                &violations[..],
                [Violation::MarkedBrokerElected { broker: 2, .. }]
            ),
            "{violations:?}"
        );
        // Had broker 3 been down too, the demoted broker would have been the only choice.
        let mut checker = started();
        checker.observe(&batch(
            2,
            vec![mark(2, Mitigation::Demoted), partition(&[1, 2, 3], Some(1), 0, 1)],
        ));
        let records = vec![
            MetadataRecord::FenceBroker {
                broker: 3,
                epoch: 3,
                reason: FenceReason::SessionExpired,
            },
            MetadataRecord::FenceBroker {
                broker: 1,
                epoch: 1,
                reason: FenceReason::SessionExpired,
            },
            partition(&[2], Some(2), 1, 2),
        ];
        assert!(checker.observe(&batch(3, records)).is_empty());
    }
}
