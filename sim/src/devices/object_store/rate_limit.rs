//! S3's request-rate limit: each key prefix accepts so many requests a second, and answers
//! 503 SlowDown past that. Modelled as a token bucket per prefix, one for reads and one for
//! writes.

use std::collections::BTreeMap;
use std::time::Duration;

/// How many '/'-separated levels of a key make its prefix: `tier/orders/3/` for every
/// object of partition 3 of `orders`, so that each partition has a limit of its own (as S3
/// partitions a busy bucket by prefix).
const PREFIX_LEVELS: usize = 3;

/// The key up to and including its third '/', or the whole key if it has fewer.
pub fn prefix_of(key: &str) -> &str {
    let mut end = key.len();
    let mut slashes = 0;
    for (index, character) in key.char_indices() {
        if character == '/' {
            slashes += 1;
            if slashes == PREFIX_LEVELS {
                end = index + 1;
                break;
            }
        }
    }
    &key[..end]
}

/// One token bucket per prefix.
#[derive(Debug, Clone)]
pub struct PrefixRateLimiter {
    requests_per_second: f64,
    burst_requests: f64,
    /// Tokens left in each prefix's bucket, and when they were counted.
    buckets: BTreeMap<String, (f64, Duration)>,
}

impl PrefixRateLimiter {
    pub fn new(requests_per_second: f64, burst_requests: f64) -> Self {
        PrefixRateLimiter {
            requests_per_second,
            burst_requests,
            buckets: BTreeMap::new(),
        }
    }

    /// Takes a token from the prefix's bucket if it has one. `now` is any clock that only
    /// goes forward (the store's time since it started). A refused request takes nothing.
    pub fn try_take(&mut self, prefix: &str, now: Duration) -> bool {
        if !self.requests_per_second.is_finite() {
            return true;
        }
        let (tokens, counted_at) = self
            .buckets
            .entry(prefix.to_string())
            .or_insert((self.burst_requests, now));
        let refilled = now.saturating_sub(*counted_at).as_secs_f64() * self.requests_per_second;
        *tokens = (*tokens + refilled).min(self.burst_requests);
        *counted_at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
