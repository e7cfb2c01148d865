//! The narrow storage interface the system under test writes through.
//!
//! A broker or controller sees its disk as a flat set of named files that it can append to,
//! read at an offset, sync, truncate, list and delete. Nothing else is promised: in
//! particular a write is only durable after [`Disk::sync`] on that file has returned `Ok`.
//! Code in `core/` must be correct under that contract, because the simulated disk in `sim/`
//! enforces it to the letter (a crash drops every unsynced byte).

mod monitored_disk;
mod record_file;

pub use monitored_disk::{DiskLatencies, MonitoredDisk, StorageProgress};
pub use record_file::{RecordFile, RecordFileError, Recovery};

use async_trait::async_trait;
use bytes::Bytes;

/// Why a disk operation failed. The variants are the ones a caller can act on differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    #[error("file {file:?} does not exist")]
    NotFound { file: String },
    #[error("disk is full: {file:?} cannot grow by {requested_bytes} bytes")]
    NoSpace { file: String, requested_bytes: u64 },
    #[error("I/O error during {operation} on {file:?}")]
    Io { operation: DiskOperation, file: String },
    #[error("read of {file:?} at {offset} is past its end ({length_bytes} bytes)")]
    OutOfRange {
        file: String,
        offset: u64,
        length_bytes: u64,
    },
}

/// The kind of operation, for error reports and per-operation fault targeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum DiskOperation {
    Append,
    Read,
    Sync,
    Truncate,
    List,
    Delete,
    Length,
}

impl std::fmt::Display for DiskOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            DiskOperation::Append => "append",
            DiskOperation::Read => "read",
            DiskOperation::Sync => "sync",
            DiskOperation::Truncate => "truncate",
            DiskOperation::List => "list",
            DiskOperation::Delete => "delete",
            DiskOperation::Length => "length",
        };
        f.write_str(name)
    }
}

/// A node's local disk: named files of bytes.
///
/// Durability contract: `append` and `truncate` change what later reads see at once, but they
/// survive a crash only once `sync` on the same file has returned `Ok`. `delete` is durable
/// when it returns. A file appears in `list` as soon as it is first appended to.
#[async_trait]
pub trait Disk: Send + Sync + 'static {
    /// Appends `data` at the end of `file` (creating it if needed) and returns the offset at
    /// which the data starts.
    async fn append(&self, file: &str, data: &[u8]) -> Result<u64, DiskError>;

    /// Reads up to `length_bytes` bytes of `file` starting at `offset`; shorter at the end of
    /// the file. An offset past the end is an error.
    async fn read(&self, file: &str, offset: u64, length_bytes: u64) -> Result<Bytes, DiskError>;

    /// The current length of `file` in bytes.
    async fn length(&self, file: &str) -> Result<u64, DiskError>;

    /// Makes every earlier append and truncate of `file` durable.
    async fn sync(&self, file: &str) -> Result<(), DiskError>;

    /// Cuts `file` down to `length_bytes` bytes (a no-op when it is already shorter).
    async fn truncate(&self, file: &str, length_bytes: u64) -> Result<(), DiskError>;

    /// The names of all files starting with `prefix`, in ascending order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, DiskError>;

    /// Removes `file`; removing a missing file is not an error.
    async fn delete(&self, file: &str) -> Result<(), DiskError>;
}

impl DiskError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            DiskError::NotFound { file }
            | DiskError::NoSpace { file, .. }
            | DiskError::Io { file, .. }
            | DiskError::OutOfRange { file, .. } => file,
        }
    }
}
