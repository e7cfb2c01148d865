//! Writing to the tier-metadata topic. A record is produced with `acks=all` to the leader of
//! its tier partition, retried until it is acknowledged, and then waited for until this
//! broker's materializer has applied it: the writer then reads the verdict from its own tier
//! state, which holds only committed records.
//!
//! A retried record may be written twice (the producer is not idempotent); the tier state's
//! rules make a repeated record change nothing.

use std::time::Duration;

use super::super::super::data_protocol::{Acks, BrokerRequest, BrokerResponse};
use super::super::super::log::{ProducerInfo, Record};
use super::super::partition::{Partition, Role};
use super::super::ReplicaManager;
use super::Tiering;
use crate::tier::keys::tier_partition_for;
use crate::tier::{TierRecord, TIER_TOPIC};

/// Pause between attempts to write a tier-metadata record.
const PUBLISH_BACKOFF: Duration = Duration::from_millis(500);
/// How often a wait for the materializer looks whether its caller still leads.
const APPLIED_CHECK_INTERVAL: Duration = Duration::from_secs(1);

impl ReplicaManager {
    /// Writes `record` and waits until it is applied here. `None` when `partition` stopped
    /// being led by this broker in role `generation` first (the caller should stop).
    pub(super) async fn publish_tier_record(
        &self,
        tiering: &Tiering,
        partition: &Partition,
        generation: u64,
        record: TierRecord,
    ) -> Option<()> {
        let tier_partition = tier_partition_for(
            &record.topic,
            record.partition,
            tiering.params.tier_partition_count,
        );
        let offset = loop {
            if !self.still_leading(partition, generation).await {
                return None;
            }
            if let Some(offset) = self.produce_tier_record(tiering, tier_partition, &record).await {
                break offset;
            }
            tokio::time::sleep(PUBLISH_BACKOFF).await;
        };
        loop {
            let waited = tokio::time::timeout(
                APPLIED_CHECK_INTERVAL,
                tiering.wait_applied(tier_partition, offset),
            )
            .await;
            if waited.is_ok() {
                return Some(());
            }
            if !self.still_leading(partition, generation).await {
                return None;
            }
        }
    }

    /// One attempt: the offset the record was written at, once acknowledged.
    async fn produce_tier_record(
        &self,
        tiering: &Tiering,
        tier_partition: u32,
        record: &TierRecord,
    ) -> Option<u64> {
        let (address, _) = self.leader_of(TIER_TOPIC, tier_partition)?;
        let rpc = self.rpc()?;
        let request = BrokerRequest::Produce {
            topic: TIER_TOPIC.to_string(),
            partition: tier_partition,
            acks: Acks::All,
            producer: ProducerInfo::NONE,
            records: vec![Record::value_only(record.encode())],
            timeout_ms: tiering.params.publish_timeout.as_millis() as u64,
        };
        let timeout = tiering.params.publish_timeout + Duration::from_secs(1);
        match rpc.call::<_, BrokerResponse>(address, &request, timeout).await {
            Ok(BrokerResponse::Produce(Ok(written))) => Some(written.base_offset),
            other => {
                tracing::debug!(
                    broker = self.broker,
                    tier_partition,
                    ?other,
                    "tier-metadata write failed"
                );
                None
            }
        }
    }

    /// Whether this broker still leads `partition` in role `generation`.
    pub(super) async fn still_leading(&self, partition: &Partition, generation: u64) -> bool {
        let replica = partition.replica.lock().await;
        replica.generation == generation && matches!(replica.role, Role::Leader(_))
    }
}
