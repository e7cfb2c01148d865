//! Why a produce failed, and whether that failure is definite.
//!
//! A client learns an error, not what the brokers did. Some errors are answered before the
//! leader appends anything, so the record is certainly not in the log: those failures are
//! *definite*. Others come back after the leader appended the batch (it may still be
//! replicated and committed) or mean the client cannot tell what happened: those are
//! *indefinite*, and the oracle treats the produce as an unknown outcome, exactly like a
//! timeout.
//!
//! | error (Kafka name) | definite? | why |
//! |---|---|---|
//! | `NOT_ENOUGH_REPLICAS` | yes | checked before the append: the ISR is below `min.insync.replicas` |
//! | `UNKNOWN_TOPIC_OR_PARTITION` | yes | nothing to append to |
//! | `CORRUPT_MESSAGE`, `INVALID_RECORD` | yes | validation happens before the append |
//! | `MESSAGE_TOO_LARGE`, `RECORD_LIST_TOO_LARGE` | yes | size checks happen before the append |
//! | `OUT_OF_ORDER_SEQUENCE_NUMBER` | yes | the idempotence check rejects the batch before the append |
//! | `INVALID_PRODUCER_EPOCH`, `PRODUCER_FENCED`, `UNKNOWN_PRODUCER_ID` | yes | producer state is checked before the append |
//! | `TOPIC_AUTHORIZATION_FAILED` | yes | authorization happens before the append |
//! | `CLIENT_NEVER_SENT` | yes | the client gave up before sending any attempt (expired in its buffer, no connection) |
//! | `NOT_LEADER_OR_FOLLOWER` | **no** | also answers an `acks=all` request whose leader lost leadership while waiting for replication: the batch is in the old leader's log and the new leader may have it |
//! | `NOT_ENOUGH_REPLICAS_AFTER_APPEND` | no | the leader appended, then the ISR shrank: followers may still commit it |
//! | `REQUEST_TIMED_OUT` | no | the leader appended and waited too long for the ISR |
//! | `DUPLICATE_SEQUENCE_NUMBER` | no | the broker says it already has this batch: it *was* written |
//! | `KAFKA_STORAGE_ERROR` | no | the disk failed during the append: part of it may be there |
//! | anything else | no | an error the oracle does not know cannot prove the record absent |
//!
//! One rule binds the producer that records the history: an operation is definitely failed
//! only if *every* attempt it sent failed definitely. A producer that retried after a timeout
//! and then got `NOT_ENOUGH_REPLICAS` must record the operation as unknown, because the first
//! attempt may have been written.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The error a produce operation ended with. In the history file it is the Kafka error name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ProduceError {
    NotEnoughReplicas,
    UnknownTopicOrPartition,
    CorruptMessage,
    InvalidRecord,
    MessageTooLarge,
    RecordListTooLarge,
    OutOfOrderSequenceNumber,
    InvalidProducerEpoch,
    ProducerFenced,
    UnknownProducerId,
    TopicAuthorizationFailed,
    ClientNeverSent,
    NotLeaderOrFollower,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    DuplicateSequenceNumber,
    KafkaStorageError,
    /// Any other error, by name; never definite.
    Other(String),
}

/// Every error with a name of its own, for parsing names back.
const NAMED_ERRORS: [ProduceError; 17] = [
    ProduceError::NotEnoughReplicas,
    ProduceError::UnknownTopicOrPartition,
    ProduceError::CorruptMessage,
    ProduceError::InvalidRecord,
    ProduceError::MessageTooLarge,
    ProduceError::RecordListTooLarge,
    ProduceError::OutOfOrderSequenceNumber,
    ProduceError::InvalidProducerEpoch,
    ProduceError::ProducerFenced,
    ProduceError::UnknownProducerId,
    ProduceError::TopicAuthorizationFailed,
    ProduceError::ClientNeverSent,
    ProduceError::NotLeaderOrFollower,
    ProduceError::NotEnoughReplicasAfterAppend,
    ProduceError::RequestTimedOut,
    ProduceError::DuplicateSequenceNumber,
    ProduceError::KafkaStorageError,
];

