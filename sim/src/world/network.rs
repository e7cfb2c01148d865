//! The network as the system under test sees it: madsim's simulated datagrams (with its
//! random latency, loss and clogged links) plus a per-link extra delay that madsim lacks.
//!
//! A slowed link delays each frame by a fixed amount before it enters madsim's network. The
//! delay is applied on the sender by a long-lived pump task per destination, so frames on one
//! link keep their order and no task is spawned per message.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use korasim_core::net::{Address, Transport};
use madsim::net::Endpoint;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Every frame travels under this madsim tag.
const FRAME_TAG: u64 = 0x6b6f7261;

/// Extra one-way delays, by (sender IP, receiver IP), one per active fault. Shared by every
/// node of a run.
#[derive(Default)]
pub struct LinkDelays {
    delays: Mutex<BTreeMap<(IpAddr, IpAddr), Vec<Duration>>>,
}

impl LinkDelays {
    /// Adds one delay on the link; overlapping faults each add their own.
    pub fn add(&self, from: IpAddr, to: IpAddr, extra: Duration) {
        let mut delays = self
            .delays
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        delays.entry((from, to)).or_default().push(extra);
    }

    /// Removes one delay of `extra` from the link, leaving any other fault's delay in place.
    pub fn remove(&self, from: IpAddr, to: IpAddr, extra: Duration) {
        let mut delays = self
            .delays
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(active) = delays.get_mut(&(from, to)) {
            if let Some(position) = active.iter().position(|delay| *delay == extra) {
                active.remove(position);
            }
            if active.is_empty() {
                delays.remove(&(from, to));
            }
        }
    }

    pub fn clear(&self) {
        self.delays
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    fn get(&self, from: IpAddr, to: IpAddr) -> Duration {
        let delays = self
            .delays
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The largest active delay wins: two slow faults on one link do not add up.
        delays
            .get(&(from, to))
            .and_then(|active| active.iter().max().copied())
            .unwrap_or_default()
    }
}

/// A node's [`Transport`] over a madsim endpoint.
pub struct SimTransport {
    endpoint: Arc<Endpoint>,
    address: Address,
    delays: Arc<LinkDelays>,
    pumps: Mutex<BTreeMap<Address, mpsc::UnboundedSender<(Instant, Bytes)>>>,
}

impl SimTransport {
    /// Binds `address` on the current node.
    pub async fn bind(address: Address, delays: Arc<LinkDelays>) -> std::io::Result<Arc<SimTransport>> {
        let endpoint = Endpoint::bind(address).await?;
        Ok(Arc::new(SimTransport {
            endpoint: Arc::new(endpoint),
            address,
            delays,
            pumps: Mutex::new(BTreeMap::new()),
        }))
    }

    fn pump_to(&self, to: Address) -> mpsc::UnboundedSender<(Instant, Bytes)> {
        let mut pumps = self.pumps.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        pumps
            .entry(to)
            .or_insert_with(|| {
                let (sender, mut receiver) = mpsc::unbounded_channel::<(Instant, Bytes)>();
                let endpoint = self.endpoint.clone();
                tokio::spawn(async move {
                    while let Some((deliver_at, frame)) = receiver.recv().await {
                        tokio::time::sleep_until(deliver_at).await;
                        let _ = endpoint.send_to_raw(to, FRAME_TAG, Box::new(frame)).await;
                    }
                });
                sender
            })
            .clone()
    }
}

#[async_trait]
impl Transport for SimTransport {
    fn local_address(&self) -> Address {
        self.address
    }

    async fn send(&self, to: Address, frame: Bytes) {
        let extra = self.delays.get(self.address.ip(), to.ip());
        if extra.is_zero() {
            // A send error means the destination does not exist right now (a dead node); the
            // frame is lost, exactly as on a real network.
            let _ = self.endpoint.send_to_raw(to, FRAME_TAG, Box::new(frame)).await;
        } else {
            let _ = self.pump_to(to).send((Instant::now() + extra, frame));
        }
    }

    async fn receive(&self) -> (Address, Bytes) {
        loop {
            match self.endpoint.recv_from_raw(FRAME_TAG).await {
                Ok((payload, from)) => {
                    if let Ok(frame) = payload.downcast::<Bytes>() {
                        return (from, *frame);
                    }
                }
                // The endpoint only fails when the node is going away; yield so the loop does
                // not spin while it does.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}
