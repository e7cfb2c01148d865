//! How nodes talk: a datagram [`Transport`] the environment provides, and a request/response
//! layer ([`Rpc`]) on top of it. Every message is encoded to bytes, in simulation as in
//! production, so the codec always runs and bytes in flight can be corrupted by a fault.

mod codec;
mod rpc;
mod transport;

pub use codec::{decode, encode, CodecError};
pub use rpc::{Rpc, RpcError, RpcHandler, RpcParams};
pub use transport::{Address, Transport};
