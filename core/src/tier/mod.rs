//! Tiered storage: rolled segments move to an object store, their life recorded in the
//! tier-metadata topic.
//!
//! - `record.rs`: the tier-metadata records; `state.rs`: the state every broker
//!   materialises from them, with the fencing rules.
//! - `keys.rs`: object keys and the tier partition of a partition.
//! - `segment_index.rs`: the offset index uploaded with each segment; `remote_cache.rs`:
//!   bytes read from the store, kept for the next read.

pub mod keys;
mod params;
pub mod record;
mod remote_cache;
mod segment_index;
pub mod state;

pub use params::TierParams;
pub use record::{TierRecord, TierRecordKind, TIER_TOPIC};
pub use remote_cache::RemoteCache;
pub use segment_index::SegmentIndex;
pub use state::{SegmentState, TierPartitionState, TierRejection, TierState, TieredSegment};
