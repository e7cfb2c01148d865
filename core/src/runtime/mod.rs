//! Glue between openraft and the tokio the system is built on.
//!
//! openraft's default runtime names the real tokio crate, which panics inside madsim. This
//! runtime goes through the `tokio::` names of madsim-tokio instead, so the same code runs on
//! real tokio in production and on madsim's deterministic executor in simulation.

mod openraft_runtime;

pub use openraft_runtime::{ShimInstant, ShimRuntime};
