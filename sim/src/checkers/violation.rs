//! What a checker found wrong, with enough detail for an operator to find it in the trace:
//! when it was seen (simulated time), and the terms, nodes, brokers, epochs, partitions and
//! log offsets involved.

use std::fmt;
use std::time::Duration;

use korasim_core::metadata::{BrokerId, MetadataRecord};
use serde::Serialize;

use super::{
    broker_epochs, fenced_broker_leads_nothing, leader_epoch_monotonic, metadata_log_agreement,
    replica_placement, single_active_controller,
};

/// A broken invariant. Every variant says when (`at`, simulated time since the run started)
/// the checker saw the entry that broke it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Violation {
    /// Two different controllers reported becoming active in the same Raft term.
    TwoActiveControllersInTerm {
        at: Duration,
        term: u64,
        first: String,
        second: String,
    },
    /// The metadata log registered a broker with an epoch not above one it registered before.
    RegisteredEpochNotIncreasing {
        at: Duration,
        offset: u64,
        broker: BrokerId,
        epoch: u64,
        previous: u64,
    },
    /// A broker reported a registration epoch not above one it had reported before.
    ReportedEpochNotIncreasing {
        at: Duration,
        broker: BrokerId,
        epoch: u64,
        previous: u64,
    },
    /// A broker reported a registration epoch older than the newest one the log gave it.
    ReportedEpochSuperseded {
        at: Duration,
        broker: BrokerId,
        epoch: u64,
        newest_in_log: u64,
    },
    /// After the batch at `offset`, a partition was led by a fenced broker.
    FencedBrokerLeads {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        broker: BrokerId,
    },
    /// After the batch at `offset`, a partition was led by a broker the log never registered.
    UnregisteredBrokerLeads {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        broker: BrokerId,
    },
    /// A partition's leader epoch went down.
    LeaderEpochDecreased {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        epoch: u64,
        previous: u64,
    },
    /// A partition had two different leaders under the same leader epoch (`None`: no leader).
    TwoLeadersInLeaderEpoch {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        first: Option<BrokerId>,
        second: Option<BrokerId>,
    },
    /// Two or more replicas of a partition were placed in one availability zone.
    ReplicasShareZone {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        zone: String,
        brokers: Vec<BrokerId>,
    },
    /// A replica was placed on a broker the world's topology does not know.
    ReplicaOnUnknownBroker {
        at: Duration,
        offset: u64,
        topic: String,
        partition: u32,
        broker: BrokerId,
    },
    /// Two controllers (or one, before and after a restart) applied different records at the
    /// same log offset.
    LogDivergence {
        at: Duration,
        offset: u64,
        first_node: String,
        first_records: Vec<MetadataRecord>,
        node: String,
        records: Vec<MetadataRecord>,
    },
    /// One controller applied the batch at `offset` while another rejected it.
    VerdictDisagreement {
        at: Duration,
        offset: u64,
        applied_by: String,
        rejected_by: String,
        reason: String,
    },
}

