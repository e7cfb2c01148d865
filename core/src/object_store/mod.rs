//! The narrow object-store interface tiered storage writes through: an S3-like bucket of
//! immutable objects under string keys.
//!
//! Contract (S3's since 2020): strongly consistent per key. A `put` that returned `Ok` is
//! seen by every later `get`, `head` and `list`; a `delete` that returned `Ok` likewise. A
//! request that failed with an *ambiguous* error ([`ObjectStoreError::is_ambiguous`]: a
//! timeout or a reset connection) may or may not have taken effect, so a writer must cope
//! with an object it believes it never wrote (tiered storage does: every attempt writes
//! under a fresh key, and objects no metadata record points to are garbage-collected).
//!
//! Errors are typed so that a caller can tell "retry" ([`ObjectStoreError::is_retriable`])
//! from "give up". The simulated store in `sim/` produces every one of them on purpose.

mod network_client;
pub mod protocol;

pub use network_client::{NetworkObjectStore, NetworkObjectStoreParams};

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// What `head` and `list` say about an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub key: String,
    pub size_bytes: u64,
    /// When the store finished writing it, in milliseconds of the store's clock since the
    /// Unix epoch (S3's `Last-Modified`).
    pub last_modified_ms: u64,
}

/// Why an object-store request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ObjectStoreError {
    /// 503 SlowDown: the request rate on the key's prefix is over the store's limit, or the
    /// store is shedding load. Retry after a backoff.
    #[error("503 SlowDown")]
    SlowDown,
    /// 503 ServiceUnavailable: the store (or the caller's route to it) is down.
    #[error("503 ServiceUnavailable")]
    Unavailable,
    /// 500 InternalError: a transient failure inside the store. Retry.
    #[error("500 InternalError")]
    InternalError,
    /// No answer within the caller's timeout. The request may have taken effect.
    #[error("no answer within {timeout_ms} ms")]
    Timeout { timeout_ms: u64 },
    /// The connection broke before the answer arrived. The request may have taken effect.
    #[error("connection reset")]
    ConnectionReset,
    /// 404 NoSuchKey.
    #[error("404 NoSuchKey: {key}")]
    NotFound { key: String },
    /// 416: the range starts past the object's end.
    #[error("416 InvalidRange: {start}.. of an object of {size_bytes} bytes")]
    InvalidRange { start: u64, size_bytes: u64 },
}

impl ObjectStoreError {
    /// Whether the same request may succeed if sent again later.
    pub fn is_retriable(&self) -> bool {
        !matches!(
            self,
            ObjectStoreError::NotFound { .. } | ObjectStoreError::InvalidRange { .. }
        )
    }

    /// Whether the request may have taken effect even though it failed.
    pub fn is_ambiguous(&self) -> bool {
        matches!(
            self,
            ObjectStoreError::Timeout { .. } | ObjectStoreError::ConnectionReset
        )
    }
}

/// An S3-like bucket. See the module documentation for the contract.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Stores `body` under `key`, replacing any object there.
    async fn put(&self, key: &str, body: Bytes) -> Result<(), ObjectStoreError>;

    /// The object's bytes in `range` (all of them for `None`); a range running past the end
    /// is cut at the end, one starting past it is [`ObjectStoreError::InvalidRange`].
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes, ObjectStoreError>;

    /// The object's metadata, without its bytes.
    async fn head(&self, key: &str) -> Result<ObjectMeta, ObjectStoreError>;

    /// Every object whose key starts with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, ObjectStoreError>;

    /// Removes the object; removing a missing object is not an error (as in S3).
    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError>;
}

/// A shared handle to an object store.
pub type SharedObjectStore = std::sync::Arc<dyn ObjectStore>;
