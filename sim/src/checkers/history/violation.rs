//! What the history oracle found wrong, in the words of the client history: which partition,
//! offsets and values, which client operations, and when (simulated time since the run
//! started).

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Serialize;

use super::OutcomeKind;
use crate::workloads::{Acks, ClientId, OpId, Payload, ProduceError, TopicPartition};

/// A broken client-side guarantee. `at` is when the history first showed it: the end of the
/// final read for what the final read reveals, the read that saw it for what a read reveals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum HistoryViolation {
    /// An acknowledged write is in no offset of the final read, and retention cannot explain
    /// its absence.
    LostAcknowledgedWrite {
        at: Duration,
        partition: TopicPartition,
        client: ClientId,
        op_id: OpId,
        value: Payload,
        acks: Acks,
        /// `None` under `acks=0`.
        offset: Option<u64>,
        acknowledged_at: Duration,
        final_read_offsets: Range<u64>,
    },
    /// The final read found another value at the offset a write was acknowledged at.
    ChangedAcknowledgedWrite {
        at: Duration,
        partition: TopicPartition,
        client: ClientId,
        op_id: OpId,
        acks: Acks,
        offset: u64,
        acknowledged_at: Duration,
        acknowledged_value: Payload,
        final_value: Payload,
    },
    /// The final read found an acknowledged value, but not at the offset it was acknowledged
    /// at (and nothing else there either): the acknowledgement named the wrong offset.
    MisplacedAcknowledgedWrite {
        at: Duration,
        partition: TopicPartition,
        client: ClientId,
        op_id: OpId,
        value: Payload,
        acks: Acks,
        acknowledged_offset: u64,
        acknowledged_at: Duration,
        found_at_offsets: Vec<u64>,
    },
    /// A partition with acknowledged writes was never read in full at the end, so none of
    /// them could be checked.
    MissingFinalRead {
        at: Duration,
        partition: TopicPartition,
        acknowledged_writes: usize,
    },
    /// One produced value appears at two or more offsets of its partition.
    DuplicateRecord {
        at: Duration,
        partition: TopicPartition,
        client: ClientId,
        op_id: OpId,
        value: Payload,
        producer_id: Option<i64>,
        outcome: OutcomeKind,
        offsets: Vec<u64>,
    },
    /// An idempotent producer's acknowledged writes to one partition sit in the log out of
    /// their sequence order.
    ReorderedBySequence {
        at: Duration,
        partition: TopicPartition,
        producer_id: i64,
        earlier: OrderedWrite,
        later: OrderedWrite,
    },
    /// A write invoked after another was acknowledged sits at or below that one's offset,
    /// although the first was committed before the second was even sent.
    ReorderedAfterAcknowledgement {
        at: Duration,
        partition: TopicPartition,
        earlier: OrderedWrite,
        later: OrderedWrite,
    },
    /// A consumer read a value no client ever produced to that partition.
    PhantomRecord {
        at: Duration,
        partition: TopicPartition,
        offset: u64,
        value: Payload,
        reader: ClientId,
        /// The partition the value was produced to, when it was produced elsewhere.
        produced_to: Option<TopicPartition>,
    },
    /// Two reads of one offset returned different values.
    DivergentRead {
        at: Duration,
        partition: TopicPartition,
        offset: u64,
        first_reader: ClientId,
        first_read_at: Duration,
        first_value: Payload,
        reader: ClientId,
        value: Payload,
    },
    /// A consumer read a value whose produce had failed with a definite error.
    FailedWritePresent {
        at: Duration,
        partition: TopicPartition,
        client: ClientId,
        op_id: OpId,
        value: Payload,
        error: ProduceError,
        failed_at: Duration,
        offset: u64,
        reader: ClientId,
    },
    /// The history breaks its own format, so part of it cannot be judged.
    InvalidHistory {
        at: Duration,
        client: ClientId,
        op_id: OpId,
        problem: HistoryProblem,
    },
}

/// One of two writes whose order the log got wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderedWrite {
    pub client: ClientId,
    pub op_id: OpId,
    pub offset: u64,
    pub producer_epoch: Option<i16>,
    pub sequence: Option<i32>,
    pub invoked_at: Duration,
    pub acknowledged_at: Duration,
}

