//! The truncation cases of Kafka's `AbstractFetcherThreadTest` and `ReplicaFetcherThreadTest`
//! (core/src/test/scala/unit/kafka/server), on [`FollowerFetchState`] and
//! [`divergence_point`].
//!
//! Kafka's `MockFetcherThread` against a `MockLeaderEndPoint` becomes [`do_work`]: one
//! request from the follower's state to a mock leader ([`MockLeader`]) and what follows
//! from its answer, on a mock log of one-record batches ([`MockLog`]). We always find the
//! divergence point with `OffsetsForLeaderEpoch` (Kafka may also truncate on fetch, from a
//! diverging epoch in the fetch response; the answer carries the same information), and we
//! never truncate to the high watermark.

use korasim_core::broker::data_protocol::FetchError;
use korasim_core::broker::log::{divergence_point, Divergence, EpochEndOffset, LeaderEpochCache};
use korasim_core::broker::replication::{FollowerAction, FollowerFetchState, FollowerRequest};

const LEADER: u32 = 1;

/// A replica's log: one single-record batch per offset from `start`, each carrying the epoch
/// of the leader that wrote it (Kafka's `mkBatch(baseOffset, leaderEpoch, record)`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct MockLog {
    start: u64,
    epochs: Vec<u64>,
}

impl MockLog {
    fn new(epochs: &[u64]) -> Self {
        MockLog::starting_at(0, epochs)
    }

    fn starting_at(start: u64, epochs: &[u64]) -> Self {
        MockLog {
            start,
            epochs: epochs.to_vec(),
        }
    }

    fn end(&self) -> u64 {
        self.start + self.epochs.len() as u64
    }

    fn cache(&self) -> LeaderEpochCache {
        let mut cache = LeaderEpochCache::new();
        for (index, &epoch) in self.epochs.iter().enumerate() {
            cache.assign(epoch, self.start + index as u64);
        }
        cache
    }

    fn truncate_to(&mut self, offset: u64) {
        if offset < self.start {
            self.truncate_fully_and_start_at(offset);
        } else {
            self.epochs.truncate((offset - self.start) as usize);
        }
    }

    fn truncate_fully_and_start_at(&mut self, offset: u64) {
        self.start = offset;
        self.epochs.clear();
    }
}

/// The leader: its log, its epoch (recorded at its log end when it took over, as a Kafka
/// leader does) and its high watermark.
struct MockLeader {
    log: MockLog,
    leader_epoch: u64,
    high_watermark: u64,
}

impl MockLeader {
    fn new(log: MockLog, leader_epoch: u64, high_watermark: u64) -> Self {
        MockLeader {
            log,
            leader_epoch,
            high_watermark,
        }
    }

    fn cache(&self) -> LeaderEpochCache {
        let mut cache = self.log.cache();
        cache.assign(self.leader_epoch, self.log.end());
        cache
    }

    fn check_epoch(&self, current_leader_epoch: u64) -> Result<(), FetchError> {
        match current_leader_epoch.cmp(&self.leader_epoch) {
            std::cmp::Ordering::Less => Err(FetchError::FencedLeaderEpoch),
            std::cmp::Ordering::Greater => Err(FetchError::UnknownLeaderEpoch),
            std::cmp::Ordering::Equal => Ok(()),
        }
    }

    fn end_offset_for_epoch(
        &self,
        current_leader_epoch: u64,
        epoch: u64,
    ) -> Result<Option<EpochEndOffset>, FetchError> {
        self.check_epoch(current_leader_epoch)?;
        Ok(self.cache().end_offset_for_epoch(epoch, self.log.end()))
    }

    fn fetch(&self, current_leader_epoch: u64, fetch_offset: u64) -> Result<Vec<u64>, FetchError> {
        self.check_epoch(current_leader_epoch)?;
        if fetch_offset < self.log.start || fetch_offset > self.log.end() {
            return Err(FetchError::OffsetOutOfRange {
                log_start_offset: self.log.start,
                log_end_offset: self.log.end(),
            });
        }
        Ok(self.log.epochs[(fetch_offset - self.log.start) as usize..].to_vec())
    }
}

/// A follower of [`LEADER`] in `leader_epoch` with `log`.
fn follower(log: &MockLog, leader_epoch: u64) -> FollowerFetchState {
    FollowerFetchState::new(LEADER, leader_epoch, log.end(), &log.cache())
}

