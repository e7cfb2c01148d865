//! The tier-metadata consumer: fetches the committed records of one tier partition from its
//! leader, as a consumer does (only below the high watermark), and applies them in offset
//! order. Every broker runs one per tier partition, so every broker's tier state is the same
//! function of the same committed records.

use std::sync::Arc;
use std::time::Duration;

use super::super::super::data_protocol::{BrokerRequest, BrokerResponse, FetchError};
use super::super::{lock, ReplicaManager};
use crate::observe::Event;
use crate::tier::{TierRecord, TIER_TOPIC};

/// Pause after a failed fetch, so that a missing leader is not asked in a tight loop.
const FETCH_BACKOFF: Duration = Duration::from_millis(500);
const FETCH_MAX_BYTES: u64 = 256 * 1024;

impl ReplicaManager {
    pub(super) async fn materialize(self: Arc<Self>, tier_partition: u32) {
        let Some(tiering) = self.tiering().cloned() else {
            return;
        };
        loop {
            let Some(((address, leader_epoch), rpc)) = self
                .leader_of(TIER_TOPIC, tier_partition)
                .zip(self.rpc().cloned())
            else {
                tokio::time::sleep(FETCH_BACKOFF).await;
                continue;
            };
            let fetch_offset = tiering.applied_offset(tier_partition);
            let request = BrokerRequest::Fetch {
                topic: TIER_TOPIC.to_string(),
                partition: tier_partition,
                fetch_offset,
                max_bytes: FETCH_MAX_BYTES,
                current_leader_epoch: Some(leader_epoch),
                replica: None,
                max_wait_ms: tiering.params.materializer_fetch_max_wait.as_millis() as u64,
            };
            let timeout = tiering.params.materializer_fetch_max_wait + self.params.replica_fetch_timeout;
            let fetched = match rpc.call::<_, BrokerResponse>(address, &request, timeout).await {
                Ok(BrokerResponse::Fetch(Ok(fetched))) => fetched,
                Ok(BrokerResponse::Fetch(Err(FetchError::OffsetOutOfRange { .. }))) => {
                    // The tier-metadata topic keeps everything; a leader without our offset
                    // lost committed data, which the replica checkers report.
                    tracing::warn!(
                        broker = self.broker,
                        tier_partition,
                        fetch_offset,
                        "tier-metadata offset out of range"
                    );
                    tokio::time::sleep(FETCH_BACKOFF).await;
                    continue;
                }
                other => {
                    tracing::debug!(
                        broker = self.broker,
                        tier_partition,
                        ?other,
                        "tier-metadata fetch failed"
                    );
                    tokio::time::sleep(FETCH_BACKOFF).await;
                    continue;
                }
            };
            // Buggify: tier metadata materialised late (a slow consumer of the internal
            // topic): a broker's view of the tier lags its peers', and nothing it serves or
            // deletes may depend on a fresher view than it has.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(std::time::Duration::from_secs(2))).await;
            }
            let mut applied_any = false;
            for batch in fetched.batches {
                for (index, record) in batch.records.iter().enumerate() {
                    let offset = batch.base_offset + index as u64;
                    if offset < tiering.applied_offset(tier_partition) || offset >= fetched.high_watermark {
                        continue;
                    }
                    let Some(tier_record) = TierRecord::decode(&record.value) else {
                        tracing::warn!(
                            broker = self.broker,
                            tier_partition,
                            offset,
                            "undecodable tier-metadata record skipped"
                        );
                        lock(&tiering.applied_offsets).insert(tier_partition, offset + 1);
                        continue;
                    };
                    let outcome = lock(&tiering.state).apply(&tier_record);
                    lock(&tiering.applied_offsets).insert(tier_partition, offset + 1);
                    applied_any = true;
                    self.record(Event::TierRecordMaterialized {
                        broker: self.broker,
                        tier_partition,
                        offset,
                        record: tier_record,
                        rejected: outcome.err().map(|rejection| rejection.to_string()),
                    });
                }
            }
            if applied_any {
                tiering.applied.notify_waiters();
            }
        }
    }
}
