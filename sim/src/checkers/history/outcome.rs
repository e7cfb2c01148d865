//! What a produce came to, as far as its client could tell. Only an acknowledgement proves a
//! write and only a definite error proves its absence; everything else (a timeout, a lost
//! connection, an error that may come after the append, no answer before the run ended) is
//! unknown, and the oracle accepts such a write in the log once or not at all.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::workloads::ProduceError;

/// The outcome of one produce.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Outcome<'h> {
    /// The leader acknowledged it, at `offset` unless `acks=0`.
    Acknowledged { at: Duration, offset: Option<u64> },
    /// It failed with an error that proves it was not appended.
    DefinitelyFailed { at: Duration, error: &'h ProduceError },
    /// It may or may not have been written; `at` is `None` when it never completed.
    Unknown { at: Option<Duration> },
}

impl Outcome<'_> {
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Acknowledged { .. } => OutcomeKind::Acknowledged,
            Outcome::DefinitelyFailed { .. } => OutcomeKind::DefinitelyFailed,
            Outcome::Unknown { .. } => OutcomeKind::Unknown,
        }
    }
}

/// The outcome of a produce, without its details, for violations to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OutcomeKind {
    Acknowledged,
    DefinitelyFailed,
    Unknown,
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutcomeKind::Acknowledged => "acknowledged",
            OutcomeKind::DefinitelyFailed => "definitely failed",
            OutcomeKind::Unknown => "of unknown outcome",
        })
    }
}
