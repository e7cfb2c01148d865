//! Measurements the world takes of itself at a fixed period while a run goes on, for the
//! report's series: what is stored where. They are facts about the devices (bytes on each
//! broker's disk, bytes in the bucket), not anything a component reports.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageSample {
    /// Bytes on each broker's disk, by node name.
    pub local_bytes: BTreeMap<String, u64>,
    /// Bytes of the objects in the bucket.
    pub remote_bytes: u64,
    pub remote_objects: u64,
    /// Bytes held by incomplete multipart uploads (invisible, but paid for).
    pub incomplete_upload_bytes: u64,
}
