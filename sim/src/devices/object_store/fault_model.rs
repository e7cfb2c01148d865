//! What the simulated object store does wrong, and how often. Every number is a field of
//! [`ObjectStoreConfig`] (whose default is a realistic S3 bucket) or a fault's own value.
//!
//! # Always
//!
//! - **Consistency.** Strong per key, as S3's since 2020: a PUT or DELETE takes effect at
//!   one instant (when its latency has passed), and every request that arrives later sees
//!   it. A read is answered from the bucket as it is when the read arrives.
//! - **Latency.** A lognormal time to first byte: median `get_latency_median` (30 ms) and
//!   sigma `get_latency_sigma` (0.8, p99 about 190 ms) for GET, HEAD, LIST and DELETE;
//!   median `put_latency_median` (150 ms) and sigma `put_latency_sigma` (0.42, p99 about
//!   400 ms) for PUT; each cut off at `latency_max` (5 s). Then the body moves at
//!   `transfer_bytes_per_second` (100 MB/s): a PUT's body, a GET's answer. The network's own
//!   delay (madsim's 1-10 ms) comes on top.
//! - **Request-rate limit.** S3 accepts 3,500 writes and 5,500 reads per second per prefix
//!   (a key up to its third '/': `tier/orders/3/`, one partition). Here a token bucket per
//!   prefix refills at `writes_per_second_per_prefix` (50) for PUT and DELETE and at
//!   `reads_per_second_per_prefix` (100) for GET, HEAD and LIST, holding at most
//!   `write_burst_requests` (100) or `read_burst_requests` (200). A request finding its
//!   bucket empty is answered 503 SlowDown after a time to first byte, and takes no token.
//! - **Internal errors.** A request fails with 500 InternalError with probability
//!   `internal_error_rate` (0.2%), answered after a time to first byte, with no effect.
//! - **Timeouts.** With probability `timeout_rate` (0.1%) a request gets no answer at all,
//!   and the client's own timeout ends it. A PUT or DELETE so dropped takes effect with
//!   probability 1/2 (the store applied it and the answer was lost), when its latency has
//!   passed.
//! - **Connection resets.** With probability `reset_rate` (0.1%) a request is answered with
//!   a reset connection after its full latency; a PUT or DELETE so reset takes effect with
//!   probability 1/2.
//! - **Abandoned multipart uploads.** A PUT larger than `multipart_threshold_bytes`
//!   (256 KiB) is a multipart upload. If it fails in any way above (or below) without
//!   taking effect, its parts stay behind: an incomplete upload of the body's size, which
//!   takes storage but shows no object (`StoreEvent::MultipartAbandoned`). The lifecycle
//!   rule, run every `lifecycle_check_interval` (1 min), aborts incomplete uploads older
//!   than `multipart_abort_after` (10 min; `StoreEvent::MultipartAborted`).
//!
//! A request meets these in order: outage, storm, rate limit, then one draw for internal
//! error, timeout or reset (so the three base rates add up). Every request's latency is
//! drawn first, whatever its fate.
//!
//! # Faults (on and off by the world)
//!
//! - **Outage.** Every request is refused with no effect: half of them are answered 503
//!   ServiceUnavailable after `outage_answer_delay` (20 ms), the other half not at all.
//! - **503 storm.** Each request is answered 503 SlowDown, with no effect, with the storm's
//!   error rate (a scenario value, 0.8 by default).
//! - **Latency spike.** Every latency (first byte and transfer) is multiplied by the fault's
//!   multiplier.
//! - **Silent corruption** (instantaneous). One byte of one stored object whose key ends in
//!   `.log` is inverted, object and byte chosen uniformly by the seed; size and metadata stay
//!   the same and no request reports anything (`StoreEvent::Corrupted`).
//!
//! Overlapping faults of one kind stack: the store is out while any outage is on, and the
//! highest storm rate and latency multiplier apply.
//!
//! # Determinism
//!
//! Every draw comes from one ChaCha8 generator seeded by the world, requests are served in
//! the order madsim delivers them, and the bucket and the rate limiters are ordered maps.

use std::time::Duration;

use korasim_core::object_store::ObjectStoreError;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::ObjectStoreConfig;
use super::counters::RequestOutcome;
use super::latency::{scaled, transfer_time, Lognormal};
use super::rate_limit::{prefix_of, PrefixRateLimiter};

/// The faults the world has switched on. Each start is matched by one end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActiveFaults {
    pub outages: usize,
    pub storm_error_rates: Vec<f64>,
    pub latency_multipliers: Vec<f64>,
}

impl ActiveFaults {
    pub fn storm_error_rate(&self) -> Option<f64> {
        self.storm_error_rates.iter().copied().reduce(f64::max)
    }

    pub fn latency_multiplier(&self) -> f64 {
        self.latency_multipliers
            .iter()
            .copied()
            .reduce(f64::max)
            .unwrap_or(1.0)
    }

    pub fn is_empty(&self) -> bool {
        *self == ActiveFaults::default()
    }
}

/// Removes one `value` from `values` (the fault that added it ended).
pub(super) fn remove_one(values: &mut Vec<f64>, value: f64) {
    if let Some(position) = values.iter().position(|active| *active == value) {
        values.remove(position);
    }
}

