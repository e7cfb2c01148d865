//! The high-watermark and ISR cases of Kafka's `ReplicaTest` and `PartitionTest`
//! (core/src/test/scala/unit/kafka/cluster), on [`LeaderState`].
//!
//! Kafka's `Partition` appends, fetches and proposes ISR changes in one object; ours keeps
//! the decisions pure in `LeaderState` and leaves the I/O to the replica manager. A Kafka
//! `fetchFollower` is here [`fetch`]: record the fetch, then move the high watermark. Kafka
//! proposes an expansion from inside the fetch; we propose from a periodic check
//! ([`LeaderState::proposed_isr`]). Kafka's `isCaughtUp` is what
//! [`LeaderState::followers_to_remove`] decides for an ISR member. Kafka's "maximal ISR"
//! while an AlterPartition is in flight is our committed ISR plus the pending proposal.
//! Broker epochs, the ZooKeeper mode and partition listeners have no counterpart.

use std::collections::BTreeSet;
use std::time::Duration;

use korasim_core::broker::replication::{FetchError, IsrChangeError, LeaderState, ReplicationParams};

type BrokerId = u32;

const LEADER: BrokerId = 0;
const FOLLOWER_1: BrokerId = 1;
const FOLLOWER_2: BrokerId = 2;
const FOLLOWER_3: BrokerId = 3;

/// Kafka's `replica.lag.time.max.ms` default.
const REPLICA_LAG_MAX: Duration = Duration::from_secs(30);

fn ms(milliseconds: u64) -> Duration {
    Duration::from_millis(milliseconds)
}

fn no_one_ineligible() -> BTreeSet<BrokerId> {
    BTreeSet::new()
}

/// Kafka's `makeLeader` on a fresh partition (or one this broker did not lead just
/// before): leader `LEADER` of `leader_epoch` with its log ending at `log_end_offset`.
/// `min.insync.replicas` is 1, Kafka's default, unless a case says otherwise.
fn make_leader(
    leader_epoch: u64,
    replicas: &[BrokerId],
    isr: &[BrokerId],
    log_end_offset: u64,
    now: Duration,
) -> LeaderState {
    make_leader_with_min_isr(leader_epoch, replicas, isr, log_end_offset, now, 1)
}

fn make_leader_with_min_isr(
    leader_epoch: u64,
    replicas: &[BrokerId],
    isr: &[BrokerId],
    log_end_offset: u64,
    now: Duration,
    min_insync_replicas: usize,
) -> LeaderState {
    let params = ReplicationParams {
        replica_lag_max: REPLICA_LAG_MAX,
        min_insync_replicas,
    };
    LeaderState::new(
        LEADER,
        leader_epoch,
        1,
        replicas.to_vec(),
        isr.to_vec(),
        log_end_offset,
        now,
        params,
    )
}

/// Moves the high watermark as Kafka's `maybeIncrementLeaderHW` would at `now`, with the
/// leader's log ending at `log_end_offset`.
fn advance_at(leader: &mut LeaderState, log_end_offset: u64, now: Duration) -> Option<u64> {
    leader.maybe_advance_high_watermark(log_end_offset, now, &no_one_ineligible())
}

/// Kafka's `fetchFollower`: the follower fetches from `fetch_offset` at `now`, against the
/// leader's current log end, and the high watermark moves if it can.
fn fetch(leader: &mut LeaderState, follower: BrokerId, fetch_offset: u64, now: Duration) {
    let leader_log_end_offset = leader.leader_log_end_offset();
    leader
        .record_follower_fetch(follower, fetch_offset, leader_log_end_offset, now)
        .unwrap();
    advance_at(leader, leader_log_end_offset, now);
}

/// The leader appends `count` records at `now` (Kafka's `seedLogData` /
/// `appendRecordsToLeader`).
fn append(leader: &mut LeaderState, count: u64, now: Duration) {
    let log_end_offset = leader.leader_log_end_offset() + count;
    advance_at(leader, log_end_offset, now);
}

