//! A fenced broker leads no partition.
//!
//! In KRaft a broker is fenced when its session expires, when it shuts down, and when it
//! registers (until it has caught up with the metadata log); a fenced broker may be dead,
//! partitioned away or behind, so it must not serve as anyone's leader. The controller moves a
//! broker's leaderships in the same batch that fences it, and batches apply atomically, so
//! after every batch that took effect each partition's leader must be a registered, unfenced
//! broker. Otherwise clients would be sent to a leader that cannot serve them, or a zombie
//! incarnation could accept writes the rest of the cluster never sees.
//!
//! The checker keeps its own minimal model of the log (each broker's registered epoch and
//! whether it is fenced; each partition's leader), built from the first report of each offset
//! only. Records inside a batch are applied in order, and the check runs once the whole batch
//! is applied, so a fence and the leader moves that go with it may come in either order.

use std::collections::{BTreeMap, BTreeSet};

use korasim_core::metadata::{BrokerId, MetadataRecord};

use super::log_replay::{LogReplay, NewBatch};
use super::{Checker, Violation};
use crate::trace::TraceEntry;

pub const NAME: &str = "fenced-broker-leads-nothing";

type PartitionKey = (String, u32);

/// The registered incarnation of a broker.
#[derive(Debug, Clone, Copy)]
struct Registration {
    epoch: u64,
    fenced: bool,
}

/// Broker fencing and partition leaders, as the metadata log says.
#[derive(Debug, Default)]
pub struct FencedBrokerLeadsNothing {
    log: LogReplay,
    brokers: BTreeMap<BrokerId, Registration>,
    leader_of: BTreeMap<PartitionKey, BrokerId>,
    /// The partitions each broker leads, so a broker's fencing only rechecks its own.
    led_by: BTreeMap<BrokerId, BTreeSet<PartitionKey>>,
}

impl FencedBrokerLeadsNothing {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies the batch; returns the partitions whose leader's standing may have changed.
    fn apply(&mut self, batch: &NewBatch<'_>) -> BTreeSet<PartitionKey> {
        let mut touched_partitions = BTreeSet::new();
        let mut touched_brokers = BTreeSet::new();
        for record in batch.records {
            match record {
                MetadataRecord::RegisterBroker { broker, epoch, .. } => {
                    // A new incarnation starts fenced.
                    self.brokers.insert(
                        *broker,
                        Registration {
                            epoch: *epoch,
                            fenced: true,
                        },
                    );
                    touched_brokers.insert(*broker);
                }
                MetadataRecord::FenceBroker { broker, .. } => {
                    // Taken at its word whatever epoch it names: erring towards "fenced" can
                    // only make the check stricter.
                    if let Some(registration) = self.brokers.get_mut(broker) {
                        registration.fenced = true;
                        touched_brokers.insert(*broker);
                    }
                }
                MetadataRecord::UnfenceBroker { broker, epoch } => {
                    // Only the registered incarnation can be unfenced; an unfence naming an old
                    // epoch says nothing about the current one.
                    if let Some(registration) = self
                        .brokers
                        .get_mut(broker)
                        .filter(|current| current.epoch == *epoch)
                    {
                        registration.fenced = false;
                        touched_brokers.insert(*broker);
                    }
                }
                // Demotion is judged by `demoted-broker-leads-nothing`.
                MetadataRecord::CreateTopic { .. } | MetadataRecord::BrokerMitigation { .. } => {}
                MetadataRecord::PartitionState(state) => {
                    let key = (state.topic.clone(), state.partition);
                    self.set_leader(&key, state.leader);
                    touched_partitions.insert(key);
                }
            }
        }
        for broker in touched_brokers {
            if let Some(partitions) = self.led_by.get(&broker) {
                touched_partitions.extend(partitions.iter().cloned());
            }
        }
        touched_partitions
    }

    fn set_leader(&mut self, key: &PartitionKey, leader: Option<BrokerId>) {
        if let Some(previous) = self.leader_of.remove(key) {
            if let Some(partitions) = self.led_by.get_mut(&previous) {
                partitions.remove(key);
            }
        }
        if let Some(leader) = leader {
            self.leader_of.insert(key.clone(), leader);
            self.led_by.entry(leader).or_default().insert(key.clone());
        }
    }

    fn judge(&self, entry: &TraceEntry, offset: u64, partitions: BTreeSet<PartitionKey>) -> Vec<Violation> {
        partitions
            .into_iter()
            .filter_map(|(topic, partition)| {
                let broker = *self.leader_of.get(&(topic.clone(), partition))?;
                match self.brokers.get(&broker) {
                    Some(registration) if !registration.fenced => None,
                    Some(_) => Some(Violation::FencedBrokerLeads {
                        at: entry.at,
                        offset,
                        topic,
                        partition,
                        broker,
                    }),
                    None => Some(Violation::UnregisteredBrokerLeads {
                        at: entry.at,
                        offset,
                        topic,
                        partition,
                        broker,
                    }),
                }
            })
            .collect()
    }
}

impl Checker for FencedBrokerLeadsNothing {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let Some(batch) = self.log.next_batch(entry) else {
            return Vec::new();
        };
        let touched = self.apply(&batch);
        self.judge(entry, batch.offset, touched)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::checkers::test_support::*;