impl ProduceError {
    /// Whether this error proves the record was not appended (see the module's table).
    pub fn is_definite(&self) -> bool {
        match self {
            ProduceError::NotEnoughReplicas
            | ProduceError::UnknownTopicOrPartition
            | ProduceError::CorruptMessage
            | ProduceError::InvalidRecord
            | ProduceError::MessageTooLarge
            | ProduceError::RecordListTooLarge
            | ProduceError::OutOfOrderSequenceNumber
            | ProduceError::InvalidProducerEpoch
            | ProduceError::ProducerFenced
            | ProduceError::UnknownProducerId
            | ProduceError::TopicAuthorizationFailed
            | ProduceError::ClientNeverSent => true,
            ProduceError::NotLeaderOrFollower
            | ProduceError::NotEnoughReplicasAfterAppend
            | ProduceError::RequestTimedOut
            | ProduceError::DuplicateSequenceNumber
            | ProduceError::KafkaStorageError
            | ProduceError::Other(_) => false,
        }
    }

    /// The Kafka error name ("NOT_ENOUGH_REPLICAS").
    pub fn name(&self) -> &str {
        match self {
            ProduceError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            ProduceError::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            ProduceError::CorruptMessage => "CORRUPT_MESSAGE",
            ProduceError::InvalidRecord => "INVALID_RECORD",
            ProduceError::MessageTooLarge => "MESSAGE_TOO_LARGE",
            ProduceError::RecordListTooLarge => "RECORD_LIST_TOO_LARGE",
            ProduceError::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            ProduceError::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            ProduceError::ProducerFenced => "PRODUCER_FENCED",
            ProduceError::UnknownProducerId => "UNKNOWN_PRODUCER_ID",
            ProduceError::TopicAuthorizationFailed => "TOPIC_AUTHORIZATION_FAILED",
            ProduceError::ClientNeverSent => "CLIENT_NEVER_SENT",
            ProduceError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            ProduceError::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ProduceError::RequestTimedOut => "REQUEST_TIMED_OUT",
            ProduceError::DuplicateSequenceNumber => "DUPLICATE_SEQUENCE_NUMBER",
            ProduceError::KafkaStorageError => "KAFKA_STORAGE_ERROR",
            ProduceError::Other(name) => name,
        }
    }
}

impl fmt::Display for ProduceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<String> for ProduceError {
    fn from(name: String) -> Self {
        NAMED_ERRORS
            .iter()
            .find(|error| error.name() == name)
            .cloned()
            .unwrap_or(ProduceError::Other(name))
    }
}

impl From<ProduceError> for String {
    fn from(error: ProduceError) -> String {
        error.name().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errors_answered_before_the_append_are_definite() {
        assert!(ProduceError::NotEnoughReplicas.is_definite());
        assert!(ProduceError::OutOfOrderSequenceNumber.is_definite());
        assert!(ProduceError::ClientNeverSent.is_definite());
        assert!(!ProduceError::NotLeaderOrFollower.is_definite());
        assert!(!ProduceError::NotEnoughReplicasAfterAppend.is_definite());
        assert!(!ProduceError::RequestTimedOut.is_definite());
        assert!(!ProduceError::Other("UNKNOWN_SERVER_ERROR".to_string()).is_definite());
    }

    #[test]
    fn errors_travel_as_kafka_names() {
        for error in NAMED_ERRORS {
            let name = error.name().to_string();
            let json = serde_json::to_string(&error).expect("errors serialize");
            assert_eq!(json, format!("{name:?}"));
            assert_eq!(ProduceError::from(name), error);
        }
        let other: ProduceError = serde_json::from_str(r#""THROTTLED""#).expect("deserialize");
        assert_eq!(other, ProduceError::Other("THROTTLED".to_string()));
        assert_eq!(other.name(), "THROTTLED");
    }
}
