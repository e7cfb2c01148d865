//! The partition log's thresholds, named. Kafka's defaults are scaled down so that a
//! simulation of minutes sees segments roll and retention delete them.

/// When the active segment is closed and a new one started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogParams {
    /// A batch that would take the active segment past this size goes into a new segment
    /// instead (unless the active segment is empty, so that any batch fits somewhere).
    /// Kafka: `log.segment.bytes`, 1 GiB; 1 MiB here.
    pub segment_bytes_max: u64,
    /// A batch created this long after the active segment's first batch goes into a new
    /// segment. As in Kafka, the age is measured between batch timestamps, so no clock is
    /// read. Kafka: `log.roll.ms`, 7 days; 10 minutes here.
    pub segment_age_max_ms: u64,
}

impl Default for LogParams {
    fn default() -> Self {
        LogParams {
            segment_bytes_max: 1024 * 1024,
            segment_age_max_ms: 10 * 60 * 1000,
        }
    }
}
