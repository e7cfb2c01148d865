//! What a batch's attempts add up to when the producer gives up on it.
//!
//! The rule of `produce_error.rs` binds: a produce is definitely failed only if *every*
//! attempt it sent failed definitely (the error was answered before any append). One attempt
//! whose fate is unknown (no answer, an indefinite error, a garbled answer) makes the whole
//! produce unknown, whatever came after. A batch never sent at all failed definitely, as
//! `CLIENT_NEVER_SENT`.

use std::time::Duration;

use korasim_core::broker::data_protocol::ProduceError as BrokerProduceError;
use korasim_core::net::RpcError;

use crate::workloads::ProduceError;

/// The history's name for an error a broker answered a produce with.
pub(super) fn history_error(error: &BrokerProduceError) -> ProduceError {
    match error {
        BrokerProduceError::NotLeaderOrFollower => ProduceError::NotLeaderOrFollower,
        BrokerProduceError::UnknownTopicOrPartition => ProduceError::UnknownTopicOrPartition,
        BrokerProduceError::NotEnoughReplicas => ProduceError::NotEnoughReplicas,
        BrokerProduceError::NotEnoughReplicasAfterAppend => ProduceError::NotEnoughReplicasAfterAppend,
        BrokerProduceError::OutOfOrderSequence => ProduceError::OutOfOrderSequenceNumber,
        BrokerProduceError::InvalidProducerEpoch => ProduceError::InvalidProducerEpoch,
        BrokerProduceError::CorruptMessage => ProduceError::CorruptMessage,
        BrokerProduceError::RequestTimedOut => ProduceError::RequestTimedOut,
        BrokerProduceError::KafkaStorageError => ProduceError::KafkaStorageError,
    }
}

/// How a batch ended, once it is given up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum GivenUp {
    /// Every attempt failed definitely (or none was sent): the records are not in the log.
    Failed(ProduceError),
    /// Some attempt may have been written.
    Unknown(String),
}

/// The attempts of one batch so far.
#[derive(Debug, Default)]
pub(super) struct Attempts {
    sent: u32,
    /// The first attempt whose fate is unknown, in words.
    first_unknown: Option<String>,
    last_error: Option<String>,
    last_definite: Option<ProduceError>,
}

impl Attempts {
    /// An attempt answered with an error.
    pub fn answered_with(&mut self, error: ProduceError) {
        self.sent += 1;
        self.last_error = Some(error.name().to_string());
        if error.is_definite() {
            self.last_definite = Some(error);
        } else if self.first_unknown.is_none() {
            self.first_unknown = Some(format!("attempt {} answered {error}", self.sent));
        }
    }

    /// An attempt that got no usable answer.
    pub fn no_answer(&mut self, error: &RpcError) {
        self.sent += 1;
        let what = match error {
            RpcError::Timeout { timeout_ms, .. } => format!("no answer within {timeout_ms} ms"),
            RpcError::Malformed { .. } => "a garbled answer".to_string(),
        };
        self.last_error = Some(what.clone());
        if self.first_unknown.is_none() {
            self.first_unknown = Some(format!("attempt {}: {what}", self.sent));
        }
    }

    /// An attempt answered with something that is not a produce answer.
    pub fn answered_oddly(&mut self, what: &str) {
        self.sent += 1;
        self.last_error = Some(what.to_string());
        if self.first_unknown.is_none() {
            self.first_unknown = Some(format!("attempt {}: {what}", self.sent));
        }
    }

    /// The outcome of giving up after `waited` (why: `cause`).
    pub fn give_up(&self, cause: &str, waited: Duration) -> GivenUp {
        if self.sent == 0 {
            return GivenUp::Failed(ProduceError::ClientNeverSent);
        }
        match (&self.first_unknown, &self.last_definite) {
            (None, Some(definite)) => GivenUp::Failed(definite.clone()),
            (first_unknown, _) => GivenUp::Unknown(format!(
                "{cause} after {} attempts in {:.3} s; {}; last: {}",
                self.sent,
                waited.as_secs_f64(),
                first_unknown.as_deref().unwrap_or("no attempt was definite"),
                self.last_error.as_deref().unwrap_or("none"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;

    fn timeout() -> RpcError {
        RpcError::Timeout {
            to: SocketAddr::from(([10, 0, 0, 1], 9092)),
            timeout_ms: 5_000,
        }
    }

    #[test]
    fn a_batch_never_sent_failed_definitely() {
        let attempts = Attempts::default();
        assert_eq!(
            attempts.give_up("delivery timeout", Duration::from_secs(30)),
            GivenUp::Failed(ProduceError::ClientNeverSent)
        );
    }

    #[test]
    fn only_definite_errors_on_every_attempt_fail_the_batch() {
        let mut attempts = Attempts::default();
        attempts.answered_with(ProduceError::NotEnoughReplicas);
        attempts.answered_with(ProduceError::NotEnoughReplicas);
        assert_eq!(
            attempts.give_up("delivery timeout", Duration::from_secs(30)),
            GivenUp::Failed(ProduceError::NotEnoughReplicas)
        );
        attempts.answered_with(ProduceError::NotLeaderOrFollower);
        attempts.answered_with(ProduceError::NotEnoughReplicas);
        let GivenUp::Unknown(reason) = attempts.give_up("delivery timeout", Duration::from_secs(30)) else {
            panic!("an indefinite error must leave the batch unknown");
        };
        assert!(
            reason.contains("attempt 3 answered NOT_LEADER_OR_FOLLOWER"),
            "{reason}"
        );
    }

    #[test]
    fn a_timeout_before_a_definite_error_leaves_the_batch_unknown() {
        let mut attempts = Attempts::default();
        attempts.no_answer(&timeout());
        attempts.answered_with(ProduceError::NotEnoughReplicas);
        let outcome = attempts.give_up("delivery timeout", Duration::from_secs(30));
        assert_eq!(
            outcome,
            GivenUp::Unknown(
                "delivery timeout after 2 attempts in 30.000 s; attempt 1: no answer within 5000 ms; \
                 last: NOT_ENOUGH_REPLICAS"
                    .to_string()
            )
        );
    }

    #[test]
    fn broker_errors_keep_their_kafka_names() {
        for error in [
            BrokerProduceError::NotLeaderOrFollower,
            BrokerProduceError::UnknownTopicOrPartition,
            BrokerProduceError::NotEnoughReplicas,
            BrokerProduceError::NotEnoughReplicasAfterAppend,
            BrokerProduceError::OutOfOrderSequence,
            BrokerProduceError::InvalidProducerEpoch,
            BrokerProduceError::CorruptMessage,
            BrokerProduceError::RequestTimedOut,
            BrokerProduceError::KafkaStorageError,
        ] {
            assert_eq!(history_error(&error).name(), error.to_string());
        }
    }
}
