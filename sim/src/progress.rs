//! How far a run has got, for a person watching a long one.
//!
//! The hook is called from inside the simulation by the trace as entries arrive (at most once
//! per `every` of simulated time), not by a task of its own: an extra task would draw from
//! the scheduler's seeded generator and change every run, while reading the trace's clock
//! changes nothing the seed decides.

use std::sync::Arc;
use std::time::Duration;

/// Called with the simulated time elapsed since the run started.
#[derive(Clone)]
pub struct ProgressHook {
    report: Arc<dyn Fn(Duration) + Send + Sync>,
    pub every: Duration,
}

impl ProgressHook {
    pub fn new(every: Duration, report: impl Fn(Duration) + Send + Sync + 'static) -> Self {
        ProgressHook {
            report: Arc::new(report),
            every,
        }
    }

    pub fn report(&self, elapsed: Duration) {
        (self.report)(elapsed)
    }
}

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProgressHook(every {:?})", self.every)
    }
}
