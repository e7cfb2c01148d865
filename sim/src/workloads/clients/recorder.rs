//! Where the clients write their history: the shared history and the run's start, so every
//! operation is stamped with the simulated time since the run started, when it happens.

use std::time::Duration;

use tokio::time::Instant;

use crate::workloads::{Operation, SharedHistory};

/// A client's pen: records operations, stamped with the simulated time.
#[derive(Clone)]
pub(super) struct Recorder {
    history: SharedHistory,
    run_started: Instant,
}

impl Recorder {
    pub fn new(history: SharedHistory, run_started: Instant) -> Self {
        Recorder { history, run_started }
    }

    /// Simulated time since the run started.
    pub fn now(&self) -> Duration {
        self.run_started.elapsed()
    }

    pub fn record(&self, operation: impl Into<Operation>) {
        // A poisoned lock means a panic elsewhere already failed the run; keep recording.
        self.history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(operation);
    }

    /// Records several operations at once, under one lock.
    pub fn record_all(&self, operations: impl IntoIterator<Item = Operation>) {
        let mut history = self
            .history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for operation in operations {
            history.record(operation);
        }
    }
}
