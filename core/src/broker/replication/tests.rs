use std::collections::BTreeSet;
use std::time::Duration;

use super::*;

const LEADER: u32 = 1;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Leader 1, followers 2 and 3, all in the ISR, leader log end 10 at t = 0.
fn state() -> LeaderState {
    LeaderState::new(
        LEADER,
        5,
        7,
        vec![1, 2, 3],
        vec![1, 2, 3],
        10,
        secs(0),
        ReplicationParams::default(),
    )
}

fn no_fenced() -> BTreeSet<u32> {
    BTreeSet::new()
}

#[test]
fn replication_hw_is_min_over_isr() {
    let mut s = state();
    s.record_follower_fetch(2, 10, 10, secs(1)).unwrap();
    // Follower 3 has not fetched yet: the HW cannot move.
    assert_eq!(s.maybe_advance_high_watermark(10, secs(1), &no_fenced()), None);
    s.record_follower_fetch(3, 6, 10, secs(1)).unwrap();
    assert_eq!(s.maybe_advance_high_watermark(10, secs(1), &no_fenced()), Some(6));
    assert_eq!(s.high_watermark(), 6);
    // The leader's own log end counts too.
    s.record_follower_fetch(3, 10, 10, secs(2)).unwrap();
    assert_eq!(
        s.maybe_advance_high_watermark(10, secs(2), &no_fenced()),
        Some(10)
    );
    s.record_follower_fetch(2, 14, 15, secs(3)).unwrap();
    s.record_follower_fetch(3, 15, 15, secs(3)).unwrap();
    assert_eq!(
        s.maybe_advance_high_watermark(15, secs(3), &no_fenced()),
        Some(14)
    );
    assert_eq!(s.maybe_advance_high_watermark(15, secs(3), &no_fenced()), None);
}

#[test]
fn replication_hw_never_decreases() {
    let mut s = state().with_high_watermark(8);
    s.record_follower_fetch(2, 5, 10, secs(1)).unwrap();
    s.record_follower_fetch(3, 10, 10, secs(1)).unwrap();
    assert_eq!(s.maybe_advance_high_watermark(10, secs(1), &no_fenced()), None);
    assert_eq!(s.high_watermark(), 8);
    s.record_follower_fetch(2, 10, 10, secs(2)).unwrap();
    assert_eq!(
        s.maybe_advance_high_watermark(10, secs(2), &no_fenced()),
        Some(10)
    );
    // A new ISR member that is behind (committed by the controller) does not pull it back.
    let mut s2 = state();
    for f in [2, 3] {
        s2.record_follower_fetch(f, 10, 10, secs(1)).unwrap();
    }
    assert_eq!(
        s2.maybe_advance_high_watermark(10, secs(1), &no_fenced()),
        Some(10)
    );
    assert!(s2.apply_partition_state(vec![1, 2], 8));
    s2.record_follower_fetch(3, 4, 10, secs(2)).unwrap();
    assert!(s2.apply_partition_state(vec![1, 2, 3], 9));
    assert_eq!(s2.maybe_advance_high_watermark(10, secs(2), &no_fenced()), None);
    assert_eq!(s2.high_watermark(), 10);
}

#[test]
fn replication_hw_frozen_below_min_isr() {
    let mut s = state();
    for f in [2, 3] {
        s.record_follower_fetch(f, 10, 10, secs(1)).unwrap();
    }
    assert_eq!(
        s.maybe_advance_high_watermark(10, secs(1), &no_fenced()),
        Some(10)
    );
    assert!(s.apply_partition_state(vec![1], 8));
    assert!(s.is_under_min_isr());
    // Leader alone at 20: the HW stays at 10.
    assert_eq!(s.maybe_advance_high_watermark(20, secs(1), &no_fenced()), None);
    assert_eq!(s.high_watermark(), 10);
    assert_eq!(s.append_can_complete(15), Completion::NotEnoughReplicas);
    assert!(s.not_enough_replicas_after_append(15));
    assert_eq!(s.append_can_complete(5), Completion::Done);
    assert_eq!(
        s.check_before_append(),
        Err(NotEnoughReplicas {
            isr_size: 1,
            min_insync_replicas: 2
        })
    );
    // Follower 2 rejoins: the HW moves again (follower 3, silent since t = 1, is no longer
    // caught up by then, so the HW does not wait for it).
    s.record_follower_fetch(2, 20, 20, secs(32)).unwrap();
    assert!(s.apply_partition_state(vec![1, 2], 9));
    assert_eq!(s.check_before_append(), Ok(()));
    assert_eq!(
        s.maybe_advance_high_watermark(20, secs(32), &no_fenced()),
        Some(20)
    );
    assert_eq!(s.append_can_complete(15), Completion::Done);
}

