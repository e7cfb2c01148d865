//! What the system reports about itself as it runs.
//!
//! Components call [`Observer::record`] at the moments that matter (a controller becoming
//! active, a metadata batch applied, a broker registered). In simulation the observer stamps
//! each event with the simulated time and node and appends it to the run's trace, where the
//! checkers judge it; in production it would be a structured log. Events state facts, never
//! verdicts: deciding whether a fact is a violation is the checkers' job.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::broker::audit::rules::{CorruptionReason, LogStartCause};
use crate::metadata::{BrokerId, MetadataRecord};
use crate::tier::TierRecord;

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
    /// This broker opened its replica of a partition: what its disk held (after a crash,
    /// only what was flushed).
    ReplicaOpened {
        broker: BrokerId,
        topic: String,
        partition: u32,
        log_start_offset: u64,
        log_end_offset: u64,
    },
    /// This broker leads the partition in `leader_epoch`, its log ending at `log_end_offset`.
    LeaderStarted {
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        log_end_offset: u64,
    },
    /// This broker follows `leader` in `leader_epoch`.
    FollowerStarted {
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader: BrokerId,
        leader_epoch: u64,
        log_end_offset: u64,
    },
    /// A batch was written to this broker's replica (as leader, or copied as follower).
    /// `checksum` is the CRC-32 of the batch's stored bytes, so replicas can be compared.
    BatchAppended {
        broker: BrokerId,
        topic: String,
        partition: u32,
        base_offset: u64,
        last_offset: u64,
        leader_epoch: u64,
        checksum: u32,
    },
    /// This broker's replica was cut: it now ends at `log_end_offset` (and, after a full
    /// truncation, starts at `log_start_offset`).
    ReplicaTruncated {
        broker: BrokerId,
        topic: String,
        partition: u32,
        log_start_offset: u64,
        log_end_offset: u64,
    },
    /// As leader in `leader_epoch`, this broker moved the partition's high watermark.
    HighWatermarkAdvanced {
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        high_watermark: u64,
    },
    /// As leader, this broker asked the controller to change the ISR (AlterPartition).
    IsrChangeRequested {
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        from_isr: Vec<BrokerId>,
        to_isr: Vec<BrokerId>,
    },
    /// This broker applied the committed tier-metadata record at `offset` of tier partition
    /// `tier_partition`; `rejected` says why it changed nothing, when it did not.
    TierRecordMaterialized {
        broker: BrokerId,
        tier_partition: u32,
        offset: u64,
        record: TierRecord,
        rejected: Option<String>,
    },
    /// This broker deleted local segments holding `segments` (base and last offset each);
    /// its local log now starts at `log_start_offset`.
    LocalSegmentsDeleted {
        broker: BrokerId,
        topic: String,
        partition: u32,
        segments: Vec<(u64, u64)>,
        log_start_offset: u64,
    },
    /// As leader in `leader_epoch`, this broker has `segments` rolled segments (`bytes` in
    /// all) not yet in the remote tier. Recorded when it changes.
    UploadBacklog {
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        segments: u32,
        bytes: u64,
    },
    /// An upload attempt was given up after its retry budget; the segment will be uploaded
    /// again under a new object id.
    UploadAbandoned {
        broker: BrokerId,
        topic: String,
        partition: u32,
        object_id: String,
        attempts: u32,
        error: String,
    },
    /// This broker deleted an object no tier record points to (an orphan).
    OrphanDeleted {
        broker: BrokerId,
        topic: String,
        partition: u32,
        key: String,
        age_ms: u64,
    },
    /// This broker served a fetch at `fetch_offset` from the object store.
    RemoteFetchServed {
        broker: BrokerId,
        topic: String,
        partition: u32,
        fetch_offset: u64,
        object_id: String,
        bytes: u64,
        from_cache: bool,
        latency_ms: u64,
    },
    /// This broker's storage manager found an operation unfinished past its stall timeout:
    /// the broker restarts.
    StorageStalled {
        broker: BrokerId,
        oldest_operation_ms: u64,
        operations_in_flight: u64,
        operations_completed: u64,
    },
    /// This broker's storage completed its first probe in this life of the broker: from now
    /// on its heartbeats say its storage is healthy.
    StorageHealthy { broker: BrokerId },
    /// The degradation detector's view of one broker over one round: the health-check
    /// agent's probes (client side) and the broker's scraped telemetry.
    HealthRound {
        broker: BrokerId,
        probes: u64,
        probe_failures: u64,
        probe_produce_p99_ms: u64,
        probe_fetch_p99_ms: u64,
        scraped: bool,
        disk_write_p99_us: u64,
        produce_p99_ms: u64,
        follower_lag_max_records: u64,
    },
    /// The degradation detector put a mitigation on a broker or lifted it, and the
    /// controller committed it: why, and what it changed and could not change.
    DetectorDecision {
        broker: BrokerId,
        problem: String,
        action: String,
        reason: String,
        partitions_changed: u64,
        partitions_blocked: u64,
    },
    /// The detector found no safe mitigation and paged a human.
    Escalated {
        broker: BrokerId,
        problem: String,
        reason: String,
    },
    /// Durability audit: this broker's local log start for the partition moved, and why.
    AuditLogStartChanged {
        broker: BrokerId,
        topic: String,
        partition: u32,
        from: u64,
        to: u64,
        cause: LogStartCause,
    },
    /// Durability audit: as leader in `leader_epoch`, `auditor` found `broker`'s replica
    /// corrupt (the reason carries the evidence). The replica is marked, reported to the
    /// controller to leave the ISR (and leadership, if it leads), and rebuilt.
    AuditCorruptReplica {
        auditor: BrokerId,
        broker: BrokerId,
        topic: String,
        partition: u32,
        leader_epoch: u64,
        reason: CorruptionReason,
    },
    /// Durability audit: the replicas' checksums over a committed range disagree and no
    /// majority says which copy is right; nobody is convicted.
    AuditUndecided {
        broker: BrokerId,
        topic: String,
        partition: u32,
        detail: String,
    },
    /// This broker's corrupt replica, out of the ISR, was cut back to what it can trust
    /// (emptied when nothing) and fetches the rest from the leader again.
    AuditReplicaRebuilding {
        broker: BrokerId,
        topic: String,
        partition: u32,
        log_start_offset: u64,
        log_end_offset: u64,
    },
    /// Durability audit: the object of a remote segment does not hold the segment's committed
    /// batches. `repairable` says whether the leader still has the range locally to upload it
    /// again; otherwise the segment is flagged (no copy of it is left anywhere).
    AuditObjectCorrupt {
        broker: BrokerId,
        topic: String,
        partition: u32,
        object_id: String,
        base_offset: u64,
        last_offset: u64,
        repairable: bool,
        evidence: String,
    },
    /// Durability audit: the corrupt object was written again from the leader's local copy,
    /// verified, and now holds the segment's committed batches.
    AuditObjectRepaired {
        broker: BrokerId,
        topic: String,
        partition: u32,
        object_id: String,
        key: String,
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
