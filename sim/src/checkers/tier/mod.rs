//! Checkers of tiered storage (KORA.md invariant 7): every offset is served by exactly one
//! tier with identical bytes; local data is deleted only after copy-finished is committed;
//! every referenced object exists; no unreferenced object outlives a grace period.
//!
//! They judge from the trace alone: the tier-metadata records every broker reports
//! materialising (`TierRecordMaterialized`, with its verdict), the high watermarks of the
//! tier-metadata partitions and of the data partitions, the batches replicas append (with
//! their checksums), the local segments brokers delete, and the object store's own events,
//! from which the bucket's contents are rebuilt. None of them asks a broker or consults the
//! brokers' tier state.
//!
//! - `tier_log.rs`: the tier-metadata log in offset order, each record with the first
//!   broker's verdict; `remote_log.rs`: the remote tier those records make, worked out here;
//!   `bucket.rs`: the bucket; `batches.rs`: the committed batches of each partition.
//!
//! A run without tiering reports none of these events, and these checkers then find nothing.

use korasim_core::tier::TierParams;

mod batches;
mod bucket;
pub mod local_deleted_after_tiered;
pub mod no_orphan_objects;
pub mod referenced_objects_exist;
mod remote_log;
pub mod remote_tier_consistent;
mod tier_log;
pub mod tier_metadata_agreement;
mod violation;

#[cfg(test)]
mod test_support;

pub use local_deleted_after_tiered::LocalDeletedAfterTiered;
pub use no_orphan_objects::NoOrphanObjects;
pub use referenced_objects_exist::ReferencedObjectsExist;
pub use remote_tier_consistent::RemoteTierConsistent;
pub use tier_metadata_agreement::TierMetadataAgreement;
pub use violation::{BatchSeen, BytesMismatch, MissingSeen, RecordAt, TierViolation};

use super::Checker;

/// Every checker of tiered storage; `params` are the brokers' tier parameters (the orphan
/// collector's grace and interval bound how long an orphan may stay).
pub fn tier_checkers(params: &TierParams) -> Vec<Box<dyn Checker>> {
    vec![
        Box::new(TierMetadataAgreement::new()),
        Box::new(RemoteTierConsistent::new()),
        Box::new(LocalDeletedAfterTiered::new()),
        Box::new(ReferencedObjectsExist::new()),
        Box::new(NoOrphanObjects::new(NoOrphanObjects::grace_for(params))),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    use super::*;
    use crate::checkers::{checker_names, checkers_named, Violation};

    #[test]
    fn the_tier_checkers_are_five_distinct_ones_that_scenarios_can_name() {
        let names: BTreeSet<&str> = tier_checkers(&TierParams::default())
            .iter()
            .map(|checker| checker.name())
            .collect();
        let expected: BTreeSet<&str> = [
            tier_metadata_agreement::NAME,
            remote_tier_consistent::NAME,
            local_deleted_after_tiered::NAME,
            referenced_objects_exist::NAME,
            no_orphan_objects::NAME,
        ]
        .into_iter()
        .collect();
        assert_eq!(names, expected);
        let all = checker_names();
        assert!(expected.iter().all(|name| all.contains(name)), "{all:?}");
        let chosen = checkers_named(
            &["no-orphan-objects".to_string()],
            BTreeMap::new(),
            &TierParams::default(),
            2,
        );
        assert_eq!(
            chosen.iter().map(|checker| checker.name()).collect::<Vec<_>>(),
            ["no-orphan-objects"]
        );
    }

    #[test]
    fn tier_violations_read_as_sentences_and_serialize() {
        let violation = Violation::Tier(TierViolation::LocalDeletedBeforeTiered {
            at: Duration::from_millis(1_500),
            broker: 2,
            topic: "orders".to_string(),
            partition: 3,
            segment: (100, 199),
            first_uncovered: 150,
            tier_partition: Some(1),
            tier_high_watermark: Some(42),
        });
        assert_eq!(violation.checker(), local_deleted_after_tiered::NAME);
        assert_eq!(violation.at(), Duration::from_millis(1_500));
        assert_eq!(
            violation.to_string(),
            "at 1.500s: broker 2 deleted its local segment of orders-3 holding offsets 100 to \
             199, but offset 150 was in no remote segment whose CopyFinished was committed \
             (below the high watermark 42 of __tier_metadata-1 then)"
        );
        let json = serde_json::to_string(&violation).expect("violations serialize");
        assert!(json.contains("LocalDeletedBeforeTiered"), "{json}");
    }
}
