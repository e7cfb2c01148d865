//! What a checker found wrong, with enough detail for an operator to find it in the trace:
//! when it was seen (simulated time), and the terms, nodes, brokers, epochs, partitions and
//! log offsets involved.

use std::fmt;
use std::time::Duration;

use korasim_core::metadata::{BrokerId, MetadataRecord};
use serde::Serialize;

use super::replicas::{
    committed_prefix_agreement, data_leader_per_epoch, high_watermark_monotonic,
    new_leader_has_committed_data, CommittedBatch, DivergenceSeen, ReplicaBatch,
};
use super::tier::TierViolation;
use super::{
    broker_epochs, fenced_broker_leads_nothing, leader_epoch_monotonic, metadata_log_agreement,
    mitigations_are_safe, replica_placement, single_active_controller,
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
    /// A batch that put a mitigation on `broker` took a partition's ISR below min ISR or left
    /// it without a leader.
    UnsafeMitigation {
        at: Duration,
        offset: u64,
        broker: BrokerId,
        topic: String,
        partition: u32,
        isr_before: Vec<BrokerId>,
        isr_after: Vec<BrokerId>,
        leader_after: Option<BrokerId>,
        min_insync_replicas: usize,
    },
    /// A demoted or ISR-ineligible broker was elected leader while healthy ISR members could
    /// have led.
    MarkedBrokerElected {
        at: Duration,
        offset: u64,
        broker: BrokerId,
        topic: String,
        partition: u32,
        healthy_members: Vec<BrokerId>,
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
    /// A replica held, at offsets committed as `committed`, the different batch `found`
    /// (other offsets, epoch or bytes); `seen` says how it showed.
    CommittedBatchDiverged {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        committed: CommittedBatch,
        found: ReplicaBatch,
        seen: DivergenceSeen,
    },
    /// A leader announced a high watermark below one it had announced in the same epoch.
    HighWatermarkDecreased {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        high_watermark: u64,
        previous: u64,
    },
    /// A leader announced a high watermark above its own log end offset.
    HighWatermarkAboveLogEnd {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        high_watermark: u64,
        log_end_offset: u64,
    },
    /// Two brokers started leading a partition in the same leader epoch (`first` at
    /// `first_at`).
    TwoDataLeadersInEpoch {
        at: Duration,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        first: BrokerId,
        first_at: Duration,
        second: BrokerId,
    },
    /// A broker started leading a partition in a leader epoch not above one it had led in.
    DataLeaderEpochNotIncreasing {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        previous: u64,
    },
    /// A broker started leading with its log ending below the highest high watermark ever
    /// announced for the partition (by `announced_by` in `announced_epoch`, at
    /// `announced_at`): it misses committed offsets `log_end_offset..high_watermark`.
    NewLeaderMissesCommittedData {
        at: Duration,
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        log_end_offset: u64,
        high_watermark: u64,
        announced_by: BrokerId,
        announced_epoch: u64,
        announced_at: Duration,
    },
    /// A tiered-storage invariant broken (the tier checkers' own findings).
    Tier(TierViolation),
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
            Violation::UnsafeMitigation { .. } | Violation::MarkedBrokerElected { .. } => {
                mitigations_are_safe::NAME
            }
            Violation::LogDivergence { .. } | Violation::VerdictDisagreement { .. } => {
                metadata_log_agreement::NAME
            }
            Violation::CommittedBatchDiverged { .. } => committed_prefix_agreement::NAME,
            Violation::HighWatermarkDecreased { .. } | Violation::HighWatermarkAboveLogEnd { .. } => {
                high_watermark_monotonic::NAME
            }
            Violation::TwoDataLeadersInEpoch { .. } | Violation::DataLeaderEpochNotIncreasing { .. } => {
                data_leader_per_epoch::NAME
            }
            Violation::NewLeaderMissesCommittedData { .. } => new_leader_has_committed_data::NAME,
            Violation::Tier(violation) => violation.checker(),
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
            | Violation::UnsafeMitigation { at, .. }
            | Violation::MarkedBrokerElected { at, .. }
            | Violation::LogDivergence { at, .. }
            | Violation::VerdictDisagreement { at, .. }
            | Violation::CommittedBatchDiverged { at, .. }
            | Violation::HighWatermarkDecreased { at, .. }
            | Violation::HighWatermarkAboveLogEnd { at, .. }
            | Violation::TwoDataLeadersInEpoch { at, .. }
            | Violation::DataLeaderEpochNotIncreasing { at, .. }
            | Violation::NewLeaderMissesCommittedData { at, .. } => *at,
            Violation::Tier(violation) => violation.at(),
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
            Violation::UnsafeMitigation {
                offset,
                broker,
                topic,
                partition,
                isr_before,
                isr_after,
                leader_after,
                min_insync_replicas,
                ..
            } => write!(
                f,
                "the mitigation on broker {broker} at offset {offset} changed {topic}-{partition} \
                 from ISR {isr_before:?} to ISR {isr_after:?} with leader {leader_after:?}: below \
                 min.insync.replicas {min_insync_replicas} or leaderless (it should have been \
                 left alone and escalated)"
            ),
            Violation::MarkedBrokerElected {
                offset,
                broker,
                topic,
                partition,
                healthy_members,
                ..
            } => write!(
                f,
                "at offset {offset}, broker {broker}, under a mitigation, was elected leader of \
                 {topic}-{partition} although ISR members {healthy_members:?} were unfenced and \
                 unmarked"
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
            Violation::CommittedBatchDiverged {
                broker,
                topic,
                partition,
                committed,
                found,
                seen,
                ..
            } => {
                match seen {
                    DivergenceSeen::Appended => write!(
                        f,
                        "broker {broker} appended the {found} to {topic}-{partition}, over committed offsets"
                    ),
                    DivergenceSeen::HeldWhenCommitted => write!(
                        f,
                        "broker {broker} held the {found} in {topic}-{partition} when those offsets were \
                         committed"
                    ),
                    DivergenceSeen::KeptBelow { later } => write!(
                        f,
                        "broker {broker} still held the {found} in {topic}-{partition} below its later \
                         {later}, of the committing leader's epoch or newer (a divergent tail \
                         it should have truncated before following a newer leader)"
                    ),
                    DivergenceSeen::StartedLeading { leader_epoch } => write!(
                        f,
                        "broker {broker} started leading {topic}-{partition} in leader epoch \
                         {leader_epoch} holding the {found} at committed offsets"
                    ),
                    DivergenceSeen::AnnouncedHighWatermark {
                        leader_epoch,
                        high_watermark,
                    } => write!(
                        f,
                        "broker {broker}, leading {topic}-{partition} in leader epoch {leader_epoch}, \
                         announced high watermark {high_watermark} over the {found}"
                    ),
                }?;
                write!(f, ": expected the {committed}")
            }
            Violation::HighWatermarkDecreased {
                broker,
                topic,
                partition,
                leader_epoch,
                high_watermark,
                previous,
                ..
            } => write!(
                f,
                "broker {broker}, leading {topic}-{partition} in leader epoch {leader_epoch}, \
                 announced high watermark {high_watermark} after having announced {previous} in \
                 that epoch: expected a high watermark that never goes down within a leader epoch"
            ),
            Violation::HighWatermarkAboveLogEnd {
                broker,
                topic,
                partition,
                leader_epoch,
                high_watermark,
                log_end_offset,
                ..
            } => write!(
                f,
                "broker {broker}, leading {topic}-{partition} in leader epoch {leader_epoch}, \
                 announced high watermark {high_watermark}, but its own log ends at offset \
                 {log_end_offset}: expected a high watermark at most its log end offset"
            ),
            Violation::TwoDataLeadersInEpoch {
                topic,
                partition,
                leader_epoch,
                first,
                first_at,
                second,
                ..
            } => write!(
                f,
                "brokers {first} and {second} both started leading {topic}-{partition} in leader \
                 epoch {leader_epoch} (broker {first} at {:.3}s): expected one leader per leader \
                 epoch",
                first_at.as_secs_f64()
            ),
            Violation::DataLeaderEpochNotIncreasing {
                broker,
                topic,
                partition,
                leader_epoch,
                previous,
                ..
            } => write!(
                f,
                "broker {broker} started leading {topic}-{partition} in leader epoch \
                 {leader_epoch}, not above the leader epoch {previous} it had led in before: \
                 expected its leader epochs to increase"
            ),
            Violation::NewLeaderMissesCommittedData {
                broker,
                topic,
                partition,
                leader_epoch,
                log_end_offset,
                high_watermark,
                announced_by,
                announced_epoch,
                announced_at,
                ..
            } => write!(
                f,
                "broker {broker} started leading {topic}-{partition} in leader epoch {leader_epoch} \
                 with its log ending at offset {log_end_offset}, but broker {announced_by} had \
                 announced high watermark {high_watermark} in leader epoch {announced_epoch} at \
                 {:.3}s: expected every committed offset, missing offsets {log_end_offset} to {}",
                announced_at.as_secs_f64(),
                high_watermark - 1
            ),
            Violation::Tier(violation) => write!(f, "{violation}"),
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
