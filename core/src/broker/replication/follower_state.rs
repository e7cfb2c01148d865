//! What a follower replica of one partition does next, kept pure: no I/O, no clock. The
//! caller sends the requests, carries out the truncations on its log and reports back.
//!
//! A follower is created whenever metadata makes this broker a follower of the partition
//! under a (new) leader and leader epoch. From then on:
//!
//! - **It first finds where its log diverges from the leader's, by leader epoch** (KIP-101,
//!   refined by KIP-279): it asks the leader with `OffsetsForLeaderEpoch` where the
//!   follower's latest epoch ends, and truncates to the point [`divergence_point`] derives
//!   from the answer. When the leader answers with an epoch the follower does not know, the
//!   follower truncates to the end of its own largest epoch below it and asks again with its
//!   new latest epoch; each round asks with a smaller epoch, so this ends.
//! - **It never truncates by its local high watermark** (as Kafka did before KIP-101): the
//!   HW may lag behind records that were committed (truncating there would lose them if the
//!   leader then died) and says nothing about records that differ from the leader's. The
//!   leader's log end offset is no truncation point either: a fetch above it sends the
//!   follower back to asking by epoch.
//! - A follower whose log holds no batch (an empty leader-epoch cache) has nothing that
//!   could diverge and fetches from its log end straight away.
//! - It then fetches from its log end offset. After appending what a fetch returned, its HW
//!   is the leader's HW capped at its own log end offset: it never exceeds the follower's
//!   log end, and it follows the leader's value (a new leader's HW may start lower).
//! - `FencedLeaderEpoch` (the follower's leader epoch is stale) and `NotLeaderOrFollower`
//!   (the broker asked is no longer the leader) stop the follower until new metadata names
//!   the leader again; the caller then creates a new state. Other errors but
//!   `OffsetOutOfRange` are transient: the same request is sent again after a backoff.
//! - `OffsetOutOfRange` below the leader's log start (the leader deleted the segments the
//!   follower still needs) empties the follower's log, restarts it at the leader's log start
//!   and fetches from there. Truncating a follower is always safe for durability: with
//!   unclean election off, the leader of the current epoch holds every committed record.
//!
//! The follower's HW is also capped by every truncation, though a correct divergence point
//! never lies below it (everything below the HW was committed, so the leader has it).

use super::super::data_protocol::FetchError;
use super::super::log::{divergence_point, Divergence, EpochEndOffset, LeaderEpochCache};
use crate::metadata::BrokerId;

/// What the follower sends next (the caller adds topic, partition, `max_bytes` and its
/// replica id and broker epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerRequest {
    /// `OffsetsForLeaderEpoch` for `leader_epoch`, the follower's latest local epoch.
    OffsetsForLeaderEpoch {
        current_leader_epoch: u64,
        leader_epoch: u64,
    },
    /// A replica `Fetch` from `fetch_offset`.
    Fetch {
        current_leader_epoch: u64,
        fetch_offset: u64,
    },
}

/// What the caller does with its log after an answer, before sending
/// [`FollowerFetchState::next_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowerAction {
    /// Nothing to truncate: fetch from `offset`.
    Fetch { offset: u64 },
    /// Truncate the log to `offset` (drop everything at and above it), report the resulting
    /// log end with [`FollowerFetchState::on_truncated`], then fetch from it.
    TruncateAndFetch { offset: u64 },
    /// Truncate the log to `offset` (which may drop nothing), then ask again where
    /// `epoch`, the local latest epoch after the truncation, ends.
    TruncateAndAskAgain { offset: u64, epoch: u64 },
    /// Nothing to truncate: ask again where `epoch` ends (a fetch went past the leader's log
    /// end, so the divergence point has to be found again).
    AskAgain { epoch: u64 },
    /// Empty the log and restart it at `offset`, then fetch from there.
    TruncateFullyAndFetch { offset: u64 },
    /// A transient error: send the same request again after a backoff.
    Retry,
    /// Stop fetching this partition until new metadata arrives (then create a new state).
    AwaitMetadata,
    /// An answer this state was not waiting for (a late one): ignore it.
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting to learn where `epoch` ends in the leader's log.
    Validating {
        epoch: u64,
    },
    Fetching {
        offset: u64,
    },
    Stopped,
}

