//! The storage health manager (Kora's): watches this broker's storage operations and
//! restarts the broker when they make no progress, and keeps a broker whose storage is not
//! healthy out of the ISR.
//!
//! - **Progress** is judged on every disk operation of the broker (the disk is wrapped in a
//!   [`MonitoredDisk`]): when the oldest unfinished one has waited `stall_timeout`, storage
//!   has stopped. A probe (a small append and sync every `probe_interval`) makes sure there
//!   is always an operation to judge, even on an idle broker.
//! - **Restart**: the broker stops, and its process is started again (by whatever runs it:
//!   the simulated node, a pod). A stuck write often unsticks with a fresh process, and a
//!   restarted broker gives up its leaderships and ISR places at once instead of holding
//!   them while it cannot write.
//! - **Health** starts false in every life of the broker and turns true with the first probe
//!   that completes. The broker's heartbeats carry it, and the controller does not unfence a
//!   broker whose storage is not healthy: a fenced broker leads nothing and cannot join an
//!   ISR. A broker that starts with stalled storage therefore waits, fenced, instead of
//!   restarting again and again; only a broker whose storage was healthy in this life is
//!   restarted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::metadata::BrokerId;
use crate::observe::{Event, SharedObserver};
use crate::storage::{Disk, MonitoredDisk};

/// The storage health manager's thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageHealthParams {
    /// How often the probe writes, and how often progress is judged.
    pub probe_interval: Duration,
    /// An operation unfinished for this long means storage makes no progress.
    pub stall_timeout: Duration,
}

impl Default for StorageHealthParams {
    fn default() -> Self {
        StorageHealthParams {
            probe_interval: Duration::from_secs(1),
            stall_timeout: Duration::from_secs(10),
        }
    }
}

/// The probe's file; it is cut back to empty now and then so it never grows.
const PROBE_FILE: &str = "__storage_health/probe";
const PROBE_WRITES_PER_TRUNCATION: u64 = 100;

/// One broker's storage health, for its whole life.
pub struct StorageHealth {
    healthy: AtomicBool,
    restart: Notify,
}

impl StorageHealth {
    /// Starts the probe and the watch on the current node.
    pub fn start(
        broker: BrokerId,
        disk: Arc<MonitoredDisk>,
        params: StorageHealthParams,
        observer: SharedObserver,
    ) -> Arc<StorageHealth> {
        let health = Arc::new(StorageHealth {
            healthy: AtomicBool::new(false),
            restart: Notify::new(),
        });
        let prober = health.clone();
        let probe_disk = disk.clone();
        let probe_observer = observer.clone();
        let probe_interval = params.probe_interval;
        tokio::spawn(async move {
            prober
                .probe(broker, probe_disk, probe_interval, probe_observer)
                .await
        });
        let watcher = health.clone();
        tokio::spawn(async move { watcher.watch(broker, disk, params, observer).await });
        health
    }

    /// Whether a probe completed in this life of the broker (and storage has not stopped
    /// since: a stop ends the life).
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// Completes when the broker must restart.
    pub async fn restart_requested(&self) {
        self.restart.notified().await
    }

    async fn probe(
        &self,
        broker: BrokerId,
        disk: Arc<MonitoredDisk>,
        interval: Duration,
        observer: SharedObserver,
    ) {
        let mut writes = 0u64;
        loop {
            let written = async {
                if writes.is_multiple_of(PROBE_WRITES_PER_TRUNCATION) {
                    disk.truncate(PROBE_FILE, 0).await.or_else(|error| match error {
                        crate::storage::DiskError::NotFound { .. } => Ok(()),
                        other => Err(other),
                    })?;
                }
                disk.append(PROBE_FILE, &writes.to_le_bytes()).await?;
                disk.sync(PROBE_FILE).await
            }
            .await;
            writes += 1;
            match written {
                Ok(()) if !self.healthy.swap(true, Ordering::SeqCst) => {
                    observer.record(Event::StorageHealthy { broker });
                }
                Ok(()) => {}
                Err(error) => tracing::debug!(broker, %error, "storage probe failed"),
            }
            tokio::time::sleep(interval).await;
            // Buggify: a storage probe late (the probing thread descheduled): a late probe is
            // not a stalled disk; only an operation in flight for `stall_timeout` is.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(interval)).await;
            }
        }
    }

    async fn watch(
        &self,
        broker: BrokerId,
        disk: Arc<MonitoredDisk>,
        params: StorageHealthParams,
        observer: SharedObserver,
    ) {
        loop {
            tokio::time::sleep(params.probe_interval).await;
            let progress = disk.progress();
            if progress.oldest_in_flight < params.stall_timeout || !self.is_healthy() {
                continue;
            }
            observer.record(Event::StorageStalled {
                broker,
                oldest_operation_ms: progress.oldest_in_flight.as_millis() as u64,
                operations_in_flight: progress.in_flight as u64,
                operations_completed: progress.completed,
            });
            self.healthy.store(false, Ordering::SeqCst);
            self.restart.notify_one();
            return;
        }
    }
}