    /// Brokers 1 and 2 registered and unfenced, topic t-0 led by broker 1.
    fn healthy_start() -> Vec<TraceEntry> {
        vec![
            applied("controller-1", 100, 1, vec![register(1, 1)]),
            applied("controller-1", 110, 2, vec![register(2, 2)]),
            applied("controller-1", 120, 3, vec![unfence(1, 1), unfence(2, 2)]),
            applied(
                "controller-1",
                130,
                4,
                vec![partition("t", 0, &[1, 2], Some(1), 0)],
            ),
        ]
    }

    #[test]
    fn leadership_moved_in_the_batch_that_fences_is_fine() {
        let mut entries = healthy_start();
        entries.extend([
            // Reported by a second controller too.
            applied(
                "controller-2",
                140,
                4,
                vec![partition("t", 0, &[1, 2], Some(1), 0)],
            ),
            // The leader moves before the fence, inside one batch.
            applied(
                "controller-1",
                200,
                5,
                vec![partition("t", 0, &[1, 2], Some(2), 1), fence(1, 1)],
            ),
            // Broker 2 is fenced too: the partition goes offline, then comes back to broker 1.
            applied(
                "controller-1",
                300,
                6,
                vec![fence(2, 2), partition("t", 0, &[1, 2], None, 2)],
            ),
            applied("controller-1", 400, 7, vec![register(1, 3)]),
            applied("controller-1", 410, 8, vec![unfence(1, 3)]),
            applied(
                "controller-1",
                420,
                9,
                vec![partition("t", 0, &[1, 2], Some(1), 3)],
            ),
        ]);
        assert_eq!(run(&mut FencedBrokerLeadsNothing::new(), &entries), vec![]);
    }

    #[test]
    fn a_restarted_controller_reapplying_old_offsets_is_fine() {
        let mut entries = healthy_start();
        entries.push(applied(
            "controller-1",
            200,
            5,
            vec![partition("t", 0, &[1, 2], Some(2), 1), fence(1, 1)],
        ));
        // controller-2 restarts and replays from offset 1. Taken as new, its offset 2 would
        // register broker 2 again, fenced, while it leads the partition.
        entries.extend(healthy_start().into_iter().map(|mut entry| {
            entry.node = "controller-2".to_string();
            entry.at += Duration::from_secs(1);
            entry
        }));
        assert_eq!(run(&mut FencedBrokerLeadsNothing::new(), &entries), vec![]);
    }

    #[test]
    fn a_rejected_batch_does_not_change_leadership() {
        let mut entries = healthy_start();
        // Would hand the partition to fenced broker 3, but the batch was a no-op.
        entries.push(applied("controller-1", 200, 5, vec![register(3, 3)]));
        entries.push(rejected(
            "controller-1",
            210,
            6,
            vec![partition("t", 0, &[1, 3], Some(3), 1)],
        ));
        assert_eq!(run(&mut FencedBrokerLeadsNothing::new(), &entries), vec![]);
    }

    #[test]
    fn fencing_a_leader_without_moving_its_partitions_is_a_violation() {
        let mut entries = healthy_start();
        entries.push(applied("controller-1", 200, 5, vec![fence(1, 1)]));
        let violations = run(&mut FencedBrokerLeadsNothing::new(), &entries);
        assert_eq!(
            violations,
            vec![Violation::FencedBrokerLeads {
                at: Duration::from_millis(200),
                offset: 5,
                topic: "t".to_string(),
                partition: 0,
                broker: 1,
            }]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn a_reregistered_broker_still_leading_is_a_violation() {
        let mut entries = healthy_start();
        // Broker 1 restarts: its new incarnation starts fenced but keeps its old leadership.
        entries.push(applied("controller-1", 200, 5, vec![register(1, 3)]));
        let violations = run(&mut FencedBrokerLeadsNothing::new(), &entries);
        assert!(matches!(
            violations.as_slice(),
            [Violation::FencedBrokerLeads {
                offset: 5,
                broker: 1,
                ..
            }]
        ));
    }

    #[test]
    fn leadership_given_to_an_unknown_broker_is_a_violation() {
        let mut entries = healthy_start();
        entries.push(applied(
            "controller-1",
            200,
            5,
            vec![partition("t", 0, &[1, 9], Some(9), 1)],
        ));
        assert_eq!(
            run(&mut FencedBrokerLeadsNothing::new(), &entries),
            vec![Violation::UnregisteredBrokerLeads {
                at: Duration::from_millis(200),
                offset: 5,
                topic: "t".to_string(),
                partition: 0,
                broker: 9,
            }]
        );
    }

    #[test]
    fn an_unfence_naming_an_old_epoch_does_not_unfence() {
        let mut entries = healthy_start();
        entries.push(applied(
            "controller-1",
            200,
            5,
            vec![partition("t", 0, &[1, 2], Some(2), 1), register(1, 3)],
        ));
        entries.push(applied(
            "controller-1",
            300,
            6,
            vec![unfence(1, 1), partition("t", 0, &[1, 2], Some(1), 2)],
        ));
        assert!(matches!(
            run(&mut FencedBrokerLeadsNothing::new(), &entries).as_slice(),
            [Violation::FencedBrokerLeads {
                offset: 6,
                broker: 1,
                ..
            }]
        ));
    }
}
