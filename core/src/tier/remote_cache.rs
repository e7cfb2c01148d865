//! A small cache of bytes read from the object store (indexes and segment ranges), least
//! recently used out first, bounded in bytes. Consumers catching up read a segment's ranges
//! in order and often more than once (retries, several consumers); the cache spares the
//! store those repeats.

use std::collections::VecDeque;

use bytes::Bytes;

/// Cached bytes by key; deterministic (a queue, no hashing).
pub struct RemoteCache {
    capacity_bytes: u64,
    size_bytes: u64,
    /// Most recently used last.
    entries: VecDeque<(String, Bytes)>,
}

impl RemoteCache {
    pub fn new(capacity_bytes: u64) -> Self {
        RemoteCache {
            capacity_bytes,
            size_bytes: 0,
            entries: VecDeque::new(),
        }
    }

    pub fn get(&mut self, key: &str) -> Option<Bytes> {
        let position = self.entries.iter().position(|(cached, _)| cached == key)?;
        let entry = self.entries.remove(position)?;
        let bytes = entry.1.clone();
        self.entries.push_back(entry);
        Some(bytes)
    }

    pub fn insert(&mut self, key: String, bytes: Bytes) {
        if bytes.len() as u64 > self.capacity_bytes {
            return;
        }
        if let Some(position) = self.entries.iter().position(|(cached, _)| *cached == key) {
            if let Some((_, old)) = self.entries.remove(position) {
                self.size_bytes -= old.len() as u64;
            }
        }
        self.size_bytes += bytes.len() as u64;
        self.entries.push_back((key, bytes));
        while self.size_bytes > self.capacity_bytes {
            let Some((_, evicted)) = self.entries.pop_front() else {
                break;
            };
            self.size_bytes -= evicted.len() as u64;
        }
    }

    /// Drops every entry whose key starts with `prefix` (an object that was deleted).
    pub fn forget_prefix(&mut self, prefix: &str) {
        let size_bytes = &mut self.size_bytes;
        self.entries.retain(|(key, bytes)| {
            let keep = !key.starts_with(prefix);
            if !keep {
                *size_bytes -= bytes.len() as u64;
            }
            keep
        });
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut cache = RemoteCache::new(20);
        cache.insert("a".into(), Bytes::from(vec![0; 8]));
        cache.insert("b".into(), Bytes::from(vec![0; 8]));
        assert!(cache.get("a").is_some());
        cache.insert("c".into(), Bytes::from(vec![0; 8]));
        assert!(cache.get("b").is_none());
        assert!(cache.get("a").is_some());
        assert!(cache.get("c").is_some());
        assert_eq!(cache.size_bytes(), 16);
    }

    #[test]
    fn entries_larger_than_the_cache_are_not_kept() {
        let mut cache = RemoteCache::new(4);
        cache.insert("a".into(), Bytes::from(vec![0; 8]));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_deleted_objects_entries_are_forgotten() {
        let mut cache = RemoteCache::new(100);
        cache.insert("tier/t/0/x.log@0".into(), Bytes::from(vec![0; 8]));
        cache.insert("tier/t/0/y.log@0".into(), Bytes::from(vec![0; 8]));
        cache.forget_prefix("tier/t/0/x.");
        assert!(cache.get("tier/t/0/x.log@0").is_none());
        assert_eq!(cache.size_bytes(), 8);
    }
}