/// Kafka's `doWork`: the follower's next request, the leader's answer, and what the
/// follower does to its log. Returns the action taken.
fn do_work(state: &mut FollowerFetchState, log: &mut MockLog, leader: &MockLeader) -> FollowerAction {
    let action = match state.next_request() {
        None => return FollowerAction::AwaitMetadata,
        Some(FollowerRequest::OffsetsForLeaderEpoch {
            current_leader_epoch,
            leader_epoch,
        }) => {
            let answer = leader.end_offset_for_epoch(current_leader_epoch, leader_epoch);
            state.on_epoch_answer(&answer, &log.cache(), log.end())
        }
        Some(FollowerRequest::Fetch {
            current_leader_epoch,
            fetch_offset,
        }) => match leader.fetch(current_leader_epoch, fetch_offset) {
            Ok(epochs) => {
                log.epochs.extend(epochs);
                state.on_fetched(leader.high_watermark, log.end());
                return FollowerAction::Fetch { offset: log.end() };
            }
            Err(error) => state.on_fetch_error(&error, &log.cache()),
        },
    };
    match action {
        FollowerAction::TruncateAndFetch { offset } | FollowerAction::TruncateAndAskAgain { offset, .. } => {
            log.truncate_to(offset);
            state.on_truncated(log.end());
        }
        FollowerAction::TruncateFullyAndFetch { offset } => {
            log.truncate_fully_and_start_at(offset);
            state.on_truncated(log.end());
        }
        _ => {}
    }
    action
}

/// Kafka's `waitUntilTrue(doWork; replica log == leader log)`.
fn reconcile(state: &mut FollowerFetchState, log: &mut MockLog, leader: &MockLeader) {
    for _ in 0..20 {
        do_work(state, log, leader);
        if *log == leader.log && state.fetch_offset() == Some(log.end()) {
            return;
        }
    }
    panic!(
        "failed to reconcile leader and follower logs: {log:?} vs {:?}",
        leader.log
    );
}

fn answer(leader_epoch: u64, end_offset: u64) -> Option<EpochEndOffset> {
    Some(EpochEndOffset {
        leader_epoch,
        end_offset,
    })
}

fn cache(entries: &[(u64, u64)]) -> LeaderEpochCache {
    let mut cache = LeaderEpochCache::new();
    for &(leader_epoch, start_offset) in entries {
        cache.assign(leader_epoch, start_offset);
    }
    cache
}

// ---- AbstractFetcherThreadTest ----

/// `AbstractFetcherThreadTest.testSimpleFetch`
#[test]
fn test_simple_fetch() {
    let mut log = MockLog::new(&[]);
    let mut state = follower(&log, 0);
    let leader = MockLeader::new(MockLog::new(&[0, 0]), 0, 2);
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 2);
    assert_eq!(state.high_watermark(), 2);
}

/// `AbstractFetcherThreadTest.testFencedTruncation`: the leader is in a newer epoch than
/// the follower; no progress, and the follower stops until new metadata.
#[test]
fn test_fenced_truncation() {
    let mut log = MockLog::new(&[0]);
    let mut state = follower(&log, 0);
    let leader = MockLeader::new(MockLog::new(&[1, 1]), 1, 2);
    assert_eq!(
        do_work(&mut state, &mut log, &leader),
        FollowerAction::AwaitMetadata
    );
    assert_eq!((log.end(), state.high_watermark()), (1, 0));
    assert!(state.is_stopped());
}

/// `AbstractFetcherThreadTest.testFencedFetch`
#[test]
fn test_fenced_fetch() {
    let mut log = MockLog::new(&[]);
    let mut state = follower(&log, 0);
    let mut leader = MockLeader::new(MockLog::new(&[0, 0]), 0, 2);
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 2);
    leader.leader_epoch += 1;
    assert_eq!(
        do_work(&mut state, &mut log, &leader),
        FollowerAction::AwaitMetadata
    );
    assert!(state.is_stopped());
}