/// Kafka's `isCaughtUp` for an ISR member: the leader would not remove it at `now`.
fn is_caught_up(leader: &LeaderState, follower: BrokerId, now: Duration) -> bool {
    !leader.followers_to_remove(now).contains(&follower)
}

/// The ISR the leader would propose at `now`, `None` when it would keep the committed one.
fn proposal(leader: &LeaderState, now: Duration) -> Option<Vec<BrokerId>> {
    leader.proposed_isr(now, &no_one_ineligible())
}

/// What the leader knows about `follower`: (log end, last caught up, last fetch time,
/// leader's log end at that fetch).
type Known = (Option<u64>, Option<Duration>, Option<Duration>, Option<u64>);

fn known(leader: &LeaderState, follower: BrokerId) -> Known {
    let state = leader.follower(follower).unwrap();
    (
        state.log_end_offset,
        state.last_caught_up_time,
        state.last_fetch_time,
        state.last_fetch_leader_log_end_offset,
    )
}

// ---- ReplicaTest ----

/// `ReplicaTest.testInitialState`: nothing is known of a follower outside the ISR.
#[test]
fn test_initial_state() {
    let leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 0, ms(0));
    assert_eq!(known(&leader, FOLLOWER_1), (None, None, None, None));
}

/// `ReplicaTest.testUpdateFetchState`
#[test]
fn test_update_fetch_state() {
    let mut leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 10, ms(0));
    let first = ms(1_000);
    leader.record_follower_fetch(FOLLOWER_1, 5, 10, first).unwrap();
    assert_eq!(known(&leader, FOLLOWER_1), (Some(5), None, Some(first), Some(10)));
    let second = ms(2_000);
    leader.record_follower_fetch(FOLLOWER_1, 10, 15, second).unwrap();
    assert_eq!(
        known(&leader, FOLLOWER_1),
        (Some(10), Some(first), Some(second), Some(15))
    );
    let third = ms(3_000);
    leader.record_follower_fetch(FOLLOWER_1, 15, 15, third).unwrap();
    assert_eq!(
        known(&leader, FOLLOWER_1),
        (Some(15), Some(third), Some(third), Some(15))
    );
}

/// Leader 0 of epoch 5, follower 1 fetched up to the leader's log end 10 at 1 s; the leader
/// appended one record (log end 11) and is re-elected in epoch 6 at 5 s with `isr`, without
/// having stopped leading.
fn reelected_with(isr: &[BrokerId]) -> LeaderState {
    let replicas = [LEADER, FOLLOWER_1];
    let mut epoch_5 = make_leader(5, &replicas, &replicas, 10, ms(0));
    fetch(&mut epoch_5, FOLLOWER_1, 10, ms(1_000));
    append(&mut epoch_5, 1, ms(2_000));
    make_leader(6, &replicas, isr, 11, ms(5_000))
        .with_high_watermark(epoch_5.high_watermark())
        .with_follower_progress_of(&epoch_5, ms(5_000))
}

/// `ReplicaTest.testResetReplicaStateWhenLeaderIsReelectedAndReplicaIsInSync`: the
/// follower's log end is kept; it counts as caught up and as having fetched at the
/// re-election, against the leader's log end then.
#[test]
fn test_reset_replica_state_when_leader_is_reelected_and_replica_is_in_sync() {
    let leader = reelected_with(&[LEADER, FOLLOWER_1]);
    let now = ms(5_000);
    assert_eq!(
        known(&leader, FOLLOWER_1),
        (Some(10), Some(now), Some(now), Some(11))
    );
}

/// `ReplicaTest.testResetReplicaStateWhenLeaderIsReelectedAndReplicaIsNotInSync`: the log
/// end is kept, but the follower is neither caught up nor taken to have fetched.
#[test]
fn test_reset_replica_state_when_leader_is_reelected_and_replica_is_not_in_sync() {
    let leader = reelected_with(&[LEADER]);
    assert_eq!(known(&leader, FOLLOWER_1), (Some(10), None, None, Some(11)));
    assert_eq!(
        proposal(&leader, ms(5_000)),
        None,
        "it may rejoin only after a fetch in the new epoch"
    );
}

