//! Durability audits (Kora's "durability audits"): a partition leader periodically checks that
//! what every replica holds below the high watermark is the committed data, and that its own
//! log start moved only as retention allows.
//!
//! This module holds what does not need the running broker: the thresholds
//! ([`AuditParams`]), the pure rules ([`rules`]: which replica a set of range checksums
//! convicts, whether a log-start jump is explained), the range checksum a replica computes
//! over its own log ([`checksum`]), and the narrow hook through which a test harness switches
//! on a deliberate broker bug ([`InjectedBugs`]). The periodic task and the reactions (mark,
//! keep from leadership, rebuild) live with the replica manager
//! (`replica_manager/audit/`), because they act on its replicas.
//!
//! Every change to consistency metadata is a trace event: high watermark
//! (`HighWatermarkAdvanced`), leader epoch (`LeaderStarted`), tier state
//! (`TierRecordMaterialized`), truncation (`ReplicaTruncated`), local deletion
//! (`LocalSegmentsDeleted`), and, for the log start, `AuditLogStartChanged` with its cause.

pub mod checksum;
mod injected_bugs;
pub mod objects;
mod params;
pub mod rules;

pub use checksum::{AuditAnswer, RangeChecksum};
pub use injected_bugs::{InjectedBugs, PrefixTrimRole};
pub use params::AuditParams;