/// `AbstractFetcherThreadTest.testUnknownLeaderEpochInTruncation`: the follower is ahead of
/// the leader's epoch; it keeps asking, and progresses once the leader catches up.
#[test]
fn test_unknown_leader_epoch_in_truncation() {
    let mut log = MockLog::new(&[0]);
    let mut state = follower(&log, 1);
    let mut leader = MockLeader::new(MockLog::new(&[0]), 0, 1);
    assert_eq!(do_work(&mut state, &mut log, &leader), FollowerAction::Retry);
    assert_eq!(state.fetch_offset(), None, "still truncating");
    leader.leader_epoch += 1;
    do_work(&mut state, &mut log, &leader);
    assert_eq!(state.fetch_offset(), Some(1));
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 1);
}

/// `AbstractFetcherThreadTest.testUnknownLeaderEpochWhileFetching`: stuck at the same
/// offset until the leader's epoch is right again.
#[test]
fn test_unknown_leader_epoch_while_fetching() {
    let mut log = MockLog::new(&[]);
    let mut state = follower(&log, 1);
    let mut leader = MockLeader::new(MockLog::new(&[0]), 1, 1);
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 1);
    leader.leader_epoch = 0;
    leader.log.epochs.push(0);
    assert_eq!(do_work(&mut state, &mut log, &leader), FollowerAction::Retry);
    assert_eq!((log.end(), state.fetch_offset()), (1, Some(1)));
    leader.leader_epoch = 1;
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 2);
}

/// `AbstractFetcherThreadTest.testTruncation`: the follower's epochs 0, 2, 4 against the
/// leader's 1, 3, 5; it asks three times, empties its log, and copies the leader's.
#[test]
fn test_truncation() {
    let mut log = MockLog::new(&[0, 2, 4]);
    let mut state = follower(&log, 5);
    let leader = MockLeader::new(MockLog::new(&[1, 3, 5]), 5, 2);
    reconcile(&mut state, &mut log, &leader);
    assert_eq!((log.start, log.end()), (0, 3));
    assert_eq!(state.high_watermark(), 2);
}

/// `AbstractFetcherThreadTest.testDivergingEpochs`: only the last record differs.
#[test]
fn test_diverging_epochs() {
    let mut log = MockLog::new(&[0, 2, 4]);
    let mut state = follower(&log, 5);
    let leader = MockLeader::new(MockLog::new(&[0, 2, 5]), 5, 2);
    assert_eq!(
        do_work(&mut state, &mut log, &leader),
        FollowerAction::TruncateAndFetch { offset: 2 }
    );
    assert_eq!(log.cache().latest_epoch(), Some(2));
    reconcile(&mut state, &mut log, &leader);
    assert_eq!(log.cache().latest_epoch(), Some(5));
}

/// `AbstractFetcherThreadTest.testTruncationSkippedIfNoEpochChange`: once fetching, an
/// answer about epochs changes nothing (the follower is not sent back to truncation by a
/// repeated addition of the same partition and epoch, which is no new state here).
#[test]
fn test_truncation_skipped_if_no_epoch_change() {
    let mut log = MockLog::new(&[]);
    let mut state = follower(&log, 5);
    let leader = MockLeader::new(MockLog::new(&[1, 3, 5]), 5, 2);
    do_work(&mut state, &mut log, &leader);
    assert_eq!(log.end(), 3);
    let late = state.on_epoch_answer(&Ok(answer(5, 3)), &log.cache(), log.end());
    assert_eq!(late, FollowerAction::Ignore);
    assert_eq!(state.fetch_offset(), Some(3));
}

/// `AbstractFetcherThreadTest.testFollowerFetchOutOfRangeHigh`: the leader's log went away
/// under a fetching follower. Kafka truncates to the leader's log end; ours asks by epoch
/// again, learns nothing is shared, and empties its log: the same log end, start and high
/// watermark (0) in the end.
#[test]
fn test_follower_fetch_out_of_range_high() {
    let mut log = MockLog::new(&[0, 2, 4]);
    let mut state = follower(&log, 4);
    let mut leader = MockLeader::new(MockLog::new(&[0, 2, 4]), 4, 2);
    do_work(&mut state, &mut log, &leader);
    assert_eq!((log.end(), state.fetch_offset()), (3, Some(3)));
    leader.log = MockLog::new(&[]);
    leader.high_watermark = 0;
    leader.leader_epoch = 4;
    assert_eq!(
        do_work(&mut state, &mut log, &leader),
        FollowerAction::AskAgain { epoch: 4 }
    );
    do_work(&mut state, &mut log, &leader);
    do_work(&mut state, &mut log, &leader);
    assert_eq!((log.start, log.end(), state.high_watermark()), (0, 0, 0));
}

