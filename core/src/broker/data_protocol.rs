//! The messages of the broker data plane: what producers, consumers and follower replicas
//! send to a partition leader, and its answers. They travel encoded with postcard through
//! [`crate::net::Rpc`], like the metadata protocol.
//!
//! The log's own types ([`Record`], [`RecordBatch`], [`ProducerInfo`], [`EpochEndOffset`])
//! are not serde types; the messages hold them as they are and convert them to private wire
//! structs (same fields) when encoded.
//!
//! Errors carry Kafka's names. [`ProduceError::is_retriable`] and [`FetchError::is_retriable`]
//! say whether the same request may succeed later; [`ProduceError::refreshes_metadata`] and
//! [`FetchError::refreshes_metadata`] say whether the client must first refresh its metadata
//! (the partition's leader or leader epoch changed, or the topic is unknown to this broker),
//! because resending to the same broker with the same epoch cannot succeed.

use serde::{Deserialize, Serialize};

use super::log::{EpochEndOffset, ProducerInfo, Record, RecordBatch};
use crate::metadata::BrokerId;
use crate::telemetry::TelemetrySnapshot;

/// How many replicas must have a produced batch before the leader acknowledges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Acks {
    /// Kafka's `acks=-1`: every ISR member, with at least `min_insync_replicas` in the ISR.
    All,
    /// Kafka's `acks=1`: the leader's log alone.
    Leader,
    /// Kafka's `acks=0`: no answer at all.
    None,
}

/// A request to the broker that leads (or follows) a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerRequest {
    Produce {
        topic: String,
        partition: u32,
        acks: Acks,
        #[serde(with = "producer_wire")]
        producer: ProducerInfo,
        #[serde(with = "records_wire")]
        records: Vec<Record>,
        timeout_ms: u64,
    },
    Fetch {
        topic: String,
        partition: u32,
        fetch_offset: u64,
        max_bytes: u64,
        /// The leader epoch the fetcher believes current (KIP-320); `None` skips the check.
        current_leader_epoch: Option<u64>,
        /// The follower replica and its broker epoch; `None` for a consumer.
        replica: Option<(BrokerId, u64)>,
        /// Kafka's `fetch.max.wait.ms` / `replica.fetch.wait.max.ms`: when nothing is there
        /// to return, the leader holds the request this long for data to arrive (a long
        /// poll) instead of answering empty at once; 0 answers at once.
        max_wait_ms: u64,
    },
    /// Which broker leads each partition, and where every broker is (Kafka's `Metadata`).
    /// Any broker answers from its copy of the metadata image, which may be stale.
    Metadata,
    /// Where `leader_epoch` ends in the leader's log (KIP-101, KIP-279).
    OffsetsForLeaderEpoch {
        topic: String,
        partition: u32,
        current_leader_epoch: u64,
        leader_epoch: u64,
    },
    /// A metrics scrape: the broker's telemetry since the previous scrape.
    Telemetry,
    /// Durability audit: the leader in `leader_epoch` asks a follower for the checksum of its
    /// batches over the committed range `[from_offset, to_offset)` (see `broker::audit`).
    AuditChecksum {
        topic: String,
        partition: u32,
        leader_epoch: u64,
        from_offset: u64,
        to_offset: u64,
        /// Set when the leader's audit convicted this follower by the majority rule (its
        /// batches pass their own CRCs but differ): it marks itself for a rebuild below this
        /// offset instead of answering.
        convicted_below: Option<u64>,
        /// The highest local log start retention allows as the leader sees it (its own log
        /// start, or the committed tiered end if higher): a follower whose log starts above
        /// it (and above its own view of the tiered end) has lost committed data.
        allowed_log_start: u64,
    },
}

/// The answer to a [`BrokerRequest`], variant for variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerResponse {
    Produce(Result<ProduceOk, ProduceError>),
    Fetch(Result<FetchOk, FetchError>),
    /// `Ok(None)` is Kafka's `UNDEFINED_EPOCH_OFFSET`: the leader knows no epoch at or below
    /// the one asked for.
    OffsetsForLeaderEpoch(#[serde(with = "epoch_answer_wire")] Result<Option<EpochEndOffset>, FetchError>),
    Metadata(ClusterMetadata),
    Telemetry(TelemetrySnapshot),
    AuditChecksum(super::audit::AuditAnswer),
}

