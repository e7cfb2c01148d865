//! The simulated disk: a node's files, kept by the world across the node's crashes, with the
//! durability rules of a real file system applied to the letter and faults on demand.
//!
//! # Model
//!
//! Each file has a *visible* copy, which reads see, and a *durable* copy, which is what the
//! medium holds and what survives a crash.
//!
//! - **Writes.** `append` and `truncate` change the visible copy at once, so later reads see
//!   them, but they reach the durable copy only when a `sync` of that same file returns `Ok`.
//!   A file is created by its first append; it is listed and readable at once.
//! - **Crash.** [`SimDisk::crash`], called by the world when it kills the node, drops every
//!   unsynced change of every file: each file returns to its last synced contents, so a
//!   truncate that was not synced is undone as well. A file that was never synced
//!   disappears entirely, even when a torn write would otherwise have left part of it,
//!   because its creation was never made durable either. Everything synced before the crash
//!   is there afterwards.
//! - **Torn final write.** With the probability passed to `crash`, a file whose last write was
//!   an unsynced append of at least two bytes keeps a strict prefix of that append (between
//!   one byte and all but one, uniformly) right after its durable contents, as if the medium
//!   had been partway through writing it. Earlier unsynced appends are still lost. The torn
//!   prefix is on the medium, so it is durable from then on.
//! - **Delete** is durable as soon as it returns: a deleted file stays deleted after a crash.
//! - **Latency.** Every operation sleeps in simulated time for a latency drawn from the
//!   disk's own seeded random number generator (see [`DiskLatencyProfile`]), scaled by the
//!   latency multiplier, and then takes effect at once. An operation whose future is
//!   dropped before then (its node was killed) has no effect at all.
//! - **Capacity** counts the visible bytes of all files. An append that would exceed it fails
//!   with [`DiskError::NoSpace`] and changes nothing.
//!
//! # Faults
//!
//! The world can, at any time and through `&self`: slow the disk down
//! ([`SimDisk::set_latency_multiplier`]); stall it so that no operation makes progress,
//! including those already waiting out their latency, until [`SimDisk::release_stall`];
//! make operations fail with [`DiskError::Io`] ([`SimDisk::set_error_probability`],
//! [`SimDisk::fail_next`]), in which case a failed append, truncate or delete changes nothing
//! and a failed sync leaves the file unsynced; fill the disk
//! ([`SimDisk::set_capacity_bytes`]); and rot the medium by flipping a bit
//! ([`SimDisk::flip_bit`], [`SimDisk::flip_random_bit`]), which changes the stored data in
//! both copies without any error being reported.
//!
//! # Determinism
//!
//! All randomness comes from a ChaCha generator seeded at construction, files are kept in
//! name order, and time is madsim's simulated time, so a run is reproduced by its seeds.
//! Injected faults are logged with `tracing::debug!`; ordinary operations are not logged.

mod faults;
mod latency;
mod model;
mod stall;
mod stats;
#[cfg(test)]
mod tests;

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use korasim_core::storage::{Disk, DiskError, DiskOperation};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use latency::{DiskLatencyProfile, OperationLatency};
pub use model::{CrashReport, TornWrite};
pub use stats::DiskStats;

use faults::InjectedErrors;
use model::FileTable;
use stall::StallGate;

/// How a disk behaves when no fault is active.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiskConfig {
    pub latency: DiskLatencyProfile,
    /// Total visible bytes the disk can hold; `None` for unlimited.
    pub capacity_bytes: Option<u64>,
    /// Writes (appends, syncs, truncates, deletes) per second the device serves at most (a
    /// cloud volume's provisioned IOPS); `None` for unlimited. Writes beyond it queue, in
    /// arrival order. Reads are not limited: a broker's reads of recent data come from the
    /// page cache.
    pub operations_per_second_max: Option<f64>,
    /// Bytes per second the device writes at most; `None` for unlimited. A slow disk
    /// (latency multiplier `m`) serves `1/m` of both limits: this is what makes a slowed
    /// follower fall behind under load rather than merely answer later.
    pub write_bytes_per_second_max: Option<f64>,
}

