//! Deliberate broker bugs that a test harness can switch on, so that the durability audits
//! have something real to catch. Production never switches any on; the broker only looks.

use std::sync::atomic::{AtomicU8, Ordering};

/// In which role the "trims its log prefix" bug strikes a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrefixTrimRole {
    /// As its leader: the leader's own audit must see its log start jump.
    Leader,
    /// As a follower in its ISR: the leader's audit must see the follower's log start above
    /// what retention allows, or the follower would stay in the ISR without committed data.
    Follower,
}

const DISARMED: u8 = 0;
const LEADER: u8 = 1;
const FOLLOWER: u8 = 2;

/// The bugs armed in one broker. Shared between the harness and the broker's tasks.
#[derive(Debug, Default)]
pub struct InjectedBugs {
    trim_log_prefix: AtomicU8,
}

impl InjectedBugs {
    /// Arms the "trims its log prefix" bug (a real Kora incident, as leader): the next time
    /// the broker's flusher runs, in `role` for some partition it deletes its local segments
    /// below the high watermark although retention does not allow it, and says nothing.
    pub fn arm_trim_log_prefix(&self, role: PrefixTrimRole) {
        let armed = match role {
            PrefixTrimRole::Leader => LEADER,
            PrefixTrimRole::Follower => FOLLOWER,
        };
        self.trim_log_prefix.store(armed, Ordering::SeqCst);
    }

    pub(in crate::broker) fn trim_log_prefix_armed(&self) -> Option<PrefixTrimRole> {
        match self.trim_log_prefix.load(Ordering::SeqCst) {
            LEADER => Some(PrefixTrimRole::Leader),
            FOLLOWER => Some(PrefixTrimRole::Follower),
            _ => None,
        }
    }

    /// The bug fired: it does not fire again until armed again.
    pub(in crate::broker) fn disarm_trim_log_prefix(&self) {
        self.trim_log_prefix.store(DISARMED, Ordering::SeqCst);
    }
}