/// `ReplicaTest.testResetReplicaStateWhenNewLeaderIsElectedAndReplicaIsInSync`: a broker
/// that was not leading knows nothing of the follower but counts it as caught up.
#[test]
fn test_reset_replica_state_when_new_leader_is_elected_and_replica_is_in_sync() {
    let replicas = [LEADER, FOLLOWER_1];
    let leader = make_leader(6, &replicas, &replicas, 11, ms(5_000));
    assert_eq!(known(&leader, FOLLOWER_1), (None, Some(ms(5_000)), None, None));
}

/// `ReplicaTest.testResetReplicaStateWhenNewLeaderIsElectedAndReplicaIsNotInSync`
#[test]
fn test_reset_replica_state_when_new_leader_is_elected_and_replica_is_not_in_sync() {
    let leader = make_leader(6, &[LEADER, FOLLOWER_1], &[LEADER], 11, ms(5_000));
    assert_eq!(known(&leader, FOLLOWER_1), (None, None, None, None));
}

/// `ReplicaTest.testResetReplicaStateWhenLeaderIsReelectedAndReplicaIsInSync`, through the
/// consequence the case exists for: the re-elected leader's high watermark
/// moves with the follower log ends it already knows. Follower 1 reached 10 and follower
/// 2 only 7 before the re-election; when follower 2 reaches 10 in the new epoch, the high
/// watermark moves to 10 at once, without waiting for follower 1 to fetch again.
#[test]
fn a_reelected_leader_moves_the_high_watermark_with_the_log_ends_it_knows() {
    let replicas = [LEADER, FOLLOWER_1, FOLLOWER_2];
    let mut epoch_5 = make_leader(5, &replicas, &replicas, 10, ms(0));
    fetch(&mut epoch_5, FOLLOWER_1, 10, ms(1_000));
    fetch(&mut epoch_5, FOLLOWER_2, 7, ms(1_000));
    assert_eq!(epoch_5.high_watermark(), 7);
    let mut epoch_6 = make_leader(6, &replicas, &replicas, 10, ms(2_000))
        .with_high_watermark(epoch_5.high_watermark())
        .with_follower_progress_of(&epoch_5, ms(2_000));
    fetch(&mut epoch_6, FOLLOWER_2, 10, ms(3_000));
    assert_eq!(epoch_6.high_watermark(), 10);
}

/// `ReplicaTest.testIsCaughtUpWhenReplicaIsCaughtUpToLogEnd`
#[test]
fn test_is_caught_up_when_replica_is_caught_up_to_log_end() {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 10, ms(0));
    let later = REPLICA_LAG_MAX + ms(1);
    assert!(!is_caught_up(&leader, FOLLOWER_1, later));
    fetch(&mut leader, FOLLOWER_1, 10, later);
    assert!(is_caught_up(&leader, FOLLOWER_1, later));
    assert!(
        is_caught_up(&leader, FOLLOWER_1, later + REPLICA_LAG_MAX + ms(1)),
        "at the leader's log end it stays caught up"
    );
}

/// `ReplicaTest.testIsCaughtUpWhenReplicaIsNotCaughtUpToLogEnd`
#[test]
fn test_is_caught_up_when_replica_is_not_caught_up_to_log_end() {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 10, ms(0));
    let first = REPLICA_LAG_MAX + ms(1);
    assert!(!is_caught_up(&leader, FOLLOWER_1, first));
    fetch(&mut leader, FOLLOWER_1, 5, first);
    assert!(!is_caught_up(&leader, FOLLOWER_1, first));
    let second = first + ms(1);
    leader.record_follower_fetch(FOLLOWER_1, 10, 15, second).unwrap();
    append(&mut leader, 1, second);
    assert_eq!(leader.leader_log_end_offset(), 16);
    assert!(is_caught_up(&leader, FOLLOWER_1, second));
    assert!(!is_caught_up(
        &leader,
        FOLLOWER_1,
        first + REPLICA_LAG_MAX + ms(1)
    ));
}

// ---- PartitionTest ----

