//! Kafka's `LeaderEpochFileCacheTest` (core/src/test/scala/unit/kafka/server/epoch), on
//! [`LeaderEpochCache`].
//!
//! Kafka answers an epoch it cannot place with `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`;
//! ours answers `None`. Epochs and offsets are unsigned here, so the cases that pass
//! `UNDEFINED_EPOCH` or `UNDEFINED_EPOCH_OFFSET` (-1) as an argument have no counterpart
//! (`shouldNotResetEpochHistoryHeadIfUndefinedPassed`, `...TailIfUndefinedPassed`), except
//! the one about a follower with no epoch, which our follower answers differently (it does
//! not ask; see `should_return_undefined_offset_if_undefined_epoch_requested`).

use korasim_core::broker::log::{EpochEndOffset, EpochEntry, LeaderEpochCache, LogParams};
use korasim_core::broker::replication::{FollowerFetchState, FollowerRequest};

use crate::support::{one_batch_per_segment, open_log, records, run, MemoryDisk};
use korasim_core::broker::log::ProducerInfo;
use std::sync::Arc;

fn entry(leader_epoch: u64, start_offset: u64) -> EpochEntry {
    EpochEntry {
        leader_epoch,
        start_offset,
    }
}

fn answer(leader_epoch: u64, end_offset: u64) -> Option<EpochEndOffset> {
    Some(EpochEndOffset {
        leader_epoch,
        end_offset,
    })
}

/// A cache built by Kafka's `cache.assign(epoch, offset)` calls, in order.
fn assigned(assignments: &[(u64, u64)]) -> LeaderEpochCache {
    let mut cache = LeaderEpochCache::new();
    for &(leader_epoch, start_offset) in assignments {
        cache.assign(leader_epoch, start_offset);
    }
    cache
}

fn entries(assignments: &[(u64, u64)]) -> Vec<EpochEntry> {
    assignments
        .iter()
        .map(|&(leader_epoch, start_offset)| entry(leader_epoch, start_offset))
        .collect()
}

/// The entry before `leader_epoch`'s (Kafka's `previousEntry`), read off the entries.
fn previous_entry(cache: &LeaderEpochCache, leader_epoch: u64) -> Option<EpochEntry> {
    cache
        .entries()
        .into_iter()
        .rev()
        .find(|entry| entry.leader_epoch < leader_epoch)
}

/// The first epoch after `leader_epoch` (Kafka's `nextEpoch`), read off the entries.
fn next_epoch(cache: &LeaderEpochCache, leader_epoch: Option<u64>) -> Option<u64> {
    cache
        .entries()
        .into_iter()
        .map(|entry| entry.leader_epoch)
        .find(|&epoch| leader_epoch.is_none_or(|after| epoch > after))
}

/// The three epochs most of Kafka's truncation cases start from.
fn three_epochs() -> LeaderEpochCache {
    assigned(&[(2, 6), (3, 8), (4, 11)])
}

/// `LeaderEpochFileCacheTest.testPreviousEpoch`
#[test]
fn test_previous_epoch() {
    let mut cache = LeaderEpochCache::new();
    let previous_epoch =
        |cache: &LeaderEpochCache| previous_entry(cache, cache.latest_epoch()?).map(|e| e.leader_epoch);
    assert_eq!(previous_epoch(&cache), None);
    cache.assign(2, 10);
    assert_eq!(previous_epoch(&cache), None);
    cache.assign(4, 15);
    assert_eq!(previous_epoch(&cache), Some(2));
    cache.assign(10, 20);
    assert_eq!(previous_epoch(&cache), Some(4));
    cache.truncate_from_end(18);
    assert_eq!(previous_epoch(&cache), Some(2));
}

/// `LeaderEpochFileCacheTest.shouldAddEpochAndMessageOffsetToCache`
#[test]
fn should_add_epoch_and_message_offset_to_cache() {
    let cache = assigned(&[(2, 10)]);
    assert_eq!(cache.latest_epoch(), Some(2));
    assert_eq!(cache.entries(), entries(&[(2, 10)]));
    assert_eq!(cache.end_offset_for_epoch(2, 11), answer(2, 11));
}

/// `LeaderEpochFileCacheTest.shouldReturnLogEndOffsetIfLatestEpochRequested`
#[test]
fn should_return_log_end_offset_if_latest_epoch_requested() {
    let cache = assigned(&[(2, 11), (2, 12)]);
    assert_eq!(cache.end_offset_for_epoch(2, 14), answer(2, 14));
}

