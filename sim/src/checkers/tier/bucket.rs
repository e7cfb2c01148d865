//! The object store's bucket as the trace shows it: every `Put` and `Delete` the simulated
//! store reported, at the moment it took effect. Incomplete multipart uploads are not
//! objects (no request sees them, and the bucket's lifecycle rule removes them), so they are
//! not kept.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use korasim_core::tier::keys::object_id_of_key;

use crate::devices::object_store::StoreEvent;

/// An object in the bucket.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// When the `Put` that wrote it took effect (simulated time).
    pub written_at: Duration,
    /// Its bytes, when the bucket keeps them (see [`Bucket::keeping_segment_bodies`]).
    pub body: Option<Bytes>,
    /// Whether the world silently corrupted it since it was written.
    pub corrupted: bool,
}

/// What an event did to the bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketChange<'a> {
    Put(&'a str),
    Deleted(&'a str),
    Corrupted(&'a str),
}

/// The objects in the bucket, by key.
#[derive(Debug, Default)]
pub struct Bucket {
    objects: BTreeMap<String, StoredObject>,
    keep_segment_bodies: bool,
}

impl Bucket {
    /// A bucket that keeps no bodies: only which keys exist, and since when.
    pub fn new() -> Self {
        Self::default()
    }

    /// A bucket that also keeps the bytes of tiered segments (`.log` keys under `tier/`),
    /// until [`Bucket::forget_body`]. Bodies are shared with the trace, not copied.
    pub fn keeping_segment_bodies() -> Self {
        Bucket {
            objects: BTreeMap::new(),
            keep_segment_bodies: true,
        }
    }

    pub fn apply<'a>(&mut self, event: &'a StoreEvent, at: Duration) -> Option<BucketChange<'a>> {
        match event {
            StoreEvent::Put { key, body, .. } => {
                let keep = self.keep_segment_bodies && key.starts_with("tier/") && key.ends_with(".log");
                self.objects.insert(
                    key.clone(),
                    StoredObject {
                        written_at: at,
                        body: keep.then(|| body.clone()),
                        corrupted: false,
                    },
                );
                Some(BucketChange::Put(key))
            }
            StoreEvent::Delete { key } => {
                self.objects.remove(key);
                Some(BucketChange::Deleted(key))
            }
            StoreEvent::Corrupted { key, .. } => {
                if let Some(object) = self.objects.get_mut(key) {
                    object.corrupted = true;
                }
                Some(BucketChange::Corrupted(key))
            }
            StoreEvent::MultipartAbandoned { .. } | StoreEvent::MultipartAborted { .. } => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&StoredObject> {
        self.objects.get(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.objects.contains_key(key)
    }

    /// Drops the kept bytes of `key` (once they have been judged).
    pub fn forget_body(&mut self, key: &str) {
        if let Some(object) = self.objects.get_mut(key) {
            object.body = None;
        }
    }

    /// Every object, by key.
    pub fn objects(&self) -> impl Iterator<Item = (&String, &StoredObject)> {
        self.objects.iter()
    }
}

/// A key of a tiered object, `tier/{topic}/{partition}/{object_id}.log` or `.index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierKey<'a> {
    pub topic: &'a str,
    pub partition: u32,
    pub object_id: &'a str,
}

/// Reads a key as a tiered object's (`None` for any other key).
pub fn parse_tier_key(key: &str) -> Option<TierKey<'_>> {
    let rest = key.strip_prefix("tier/")?;
    let (topic_and_partition, _file) = rest.rsplit_once('/')?;
    let (topic, partition) = topic_and_partition.rsplit_once('/')?;
    let partition = partition.parse().ok()?;
    let object_id = object_id_of_key(topic, partition, key)?;
    Some(TierKey {
        topic,
        partition,
        object_id,
    })
}

#[cfg(test)]
mod tests {
    use korasim_core::tier::keys::{index_key, segment_key};

    use super::*;

    #[test]
    fn tier_keys_parse_back_to_their_object() {
        let expected = Some(TierKey {
            topic: "orders",
            partition: 3,
            object_id: "00ff-7",
        });
        assert_eq!(parse_tier_key(&segment_key("orders", 3, "00ff-7")), expected);
        assert_eq!(parse_tier_key(&index_key("orders", 3, "00ff-7")), expected);
        assert_eq!(parse_tier_key("tier/orders/3/stray"), None);
        assert_eq!(parse_tier_key("tier/orders/x/a.log"), None);
        assert_eq!(parse_tier_key("backup/orders/3/a.log"), None);
    }

    #[test]
    fn the_bucket_follows_puts_deletes_and_corruption() {
        let mut bucket = Bucket::keeping_segment_bodies();
        let put = |key: &str| StoreEvent::Put {
            key: key.to_string(),
            body: Bytes::from_static(b"abc"),
            last_modified_ms: 0,
        };
        bucket.apply(&put("tier/t/0/a.log"), Duration::from_secs(1));
        bucket.apply(&put("tier/t/0/a.index"), Duration::from_secs(2));
        bucket.apply(
            &StoreEvent::MultipartAbandoned {
                key: "tier/t/0/b.log".to_string(),
                bytes: 10,
            },
            Duration::from_secs(3),
        );
        bucket.apply(
            &StoreEvent::Corrupted {
                key: "tier/t/0/a.log".to_string(),
                byte_index: 1,
            },
            Duration::from_secs(4),
        );
        let log = bucket.get("tier/t/0/a.log").unwrap();
        assert!(log.corrupted);
        assert_eq!(log.body.as_deref(), Some(&b"abc"[..]));
        assert_eq!(bucket.get("tier/t/0/a.index").unwrap().body, None);
        assert!(!bucket.contains("tier/t/0/b.log"));
        bucket.apply(
            &StoreEvent::Delete {
                key: "tier/t/0/a.log".to_string(),
            },
            Duration::from_secs(5),
        );
        assert_eq!(bucket.objects().count(), 1);
    }
}
