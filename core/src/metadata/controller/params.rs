//! Every threshold of the metadata quorum, named. Defaults follow Kafka's where Kafka has one.

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::raft_types::ControllerId;
use crate::net::{Address, RpcParams};

/// Timing and sizing of a controller.
#[derive(Debug, Clone)]
pub struct ControllerParams {
    /// A broker with no heartbeat for this long is fenced (Kafka: `broker.session.timeout.ms`,
    /// 9 s).
    pub broker_session_timeout: Duration,
    /// How often the active controller looks for expired sessions.
    pub session_check_interval: Duration,
    /// Raft heartbeats from the leader.
    pub raft_heartbeat_interval: Duration,
    /// Raft election timeout range (Kafka: `controller.quorum.election.timeout.ms`, 1 s).
    /// openraft makes a follower wait a leader lease (the maximum) plus a random timeout, and
    /// twice the maximum more when another voter has a longer log, so the worst failover is
    /// about four times the maximum.
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// The controller acts as active only within this long of a quorum confirming its
    /// leadership; kept below the minimum election timeout so that a deposed leader stops
    /// acting before a successor can be elected.
    pub active_lease: Duration,
    /// How often the leader renews its lease.
    pub lease_renew_interval: Duration,
    /// How long a proposal may take to commit before the request is answered as unavailable.
    pub proposal_timeout: Duration,
    pub snapshot_every_entries: u64,
    pub entries_kept_after_snapshot: u64,
    pub entries_per_segment_max: usize,
    /// Applied batches kept in memory for brokers following the log.
    pub recent_batches_max: usize,
    /// A mitigation never takes a partition's ISR below this (Kafka's broker-wide
    /// `min.insync.replicas`).
    pub min_insync_replicas: usize,
    pub rpc: RpcParams,
}

impl Default for ControllerParams {
    fn default() -> Self {
        ControllerParams {
            broker_session_timeout: Duration::from_secs(9),
            session_check_interval: Duration::from_millis(500),
            raft_heartbeat_interval: Duration::from_millis(250),
            election_timeout_min: Duration::from_millis(500),
            election_timeout_max: Duration::from_millis(1000),
            active_lease: Duration::from_millis(800),
            lease_renew_interval: Duration::from_millis(250),
            proposal_timeout: Duration::from_secs(5),
            snapshot_every_entries: 200,
            entries_kept_after_snapshot: 50,
            entries_per_segment_max: 128,
            recent_batches_max: 1000,
            min_insync_replicas: 2,
            rpc: RpcParams::default(),
        }
    }
}

/// Who a controller is and who its peers are.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    pub id: ControllerId,
    /// Every voter of the quorum (this controller included) and its address.
    pub voters: BTreeMap<ControllerId, Address>,
    pub params: ControllerParams,
}

impl ControllerParams {
    pub(crate) fn raft_config(&self) -> openraft::Config {
        openraft::Config {
            cluster_name: "korasim-metadata".to_string(),
            heartbeat_interval: self.raft_heartbeat_interval.as_millis() as u64,
            election_timeout_min: self.election_timeout_min.as_millis() as u64,
            election_timeout_max: self.election_timeout_max.as_millis() as u64,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_every_entries),
            max_in_snapshot_log_to_keep: self.entries_kept_after_snapshot,
            ..Default::default()
        }
    }
}