/// A broker's view of the cluster, for clients to find partition leaders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMetadata {
    /// The metadata log offset the answering broker's image is at.
    pub metadata_offset: Option<u64>,
    pub brokers: Vec<BrokerEndpoint>,
    pub partitions: Vec<PartitionMetadata>,
}

/// Where a registered broker listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerEndpoint {
    pub id: BrokerId,
    pub address: crate::net::Address,
    pub zone: String,
    pub fenced: bool,
}

/// One partition as a client needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionMetadata {
    pub topic: String,
    pub partition: u32,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u64,
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
}

impl ClusterMetadata {
    /// The client's view of `image`.
    pub fn from_image(image: &crate::metadata::MetadataImage) -> Self {
        ClusterMetadata {
            metadata_offset: image.offset,
            brokers: image
                .brokers
                .iter()
                .map(|(&id, state)| BrokerEndpoint {
                    id,
                    address: state.address,
                    zone: state.zone.clone(),
                    fenced: state.fenced,
                })
                .collect(),
            partitions: image
                .partitions()
                .map(|state| PartitionMetadata {
                    topic: state.topic.clone(),
                    partition: state.partition,
                    leader: state.leader,
                    leader_epoch: state.leader_epoch,
                    replicas: state.replicas.clone(),
                    isr: state.isr.clone(),
                })
                .collect(),
        }
    }

    pub fn partition(&self, topic: &str, partition: u32) -> Option<&PartitionMetadata> {
        self.partitions
            .iter()
            .find(|p| p.topic == topic && p.partition == partition)
    }

    pub fn broker(&self, id: BrokerId) -> Option<&BrokerEndpoint> {
        self.brokers.iter().find(|b| b.id == id)
    }
}

/// The offsets the leader gave the produced records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduceOk {
    pub base_offset: u64,
    pub last_offset: u64,
}

/// Batches from `fetch_offset` on, and the leader's view of the partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchOk {
    pub high_watermark: u64,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    #[serde(with = "batches_wire")]
    pub batches: Vec<RecordBatch>,
}

/// Why a produce failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ProduceError {
    #[error("NOT_LEADER_OR_FOLLOWER")]
    NotLeaderOrFollower,
    #[error("UNKNOWN_TOPIC_OR_PARTITION")]
    UnknownTopicOrPartition,
    /// `acks=all` refused before the append: the ISR is below `min_insync_replicas`.
    #[error("NOT_ENOUGH_REPLICAS")]
    NotEnoughReplicas,
    /// `acks=all`: appended, but the ISR shrank below `min_insync_replicas` while waiting.
    #[error("NOT_ENOUGH_REPLICAS_AFTER_APPEND")]
    NotEnoughReplicasAfterAppend,
    /// An idempotent producer's sequence has a gap.
    #[error("OUT_OF_ORDER_SEQUENCE_NUMBER")]
    OutOfOrderSequence,
    /// The producer epoch is older than the one the partition has seen.
    #[error("INVALID_PRODUCER_EPOCH")]
    InvalidProducerEpoch,
    #[error("CORRUPT_MESSAGE")]
    CorruptMessage,
    /// `acks=all` not replicated within `timeout_ms`.
    #[error("REQUEST_TIMED_OUT")]
    RequestTimedOut,
    #[error("KAFKA_STORAGE_ERROR")]
    KafkaStorageError,
}

impl ProduceError {
    /// Whether resending the same batch may succeed (after a metadata refresh where
    /// [`Self::refreshes_metadata`] says so), as Kafka's `RetriableException`s. The idempotent
    /// producer makes a retry after an ambiguous failure (`NotEnoughReplicasAfterAppend`,
    /// `RequestTimedOut`) safe: a duplicate is answered with the first append's offsets.
    /// `CorruptMessage` is retriable because the corruption may have happened in flight.
    /// `OutOfOrderSequence` and `InvalidProducerEpoch` are fatal for the producer session.
    pub fn is_retriable(&self) -> bool {
        !matches!(
            self,
            ProduceError::OutOfOrderSequence | ProduceError::InvalidProducerEpoch
        )
    }

