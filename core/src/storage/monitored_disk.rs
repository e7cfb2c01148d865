//! A [`Disk`] that watches its own operations: how many are in flight and for how long, how
//! many finished or failed, and how long they took. The storage health manager judges
//! progress from it, and it is the broker's disk telemetry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::time::Instant;

use super::{Disk, DiskError};
use crate::telemetry::LatencyHistogram;

/// What the disk's operations are doing, at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageProgress {
    pub in_flight: usize,
    /// How long the oldest unfinished operation has been waiting (zero when none is).
    pub oldest_in_flight: Duration,
    pub completed: u64,
    pub failed: u64,
    /// The slowest completed operation so far.
    pub latency_max: Duration,
}

#[derive(Default)]
struct Ledger {
    next_id: u64,
    in_flight: BTreeMap<u64, (Instant, OperationClass)>,
    completed: u64,
    failed: u64,
    latency_max: Duration,
    /// Latencies since the last [`MonitoredDisk::take_latencies`].
    latencies: DiskLatencies,
}

/// Disk operation latencies over a window, for telemetry.
#[derive(Debug, Clone, Default)]
pub struct DiskLatencies {
    /// Appends and syncs: what a slow device slows down for producers.
    pub write: LatencyHistogram,
    pub read: LatencyHistogram,
    pub errors: u64,
}

/// Which latency an operation counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OperationClass {
    Write,
    Read,
    /// Listing, deleting, truncating, asking a length: rare and not what slows requests.
    Other,
}

pub struct MonitoredDisk {
    inner: Arc<dyn Disk>,
    ledger: Mutex<Ledger>,
}

impl MonitoredDisk {
    pub fn new(inner: Arc<dyn Disk>) -> Self {
        MonitoredDisk {
            inner,
            ledger: Mutex::new(Ledger::default()),
        }
    }

    pub fn progress(&self) -> StorageProgress {
        let ledger = self.ledger();
        StorageProgress {
            in_flight: ledger.in_flight.len(),
            oldest_in_flight: ledger
                .in_flight
                .values()
                .map(|(started, _)| *started)
                .min()
                .map(|started| started.elapsed())
                .unwrap_or_default(),
            completed: ledger.completed,
            failed: ledger.failed,
            latency_max: ledger.latency_max,
        }
    }

    /// The latencies since the previous call, and a fresh window.
    pub fn take_latencies(&self) -> DiskLatencies {
        std::mem::take(&mut self.ledger().latencies)
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn watched<T>(
        &self,
        class: OperationClass,
        operation: impl std::future::Future<Output = Result<T, DiskError>>,
    ) -> Result<T, DiskError> {
        let id = {
            let mut ledger = self.ledger();
            let id = ledger.next_id;
            ledger.next_id += 1;
            ledger.in_flight.insert(id, (Instant::now(), class));
            id
        };
        // The entry must go even if the caller drops this future half-way (a timed-out
        // request), or a cancelled operation would look stuck forever.
        let guard = InFlight { disk: self, id };
        let outcome = operation.await;
        guard.finish(outcome.is_ok());
        outcome
    }
}

struct InFlight<'a> {
    disk: &'a MonitoredDisk,
    id: u64,
}

impl InFlight<'_> {
    fn finish(self, succeeded: bool) {
        let mut ledger = self.disk.ledger();
        if let Some((started, class)) = ledger.in_flight.remove(&self.id) {
            let latency = started.elapsed();
            ledger.latency_max = ledger.latency_max.max(latency);
            if succeeded {
                ledger.completed += 1;
            } else {
                ledger.failed += 1;
                ledger.latencies.errors += 1;
            }
            let latency_us = latency.as_micros() as u64;
            match class {
                OperationClass::Write => ledger.latencies.write.record_us(latency_us),
                OperationClass::Read => ledger.latencies.read.record_us(latency_us),
                OperationClass::Other => {}
            }
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.disk.ledger().in_flight.remove(&self.id);
    }
}

