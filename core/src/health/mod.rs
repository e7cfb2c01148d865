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

/// The health-check agent's topic: one single-replica partition per broker, so that a probe
/// to a partition is a probe to its broker.
pub const HEALTH_CHECK_TOPIC: &str = "__health_check";
