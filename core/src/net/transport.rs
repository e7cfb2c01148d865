//! The narrow network interface: unreliable, unordered frames between addresses.

use async_trait::async_trait;
use bytes::Bytes;

/// A node's network address.
pub type Address = std::net::SocketAddr;

/// Sends and receives whole frames. Delivery is best effort: a frame may be dropped, delayed
/// or reordered, so everything above this trait must cope with that (timeouts and retries).
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// The address other nodes reach this one at.
    fn local_address(&self) -> Address;

    /// Sends one frame to `to`. Returns once the frame has left; says nothing about arrival.
    async fn send(&self, to: Address, frame: Bytes);

    /// Waits for the next frame addressed to this node. Only one task may receive.
    async fn receive(&self) -> (Address, Bytes);
}