/// `PartitionTest.testFollowerDoesNotJoinISRUntilCaughtUpToOffsetWithinCurrentLeaderEpoch`
#[test]
fn test_follower_does_not_join_isr_until_caught_up_to_offset_within_current_leader_epoch() {
    let replicas = [LEADER, FOLLOWER_1, FOLLOWER_2];
    let isr = [LEADER, FOLLOWER_2];
    let mut epoch_8 = make_leader(8, &replicas, &isr, 0, ms(0));
    append(&mut epoch_8, 2, ms(0));
    let last_offset_of_first_batch = 1;
    append(&mut epoch_8, 3, ms(0));
    assert_eq!(epoch_8.high_watermark(), 0);
    fetch(&mut epoch_8, FOLLOWER_2, 0, ms(1));
    fetch(&mut epoch_8, FOLLOWER_2, last_offset_of_first_batch, ms(2));
    assert_eq!(epoch_8.high_watermark(), last_offset_of_first_batch);

    // Follower in epoch 9, leader again in epoch 10: a new leader, which starts afresh.
    let epoch_start_offset = epoch_8.leader_log_end_offset();
    let mut epoch_10 = make_leader(10, &replicas, &isr, epoch_start_offset, ms(10))
        .with_high_watermark(epoch_8.high_watermark());
    append(&mut epoch_10, 2, ms(10));
    fetch(&mut epoch_10, FOLLOWER_1, 0, ms(11));
    fetch(&mut epoch_10, FOLLOWER_1, last_offset_of_first_batch, ms(12));
    assert_eq!(proposal(&epoch_10, ms(12)), None);
    fetch(&mut epoch_10, FOLLOWER_1, epoch_start_offset, ms(13));
    let expanded = proposal(&epoch_10, ms(13)).unwrap();
    assert_eq!(expanded, vec![LEADER, FOLLOWER_1, FOLLOWER_2]);
    epoch_10.begin_isr_change(expanded).unwrap();
    assert_eq!(epoch_10.isr(), isr, "the expansion waits for the controller");
}

/// `PartitionTest.testIsUnderMinIsr`
#[test]
fn test_is_under_min_isr() {
    let replicas = [LEADER, FOLLOWER_1];
    let leader = make_leader_with_min_isr(0, &replicas, &replicas, 0, ms(0), 2);
    assert!(!leader.is_under_min_isr());
    let reelected = make_leader_with_min_isr(1, &replicas, &[LEADER], 0, ms(0), 2);
    assert!(reelected.is_under_min_isr());
}

/// `PartitionTest.testUpdateFollowerFetchState`
#[test]
fn test_update_follower_fetch_state() {
    let replicas = [LEADER, FOLLOWER_1];
    let initialized = ms(0);
    let mut leader = make_leader(5, &replicas, &replicas, 6, initialized);
    let state = |leader: &LeaderState| {
        let (log_end_offset, last_caught_up_time, _, _) = known(leader, FOLLOWER_1);
        (log_end_offset, last_caught_up_time)
    };
    assert_eq!(state(&leader), (None, Some(initialized)));
    fetch(&mut leader, FOLLOWER_1, 3, ms(500));
    assert_eq!(state(&leader), (Some(3), Some(initialized)));
    fetch(&mut leader, FOLLOWER_1, 6, ms(1_000));
    assert_eq!(state(&leader), (Some(6), Some(ms(1_000))));
}

/// `PartitionTest.testIsrExpansion`
#[test]
fn test_isr_expansion() {
    let mut leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 10, ms(0));
    assert_eq!(leader.isr(), vec![LEADER]);
    assert_eq!(known(&leader, FOLLOWER_1).0, None);
    fetch(&mut leader, FOLLOWER_1, 3, ms(1));
    assert_eq!(proposal(&leader, ms(1)), None);
    assert_eq!(known(&leader, FOLLOWER_1).1, None, "not caught up");
    fetch(&mut leader, FOLLOWER_1, 10, ms(2));
    let expanded = proposal(&leader, ms(2)).unwrap();
    assert_eq!(expanded, vec![LEADER, FOLLOWER_1]);
    leader.begin_isr_change(expanded).unwrap();
    assert_eq!(leader.isr(), vec![LEADER]);
    assert_eq!(known(&leader, FOLLOWER_1).1, Some(ms(2)));
    assert!(leader.apply_partition_state(vec![LEADER, FOLLOWER_1], 2));
    assert_eq!(leader.isr(), vec![LEADER, FOLLOWER_1]);
}