    /// Whether the client must refresh its metadata before retrying: `NotLeaderOrFollower`,
    /// `UnknownTopicOrPartition` and `KafkaStorageError` (the replica went offline, so
    /// leadership moves).
    pub fn refreshes_metadata(&self) -> bool {
        matches!(
            self,
            ProduceError::NotLeaderOrFollower
                | ProduceError::UnknownTopicOrPartition
                | ProduceError::KafkaStorageError
        )
    }
}

/// Why a fetch or an `OffsetsForLeaderEpoch` failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FetchError {
    #[error("NOT_LEADER_OR_FOLLOWER")]
    NotLeaderOrFollower,
    #[error("UNKNOWN_TOPIC_OR_PARTITION")]
    UnknownTopicOrPartition,
    /// The requester's leader epoch is older than the broker's: its metadata is stale.
    #[error("FENCED_LEADER_EPOCH")]
    FencedLeaderEpoch,
    /// The requester's leader epoch is newer than the broker's: the broker's metadata is
    /// stale, and will catch up.
    #[error("UNKNOWN_LEADER_EPOCH")]
    UnknownLeaderEpoch,
    /// The fetch offset is outside `[log_start_offset, log_end_offset]`. Unlike Kafka the
    /// answer carries both bounds, so that the fetcher needs no `ListOffsets` round trip.
    #[error("OFFSET_OUT_OF_RANGE (log start {log_start_offset}, log end {log_end_offset})")]
    OffsetOutOfRange {
        log_start_offset: u64,
        log_end_offset: u64,
    },
    /// The leader found a corrupt batch where it read.
    #[error("CORRUPT_MESSAGE")]
    CorruptMessage,
    #[error("KAFKA_STORAGE_ERROR")]
    KafkaStorageError,
}

impl FetchError {
    /// Whether the same request may succeed later (after a metadata refresh where
    /// [`Self::refreshes_metadata`] says so), as Kafka's `RetriableException`s. Only
    /// `OffsetOutOfRange` is not: the fetcher needs a new offset, not a retry.
    pub fn is_retriable(&self) -> bool {
        !matches!(self, FetchError::OffsetOutOfRange { .. })
    }

    /// Whether the client must refresh its metadata before retrying: `NotLeaderOrFollower`,
    /// `UnknownTopicOrPartition`, `FencedLeaderEpoch` and `KafkaStorageError`.
    /// `UnknownLeaderEpoch` is the broker's staleness, so the client only backs off.
    pub fn refreshes_metadata(&self) -> bool {
        matches!(
            self,
            FetchError::NotLeaderOrFollower
                | FetchError::UnknownTopicOrPartition
                | FetchError::FencedLeaderEpoch
                | FetchError::KafkaStorageError
        )
    }
}

/// The wire form of [`ProducerInfo`].
#[derive(Serialize, Deserialize)]
struct WireProducerInfo {
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
}

impl From<ProducerInfo> for WireProducerInfo {
    fn from(p: ProducerInfo) -> Self {
        WireProducerInfo {
            producer_id: p.producer_id,
            producer_epoch: p.producer_epoch,
            base_sequence: p.base_sequence,
        }
    }
}

impl From<WireProducerInfo> for ProducerInfo {
    fn from(p: WireProducerInfo) -> Self {
        ProducerInfo::idempotent(p.producer_id, p.producer_epoch, p.base_sequence)
    }
}

/// The wire form of [`Record`].
#[derive(Serialize, Deserialize)]
struct WireRecord {
    key: Option<bytes::Bytes>,
    value: bytes::Bytes,
}

impl From<Record> for WireRecord {
    fn from(r: Record) -> Self {
        WireRecord {
            key: r.key,
            value: r.value,
        }
    }
}

impl From<WireRecord> for Record {
    fn from(r: WireRecord) -> Self {
        Record::new(r.key, r.value)
    }
}