/// The follower side of replication of one partition, for one leader and leader epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowerFetchState {
    leader: BrokerId,
    leader_epoch: u64,
    phase: Phase,
    high_watermark: u64,
}

impl FollowerFetchState {
    /// The state of a broker that just became follower of `leader` in `leader_epoch`, with a
    /// local log ending at `local_log_end_offset` whose epochs are `local_epochs`. The HW
    /// starts at 0 (see [`Self::with_high_watermark`]).
    pub fn new(
        leader: BrokerId,
        leader_epoch: u64,
        local_log_end_offset: u64,
        local_epochs: &LeaderEpochCache,
    ) -> Self {
        let phase = match local_epochs.latest_epoch() {
            Some(epoch) => Phase::Validating { epoch },
            None => Phase::Fetching {
                offset: local_log_end_offset,
            },
        };
        FollowerFetchState {
            leader,
            leader_epoch,
            phase,
            high_watermark: 0,
        }
    }

    /// Starts from a known HW (a checkpointed one), capped at the local log end offset.
    pub fn with_high_watermark(mut self, high_watermark: u64, local_log_end_offset: u64) -> Self {
        self.high_watermark = high_watermark.min(local_log_end_offset);
        self
    }

    pub fn leader(&self) -> BrokerId {
        self.leader
    }

