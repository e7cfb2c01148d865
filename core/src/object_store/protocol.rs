//! The object store's wire protocol: what a client sends to the store's endpoint and what it
//! answers. The simulated store in `sim/` serves it; [`super::NetworkObjectStore`] speaks it.

use std::ops::Range;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{ObjectMeta, ObjectStoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectStoreRequest {
    Put { key: String, body: Bytes },
    Get { key: String, range: Option<Range<u64>> },
    Head { key: String },
    List { prefix: String },
    Delete { key: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectStoreAnswer {
    Put,
    Get(Bytes),
    Head(ObjectMeta),
    List(Vec<ObjectMeta>),
    Delete,
}

/// The store's answer to one request.
pub type ObjectStoreResponse = Result<ObjectStoreAnswer, ObjectStoreError>;

impl ObjectStoreRequest {
    /// The key the request is about (the prefix, for a list), for per-prefix rate limits.
    pub fn key(&self) -> &str {
        match self {
            ObjectStoreRequest::Put { key, .. }
            | ObjectStoreRequest::Get { key, .. }
            | ObjectStoreRequest::Head { key }
            | ObjectStoreRequest::Delete { key } => key,
            ObjectStoreRequest::List { prefix } => prefix,
        }
    }

    /// Whether the request changes the bucket.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            ObjectStoreRequest::Put { .. } | ObjectStoreRequest::Delete { .. }
        )
    }
}