/// The wire form of [`RecordBatch`].
#[derive(Serialize, Deserialize)]
struct WireRecordBatch {
    base_offset: u64,
    leader_epoch: u64,
    producer: WireProducerInfo,
    create_timestamp_ms: u64,
    records: Vec<WireRecord>,
}

impl From<RecordBatch> for WireRecordBatch {
    fn from(b: RecordBatch) -> Self {
        WireRecordBatch {
            base_offset: b.base_offset,
            leader_epoch: b.leader_epoch,
            producer: b.producer.into(),
            create_timestamp_ms: b.create_timestamp_ms,
            records: b.records.into_iter().map(WireRecord::from).collect(),
        }
    }
}

impl From<WireRecordBatch> for RecordBatch {
    fn from(b: WireRecordBatch) -> Self {
        RecordBatch {
            base_offset: b.base_offset,
            leader_epoch: b.leader_epoch,
            producer: b.producer.into(),
            create_timestamp_ms: b.create_timestamp_ms,
            records: b.records.into_iter().map(Record::from).collect(),
        }
    }
}

/// The wire form of [`EpochEndOffset`].
#[derive(Serialize, Deserialize)]
struct WireEpochEndOffset {
    leader_epoch: u64,
    end_offset: u64,
}

impl From<EpochEndOffset> for WireEpochEndOffset {
    fn from(e: EpochEndOffset) -> Self {
        WireEpochEndOffset {
            leader_epoch: e.leader_epoch,
            end_offset: e.end_offset,
        }
    }
}

impl From<WireEpochEndOffset> for EpochEndOffset {
    fn from(e: WireEpochEndOffset) -> Self {
        EpochEndOffset {
            leader_epoch: e.leader_epoch,
            end_offset: e.end_offset,
        }
    }
}

mod producer_wire {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{ProducerInfo, WireProducerInfo};

    pub fn serialize<S: Serializer>(producer: &ProducerInfo, s: S) -> Result<S::Ok, S::Error> {
        WireProducerInfo::from(*producer).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ProducerInfo, D::Error> {
        WireProducerInfo::deserialize(d).map(ProducerInfo::from)
    }
}

mod records_wire {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Record, WireRecord};