impl DiskConfig {
    /// A cloud block volume (an AWS gp3 volume's baseline), scaled down as the simulated
    /// workload is: 3,000 writes per second, and 2 MiB/s where gp3 writes 125 MiB/s, because
    /// a simulated cluster carries about a thousand records a second, not a hundred
    /// thousand (as log segments are 1 MiB here, not 1 GiB).
    pub fn cloud_volume() -> Self {
        DiskConfig {
            operations_per_second_max: Some(CLOUD_VOLUME_WRITES_PER_SECOND),
            write_bytes_per_second_max: Some(CLOUD_VOLUME_WRITE_BYTES_PER_SECOND),
            ..DiskConfig::default()
        }
    }
}

const CLOUD_VOLUME_WRITES_PER_SECOND: f64 = 3000.0;
const CLOUD_VOLUME_WRITE_BYTES_PER_SECOND: f64 = 2.0 * 1024.0 * 1024.0;

impl DiskConfig {
    /// A disk of unlimited size on which no simulated time passes; for unit tests.
    pub fn without_latency() -> Self {
        DiskConfig {
            latency: DiskLatencyProfile::ZERO,
            capacity_bytes: None,
            operations_per_second_max: None,
            write_bytes_per_second_max: None,
        }
    }
}

/// A simulated disk. See the module documentation for its model.
#[derive(Debug)]
pub struct SimDisk {
    name: String,
    config: DiskConfig,
    state: Mutex<DiskState>,
    stall_gate: StallGate,
}

/// Everything that changes, behind one lock that is never held across an await.
#[derive(Debug)]
struct DiskState {
    files: FileTable,
    random: ChaCha8Rng,
    latency_multiplier: f64,
    capacity_bytes: Option<u64>,
    injected_errors: InjectedErrors,
    stats: DiskStats,
    /// When the device is free to start the next operation (with an operation rate limit).
    next_service_slot: Option<tokio::time::Instant>,
}