/// How a history breaks its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HistoryProblem {
    /// A completion names an operation never invoked (or invoked after it).
    CompletedWithoutInvocation,
    /// An operation completed a second time; the oracle keeps the first outcome.
    CompletedTwice,
    /// Two invocations share the client and op id; the oracle ignores the second.
    InvokedTwice,
    /// The value was invoked before by another operation, so reads of it cannot be traced to
    /// one produce; duplicate and failed-write checks skip it.
    ValueReused {
        first_client: ClientId,
        first_op_id: OpId,
    },
}

impl HistoryViolation {
    /// A short, stable name of the kind of violation ("lost-acknowledged-write").
    pub fn kind(&self) -> &'static str {
        match self {
            HistoryViolation::LostAcknowledgedWrite { .. } => "lost-acknowledged-write",
            HistoryViolation::ChangedAcknowledgedWrite { .. } => "changed-acknowledged-write",
            HistoryViolation::MisplacedAcknowledgedWrite { .. } => "misplaced-acknowledged-write",
            HistoryViolation::MissingFinalRead { .. } => "missing-final-read",
            HistoryViolation::DuplicateRecord { .. } => "duplicate-record",
            HistoryViolation::ReorderedBySequence { .. } => "reordered-by-sequence",
            HistoryViolation::ReorderedAfterAcknowledgement { .. } => "reordered-after-acknowledgement",
            HistoryViolation::PhantomRecord { .. } => "phantom-record",
            HistoryViolation::DivergentRead { .. } => "divergent-read",
            HistoryViolation::FailedWritePresent { .. } => "failed-write-present",
            HistoryViolation::InvalidHistory { .. } => "invalid-history",
        }
    }

    /// Every kind name, for reports that show a count of each.
    pub fn kinds() -> [&'static str; 11] {
        [
            "invalid-history",
            "lost-acknowledged-write",
            "changed-acknowledged-write",
            "misplaced-acknowledged-write",
            "missing-final-read",
            "failed-write-present",
            "duplicate-record",
            "reordered-by-sequence",
            "reordered-after-acknowledgement",
            "phantom-record",
            "divergent-read",
        ]
    }

    /// When the history first showed it (simulated time since the run started).
    pub fn at(&self) -> Duration {
        match self {
            HistoryViolation::LostAcknowledgedWrite { at, .. }
            | HistoryViolation::ChangedAcknowledgedWrite { at, .. }
            | HistoryViolation::MisplacedAcknowledgedWrite { at, .. }
            | HistoryViolation::MissingFinalRead { at, .. }
            | HistoryViolation::DuplicateRecord { at, .. }
            | HistoryViolation::ReorderedBySequence { at, .. }
            | HistoryViolation::ReorderedAfterAcknowledgement { at, .. }
            | HistoryViolation::PhantomRecord { at, .. }
            | HistoryViolation::DivergentRead { at, .. }
            | HistoryViolation::FailedWritePresent { at, .. }
            | HistoryViolation::InvalidHistory { at, .. } => *at,
        }
    }
}

/// Seconds with millisecond precision, as the other checkers print simulated time.
fn seconds(at: Duration) -> String {
    format!("{:.3}s", at.as_secs_f64())
}

fn describe_offsets(offsets: &[u64]) -> String {
    let listed: Vec<String> = offsets.iter().map(u64::to_string).collect();
    listed.join(", ")
}