/// What a request is, as far as its fate goes.
#[derive(Debug, Clone, Copy)]
pub struct RequestShape<'a> {
    pub key: &'a str,
    pub is_put: bool,
    pub is_write: bool,
    /// Bytes its body or answer moves.
    pub transfer_bytes: u64,
}

/// Why a request does not get its own result.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What the client is told; `None`: nothing at all.
    pub answer: Option<ObjectStoreError>,
    pub outcome: RequestOutcome,
}

/// A request's fate, drawn when it arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Whether the request reaches the bucket: a read is answered from it, a write changes
    /// it.
    pub applied: bool,
    /// `None`: answered with the request's own result.
    pub failure: Option<Failure>,
    /// How long until it takes effect and is answered.
    pub latency: Duration,
}

/// The fault model's state: its numbers, the rate limiters, the active faults and the
/// generator.
#[derive(Debug)]
pub struct FaultModel {
    config: ObjectStoreConfig,
    reads: PrefixRateLimiter,
    writes: PrefixRateLimiter,
    pub faults: ActiveFaults,
    pub random: ChaCha8Rng,
}

impl FaultModel {
    pub fn new(config: ObjectStoreConfig, random: ChaCha8Rng) -> Self {
        FaultModel {
            reads: PrefixRateLimiter::new(config.reads_per_second_per_prefix, config.read_burst_requests),
            writes: PrefixRateLimiter::new(config.writes_per_second_per_prefix, config.write_burst_requests),
            config,
            faults: ActiveFaults::default(),
            random,
        }
    }

    pub fn config(&self) -> &ObjectStoreConfig {
        &self.config
    }

    /// Draws the fate of a request arriving at `now` (the store's time since it started).
    pub fn decide(&mut self, request: RequestShape<'_>, now: Duration) -> Decision {
        let multiplier = self.faults.latency_multiplier();
        let first_byte = self.first_byte_latency(request.is_put);
        let transfer = transfer_time(request.transfer_bytes, self.config.transfer_bytes_per_second);
        let full = scaled(first_byte + transfer, multiplier);
        let quick = scaled(
            self.first_byte_latency_for_errors(first_byte, request.is_put),
            multiplier,
        );
        let refused = |error: Option<ObjectStoreError>, outcome, latency| Decision {
            applied: false,
            failure: Some(Failure {
                answer: error,
                outcome,
            }),
            latency,
        };
        if self.faults.outages > 0 {
            let delay = self.config.outage_answer_delay;
            return if self.random.gen_bool(0.5) {
                refused(
                    Some(ObjectStoreError::Unavailable),
                    RequestOutcome::Unavailable,
                    delay,
                )
            } else {
                refused(None, RequestOutcome::OutageUnanswered, delay)
            };
        }
        if let Some(error_rate) = self.faults.storm_error_rate() {
            if self.random.gen::<f64>() < error_rate {
                return refused(
                    Some(ObjectStoreError::SlowDown),
                    RequestOutcome::StormSlowDown,
                    quick,
                );
            }
        }
        let limiter = if request.is_write {
            &mut self.writes
        } else {
            &mut self.reads
        };
        if !limiter.try_take(prefix_of(request.key), now) {
            return refused(Some(ObjectStoreError::SlowDown), RequestOutcome::Throttled, quick);
        }
        let draw: f64 = self.random.gen();
        let internal = self.config.internal_error_rate;
        let timeout = internal + self.config.timeout_rate;
        let reset = timeout + self.config.reset_rate;
        let broken = |random: &mut ChaCha8Rng, answer, outcome| Decision {
            // The store applied the write and the answer was lost, or it never got there.
            applied: request.is_write && random.gen_bool(0.5),
            failure: Some(Failure { answer, outcome }),
            latency: full,
        };
        if draw < internal {
            refused(
                Some(ObjectStoreError::InternalError),
                RequestOutcome::InternalError,
                quick,
            )
        } else if draw < timeout {
            broken(&mut self.random, None, RequestOutcome::Unanswered)
        } else if draw < reset {
            broken(
                &mut self.random,
                Some(ObjectStoreError::ConnectionReset),
                RequestOutcome::ConnectionReset,
            )
        } else {
            Decision {
                applied: true,
                failure: None,
                latency: full,
            }
        }
    }

    fn first_byte_latency(&mut self, is_put: bool) -> Duration {
        let distribution = if is_put {
            Lognormal {
                median: self.config.put_latency_median,
                sigma: self.config.put_latency_sigma,
            }
        } else {
            Lognormal {
                median: self.config.get_latency_median,
                sigma: self.config.get_latency_sigma,
            }
        };
        distribution.sample(self.config.latency_max, &mut self.random)
    }

    /// An error is answered as quickly as a GET's first byte: a PUT refused at the front
    /// door does not pay for writing its body. Scaled from the draw already made, so that
    /// no second draw is needed.
    fn first_byte_latency_for_errors(&self, first_byte: Duration, is_put: bool) -> Duration {
        if !is_put || self.config.put_latency_median.is_zero() {
            return first_byte;
        }
        let ratio =
            self.config.get_latency_median.as_secs_f64() / self.config.put_latency_median.as_secs_f64();
        scaled(first_byte, ratio)
    }
}