#[test]
fn replication_acks_all_waits_for_every_isr_member() {
    let mut s = state();
    for f in [2, 3] {
        s.record_follower_fetch(f, 10, 10, secs(1)).unwrap();
    }
    s.maybe_advance_high_watermark(10, secs(1), &no_fenced());
    assert_eq!(s.check_before_append(), Ok(()));
    // Append offsets 10..=14: leader log end 15.
    assert_eq!(s.maybe_advance_high_watermark(15, secs(1), &no_fenced()), None);
    assert_eq!(s.append_can_complete(14), Completion::Wait);
    s.record_follower_fetch(2, 15, 15, secs(2)).unwrap();
    s.maybe_advance_high_watermark(15, secs(2), &no_fenced());
    assert_eq!(s.append_can_complete(14), Completion::Wait);
    s.record_follower_fetch(3, 15, 15, secs(2)).unwrap();
    assert_eq!(
        s.maybe_advance_high_watermark(15, secs(2), &no_fenced()),
        Some(15)
    );
    assert_eq!(s.append_can_complete(14), Completion::Done);
}

#[test]
fn replication_lagging_follower_removed_slow_caught_up_one_kept() {
    let mut s = state();
    let lag = s.params().replica_lag_max;
    // Leader keeps appending; follower 2 fetches often and keeps reaching the leader's log
    // end as of its previous fetch; follower 3 stops fetching after t = 1.
    s.record_follower_fetch(3, 10, 10, secs(1)).unwrap();
    let mut end = 10;
    for t in 1..=40 {
        let fetch_offset = end; // what follower 2 had reached
        end += 5;
        s.record_follower_fetch(2, fetch_offset, end, secs(t)).unwrap();
    }
    s.maybe_advance_high_watermark(end, secs(40), &no_fenced());
    assert!(secs(40) - s.last_caught_up_time(2).unwrap() <= lag);
    assert_eq!(s.last_caught_up_time(3), Some(secs(1)));
    assert_eq!(s.followers_to_remove(secs(31)), Vec::<u32>::new());
    assert_eq!(s.followers_to_remove(secs(32)), vec![3]);
    assert_eq!(s.proposed_isr(secs(40), &no_fenced()), Some(vec![1, 2]));
}

#[test]
fn replication_caught_up_follower_readded_only_at_hw() {
    let mut s = state();
    for f in [2, 3] {
        s.record_follower_fetch(f, 10, 10, secs(1)).unwrap();
    }
    s.maybe_advance_high_watermark(10, secs(1), &no_fenced());
    assert!(s.apply_partition_state(vec![1, 2], 8));
    // Follower 3 stops fetching for longer than `replica_lag_max`: no longer caught up, the
    // HW does not wait for it (a caught-up one it would wait for; see
    // `hw_waits_for_a_caught_up_follower_outside_the_isr`).
    s.record_follower_fetch(2, 20, 20, secs(32)).unwrap();
    assert_eq!(
        s.maybe_advance_high_watermark(20, secs(32), &no_fenced()),
        Some(20)
    );
    s.record_follower_fetch(3, 19, 20, secs(33)).unwrap();
    assert_eq!(s.followers_to_add(&no_fenced()), Vec::<u32>::new());
    s.record_follower_fetch(3, 20, 20, secs(34)).unwrap();
    assert_eq!(s.followers_to_add(&no_fenced()), vec![3]);
    let change = s.begin_isr_change(vec![1, 2, 3]).unwrap();
    assert_eq!(change.proposed_isr, vec![1, 2, 3]);
    assert_eq!(s.begin_isr_change(vec![1, 2, 3]), Err(IsrChangeError::InFlight));
    // Not in the ISR for the HW until committed.
    assert_eq!(s.isr(), vec![1, 2]);
    assert!(s.apply_partition_state(vec![1, 2, 3], 9));
    assert_eq!(s.pending_isr_change(), None);
    assert_eq!(s.isr(), vec![1, 2, 3]);
}

