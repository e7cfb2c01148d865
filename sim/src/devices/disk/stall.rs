//! Waiting out an operation's latency, frozen while the disk is stalled.
//!
//! A stalled disk makes no progress at all: operations that arrive wait for the release, and
//! operations already waiting out their latency stop the clock on the remainder and resume it
//! after the release. Waiting happens on a `tokio::sync::Notify`, so an operation whose future
//! is dropped (its node was killed) simply stops waiting; nothing is leaked. (Not a `watch`
//! channel: tokio's `watch` spreads waiters over queues chosen by tokio's own random
//! generator, which madsim does not seed, so waiters would wake in a different order in two
//! runs of one seed.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Whether the disk is stalled, shared with every operation in flight.
#[derive(Debug, Default)]
pub(super) struct StallGate {
    stalled: AtomicBool,
    changed: Notify,
}

impl StallGate {
    pub(super) fn new() -> Self {
        Self::default()
    }

    pub(super) fn set_stalled(&self, stalled: bool) {
        self.stalled.store(stalled, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    pub(super) fn is_stalled(&self) -> bool {
        self.stalled.load(Ordering::SeqCst)
    }

    /// Returns once the gate is stalled (`true`) or released (`false`).
    async fn wait_until(&self, stalled: bool) {
        loop {
            let changed = self.changed.notified();
            if self.is_stalled() == stalled {
                return;
            }
            changed.await;
        }
    }

    /// Returns once `latency` of unstalled simulated time has passed.
    pub(super) async fn wait_out(&self, latency: Duration) {
        let mut remaining = latency;
        loop {
            self.wait_until(false).await;
            if remaining.is_zero() {
                return;
            }
            let deadline = Instant::now() + remaining;
            let sleep = tokio::time::sleep_until(deadline);
            tokio::pin!(sleep);
            // madsim rounds every new sleep up to at least one millisecond, as tokio's timer
            // wheel does; disk operations take microseconds, so the deadline is set once more
            // without that rounding.
            sleep.as_mut().reset(deadline);
            // `biased` polls the branches in order, so that the outcome does not depend on a
            // random branch choice that the simulator's seed does not control.
            tokio::select! {
                biased;
                () = &mut sleep => return,
                () = self.wait_until(true) => {
                    remaining = deadline.saturating_duration_since(Instant::now());
                }
            }
        }
    }
}
