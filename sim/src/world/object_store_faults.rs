//! The object store's faults, as the world injects them: each written to the trace before it
//! takes effect, like every other fault. A world without an object store (tiered storage
//! off) notes the request and does nothing.

use std::sync::Arc;

use super::World;
use crate::devices::object_store::SimObjectStore;
use crate::faults::FaultEvent;

impl World {
    /// The object store, when tiered storage is on.
    pub fn object_store(&self) -> Option<Arc<SimObjectStore>> {
        self.state.object_store.clone()
    }

    fn store_for(&self, fault: &str) -> Option<Arc<SimObjectStore>> {
        let store = self.object_store();
        if store.is_none() {
            self.note(format!("{fault}: this world has no object store"));
        }
        store
    }

    /// Every request is refused (503 or no answer) until a matching
    /// [`World::end_object_store_outage`].
    pub fn start_object_store_outage(&self) {
        if let Some(store) = self.store_for("object-store outage") {
            self.fault(FaultEvent::ObjectStoreOutage);
            store.start_outage();
        }
    }

    pub fn end_object_store_outage(&self) {
        if let Some(store) = self.store_for("object-store outage end") {
            self.fault(FaultEvent::ObjectStoreOutageEnded);
            store.end_outage();
        }
    }

    /// A 503 storm: each request fails with SlowDown with probability `error_rate`.
    pub fn start_object_store_storm(&self, error_rate: f64) {
        if let Some(store) = self.store_for("object-store storm") {
            self.fault(FaultEvent::ObjectStoreSlowDown { error_rate });
            store.start_storm(error_rate);
        }
    }

    /// Ends one storm started with `error_rate`; another storm still on stays on.
    pub fn end_object_store_storm(&self, error_rate: f64) {
        if let Some(store) = self.store_for("object-store storm end") {
            self.fault(FaultEvent::ObjectStoreSlowDownEnded { error_rate });
            store.end_storm(error_rate);
        }
    }

    /// Every request takes `latency_multiplier` times longer.
    pub fn start_object_store_latency(&self, latency_multiplier: f64) {
        if let Some(store) = self.store_for("object-store latency") {
            self.fault(FaultEvent::ObjectStoreLatency { latency_multiplier });
            store.start_latency_spike(latency_multiplier);
        }
    }

    /// Takes back one latency spike of `latency_multiplier`; another still on stays on.
    pub fn end_object_store_latency(&self, latency_multiplier: f64) {
        if let Some(store) = self.store_for("object-store latency end") {
            self.fault(FaultEvent::ObjectStoreLatencyRestored { latency_multiplier });
            store.end_latency_spike(latency_multiplier);
        }
    }

    /// Silently inverts one byte of one stored segment (`.log`) object chosen by the seed;
    /// says which, or `None` when the store holds no segment (a note says so).
    pub fn corrupt_object(&self) -> Option<(String, u64)> {
        let store = self.store_for("object corruption")?;
        self.fault(FaultEvent::ObjectCorruption);
        let corrupted = store.corrupt_one_log_object();
        if corrupted.is_none() {
            self.note("object corruption found no segment object to corrupt");
        }
        corrupted
    }

    /// Ends every object-store fault (the trace says so only if one was on). Silent
    /// corruption is not undone: the byte stays changed.
    pub(super) fn heal_object_store(&self) {
        let Some(store) = self.object_store() else {
            return;
        };
        if !store.active_faults().is_empty() {
            self.fault(FaultEvent::ObjectStoreHealed);
            store.clear_faults();
        }
    }
}
