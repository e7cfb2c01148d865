//! Finds the active controller and sends it requests, following redirects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::metadata::{ControllerRequest, ControllerResponse};
use crate::net::{Address, Rpc};

/// Talks to whichever controller is active, remembering the last one that answered.
pub struct ControllerClient {
    rpc: Arc<Rpc>,
    controllers: Vec<Address>,
    /// The controller to try first: the last one that answered as active, or a hint.
    preferred: Mutex<Option<Address>>,
    next_to_try: AtomicUsize,
    request_timeout: Duration,
}

impl ControllerClient {
    pub fn new(rpc: Arc<Rpc>, controllers: Vec<Address>, request_timeout: Duration) -> Self {
        ControllerClient {
            rpc,
            controllers,
            preferred: Mutex::new(None),
            next_to_try: AtomicUsize::new(0),
            request_timeout,
        }
    }

    fn preferred(&self) -> std::sync::MutexGuard<'_, Option<Address>> {
        self.preferred
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `request` to the active controller. The controller last known to be active is
    /// tried first and stays preferred through timeouts (as a Kafka broker keeps its known
    /// controller until it learns of another); the others are then tried in turn, following
    /// a redirect when one names the active controller. `None` when no controller answered
    /// as active.
    pub async fn send(&self, request: &ControllerRequest) -> Option<ControllerResponse> {
        let known_active = *self.preferred();
        let mut tried: Vec<Address> = Vec::with_capacity(self.controllers.len() + 1);
        let mut next_hint: Option<Address> = known_active;
        for _ in 0..=self.controllers.len() {
            let target = match next_hint.take().filter(|hint| !tried.contains(hint)) {
                Some(hint) => hint,
                None => {
                    let untried = (0..self.controllers.len()).map(|_| {
                        let index = self.next_to_try.fetch_add(1, Ordering::Relaxed) % self.controllers.len();
                        self.controllers[index]
                    });
                    let mut candidates = untried.filter(|candidate| !tried.contains(candidate));
                    match candidates.next() {
                        Some(candidate) => candidate,
                        None => break,
                    }
                }
            };
            tried.push(target);
            match self
                .rpc
                .call::<_, ControllerResponse>(target, request, self.request_timeout)
                .await
            {
                Ok(ControllerResponse::NotController { active_hint }) => {
                    if known_active == Some(target) {
                        // It told us itself that it is no longer active.
                        *self.preferred() = None;
                    }
                    next_hint = active_hint;
                }
                Ok(response) => {
                    *self.preferred() = Some(target);
                    return Some(response);
                }
                Err(_) => {}
            }
        }
        None
    }
}
