//! Deliberate broker bugs that a test harness can switch on, so that the durability audits
//! have something real to catch. Production never switches any on; the broker only looks.

use std::sync::atomic::{AtomicBool, Ordering};

/// The bugs armed in one broker. Shared between the harness and the broker's tasks.
#[derive(Debug, Default)]
pub struct InjectedBugs {
    trim_log_prefix: AtomicBool,
}

impl InjectedBugs {
    /// Arms the "leader trims its log prefix" bug (a real Kora incident): the next time the
    /// broker's flusher runs, as leader of a partition it deletes its local segments below
    /// the high watermark although retention does not allow it, and says nothing.
    pub fn arm_trim_log_prefix(&self) {
        self.trim_log_prefix.store(true, Ordering::SeqCst);
    }

    pub(in crate::broker) fn trim_log_prefix_armed(&self) -> bool {
        self.trim_log_prefix.load(Ordering::SeqCst)
    }

    /// The bug fired: it does not fire again until armed again.
    pub(in crate::broker) fn disarm_trim_log_prefix(&self) {
        self.trim_log_prefix.store(false, Ordering::SeqCst);
    }
}
