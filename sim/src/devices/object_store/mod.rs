//! The simulated object store (S3): a bucket served over the network with S3's latency,
//! request-rate limits and failures, and the faults a scenario can switch on.
//! `fault_model.rs` states the model; `config.rs` names its numbers.
//!
//! - `store.rs`: [`SimObjectStore`], the bucket and its fault model, writing every change
//!   to the bucket into the run's trace ([`StoreEvent`]) as it takes effect;
//! - `service.rs`: the wire protocol of `korasim_core::object_store::protocol` over `Rpc`;
//! - `bucket.rs`, `rate_limit.rs`, `latency.rs`, `counters.rs`: one piece each.

mod bucket;
mod config;
mod counters;
mod event;
mod fault_model;
mod latency;
#[cfg(test)]
mod network_tests;
mod rate_limit;
mod service;
mod store;
#[cfg(test)]
mod tests;

pub use bucket::{IncompleteUploads, StoredObject};
pub use config::{ObjectStoreConfig, DEFAULT_LATENCY_MULTIPLIER, DEFAULT_STORM_ERROR_RATE};
pub use counters::{RequestCounters, RequestKind, RequestOutcome};
pub use event::StoreEvent;
pub use fault_model::ActiveFaults;
pub use latency::{standard_normal, Lognormal};
pub use rate_limit::{prefix_of, PrefixRateLimiter};
pub use service::{start_service, ObjectStoreService, OBJECT_STORE_RPC_PARAMS};
pub use store::SimObjectStore;
