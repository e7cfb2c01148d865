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

    /// Sends `request` to the active controller, trying each controller at most once (plus
    /// one redirect each). `None` when no controller answered as active.
    pub async fn send(&self, request: &ControllerRequest) -> Option<ControllerResponse> {
        let attempts_max = self.controllers.len() * 2;
        for _ in 0..attempts_max {
            let target = self.preferred().take().unwrap_or_else(|| {
                let index = self.next_to_try.fetch_add(1, Ordering::Relaxed) % self.controllers.len();
                self.controllers[index]
            });
            match self
                .rpc
                .call::<_, ControllerResponse>(target, request, self.request_timeout)
                .await
            {
                Ok(ControllerResponse::NotController { active_hint }) => {
                    *self.preferred() = active_hint.filter(|hint| *hint != target);
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
