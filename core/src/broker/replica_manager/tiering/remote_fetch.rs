//! Serving a consumer's fetch below the local log start from the object store (KIP-405's
//! remote fetch). The segment serving the offset comes from the committed tier state; its
//! index tells which bytes to read, a ranged GET reads them, and both are cached. The replica
//! lock is not held meanwhile: a remote read takes tens of milliseconds and more.

use bytes::Bytes;
use tokio::time::Instant;

use super::super::super::data_protocol::{FetchError, FetchOk};
use super::super::super::log::RecordBatch;
use super::super::{lock, ReplicaManager};
use super::Tiering;
use crate::observe::Event;
use crate::tier::keys::{index_key, segment_key};
use crate::tier::SegmentIndex;

/// A consumer fetch that the local log cannot serve, with the leader's view of the partition.
pub(in super::super) struct RemoteFetch {
    pub topic: String,
    pub partition: u32,
    pub fetch_offset: u64,
    pub max_bytes: u64,
    pub high_watermark: u64,
    pub log_end_offset: u64,
}

impl ReplicaManager {
    /// Whether a consumer fetch at an offset below the local log start goes to the store.
    pub(in super::super) fn serves_remotely(&self, topic: &str) -> bool {
        self.tiering().is_some() && super::is_tiered_topic(topic)
    }

    /// Where the partition's log starts counting the remote tier, given where the local log
    /// starts.
    pub(in super::super) fn log_start_across_tiers(
        &self,
        topic: &str,
        partition: u32,
        local_log_start_offset: u64,
    ) -> u64 {
        let Some(tiering) = self.tiering().filter(|_| super::is_tiered_topic(topic)) else {
            return local_log_start_offset;
        };
        let state = tiering.partition_state(topic, partition);
        if state.has_tiered_data() {
            state.remote_log_start_offset().min(local_log_start_offset)
        } else {
            local_log_start_offset
        }
    }

    pub(in super::super) async fn fetch_remote(&self, fetch: RemoteFetch) -> Result<FetchOk, FetchError> {
        let tiering = self.tiering().ok_or(FetchError::KafkaStorageError)?;
        let state = tiering.partition_state(&fetch.topic, fetch.partition);
        let log_start_offset = state.remote_log_start_offset();
        let Some(segment) = state.segment_serving(fetch.fetch_offset).cloned() else {
            return Err(FetchError::OffsetOutOfRange {
                log_start_offset,
                log_end_offset: fetch.log_end_offset,
            });
        };
        let started = Instant::now();
        let index_key = index_key(&fetch.topic, fetch.partition, &segment.object_id);
        let (index_bytes, index_cached) = self.read_remote(tiering, &index_key, None).await?;
        let index = SegmentIndex::decode(&index_bytes).ok_or(FetchError::CorruptMessage)?;
        let Some(range) = index.byte_range(fetch.fetch_offset, fetch.max_bytes) else {
            return Err(FetchError::OffsetOutOfRange {
                log_start_offset,
                log_end_offset: fetch.log_end_offset,
            });
        };
        let data_key = segment_key(&fetch.topic, fetch.partition, &segment.object_id);
        let (data, data_cached) = self.read_remote(tiering, &data_key, Some(range)).await?;
        let mut batches = decode_batches(&data)?;
        // Batches before the fetch offset, or before what this segment serves (an
        // overlapping upload), belong to the segment before; past the high watermark, to no
        // consumer yet.
        batches.retain(|batch| {
            batch.last_offset() >= fetch.fetch_offset
                && batch.last_offset() >= segment.serving_start_offset
                && batch.base_offset < fetch.high_watermark
        });
        self.record(Event::RemoteFetchServed {
            broker: self.broker,
            topic: fetch.topic.clone(),
            partition: fetch.partition,
            fetch_offset: fetch.fetch_offset,
            object_id: segment.object_id.clone(),
            bytes: data.len() as u64,
            from_cache: index_cached && data_cached,
            latency_ms: started.elapsed().as_millis() as u64,
        });
        Ok(FetchOk {
            high_watermark: fetch.high_watermark,
            log_start_offset,
            log_end_offset: fetch.log_end_offset,
            batches,
        })
    }

    /// The bytes of `key` (in `range`), from the cache when there; and whether they were.
    async fn read_remote(
        &self,
        tiering: &Tiering,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<(Bytes, bool), FetchError> {
        let cache_key = match &range {
            Some(range) => format!("{key}@{}..{}", range.start, range.end),
            None => key.to_string(),
        };
        if let Some(bytes) = lock(&tiering.cache).get(&cache_key) {
            return Ok((bytes, true));
        }
        // Buggify: a GET that fails transiently (a 500 from one of the store's nodes): the
        // consumer's fetch fails and must be retried, and nothing wrong may be cached.
        let fetched = match tiering.store.get(key, range).await {
            Ok(_) if crate::buggify!() => Err(crate::object_store::ObjectStoreError::InternalError),
            fetched => fetched,
        };
        match fetched {
            Ok(bytes) => {
                lock(&tiering.cache).insert(cache_key, bytes.clone());
                Ok((bytes, false))
            }
            Err(error) => {
                tracing::debug!(broker = self.broker, key, %error, "remote read failed");
                // The consumer retries; Kafka answers a failed remote read the same way.
                Err(FetchError::KafkaStorageError)
            }
        }
    }
}

/// The batches in a run of whole batches read from a tiered segment. A batch that does not
/// decode means the object is corrupt.
fn decode_batches(data: &[u8]) -> Result<Vec<RecordBatch>, FetchError> {
    let mut batches = Vec::new();
    let mut position = 0;
    while position < data.len() {
        let (batch, size_bytes) =
            RecordBatch::decode_prefix(&data[position..]).map_err(|_| FetchError::CorruptMessage)?;
        batches.push(batch);
        position += size_bytes;
    }
    Ok(batches)
}