/// `AbstractFetcherThreadTest.testFollowerFetchOutOfRangeLow`: the follower's log ends
/// below the leader's log start; it restarts its log there and copies the leader's.
#[test]
fn test_follower_fetch_out_of_range_low() {
    let mut log = MockLog::new(&[0]);
    let mut state = follower(&log, 0);
    let leader = MockLeader::new(MockLog::starting_at(2, &[4]), 0, 2);
    do_work(&mut state, &mut log, &leader);
    assert_eq!(
        do_work(&mut state, &mut log, &leader),
        FollowerAction::TruncateFullyAndFetch { offset: 2 }
    );
    assert_eq!((log.start, log.end()), (2, 2));
    reconcile(&mut state, &mut log, &leader);
    assert_eq!((log.start, log.end(), state.high_watermark()), (2, 3, 2));
}

/// `AbstractFetcherThreadTest.testCorruptMessage`: a corrupt fetch is retried, not fatal.
#[test]
fn test_corrupt_message() {
    let log = MockLog::new(&[]);
    let mut state = follower(&log, 0);
    let action = state.on_fetch_error(&FetchError::CorruptMessage, &log.cache());
    assert_eq!(action, FollowerAction::Retry);
    assert_eq!(state.fetch_offset(), Some(0));
    assert!(!state.is_stopped());
}

// ---- ReplicaFetcherThreadTest ----

/// `ReplicaFetcherThreadTest.testFetchLeaderEpochRequestIfLastEpochDefinedForSomePartitions`:
/// a follower with epochs asks `OffsetsForLeaderEpoch`; one without fetches straight away.
#[test]
fn test_fetch_leader_epoch_request_if_last_epoch_defined_for_some_partitions() {
    let with_epochs = follower(&MockLog::new(&[0, 1]), 2);
    assert_eq!(
        with_epochs.next_request(),
        Some(FollowerRequest::OffsetsForLeaderEpoch {
            current_leader_epoch: 2,
            leader_epoch: 1
        })
    );
    let without = follower(&MockLog::new(&[]), 2);
    assert_eq!(
        without.next_request(),
        Some(FollowerRequest::Fetch {
            current_leader_epoch: 2,
            fetch_offset: 0
        })
    );
}

/// `ReplicaFetcherThreadTest.shouldTruncateToOffsetSpecifiedInEpochOffsetResponse`
#[test]
fn should_truncate_to_offset_specified_in_epoch_offset_response() {
    let local = cache(&[(1, 0), (5, 100)]);
    for leader_end in [156, 172] {
        assert_eq!(
            divergence_point(&local, 200, answer(5, leader_end)),
            Divergence::TruncateTo { offset: leader_end }
        );
    }
}

/// `ReplicaFetcherThreadTest.shouldTruncateToOffsetSpecifiedInEpochOffsetResponseIfFollowerHasNoMoreEpochs`:
/// the follower cannot place the leader's epoch at all; it keeps at most what lies below
/// the leader's end offset.
#[test]
fn should_truncate_to_offset_specified_in_epoch_offset_response_if_follower_has_no_more_epochs() {
    let none = LeaderEpochCache::new();
    assert_eq!(
        divergence_point(&none, 200, answer(4, 156)),
        Divergence::TruncateTo { offset: 156 }
    );
    assert_eq!(
        divergence_point(&none, 200, answer(4, 202)),
        Divergence::TruncateTo { offset: 200 }
    );
}

/// `ReplicaFetcherThreadTest.shouldFetchLeaderEpochSecondTimeIfLeaderRepliesWithEpochNotKnownToFollower`:
/// the follower knows epochs 3 and 5, the leader answers with 4; the follower truncates to
/// the end of its epoch 3 and asks again with it, then truncates to the leader's answer.
#[test]
fn should_fetch_leader_epoch_second_time_if_leader_replies_with_epoch_not_known_to_follower() {
    let mut log = MockLog::new(&[]);
    log.epochs = [vec![1; 100], vec![3; 20], vec![5; 80]].concat();
    assert_eq!(log.end(), 200);
    let mut state = follower(&log, 6);
    let first = state.on_epoch_answer(&Ok(answer(4, 155)), &log.cache(), log.end());
    assert_eq!(
        first,
        FollowerAction::TruncateAndAskAgain {
            offset: 120,
            epoch: 3
        }
    );
    log.truncate_to(120);
    assert_eq!(
        state.next_request(),
        Some(FollowerRequest::OffsetsForLeaderEpoch {
            current_leader_epoch: 6,
            leader_epoch: 3
        })
    );
    let second = state.on_epoch_answer(&Ok(answer(3, 101)), &log.cache(), log.end());
    assert_eq!(second, FollowerAction::TruncateAndFetch { offset: 101 });
    assert_eq!(state.fetch_offset(), Some(101), "no third round: it fetches");
}

