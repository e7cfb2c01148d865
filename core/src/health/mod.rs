//! Kora's health components outside the brokers: the **health-check agent**, a client that
//! probes every broker through a partition pinned to it, and the **degradation detector**,
//! which reads the agent's results and the brokers' telemetry, keeps a health state per
//! broker per problem and asks the active controller for mitigations (or escalates to a
//! human when no mitigation is safe). Both run on a node outside the cluster, beside the
//! clients. The storage health manager runs inside each broker (`broker::storage_health`).

mod judge;
mod params;
mod probes;
mod service;

pub use judge::{BrokerRound, Decision, DetectorState, Problem};
pub use params::HealthParams;
pub use probes::{ProbeKind, ProbeLedger, ProbeRound};
pub use service::HealthService;

/// The prefix of the health-check agent's topics: one per broker, with a single partition
/// whose only replica is that broker, so that a probe to it is a probe to its broker.
pub const HEALTH_CHECK_TOPIC: &str = "__health_check";

/// The probe topic pinned to `broker`.
pub fn probe_topic(broker: crate::metadata::BrokerId) -> String {
    format!("{HEALTH_CHECK_TOPIC}-{broker}")
}
