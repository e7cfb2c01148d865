//! The replica manager: every partition replica this broker holds, and what the broker does
//! with each (Kafka's `ReplicaManager`).
//!
//! - **Roles come from metadata only.** After each metadata update the broker's role in every
//!   partition is recomputed with [`role_changes`] and applied here: become leader (record the
//!   epoch start, start tracking followers), become follower (start a follower task that
//!   truncates by leader epoch and then fetches), or idle. Metadata that does not yet show
//!   this broker's current registration is ignored: a broker that restarted must not act on
//!   leaderships of its previous life (its log may have lost an unflushed tail).
//! - **Leader**: `produce.rs` (acks 0, 1 and all, idempotent producers), `fetch.rs` (replica
//!   fetches move the high watermark; consumers only see what is below it; long polls), and
//!   `isr.rs` (a periodic task proposing ISR changes to the controller).
//! - **Follower**: `follower.rs`, one long-lived task per followed partition and role.
//! - **Durability**: `flusher.rs` syncs logs periodically (see
//!   [`BrokerParams::log_flush_interval`]).
//!
//! Every fact a checker needs (replica opened, leader or follower started, batch appended
//! with its checksum, truncation, high watermark moved, ISR change asked) is an event.

mod apply;
mod audit;
mod fetch;
mod flusher;
mod follower;
mod handler;
mod isr;
mod partition;
mod produce;
mod tiering;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::controller_client::ControllerClient;
use super::log::{PartitionLog, RecordBatch};
use super::params::BrokerParams;
use super::replication::role_changes;
use crate::metadata::{BrokerId, MetadataImage};
use crate::net::{Address, Rpc};
use crate::observe::{Event, SharedObserver};
use crate::storage::Disk;
pub use handler::DataPlaneHandler;
use partition::{log_directory, Partition};

/// Every partition replica of one broker.
pub struct ReplicaManager {
    broker: BrokerId,
    disk: Arc<dyn Disk>,
    params: BrokerParams,
    observer: SharedObserver,
    /// The broker's RPC endpoint and controller client, set once they are started (the
    /// request handler needs the manager first).
    rpc: OnceLock<Arc<Rpc>>,
    controller: OnceLock<Arc<ControllerClient>>,
    /// Tiered storage, once the broker has an object store (see `tiering/`).
    tiering: OnceLock<Arc<tiering::Tiering>>,
    /// Deliberate bugs a test harness may arm (see `broker::audit::InjectedBugs`).
    bugs: OnceLock<Arc<crate::broker::audit::InjectedBugs>>,
    /// The broker's current registration epoch; 0 before it registered.
    broker_epoch: AtomicU64,
    partitions: Mutex<BTreeMap<(String, u32), Arc<Partition>>>,
    /// The metadata image the roles were last computed from; held while they are applied,
    /// so that updates apply one at a time.
    applied: tokio::sync::Mutex<MetadataImage>,
    /// Broker addresses and fenced brokers from the applied image, for the tasks to read
    /// without waiting.
    cluster: Mutex<ClusterView>,
    /// The origin of the replication clock (time since the manager started).
    started: Instant,
}

#[derive(Default)]
struct ClusterView {
    addresses: BTreeMap<BrokerId, Address>,
    kept_out_of_isr: BTreeSet<BrokerId>,
    /// The leader and leader epoch of every partition that has a leader.
    leaders: BTreeMap<(String, u32), (BrokerId, u64)>,
}

impl ReplicaManager {
    pub fn new(
        broker: BrokerId,
        disk: Arc<dyn Disk>,
        params: BrokerParams,
        observer: SharedObserver,
    ) -> Arc<Self> {
        Arc::new(ReplicaManager {
            broker,
            disk,
            params,
            observer,
            rpc: OnceLock::new(),
            controller: OnceLock::new(),
            tiering: OnceLock::new(),
            bugs: OnceLock::new(),
            broker_epoch: AtomicU64::new(0),
            partitions: Mutex::new(BTreeMap::new()),
            applied: tokio::sync::Mutex::new(MetadataImage::default()),
            cluster: Mutex::new(ClusterView::default()),
            started: Instant::now(),
        })
    }

    /// Hands the manager the broker's RPC endpoint and controller client, and starts its
    /// background tasks (the flusher and the ISR check). Call once.
    pub fn start(self: &Arc<Self>, rpc: Arc<Rpc>, controller: Arc<ControllerClient>) {
        if self.rpc.set(rpc).is_err() || self.controller.set(controller).is_err() {
            return;
        }
        let flusher = self.clone();
        tokio::spawn(async move { flusher.flush_periodically().await });
        let isr = self.clone();
        tokio::spawn(async move { isr.check_isr_periodically().await });
        let audits = self.clone();
        tokio::spawn(async move { audits.audit_periodically().await });
    }

    /// Hands the manager the bugs a test harness may arm. Call once, before `start`.
    pub fn inject_bugs(&self, bugs: Arc<crate::broker::audit::InjectedBugs>) {
        let _ = self.bugs.set(bugs);
    }

    /// The broker registered with `epoch`: from now on, metadata showing that registration
    /// is acted on.
    pub fn set_broker_epoch(&self, epoch: u64) {
        self.broker_epoch.store(epoch, Ordering::SeqCst);
    }

