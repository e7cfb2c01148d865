//! The running durability audits of one broker (the rules are in `broker::audit`):
//!
//! - `task.rs`: one long-lived task per broker; every `audit_interval` it audits each
//!   partition this broker leads: the log-start rule, and the checksums of a committed range
//!   on every in-sync replica (the leader's own included).
//! - `answer.rs`: a follower computing its checksum for the leader.
//! - `reaction.rs`: a corrupt replica is marked (an event with the reason and evidence),
//!   reported to the controller (out of the ISR, and out of leadership if it leads), kept out
//!   of the ISR by the leader until it has rebuilt, and rebuilt: cut back to what it can trust
//!   (emptied when nothing) once the metadata shows it out of the ISR, then fetched again
//!   from the leader; it rejoins the ISR the ordinary way once caught up.
//! - `objects.rs`: the remote segments of a tiered partition, checked against their committed
//!   batches and written again from the leader's local copy when they are corrupt.
//! - `trim_bug.rs`: the deliberate "leader trims its log prefix" bug, for the audits to catch.

mod answer;
mod reaction;
mod task;
mod trim_bug;

pub(super) use reaction::Rebuild;