/// `LeaderEpochFileCacheTest.shouldReturnUndefinedOffsetIfUndefinedEpochRequested`.
///
/// Deliberate difference: a Kafka follower with no epoch (a bootstrapping one) may ask with
/// `UNDEFINED_EPOCH` and is answered undefined. Ours never asks: a log without epochs holds
/// no batch that could diverge, so the follower fetches from its log end straight away.
#[test]
fn should_return_undefined_offset_if_undefined_epoch_requested() {
    let follower = FollowerFetchState::new(1, 3, 0, &LeaderEpochCache::new());
    assert_eq!(
        follower.next_request(),
        Some(FollowerRequest::Fetch {
            current_leader_epoch: 3,
            fetch_offset: 0
        })
    );
}

/// `LeaderEpochFileCacheTest.shouldNotOverwriteLogEndOffsetForALeaderEpochOnceItHasBeenAssigned`
#[test]
fn should_not_overwrite_log_end_offset_for_a_leader_epoch_once_it_has_been_assigned() {
    let mut cache = assigned(&[(2, 9)]);
    assert!(!cache.assign(2, 10));
    assert_eq!(cache.entries(), entries(&[(2, 9)]));
}

/// `LeaderEpochFileCacheTest.shouldEnforceMonotonicallyIncreasingStartOffsets`
#[test]
fn should_enforce_monotonically_increasing_start_offsets() {
    let cache = assigned(&[(2, 9), (3, 9)]);
    assert_eq!(cache.entries(), entries(&[(3, 9)]));
}

/// `LeaderEpochFileCacheTest.shouldNotOverwriteOffsetForALeaderEpochOnceItHasBeenAssigned`
#[test]
fn should_not_overwrite_offset_for_a_leader_epoch_once_it_has_been_assigned() {
    let cache = assigned(&[(2, 6), (2, 10)]);
    assert_eq!(cache.entries()[0].start_offset, 6);
}

/// `LeaderEpochFileCacheTest.shouldReturnUnsupportedIfNoEpochRecorded`
#[test]
fn should_return_unsupported_if_no_epoch_recorded() {
    assert_eq!(LeaderEpochCache::new().end_offset_for_epoch(0, 0), None);
}

/// `LeaderEpochFileCacheTest.shouldReturnUnsupportedIfNoEpochRecordedAndUndefinedEpochRequested`
/// (with the smallest epoch we can ask for in place of `UNDEFINED_EPOCH`).
#[test]
fn should_return_unsupported_if_no_epoch_recorded_and_undefined_epoch_requested() {
    assert_eq!(LeaderEpochCache::new().end_offset_for_epoch(0, 73), None);
}

/// `LeaderEpochFileCacheTest.shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch`
#[test]
fn should_return_first_epoch_if_requested_epoch_less_than_first_epoch() {
    let cache = assigned(&[(5, 11), (6, 12), (7, 13)]);
    assert_eq!(cache.end_offset_for_epoch(4, 0), answer(4, 11));
}

/// `LeaderEpochFileCacheTest.shouldTruncateIfMatchingEpochButEarlierStartingOffset`
#[test]
fn should_truncate_if_matching_epoch_but_earlier_starting_offset() {
    let mut cache = assigned(&[(5, 11), (6, 12), (7, 13)]);
    cache.assign(7, 12);
    assert_eq!(cache.end_offset_for_epoch(5, 0), answer(5, 12));
    assert_eq!(cache.end_offset_for_epoch(6, 0), answer(5, 12));
}

/// `LeaderEpochFileCacheTest.shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch`
#[test]
fn should_get_first_offset_of_subsequent_epoch_when_offset_requested_for_previous_epoch() {
    let cache = assigned(&[(1, 11), (1, 12), (2, 13), (2, 14), (3, 15), (3, 16)]);
    assert_eq!(cache.end_offset_for_epoch(2, 17), answer(2, 15));
}

/// `LeaderEpochFileCacheTest.shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested`
#[test]
fn should_return_next_available_epoch_if_there_is_no_exact_epoch_for_the_one_requested() {
    let cache = assigned(&[(0, 10), (2, 13), (4, 17)]);
    assert_eq!(cache.end_offset_for_epoch(1, 0), answer(0, 13));
    assert_eq!(cache.end_offset_for_epoch(2, 0), answer(2, 17));
    assert_eq!(cache.end_offset_for_epoch(3, 0), answer(2, 17));
}

/// `LeaderEpochFileCacheTest.shouldNotUpdateEpochAndStartOffsetIfItDidNotChange`
#[test]
fn should_not_update_epoch_and_start_offset_if_it_did_not_change() {
    let cache = assigned(&[(2, 6), (2, 7)]);
    assert_eq!(cache.entries(), entries(&[(2, 6)]));
}