/// `PartitionTest.testIsrNotExpandedIfUpdateFails`. Kafka does not retry a proposal the
/// controller rejected as stale; ours forgets it and proposes again at the next check, by
/// which time the metadata may have brought the newer partition epoch.
#[test]
fn test_isr_not_expanded_if_update_fails() {
    let mut leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 10, ms(0));
    fetch(&mut leader, FOLLOWER_1, 10, ms(1));
    leader
        .begin_isr_change(proposal(&leader, ms(1)).unwrap())
        .unwrap();
    assert_eq!(leader.isr(), vec![LEADER]);
    leader.abort_isr_change();
    assert_eq!(leader.isr(), vec![LEADER]);
    assert_eq!(leader.pending_isr_change(), None);
}

/// `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower`: follower 1
/// caught up with the leader's log end 10, then the leader appended 10 records and the
/// controller shrank the ISR to the leader alone. A fenced follower, or one shutting down,
/// may not rejoin, and the high watermark moves on without it (to 20); an unfenced one is
/// caught up and may rejoin, and the high watermark waits for it (at 10).
fn high_watermark_after_the_shrink(follower_ineligible: bool) -> u64 {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 10, ms(0));
    fetch(&mut leader, FOLLOWER_1, 10, ms(1));
    assert_eq!(known(&leader, FOLLOWER_1).1, Some(ms(1)));
    assert_eq!(leader.high_watermark(), 10);
    let ineligible = if follower_ineligible {
        BTreeSet::from([FOLLOWER_1])
    } else {
        no_one_ineligible()
    };
    leader.maybe_advance_high_watermark(20, ms(2), &ineligible);
    assert!(leader.apply_partition_state(vec![LEADER], 2));
    assert_eq!(leader.isr(), vec![LEADER]);
    assert!(leader.followers_to_remove(ms(2)).is_empty());
    leader.maybe_advance_high_watermark(20, ms(2), &ineligible);
    leader.high_watermark()
}

/// `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower("fenced")` and
/// `("shutdown")`: both are "kept out of the ISR" here.
#[test]
fn test_high_watermark_increases_with_fenced_or_shutdown_follower() {
    assert_eq!(high_watermark_after_the_shrink(true), 20);
}

/// `PartitionTest.testHighWatermarkIncreasesWithFencedOrShutdownFollower("unfenced")`
#[test]
fn test_high_watermark_holds_for_an_unfenced_caught_up_follower() {
    assert_eq!(high_watermark_after_the_shrink(false), 10);
}

/// `PartitionTest.testIsrNotExpandedIfReplicaIsFencedOrShutdown`: a follower the controller
/// has fenced (or that is shutting down) does not join, however caught up; once it may
/// again, it does.
#[test]
fn test_isr_not_expanded_if_replica_is_fenced_or_shutdown() {
    let mut leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 10, ms(0));
    fetch(&mut leader, FOLLOWER_1, 10, ms(1));
    let fenced = BTreeSet::from([FOLLOWER_1]);
    assert_eq!(leader.proposed_isr(ms(1), &fenced), None);
    assert_eq!(
        leader.proposed_isr(ms(1), &no_one_ineligible()),
        Some(vec![LEADER, FOLLOWER_1])
    );
}

