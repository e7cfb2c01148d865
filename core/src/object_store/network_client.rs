//! An [`ObjectStore`] reached over the network: each call is one request to the store's
//! endpoint through the node's [`Rpc`], with a timeout per kind of call (a large PUT is
//! given longer than a HEAD).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::protocol::{ObjectStoreAnswer, ObjectStoreRequest, ObjectStoreResponse};
use super::{ObjectMeta, ObjectStore, ObjectStoreError};
use crate::net::{Address, Rpc, RpcError};

/// How long a client waits for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkObjectStoreParams {
    /// Writes carry a whole segment; S3's PUT latency has a long tail.
    pub put_timeout: Duration,
    /// Reads, heads, lists and deletes.
    pub request_timeout: Duration,
}

impl Default for NetworkObjectStoreParams {
    fn default() -> Self {
        NetworkObjectStoreParams {
            put_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// A client of the object store at `endpoint`.
pub struct NetworkObjectStore {
    rpc: Arc<Rpc>,
    endpoint: Address,
    params: NetworkObjectStoreParams,
}

impl NetworkObjectStore {
    pub fn new(rpc: Arc<Rpc>, endpoint: Address, params: NetworkObjectStoreParams) -> Self {
        NetworkObjectStore {
            rpc,
            endpoint,
            params,
        }
    }

    async fn call(&self, request: ObjectStoreRequest) -> Result<ObjectStoreAnswer, ObjectStoreError> {
        let timeout = match request {
            ObjectStoreRequest::Put { .. } => self.params.put_timeout,
            _ => self.params.request_timeout,
        };
        let answer: Result<ObjectStoreResponse, RpcError> =
            self.rpc.call(self.endpoint, &request, timeout).await;
        match answer {
            Ok(response) => response,
            Err(RpcError::Timeout { timeout_ms, .. }) => Err(ObjectStoreError::Timeout { timeout_ms }),
            // An answer that does not decode is a broken response: the request may have
            // been applied, as with a reset connection.
            Err(RpcError::Malformed { .. }) => Err(ObjectStoreError::ConnectionReset),
        }
    }
}

fn unexpected(answer: ObjectStoreAnswer) -> ObjectStoreError {
    tracing::warn!(?answer, "object store answered a different request");
    ObjectStoreError::ConnectionReset
}

#[async_trait]
impl ObjectStore for NetworkObjectStore {
    async fn put(&self, key: &str, body: Bytes) -> Result<(), ObjectStoreError> {
        match self
            .call(ObjectStoreRequest::Put {
                key: key.to_string(),
                body,
            })
            .await?
        {
            ObjectStoreAnswer::Put => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes, ObjectStoreError> {
        match self
            .call(ObjectStoreRequest::Get {
                key: key.to_string(),
                range,
            })
            .await?
        {
            ObjectStoreAnswer::Get(bytes) => Ok(bytes),
            other => Err(unexpected(other)),
        }
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, ObjectStoreError> {
        match self
            .call(ObjectStoreRequest::Head { key: key.to_string() })
            .await?
        {
            ObjectStoreAnswer::Head(meta) => Ok(meta),
            other => Err(unexpected(other)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, ObjectStoreError> {
        match self
            .call(ObjectStoreRequest::List {
                prefix: prefix.to_string(),
            })
            .await?
        {
            ObjectStoreAnswer::List(objects) => Ok(objects),
            other => Err(unexpected(other)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), ObjectStoreError> {
        match self
            .call(ObjectStoreRequest::Delete { key: key.to_string() })
            .await?
        {
            ObjectStoreAnswer::Delete => Ok(()),
            other => Err(unexpected(other)),
        }
    }
}