/// `ReplicaFetcherThreadTest.shouldTruncateIfLeaderRepliesWithDivergingEpochNotKnownToFollower`,
/// the truncation it asserts: the leader's epoch 4 ends at 140, the follower's at 149.
#[test]
fn should_truncate_if_leader_replies_with_diverging_epoch() {
    let local = cache(&[(1, 100), (2, 119), (4, 129), (5, 149)]);
    assert_eq!(
        divergence_point(&local, 200, answer(4, 140)),
        Divergence::TruncateTo { offset: 140 }
    );
    assert_eq!(
        divergence_point(&local, 200, answer(4, 141)),
        Divergence::TruncateTo { offset: 141 }
    );
}

/// `ReplicaFetcherThreadTest.shouldTruncateToInitialFetchOffsetIfLeaderReturnsUndefinedOffset`.
///
/// Deliberate difference: when the leader of the current epoch knows no epoch at or below
/// the follower's, Kafka truncates to the follower's high watermark (its initial fetch
/// offset). No common prefix can be proven then, and the high watermark can lie above
/// records that differ from the leader's, so ours empties the log and fetches from the
/// leader's log start instead (through `OffsetOutOfRange`).
#[test]
fn should_empty_the_log_if_leader_returns_undefined_offset() {
    let mut log = MockLog::new(&[5; 150]);
    let mut state = follower(&log, 6).with_high_watermark(100, log.end());
    let action = state.on_epoch_answer(&Ok(None), &log.cache(), log.end());
    assert_eq!(action, FollowerAction::TruncateFullyAndFetch { offset: 0 });
    log.truncate_fully_and_start_at(0);
    assert_eq!((log.end(), state.high_watermark()), (0, 0));
}

/// `ReplicaFetcherThreadTest.shouldPollIndefinitelyIfLeaderReturnsAnyException`: a
/// transient error answers neither request; the same request is sent again.
#[test]
fn should_poll_indefinitely_if_leader_returns_any_exception() {
    let log = MockLog::new(&[5, 5]);
    let mut state = follower(&log, 6);
    let request = state.next_request();
    for error in [FetchError::UnknownTopicOrPartition, FetchError::KafkaStorageError] {
        let action = state.on_epoch_answer(&Err(error), &log.cache(), log.end());
        assert_eq!(action, FollowerAction::Retry);
        assert_eq!(state.next_request(), request);
    }
}

/// `ReplicaFetcherThreadTest.shouldMovePartitionsOutOfTruncatingLogState`
#[test]
fn should_move_partitions_out_of_truncating_log_state() {
    let log = MockLog::new(&[5, 5, 5]);
    let mut state = follower(&log, 6);
    assert_eq!(state.fetch_offset(), None);
    state.on_epoch_answer(&Ok(answer(5, 3)), &log.cache(), log.end());
    assert_eq!(state.fetch_offset(), Some(3));
}

/// `ReplicaFetcherThreadTest.testTruncateOnFetchDoesNotUpdateHighWatermark`: a truncation
/// never raises the follower's high watermark (it can only cap it).
#[test]
fn test_truncate_on_fetch_does_not_update_high_watermark() {
    let mut log = MockLog::new(&[4, 4, 4, 5, 5]);
    let mut state = follower(&log, 6).with_high_watermark(2, log.end());
    let action = state.on_epoch_answer(&Ok(answer(5, 4)), &log.cache(), log.end());
    assert_eq!(action, FollowerAction::TruncateAndFetch { offset: 4 });
    log.truncate_to(4);
    state.on_truncated(log.end());
    assert_eq!(state.high_watermark(), 2);
}
