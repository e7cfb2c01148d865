//! What the simulated object store writes into the trace: every change to the bucket, at the
//! moment it takes effect. Checkers rebuild the bucket's contents from these (observed
//! state), never by asking the brokers what they stored.

use bytes::Bytes;
use serde::Serialize;

#[derive(Clone, PartialEq, Serialize)]
pub enum StoreEvent {
    /// An object was written (a PUT took effect, whether or not its answer got back).
    Put {
        key: String,
        body: Bytes,
        last_modified_ms: u64,
    },
    /// An object was removed.
    Delete { key: String },
    /// Silent corruption: the byte at `byte_index` of the stored object was inverted (every
    /// bit of it flipped), its size and metadata unchanged.
    Corrupted { key: String, byte_index: u64 },
    /// A multipart upload was left incomplete: its parts take `bytes` of storage but no
    /// object is visible under `key`.
    MultipartAbandoned { key: String, bytes: u64 },
    /// The bucket's lifecycle rule aborted an incomplete multipart upload.
    MultipartAborted { key: String, bytes: u64 },
}

impl std::fmt::Debug for StoreEvent {
    // A body is shown by its size and checksum: a trace line with a whole segment in it
    // would be unreadable.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreEvent::Put {
                key,
                body,
                last_modified_ms,
            } => write!(
                f,
                "Put {{ key: {key:?}, bytes: {}, crc32: {:08x}, last_modified_ms: {last_modified_ms} }}",
                body.len(),
                crc32fast::hash(body)
            ),
            StoreEvent::Delete { key } => write!(f, "Delete {{ key: {key:?} }}"),
            StoreEvent::Corrupted { key, byte_index } => {
                write!(f, "Corrupted {{ key: {key:?}, byte_index: {byte_index} }}")
            }
            StoreEvent::MultipartAbandoned { key, bytes } => {
                write!(f, "MultipartAbandoned {{ key: {key:?}, bytes: {bytes} }}")
            }
            StoreEvent::MultipartAborted { key, bytes } => {
                write!(f, "MultipartAborted {{ key: {key:?}, bytes: {bytes} }}")
            }
        }
    }
}
