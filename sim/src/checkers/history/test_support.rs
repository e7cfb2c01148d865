//! Builders for the small hand-made histories the oracle's tests feed it. Every produce goes
//! to topic `orders`; times are milliseconds of simulated time.

use std::ops::Range;
use std::time::Duration;

use super::{check_history, HistoryCheckOptions, HistoryViolation};
use crate::workloads::{
    Acks, ClientId, FinalReadDone, History, OpId, Payload, ProduceError, ProduceFailed, ProduceInvoked,
    ProduceOk, ProduceUnknown, RecordRead,
};

pub const TOPIC: &str = "orders";

pub fn millis(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// An `acks=all` produce without idempotence.
pub fn produce(client: u32, op: u64, at_ms: u64, partition: u32, value: &str) -> ProduceInvoked {
    ProduceInvoked {
        client: ClientId(client),
        op_id: OpId(op),
        at: millis(at_ms),
        handed_over_at: millis(at_ms),
        topic: TOPIC.to_string(),
        partition,
        key: None,
        value: Payload::from(value),
        producer_id: None,
        producer_epoch: None,
        sequence: None,
        acks: Acks::All,
    }
}

pub fn produce_with_acks(
    client: u32,
    op: u64,
    at_ms: u64,
    partition: u32,
    value: &str,
    acks: Acks,
) -> ProduceInvoked {
    ProduceInvoked {
        acks,
        ..produce(client, op, at_ms, partition, value)
    }
}

/// An `acks=all` produce of idempotent producer `producer_id` (epoch 0) with `sequence`.
pub fn idempotent_produce(
    client: u32,
    op: u64,
    at_ms: u64,
    partition: u32,
    value: &str,
    producer_id: i64,
    sequence: i32,
) -> ProduceInvoked {
    ProduceInvoked {
        producer_id: Some(producer_id),
        producer_epoch: Some(0),
        sequence: Some(sequence),
        ..produce(client, op, at_ms, partition, value)
    }
}

pub fn ok(client: u32, op: u64, at_ms: u64, offset: u64) -> ProduceOk {
    ProduceOk {
        client: ClientId(client),
        op_id: OpId(op),
        at: millis(at_ms),
        offset: Some(offset),
    }
}

pub fn ok_without_offset(client: u32, op: u64, at_ms: u64) -> ProduceOk {
    ProduceOk {
        offset: None,
        ..ok(client, op, at_ms, 0)
    }
}

pub fn failed(client: u32, op: u64, at_ms: u64, error: ProduceError) -> ProduceFailed {
    ProduceFailed {
        client: ClientId(client),
        op_id: OpId(op),
        at: millis(at_ms),
        error,
    }
}

pub fn unknown(client: u32, op: u64, at_ms: u64) -> ProduceUnknown {
    ProduceUnknown {
        client: ClientId(client),
        op_id: OpId(op),
        at: millis(at_ms),
        reason: "request timed out".to_string(),
    }
}

/// A consumer's read, not part of the final read.
pub fn read(client: u32, at_ms: u64, partition: u32, offset: u64, value: &str) -> RecordRead {
    RecordRead {
        client: ClientId(client),
        at: millis(at_ms),
        topic: TOPIC.to_string(),
        partition,
        offset,
        key: None,
        value: Payload::from(value),
        final_read: false,
    }
}

/// Records the final read of `partition`: the records, then the end of the read at `at_ms`
/// covering `offsets`.
pub fn record_final_read(
    history: &mut History,
    client: u32,
    at_ms: u64,
    partition: u32,
    offsets: Range<u64>,
    records: &[(u64, &str)],
) {
    for (offset, value) in records {
        history.record(RecordRead {
            final_read: true,
            ..read(client, at_ms, partition, *offset, value)
        });
    }
    history.record(FinalReadDone {
        client: ClientId(client),
        at: millis(at_ms),
        topic: TOPIC.to_string(),
        partition,
        start_offset: offsets.start,
        end_offset: offsets.end,
    });
}

pub fn check(history: &History, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    check_history(history, options)
}

pub fn check_default(history: &History) -> Vec<HistoryViolation> {
    check_history(history, &HistoryCheckOptions::default())
}

pub fn kinds(violations: &[HistoryViolation]) -> Vec<&'static str> {
    violations.iter().map(HistoryViolation::kind).collect()
}