impl fmt::Display for HistoryViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: ", seconds(self.at()))?;
        match self {
            HistoryViolation::LostAcknowledgedWrite {
                partition,
                client,
                op_id,
                value,
                acks,
                offset,
                acknowledged_at,
                final_read_offsets,
                ..
            } => {
                write!(
                    f,
                    "partition {partition} lost an acknowledged write: {client} {op_id} wrote \
                     {value} ({acks}), acknowledged "
                )?;
                if let Some(offset) = offset {
                    write!(f, "at offset {offset} ")?;
                }
                write!(
                    f,
                    "at {}, but the final read of offsets {}..{} does not contain it",
                    seconds(*acknowledged_at),
                    final_read_offsets.start,
                    final_read_offsets.end
                )
            }
            HistoryViolation::ChangedAcknowledgedWrite {
                partition,
                client,
                op_id,
                acks,
                offset,
                acknowledged_at,
                acknowledged_value,
                final_value,
                ..
            } => write!(
                f,
                "partition {partition} changed an acknowledged write: offset {offset} was \
                 acknowledged to {client} {op_id} for {acknowledged_value} ({acks}) at {}, but \
                 the final read found {final_value} there",
                seconds(*acknowledged_at)
            ),
            HistoryViolation::MisplacedAcknowledgedWrite {
                partition,
                client,
                op_id,
                value,
                acks,
                acknowledged_offset,
                acknowledged_at,
                found_at_offsets,
                ..
            } => write!(
                f,
                "partition {partition} holds {value} of {client} {op_id} ({acks}) at offset {}, \
                 not at offset {acknowledged_offset} where it was acknowledged at {}",
                describe_offsets(found_at_offsets),
                seconds(*acknowledged_at)
            ),
            HistoryViolation::MissingFinalRead {
                partition,
                acknowledged_writes,
                ..
            } => write!(
                f,
                "partition {partition} was never read in full at the end of the run, so its \
                 {acknowledged_writes} acknowledged writes could not be checked"
            ),
            HistoryViolation::DuplicateRecord {
                partition,
                client,
                op_id,
                value,
                producer_id,
                outcome,
                offsets,
                ..
            } => {
                let producer = match producer_id {
                    Some(id) => format!("idempotent producer {id}"),
                    None => "a producer without idempotence".to_string(),
                };
                write!(
                    f,
                    "partition {partition} holds {value} of {client} {op_id} ({producer}, \
                     {outcome}) at offsets {}: it was written more than once",
                    describe_offsets(offsets)
                )
            }
            HistoryViolation::ReorderedBySequence {
                partition,
                producer_id,
                earlier,
                later,
                ..
            } => write!(
                f,
                "idempotent producer {producer_id} wrote to partition {partition} out of sequence \
                 order: sequence {} ({} {}) is at offset {}, but the later sequence {} ({} {}) is \
                 at offset {}",
                describe_sequence(earlier),
                earlier.client,
                earlier.op_id,
                earlier.offset,
                describe_sequence(later),
                later.client,
                later.op_id,
                later.offset
            ),
            HistoryViolation::ReorderedAfterAcknowledgement {
                partition,
                earlier,
                later,
                ..
            } => write!(
                f,
                "partition {partition} put {} {} at offset {}, not after offset {} of {} {}, \
                 although that write was acknowledged at {} before this one was invoked at {}",
                later.client,
                later.op_id,
                later.offset,
                earlier.offset,
                earlier.client,
                earlier.op_id,
                seconds(earlier.acknowledged_at),
                seconds(later.invoked_at)
            ),
            HistoryViolation::PhantomRecord {
                partition,
                offset,
                value,
                reader,
                produced_to,
                ..
            } => {
                write!(
                    f,
                    "{reader} read {value} at offset {offset} of partition {partition}, but no \
                     client ever produced it there"
                )?;
                match produced_to {
                    Some(elsewhere) => write!(f, " (it was produced to partition {elsewhere})"),
                    None => Ok(()),
                }
            }
            HistoryViolation::DivergentRead {
                partition,
                offset,
                first_reader,
                first_read_at,
                first_value,
                reader,
                value,
                ..
            } => write!(
                f,
                "{reader} read {value} at offset {offset} of partition {partition}, but \
                 {first_reader} had read {first_value} at that offset at {}",
                seconds(*first_read_at)
            ),
            HistoryViolation::FailedWritePresent {
                partition,
                client,
                op_id,
                value,
                error,
                failed_at,
                offset,
                reader,
                ..
            } => write!(
                f,
                "{reader} read {value} at offset {offset} of partition {partition}, yet {client} \
                 {op_id} that produced it had failed definitely with {error} at {}",
                seconds(*failed_at)
            ),
            HistoryViolation::InvalidHistory {
                client,
                op_id,
                problem,
                ..
            } => {
                write!(f, "the history is malformed: {client} {op_id} ")?;
                match problem {
                    HistoryProblem::CompletedWithoutInvocation => {
                        f.write_str("completed without being invoked first")
                    }
                    HistoryProblem::CompletedTwice => f.write_str("completed twice"),
                    HistoryProblem::InvokedTwice => f.write_str("was invoked twice"),
                    HistoryProblem::ValueReused {
                        first_client,
                        first_op_id,
                    } => write!(
                        f,
                        "produced a value {first_client} {first_op_id} had already produced"
                    ),
                }
            }
        }
    }
}

fn describe_sequence(write: &OrderedWrite) -> String {
    match (write.producer_epoch, write.sequence) {
        (Some(epoch), Some(sequence)) => format!("{sequence} of epoch {epoch}"),
        (None, Some(sequence)) => sequence.to_string(),
        (_, None) => "(none)".to_string(),
    }
}
