//! Waiting out an operation's latency, frozen while the disk is stalled.
//!
//! A stalled disk makes no progress at all: operations that arrive wait for the release, and
//! operations already waiting out their latency stop the clock on the remainder and resume it
//! after the release. Waiting happens on a `tokio::sync::watch` channel, so an operation whose
//! future is dropped (its node was killed) simply stops waiting; nothing is leaked.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Whether the disk is stalled, shared with every operation in flight.
#[derive(Debug)]
pub(super) struct StallGate {
    stalled: watch::Sender<bool>,
}

impl StallGate {
    pub(super) fn new() -> Self {
        StallGate {
            stalled: watch::Sender::new(false),
        }
    }

    pub(super) fn set_stalled(&self, stalled: bool) {
        // `send_replace` stores the value even when no operation is waiting, unlike `send`.
        self.stalled.send_replace(stalled);
    }

    pub(super) fn is_stalled(&self) -> bool {
        *self.stalled.borrow()
    }

    /// Returns once `latency` of unstalled simulated time has passed.
    pub(super) async fn wait_out(&self, latency: Duration) {
        let mut stalled = self.stalled.subscribe();
        let mut remaining = latency;
        loop {
            // `wait_for` fails only when the sender is gone, and the sender lives as long as
            // the disk that this operation borrows, so the result carries no information.
            let _ = stalled.wait_for(|stalled| !*stalled).await;
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
                _ = stalled.wait_for(|stalled| *stalled) => {
                    remaining = deadline.saturating_duration_since(Instant::now());
                }
            }
        }
    }
}
