//! The workload's clients: producers and consumers that talk to the brokers over the
//! simulated network and record what they did and saw in the client history.
//!
//! One concept per file:
//! - `params.rs`: what the workload does and its clients' settings;
//! - `recorder.rs`: stamping operations with the simulated time and recording them;
//! - `metadata_cache.rs`: where partitions lead, asked of the brokers;
//! - `attempts.rs`: what a batch's attempts add up to (definite failure or unknown);
//! - `producer.rs`: record generation, batching and delivery, idempotent sequences;
//! - `fetcher.rs`: one consumer fetch, shared by the consumers and the final read;
//! - `consumer.rs`: tailing consumers;
//! - `final_read.rs`: reading every partition in full at the end;
//! - `workload.rs`: the handle the scenario executor drives;
//! - `join_all.rs`: waiting for several futures in one task;
//! - `stop_signal.rs`: the flag that stops producers and consumers.
//!
//! Everything is deterministic: randomness comes from generators seeded by madsim, maps that
//! are iterated are ordered, and every `select!` is biased.

mod attempts;
mod consumer;
mod fetcher;
mod final_read;
mod join_all;
mod metadata_cache;
mod params;
mod producer;
mod recorder;
mod stop_signal;
mod workload;

#[cfg(test)]
mod fake_broker;
#[cfg(test)]
mod tests;

pub use final_read::{final_read, FinalReadSummary, PartitionReadDone, PartitionReadUnfinished};
pub use metadata_cache::{MetadataCache, PartitionLeader};
pub use params::{WorkloadParams, PRODUCER_ID_BASE};
pub use producer::ACKS_NONE_SEND_WAIT;
pub use workload::Workload;