/// `LeaderEpochFileCacheTest.shouldReturnInvalidOffsetIfEpochIsRequestedWhichIsNotCurrentlyTracked`
#[test]
fn should_return_invalid_offset_if_epoch_is_requested_which_is_not_currently_tracked() {
    let cache = assigned(&[(2, 100)]);
    assert_eq!(cache.end_offset_for_epoch(3, 100), None);
}

/// `LeaderEpochFileCacheTest.shouldSupportEpochsThatDoNotStartFromZero`
#[test]
fn should_support_epochs_that_do_not_start_from_zero() {
    let cache = assigned(&[(2, 6)]);
    assert_eq!(cache.end_offset_for_epoch(2, 7), answer(2, 7));
    assert_eq!(cache.entries(), entries(&[(2, 6)]));
}

/// `LeaderEpochFileCacheTest.shouldPersistEpochsBetweenInstances`, through the log that owns
/// the checkpoint. An epoch needs a batch to survive a reopen: open drops entries at or
/// past the log end, as Kafka's log loading does (`truncateFromEnd(logEndOffset)`).
#[test]
fn should_persist_epochs_between_instances() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, LogParams::default()).await;
        log.truncate_fully_and_start_at(6).await.unwrap();
        log.append_as_leader(records(1, "a"), 2, ProducerInfo::NONE, 0)
            .await
            .unwrap();
        drop(log);
        let reopened = open_log(&disk, LogParams::default()).await;
        assert_eq!(reopened.leader_epoch_cache().entries(), entries(&[(2, 6)]));
    });
}

/// `LeaderEpochFileCacheTest.shouldEnforceMonotonicallyIncreasingEpochs`
#[test]
fn should_enforce_monotonically_increasing_epochs() {
    let mut cache = assigned(&[(1, 5), (2, 6)]);
    cache.assign(1, 7);
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for_epoch(1, 8), answer(1, 8));
    assert_eq!(cache.end_offset_for_epoch(2, 8), None);
    assert_eq!(cache.entries()[0], entry(1, 7));
}

/// `LeaderEpochFileCacheTest.shouldEnforceOffsetsIncreaseMonotonically`
#[test]
fn should_enforce_offsets_increase_monotonically() {
    let cache = assigned(&[(2, 6), (3, 5)]);
    assert_eq!(cache.entries()[0], entry(3, 5));
}

/// `LeaderEpochFileCacheTest.shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes`
#[test]
fn should_increase_and_track_epochs_as_leaders_change_many_times() {
    let mut cache = assigned(&[(0, 0), (1, 0)]);
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for_epoch(1, 0), answer(1, 0));
    assert_eq!(cache.end_offset_for_epoch(0, 0), answer(0, 0));
    assert_eq!(cache.end_offset_for_epoch(1, 5), answer(1, 5));
    assert_eq!(cache.end_offset_for_epoch(0, 5), answer(0, 0));
    cache.assign(2, 5);
    assert_eq!(cache.end_offset_for_epoch(2, 10), answer(2, 10));
    assert_eq!(cache.end_offset_for_epoch(1, 10), answer(1, 5));
    assert_eq!(cache.end_offset_for_epoch(0, 10), answer(0, 0));
}

/// `LeaderEpochFileCacheTest.shouldIncreaseAndTrackEpochsAsFollowerReceivesManyMessages`
#[test]
fn should_increase_and_track_epochs_as_follower_receives_many_messages() {
    let mut cache = assigned(&[(0, 0), (0, 1), (0, 2)]);
    assert_eq!(cache.latest_epoch(), Some(0));
    assert_eq!(cache.end_offset_for_epoch(0, 3), answer(0, 3));
    for offset in 3..6 {
        cache.assign(1, offset);
    }
    assert_eq!(cache.latest_epoch(), Some(1));
    assert_eq!(cache.end_offset_for_epoch(1, 6), answer(1, 6));
    for offset in 6..9 {
        cache.assign(2, offset);
    }
    assert_eq!(cache.latest_epoch(), Some(2));
    assert_eq!(cache.end_offset_for_epoch(2, 9), answer(2, 9));
    assert_eq!(cache.end_offset_for_epoch(0, 9), answer(0, 3));
    assert_eq!(cache.end_offset_for_epoch(1, 9), answer(1, 6));
}

