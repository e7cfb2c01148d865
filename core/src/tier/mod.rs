//! Tiered storage: rolled segments move to an object store, their life recorded in the
//! tier-metadata topic.
//!
//! - `record.rs`: the tier-metadata records; `state.rs`: the state every broker
//!   materialises from them, with the fencing rules.
//! - `keys.rs`: object keys and the tier partition of a partition.

pub mod keys;
mod params;
pub mod record;
pub mod state;

pub use params::TierParams;
pub use record::{TierRecord, TierRecordKind, TIER_TOPIC};
pub use state::{SegmentState, TierPartitionState, TierRejection, TierState, TieredSegment};
