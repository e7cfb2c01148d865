//! A one-way stop flag that tasks can wait on.
//!
//! Not a `tokio::sync::watch` channel: tokio's `watch` spreads its waiters over several queues
//! chosen by tokio's own random generator, which madsim does not seed, so the order in which
//! the stopped tasks wake would differ between two runs of one seed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Cheap to clone; every clone sees the same flag.
#[derive(Clone, Default)]
pub struct StopSignal {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    stopped: AtomicBool,
    notify: Notify,
}

impl StopSignal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag and wakes every waiter, in the order they started waiting.
    pub fn stop(&self) {
        self.inner.stopped.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// Completes once the flag is raised (at once if it already is).
    pub async fn stopped(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[madsim::test]
    async fn waiters_wake_when_stopped_and_late_waiters_return_at_once() {
        let signal = StopSignal::new();
        let waiter = {
            let signal = signal.clone();
            tokio::spawn(async move { signal.stopped().await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert!(!signal.is_stopped());
        signal.stop();
        waiter.await.unwrap();
        signal.stopped().await;
        assert!(signal.is_stopped());
    }
}
