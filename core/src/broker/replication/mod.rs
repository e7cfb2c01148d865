//! Leader-side replication of one partition (Kafka's `Partition` ISR and high-watermark
//! logic), kept pure: no I/O, no async, no clock. Times are `Duration`s since an origin the
//! caller chooses, passed in with every call that needs one.
//!
//! - `params.rs`: `replica_lag_max` and `min_insync_replicas`;
//! - `leader_state.rs`: follower fetch positions, the high watermark, `acks=all` completion,
//!   ISR shrink and expand proposals;
//! - `follower_state.rs`: the follower side: truncation by leader epoch, fetch offset and
//!   high watermark;
//! - `roles.rs`: which partitions a broker leads, follows or stops serving after a metadata
//!   change.

mod follower_state;
#[cfg(test)]
mod follower_tests;
mod leader_state;
mod params;
mod roles;
#[cfg(test)]
mod tests;

pub use follower_state::{FollowerAction, FollowerFetchState, FollowerRequest};
pub use leader_state::{
    Completion, FetchError, FollowerState, IsrChangeError, LeaderState, NotEnoughReplicas, PendingIsrChange,
};
pub use params::ReplicationParams;
pub use roles::{role_changes, RoleChange};
