//! Request/response calls over a [`Transport`].
//!
//! One long-lived task receives every frame of the node: responses complete the matching
//! pending call, requests go to a bounded queue served by a fixed pool of worker tasks. The
//! pool is fixed on purpose: a task per request would cost memory for the whole life of a
//! simulated node, and a bounded queue models a server that sheds load when it is full.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::codec::{decode, encode, CodecError};
use super::transport::{Address, Transport};

/// Serves requests that arrive at a node.
#[async_trait]
pub trait RpcHandler: Send + Sync + 'static {
    /// Answers one request; `None` sends no answer (the caller will time out).
    async fn handle(&self, from: Address, request: Bytes) -> Option<Bytes>;
}

/// Why a call produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    #[error("no answer from {to} within {timeout_ms} ms")]
    Timeout { to: Address, timeout_ms: u64 },
    #[error("answer from {to} could not be decoded: {error}")]
    Malformed { to: Address, error: CodecError },
}

/// Sizes of the request-serving machinery.
#[derive(Debug, Clone, Copy)]
pub struct RpcParams {
    pub worker_count: usize,
    pub request_queue_max: usize,
}

impl Default for RpcParams {
    fn default() -> Self {
        RpcParams {
            worker_count: 4,
            request_queue_max: 256,
        }
    }
}

#[derive(Serialize, Deserialize)]
enum Envelope {
    Request { call_id: u64, body: Bytes },
    Response { call_id: u64, body: Bytes },
}

/// A node's endpoint for making calls and, if it has a handler, serving them.
pub struct Rpc {
    transport: Arc<dyn Transport>,
    pending_calls: Mutex<BTreeMap<u64, oneshot::Sender<Bytes>>>,
    next_call_id: AtomicU64,
}

struct IncomingRequest {
    from: Address,
    call_id: u64,
    body: Bytes,
    received_at: tokio::time::Instant,
}

impl Rpc {
    /// Starts the receive loop (and the workers, when there is a handler) on the current node.
    pub fn start(
        transport: Arc<dyn Transport>,
        handler: Option<Arc<dyn RpcHandler>>,
        params: RpcParams,
    ) -> Arc<Rpc> {
        // Call ids start at a random point so that a late answer addressed to an earlier
        // incarnation of this node cannot complete a call of the current one.
        let first_call_id = madsim::rand::thread_rng().gen::<u64>() >> 1;
        let rpc = Arc::new(Rpc {
            transport,
            pending_calls: Mutex::new(BTreeMap::new()),
            next_call_id: AtomicU64::new(first_call_id),
        });
        let (request_sender, request_receiver) = mpsc::channel(params.request_queue_max);
        if let Some(handler) = handler {
            let shared_receiver = Arc::new(tokio::sync::Mutex::new(request_receiver));
            for _ in 0..params.worker_count {
                let rpc = rpc.clone();
                let handler = handler.clone();
                let receiver = shared_receiver.clone();
                tokio::spawn(async move { rpc.serve_requests(handler, receiver).await });
            }
        }
        let receiver_rpc = rpc.clone();
        tokio::spawn(async move { receiver_rpc.receive_frames(request_sender).await });
        rpc
    }

    pub fn local_address(&self) -> Address {
        self.transport.local_address()
    }

    /// Sends `request` to `to` and waits up to `timeout` for the answer.
    pub async fn call<Request, Response>(
        &self,
        to: Address,
        request: &Request,
        timeout: Duration,
    ) -> Result<Response, RpcError>
    where
        Request: Serialize,
        Response: DeserializeOwned,
    {
        let answer = self.call_bytes(to, encode(request), timeout).await?;
        decode(&answer).map_err(|error| RpcError::Malformed { to, error })
    }

    /// [`Rpc::call`] on already encoded bodies.
    pub async fn call_bytes(&self, to: Address, body: Bytes, timeout: Duration) -> Result<Bytes, RpcError> {
        let call_id = self.next_call_id.fetch_add(1, Ordering::Relaxed);
        let (answer_sender, answer_receiver) = oneshot::channel();
        self.pending().insert(call_id, answer_sender);
        let frame = encode(&Envelope::Request { call_id, body });
        self.transport.send(to, frame).await;
        let answer = tokio::time::timeout(timeout, answer_receiver).await;
        match answer {
            Ok(Ok(body)) => Ok(body),
            other => {
                tracing::debug!(%to, call_id, closed = other.is_ok(), "call timed out");
                self.pending().remove(&call_id);
                Err(RpcError::Timeout {
                    to,
                    timeout_ms: timeout.as_millis() as u64,
                })
            }
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, oneshot::Sender<Bytes>>> {
        // A poisoned lock means a panic elsewhere already failed the run; carry on regardless.
        self.pending_calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn receive_frames(self: Arc<Self>, requests: mpsc::Sender<IncomingRequest>) {
        loop {
            let (from, frame) = self.transport.receive().await;
            // A frame that does not decode was damaged in flight: drop it, as a NIC would drop
            // a packet with a bad checksum. The caller's timeout covers the loss.
            let Ok(envelope) = decode::<Envelope>(&frame) else {
                tracing::debug!(%from, "dropped an undecodable frame");
                continue;
            };
            match envelope {
                Envelope::Response { call_id, body } => {
                    if let Some(waiter) = self.pending().remove(&call_id) {
                        if waiter.send(body).is_err() {
                            tracing::debug!(%from, call_id, "answer arrived for a call nobody waits on any more");
                        }
                    } else {
                        tracing::debug!(%from, call_id, "answer arrived after its call timed out");
                    }
                }
                Envelope::Request { call_id, body } => {
                    let request = IncomingRequest {
                        from,
                        call_id,
                        body,
                        received_at: tokio::time::Instant::now(),
                    };
                    // A full queue sheds the request; the caller times out and retries.
                    if requests.try_send(request).is_err() {
                        tracing::debug!(%from, "request queue full: request shed");
                    }
                }
            }
        }
    }

    async fn serve_requests(
        self: Arc<Self>,
        handler: Arc<dyn RpcHandler>,
        requests: Arc<tokio::sync::Mutex<mpsc::Receiver<IncomingRequest>>>,
    ) {
        loop {
            let next = requests.lock().await.recv().await;
            let Some(request) = next else { return };
            let waited = request.received_at.elapsed();
            if waited > Duration::from_millis(500) {
                tracing::debug!(from = %request.from, ?waited, "request waited long for a worker");
            }
            if let Some(body) = handler.handle(request.from, request.body).await {
                // A slow or lost answer is what a peer under GC pressure or a flaky NIC looks
                // like from outside; callers must cope with both.
                if crate::buggify!() {
                    tokio::time::sleep(crate::buggify::random_delay(Duration::from_millis(800))).await;
                }
                if crate::buggify!() {
                    continue;
                }
                let frame = encode(&Envelope::Response {
                    call_id: request.call_id,
                    body,
                });
                self.transport.send(request.from, frame).await;
                let total = request.received_at.elapsed();
                if total > Duration::from_millis(1000) {
                    tracing::debug!(from = %request.from, call_id = request.call_id, ?total, "request took long to serve");
                }
            }
        }
    }
}
