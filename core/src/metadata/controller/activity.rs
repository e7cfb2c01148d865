//! Whether this controller may act as the active controller right now.
//!
//! Raft leadership alone is not enough: a leader cut off from its peers keeps believing it
//! leads until it hears of a higher term. So the leader confirms its leadership with a
//! quorum every `lease_renew_interval` (a read-index round) and acts only within
//! `active_lease` of the last confirmation. An isolated leader therefore stops acting on its
//! own, before any successor can be elected.

use std::sync::{Arc, Mutex};

use openraft::ServerState;
use tokio::time::Instant;

use super::super::raft_types::MetadataRaft;
use super::params::ControllerParams;
use super::sessions::BrokerSessions;
use crate::observe::{Event, SharedObserver};

/// The shared answer to "am I the active controller, and for which term?".
#[derive(Default)]
pub struct Activity {
    state: Mutex<Option<ActiveTerm>>,
}

#[derive(Debug, Clone, Copy)]
struct ActiveTerm {
    term: u64,
    lease_expiry: Instant,
}

impl Activity {
    /// The Raft term this controller is active in, if it is active now.
    pub fn active_term(&self) -> Option<u64> {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state
            .filter(|active| Instant::now() < active.lease_expiry)
            .map(|active| active.term)
    }
}

/// Renews (or gives up) the lease for as long as the node runs.
pub(crate) async fn maintain_activity(
    raft: MetadataRaft,
    activity: Arc<Activity>,
    sessions: Arc<BrokerSessions>,
    observer: SharedObserver,
    params: ControllerParams,
) {
    let mut reported_term: Option<u64> = None;
    loop {
        tokio::time::sleep(params.lease_renew_interval).await;
        let metrics = raft.metrics().borrow().clone();
        let mut confirmed = None;
        if metrics.state == ServerState::Leader {
            let started = Instant::now();
            let check = tokio::time::timeout(params.active_lease, raft.ensure_linearizable()).await;
            if matches!(check, Ok(Ok(_))) {
                confirmed = Some(ActiveTerm {
                    term: metrics.current_term,
                    lease_expiry: started + params.active_lease,
                });
            }
        }
        let previous = activity.active_term();
        if let Some(active) = confirmed {
            *activity
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(active);
        }
        let now_active = activity.active_term();
        if now_active != previous || now_active != reported_term {
            if let Some(term) = reported_term.filter(|term| Some(*term) != now_active) {
                let reason = if metrics.state == ServerState::Leader {
                    "leadership not confirmed by a quorum within the lease"
                } else {
                    "no longer the Raft leader"
                };
                observer.record(Event::ControllerDeactivated {
                    term,
                    reason: reason.to_string(),
                });
            }
            if let Some(term) = now_active.filter(|term| Some(*term) != reported_term) {
                // Every broker gets a full session from the moment a controller takes over, as
                // in KRaft: the new controller cannot know when they last heartbeated.
                sessions.reset_all();
                observer.record(Event::ControllerActivated { term });
            }
            reported_term = now_active;
        }
    }
}
