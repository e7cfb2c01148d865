//! Tiered storage on the broker (Confluent's tier archiver, tier-topic consumer and remote
//! fetcher).
//!
//! - `materializer.rs`: every broker consumes the committed records of every tier-metadata
//!   partition and applies them to its [`TierState`] (one long-lived task per tier partition).
//! - `publisher.rs`: writes a record to the tier-metadata topic (`acks=all`) and waits until
//!   this broker has applied it, so that the writer acts on committed state only.
//! - `archiver.rs`: one task per partition this broker leads: initialise the tier epoch,
//!   upload rolled segments below the high watermark, delete remote segments past total
//!   retention, collect orphans (`uploader.rs`, `remote_retention.rs`, `orphans.rs`).
//! - `local_retention.rs`: on every replica, deletes local segments that are tiered (their
//!   copy-finished record committed) once local retention says so.
//! - `remote_fetch.rs`: serves a consumer's fetch below the local log start from the store.

mod archiver;
mod local_retention;
mod materializer;
mod object_audit;
mod orphans;
mod publisher;
mod remote_fetch;
mod remote_retention;
mod uploader;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::{lock, ReplicaManager};
use crate::object_store::SharedObjectStore;
use crate::tier::{RemoteCache, TierParams, TierPartitionState, TierState, TIER_TOPIC};

pub(super) use remote_fetch::RemoteFetch;

/// A broker's tiering machinery, present when it has an object store.
pub(super) struct Tiering {
    store: SharedObjectStore,
    params: TierParams,
    state: Mutex<TierState>,
    /// The next offset to apply, per tier partition.
    applied_offsets: Mutex<BTreeMap<u32, u64>>,
    /// Raised whenever a record is applied.
    applied: Notify,
    cache: Mutex<RemoteCache>,
}

impl Tiering {
    pub fn new(store: SharedObjectStore, params: TierParams) -> Self {
        Tiering {
            cache: Mutex::new(RemoteCache::new(params.remote_cache_bytes)),
            store,
            params,
            state: Mutex::new(TierState::default()),
            applied_offsets: Mutex::new(BTreeMap::new()),
            applied: Notify::new(),
        }
    }

    /// The tier state of one partition as this broker has materialised it.
    pub fn partition_state(&self, topic: &str, partition: u32) -> TierPartitionState {
        lock(&self.state)
            .partition(topic, partition)
            .cloned()
            .unwrap_or_default()
    }

    fn applied_offset(&self, tier_partition: u32) -> u64 {
        lock(&self.applied_offsets)
            .get(&tier_partition)
            .copied()
            .unwrap_or(0)
    }

    /// Waits until the record at `offset` of `tier_partition` has been applied here.
    async fn wait_applied(&self, tier_partition: u32, offset: u64) {
        loop {
            let applied = self.applied.notified();
            if self.applied_offset(tier_partition) > offset {
                return;
            }
            applied.await;
        }
    }
}

/// Whether `topic` is tiered: every topic but the tier-metadata topic itself.
pub(super) fn is_tiered_topic(topic: &str) -> bool {
    topic != TIER_TOPIC
}

impl ReplicaManager {
    /// Gives the broker an object store: tiering starts (the materializers and the local
    /// retention task; archivers start with each leadership). Call once, after `start`.
    pub fn start_tiering(self: &Arc<Self>, store: SharedObjectStore) {
        if !self.params.tier.enabled {
            return;
        }
        if self
            .tiering
            .set(Arc::new(Tiering::new(store, self.params.tier.clone())))
            .is_err()
        {
            return;
        }
        for tier_partition in 0..self.params.tier.tier_partition_count {
            let manager = self.clone();
            tokio::spawn(async move { manager.materialize(tier_partition).await });
        }
        let manager = self.clone();
        tokio::spawn(async move { manager.retain_locally_periodically().await });
    }

    pub(super) fn tiering(&self) -> Option<&Arc<Tiering>> {
        self.tiering.get()
    }
}

/// Milliseconds since the Unix epoch on this broker's clock (simulated under madsim), the
/// clock batch timestamps and object ages are measured in.
pub(in super::super) fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}
