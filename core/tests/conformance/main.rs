//! Conformance with Kafka's own unit tests.
//!
//! Kafka's unit tests are the most precise statement of the semantics this log and its
//! replication claim: the leader-epoch cache, follower truncation by epoch (KIP-101/279),
//! idempotent-producer state, the high watermark and the ISR. Each module takes one Kafka
//! test class and restates the cases that map onto our API, written from Kafka's assertions
//! (not from what our code returns). Each test names the Kafka test it comes from.
//!
//! Where we differ from Kafka on purpose, the test asserts *our* behaviour and says why; the
//! README's "Conformance with Kafka's unit tests" lists those differences.

mod support;

mod fetcher_truncation;
mod leader_epoch_file_cache;
mod partition_hw_isr;
mod producer_state_manager;
mod unified_log;