/// `LeaderEpochFileCacheTest.shouldDropEntriesOnEpochBoundaryWhenRemovingLatestEntries`
#[test]
fn should_drop_entries_on_epoch_boundary_when_removing_latest_entries() {
    let mut cache = three_epochs();
    cache.truncate_from_end(8);
    assert_eq!(cache.entries(), entries(&[(2, 6)]));
}

/// `LeaderEpochFileCacheTest.shouldPreserveResetOffsetOnClearEarliestIfOneExists`
#[test]
fn should_preserve_reset_offset_on_clear_earliest_if_one_exists() {
    let mut cache = three_epochs();
    cache.truncate_from_start(8);
    assert_eq!(cache.entries(), entries(&[(3, 8), (4, 11)]));
}

/// `LeaderEpochFileCacheTest.shouldUpdateSavedOffsetWhenOffsetToClearToIsBetweenEpochs`
#[test]
fn should_update_saved_offset_when_offset_to_clear_to_is_between_epochs() {
    let mut cache = three_epochs();
    cache.truncate_from_start(9);
    assert_eq!(cache.entries(), entries(&[(3, 9), (4, 11)]));
}

/// `LeaderEpochFileCacheTest.shouldNotClearAnythingIfOffsetToEarly`
#[test]
fn should_not_clear_anything_if_offset_to_early() {
    let mut cache = three_epochs();
    cache.truncate_from_start(1);
    assert_eq!(cache.entries(), entries(&[(2, 6), (3, 8), (4, 11)]));
}

/// `LeaderEpochFileCacheTest.shouldNotClearAnythingIfOffsetToFirstOffset`
#[test]
fn should_not_clear_anything_if_offset_to_first_offset() {
    let mut cache = three_epochs();
    cache.truncate_from_start(6);
    assert_eq!(cache.entries(), entries(&[(2, 6), (3, 8), (4, 11)]));
}

/// `LeaderEpochFileCacheTest.shouldRetainLatestEpochOnClearAllEarliest`
#[test]
fn should_retain_latest_epoch_on_clear_all_earliest() {
    let mut cache = three_epochs();
    cache.truncate_from_start(11);
    assert_eq!(cache.entries(), entries(&[(4, 11)]));
}

/// `LeaderEpochFileCacheTest.shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest2`
#[test]
fn should_update_offset_between_epoch_boundaries_on_clear_earliest_2() {
    let mut cache = assigned(&[(0, 0), (1, 7), (2, 10)]);
    cache.truncate_from_start(5);
    assert_eq!(cache.entries(), entries(&[(0, 5), (1, 7), (2, 10)]));
}

/// `LeaderEpochFileCacheTest.shouldRetainLatestEpochOnClearAllEarliestAndUpdateItsOffset`
#[test]
fn should_retain_latest_epoch_on_clear_all_earliest_and_update_its_offset() {
    let mut cache = three_epochs();
    cache.truncate_from_start(15);
    assert_eq!(cache.entries(), entries(&[(4, 15)]));
}

/// `LeaderEpochFileCacheTest.shouldDropEntriesBetweenEpochBoundaryWhenRemovingNewest`
#[test]
fn should_drop_entries_between_epoch_boundary_when_removing_newest() {
    let mut cache = three_epochs();
    cache.truncate_from_end(9);
    assert_eq!(cache.latest_epoch(), Some(3));
    assert_eq!(cache.entries(), entries(&[(2, 6), (3, 8)]));
}

/// `LeaderEpochFileCacheTest.shouldClearAllEntries`
#[test]
fn should_clear_all_entries() {
    let mut cache = three_epochs();
    cache.clear();
    assert!(cache.entries().is_empty());
}

/// `LeaderEpochFileCacheTest.shouldFetchLatestEpochOfEmptyCache` and
/// `shouldFetchEndOffsetOfEmptyCache`
#[test]
fn should_fetch_latest_epoch_and_end_offset_of_empty_cache() {
    let cache = LeaderEpochCache::new();
    assert_eq!(cache.latest_epoch(), None);
    assert_eq!(cache.end_offset_for_epoch(7, 0), None);
}

/// `LeaderEpochFileCacheTest.shouldClearEarliestOnEmptyCache` and
/// `shouldClearLatestOnEmptyCache`: no failure, nothing changes.
#[test]
fn should_clear_earliest_and_latest_on_empty_cache() {
    let mut cache = LeaderEpochCache::new();
    assert!(!cache.truncate_from_start(7));
    assert!(!cache.truncate_from_end(7));
    assert!(cache.is_empty());
}

