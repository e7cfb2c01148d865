//! What the store did with the requests it got, by kind and outcome, for reports and tests.

use std::collections::BTreeMap;

use korasim_core::object_store::protocol::ObjectStoreRequest;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RequestKind {
    Put,
    Get,
    Head,
    List,
    Delete,
}

impl RequestKind {
    pub fn of(request: &ObjectStoreRequest) -> RequestKind {
        match request {
            ObjectStoreRequest::Put { .. } => RequestKind::Put,
            ObjectStoreRequest::Get { .. } => RequestKind::Get,
            ObjectStoreRequest::Head { .. } => RequestKind::Head,
            ObjectStoreRequest::List { .. } => RequestKind::List,
            ObjectStoreRequest::Delete { .. } => RequestKind::Delete,
        }
    }
}

/// How one request ended, from the store's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum RequestOutcome {
    /// Served and answered `Ok`.
    Succeeded,
    /// Served and answered 404 NoSuchKey.
    NotFound,
    /// Served and answered 416 InvalidRange.
    InvalidRange,
    /// 503 SlowDown: over its prefix's request-rate limit.
    Throttled,
    /// 503 SlowDown: drawn by an active storm fault.
    StormSlowDown,
    /// 500 InternalError at the base rate.
    InternalError,
    /// Dropped without an answer at the base rate (the client times out).
    Unanswered,
    /// Answered with a reset connection at the base rate.
    ConnectionReset,
    /// 503 ServiceUnavailable during an outage.
    Unavailable,
    /// Dropped without an answer during an outage.
    OutageUnanswered,
}

/// Requests by kind and outcome, since the store started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounters {
    counts: BTreeMap<(RequestKind, RequestOutcome), u64>,
}

impl RequestCounters {
    pub(super) fn record(&mut self, kind: RequestKind, outcome: RequestOutcome) {
        *self.counts.entry((kind, outcome)).or_default() += 1;
    }

    pub fn get(&self, kind: RequestKind, outcome: RequestOutcome) -> u64 {
        self.counts.get(&(kind, outcome)).copied().unwrap_or(0)
    }

    /// Requests of any kind that ended with `outcome`.
    pub fn with_outcome(&self, outcome: RequestOutcome) -> u64 {
        self.counts
            .iter()
            .filter(|((_, counted), _)| *counted == outcome)
            .map(|(_, count)| count)
            .sum()
    }

    /// Requests of `kind`, whatever their outcome.
    pub fn of_kind(&self, kind: RequestKind) -> u64 {
        self.counts
            .iter()
            .filter(|((counted, _), _)| *counted == kind)
            .map(|(_, count)| count)
            .sum()
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Every (kind, outcome) seen, in order.
    pub fn iter(&self) -> impl Iterator<Item = (RequestKind, RequestOutcome, u64)> + '_ {
        self.counts
            .iter()
            .map(|((kind, outcome), count)| (*kind, *outcome, *count))
    }
}
