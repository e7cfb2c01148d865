//! The broker's data-plane request handler: decodes a `BrokerRequest`, lets the replica
//! manager serve it, encodes the answer.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

use super::super::data_protocol::{BrokerRequest, BrokerResponse, ClusterMetadata};
use super::super::metadata_follower::BrokerMetadata;
use super::fetch::FetchRequest;
use super::produce::ProduceRequest;
use super::ReplicaManager;
use crate::net::{decode, encode, Address, RpcHandler};
use crate::telemetry::{BrokerTelemetry, RequestKind};
use tokio::time::Instant;

/// Serves producers, consumers and follower replicas.
pub struct DataPlaneHandler {
    pub(in crate::broker) manager: Arc<ReplicaManager>,
    /// The broker's latest metadata, for `Metadata` requests.
    pub(in crate::broker) metadata: BrokerMetadata,
    pub(in crate::broker) telemetry: Arc<BrokerTelemetry>,
}

#[async_trait]
impl RpcHandler for DataPlaneHandler {
    async fn handle(&self, _from: Address, request: Bytes) -> Option<Bytes> {
        let request: BrokerRequest = match decode(&request) {
            Ok(request) => request,
            Err(error) => {
                tracing::debug!(%error, "undecodable broker request dropped");
                return None;
            }
        };
        let response = match request {
            BrokerRequest::Produce {
                topic,
                partition,
                acks,
                producer,
                records,
                timeout_ms,
            } => {
                let request = ProduceRequest {
                    topic,
                    partition,
                    acks,
                    producer,
                    records,
                    timeout: Duration::from_millis(timeout_ms),
                };
                let started = Instant::now();
                let answer = self.manager.produce(request).await?;
                self.telemetry
                    .record_request(RequestKind::Produce, started.elapsed(), answer.is_ok());
                BrokerResponse::Produce(answer)
            }
            BrokerRequest::Fetch {
                topic,
                partition,
                fetch_offset,
                max_bytes,
                current_leader_epoch,
                replica,
                max_wait_ms,
            } => {
                let started = Instant::now();
                let answer = self
                    .manager
                    .fetch(FetchRequest {
                        topic,
                        partition,
                        fetch_offset,
                        max_bytes,
                        current_leader_epoch,
                        replica: replica.map(|(broker, _epoch)| broker),
                        max_wait: Duration::from_millis(max_wait_ms),
                    })
                    .await;
                // A consumer fetch that waited for data waited on purpose: only one that came
                // back with data or an error says how fast the broker serves.
                let served = answer
                    .as_ref()
                    .map_or(true, |fetched| !fetched.batches.is_empty());
                if replica.is_none() && served {
                    self.telemetry.record_request(
                        RequestKind::ConsumerFetch,
                        started.elapsed(),
                        answer.is_ok(),
                    );
                }
                BrokerResponse::Fetch(answer)
            }
            BrokerRequest::OffsetsForLeaderEpoch {
                topic,
                partition,
                current_leader_epoch,
                leader_epoch,
            } => BrokerResponse::OffsetsForLeaderEpoch(
                self.manager
                    .offsets_for_leader_epoch(&topic, partition, current_leader_epoch, leader_epoch)
                    .await,
            ),
            BrokerRequest::Telemetry => {
                BrokerResponse::Telemetry(self.telemetry.scrape(self.manager.follower_lag_max_records()))
            }
            BrokerRequest::Metadata => {
                let image = self
                    .metadata
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                BrokerResponse::Metadata(ClusterMetadata::from_image(&image))
            }
            BrokerRequest::AuditChecksum {
                topic,
                partition,
                leader_epoch,
                from_offset,
                to_offset,
                convicted_below,
                allowed_log_start,
            } => BrokerResponse::AuditChecksum(
                self.manager
                    .answer_audit(
                        &topic,
                        partition,
                        leader_epoch,
                        from_offset..to_offset,
                        convicted_below,
                        allowed_log_start,
                    )
                    .await,
            ),
        };
        Some(encode(&response))
    }
}