/// `PartitionTest.testMaybeShrinkIsr`
#[test]
fn test_maybe_shrink_isr() {
    let replicas = [LEADER, FOLLOWER_1, FOLLOWER_2];
    let initialized = ms(0);
    let mut leader = make_leader(5, &replicas, &replicas, 10, initialized);
    assert_eq!(leader.high_watermark(), 0);
    fetch(&mut leader, FOLLOWER_1, 10, initialized);
    assert_eq!(known(&leader, FOLLOWER_2).1, Some(initialized));
    assert_eq!(
        proposal(&leader, initialized),
        None,
        "caught up on initialization"
    );
    let later = initialized + REPLICA_LAG_MAX + ms(1);
    let shrunk = proposal(&leader, later).unwrap();
    assert_eq!(shrunk, vec![LEADER, FOLLOWER_1]);
    leader.begin_isr_change(shrunk.clone()).unwrap();
    assert_eq!(leader.isr(), replicas);
    assert_eq!(leader.high_watermark(), 0);
    assert!(leader.apply_partition_state(shrunk, 2));
    advance_at(&mut leader, 10, later);
    assert_eq!(leader.high_watermark(), 10);
}

/// `PartitionTest.testRetryShrinkIsr`: a failed shrink leaves the ISR and the high
/// watermark alone; the retried one moves both.
#[test]
fn test_retry_shrink_isr() {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 10, ms(0));
    let later = REPLICA_LAG_MAX + ms(1);
    let shrunk = proposal(&leader, later).unwrap();
    assert_eq!(shrunk, vec![LEADER]);
    leader.begin_isr_change(shrunk).unwrap();
    leader.abort_isr_change();
    assert_eq!(leader.isr(), replicas);
    assert_eq!(advance_at(&mut leader, 10, later), None);
    assert_eq!(leader.high_watermark(), 0);
    let retried = proposal(&leader, later).unwrap();
    leader.begin_isr_change(retried.clone()).unwrap();
    assert!(leader.apply_partition_state(retried, 2));
    assert_eq!(leader.partition_epoch(), 2);
    assert_eq!(leader.isr(), vec![LEADER]);
    advance_at(&mut leader, 10, later);
    assert_eq!(leader.high_watermark(), 10);
}

/// `PartitionTest.testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR`
#[test]
fn test_high_watermark_advance_should_not_advance_when_under_min_isr() {
    let replicas = [LEADER, FOLLOWER_1, FOLLOWER_2];
    let mut leader = make_leader_with_min_isr(5, &replicas, &[LEADER, FOLLOWER_1], 10, ms(0), 3);
    assert!(leader.is_under_min_isr());
    fetch(&mut leader, FOLLOWER_1, 10, ms(1));
    assert_eq!(leader.high_watermark(), 0);
    fetch(&mut leader, FOLLOWER_2, 10, ms(2));
    assert_eq!(leader.high_watermark(), 0);
    let expanded = proposal(&leader, ms(2)).unwrap();
    assert_eq!(expanded.len(), 3);
    leader.begin_isr_change(expanded.clone()).unwrap();
    assert!(leader.apply_partition_state(expanded, 2));
    assert!(!leader.is_under_min_isr());
    advance_at(&mut leader, 10, ms(3));
    assert_eq!(leader.high_watermark(), 10);
}

/// `PartitionTest.testShouldNotShrinkIsrIfPreviousFetchIsCaughtUp`, with a 10 s lag limit
/// so that, as the case intends, more than the limit passes between the leader's start and
/// the last fetch.
#[test]
fn test_should_not_shrink_isr_if_previous_fetch_is_caught_up() {
    let replicas = [LEADER, FOLLOWER_1];
    let params = ReplicationParams {
        replica_lag_max: ms(10_000),
        min_insync_replicas: 1,
    };
    let initialized = ms(0);
    let mut leader = LeaderState::new(
        LEADER,
        5,
        1,
        replicas.to_vec(),
        replicas.to_vec(),
        10,
        initialized,
        params,
    );
    let first_fetch = ms(5_000);
    fetch(&mut leader, FOLLOWER_1, 5, first_fetch);
    assert_eq!(known(&leader, FOLLOWER_1).1, Some(initialized));
    assert_eq!(leader.high_watermark(), 5);
    let second_fetch = ms(10_001);
    append(&mut leader, 5, second_fetch);
    fetch(&mut leader, FOLLOWER_1, 10, second_fetch);
    assert_eq!(known(&leader, FOLLOWER_1).1, Some(first_fetch));
    assert_eq!(leader.high_watermark(), 10);
    assert_eq!(leader.proposed_isr(second_fetch, &no_one_ineligible()), None);
}

