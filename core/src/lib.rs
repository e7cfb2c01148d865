//! korasim-core: the system under test.
//!
//! A Kora-style Kafka platform written against `tokio` (the madsim shim in simulation) and
//! narrow traits for the devices madsim does not model. Nothing here knows about the
//! simulator.

pub mod broker;
pub mod buggify;
pub mod health;
pub mod invariant;
pub mod metadata;
pub mod net;
pub mod object_store;
pub mod observe;
pub mod runtime;
pub mod storage;
pub mod telemetry;
pub mod tier;
