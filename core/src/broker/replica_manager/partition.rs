//! One partition replica on this broker: its log, its role, and a change signal.
//!
//! Everything about a replica sits behind one async mutex, held across the disk operations
//! of an append or a truncation, so that a role change never interleaves with half an
//! append. Waiters (an `acks=all` produce, a long-polled fetch) do not hold it: they wait on
//! the change signal, raised whenever the log grows, the high watermark moves or the role
//! changes, and then look again.
//!
//! The signal is a `Notify`, not a `watch` channel: tokio's `watch` spreads its waiters over
//! several queues chosen by tokio's own random generator, which madsim does not seed, so the
//! order waiters wake in would differ between two runs of one seed.

use std::sync::atomic::AtomicU64;

use tokio::sync::futures::Notified;
use tokio::sync::{Mutex, Notify};

use super::super::log::PartitionLog;
use super::super::replication::{FollowerFetchState, LeaderState};

/// What this broker does with a partition right now.
pub(super) enum Role {
    /// Leads it: serves produce and fetch, tracks its followers.
    Leader(LeaderState),
    /// Copies it from the leader (the follower task does the fetching).
    Follower(FollowerFetchState),
    /// Holds the data but serves nothing: no leader, or no longer a replica.
    Idle,
}

/// The replica's state under its lock.
pub(super) struct Replica {
    /// `None` when the log could not be opened (a storage error): the replica serves nothing.
    pub log: Option<PartitionLog>,
    pub role: Role,
    /// Bumped on every role change, so that a follower task of an earlier role sees it is
    /// stale and stops.
    pub generation: u64,
    /// Marked corrupt by a durability audit: rebuilt once out of the ISR (`audit/reaction.rs`).
    pub pending_rebuild: Option<super::audit::Rebuild>,
    /// As leader: followers an audit found corrupt, each with the offset its log must fall
    /// back to before it may rejoin the ISR.
    pub suspects: std::collections::BTreeMap<crate::metadata::BrokerId, u64>,
}

impl Replica {
    /// The high watermark this replica knows, whatever its role.
    pub fn high_watermark(&self) -> u64 {
        match &self.role {
            Role::Leader(leader) => leader.high_watermark(),
            Role::Follower(follower) => follower.high_watermark(),
            Role::Idle => 0,
        }
    }
}

/// One partition replica.
pub(super) struct Partition {
    pub topic: String,
    pub partition: u32,
    pub replica: Mutex<Replica>,
    /// As a follower: how many records the leader's log end (in its latest fetch answer) is
    /// ahead of this replica's. Zero in any other role. Read by telemetry without the lock.
    pub follower_lag_records: AtomicU64,
    changed: Notify,
}

impl Partition {
    pub fn new(topic: &str, partition: u32, log: Option<PartitionLog>) -> Self {
        Partition {
            topic: topic.to_string(),
            partition,
            replica: Mutex::new(Replica {
                log,
                role: Role::Idle,
                generation: 0,
                pending_rebuild: None,
                suspects: std::collections::BTreeMap::new(),
            }),
            follower_lag_records: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    /// Wakes everyone waiting on this partition.
    pub fn notify(&self) {
        self.changed.notify_waiters();
    }

    /// A future that completes at the next change after this call. Take it before looking
    /// at the replica, so that no change between the look and the wait is missed.
    pub fn next_change(&self) -> Notified<'_> {
        self.changed.notified()
    }
}

/// The directory of a partition's log on the broker's disk.
pub(super) fn log_directory(topic: &str, partition: u32) -> String {
    format!("partitions/{topic}-{partition}")
}
