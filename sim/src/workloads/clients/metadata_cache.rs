//! A client's view of where partitions lead (Kafka's client metadata).
//!
//! The cache asks one broker at a time for `Metadata`, starting each refresh at the next
//! bootstrap address, so a broker that does not answer (or answers from a stale image) is
//! passed over on the next refresh. Any broker may answer from a stale image: the cache keeps
//! the answer with the highest metadata offset it has seen, and never goes back. It refreshes
//! when asked to (after an error that says the leader moved, or a timeout) and, before use,
//! when its answer is older than the refresh interval. Concurrent refreshes coalesce: a caller
//! that waited for someone else's refresh takes that one's answer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use korasim_core::broker::data_protocol::{BrokerRequest, BrokerResponse, ClusterMetadata};
use korasim_core::metadata::BrokerId;
use korasim_core::net::{Address, Rpc};
use tokio::time::Instant;

/// Where to send requests for one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLeader {
    pub broker: BrokerId,
    pub address: Address,
    pub leader_epoch: u64,
}

/// One client's metadata.
pub struct MetadataCache {
    rpc: Arc<Rpc>,
    bootstrap: Vec<Address>,
    request_timeout: Duration,
    refresh_interval: Duration,
    state: Mutex<CacheState>,
    /// Held while a refresh is under way, so concurrent refreshes coalesce.
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CacheState {
    metadata: Option<ClusterMetadata>,
    /// When a broker last answered.
    answered_at: Option<Instant>,
    /// Counts refreshes in which a broker answered.
    refreshes: u64,
    /// Which bootstrap address the next refresh asks first.
    next_bootstrap: usize,
}

impl MetadataCache {
    /// A cache that has not asked anyone yet; `first_bootstrap` spreads clients over brokers.
    pub fn new(
        rpc: Arc<Rpc>,
        bootstrap: Vec<Address>,
        request_timeout: Duration,
        refresh_interval: Duration,
        first_bootstrap: usize,
    ) -> Self {
        let next_bootstrap = if bootstrap.is_empty() {
            0
        } else {
            first_bootstrap % bootstrap.len()
        };
        MetadataCache {
            rpc,
            bootstrap,
            request_timeout,
            refresh_interval,
            state: Mutex::new(CacheState {
                next_bootstrap,
                ..CacheState::default()
            }),
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The partition's leader, refreshing first if the metadata is missing or older than the
    /// refresh interval. `None` when no broker answered or the partition has no live leader.
    pub async fn leader(&self, topic: &str, partition: u32) -> Option<PartitionLeader> {
        let stale = {
            let state = self.state();
            match state.answered_at {
                Some(at) => at.elapsed() >= self.refresh_interval,
                None => true,
            }
        };
        if stale {
            self.refresh().await;
        }
        self.cached_leader(topic, partition)
    }

    /// The partition's leader as the cache has it, without asking anyone.
    pub fn cached_leader(&self, topic: &str, partition: u32) -> Option<PartitionLeader> {
        let state = self.state();
        let metadata = state.metadata.as_ref()?;
        let info = metadata.partition(topic, partition)?;
        let broker = metadata.broker(info.leader?)?;
        Some(PartitionLeader {
            broker: broker.id,
            address: broker.address,
            leader_epoch: info.leader_epoch,
        })
    }

    /// The metadata offset of the answer kept, if any.
    pub fn metadata_offset(&self) -> Option<u64> {
        self.state().metadata.as_ref().and_then(|m| m.metadata_offset)
    }

    /// Asks brokers for metadata, one after another from the next bootstrap address, until
    /// one answers. Returns whether one did (now or in a refresh this call waited for).
    pub async fn refresh(&self) -> bool {
        let refreshes_before = self.state().refreshes;
        let _refreshing = self.refreshing.lock().await;
        if self.state().refreshes != refreshes_before {
            return true;
        }
        for _ in 0..self.bootstrap.len() {
            let address = {
                let mut state = self.state();
                let address = self.bootstrap[state.next_bootstrap];
                state.next_bootstrap = (state.next_bootstrap + 1) % self.bootstrap.len();
                address
            };
            let answer = self
                .rpc
                .call::<BrokerRequest, BrokerResponse>(
                    address,
                    &BrokerRequest::Metadata,
                    self.request_timeout,
                )
                .await;
            match answer {
                Ok(BrokerResponse::Metadata(metadata)) => {
                    self.accept(metadata);
                    return true;
                }
                Ok(other) => tracing::debug!(%address, ?other, "metadata request answered oddly"),
                Err(error) => tracing::debug!(%address, %error, "metadata request failed"),
            }
        }
        false
    }

    /// Keeps `metadata` unless the cache already holds a newer image.
    fn accept(&self, metadata: ClusterMetadata) {
        let mut state = self.state();
        let newer = match &state.metadata {
            Some(kept) => metadata.metadata_offset >= kept.metadata_offset,
            None => true,
        };
        if newer {
            state.metadata = Some(metadata);
        }
        state.answered_at = Some(Instant::now());
        state.refreshes += 1;
    }
}
