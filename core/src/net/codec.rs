//! The wire encoding of every message: postcard, a compact serde format.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A frame that could not be decoded (corrupted in flight, or from an incompatible peer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed message: {0}")]
pub struct CodecError(pub String);

pub fn encode<T: Serialize>(message: &T) -> Bytes {
    // Encoding into a Vec only fails for types serde cannot represent, which would be a bug
    // in our own message definitions, not a runtime condition.
    Bytes::from(postcard::to_allocvec(message).expect("message types are serializable"))
}

pub fn decode<T: DeserializeOwned>(frame: &[u8]) -> Result<T, CodecError> {
    postcard::from_bytes(frame).map_err(|error| CodecError(error.to_string()))
}
