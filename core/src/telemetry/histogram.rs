//! A latency histogram with bounded relative error, cheap enough to record every request and
//! every disk operation: buckets are powers of two of microseconds, each split into
//! [`SUB_BUCKETS`] equal parts, so a quantile is off by at most 1 / `SUB_BUCKETS` of its value
//! (HdrHistogram's idea, at the precision a detector needs).

use serde::{Deserialize, Serialize};

/// Parts of each power-of-two range: quantiles are within 12.5 %.
const SUB_BUCKETS: u64 = 8;
/// Powers of two covered: up to 2^40 us (about 12 days); larger values land in the last.
const POWERS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    count: u64,
    max_us: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; POWERS * SUB_BUCKETS as usize],
            count: 0,
            max_us: 0,
        }
    }
}

/// What a detector reads of one histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl LatencyHistogram {
    pub fn record_us(&mut self, value_us: u64) {
        self.counts[bucket_of(value_us)] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(value_us);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value below which `quantile` (0 to 1) of the recorded values lie, as the upper
    /// edge of its bucket (never above the largest value seen); 0 when empty.
    pub fn quantile_us(&self, quantile: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_edge_us(bucket).min(self.max_us);
            }
        }
        self.max_us
    }

    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            p50_us: self.quantile_us(0.5),
            p99_us: self.quantile_us(0.99),
            max_us: self.max_us,
        }
    }
}

fn bucket_of(value_us: u64) -> usize {
    if value_us < SUB_BUCKETS {
        return value_us as usize;
    }
    let power = 63 - value_us.leading_zeros() as u64; // value in [2^power, 2^(power+1))
    let width = (1u64 << power) / SUB_BUCKETS;
    let sub = (value_us - (1u64 << power)) / width;
    let index = (power - 2) * SUB_BUCKETS + sub; // power 3 starts right after the first 8
    (index as usize).min(POWERS * SUB_BUCKETS as usize - 1)
}

fn upper_edge_us(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let power = bucket / SUB_BUCKETS + 2;
    let sub = bucket % SUB_BUCKETS;
    let width = (1u64 << power) / SUB_BUCKETS;
    (1u64 << power) + (sub + 1) * width - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_an_eighth_of_the_truth() {
        let mut histogram = LatencyHistogram::default();
        for value in 1..=10_000u64 {
            histogram.record_us(value);
        }
        for (quantile, truth) in [(0.5, 5_000.0), (0.99, 9_900.0), (0.999, 9_990.0)] {
            let estimate = histogram.quantile_us(quantile) as f64;
            assert!(
                (estimate - truth).abs() / truth <= 0.125,
                "q{quantile}: {estimate} vs {truth}"
            );
        }
        assert_eq!(histogram.summary().max_us, 10_000);
        assert_eq!(histogram.count(), 10_000);
    }

    #[test]
    fn small_values_are_exact_and_an_empty_histogram_says_zero() {
        let mut histogram = LatencyHistogram::default();
        assert_eq!(histogram.quantile_us(0.99), 0);
        for value in [0, 1, 2, 3, 7] {
            histogram.record_us(value);
        }
        assert_eq!(histogram.quantile_us(1.0), 7);
        assert_eq!(histogram.quantile_us(0.2), 0);
    }

    #[test]
    fn a_slow_tail_shows_in_the_p99_not_the_median() {
        let mut histogram = LatencyHistogram::default();
        for _ in 0..980 {
            histogram.record_us(1_000);
        }
        for _ in 0..20 {
            histogram.record_us(200_000);
        }
        let summary = histogram.summary();
        assert!(summary.p50_us <= 1_125, "{summary:?}");
        assert!(summary.p99_us >= 175_000, "{summary:?}");
        // Huge values do not overflow the buckets.
        histogram.record_us(u64::MAX);
        assert_eq!(histogram.summary().max_us, u64::MAX);
    }
}