    pub fn serialize<S: Serializer>(records: &[Record], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(records.iter().cloned().map(WireRecord::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Record>, D::Error> {
        Vec::<WireRecord>::deserialize(d).map(|records| records.into_iter().map(Record::from).collect())
    }
}

mod batches_wire {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{RecordBatch, WireRecordBatch};

    pub fn serialize<S: Serializer>(batches: &[RecordBatch], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(batches.iter().cloned().map(WireRecordBatch::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RecordBatch>, D::Error> {
        Vec::<WireRecordBatch>::deserialize(d)
            .map(|batches| batches.into_iter().map(RecordBatch::from).collect())
    }
}

mod epoch_answer_wire {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::{EpochEndOffset, FetchError, WireEpochEndOffset};

    type Answer = Result<Option<EpochEndOffset>, FetchError>;
    type WireAnswer = Result<Option<WireEpochEndOffset>, FetchError>;

    pub fn serialize<S: Serializer>(answer: &Answer, s: S) -> Result<S::Ok, S::Error> {
        let wire: WireAnswer = answer.clone().map(|end| end.map(WireEpochEndOffset::from));
        wire.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Answer, D::Error> {
        WireAnswer::deserialize(d).map(|answer| answer.map(|end| end.map(EpochEndOffset::from)))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::net::{decode, encode};

    fn round_trip<T>(message: T)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let decoded: T = decode(&encode(&message)).expect("decodes");
        assert_eq!(decoded, message);
    }

    fn records() -> Vec<Record> {
        vec![
            Record::new(Some(Bytes::from_static(b"k")), Bytes::from_static(b"v1")),
            Record::value_only(Bytes::from_static(b"v2")),
        ]
    }

    #[test]
    fn requests_round_trip() {
        round_trip(BrokerRequest::Produce {
            topic: "t".into(),
            partition: 3,
            acks: Acks::All,
            producer: ProducerInfo::idempotent(7, 2, 41),
            records: records(),
            timeout_ms: 30_000,
        });
        round_trip(BrokerRequest::Produce {
            topic: "t".into(),
            partition: 0,
            acks: Acks::None,
            producer: ProducerInfo::NONE,
            records: vec![],
            timeout_ms: 0,
        });
        round_trip(BrokerRequest::Fetch {
            topic: "t".into(),
            partition: 1,
            fetch_offset: 99,
            max_bytes: 1 << 20,
            current_leader_epoch: Some(4),
            replica: Some((2, 17)),
            max_wait_ms: 500,
        });
        round_trip(BrokerRequest::Fetch {
            topic: "t".into(),
            partition: 1,
            fetch_offset: 0,
            max_bytes: 10,
            current_leader_epoch: None,
            replica: None,
            max_wait_ms: 0,
        });
        round_trip(BrokerRequest::OffsetsForLeaderEpoch {
            topic: "t".into(),
            partition: 2,
            current_leader_epoch: 5,
            leader_epoch: 3,
        });
        round_trip(BrokerRequest::Metadata);
        round_trip(Acks::Leader);
    }

    #[test]
    fn cluster_metadata_round_trips_and_finds_leaders() {
        let mut image = crate::metadata::test_support::unfenced_brokers(3, 3);
        let records = crate::metadata::place_topic(&image, "t", 2, 3).unwrap();
        image.apply_batch(10, &records).unwrap();
        let metadata = ClusterMetadata::from_image(&image);
        assert_eq!(metadata.brokers.len(), 3);
        let p1 = metadata.partition("t", 1).unwrap();
        assert_eq!(p1.leader, image.partition("t", 1).unwrap().leader);
        assert!(metadata.broker(p1.leader.unwrap()).is_some());
        assert!(metadata.partition("t", 2).is_none());
        round_trip(BrokerResponse::Metadata(metadata));
    }

    #[test]
    fn responses_round_trip() {
        round_trip(BrokerResponse::Produce(Ok(ProduceOk {
            base_offset: 10,
            last_offset: 11,
        })));
        round_trip(BrokerResponse::Produce(Err(
            ProduceError::NotEnoughReplicasAfterAppend,
        )));
        round_trip(BrokerResponse::Fetch(Ok(FetchOk {
            high_watermark: 12,
            log_start_offset: 0,
            log_end_offset: 14,
            batches: vec![RecordBatch {
                base_offset: 12,
                leader_epoch: 4,
                producer: ProducerInfo::idempotent(7, 2, 41),
                create_timestamp_ms: 1_000,
                records: records(),
            }],
        })));
        round_trip(BrokerResponse::Fetch(Err(FetchError::OffsetOutOfRange {
            log_start_offset: 5,
            log_end_offset: 9,
        })));
        round_trip(BrokerResponse::OffsetsForLeaderEpoch(Ok(Some(EpochEndOffset {
            leader_epoch: 3,
            end_offset: 60,
        }))));
        round_trip(BrokerResponse::OffsetsForLeaderEpoch(Ok(None)));
        round_trip(BrokerResponse::OffsetsForLeaderEpoch(Err(
            FetchError::FencedLeaderEpoch,
        )));
    }

    #[test]
    fn retriability_and_metadata_refresh() {
        assert!(ProduceError::NotLeaderOrFollower.is_retriable());
        assert!(ProduceError::NotLeaderOrFollower.refreshes_metadata());
        assert!(ProduceError::NotEnoughReplicas.is_retriable());
        assert!(!ProduceError::NotEnoughReplicas.refreshes_metadata());
        assert!(!ProduceError::OutOfOrderSequence.is_retriable());
        assert!(!ProduceError::InvalidProducerEpoch.is_retriable());
        assert!(FetchError::UnknownLeaderEpoch.is_retriable());
        assert!(!FetchError::UnknownLeaderEpoch.refreshes_metadata());
        assert!(FetchError::FencedLeaderEpoch.is_retriable());
        assert!(!FetchError::OffsetOutOfRange {
            log_start_offset: 0,
            log_end_offset: 0
        }
        .is_retriable());
        assert!(FetchError::FencedLeaderEpoch.refreshes_metadata());
    }
}
