use super::super::data_protocol::FetchError;
use super::super::log::{EpochEndOffset, EpochEntry, LeaderEpochCache};
use super::*;

const LEADER: u32 = 1;
const EPOCH: u64 = 5;

fn cache(entries: &[(u64, u64)]) -> LeaderEpochCache {
    LeaderEpochCache::from_entries(entries.iter().map(|&(leader_epoch, start_offset)| EpochEntry {
        leader_epoch,
        start_offset,
    }))
}

/// The leader's answer to `OffsetsForLeaderEpoch`, computed from its own cache.
fn ask(
    leader: &LeaderEpochCache,
    leader_log_end: u64,
    request: Option<FollowerRequest>,
) -> Option<EpochEndOffset> {
    match request {
        Some(FollowerRequest::OffsetsForLeaderEpoch {
            current_leader_epoch,
            leader_epoch,
        }) => {
            assert_eq!(current_leader_epoch, EPOCH);
            leader.end_offset_for_epoch(leader_epoch, leader_log_end)
        }
        other => panic!("expected OffsetsForLeaderEpoch, got {other:?}"),
    }
}

fn fetch_from(offset: u64) -> Option<FollowerRequest> {
    Some(FollowerRequest::Fetch {
        current_leader_epoch: EPOCH,
        fetch_offset: offset,
    })
}

