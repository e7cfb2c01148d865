//! Every threshold of the health-check agent and the degradation detector, named.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct HealthParams {
    /// Time between two probes of one broker; each probe is a produce then a fetch, so
    /// 600 ms gives Kora's ~100 produce and ~100 fetch probes per broker-minute.
    pub probe_interval: Duration,
    /// A probe not answered within this counts as failed. Short, so that a broker nobody
    /// reaches still gets several (failed) probes per round.
    pub probe_timeout: Duration,
    /// How often the detector scrapes telemetry, takes the agent's results and decides.
    pub evaluation_interval: Duration,
    /// Rounds in a row in which every probe of a broker failed before it is demoted.
    pub no_progress_rounds: u32,
    /// A round judges progress only with at least this many probes sent to the broker.
    pub probes_per_round_min: u64,
    /// A broker is slow when its disk write p99 is at least this many times the median of
    /// the other brokers' ...
    pub slow_factor: f64,
    /// ... and at least this long (a fast cluster's noise is not slowness).
    pub slow_disk_write_p99_min: Duration,
    /// Disk writes a broker must have done in a round for its p99 to count.
    pub disk_writes_per_round_min: u64,
    /// Rounds in a row a broker must be slow before it is made ISR-ineligible.
    pub slow_rounds: u32,
    /// Healthy rounds in a row before a mitigation is lifted.
    pub recovery_rounds: u32,
    /// Kafka's `min.insync.replicas`: the detector lifts an ISR-ineligible mark when a
    /// partition the broker replicates has fallen below it (the mark must not keep a
    /// partition unavailable).
    pub min_insync_replicas: usize,
}

impl Default for HealthParams {
    fn default() -> Self {
        HealthParams {
            probe_interval: Duration::from_millis(600),
            probe_timeout: Duration::from_secs(2),
            evaluation_interval: Duration::from_secs(10),
            no_progress_rounds: 3,
            probes_per_round_min: 3,
            slow_factor: 5.0,
            slow_disk_write_p99_min: Duration::from_millis(10),
            disk_writes_per_round_min: 5,
            slow_rounds: 3,
            recovery_rounds: 6,
            min_insync_replicas: 2,
        }
    }
}
