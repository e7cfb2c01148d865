//! What a workload does: how many producers and consumers, how fast they produce, and the
//! client settings they use (Kafka's producer and consumer configuration, by its names where
//! one exists).

use std::time::Duration;

use crate::workloads::{Acks, ClientId};

/// The shape of a workload and its clients' settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadParams {
    pub topic: String,
    pub partition_count: u32,
    pub producer_count: u32,
    /// Kafka's `enable.idempotence`: one producer id per producer, sequences per partition,
    /// retries deduplicated by the leader. Ignored under `acks=0`, which never learns whether a
    /// sequence was used (Kafka refuses that combination).
    pub idempotent: bool,
    pub acks: Acks,
    /// Records generated per second over all producers together (Poisson arrivals).
    pub records_per_second: f64,
    /// Each value is padded to this size; a longer unique name is never cut.
    pub record_size_bytes: usize,
    /// Kafka's `linger.ms`: how long a partition's sender waits after a batch's first record
    /// for more records to join it.
    pub linger: Duration,
    /// Kafka's `batch.size`, counted in records.
    pub max_batch_records: usize,
    /// Kafka's `request.timeout.ms`: how long one produce attempt waits for its answer.
    pub request_timeout: Duration,
    /// The `timeout_ms` of a produce request: how long an `acks=all` leader waits for the ISR
    /// before answering `REQUEST_TIMED_OUT`. Below `request_timeout`, so that answer arrives
    /// before the client gives up on the attempt.
    pub produce_timeout: Duration,
    /// Kafka's `delivery.timeout.ms`: how long after a record was handed to the producer it
    /// gives up on it (waiting in the queue, attempts and backoffs included).
    pub delivery_timeout: Duration,
    /// Kafka's `retry.backoff.ms`: the pause before retrying after an error.
    pub retry_backoff: Duration,
    /// Kafka's `metadata.max.age.ms`: metadata older than this is refreshed before use.
    pub metadata_refresh_interval: Duration,
    /// How long one metadata request waits for its answer before the next broker is asked.
    pub metadata_timeout: Duration,
    /// Tailing consumers, each reading every partition from offset 0 as records commit.
    pub consumer_count: u32,
    /// Kafka's `fetch.max.wait.ms`: how long the leader holds a fetch that finds no data.
    pub fetch_max_wait: Duration,
    /// Kafka's `fetch.max.bytes` (the leader still returns at least one batch).
    pub fetch_max_bytes: u64,
    /// Client ids (and producer ids) of this workload start after this one, so that two
    /// workloads of one run (a judged one and background load) never share an id.
    pub client_id_base: u32,
}

impl Default for WorkloadParams {
    fn default() -> Self {
        WorkloadParams {
            topic: "orders".to_string(),
            partition_count: 3,
            producer_count: 2,
            idempotent: true,
            acks: Acks::All,
            records_per_second: 100.0,
            record_size_bytes: 64,
            linger: Duration::from_millis(5),
            max_batch_records: 100,
            request_timeout: Duration::from_secs(5),
            produce_timeout: Duration::from_secs(4),
            delivery_timeout: Duration::from_secs(30),
            retry_backoff: Duration::from_millis(100),
            metadata_refresh_interval: Duration::from_secs(5),
            metadata_timeout: Duration::from_secs(1),
            consumer_count: 1,
            fetch_max_wait: Duration::from_millis(500),
            fetch_max_bytes: 1 << 20,
            client_id_base: 0,
        }
    }
}

impl WorkloadParams {
    /// Why these parameters cannot run, if they cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.topic.is_empty() {
            return Err("the workload's topic has no name".to_string());
        }
        if self.partition_count == 0 {
            return Err("the workload needs at least one partition".to_string());
        }
        if self.producer_count > 0 && !(self.records_per_second > 0.0 && self.records_per_second.is_finite())
        {
            return Err(format!(
                "records_per_second must be a positive number, not {}",
                self.records_per_second
            ));
        }
        if self.max_batch_records == 0 {
            return Err("max_batch_records must be at least 1".to_string());
        }
        if self.request_timeout.is_zero() || self.metadata_timeout.is_zero() {
            return Err("request_timeout and metadata_timeout must be above zero".to_string());
        }
        if self.delivery_timeout < self.request_timeout {
            return Err(format!(
                "delivery_timeout ({:?}) must be at least request_timeout ({:?})",
                self.delivery_timeout, self.request_timeout
            ));
        }
        Ok(())
    }

    /// Whether the producers use idempotence (never under `acks=0`).
    pub fn uses_idempotence(&self) -> bool {
        self.idempotent && self.acks != Acks::None
    }

    /// Producer `index` (from 0) records as client `index + 1`.
    pub fn producer_client(&self, index: u32) -> ClientId {
        ClientId(self.client_id_base + index + 1)
    }

    /// Tailing consumer `index` (from 0) records after the producers.
    pub fn consumer_client(&self, index: u32) -> ClientId {
        ClientId(self.client_id_base + self.producer_count + index + 1)
    }

    /// The final read records as the client after every producer and consumer.
    pub fn final_reader_client(&self) -> ClientId {
        ClientId(self.client_id_base + self.producer_count + self.consumer_count + 1)
    }

    /// The idempotent producer id of producer `index`: distinct per producer.
    pub fn producer_id(&self, index: u32) -> i64 {
        PRODUCER_ID_BASE + i64::from(self.client_id_base) + i64::from(index)
    }
}

/// Producer ids start here, so that they read as producer ids and never as small counts.
pub const PRODUCER_ID_BASE: i64 = 1_000;
