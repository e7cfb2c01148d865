//! A tailing consumer: one long-lived loop per partition reads from offset 0 on, as records
//! commit, and records every record it receives (`final_read: false`). The leader only serves
//! consumers below the high watermark, so what they read is what the cluster committed at
//! the time; the oracle compares it with the final read (`divergent-read`, `phantom-record`).

use std::sync::Arc;

use korasim_core::broker::data_protocol::FetchError;
use tokio::time::Instant;

use super::fetcher::{records_in, FetchFailure, Fetcher};
use super::params::WorkloadParams;
use super::producer::back_off;
use super::recorder::Recorder;
use super::stop_signal::StopSignal;
use crate::workloads::{ClientId, Operation, Payload, RecordRead};

/// What every loop of one consumer shares.
pub(super) struct ConsumerContext {
    pub client: ClientId,
    pub params: Arc<WorkloadParams>,
    pub recorder: Recorder,
}

/// Starts one loop per partition on the current node; they end when `stop` is raised.
pub(super) fn spawn_consumer(context: Arc<ConsumerContext>, fetchers: Vec<Fetcher>, stop: &StopSignal) {
    for (partition, fetcher) in fetchers.into_iter().enumerate() {
        let context = context.clone();
        let stop = stop.clone();
        tokio::spawn(async move { tail(&context, partition as u32, fetcher, stop).await });
    }
}

async fn tail(context: &ConsumerContext, partition: u32, fetcher: Fetcher, stop: StopSignal) {
    let params = &context.params;
    let mut position: u64 = 0;
    loop {
        if stop.is_stopped() {
            break;
        }
        let fetched = tokio::select! {
            biased;
            _ = stop.stopped() => break,
            fetched = fetcher.fetch(position, None) => fetched,
        };
        match fetched {
            Ok(fetched) => {
                let at = context.recorder.now();
                let mut reads = Vec::new();
                for (offset, record) in records_in(&fetched, position, None) {
                    reads.push(Operation::from(RecordRead {
                        client: context.client,
                        at,
                        topic: params.topic.clone(),
                        partition,
                        offset,
                        key: record.key.clone().map(Payload),
                        value: Payload(record.value.clone()),
                        final_read: false,
                    }));
                    position = offset + 1;
                }
                context.recorder.record_all(reads);
                continue;
            }
            // Kafka's `auto.offset.reset=earliest`: start again from the log start.
            Err(FetchFailure::Error(FetchError::OffsetOutOfRange { log_start_offset, .. })) => {
                tracing::debug!(client = %context.client, partition, position, log_start_offset, "offset out of range");
                position = log_start_offset;
            }
            Err(_) => {}
        }
        tokio::select! {
            biased;
            _ = stop.stopped() => break,
            _ = back_off(params.retry_backoff, Instant::now() + params.retry_backoff) => {}
        }
    }
}
