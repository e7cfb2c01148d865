//! How many replicas must have a record before the leader acknowledges it (Kafka's `acks`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Kafka's `acks` setting of a produce request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acks {
    /// `acks=all` (-1): every in-sync replica has the record and the ISR is at least
    /// `min.insync.replicas`. Such a record must survive any failure the fault budget allows.
    All,
    /// `acks=1`: only the leader has it. A leader failover may truncate it away.
    Leader,
    /// `acks=0`: no response at all, so the client never learns the offset.
    None,
}

impl Acks {
    /// Whether Kafka promises an acknowledged record of this kind survives a leader failover.
    pub fn is_durable(self) -> bool {
        self == Acks::All
    }
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::All => "acks=all",
            Acks::Leader => "acks=1",
            Acks::None => "acks=0",
        })
    }
}
