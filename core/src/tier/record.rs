//! The records of the tier-metadata topic: each tiered segment's life (copy started, copy
//! finished, delete started, delete finished) and the leader-initialisation record that
//! fences uploads of earlier leaders (Confluent's `TierInitLeader`).
//!
//! Every record carries the leader epoch of the broker that wrote it. The tier-metadata
//! topic is an ordinary replicated topic; a record counts once it is committed (below the
//! tier partition's high watermark) and every broker applies the committed records in
//! offset order with the same rules (`state.rs`), so every broker reaches the same state.

use serde::{Deserialize, Serialize};

/// The internal topic that holds tier metadata.
pub const TIER_TOPIC: &str = "__tier_metadata";

/// One tier-metadata record, about one partition of one (ordinary) topic.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TierRecord {
    pub topic: String,
    pub partition: u32,
    /// The leader epoch in which the writer leads `topic`-`partition`.
    pub leader_epoch: u64,
    pub kind: TierRecordKind,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TierRecordKind {
    /// A new leader takes over tiering. Records of earlier epochs are refused from here on,
    /// and an upload an earlier leader had started is abandoned (its object, if it was
    /// written, becomes garbage for the orphan collector).
    InitLeader,
    /// The leader is about to upload a segment holding `base_offset..=last_offset` under
    /// `object_id`. Written (and committed) before the object, so that every object the
    /// store holds was announced first.
    CopyStarted {
        object_id: String,
        base_offset: u64,
        last_offset: u64,
        size_bytes: u64,
        /// The newest batch timestamp in the segment, for time-based retention.
        max_timestamp_ms: u64,
    },
    /// The object (segment and index) is completely in the store.
    CopyFinished { object_id: String },
    /// Retention removes the segment: from here on it is not served.
    DeleteStarted { object_id: String },
    /// The object is gone from the store.
    DeleteFinished { object_id: String },
}

impl TierRecordKind {
    /// The object the record is about; `None` for `InitLeader`.
    pub fn object_id(&self) -> Option<&str> {
        match self {
            TierRecordKind::InitLeader => None,
            TierRecordKind::CopyStarted { object_id, .. }
            | TierRecordKind::CopyFinished { object_id }
            | TierRecordKind::DeleteStarted { object_id }
            | TierRecordKind::DeleteFinished { object_id } => Some(object_id),
        }
    }
}

impl TierRecord {
    /// The record as stored in a tier-metadata batch.
    pub fn encode(&self) -> bytes::Bytes {
        crate::net::encode(self)
    }

    pub fn decode(bytes: &[u8]) -> Option<TierRecord> {
        crate::net::decode(bytes).ok()
    }
}