/// KIP-101 scenario 2: the follower holds offset 1 from epoch 1 that the leader of epoch 2
/// never had; its log is no longer than the leader's, but it must drop that record.
#[test]
fn a_follower_with_records_of_an_old_epoch_truncates_to_the_leaders_epoch_end() {
    let local = cache(&[(1, 0)]);
    let leader = cache(&[(1, 0), (2, 1)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 2, &local).with_high_watermark(1, 2);
    let answer = ask(&leader, 2, follower.next_request());
    assert_eq!(
        follower.on_epoch_answer(&Ok(answer), &local, 2),
        FollowerAction::TruncateAndFetch { offset: 1 }
    );
    follower.on_truncated(1);
    assert_eq!(follower.next_request(), fetch_from(1));
    assert_eq!(follower.high_watermark(), 1);
}

/// KIP-101 scenario 1: a follower whose HW lags its log end keeps every record the leader
/// has; truncating by HW would lose offset 1.
#[test]
fn a_follower_in_sync_truncates_nothing_whatever_its_high_watermark() {
    let local = cache(&[(1, 0), (3, 40)]);
    let leader = cache(&[(1, 0), (3, 40), (5, 90)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 60, &local).with_high_watermark(45, 60);
    let answer = ask(&leader, 100, follower.next_request());
    assert_eq!(answer.map(|a| a.end_offset), Some(90));
    assert_eq!(
        follower.on_epoch_answer(&Ok(answer), &local, 60),
        FollowerAction::Fetch { offset: 60 }
    );
    assert_eq!(follower.next_request(), fetch_from(60));
    assert_eq!(follower.high_watermark(), 45);
}

/// The follower was elected for epoch 3 at offset 60 and wrote nothing before it lost the
/// leadership; the new leader (epoch 4) had more of epoch 2 and never saw epoch 3. The logs
/// agree up to 60, but the follower's empty epoch 3 must go with a truncation to 60, or it
/// would refuse the leader's epoch-2 batches from offset 60 on.
#[test]
fn a_follower_drops_an_epoch_it_led_without_writing() {
    let mut local = cache(&[(1, 0), (2, 40), (3, 60)]);
    let leader = cache(&[(1, 0), (2, 40), (4, 75)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 60, &local);
    let answer = ask(&leader, 100, follower.next_request());
    assert_eq!(
        follower.on_epoch_answer(&Ok(answer), &local, 60),
        FollowerAction::TruncateAndFetch { offset: 60 }
    );
    local.truncate_from_end(60);
    assert_eq!(local.latest_epoch(), Some(2));
    follower.on_truncated(60);
    assert_eq!(follower.next_request(), fetch_from(60));
}

/// The follower led epoch 3 (offsets 50 to 79) that the leader never had; the leader answers
/// with epoch 2, which the follower does not know, so it truncates and asks again.
#[test]
fn a_follower_that_does_not_know_the_answered_epoch_asks_again() {
    let mut local = cache(&[(1, 0), (3, 50)]);
    let leader = cache(&[(1, 0), (2, 40), (4, 60)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 80, &local);

    let first = ask(&leader, 100, follower.next_request());
    assert_eq!(
        follower.on_epoch_answer(&Ok(first), &local, 80),
        FollowerAction::TruncateAndAskAgain { offset: 50, epoch: 1 }
    );
    local.truncate_from_end(50);

    let second = ask(&leader, 100, follower.next_request());
    assert_eq!(
        follower.on_epoch_answer(&Ok(second), &local, 50),
        FollowerAction::TruncateAndFetch { offset: 40 }
    );
    follower.on_truncated(40);
    assert_eq!(follower.next_request(), fetch_from(40));
}

#[test]
fn an_empty_follower_fetches_at_once_and_no_common_epoch_truncates_fully() {
    let empty = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    assert_eq!(empty.next_request(), fetch_from(0));

    let local = cache(&[(7, 0)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 5, &local);
    assert_eq!(
        follower.on_epoch_answer(&Ok(None), &local, 5),
        FollowerAction::TruncateFullyAndFetch { offset: 0 }
    );
    assert_eq!(follower.next_request(), fetch_from(0));
}

#[test]
fn the_high_watermark_is_the_leaders_capped_at_the_local_log_end() {
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    assert_eq!(follower.on_fetched(30, 10), 10, "never above the local log end");
    assert_eq!(follower.next_request(), fetch_from(10));
    assert_eq!(follower.on_fetched(30, 40), 30);
    assert_eq!(follower.on_fetched(35, 40), 35);
    assert_eq!(follower.high_watermark(), 35);
    assert_eq!(follower.fetch_offset(), Some(40));
}

#[test]
fn fenced_epoch_or_lost_leadership_stops_until_new_metadata() {
    let local = cache(&[(1, 0)]);
    let mut validating = FollowerFetchState::new(LEADER, EPOCH, 5, &local);
    assert_eq!(
        validating.on_epoch_answer(&Err(FetchError::FencedLeaderEpoch), &local, 5),
        FollowerAction::AwaitMetadata
    );
    assert!(validating.is_stopped());
    assert_eq!(validating.next_request(), None);

    let mut fetching = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    assert_eq!(
        fetching.on_fetch_error(&FetchError::NotLeaderOrFollower, &local),
        FollowerAction::AwaitMetadata
    );
    assert_eq!(fetching.next_request(), None);
    assert_eq!(fetching.on_fetched(10, 10), 0, "a late answer changes nothing");

    let mut retrying = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    assert_eq!(
        retrying.on_fetch_error(&FetchError::UnknownLeaderEpoch, &local),
        FollowerAction::Retry
    );
    assert_eq!(retrying.next_request(), fetch_from(0));
}

#[test]
fn out_of_range_below_the_leaders_log_start_restarts_there() {
    let local = cache(&[(1, 0)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    follower.on_fetched(0, 20);
    let error = FetchError::OffsetOutOfRange {
        log_start_offset: 100,
        log_end_offset: 150,
    };
    assert_eq!(
        follower.on_fetch_error(&error, &local),
        FollowerAction::TruncateFullyAndFetch { offset: 100 }
    );
    assert_eq!(follower.next_request(), fetch_from(100));
    assert_eq!(follower.high_watermark(), 100);
}

#[test]
fn out_of_range_above_the_leaders_log_end_asks_by_epoch_again() {
    let local = cache(&[(1, 0), (4, 30)]);
    let mut follower = FollowerFetchState::new(LEADER, EPOCH, 0, &LeaderEpochCache::new());
    follower.on_fetched(0, 50);
    let error = FetchError::OffsetOutOfRange {
        log_start_offset: 0,
        log_end_offset: 40,
    };
    assert_eq!(
        follower.on_fetch_error(&error, &local),
        FollowerAction::AskAgain { epoch: 4 }
    );
    assert_eq!(
        follower.next_request(),
        Some(FollowerRequest::OffsetsForLeaderEpoch {
            current_leader_epoch: EPOCH,
            leader_epoch: 4
        })
    );
}
