//! A fixed, fast hash for the oracle's lookup tables.
//!
//! Std's default hash (SipHash, keyed per map) is built to resist attackers choosing keys; the
//! oracle hashes its own history, a quarter of a million operations with values of a hundred
//! bytes, and spent most of its time in SipHash. This one folds eight bytes a step with one
//! multiplication. It has no key, so it is deterministic, but the oracle never lets that
//! matter: no map hashed with it is ever iterated, only looked up, so nothing the oracle
//! reports depends on the order of a hash table.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map with `FastHasher`. Look it up; never iterate it for output.
pub(super) type FastHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

pub(super) fn map_with_capacity<K, V>(capacity: usize) -> FastHashMap<K, V> {
    FastHashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

/// An odd constant with well-spread bits (the fractional digits of pi).
const MULTIPLIER: u64 = 0x243f_6a88_85a3_08d3;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    /// Mixes in one word: the full 128-bit product, folded, so that every bit of the word
    /// reaches the high bits (which hashbrown uses as tags) and the low bits (its buckets).
    #[inline]
    fn add(&mut self, word: u64) {
        let product = u128::from(self.hash ^ word) * u128::from(MULTIPLIER);
        self.hash = (product as u64) ^ ((product >> 64) as u64);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().expect("eight bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length tells a short tail from one padded with zeros.
            self.add(u64::from_le_bytes(last) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u16(&mut self, value: u16) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasher;

    use super::*;

    fn hash(value: impl std::hash::Hash) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(value)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_ones_apart() {
        assert_eq!(hash(b"p1-7....".as_slice()), hash(b"p1-7....".as_slice()));
        let near = [
            hash(b"p1-7".as_slice()),
            hash(b"p1-8".as_slice()),
            hash(b"p1-7\0".as_slice()),
            hash(("orders", 1_u32)),
            hash(("orders", 2_u32)),
        ];
        let distinct: std::collections::BTreeSet<u64> = near.iter().copied().collect();
        assert_eq!(distinct.len(), near.len());
    }
}