impl Violation {
    /// The name of the checker that reports this kind of violation.
    pub fn checker(&self) -> &'static str {
        match self {
            Violation::TwoActiveControllersInTerm { .. } => single_active_controller::NAME,
            Violation::RegisteredEpochNotIncreasing { .. }
            | Violation::ReportedEpochNotIncreasing { .. }
            | Violation::ReportedEpochSuperseded { .. } => broker_epochs::NAME,
            Violation::FencedBrokerLeads { .. } | Violation::UnregisteredBrokerLeads { .. } => {
                fenced_broker_leads_nothing::NAME
            }
            Violation::LeaderEpochDecreased { .. } | Violation::TwoLeadersInLeaderEpoch { .. } => {
                leader_epoch_monotonic::NAME
            }
            Violation::ReplicasShareZone { .. } | Violation::ReplicaOnUnknownBroker { .. } => {
                replica_placement::NAME
            }
            Violation::LogDivergence { .. } | Violation::VerdictDisagreement { .. } => {
                metadata_log_agreement::NAME
            }
        }
    }

    /// When the checker saw it (simulated time since the run started).
    pub fn at(&self) -> Duration {
        match self {
            Violation::TwoActiveControllersInTerm { at, .. }
            | Violation::RegisteredEpochNotIncreasing { at, .. }
            | Violation::ReportedEpochNotIncreasing { at, .. }
            | Violation::ReportedEpochSuperseded { at, .. }
            | Violation::FencedBrokerLeads { at, .. }
            | Violation::UnregisteredBrokerLeads { at, .. }
            | Violation::LeaderEpochDecreased { at, .. }
            | Violation::TwoLeadersInLeaderEpoch { at, .. }
            | Violation::ReplicasShareZone { at, .. }
            | Violation::ReplicaOnUnknownBroker { at, .. }
            | Violation::LogDivergence { at, .. }
            | Violation::VerdictDisagreement { at, .. } => *at,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {:.3}s: ", self.at().as_secs_f64())?;
        match self {
            Violation::TwoActiveControllersInTerm {
                term, first, second, ..
            } => write!(
                f,
                "controllers {first} and {second} were both active in term {term}"
            ),
            Violation::RegisteredEpochNotIncreasing {
                offset,
                broker,
                epoch,
                previous,
                ..
            } => write!(
                f,
                "the metadata log registered broker {broker} with epoch {epoch} at offset \
                 {offset}, not above its earlier epoch {previous}"
            ),
            Violation::ReportedEpochNotIncreasing {
                broker,
                epoch,
                previous,
                ..
            } => write!(
                f,
                "broker {broker} reported registering with epoch {epoch}, not above the epoch \
                 {previous} it had reported before"
            ),
            Violation::ReportedEpochSuperseded {
                broker,
                epoch,
                newest_in_log,
                ..
            } => write!(
                f,
                "broker {broker} reported registering with epoch {epoch}, but the metadata log \
                 had already registered it with the newer epoch {newest_in_log}"
            ),
            Violation::FencedBrokerLeads {
                offset,
                topic,
                partition,
                broker,
                ..
            } => write!(
                f,
                "after the metadata batch at offset {offset}, partition {topic}-{partition} was \
                 led by broker {broker}, which was fenced"
            ),
            Violation::UnregisteredBrokerLeads {
                offset,
                topic,
                partition,
                broker,
                ..
            } => write!(
                f,
                "after the metadata batch at offset {offset}, partition {topic}-{partition} was \
                 led by broker {broker}, which the metadata log never registered"
            ),
            Violation::LeaderEpochDecreased {
                offset,
                topic,
                partition,
                epoch,
                previous,
                ..
            } => write!(
                f,
                "at offset {offset}, the leader epoch of partition {topic}-{partition} went down \
                 from {previous} to {epoch}"
            ),
            Violation::TwoLeadersInLeaderEpoch {
                offset,
                topic,
                partition,
                leader_epoch,
                first,
                second,
                ..
            } => write!(
                f,
                "at offset {offset}, partition {topic}-{partition} had {} and then {} in the same \
                 leader epoch {leader_epoch}",
                describe_leader(*first),
                describe_leader(*second)
            ),
            Violation::ReplicasShareZone {
                offset,
                topic,
                partition,
                zone,
                brokers,
                ..
            } => write!(
                f,
                "at offset {offset}, partition {topic}-{partition} placed replicas on brokers \
                 {brokers:?}, all in zone {zone}"
            ),
            Violation::ReplicaOnUnknownBroker {
                offset,
                topic,
                partition,
                broker,
                ..
            } => write!(
                f,
                "at offset {offset}, partition {topic}-{partition} placed a replica on broker \
                 {broker}, which is not in the world's topology"
            ),
            Violation::LogDivergence {
                offset,
                first_node,
                first_records,
                node,
                records,
                ..
            } => write!(
                f,
                "the metadata log diverged at offset {offset}: {first_node} applied [{}] but \
                 {node} applied [{}]",
                describe_records(first_records),
                describe_records(records)
            ),
            Violation::VerdictDisagreement {
                offset,
                applied_by,
                rejected_by,
                reason,
                ..
            } => write!(
                f,
                "controllers disagreed on the metadata batch at offset {offset}: {applied_by} \
                 applied it but {rejected_by} rejected it ({reason})"
            ),
        }
    }
}

fn describe_leader(leader: Option<BrokerId>) -> String {
    match leader {
        Some(broker) => format!("leader broker {broker}"),
        None => "no leader".to_string(),
    }
}

fn describe_records(records: &[MetadataRecord]) -> String {
    records
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    use super::*;
    use crate::checkers::metadata_checkers;
    use crate::checkers::test_support::register;

    #[test]
    fn the_metadata_checkers_are_six_distinct_ones() {
        let names: BTreeSet<&str> = metadata_checkers(BTreeMap::new())
            .iter()
            .map(|checker| checker.name())
            .collect();
        let expected: BTreeSet<&str> = [
            single_active_controller::NAME,
            broker_epochs::NAME,
            fenced_broker_leads_nothing::NAME,
            leader_epoch_monotonic::NAME,
            replica_placement::NAME,
            metadata_log_agreement::NAME,
        ]
        .into_iter()
        .collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn violations_read_as_sentences_and_serialize() {
        let divergence = Violation::LogDivergence {
            at: Duration::from_millis(1_500),
            offset: 42,
            first_node: "controller-1".to_string(),
            first_records: vec![register(1, 3)],
            node: "controller-2".to_string(),
            records: vec![],
        };
        assert_eq!(
            divergence.to_string(),
            "at 1.500s: the metadata log diverged at offset 42: controller-1 applied \
             [register broker 1 epoch 3 in zone-1] but controller-2 applied []"
        );
        let fenced = Violation::FencedBrokerLeads {
            at: Duration::from_millis(2_000),
            offset: 7,
            topic: "orders".to_string(),
            partition: 3,
            broker: 2,
        };
        assert_eq!(
            fenced.to_string(),
            "at 2.000s: after the metadata batch at offset 7, partition orders-3 was led by \
             broker 2, which was fenced"
        );
        let json = serde_json::to_string(&fenced).expect("violations serialize");
        assert!(json.contains("FencedBrokerLeads"), "{json}");
    }
}
