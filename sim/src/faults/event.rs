//! Faults the world can inject, as they appear in the trace.

use serde::Serialize;

/// A fault injected or healed, in the words an operator would use. Network cuts carry a
/// label, and the entry that heals one carries the same label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FaultEvent {
    NodeKilled {
        node: String,
    },
    NodeRestarted {
        node: String,
    },
    /// The node was asked to shut down cleanly (a ctrl-c).
    ShutdownRequested {
        node: String,
    },
    /// Every node of the zone crashed at once.
    ZoneLost {
        zone: String,
    },
    ZoneRestored {
        zone: String,
    },
    /// The zone's nodes run but cannot reach or be reached from outside the zone.
    ZoneIsolated {
        zone: String,
        label: String,
    },
    /// The node runs but cannot reach or be reached by any other node.
    NodeIsolated {
        node: String,
        label: String,
    },
    /// Traffic from every node of `from` to every node of `to` is dropped (and back, unless
    /// `one_way`).
    Partitioned {
        from: Vec<String>,
        to: Vec<String>,
        one_way: bool,
        label: String,
    },
    /// The links one cut removed, named by its label, are restored.
    PartitionHealed {
        label: String,
    },
    /// Messages from `from` to `to` take `extra_delay_ms` longer (0: back to normal).
    LinkSlowed {
        from: String,
        to: String,
        extra_delay_ms: u64,
    },
    /// Every partition and link delay removed.
    NetworkHealed,
    /// A disk fault switched on (`fault` names it).
    DiskFault {
        node: String,
        fault: String,
    },
    DiskHealed {
        node: String,
    },
    /// The node crashed and its whole disk was lost: it comes back empty.
    DiskLost {
        node: String,
    },
    /// The object store refuses every request (503 or no answer) until the outage ends.
    ObjectStoreOutage,
    ObjectStoreOutageEnded,
    /// A 503 storm: each object-store request fails with SlowDown with this probability.
    ObjectStoreSlowDown {
        error_rate: f64,
    },
    ObjectStoreSlowDownEnded {
        error_rate: f64,
    },
    /// Every object-store request takes `latency_multiplier` times longer.
    ObjectStoreLatency {
        latency_multiplier: f64,
    },
    ObjectStoreLatencyRestored {
        latency_multiplier: f64,
    },
    /// One stored segment object is about to be silently corrupted; the store's own
    /// `Corrupted` entry that follows says which (none follows when there was no segment).
    ObjectCorruption,
    /// Every object-store fault ended at once (the liveness phase's heal).
    ObjectStoreHealed,
    /// One bit of a committed batch in one of the node's segment files was silently flipped.
    BitFlipped {
        node: String,
        file: String,
        batch_base_offset: u64,
    },
    /// The broker's own "trims its log prefix" bug was armed, to strike as `role` (leader or
    /// follower) at its next log flush.
    LogPrefixTrimArmed {
        node: String,
        role: String,
    },
    /// The node's process exited asking for a restart (a broker's storage health manager),
    /// and the world's supervisor started it again, as a pod's restart policy would. (New
    /// variants go last: the trace digest encodes the variant's position.)
    ProcessRestartedBySupervisor {
        node: String,
    },
    /// A fault of a kind that records itself by name (`pause`, `disk-errors`: kinds added
    /// since the variants above) began on `node`; the report draws it as a band labelled
    /// `kind` and `detail` until the `FaultEnded` of the same kind and node.
    FaultBegan {
        kind: String,
        node: String,
        detail: String,
    },
    /// The fault of `kind` on `node` that began at `began_at_ms` healed. The node may stay
    /// affected when another fault of the kind still holds it (`still_held`: two overlapping
    /// pauses of one node); the report closes exactly the band that began then.
    FaultEnded {
        kind: String,
        node: String,
        began_at_ms: u64,
        still_held: bool,
    },
}