#[async_trait]
impl Disk for MonitoredDisk {
    async fn append(&self, file: &str, data: &[u8]) -> Result<u64, DiskError> {
        self.watched(OperationClass::Write, self.inner.append(file, data))
            .await
    }

    async fn read(&self, file: &str, offset: u64, length_bytes: u64) -> Result<Bytes, DiskError> {
        self.watched(OperationClass::Read, self.inner.read(file, offset, length_bytes))
            .await
    }

    async fn length(&self, file: &str) -> Result<u64, DiskError> {
        self.watched(OperationClass::Other, self.inner.length(file)).await
    }

    async fn sync(&self, file: &str) -> Result<(), DiskError> {
        self.watched(OperationClass::Write, self.inner.sync(file)).await
    }

    async fn truncate(&self, file: &str, length_bytes: u64) -> Result<(), DiskError> {
        self.watched(OperationClass::Other, self.inner.truncate(file, length_bytes))
            .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, DiskError> {
        self.watched(OperationClass::Other, self.inner.list(prefix)).await
    }

    async fn delete(&self, file: &str) -> Result<(), DiskError> {
        self.watched(OperationClass::Other, self.inner.delete(file)).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::Notify;

    use super::*;

    /// A disk whose syncs wait until released, as a stalled device does.
    #[derive(Default)]
    struct GatedDisk {
        release: Notify,
    }

    #[async_trait]
    impl Disk for GatedDisk {
        async fn append(&self, _file: &str, _data: &[u8]) -> Result<u64, DiskError> {
            Ok(0)
        }
        async fn read(&self, _file: &str, _offset: u64, _length_bytes: u64) -> Result<Bytes, DiskError> {
            Ok(Bytes::new())
        }
        async fn length(&self, _file: &str) -> Result<u64, DiskError> {
            Ok(0)
        }
        async fn sync(&self, _file: &str) -> Result<(), DiskError> {
            self.release.notified().await;
            Ok(())
        }
        async fn truncate(&self, _file: &str, _length_bytes: u64) -> Result<(), DiskError> {
            Ok(())
        }
        async fn list(&self, _prefix: &str) -> Result<Vec<String>, DiskError> {
            Ok(Vec::new())
        }
        async fn delete(&self, file: &str) -> Result<(), DiskError> {
            Err(DiskError::NotFound {
                file: file.to_string(),
            })
        }
    }

    fn run(test: impl std::future::Future<Output = ()> + 'static) {
        madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(test);
    }

    #[test]
    fn a_stuck_operation_shows_as_in_flight_for_as_long_as_it_waits() {
        run(async {
            let gated = Arc::new(GatedDisk::default());
            let disk = Arc::new(MonitoredDisk::new(gated.clone()));
            disk.append("f", b"x").await.unwrap();
            let syncing = disk.clone();
            let sync = tokio::spawn(async move { syncing.sync("f").await });
            tokio::time::sleep(Duration::from_secs(3)).await;
            let progress = disk.progress();
            assert_eq!(progress.in_flight, 1);
            assert!(
                progress.oldest_in_flight >= Duration::from_millis(2900),
                "{progress:?}"
            );
            assert_eq!(progress.completed, 1);
            gated.release.notify_one();
            sync.await.unwrap().unwrap();
            let progress = disk.progress();
            assert_eq!(progress.in_flight, 0);
            assert_eq!(progress.oldest_in_flight, Duration::ZERO);
            assert_eq!(progress.completed, 2);
            assert!(
                progress.latency_max >= Duration::from_millis(2900),
                "{progress:?}"
            );
        });
    }

    #[test]
    fn failures_count_and_an_abandoned_operation_is_not_left_in_flight() {
        run(async {
            let disk = Arc::new(MonitoredDisk::new(Arc::new(GatedDisk::default())));
            assert!(disk.delete("missing").await.is_err());
            let syncing = disk.clone();
            let abandoned =
                tokio::time::timeout(Duration::from_secs(1), async move { syncing.sync("f").await }).await;
            assert!(abandoned.is_err());
            let progress = disk.progress();
            assert_eq!(progress.failed, 1);
            assert_eq!(progress.in_flight, 0);
        });
    }
}
