//! One line of the history: a produce invoked, its outcome, a record a consumer read, or the
//! end of a final read. `HISTORY_FORMAT.md` beside this file describes each field as it
//! appears in the history file.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{time_nanos, Acks, ClientId, OpId, Payload, ProduceError, TopicPartition};

/// The history file's format version: 2 added `history_policy`, `retention_allowed` and
/// `final_read_started` (a version 1 file has none of them and reads as before).
pub const HISTORY_FORMAT_VERSION: u32 = 2;

/// Everything a client records, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Operation {
    ProduceInvoked(ProduceInvoked),
    ProduceOk(ProduceOk),
    ProduceFailed(ProduceFailed),
    ProduceUnknown(ProduceUnknown),
    Read(RecordRead),
    FinalReadDone(FinalReadDone),
    HistoryPolicy(HistoryPolicy),
    RetentionAllowed(RetentionAllowed),
    FinalReadStarted(FinalReadStarted),
}

impl Operation {
    /// Simulated time since the run started.
    pub fn at(&self) -> Duration {
        match self {
            Operation::ProduceInvoked(op) => op.at,
            Operation::ProduceOk(op) => op.at,
            Operation::ProduceFailed(op) => op.at,
            Operation::ProduceUnknown(op) => op.at,
            Operation::Read(op) => op.at,
            Operation::FinalReadDone(op) => op.at,
            Operation::HistoryPolicy(op) => op.at,
            Operation::RetentionAllowed(op) => op.at,
            Operation::FinalReadStarted(op) => op.at,
        }
    }

    pub fn client(&self) -> ClientId {
        match self {
            Operation::ProduceInvoked(op) => op.client,
            Operation::ProduceOk(op) => op.client,
            Operation::ProduceFailed(op) => op.client,
            Operation::ProduceUnknown(op) => op.client,
            Operation::Read(op) => op.client,
            Operation::FinalReadDone(op) => op.client,
            Operation::HistoryPolicy(op) => op.client,
            Operation::RetentionAllowed(op) => op.client,
            Operation::FinalReadStarted(op) => op.client,
        }
    }
}

/// A client asked to produce one record. Exactly one of `ProduceOk`, `ProduceFailed` or
/// `ProduceUnknown` with the same client and op id follows; none at all means the run ended
/// first, and counts as unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceInvoked {
    pub client: ClientId,
    pub op_id: OpId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    /// When the application handed the record to the producer, at or before `at` (the
    /// record waits in the producer's queue until its partition's sender takes it into a
    /// batch). Latency as a user sees it counts from here.
    #[serde(rename = "handed_over_ns", with = "time_nanos")]
    pub handed_over_at: Duration,
    pub topic: String,
    pub partition: u32,
    pub key: Option<Payload>,
    /// Unique across the whole history, so that a value read identifies the produce it came
    /// from. The oracle compares values only for equality.
    pub value: Payload,
    /// The idempotent producer's id; `None` for a producer without idempotence.
    pub producer_id: Option<i64>,
    /// The idempotent producer's epoch; it goes up when the producer resets its sequences.
    pub producer_epoch: Option<i16>,
    /// This record's sequence number in its partition (the batch's base sequence plus the
    /// record's index in the batch); `None` without idempotence.
    pub sequence: Option<i32>,
    pub acks: Acks,
}

impl ProduceInvoked {
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(self.topic.clone(), self.partition)
    }

    /// Whether the broker was asked to drop duplicates of this record.
    pub fn is_idempotent(&self) -> bool {
        self.producer_id.is_some()
    }
}

/// The leader acknowledged the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceOk {
    pub client: ClientId,
    pub op_id: OpId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    /// The offset the leader gave the record; `None` under `acks=0`, which has no response.
    pub offset: Option<u64>,
}

/// The produce failed with an error. Only a definite error (`ProduceError::is_definite`)
/// proves the record was not written; any other makes the outcome unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceFailed {
    pub client: ClientId,
    pub op_id: OpId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    pub error: ProduceError,
}

/// The client cannot tell whether the record was written (a timeout, a lost connection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceUnknown {
    pub client: ClientId,
    pub op_id: OpId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    /// In words, for operators; the oracle does not interpret it.
    pub reason: String,
}

/// A consumer received the record at `offset` of a partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordRead {
    pub client: ClientId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub key: Option<Payload>,
    pub value: Payload,
    /// Part of the final read of the partition, made once faults are healed; the partition's
    /// `FinalReadDone` says which offsets it covered.
    pub final_read: bool,
}

/// The final read of a partition is complete: the consumer received every record the
/// partition holds from `start_offset` (the log start when it began) up to, not including,
/// `end_offset` (the high watermark it read to), as the `Read` lines with `final_read` set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalReadDone {
    pub client: ClientId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    pub topic: String,
    pub partition: u32,
    pub start_offset: u64,
    pub end_offset: u64,
}

/// What the run holds the system to, written once, first: which of Kafka's weaker promises
/// apply. A reader of the file alone judges the run as its own oracle did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPolicy {
    pub client: ClientId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    /// The format's version (`HISTORY_FORMAT_VERSION`).
    pub version: u32,
    /// A value at two offsets is accepted when its producer was not idempotent.
    pub allow_duplicates_without_idempotence: bool,
    /// `acks=1` and `acks=0` writes are judged like `acks=all` ones.
    pub strict_for_weak_acks: bool,
    /// A partition with acknowledged writes must be read in full at the end.
    pub require_final_read: bool,
}

/// By the end of the run, retention may have deleted the partition's records below
/// `allowed_start` (what the scenario's retention allows, not what the log start turned out
/// to be): an acknowledged record below it may be missing from the final read. Written once
/// per partition before the final read; a partition without one allows no deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionAllowed {
    pub client: ClientId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    pub topic: String,
    pub partition: u32,
    pub allowed_start: u64,
}

/// A pass of the final read of a partition begins (the consumer may start one again after a
/// failed one); its records follow as `Read` lines with `final_read` set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalReadStarted {
    pub client: ClientId,
    #[serde(rename = "at_ns", with = "time_nanos")]
    pub at: Duration,
    pub topic: String,
    pub partition: u32,
}

impl From<HistoryPolicy> for Operation {
    fn from(op: HistoryPolicy) -> Self {
        Operation::HistoryPolicy(op)
    }
}

impl From<RetentionAllowed> for Operation {
    fn from(op: RetentionAllowed) -> Self {
        Operation::RetentionAllowed(op)
    }
}

impl From<FinalReadStarted> for Operation {
    fn from(op: FinalReadStarted) -> Self {
        Operation::FinalReadStarted(op)
    }
}

impl From<ProduceInvoked> for Operation {
    fn from(op: ProduceInvoked) -> Self {
        Operation::ProduceInvoked(op)
    }
}

impl From<ProduceOk> for Operation {
    fn from(op: ProduceOk) -> Self {
        Operation::ProduceOk(op)
    }
}

impl From<ProduceFailed> for Operation {
    fn from(op: ProduceFailed) -> Self {
        Operation::ProduceFailed(op)
    }
}

impl From<ProduceUnknown> for Operation {
    fn from(op: ProduceUnknown) -> Self {
        Operation::ProduceUnknown(op)
    }
}

impl From<RecordRead> for Operation {
    fn from(op: RecordRead) -> Self {
        Operation::Read(op)
    }
}

impl From<FinalReadDone> for Operation {
    fn from(op: FinalReadDone) -> Self {
        Operation::FinalReadDone(op)
    }
}