impl SimDisk {
    pub fn new(name: &str, config: DiskConfig, seed: u64) -> Self {
        let state = DiskState {
            files: FileTable::default(),
            random: ChaCha8Rng::seed_from_u64(seed),
            latency_multiplier: 1.0,
            capacity_bytes: config.capacity_bytes,
            injected_errors: InjectedErrors::default(),
            stats: DiskStats::default(),
            next_service_slot: None,
        };
        SimDisk {
            name: name.to_string(),
            config,
            state: Mutex::new(state),
            stall_gate: StallGate::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &DiskConfig {
        &self.config
    }

    /// Drops every unsynced change, as a power loss would; see the module documentation.
    /// `torn_write_probability` is the chance, per file, that a final unsynced append is
    /// torn rather than lost; 0.0 gives a clean crash.
    ///
    /// Call it once the node's tasks are gone: an operation still in flight afterwards would
    /// take effect on the crashed contents.
    pub fn crash(&self, torn_write_probability: f64) -> CrashReport {
        assert!(
            (0.0..=1.0).contains(&torn_write_probability),
            "a torn write probability must lie in [0, 1], not {torn_write_probability}"
        );
        let mut state = self.lock_state();
        let state = &mut *state;
        let report = state.files.crash(torn_write_probability, &mut state.random);
        tracing::debug!(
            disk = %self.name,
            removed_files = ?report.removed_files,
            reverted_files = ?report.reverted_files,
            torn_writes = ?report.torn_writes,
            "disk crashed: unsynced changes dropped"
        );
        report
    }

    /// Scales the latency of operations that start from now on; 1.0 is normal speed, 20.0
    /// twenty times slower.
    pub fn set_latency_multiplier(&self, latency_multiplier: f64) {
        assert!(
            latency_multiplier.is_finite() && latency_multiplier >= 0.0,
            "a latency multiplier must be finite and not negative, not {latency_multiplier}"
        );
        tracing::debug!(disk = %self.name, latency_multiplier, "disk latency multiplier set");
        self.lock_state().latency_multiplier = latency_multiplier;
    }

    pub fn latency_multiplier(&self) -> f64 {
        self.lock_state().latency_multiplier
    }

    /// Stops all progress: new and waiting operations alike wait for [`SimDisk::release_stall`].
    pub fn stall(&self) {
        tracing::debug!(disk = %self.name, "disk stalled");
        self.stall_gate.set_stalled(true);
    }

    /// Lets stalled operations go on with whatever latency they had left.
    pub fn release_stall(&self) {
        tracing::debug!(disk = %self.name, "disk stall released");
        self.stall_gate.set_stalled(false);
    }

    pub fn is_stalled(&self) -> bool {
        self.stall_gate.is_stalled()
    }

    /// Makes each later operation of this kind fail with an I/O error with this probability.
    pub fn set_error_probability(&self, operation: DiskOperation, probability: f64) {
        tracing::debug!(disk = %self.name, %operation, probability, "disk error probability set");
        self.lock_state()
            .injected_errors
            .set_failure_probability(operation, probability);
    }

    /// Makes the next `count` operations of this kind to complete fail with an I/O error,
    /// replacing any count set before.
    pub fn fail_next(&self, operation: DiskOperation, count: u64) {
        tracing::debug!(disk = %self.name, %operation, count, "disk will fail the next operations");
        self.lock_state().injected_errors.fail_next(operation, count);
    }

    /// Changes the capacity; lowering it below the bytes in use makes every non-empty append
    /// fail until space is freed.
    pub fn set_capacity_bytes(&self, capacity_bytes: Option<u64>) {
        tracing::debug!(disk = %self.name, ?capacity_bytes, "disk capacity set");
        self.lock_state().capacity_bytes = capacity_bytes;
    }

    /// Ends every fault except rotten bits: normal speed, no stall, no injected errors and the
    /// configured capacity.
    /// Forgets every file, freeing their memory; for the end of a run, when nothing will
    /// read the disk again.
    pub fn discard_everything(&self) {
        self.lock_state().files = FileTable::default();
    }

    pub fn clear_faults(&self) {
        tracing::debug!(disk = %self.name, "disk faults cleared");
        {
            let mut state = self.lock_state();
            state.latency_multiplier = 1.0;
            state.injected_errors = InjectedErrors::default();
            state.capacity_bytes = self.config.capacity_bytes;
        }
        self.stall_gate.set_stalled(false);
    }

    /// Flips bit `bit_index % 8` of byte `bit_index / 8` of `file`, in the visible and the
    /// durable copy alike, without any operation reporting an error.
    pub fn flip_bit(&self, file: &str, bit_index: u64) -> Result<(), DiskError> {
        self.lock_state().files.flip_bit(file, bit_index)?;
        tracing::debug!(disk = %self.name, file, bit_index, "disk bit flipped");
        Ok(())
    }

    /// Flips one bit chosen uniformly among all stored bytes and says where; `None` when the
    /// disk holds no data.
    pub fn flip_random_bit<R: Rng + ?Sized>(&self, random: &mut R) -> Option<(String, u64)> {
        let location = self.lock_state().files.flip_random_bit(random);
        if let Some((file, bit_index)) = &location {
            tracing::debug!(disk = %self.name, file, bit_index, "disk bit flipped");
        }
        location
    }

    /// The files whose names start with `prefix`, without latency or faults (for fault
    /// injection that picks a file).
    pub fn list_files(&self, prefix: &str) -> Vec<String> {
        self.lock_state().files.list(prefix)
    }

    /// What `file` holds now, as a read would return it, or `None` when it does not exist; for
    /// checks of observed state, without latency or faults.
    pub fn visible_contents(&self, file: &str) -> Option<Bytes> {
        self.lock_state().files.visible_contents(file).map(Bytes::from)
    }

    /// What `file` would contain after a crash right now (ignoring torn writes), or `None`
    /// when it would not exist; for durability audits, without latency or faults.
    pub fn durable_contents(&self, file: &str) -> Option<Bytes> {
        self.lock_state().files.durable_contents(file).map(Bytes::from)
    }

    pub fn stats(&self) -> DiskStats {
        let state = self.lock_state();
        DiskStats {
            used_bytes: state.files.used_bytes(),
            ..state.stats.clone()
        }
    }

    pub fn used_bytes(&self) -> u64 {
        self.lock_state().files.used_bytes()
    }

    fn lock_state(&self) -> MutexGuard<'_, DiskState> {
        // Every change to the state is made in one short block without awaits, so a panic
        // elsewhere cannot leave it half changed; a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// For a write on a rate-limited device: how long it waits for the device to be free and
    /// then be served, reserving its service slot (`multiplier × (1 / operations rate + bytes / byte rate)`).
    fn queueing_delay(
        &self,
        state: &mut DiskState,
        operation: DiskOperation,
        transfer_bytes: u64,
    ) -> std::time::Duration {
        let is_write = matches!(
            operation,
            DiskOperation::Append | DiskOperation::Sync | DiskOperation::Truncate | DiskOperation::Delete
        );
        let per_operation = self.config.operations_per_second_max.filter(|rate| *rate > 0.0);
        let per_byte = self.config.write_bytes_per_second_max.filter(|rate| *rate > 0.0);
        if !is_write || (per_operation.is_none() && per_byte.is_none()) {
            return std::time::Duration::ZERO;
        }
        let service_seconds = per_operation.map_or(0.0, |rate| 1.0 / rate)
            + per_byte.map_or(0.0, |rate| transfer_bytes as f64 / rate);
        let now = tokio::time::Instant::now();
        let start = state.next_service_slot.map_or(now, |slot| slot.max(now));
        let slot = std::time::Duration::from_secs_f64(state.latency_multiplier.max(0.0) * service_seconds);
        state.next_service_slot = Some(start + slot);
        // Waiting for the writes ahead, then its own service time.
        (start + slot) - now
    }

    /// Runs one operation: waits out its latency (frozen while stalled), then either injects
    /// an I/O error or applies `effect`, and counts the outcome.
    async fn perform<T>(
        &self,
        operation: DiskOperation,
        file: &str,
        transfer_bytes: u64,
        effect: impl FnOnce(&mut DiskState) -> Result<T, DiskError>,
    ) -> Result<T, DiskError> {
        let latency = {
            let mut state = self.lock_state();
            let state = &mut *state;
            state.stats.in_flight_operations += 1;
            let latency = self.config.latency.sample(
                operation,
                transfer_bytes,
                state.latency_multiplier,
                &mut state.random,
            );
            latency + self.queueing_delay(state, operation, transfer_bytes)
        };
        let in_flight = InFlightOperation { disk: self };
        self.stall_gate.wait_out(latency).await;
        drop(in_flight);

        let mut state = self.lock_state();
        let state = &mut *state;
        let outcome = if state.injected_errors.should_fail(operation, &mut state.random) {
            tracing::debug!(disk = %self.name, %operation, file, "disk injected an I/O error");
            state.stats.injected_errors += 1;
            Err(DiskError::Io {
                operation,
                file: file.to_string(),
            })
        } else {
            effect(state)
        };
        state.stats.record_outcome(operation, &outcome);
        outcome
    }
}

/// Counts an operation as in flight until it returns or its future is dropped.
struct InFlightOperation<'a> {
    disk: &'a SimDisk,
}

impl Drop for InFlightOperation<'_> {
    fn drop(&mut self) {
        self.disk.lock_state().stats.in_flight_operations -= 1;
    }
}

