//! Faults the world can inject, as they appear in the trace.

use serde::Serialize;

/// A fault injected or healed, in the words an operator would use.
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
    },
    /// Traffic from every node of `from` to every node of `to` is dropped (and back, unless
    /// `one_way`).
    Partitioned {
        from: Vec<String>,
        to: Vec<String>,
        one_way: bool,
    },
    /// Messages from `from` to `to` take `extra_delay_ms` longer.
    LinkSlowed {
        from: String,
        to: String,
        extra_delay_ms: u64,
    },
    /// The links one partition (or isolation) cut are restored.
    PartitionHealed {
        partition: String,
    },
    /// Every partition and link delay removed.
    NetworkHealed,
    /// A disk fault switched on (`fault` names it) or off.
    DiskFault {
        node: String,
        fault: String,
    },
    DiskHealed {
        node: String,
    },
}
