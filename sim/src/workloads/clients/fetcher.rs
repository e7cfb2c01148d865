//! One consumer fetch from a partition's leader, as the tailing consumers and the final read
//! both make it: the leader and its epoch from the metadata cache (KIP-320 fencing), a long
//! poll, and a metadata refresh after a failure that says the leader moved, or no answer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use korasim_core::broker::data_protocol::{BrokerRequest, BrokerResponse, FetchError, FetchOk};
use korasim_core::broker::log::Record;
use korasim_core::net::{Rpc, RpcError};
use tokio::time::Instant;

use super::metadata_cache::MetadataCache;
use super::params::WorkloadParams;

/// Why a fetch returned no records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FetchFailure {
    /// The metadata names no live leader for the partition (or no broker answered for it).
    NoLeader,
    Error(FetchError),
    NoAnswer(RpcError),
    /// The leader answered something other than a fetch answer.
    OddAnswer,
}

impl fmt::Display for FetchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchFailure::NoLeader => f.write_str("no leader known"),
            FetchFailure::Error(error) => write!(f, "{error}"),
            FetchFailure::NoAnswer(error) => write!(f, "{error}"),
            FetchFailure::OddAnswer => f.write_str("an answer that is not a fetch answer"),
        }
    }
}

/// Fetches from one partition for one consumer.
pub(super) struct Fetcher {
    rpc: Arc<Rpc>,
    cache: Arc<MetadataCache>,
    topic: String,
    partition: u32,
    max_bytes: u64,
    max_wait: Duration,
    request_timeout: Duration,
}

impl Fetcher {
    pub fn new(rpc: Arc<Rpc>, cache: Arc<MetadataCache>, params: &WorkloadParams, partition: u32) -> Self {
        Fetcher {
            rpc,
            cache,
            topic: params.topic.clone(),
            partition,
            max_bytes: params.fetch_max_bytes,
            max_wait: params.fetch_max_wait,
            request_timeout: params.request_timeout,
        }
    }

    /// Fetches from `offset`, waiting at most until `deadline` (if any) for the answer. After
    /// a failure the metadata is refreshed where that helps; backing off is the caller's.
    pub async fn fetch(&self, offset: u64, deadline: Option<Instant>) -> Result<FetchOk, FetchFailure> {
        let Some(leader) = self.cache.leader(&self.topic, self.partition).await else {
            self.cache.refresh().await;
            return Err(FetchFailure::NoLeader);
        };
        let mut timeout = self.max_wait + self.request_timeout;
        if let Some(deadline) = deadline {
            timeout = timeout.min(deadline.saturating_duration_since(Instant::now()));
        }
        let request = BrokerRequest::Fetch {
            topic: self.topic.clone(),
            partition: self.partition,
            fetch_offset: offset,
            max_bytes: self.max_bytes,
            current_leader_epoch: Some(leader.leader_epoch),
            replica: None,
            max_wait_ms: self.max_wait.as_millis() as u64,
        };
        let answer = self
            .rpc
            .call::<BrokerRequest, BrokerResponse>(leader.address, &request, timeout)
            .await;
        let failure = match answer {
            Ok(BrokerResponse::Fetch(Ok(fetched))) => return Ok(fetched),
            Ok(BrokerResponse::Fetch(Err(error))) => {
                if error.refreshes_metadata() {
                    self.cache.refresh().await;
                }
                FetchFailure::Error(error)
            }
            Ok(_) => FetchFailure::OddAnswer,
            Err(error) => {
                self.cache.refresh().await;
                FetchFailure::NoAnswer(error)
            }
        };
        tracing::debug!(topic = %self.topic, partition = self.partition, offset, %failure, "fetch failed");
        Err(failure)
    }
}

/// The records of `fetched` at or after `from` and below `until` (if given), with their
/// offsets, in order. A batch may start before the offset asked for.
pub(super) fn records_in(
    fetched: &FetchOk,
    from: u64,
    until: Option<u64>,
) -> impl Iterator<Item = (u64, &Record)> + '_ {
    fetched
        .batches
        .iter()
        .flat_map(|batch| {
            batch
                .records
                .iter()
                .enumerate()
                .map(move |(index, record)| (batch.base_offset + index as u64, record))
        })
        .filter(move |(offset, _)| *offset >= from && until.is_none_or(|until| *offset < until))
}
