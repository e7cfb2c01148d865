//! The final read: once faults are healed, every partition read in full, so the oracle can
//! judge every acknowledged write.
//!
//! Each partition is read from its log start (the read starts at 0; `OFFSET_OUT_OF_RANGE`
//! names the start when retention moved it) up to the high watermark of the first answer,
//! taken once: records that commit later are not waited for. Every record is recorded as a
//! `read` with `final_read: true`, then `final_read_done` closes the partition with the range
//! covered. Failures are retried with backoff until the caller's deadline; a partition not
//! finished by then gets no `final_read_done`, and the summary says why, so the run can
//! report an incomplete final read instead of passing without judging the writes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use korasim_core::broker::data_protocol::FetchError;
use korasim_core::net::{Address, Rpc};
use tokio::time::Instant;

use super::fetcher::{records_in, FetchFailure, Fetcher};
use super::join_all::join_all;
use super::metadata_cache::MetadataCache;
use super::params::WorkloadParams;
use super::producer::back_off;
use super::recorder::Recorder;
use crate::workloads::{
    ClientId, FinalReadDone, FinalReadStarted, Operation, Payload, RecordRead, SharedHistory,
};

/// A partition read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReadDone {
    pub partition: u32,
    pub start_offset: u64,
    /// The high watermark read up to, not included.
    pub end_offset: u64,
    pub records_read: u64,
}

/// A partition whose final read did not finish by the deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionReadUnfinished {
    pub partition: u32,
    /// The next offset the read would have fetched.
    pub position: u64,
    /// The high watermark it was reading up to; `None` if no fetch ever succeeded.
    pub end_offset: Option<u64>,
    /// The last obstacle, in words.
    pub reason: String,
}

/// How the final read of a topic went, partition by partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalReadSummary {
    pub topic: String,
    pub done: Vec<PartitionReadDone>,
    pub unfinished: Vec<PartitionReadUnfinished>,
}

impl FinalReadSummary {
    /// Whether every partition was read in full.
    pub fn is_complete(&self) -> bool {
        self.unfinished.is_empty()
    }
}

impl fmt::Display for FinalReadSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records: u64 = self.done.iter().map(|done| done.records_read).sum();
        write!(
            f,
            "final read of {}: {} partitions read in full ({records} records)",
            self.topic,
            self.done.len()
        )?;
        for unfinished in &self.unfinished {
            let end = match unfinished.end_offset {
                Some(end) => end.to_string(),
                None => "unknown".to_string(),
            };
            write!(
                f,
                "; partition {} unfinished at offset {} of {end}: {}",
                unfinished.partition, unfinished.position, unfinished.reason
            )?;
        }
        Ok(())
    }
}

/// Reads every partition of `topic` in full, all partitions at once, recording as the final
/// reader client (`params.final_reader_client()`). Gives up on a partition `deadline` after
/// the call. Run it on the client node (inside `World::spawn_on_client`).
#[allow(clippy::too_many_arguments)]
pub async fn final_read(
    rpc: Arc<Rpc>,
    brokers: Vec<Address>,
    topic: &str,
    partitions: u32,
    history: SharedHistory,
    run_started: Instant,
    params: &WorkloadParams,
    deadline: Duration,
) -> FinalReadSummary {
    let client = params.final_reader_client();
    let deadline = Instant::now() + deadline;
    let params = WorkloadParams {
        topic: topic.to_string(),
        ..params.clone()
    };
    let cache = Arc::new(MetadataCache::new(
        rpc.clone(),
        brokers,
        params.metadata_timeout,
        params.metadata_refresh_interval,
        client.0 as usize,
    ));
    let reader = PartitionReader {
        client,
        topic: topic.to_string(),
        recorder: Recorder::new(history, run_started),
        retry_backoff: params.retry_backoff,
        deadline,
    };
    let reads = (0..partitions).map(|partition| {
        let fetcher = Fetcher::new(rpc.clone(), cache.clone(), &params, partition);
        reader.read(partition, fetcher)
    });
    let mut summary = FinalReadSummary {
        topic: topic.to_string(),
        ..FinalReadSummary::default()
    };
    for result in join_all(reads.collect()).await {
        match result {
            Ok(done) => summary.done.push(done),
            Err(unfinished) => summary.unfinished.push(unfinished),
        }
    }
    summary
}

/// What reading any one partition needs.
struct PartitionReader {
    client: ClientId,
    topic: String,
    recorder: Recorder,
    retry_backoff: Duration,
    deadline: Instant,
}

impl PartitionReader {
    async fn read(
        &self,
        partition: u32,
        fetcher: Fetcher,
    ) -> Result<PartitionReadDone, PartitionReadUnfinished> {
        let mut position: u64 = 0;
        // (start, end), from the first answer.
        let mut range: Option<(u64, u64)> = None;
        let mut records_read: u64 = 0;
        let mut obstacle = "no fetch was answered".to_string();
        self.recorder.record(FinalReadStarted {
            client: self.client,
            at: self.recorder.now(),
            topic: self.topic.clone(),
            partition,
        });
        loop {
            if let Some((start_offset, end_offset)) = range {
                if position >= end_offset {
                    self.recorder.record(FinalReadDone {
                        client: self.client,
                        at: self.recorder.now(),
                        topic: self.topic.clone(),
                        partition,
                        start_offset,
                        end_offset,
                    });
                    return Ok(PartitionReadDone {
                        partition,
                        start_offset,
                        end_offset,
                        records_read,
                    });
                }
            }
            if Instant::now() >= self.deadline {
                return Err(PartitionReadUnfinished {
                    partition,
                    position,
                    end_offset: range.map(|(_, end)| end),
                    reason: obstacle,
                });
            }
            match fetcher.fetch(position, Some(self.deadline)).await {
                Ok(fetched) => {
                    let (_, end_offset) = *range.get_or_insert_with(|| {
                        position = position.max(fetched.log_start_offset);
                        (position, fetched.high_watermark.max(position))
                    });
                    let before = position;
                    let at = self.recorder.now();
                    let mut reads = Vec::new();
                    for (offset, record) in records_in(&fetched, position, Some(end_offset)) {
                        reads.push(Operation::from(RecordRead {
                            client: self.client,
                            at,
                            topic: self.topic.clone(),
                            partition,
                            offset,
                            key: record.key.clone().map(Payload),
                            value: Payload(record.value.clone()),
                            final_read: true,
                        }));
                        position = offset + 1;
                    }
                    records_read += reads.len() as u64;
                    self.recorder.record_all(reads);
                    if position > before || position >= end_offset {
                        continue;
                    }
                    obstacle = format!(
                        "no records at offset {position}: the leader's high watermark is {}, its log ends at {}",
                        fetched.high_watermark, fetched.log_end_offset
                    );
                }
                Err(FetchFailure::Error(FetchError::OffsetOutOfRange {
                    log_start_offset,
                    log_end_offset,
                })) if position < log_start_offset => {
                    // Retention moved the log start: what is left starts there.
                    position = log_start_offset;
                    if let Some((start, end)) = &mut range {
                        *start = log_start_offset.min(*end);
                    }
                    tracing::debug!(
                        partition,
                        log_start_offset,
                        log_end_offset,
                        "final read starts later"
                    );
                    continue;
                }
                Err(failure) => obstacle = failure.to_string(),
            }
            back_off(self.retry_backoff, self.deadline).await;
        }
    }
}
