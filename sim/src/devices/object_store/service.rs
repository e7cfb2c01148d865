//! The store as a network service: the object-store wire protocol over the node's [`Rpc`].

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use korasim_core::net::{decode, encode, Address, Rpc, RpcHandler, RpcParams, Transport};
use korasim_core::object_store::protocol::ObjectStoreRequest;

use super::store::SimObjectStore;

/// S3 serves every request concurrently: a slow PUT must not hold up the GETs behind it, so
/// the pool is large and the queue deep (a queue that fills sheds requests, which then time
/// out, a failure the fault model does not mean to add).
pub const OBJECT_STORE_RPC_PARAMS: RpcParams = RpcParams {
    worker_count: 512,
    request_queue_max: 4096,
};

/// Answers object-store requests from a [`SimObjectStore`].
pub struct ObjectStoreService {
    store: Arc<SimObjectStore>,
}

impl ObjectStoreService {
    pub fn new(store: Arc<SimObjectStore>) -> Self {
        ObjectStoreService { store }
    }
}

#[async_trait]
impl RpcHandler for ObjectStoreService {
    async fn handle(&self, _from: Address, request: Bytes) -> Option<Bytes> {
        // A request that does not decode was damaged in flight; the client's timeout covers it.
        let request: ObjectStoreRequest = decode(&request).ok()?;
        let response = self.store.serve(request).await?;
        Some(encode(&response))
    }
}

/// Serves `store` on `transport` from the current node, and runs the bucket's lifecycle
/// rule there. Both stop with the node.
pub fn start_service(transport: Arc<dyn Transport>, store: Arc<SimObjectStore>) -> Arc<Rpc> {
    tokio::spawn(store.clone().run_lifecycle());
    let handler = Arc::new(ObjectStoreService::new(store));
    Rpc::start(transport, Some(handler), OBJECT_STORE_RPC_PARAMS)
}
