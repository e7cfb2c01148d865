//! Builders for the trace entries the tier checkers' tests feed them: brokers report as node
//! "broker-{broker}" and the object store as "object-store", at `millis` milliseconds.

use std::time::Duration;

use bytes::Bytes;
use korasim_core::broker::log::{ProducerInfo, Record, RecordBatch};
use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;
use korasim_core::tier::keys::{index_key, segment_key};
use korasim_core::tier::{TierRecord, TierRecordKind, TIER_TOPIC};

pub use crate::checkers::replicas::test_support::truncated;
use crate::checkers::test_support::entry;
use crate::devices::object_store::StoreEvent;
use crate::trace::{TraceEntry, TraceKind};

fn node(broker: BrokerId) -> String {
    format!("broker-{broker}")
}

fn record(topic: &str, partition: u32, leader_epoch: u64, kind: TierRecordKind) -> TierRecord {
    TierRecord {
        topic: topic.to_string(),
        partition,
        leader_epoch,
        kind,
    }
}

pub fn init(topic: &str, partition: u32, leader_epoch: u64) -> TierRecord {
    record(topic, partition, leader_epoch, TierRecordKind::InitLeader)
}

pub fn started(topic: &str, partition: u32, leader_epoch: u64, id: &str, base: u64, last: u64) -> TierRecord {
    record(
        topic,
        partition,
        leader_epoch,
        TierRecordKind::CopyStarted {
            object_id: id.to_string(),
            base_offset: base,
            last_offset: last,
            size_bytes: 0,
            max_timestamp_ms: 0,
        },
    )
}

pub fn finished(topic: &str, partition: u32, leader_epoch: u64, id: &str) -> TierRecord {
    record(
        topic,
        partition,
        leader_epoch,
        TierRecordKind::CopyFinished {
            object_id: id.to_string(),
        },
    )
}

pub fn delete_started(topic: &str, partition: u32, leader_epoch: u64, id: &str) -> TierRecord {
    record(
        topic,
        partition,
        leader_epoch,
        TierRecordKind::DeleteStarted {
            object_id: id.to_string(),
        },
    )
}

pub fn delete_finished(topic: &str, partition: u32, leader_epoch: u64, id: &str) -> TierRecord {
    record(
        topic,
        partition,
        leader_epoch,
        TierRecordKind::DeleteFinished {
            object_id: id.to_string(),
        },
    )
}

/// Broker `broker` applied the record at `offset` of tier partition `tier_partition`.
pub fn materialized(
    broker: BrokerId,
    millis: u64,
    tier_partition: u32,
    offset: u64,
    record: TierRecord,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::TierRecordMaterialized {
            broker,
            tier_partition,
            offset,
            record,
            rejected: None,
        },
    )
}

/// Broker `broker` materialised the record at `offset` and rejected it.
pub fn rejected_at(
    broker: BrokerId,
    millis: u64,
    tier_partition: u32,
    offset: u64,
    record: TierRecord,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::TierRecordMaterialized {
            broker,
            tier_partition,
            offset,
            record,
            rejected: Some("fenced".to_string()),
        },
    )
}

/// Broker `broker`, leading, moved the high watermark of `topic`-`partition`.
pub fn hw(broker: BrokerId, millis: u64, topic: &str, partition: u32, high_watermark: u64) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::HighWatermarkAdvanced {
            broker,
            topic: topic.to_string(),
            partition,
            leader_epoch: 1,
            high_watermark,
        },
    )
}

/// The high watermark of tier partition `tier_partition` moved to `high_watermark`.
pub fn tier_hw(broker: BrokerId, millis: u64, tier_partition: u32, high_watermark: u64) -> TraceEntry {
    hw(broker, millis, TIER_TOPIC, tier_partition, high_watermark)
}

/// Broker `broker` appended the batch `(base, last)` with `checksum`.
pub fn appended(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    (base_offset, last_offset): (u64, u64),
    checksum: u32,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::BatchAppended {
            broker,
            topic: topic.to_string(),
            partition,
            base_offset,
            last_offset,
            leader_epoch: 1,
            checksum,
        },
    )
}

/// Broker `broker` deleted its local segments `segments`.
pub fn local_deleted(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    segments: &[(u64, u64)],
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::LocalSegmentsDeleted {
            broker,
            topic: topic.to_string(),
            partition,
            segments: segments.to_vec(),
            log_start_offset: segments.last().map_or(0, |(_, last)| last + 1),
        },
    )
}

pub fn remote_fetch(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    fetch_offset: u64,
    id: &str,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::RemoteFetchServed {
            broker,
            topic: topic.to_string(),
            partition,
            fetch_offset,
            object_id: id.to_string(),
            bytes: 100,
            from_cache: false,
            latency_ms: 30,
        },
    )
}

pub fn store(millis: u64, event: StoreEvent) -> TraceEntry {
    TraceEntry {
        at: Duration::from_millis(millis),
        node: "object-store".to_string(),
        kind: TraceKind::ObjectStore(event),
    }
}

pub fn put(millis: u64, key: &str, body: Bytes) -> TraceEntry {
    store(
        millis,
        StoreEvent::Put {
            key: key.to_string(),
            body,
            last_modified_ms: millis,
        },
    )
}

pub fn delete(millis: u64, key: &str) -> TraceEntry {
    store(millis, StoreEvent::Delete { key: key.to_string() })
}

/// The `.log` object of `id` written with `body`.
pub fn put_segment(millis: u64, topic: &str, partition: u32, id: &str, body: Bytes) -> TraceEntry {
    put(millis, &segment_key(topic, partition, id), body)
}

/// The `.index` object of `id` written (its bytes do not matter to the checkers).
pub fn put_index(millis: u64, topic: &str, partition: u32, id: &str) -> TraceEntry {
    put(
        millis,
        &index_key(topic, partition, id),
        Bytes::from_static(b"index"),
    )
}

/// A batch of `records` records from `base_offset`, each value `value` bytes long.
pub fn batch(base_offset: u64, records: u64, value: u8) -> RecordBatch {
    RecordBatch {
        base_offset,
        leader_epoch: 1,
        producer: ProducerInfo::NONE,
        create_timestamp_ms: 1_000,
        records: (0..records)
            .map(|index| Record::value_only(vec![value, index as u8]))
            .collect(),
    }
}

/// The checksum a replica reports for `batch`.
pub fn checksum(batch: &RecordBatch) -> u32 {
    crc32fast::hash(&batch.encode())
}

/// A segment file holding `batches`.
pub fn segment(batches: &[RecordBatch]) -> Bytes {
    batches
        .iter()
        .flat_map(RecordBatch::encode)
        .collect::<Vec<u8>>()
        .into()
}
