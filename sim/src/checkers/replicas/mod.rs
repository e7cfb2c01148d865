//! Checkers of the data plane: what the brokers' partition replicas report about their logs,
//! their leadership and their high watermarks (Kafka's replication protocol with leader
//! epochs, KIP-101, and no unclean leader election).
//!
//! Every offset below a high watermark a leader announced is committed. The checkers hold the
//! brokers to what that promises: committed batches are the same on every replica, a leader's
//! high watermark only moves forward within its epoch and never past its own log, one broker
//! leads a partition per leader epoch, and a new leader holds every committed offset.

use std::fmt;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use serde::Serialize;

pub mod committed_prefix_agreement;
pub mod data_leader_per_epoch;
pub mod high_watermark_monotonic;
mod log_ends;
pub mod new_leader_has_committed_data;
mod replica_batches;

#[cfg(test)]
mod committed_prefix_agreement_tests;
#[cfg(test)]
pub(crate) mod test_support;

pub use committed_prefix_agreement::CommittedPrefixAgreement;
pub use data_leader_per_epoch::DataLeaderPerEpoch;
pub use high_watermark_monotonic::HighWatermarkMonotonic;
pub use new_leader_has_committed_data::NewLeaderHasCommittedData;

use super::Checker;

/// Every checker of the data plane.
pub fn replica_checkers() -> Vec<Box<dyn Checker>> {
    vec![
        Box::new(CommittedPrefixAgreement::new()),
        Box::new(HighWatermarkMonotonic::new()),
        Box::new(DataLeaderPerEpoch::new()),
        Box::new(NewLeaderHasCommittedData::new()),
    ]
}

/// One batch of a replica's log, as `BatchAppended` reported it: two replicas hold the same
/// batch when all four fields agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplicaBatch {
    pub base_offset: u64,
    pub last_offset: u64,
    pub leader_epoch: u64,
    pub checksum: u32,
}

impl fmt::Display for ReplicaBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch at offsets {} to {} (leader epoch {}, checksum {:#010x})",
            self.base_offset, self.last_offset, self.leader_epoch, self.checksum
        )
    }
}

/// A batch as it was committed: the announcing leader's copy, the first time a high
/// watermark covered all of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CommittedBatch {
    pub batch: ReplicaBatch,
    /// The leader whose high watermark committed it.
    pub by: BrokerId,
    /// That leader's epoch.
    pub leader_epoch: u64,
    /// The high watermark it announced.
    pub high_watermark: u64,
    /// When it announced it.
    pub at: Duration,
}

impl fmt::Display for CommittedBatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, committed by broker {}'s high watermark {} in leader epoch {} at {:.3}s",
            self.batch,
            self.by,
            self.high_watermark,
            self.leader_epoch,
            self.at.as_secs_f64()
        )
    }
}

/// How a replica's batch at committed offsets that differs from the committed one showed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DivergenceSeen {
    /// The replica appended it over committed offsets.
    Appended,
    /// The replica held it when the batch at those offsets was committed.
    HeldWhenCommitted,
    /// The replica held it (from an older leader epoch than the committing leader's, so a
    /// stale uncommitted tail so far) below `later`, a batch of the committing leader's epoch
    /// or newer: it followed that leader or a newer one without truncating its divergent tail
    /// first.
    KeptBelow { later: ReplicaBatch },
    /// The replica started leading in `leader_epoch` while holding it.
    StartedLeading { leader_epoch: u64 },
    /// The replica, leading in `leader_epoch`, announced `high_watermark` over it.
    AnnouncedHighWatermark { leader_epoch: u64, high_watermark: u64 },
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::checkers::{checker_names, checkers_named};

    #[test]
    fn the_replica_checkers_are_four_distinct_ones_that_scenarios_can_name() {
        let names: BTreeSet<&str> = replica_checkers().iter().map(|checker| checker.name()).collect();
        let expected: BTreeSet<&str> = [
            committed_prefix_agreement::NAME,
            high_watermark_monotonic::NAME,
            data_leader_per_epoch::NAME,
            new_leader_has_committed_data::NAME,
        ]
        .into_iter()
        .collect();
        assert_eq!(names, expected);
        let all = checker_names();
        assert!(expected.iter().all(|name| all.contains(name)), "{all:?}");
        let tier = korasim_core::tier::TierParams::default();
        let chosen = checkers_named(
            &["high-watermark-monotonic".to_string()],
            BTreeMap::new(),
            &tier,
            2,
        );
        assert_eq!(
            chosen.iter().map(|checker| checker.name()).collect::<Vec<_>>(),
            ["high-watermark-monotonic"]
        );
        assert_eq!(
            checkers_named(&["all".to_string()], BTreeMap::new(), &tier, 2).len(),
            all.len()
        );
    }
}
