//! Checkers: one invariant each, judged only from the trace (what nodes reported and what the
//! world did), never by asking a component whether it was right.

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::tier::TierParams;

use crate::trace::TraceEntry;

pub mod broker_epochs;
pub mod fenced_broker_leads_nothing;
pub mod leader_epoch_monotonic;
pub(crate) mod log_replay;
pub mod metadata_log_agreement;
pub mod mitigations_are_safe;
pub(crate) mod partition_map;
pub mod replica_placement;
pub mod replicas;
pub mod single_active_controller;
#[cfg(test)]
pub(crate) mod test_support;
pub mod tier;
mod violation;

pub use broker_epochs::BrokerEpochs;
pub use fenced_broker_leads_nothing::FencedBrokerLeadsNothing;
pub use leader_epoch_monotonic::LeaderEpochMonotonic;
pub use metadata_log_agreement::MetadataLogAgreement;
pub use mitigations_are_safe::MitigationsAreSafe;
pub use replica_placement::ReplicaPlacement;
pub use replicas::replica_checkers;
pub use single_active_controller::SingleActiveController;
pub use tier::tier_checkers;
pub use violation::Violation;

/// Reads the trace as it grows and reports what breaks its invariant.
pub trait Checker: Send {
    /// A short, stable name ("single-active-controller").
    fn name(&self) -> &'static str;
    /// Judges one new entry; returns the violations it reveals.
    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation>;
    /// Judges the run as a whole once it is over (`at` is the end time).
    fn finish(&mut self, _at: Duration) -> Vec<Violation> {
        Vec::new()
    }
}

/// Every checker of the metadata plane: controller leadership, broker epochs and fencing,
/// partition leadership and placement, and agreement of the controllers' logs.
/// `zone_of_broker` is the world's topology, the zone each broker node runs in.
pub fn metadata_checkers(zone_of_broker: BTreeMap<BrokerId, String>) -> Vec<Box<dyn Checker>> {
    vec![
        Box::new(SingleActiveController::new()),
        Box::new(BrokerEpochs::new()),
        Box::new(FencedBrokerLeadsNothing::new()),
        Box::new(LeaderEpochMonotonic::new()),
        Box::new(ReplicaPlacement::new(zone_of_broker)),
        Box::new(MetadataLogAgreement::new()),
    ]
}

/// Every checker: those of the metadata plane, then those of the data plane, then those of
/// tiered storage (`tier` is the brokers' tier parameters), then the detector's
/// (`min_insync_replicas` is the topics' setting the mitigations must respect).
fn all_checkers(
    zone_of_broker: BTreeMap<BrokerId, String>,
    tier: &TierParams,
    min_insync_replicas: usize,
) -> Vec<Box<dyn Checker>> {
    let mut checkers = metadata_checkers(zone_of_broker);
    checkers.extend(replica_checkers());
    checkers.extend(tier_checkers(tier));
    checkers.push(Box::new(MitigationsAreSafe::new(min_insync_replicas)));
    checkers
}

/// The names of every checker, for scenario files to choose from.
pub fn checker_names() -> Vec<&'static str> {
    all_checkers(BTreeMap::new(), &TierParams::default(), 1)
        .iter()
        .map(|checker| checker.name())
        .collect()
}

/// The checkers called `names` ("all" selects every one); `tier` is the brokers' tier
/// parameters, `min_insync_replicas` the topics'.
pub fn checkers_named(
    names: &[String],
    zone_of_broker: BTreeMap<BrokerId, String>,
    tier: &TierParams,
    min_insync_replicas: usize,
) -> Vec<Box<dyn Checker>> {
    let everything = names.iter().any(|name| name == "all");
    all_checkers(zone_of_broker, tier, min_insync_replicas)
        .into_iter()
        .filter(|checker| everything || names.iter().any(|name| name == checker.name()))
        .collect()
}
pub mod history;
