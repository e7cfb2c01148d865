//! How long a request takes: a lognormal time to first byte (most requests are quick, a few
//! are many times slower, as S3's are), plus the body's transfer time.

use std::time::Duration;

use rand::Rng;

/// No request takes longer than this, whatever the numbers: a scenario may ask for absurd
/// multipliers or rates, and a sleep past the end of simulated time would panic.
const LATENCY_CEILING: Duration = Duration::from_secs(3600);

/// `seconds` as a duration, cut off at the ceiling (and at zero).
pub fn bounded(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds)
        .unwrap_or(if seconds > 0.0 {
            LATENCY_CEILING
        } else {
            Duration::ZERO
        })
        .min(LATENCY_CEILING)
}

/// `latency` scaled by `factor`, within the ceiling.
pub fn scaled(latency: Duration, factor: f64) -> Duration {
    bounded(latency.as_secs_f64() * factor)
}

/// A lognormal distribution given by its median and the sigma of the underlying normal:
/// the median is `median`, and the p99 is `median x e^(2.326 sigma)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lognormal {
    pub median: Duration,
    pub sigma: f64,
}

impl Lognormal {
    /// One draw, cut off at `max`. Always draws two numbers, so that the stream of random
    /// numbers does not depend on the distribution's parameters.
    pub fn sample<R: Rng + ?Sized>(&self, max: Duration, random: &mut R) -> Duration {
        let normal = standard_normal(random);
        let seconds = self.median.as_secs_f64() * (self.sigma * normal).exp();
        bounded(seconds.min(max.as_secs_f64()))
    }
}

/// A standard normal number by the Box-Muller transform, from two uniform draws.
pub fn standard_normal<R: Rng + ?Sized>(random: &mut R) -> f64 {
    // `1 - u` lies in (0, 1], so the logarithm is finite.
    let radius_uniform = 1.0 - random.gen::<f64>();
    let angle_uniform: f64 = random.gen();
    (-2.0 * radius_uniform.ln()).sqrt() * (std::f64::consts::TAU * angle_uniform).cos()
}

/// Time to move `bytes` at `bytes_per_second` (no time at an infinite rate).
pub fn transfer_time(bytes: u64, bytes_per_second: f64) -> Duration {
    if bytes == 0 || !(bytes_per_second.is_finite() && bytes_per_second > 0.0) {
        return Duration::ZERO;
    }
    bounded(bytes as f64 / bytes_per_second)
}
