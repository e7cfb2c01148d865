//! What the system reports about itself as it runs.
//!
//! Components call [`Observer::record`] at the moments that matter (a controller becoming
//! active, a metadata batch applied, a broker registered). In simulation the observer stamps
//! each event with the simulated time and node and appends it to the run's trace, where the
//! checkers judge it; in production it would be a structured log. Events state facts, never
//! verdicts: deciding whether a fact is a violation is the checkers' job.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::metadata::{BrokerId, MetadataRecord};

/// A fact reported by a component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// This controller now acts as the active controller for Raft `term`.
    ControllerActivated { term: u64 },
    /// This controller stopped acting as the active controller.
    ControllerDeactivated { term: u64, reason: String },
    /// This controller's state machine applied the batch at `offset` (`rejected` says why it
    /// was a no-op, when it was).
    MetadataApplied {
        offset: u64,
        records: Vec<MetadataRecord>,
        rejected: Option<String>,
    },
    /// This controller came up from what its disk held.
    ControllerRecovered {
        last_log_index: Option<u64>,
        snapshot_offset: Option<u64>,
        vote_term: Option<u64>,
        discarded_tail_bytes: u64,
    },
    /// This broker was registered by the controller with `epoch`.
    BrokerRegistered { broker: BrokerId, epoch: u64 },
    /// This broker's view of the metadata log reached `offset`.
    BrokerMetadataCaughtUp { broker: BrokerId, offset: u64 },
    /// This broker stopped after a shutdown signal; `confirmed` says whether the controller
    /// confirmed the controlled shutdown (leaderships moved) before it gave up waiting.
    BrokerShutDown {
        broker: BrokerId,
        epoch: u64,
        confirmed: bool,
    },
}

/// Receives a node's events.
pub trait Observer: Send + Sync + 'static {
    fn record(&self, event: Event);
}

/// Shared handle to a node's observer.
pub type SharedObserver = Arc<dyn Observer>;

/// An observer that only logs, for use outside simulation.
pub struct LoggingObserver;

impl Observer for LoggingObserver {
    fn record(&self, event: Event) {
        tracing::info!(?event, "event");
    }
}
