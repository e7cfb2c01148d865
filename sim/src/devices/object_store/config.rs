//! Every number of the object store's model, named. The default is a realistic S3 bucket,
//! with the request-rate limits scaled down as the simulated workload is (a simulated
//! cluster carries about a thousand records a second, not a million). `fault_model.rs`
//! says what each number does.

use std::time::Duration;

/// The storm error rate a scenario gets when it names none: most requests fail, a few get
/// through, as in S3's 503 storms.
pub const DEFAULT_STORM_ERROR_RATE: f64 = 0.8;

/// The latency multiplier of an `object-store-latency` fault that names none.
pub const DEFAULT_LATENCY_MULTIPLIER: f64 = 10.0;

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectStoreConfig {
    /// Median time to first byte of a GET; HEAD, LIST and DELETE take as long. S3: about
    /// 30 ms within a region.
    pub get_latency_median: Duration,
    /// Spread (sigma of the underlying normal) of the lognormal GET latency: 0.8 puts the
    /// p99 near 6.4 x the median (about 190 ms).
    pub get_latency_sigma: f64,
    /// Median latency of a PUT before its body's transfer. S3: 100-200 ms.
    pub put_latency_median: Duration,
    /// 0.42 puts the PUT p99 at 2.67 x the median (about 400 ms).
    pub put_latency_sigma: f64,
    /// A drawn latency (before transfer and any latency fault) is cut off here, so that one
    /// draw far out in the tail cannot stall a caller for minutes; a store that is really
    /// slow is the `object-store-latency` fault.
    pub latency_max: Duration,
    /// Bytes per second a body moves at, in or out (one S3 connection: about 100 MB/s).
    pub transfer_bytes_per_second: f64,
    /// Writes (PUT, DELETE) per second each prefix accepts before answering 503 SlowDown.
    /// S3: 3,500; scaled down here.
    pub writes_per_second_per_prefix: f64,
    /// Reads (GET, HEAD, LIST) per second each prefix accepts. S3: 5,500; scaled down.
    pub reads_per_second_per_prefix: f64,
    /// Writes a prefix accepts at once after being idle (the token bucket's size).
    pub write_burst_requests: f64,
    /// Reads a prefix accepts at once after being idle.
    pub read_burst_requests: f64,
    /// Chance that a request fails with 500 InternalError.
    pub internal_error_rate: f64,
    /// Chance that a request gets no answer at all (the client times out); a write so
    /// dropped takes effect half the time.
    pub timeout_rate: f64,
    /// Chance that a request's connection is reset; a write so reset takes effect half the
    /// time.
    pub reset_rate: f64,
    /// During an outage, how long the store takes to answer 503 ServiceUnavailable (to the
    /// half of the requests it answers at all).
    pub outage_answer_delay: Duration,
    /// A PUT larger than this is a multipart upload: if it fails, its parts stay behind as
    /// an incomplete upload that takes storage but shows no object.
    pub multipart_threshold_bytes: u64,
    /// The bucket's lifecycle rule aborts incomplete uploads this old (S3's
    /// `AbortIncompleteMultipartUpload`, whose unit is days; minutes here).
    pub multipart_abort_after: Duration,
    /// How often the lifecycle rule runs.
    pub lifecycle_check_interval: Duration,
}

impl Default for ObjectStoreConfig {
    fn default() -> Self {
        ObjectStoreConfig {
            get_latency_median: Duration::from_millis(30),
            get_latency_sigma: 0.8,
            put_latency_median: Duration::from_millis(150),
            put_latency_sigma: 0.42,
            latency_max: Duration::from_secs(5),
            transfer_bytes_per_second: 100.0 * 1000.0 * 1000.0,
            writes_per_second_per_prefix: 50.0,
            reads_per_second_per_prefix: 100.0,
            write_burst_requests: 100.0,
            read_burst_requests: 200.0,
            internal_error_rate: 0.002,
            timeout_rate: 0.001,
            reset_rate: 0.001,
            outage_answer_delay: Duration::from_millis(20),
            multipart_threshold_bytes: 256 * 1024,
            multipart_abort_after: Duration::from_secs(10 * 60),
            lifecycle_check_interval: Duration::from_secs(60),
        }
    }
}

impl ObjectStoreConfig {
    /// A store that never fails on its own and answers at once: for tests that want only the
    /// faults they inject.
    pub fn without_faults_or_latency() -> Self {
        ObjectStoreConfig {
            get_latency_median: Duration::ZERO,
            get_latency_sigma: 0.0,
            put_latency_median: Duration::ZERO,
            put_latency_sigma: 0.0,
            transfer_bytes_per_second: f64::INFINITY,
            writes_per_second_per_prefix: f64::INFINITY,
            reads_per_second_per_prefix: f64::INFINITY,
            write_burst_requests: f64::INFINITY,
            read_burst_requests: f64::INFINITY,
            internal_error_rate: 0.0,
            timeout_rate: 0.0,
            reset_rate: 0.0,
            ..ObjectStoreConfig::default()
        }
    }
}