/// `PartitionTest.testShouldNotShrinkIsrIfFollowerCaughtUpToLogEnd`
#[test]
fn test_should_not_shrink_isr_if_follower_caught_up_to_log_end() {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 10, ms(0));
    fetch(&mut leader, FOLLOWER_1, 10, ms(1));
    assert_eq!(known(&leader, FOLLOWER_1).1, Some(ms(1)));
    assert_eq!(leader.high_watermark(), 10);
    assert_eq!(proposal(&leader, ms(1) + ms(30_001)), None);
}

/// `PartitionTest.testSingleInFlightAlterIsr`
#[test]
fn test_single_in_flight_alter_isr() {
    let replicas = [LEADER, FOLLOWER_1, FOLLOWER_2, FOLLOWER_3];
    let isr = [LEADER, FOLLOWER_1, FOLLOWER_2];
    let mut leader = make_leader(5, &replicas, &isr, 10, ms(0));
    assert_eq!(leader.high_watermark(), 0);
    fetch(&mut leader, FOLLOWER_3, 10, ms(1));
    leader
        .begin_isr_change(proposal(&leader, ms(1)).unwrap())
        .unwrap();
    assert_eq!(leader.isr(), isr);
    let later = REPLICA_LAG_MAX + ms(2);
    let shrink = proposal(&leader, later).unwrap();
    assert_eq!(leader.begin_isr_change(shrink), Err(IsrChangeError::InFlight));
}

/// `PartitionTest.testIgnoreLeaderPartitionStateChangeWithOlderPartitionEpoch`
#[test]
fn test_ignore_leader_partition_state_change_with_older_partition_epoch() {
    let replicas = [LEADER, FOLLOWER_1];
    let mut leader = make_leader(5, &replicas, &replicas, 0, ms(0));
    assert!(leader.apply_partition_state(replicas.to_vec(), 2));
    assert!(!leader.apply_partition_state(vec![LEADER], 1));
    assert_eq!((leader.isr(), leader.partition_epoch()), (replicas.to_vec(), 2));
}

/// `PartitionTest.testUseCheckpointToInitializeHighWatermark`
#[test]
fn test_use_checkpoint_to_initialize_high_watermark() {
    let replicas = [LEADER, FOLLOWER_1];
    let leader = make_leader(6, &replicas, &replicas, 6, ms(0)).with_high_watermark(4);
    assert_eq!(leader.high_watermark(), 4);
}

/// `PartitionTest.testDoNotResetReplicaStateIfLeaderEpochIsNotBumped`: a new partition
/// epoch under the same leader epoch keeps what the leader knows of its followers.
#[test]
fn test_do_not_reset_replica_state_if_leader_epoch_is_not_bumped() {
    let mut leader = make_leader(8, &[LEADER, FOLLOWER_1], &[LEADER], 0, ms(0));
    assert_eq!(known(&leader, FOLLOWER_1), (None, None, None, None));
    fetch(&mut leader, FOLLOWER_1, 0, ms(1));
    let before = known(&leader, FOLLOWER_1);
    assert_eq!((before.0, before.1), (Some(0), Some(ms(1))));
    assert!(leader.apply_partition_state(vec![LEADER], 2));
    assert_eq!((leader.leader_epoch(), leader.partition_epoch()), (8, 2));
    assert_eq!(known(&leader, FOLLOWER_1), before);
}

/// `PartitionTest.testFetchFromUnrecognizedFollower`
#[test]
fn test_fetch_from_unrecognized_follower() {
    let mut leader = make_leader(5, &[LEADER, FOLLOWER_1], &[LEADER], 10, ms(0));
    assert_eq!(
        leader.record_follower_fetch(FOLLOWER_3, 0, 10, ms(1)),
        Err(FetchError::UnknownReplica(FOLLOWER_3))
    );
}
