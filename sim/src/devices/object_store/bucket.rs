//! The bucket's contents: objects by key, and the incomplete multipart uploads that take
//! storage without showing an object. No latency, faults or trace here; the store applies
//! those around it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Duration;

use bytes::Bytes;
use korasim_core::object_store::{ObjectMeta, ObjectStoreError};
use rand::Rng;

/// Only segment data is corrupted on purpose: a flipped byte in a segment is what an audit
/// must find, and the other objects (indexes) are rebuilt from segments anyway.
const CORRUPTIBLE_SUFFIX: &str = ".log";

#[derive(Debug, Clone, PartialEq)]
pub struct StoredObject {
    pub body: Bytes,
    pub last_modified_ms: u64,
}

/// The parts of a multipart upload that failed, left behind until the lifecycle rule aborts
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct IncompleteUpload {
    pub key: String,
    pub bytes: u64,
    /// The store's time (since it started) when the upload was left behind.
    pub abandoned_at: Duration,
}

/// Count and size of the incomplete uploads, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IncompleteUploads {
    pub count: u64,
    pub bytes: u64,
}

#[derive(Debug, Default)]
pub struct Bucket {
    objects: BTreeMap<String, StoredObject>,
    /// By upload id, which grows: the oldest upload first.
    uploads: BTreeMap<u64, IncompleteUpload>,
    next_upload_id: u64,
}

impl Bucket {
    pub fn put(&mut self, key: &str, body: Bytes, last_modified_ms: u64) {
        let object = StoredObject {
            body,
            last_modified_ms,
        };
        self.objects.insert(key.to_string(), object);
    }

    /// Whether there was an object to remove.
    pub fn delete(&mut self, key: &str) -> bool {
        self.objects.remove(key).is_some()
    }

    pub fn object(&self, key: &str) -> Option<&StoredObject> {
        self.objects.get(key)
    }

    /// The bytes of `range` (everything for `None`). As S3 does: a range running past the end
    /// is cut at the end; one starting at or past the end of a non-empty object (or past 0
    /// of an empty one) is 416.
    pub fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes, ObjectStoreError> {
        let object = self.objects.get(key).ok_or_else(|| not_found(key))?;
        let size_bytes = object.body.len() as u64;
        let Some(range) = range else {
            return Ok(object.body.clone());
        };
        if range.start > 0 && range.start >= size_bytes {
            return Err(ObjectStoreError::InvalidRange {
                start: range.start,
                size_bytes,
            });
        }
        let end = range.end.min(size_bytes).max(range.start);
        Ok(object.body.slice(range.start as usize..end as usize))
    }

    pub fn head(&self, key: &str) -> Result<ObjectMeta, ObjectStoreError> {
        let object = self.objects.get(key).ok_or_else(|| not_found(key))?;
        Ok(meta(key, object))
    }

    /// Every object under `prefix`, in key order.
    pub fn list(&self, prefix: &str) -> Vec<ObjectMeta> {
        self.objects
            .range(prefix.to_string()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, object)| meta(key, object))
            .collect()
    }

    pub fn abandon_upload(&mut self, key: &str, bytes: u64, now: Duration) {
        let upload = IncompleteUpload {
            key: key.to_string(),
            bytes,
            abandoned_at: now,
        };
        self.uploads.insert(self.next_upload_id, upload);
        self.next_upload_id += 1;
    }

    /// Removes and returns the incomplete uploads abandoned at least `age` before `now`.
    pub fn abort_uploads_older_than(&mut self, age: Duration, now: Duration) -> Vec<IncompleteUpload> {
        let expired: Vec<u64> = self
            .uploads
            .iter()
            .filter(|(_, upload)| now.saturating_sub(upload.abandoned_at) >= age)
            .map(|(id, _)| *id)
            .collect();
        expired
            .into_iter()
            .filter_map(|id| self.uploads.remove(&id))
            .collect()
    }

    pub fn incomplete_uploads(&self) -> IncompleteUploads {
        IncompleteUploads {
            count: self.uploads.len() as u64,
            bytes: self.uploads.values().map(|upload| upload.bytes).sum(),
        }
    }

    /// Inverts one byte (every bit of it) of one non-empty `.log` object, both chosen
    /// uniformly by `random`; says which. Size and metadata stay as they were.
    pub fn corrupt_one_log_object<R: Rng + ?Sized>(&mut self, random: &mut R) -> Option<(String, u64)> {
        let candidates: Vec<&String> = self
            .objects
            .iter()
            .filter(|(key, object)| key.ends_with(CORRUPTIBLE_SUFFIX) && !object.body.is_empty())
            .map(|(key, _)| key)
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let key = candidates[random.gen_range(0..candidates.len())].clone();
        let object = self.objects.get_mut(&key)?;
        let byte_index = random.gen_range(0..object.body.len());
        let mut body = object.body.to_vec();
        body[byte_index] = !body[byte_index];
        object.body = Bytes::from(body);
        Some((key, byte_index as u64))
    }

    /// Bytes of every object (incomplete uploads not counted).
    pub fn stored_bytes(&self) -> u64 {
        self.objects.values().map(|object| object.body.len() as u64).sum()
    }

    pub fn object_count(&self) -> u64 {
        self.objects.len() as u64
    }

    /// Forgets everything (the end of a run).
    pub fn clear(&mut self) {
        self.objects.clear();
        self.uploads.clear();
    }
}

fn not_found(key: &str) -> ObjectStoreError {
    ObjectStoreError::NotFound { key: key.to_string() }
}

fn meta(key: &str, object: &StoredObject) -> ObjectMeta {
    ObjectMeta {
        key: key.to_string(),
        size_bytes: object.body.len() as u64,
        last_modified_ms: object.last_modified_ms,
    }
}