    pub fn broker_epoch(&self) -> u64 {
        self.broker_epoch.load(Ordering::SeqCst)
    }

    /// Applies the roles `image` gives this broker. Ignored until the image shows this
    /// broker's current registration.
    pub async fn on_metadata(self: &Arc<Self>, image: &MetadataImage) {
        let epoch = self.broker_epoch();
        let registered = image.brokers.get(&self.broker).map(|state| state.epoch);
        if epoch == 0 || registered != Some(epoch) {
            return;
        }
        let mut applied = self.applied.lock().await;
        if applied.offset >= image.offset && applied.offset.is_some() {
            return;
        }
        {
            let mut cluster = lock(&self.cluster);
            cluster.addresses = image
                .brokers
                .iter()
                .map(|(&id, state)| (id, state.address))
                .collect();
            // Fenced brokers and brokers a mitigation marks ISR-ineligible: a leader never
            // proposes one of them for its ISR (KIP-841), because the controller refuses such
            // a proposal whole, removals included, and a lagging member would then never leave.
            cluster.kept_out_of_isr = image
                .brokers
                .keys()
                .copied()
                .filter(|&id| !image.may_join_isr(id))
                .collect();
            cluster.leaders = image
                .partitions()
                .filter_map(|state| {
                    let leader = state.leader?;
                    Some((
                        (state.topic.clone(), state.partition),
                        (leader, state.leader_epoch),
                    ))
                })
                .collect();
        }
        let changes = role_changes(&applied, image, self.broker);
        *applied = image.clone();
        for change in changes {
            self.apply_role_change(change).await;
        }
        self.rebuild_corrupt_replicas(image).await;
    }

    fn now(&self) -> Duration {
        Instant::now().duration_since(self.started)
    }

    fn record(&self, event: Event) {
        self.observer.record(event);
    }

    fn partition(&self, topic: &str, partition: u32) -> Option<Arc<Partition>> {
        lock(&self.partitions)
            .get(&(topic.to_string(), partition))
            .cloned()
    }

    fn all_partitions(&self) -> Vec<Arc<Partition>> {
        lock(&self.partitions).values().cloned().collect()
    }

    /// The partition's replica, opening its log from disk the first time.
    async fn partition_or_open(&self, topic: &str, partition: u32) -> Arc<Partition> {
        if let Some(existing) = self.partition(topic, partition) {
            return existing;
        }
        let directory = log_directory(topic, partition);
        let log = match PartitionLog::open(self.disk.clone(), &directory, self.params.log.clone()).await {
            Ok((log, _recovery)) => {
                self.record(Event::ReplicaOpened {
                    broker: self.broker,
                    topic: topic.to_string(),
                    partition,
                    log_start_offset: log.log_start_offset(),
                    log_end_offset: log.log_end_offset(),
                });
                Some(log)
            }
            Err(error) => {
                tracing::warn!(broker = self.broker, topic, partition, %error, "cannot open the partition log");
                None
            }
        };
        let opened = Arc::new(Partition::new(topic, partition, log));
        lock(&self.partitions)
            .entry((topic.to_string(), partition))
            .or_insert(opened)
            .clone()
    }

    fn address_of(&self, broker: BrokerId) -> Option<Address> {
        lock(&self.cluster).addresses.get(&broker).copied()
    }

    /// Where the leader of a partition is, and its epoch, as the applied metadata says.
    fn leader_of(&self, topic: &str, partition: u32) -> Option<(Address, u64)> {
        let cluster = lock(&self.cluster);
        let &(leader, epoch) = cluster.leaders.get(&(topic.to_string(), partition))?;
        Some((*cluster.addresses.get(&leader)?, epoch))
    }

    fn brokers_kept_out_of_isr(&self) -> BTreeSet<BrokerId> {
        lock(&self.cluster).kept_out_of_isr.clone()
    }

    fn rpc(&self) -> Option<&Arc<Rpc>> {
        self.rpc.get()
    }

    fn batch_appended(&self, partition: &Partition, batch: &RecordBatch) {
        self.record(Event::BatchAppended {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            base_offset: batch.base_offset,
            last_offset: batch.last_offset(),
            leader_epoch: batch.leader_epoch,
            checksum: crc32fast::hash(&batch.encode()),
        });
    }

    fn high_watermark_advanced(&self, partition: &Partition, leader_epoch: u64, high_watermark: u64) {
        self.record(Event::HighWatermarkAdvanced {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            leader_epoch,
            high_watermark,
        });
    }

    /// The largest follower lag among this broker's replicas, in records (telemetry).
    pub fn follower_lag_max_records(&self) -> u64 {
        lock(&self.partitions)
            .values()
            .map(|partition| {
                partition
                    .follower_lag_records
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .max()
            .unwrap_or(0)
    }

    fn replica_truncated(&self, partition: &Partition, log: &PartitionLog) {
        self.record(Event::ReplicaTruncated {
            broker: self.broker,
            topic: partition.topic.clone(),
            partition: partition.partition,
            log_start_offset: log.log_start_offset(),
            log_end_offset: log.log_end_offset(),
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere already failed the run; carry on regardless.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
