//! What the disk has done so far, for health checks and the run trace.

use std::collections::BTreeMap;

use korasim_core::storage::{DiskError, DiskOperation};
use tokio::time::Instant;

/// A snapshot of a disk's activity since it was created (crashes do not reset it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiskStats {
    /// Operations that returned `Ok`, per kind.
    pub completed_operations: BTreeMap<DiskOperation, u64>,
    /// Operations that returned an error of any kind, per kind.
    pub failed_operations: BTreeMap<DiskOperation, u64>,
    /// Of the failed operations, those whose error was injected rather than earned.
    pub injected_errors: u64,
    /// Bytes of successful appends.
    pub written_bytes: u64,
    /// Bytes returned by successful reads.
    pub read_bytes: u64,
    /// Operations that have started and not yet returned, including stalled ones. Together
    /// with `last_progress_at` this tells a stalled disk from an idle one.
    pub in_flight_operations: u64,
    /// Simulated time at which an operation last returned, successfully or not.
    pub last_progress_at: Option<Instant>,
    /// Visible bytes of all files, as counted against the capacity.
    pub used_bytes: u64,
}

impl DiskStats {
    pub fn completed(&self, operation: DiskOperation) -> u64 {
        self.completed_operations.get(&operation).copied().unwrap_or(0)
    }

    pub fn failed(&self, operation: DiskOperation) -> u64 {
        self.failed_operations.get(&operation).copied().unwrap_or(0)
    }

    pub fn total_failed(&self) -> u64 {
        self.failed_operations.values().sum()
    }

    /// Counts one returned operation.
    pub(super) fn record_outcome<T>(&mut self, operation: DiskOperation, outcome: &Result<T, DiskError>) {
        let counts = match outcome {
            Ok(_) => &mut self.completed_operations,
            Err(_) => &mut self.failed_operations,
        };
        *counts.entry(operation).or_insert(0) += 1;
        self.last_progress_at = Some(Instant::now());
    }
}