    pub fn leader_epoch(&self) -> u64 {
        self.leader_epoch
    }

    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }

    /// Whether the follower stopped and waits for new metadata.
    pub fn is_stopped(&self) -> bool {
        self.phase == Phase::Stopped
    }

    /// The offset the next fetch starts at, once the divergence point is known.
    pub fn fetch_offset(&self) -> Option<u64> {
        match self.phase {
            Phase::Fetching { offset } => Some(offset),
            _ => None,
        }
    }

    /// What to send the leader now; `None` once stopped.
    pub fn next_request(&self) -> Option<FollowerRequest> {
        let current_leader_epoch = self.leader_epoch;
        match self.phase {
            Phase::Validating { epoch } => Some(FollowerRequest::OffsetsForLeaderEpoch {
                current_leader_epoch,
                leader_epoch: epoch,
            }),
            Phase::Fetching { offset } => Some(FollowerRequest::Fetch {
                current_leader_epoch,
                fetch_offset: offset,
            }),
            Phase::Stopped => None,
        }
    }

    /// The leader's answer to `OffsetsForLeaderEpoch`, judged against the local epochs and
    /// log end offset (as they are now, before any truncation).
    pub fn on_epoch_answer(
        &mut self,
        answer: &Result<Option<EpochEndOffset>, FetchError>,
        local_epochs: &LeaderEpochCache,
        local_log_end_offset: u64,
    ) -> FollowerAction {
        if !matches!(self.phase, Phase::Validating { .. }) {
            return FollowerAction::Ignore;
        }
        let leader_answer = match answer {
            Ok(leader_answer) => *leader_answer,
            Err(error) => return self.on_error(error),
        };
        match divergence_point(local_epochs, local_log_end_offset, leader_answer) {
            Divergence::TruncateTo { offset } => {
                self.start_fetching_at(offset);
                // Nothing to drop only if no local epoch starts at or after the offset either:
                // a broker elected leader records its epoch's start before writing anything,
                // and a follower keeping that empty epoch would refuse the leader's batches of
                // an older epoch from there on (found by `chaos-leaders` seed 2: a follower
                // stuck for the rest of the run).
                let empty_epoch_beyond = local_epochs
                    .latest_entry()
                    .is_some_and(|latest| latest.start_offset >= offset);
                if offset >= local_log_end_offset && !empty_epoch_beyond {
                    FollowerAction::Fetch { offset }
                } else {
                    FollowerAction::TruncateAndFetch { offset }
                }
            }
            Divergence::TruncateAndAskAgain { offset } => {
                // The epoch whose end `divergence_point` truncates to: the largest local
                // epoch below the leader's answer, which is the latest one left afterwards.
                let epoch = leader_answer
                    .and_then(|answer| {
                        local_epochs.end_offset_for_epoch(answer.leader_epoch, local_log_end_offset)
                    })
                    .map(|local_end| local_end.leader_epoch);
                match epoch {
                    Some(epoch) => {
                        self.high_watermark = self.high_watermark.min(offset);
                        self.phase = Phase::Validating { epoch };
                        FollowerAction::TruncateAndAskAgain { offset, epoch }
                    }
                    None => self.truncate_fully_at(0),
                }
            }
            // The leader of the current epoch knows no epoch at or below ours: no common
            // prefix can be proven, so keep nothing (fetching from 0 then meets the leader's
            // log start through `OffsetOutOfRange`).
            Divergence::NoCommonEpoch => self.truncate_fully_at(0),
        }
    }

    /// The caller truncated its log as told and it now ends at `local_log_end_offset`,
    /// which may lie below the offset asked for (a batch is dropped whole): fetch from there.
    pub fn on_truncated(&mut self, local_log_end_offset: u64) {
        if let Phase::Fetching { .. } = self.phase {
            self.start_fetching_at(local_log_end_offset);
        }
    }

    /// A fetch succeeded and the caller appended its batches, so that the local log now ends
    /// at `local_log_end_offset`. Returns the follower's new HW: the leader's HW, never above
    /// the local log end.
    pub fn on_fetched(&mut self, leader_high_watermark: u64, local_log_end_offset: u64) -> u64 {
        if let Phase::Fetching { .. } = self.phase {
            self.phase = Phase::Fetching {
                offset: local_log_end_offset,
            };
            self.high_watermark = leader_high_watermark.min(local_log_end_offset);
        }
        self.high_watermark
    }

    /// A fetch failed. `local_epochs` are the follower's epochs now.
    pub fn on_fetch_error(&mut self, error: &FetchError, local_epochs: &LeaderEpochCache) -> FollowerAction {
        let Phase::Fetching { offset } = self.phase else {
            return FollowerAction::Ignore;
        };
        match *error {
            FetchError::OffsetOutOfRange { log_start_offset, .. } if offset < log_start_offset => {
                self.truncate_fully_at(log_start_offset)
            }
            // Past the leader's log end: find the divergence point again, by epoch.
            FetchError::OffsetOutOfRange { log_start_offset, .. } => match local_epochs.latest_epoch() {
                Some(epoch) => {
                    self.phase = Phase::Validating { epoch };
                    FollowerAction::AskAgain { epoch }
                }
                None => self.truncate_fully_at(log_start_offset),
            },
            _ => self.on_error(error),
        }
    }

    /// An error common to both requests.
    fn on_error(&mut self, error: &FetchError) -> FollowerAction {
        match error {
            FetchError::FencedLeaderEpoch | FetchError::NotLeaderOrFollower => {
                self.phase = Phase::Stopped;
                FollowerAction::AwaitMetadata
            }
            _ => FollowerAction::Retry,
        }
    }

    fn start_fetching_at(&mut self, offset: u64) {
        self.high_watermark = self.high_watermark.min(offset);
        self.phase = Phase::Fetching { offset };
    }

    fn truncate_fully_at(&mut self, offset: u64) -> FollowerAction {
        self.high_watermark = offset;
        self.phase = Phase::Fetching { offset };
        FollowerAction::TruncateFullyAndFetch { offset }
    }
}