#[async_trait]
impl Disk for SimDisk {
    async fn append(&self, file: &str, data: &[u8]) -> Result<u64, DiskError> {
        self.perform(DiskOperation::Append, file, data.len() as u64, |state| {
            let offset = state.files.append(file, data, state.capacity_bytes)?;
            state.stats.written_bytes += data.len() as u64;
            Ok(offset)
        })
        .await
    }

    async fn read(&self, file: &str, offset: u64, length_bytes: u64) -> Result<Bytes, DiskError> {
        let transfer_bytes = self.lock_state().files.readable_bytes(file, offset, length_bytes);
        self.perform(DiskOperation::Read, file, transfer_bytes, |state| {
            let data = state.files.read(file, offset, length_bytes)?;
            state.stats.read_bytes += data.len() as u64;
            Ok(data)
        })
        .await
    }

    async fn length(&self, file: &str) -> Result<u64, DiskError> {
        self.perform(DiskOperation::Length, file, 0, |state| state.files.length(file))
            .await
    }

    async fn sync(&self, file: &str) -> Result<(), DiskError> {
        self.perform(DiskOperation::Sync, file, 0, |state| state.files.sync(file))
            .await
    }

    async fn truncate(&self, file: &str, length_bytes: u64) -> Result<(), DiskError> {
        self.perform(DiskOperation::Truncate, file, 0, |state| {
            state.files.truncate(file, length_bytes)
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, DiskError> {
        self.perform(DiskOperation::List, prefix, 0, |state| {
            Ok(state.files.list(prefix))
        })
        .await
    }

    async fn delete(&self, file: &str) -> Result<(), DiskError> {
        self.perform(DiskOperation::Delete, file, 0, |state| {
            state.files.delete(file);
            Ok(())
        })
        .await
    }
}