/// `LeaderEpochFileCacheTest.testFindPreviousEntry` (and `testFindPreviousEpoch`)
#[test]
fn test_find_previous_entry() {
    let mut cache = LeaderEpochCache::new();
    assert_eq!(previous_entry(&cache, 2), None);
    cache.assign(2, 10);
    assert_eq!(previous_entry(&cache, 2), None);
    cache.assign(4, 15);
    assert_eq!(previous_entry(&cache, 4), Some(entry(2, 10)));
    cache.assign(10, 20);
    assert_eq!(previous_entry(&cache, 10), Some(entry(4, 15)));
    cache.truncate_from_end(18);
    assert_eq!(
        previous_entry(&cache, cache.latest_epoch().unwrap()),
        Some(entry(2, 10))
    );
}

/// `LeaderEpochFileCacheTest.testFindNextEpoch` (Kafka's `nextEpoch(-1)` is `None` here)
#[test]
fn test_find_next_epoch() {
    let cache = assigned(&[(0, 0), (1, 100), (2, 200)]);
    assert_eq!(next_epoch(&cache, None), Some(0));
    assert_eq!(next_epoch(&cache, Some(0)), Some(1));
    assert_eq!(next_epoch(&cache, Some(1)), Some(2));
    assert_eq!(next_epoch(&cache, Some(2)), None);
    assert_eq!(next_epoch(&cache, Some(100)), None);
}

/// `LeaderEpochFileCacheTest.testGetEpochEntry`
#[test]
fn test_get_epoch_entry() {
    let cache = assigned(&[(2, 100), (3, 500), (5, 1000)]);
    assert_eq!(cache.entries(), entries(&[(2, 100), (3, 500), (5, 1000)]));
}

/// `LeaderEpochFileCacheTest.shouldFetchEpochForGivenOffset`
#[test]
fn should_fetch_epoch_for_given_offset() {
    let cache = assigned(&[(0, 10), (1, 20), (5, 30)]);
    assert_eq!(cache.epoch_for_offset(25), Some(1));
    assert_eq!(cache.epoch_for_offset(20), Some(1));
    assert_eq!(cache.epoch_for_offset(30), Some(5));
    assert_eq!(cache.epoch_for_offset(50), Some(5));
    assert_eq!(cache.epoch_for_offset(5), None);
}

/// A log holding epoch 2 at offsets 6-7, epoch 3 at 8-10 and epoch 4 at 11, one batch per
/// segment (Kafka's `three_epochs`, written as batches).
async fn log_with_three_epochs(disk: &Arc<MemoryDisk>) -> korasim_core::broker::log::PartitionLog {
    let mut log = open_log(disk, one_batch_per_segment()).await;
    log.truncate_fully_and_start_at(6).await.unwrap();
    for (leader_epoch, count) in [(2, 2), (3, 3), (4, 1)] {
        log.append_as_leader(records(count, "e"), leader_epoch, ProducerInfo::NONE, 0)
            .await
            .unwrap();
    }
    assert_eq!(
        log.leader_epoch_cache().entries(),
        entries(&[(2, 6), (3, 8), (4, 11)])
    );
    log
}

/// `LeaderEpochFileCacheTest.shouldWriteCheckpointOnTruncation`, the end half: truncating
/// the log at 11 drops epoch 4 from the checkpoint.
#[test]
fn should_write_checkpoint_on_truncation() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = log_with_three_epochs(&disk).await;
        log.truncate_to(11).await.unwrap();
        drop(log);
        let reopened = open_log(&disk, one_batch_per_segment()).await;
        assert_eq!(
            reopened.leader_epoch_cache().entries(),
            entries(&[(2, 6), (3, 8)])
        );
    });
}

/// `LeaderEpochFileCacheTest.shouldWriteCheckpointOnTruncation`, the start half.
///
/// Deliberate difference: Kafka's local retention calls `truncateFromStart`, so the
/// checkpoint loses epoch 2. Our retention keeps the whole epoch history, as Kafka does
/// under tiered storage (KIP-405): the deleted segments live on in the remote tier, and a
/// new leader must still say where each older epoch ended. (The cache's own
/// `truncate_from_start` conforms; see the `clear_earliest` cases above.)
#[test]
fn retention_keeps_the_epoch_history_in_the_checkpoint() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = log_with_three_epochs(&disk).await;
        log.truncate_to(11).await.unwrap();
        assert_eq!(log.delete_segments_before(8).await.unwrap(), 8);
        drop(log);
        let reopened = open_log(&disk, one_batch_per_segment()).await;
        assert_eq!(reopened.log_start_offset(), 8);
        assert_eq!(
            reopened.leader_epoch_cache().entries(),
            entries(&[(2, 6), (3, 8)])
        );
    });
}
