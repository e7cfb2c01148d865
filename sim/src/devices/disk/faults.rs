//! Which operations fail with an injected I/O error.

use std::collections::BTreeMap;

use korasim_core::storage::DiskOperation;
use rand::Rng;

/// The I/O errors the world has asked for, per kind of operation.
#[derive(Debug, Clone, Default)]
pub(super) struct InjectedErrors {
    /// Chance that an operation of this kind fails; absent means never.
    failure_probabilities: BTreeMap<DiskOperation, f64>,
    /// How many of the next operations of this kind fail for certain.
    forced_failures_remaining: BTreeMap<DiskOperation, u64>,
}

impl InjectedErrors {
    pub(super) fn set_failure_probability(&mut self, operation: DiskOperation, probability: f64) {
        assert!(
            (0.0..=1.0).contains(&probability),
            "a failure probability must lie in [0, 1], not {probability}"
        );
        if probability == 0.0 {
            self.failure_probabilities.remove(&operation);
        } else {
            self.failure_probabilities.insert(operation, probability);
        }
    }

    pub(super) fn fail_next(&mut self, operation: DiskOperation, count: u64) {
        if count == 0 {
            self.forced_failures_remaining.remove(&operation);
        } else {
            self.forced_failures_remaining.insert(operation, count);
        }
    }

    /// Decides whether the operation now completing fails. Forced failures are used up
    /// first; the random number generator is consulted only when a probability is set, so
    /// that a disk without faults draws nothing for them.
    pub(super) fn should_fail<R: Rng + ?Sized>(&mut self, operation: DiskOperation, rng: &mut R) -> bool {
        if let Some(remaining) = self.forced_failures_remaining.get_mut(&operation) {
            *remaining -= 1;
            if *remaining == 0 {
                self.forced_failures_remaining.remove(&operation);
            }
            return true;
        }
        self.failure_probabilities
            .get(&operation)
            .is_some_and(|&probability| rng.gen_bool(probability))
    }
}
