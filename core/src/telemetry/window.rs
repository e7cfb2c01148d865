//! One broker's metrics window: recorded as requests finish, taken whole by a scrape.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::histogram::{LatencyHistogram, LatencySummary};
use crate::storage::MonitoredDisk;

/// The requests whose handling time is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Produce,
    /// A consumer's fetch (a follower's fetch waits for data on purpose and says nothing
    /// about the broker's health).
    ConsumerFetch,
}

/// What a scrape returns: the broker's metrics since the previous scrape.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TelemetrySnapshot {
    pub window_ms: u64,
    pub produce: LatencySummary,
    pub produce_errors: u64,
    pub consumer_fetch: LatencySummary,
    pub consumer_fetch_errors: u64,
    /// Appends and syncs.
    pub disk_write: LatencySummary,
    pub disk_read: LatencySummary,
    pub disk_errors: u64,
    /// How long the oldest unfinished disk operation had waited at the scrape.
    pub disk_oldest_in_flight_ms: u64,
    /// The largest gap, in records, between a partition's leader's log end as last heard in a
    /// fetch answer and this broker's log end as its follower.
    pub follower_lag_max_records: u64,
}

#[derive(Default)]
struct Window {
    produce: LatencyHistogram,
    produce_errors: u64,
    consumer_fetch: LatencyHistogram,
    consumer_fetch_errors: u64,
}

/// Where a broker's request handlers record, and what a scrape reads.
pub struct BrokerTelemetry {
    disk: Arc<MonitoredDisk>,
    window: Mutex<(Instant, Window)>,
}

impl BrokerTelemetry {
    pub fn new(disk: Arc<MonitoredDisk>) -> Self {
        BrokerTelemetry {
            disk,
            window: Mutex::new((Instant::now(), Window::default())),
        }
    }

    pub fn record_request(&self, kind: RequestKind, latency: Duration, succeeded: bool) {
        let mut guard = self.lock();
        let window = &mut guard.1;
        let latency_us = latency.as_micros() as u64;
        match kind {
            RequestKind::Produce => {
                window.produce.record_us(latency_us);
                window.produce_errors += u64::from(!succeeded);
            }
            RequestKind::ConsumerFetch => {
                window.consumer_fetch.record_us(latency_us);
                window.consumer_fetch_errors += u64::from(!succeeded);
            }
        }
    }

    /// Takes the window since the previous scrape and starts a new one. The follower lag is
    /// measured by the caller (the replica manager knows its followers).
    pub fn scrape(&self, follower_lag_max_records: u64) -> TelemetrySnapshot {
        let (started, window) = {
            let mut guard = self.lock();
            std::mem::replace(&mut *guard, (Instant::now(), Window::default()))
        };
        let disk = self.disk.take_latencies();
        TelemetrySnapshot {
            window_ms: started.elapsed().as_millis() as u64,
            produce: window.produce.summary(),
            produce_errors: window.produce_errors,
            consumer_fetch: window.consumer_fetch.summary(),
            consumer_fetch_errors: window.consumer_fetch_errors,
            disk_write: disk.write.summary(),
            disk_read: disk.read.summary(),
            disk_errors: disk.errors,
            disk_oldest_in_flight_ms: self.disk.progress().oldest_in_flight.as_millis() as u64,
            follower_lag_max_records,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Instant, Window)> {
        self.window
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