#[test]
fn replication_fenced_follower_never_added() {
    let mut s = state();
    assert!(s.apply_partition_state(vec![1, 2], 8));
    s.record_follower_fetch(2, 10, 10, secs(1)).unwrap();
    s.record_follower_fetch(3, 10, 10, secs(1)).unwrap();
    s.maybe_advance_high_watermark(10, secs(1), &no_fenced());
    let fenced: BTreeSet<u32> = [3].into();
    assert_eq!(s.followers_to_add(&fenced), Vec::<u32>::new());
    assert_eq!(s.proposed_isr(secs(1), &fenced), None);
    assert_eq!(s.followers_to_add(&no_fenced()), vec![3]);
}

#[test]
fn replication_leader_never_removed() {
    let mut s = LeaderState::new(
        LEADER,
        5,
        7,
        vec![1, 2, 3],
        vec![1],
        10,
        secs(0),
        ReplicationParams::default(),
    );
    // Long after any lag limit, nothing but followers can be removed.
    assert_eq!(s.followers_to_remove(secs(1000)), Vec::<u32>::new());
    assert!(s.apply_partition_state(vec![1, 2, 3], 8));
    s.maybe_advance_high_watermark(30, secs(1000), &no_fenced());
    assert_eq!(s.followers_to_remove(secs(1000)), vec![2, 3]);
    assert_eq!(s.proposed_isr(secs(1000), &no_fenced()), Some(vec![1]));
    assert_eq!(s.begin_isr_change(vec![2, 3]), Err(IsrChangeError::DropsLeader));
    assert_eq!(
        s.record_follower_fetch(LEADER, 10, 10, secs(1)),
        Err(FetchError::UnknownReplica(LEADER))
    );
}

#[test]
fn replication_stale_partition_state_ignored() {
    let mut s = state();
    assert!(!s.apply_partition_state(vec![1], 7));
    assert_eq!(s.isr(), vec![1, 2, 3]);
    assert_eq!(
        s.record_follower_fetch(2, 11, 10, secs(1)),
        Err(FetchError::OffsetOutOfRange {
            fetch_offset: 11,
            leader_log_end_offset: 10
        })
    );
}

/// The liveness bug this rule fixes: with `min_insync_replicas = 1` and steady writes, a
/// follower outside the ISR that fetches every second reaches, each time, the leader's log
/// end as of its previous fetch. A HW counting only the ISR runs ahead with the leader's
/// log end, so the follower's log end never reaches it and it never rejoins. Waiting for
/// the caught-up follower lets it.
#[test]
fn hw_waits_for_a_caught_up_follower_outside_the_isr() {
    let params = ReplicationParams {
        min_insync_replicas: 1,
        ..ReplicationParams::default()
    };
    let mut s = LeaderState::new(LEADER, 5, 7, vec![1, 2], vec![1], 10, secs(0), params);
    let mut end = 10;
    s.record_follower_fetch(2, end, end, secs(0)).unwrap();
    for t in 1..=10 {
        let reached = end;
        end += 5;
        s.record_follower_fetch(2, reached, end, secs(t)).unwrap();
        s.maybe_advance_high_watermark(end, secs(t), &no_fenced());
        assert_eq!(
            s.high_watermark(),
            reached,
            "t = {t}: held at the follower's log end"
        );
    }
    assert_eq!(s.followers_to_add(&no_fenced()), vec![2]);
    // A fenced follower is not waited for.
    let fenced: BTreeSet<u32> = [2].into();
    assert_eq!(s.maybe_advance_high_watermark(end, secs(11), &fenced), Some(end));
}
