//! Tests of the `committed-prefix-agreement` checker.

use std::time::Duration;

use super::committed_prefix_agreement::{CommittedPrefixAgreement, NAME};
use super::test_support::*;
use super::{CommittedBatch, DivergenceSeen, ReplicaBatch};
use crate::checkers::test_support::run;
use crate::checkers::Violation;
use crate::trace::TraceEntry;

fn check(entries: &[TraceEntry]) -> Vec<Violation> {
    run(&mut CommittedPrefixAgreement::new(), entries)
}

fn batch((base_offset, last_offset): (u64, u64), leader_epoch: u64, checksum: u32) -> ReplicaBatch {
    ReplicaBatch {
        base_offset,
        last_offset,
        leader_epoch,
        checksum,
    }
}

/// Broker 1 leads t-0 in epoch 1 and brokers 2 and 3 follow; offsets 0..4 (one batch,
/// checksum 0xa) are copied everywhere and committed by high watermark 5 at 130 ms.
fn committed_first_batch() -> Vec<TraceEntry> {
    vec![
        opened(1, 10, "t", 0, 0, 0),
        opened(2, 10, "t", 0, 0, 0),
        opened(3, 10, "t", 0, 0, 0),
        leader_started(1, 100, "t", 0, 1, 0),
        follower_started(2, 100, "t", 0, 1, 1, 0),
        follower_started(3, 100, "t", 0, 1, 1, 0),
        appended(1, 110, "t", 0, (0, 4), 1, 0xa),
        appended(2, 120, "t", 0, (0, 4), 1, 0xa),
        appended(3, 120, "t", 0, (0, 4), 1, 0xa),
        hw(1, 130, "t", 0, 1, 5),
    ]
}

fn first_batch_committed() -> CommittedBatch {
    CommittedBatch {
        batch: batch((0, 4), 1, 0xa),
        by: 1,
        leader_epoch: 1,
        high_watermark: 5,
        at: Duration::from_millis(130),
    }
}

/// On top of [`committed_first_batch`]: broker 1 appends 5..9 in epoch 1 (checksum 0xb),
/// which only broker 3 copies before broker 1 is cut off; broker 2 takes over in epoch 2 at
/// offset 5, writes 5..7 (checksum 0xc), which broker 3 gets after truncating its tail, and
/// commits it with high watermark 8 at 330 ms.
fn new_leader_commits_other_data() -> Vec<TraceEntry> {
    let mut entries = committed_first_batch();
    entries.extend([
        appended(1, 200, "t", 0, (5, 9), 1, 0xb),
        appended(3, 210, "t", 0, (5, 9), 1, 0xb),
        leader_started(2, 300, "t", 0, 2, 5),
        // A new leader's high watermark may start below the last one.
        hw(2, 301, "t", 0, 2, 3),
        follower_started(3, 302, "t", 0, 2, 2, 10),
        truncated(3, 303, "t", 0, 0, 5),
        appended(2, 310, "t", 0, (5, 7), 2, 0xc),
        appended(3, 320, "t", 0, (5, 7), 2, 0xc),
        hw(2, 330, "t", 0, 2, 8),
    ]);
    entries
}

fn second_batch_committed() -> CommittedBatch {
    CommittedBatch {
        batch: batch((5, 7), 2, 0xc),
        by: 2,
        leader_epoch: 2,
        high_watermark: 8,
        at: Duration::from_millis(330),
    }
}

fn diverged(
    millis: u64,
    broker: u32,
    committed: CommittedBatch,
    found: ReplicaBatch,
    seen: DivergenceSeen,
) -> Violation {
    Violation::CommittedBatchDiverged {
        at: Duration::from_millis(millis),
        broker,
        topic: "t".to_string(),
        partition: 0,
        committed,
        found,
        seen,
    }
}

#[test]
fn replicas_holding_the_committed_batches_agree() {
    let mut entries = committed_first_batch();
    entries.extend([
        // A batch straddling the high watermark is not committed yet...
        appended(1, 200, "t", 0, (5, 9), 1, 0xb),
        hw(1, 210, "t", 0, 1, 7),
        appended(2, 220, "t", 0, (5, 9), 1, 0xb),
        // ...and is once the high watermark passes all of it.
        hw(1, 230, "t", 0, 1, 10),
        // A follower copying committed batches late is fine.
        appended(3, 300, "t", 0, (5, 9), 1, 0xb),
        // Another partition commits its own batches at the same offsets.
        leader_started(2, 400, "t", 1, 1, 0),
        appended(2, 410, "t", 1, (0, 4), 1, 0xf),
        hw(2, 420, "t", 1, 1, 5),
        appended(1, 430, "t", 1, (0, 4), 1, 0xf),
    ]);
    assert_eq!(check(&entries), vec![]);
}

#[test]
fn a_follower_truncating_an_uncommitted_tail_and_refetching_other_data_is_fine() {
    let mut entries = new_leader_commits_other_data();
    // Broker 2's high watermark catches up further.
    entries.extend([
        appended(2, 400, "t", 0, (8, 8), 2, 0xd),
        appended(3, 410, "t", 0, (8, 8), 2, 0xd),
        hw(2, 420, "t", 0, 2, 9),
    ]);
    assert_eq!(check(&entries), vec![]);
}

#[test]
fn a_crash_losing_an_unflushed_tail_is_fine() {
    let mut entries = committed_first_batch();
    entries.extend([
        appended(1, 200, "t", 0, (5, 9), 1, 0xb),
        appended(3, 210, "t", 0, (5, 9), 1, 0xb),
        // Broker 3 crashes with only offsets 0..2 flushed: it loses part of the committed
        // batch as well as the uncommitted one, and fetches both again.
        opened(3, 300, "t", 0, 0, 3),
        follower_started(3, 310, "t", 0, 1, 1, 3),
        truncated(3, 311, "t", 0, 0, 0),
        appended(3, 320, "t", 0, (0, 4), 1, 0xa),
        // Broker 1 crashes with offsets 5..9 unflushed; broker 2 leads epoch 2 and writes
        // other data there.
        opened(1, 400, "t", 0, 0, 5),
        leader_started(2, 410, "t", 0, 2, 5),
        appended(2, 420, "t", 0, (5, 6), 2, 0xc),
        follower_started(1, 430, "t", 0, 2, 2, 5),
        appended(1, 440, "t", 0, (5, 6), 2, 0xc),
        hw(2, 450, "t", 0, 2, 7),
        follower_started(3, 460, "t", 0, 2, 2, 5),
        appended(3, 470, "t", 0, (5, 6), 2, 0xc),
    ]);
    assert_eq!(check(&entries), vec![]);
}

#[test]
fn a_deposed_leader_may_hold_and_even_append_a_stale_tail_until_it_truncates() {
    let mut entries = new_leader_commits_other_data();
    entries.extend([
        // Broker 1, cut off, still believes it leads epoch 1 and appends more.
        appended(1, 400, "t", 0, (10, 12), 1, 0xe),
        // Broker 2 commits more over those offsets.
        appended(2, 410, "t", 0, (8, 12), 2, 0xd),
        appended(3, 420, "t", 0, (8, 12), 2, 0xd),
        hw(2, 430, "t", 0, 2, 13),
        // Back in touch, broker 1 follows epoch 2, truncates by leader epoch, and catches up.
        follower_started(1, 500, "t", 0, 2, 2, 13),
        truncated(1, 501, "t", 0, 0, 5),
        appended(1, 510, "t", 0, (5, 7), 2, 0xc),
        appended(1, 520, "t", 0, (8, 12), 2, 0xd),
    ]);
    assert_eq!(check(&entries), vec![]);
}

#[test]
fn appending_a_different_batch_over_committed_offsets_is_a_violation() {
    let mut entries = committed_first_batch();
    entries.extend([
        // Broker 3 loses its log, then copies other bytes at the committed offsets.
        opened(3, 200, "t", 0, 0, 0),
        appended(3, 210, "t", 0, (0, 4), 1, 0xbad),
        // Broker 2 leads epoch 2 but writes from offset 3: another batch layout over them.
        leader_started(2, 300, "t", 0, 2, 3),
        appended(2, 310, "t", 0, (3, 6), 2, 0xc),
    ]);
    let violations = check(&entries);
    assert_eq!(
        violations,
        vec![
            diverged(
                210,
                3,
                first_batch_committed(),
                batch((0, 4), 1, 0xbad),
                DivergenceSeen::Appended
            ),
            diverged(
                310,
                2,
                first_batch_committed(),
                batch((3, 6), 2, 0xc),
                DivergenceSeen::Appended
            ),
        ]
    );
    assert_eq!(violations[0].checker(), NAME);
    assert_eq!(
        violations[0].to_string(),
        "at 0.210s: broker 3 appended the batch at offsets 0 to 4 (leader epoch 1, checksum \
         0x00000bad) to t-0, over committed offsets: expected the batch at offsets 0 to 4 \
         (leader epoch 1, checksum 0x0000000a), committed by broker 1's high watermark 5 in \
         leader epoch 1 at 0.130s"
    );
}

#[test]
fn holding_a_different_batch_when_it_is_committed_is_a_violation() {
    let violations = check(&[
        leader_started(1, 100, "t", 0, 1, 0),
        follower_started(2, 100, "t", 0, 1, 1, 0),
        appended(1, 110, "t", 0, (0, 4), 1, 0xa),
        // Broker 2 has the offsets but split differently: a different layout.
        appended(2, 120, "t", 0, (0, 1), 1, 0xa),
        appended(2, 121, "t", 0, (2, 4), 1, 0xa),
        hw(1, 130, "t", 0, 1, 5),
        // Reported once: more commits do not repeat it.
        appended(1, 140, "t", 0, (5, 5), 1, 0xb),
        appended(2, 141, "t", 0, (5, 5), 1, 0xb),
        hw(1, 150, "t", 0, 1, 6),
    ]);
    assert_eq!(
        violations,
        vec![
            diverged(
                130,
                2,
                first_batch_committed(),
                batch((0, 1), 1, 0xa),
                DivergenceSeen::HeldWhenCommitted
            ),
            diverged(
                130,
                2,
                first_batch_committed(),
                batch((2, 4), 1, 0xa),
                DivergenceSeen::HeldWhenCommitted
            ),
        ]
    );
    assert_eq!(
        violations[0].to_string(),
        "at 0.130s: broker 2 held the batch at offsets 0 to 1 (leader epoch 1, checksum \
         0x0000000a) in t-0 when those offsets were committed: expected the batch at offsets 0 \
         to 4 (leader epoch 1, checksum 0x0000000a), committed by broker 1's high watermark 5 \
         in leader epoch 1 at 0.130s"
    );
}

/// KIP-101's divergence: broker 1 keeps its epoch-1 tail 5..9 and follows broker 2 from its
/// log end, appending broker 2's epoch-2 batch 10..12 above it.
#[test]
fn following_a_newer_leader_without_truncating_is_a_violation() {
    let mut entries = new_leader_commits_other_data();
    entries.extend([
        appended(2, 400, "t", 0, (8, 9), 2, 0xd),
        appended(2, 401, "t", 0, (10, 12), 2, 0xe),
        appended(3, 410, "t", 0, (8, 9), 2, 0xd),
        appended(3, 411, "t", 0, (10, 12), 2, 0xe),
        follower_started(1, 420, "t", 0, 2, 2, 10),
        appended(1, 430, "t", 0, (10, 12), 2, 0xe),
    ]);
    let violations = check(&entries);
    assert_eq!(
        violations,
        vec![diverged(
            430,
            1,
            second_batch_committed(),
            batch((5, 9), 1, 0xb),
            DivergenceSeen::KeptBelow {
                later: batch((10, 12), 2, 0xe)
            },
        )]
    );
    assert_eq!(
        violations[0].to_string(),
        "at 0.430s: broker 1 still held the batch at offsets 5 to 9 (leader epoch 1, checksum \
         0x0000000b) in t-0 below its later batch at offsets 10 to 12 (leader epoch 2, \
         checksum 0x0000000e), of the committing leader's epoch or newer (a divergent tail \
         it should have truncated before following a newer leader): expected the batch at \
         offsets 5 to 7 (leader epoch 2, checksum 0x0000000c), committed by broker 2's high \
         watermark 8 in leader epoch 2 at 0.330s"
    );
}

/// The same divergence, seen when the offsets are committed after broker 1 went on.
#[test]
fn a_replica_found_past_its_divergence_at_the_commit_is_a_violation() {
    let mut entries = committed_first_batch();
    entries.extend([
        appended(1, 200, "t", 0, (5, 9), 1, 0xb),
        leader_started(2, 300, "t", 0, 2, 5),
        appended(2, 310, "t", 0, (5, 7), 2, 0xc),
        appended(2, 311, "t", 0, (8, 9), 2, 0xd),
        appended(2, 312, "t", 0, (10, 12), 2, 0xe),
        follower_started(1, 400, "t", 0, 2, 2, 10),
        appended(1, 410, "t", 0, (10, 12), 2, 0xe),
        appended(3, 420, "t", 0, (5, 7), 2, 0xc),
        appended(3, 421, "t", 0, (8, 9), 2, 0xd),
        appended(3, 422, "t", 0, (10, 12), 2, 0xe),
        hw(2, 430, "t", 0, 2, 13),
    ]);
    assert_eq!(
        check(&entries),
        vec![diverged(
            430,
            1,
            CommittedBatch {
                batch: batch((5, 7), 2, 0xc),
                by: 2,
                leader_epoch: 2,
                high_watermark: 13,
                at: Duration::from_millis(430),
            },
            batch((5, 9), 1, 0xb),
            DivergenceSeen::KeptBelow {
                later: batch((10, 12), 2, 0xe)
            },
        )]
    );
}

#[test]
fn starting_to_lead_with_a_stale_tail_at_committed_offsets_is_a_violation() {
    let mut entries = new_leader_commits_other_data();
    entries.push(leader_started(1, 400, "t", 0, 3, 10));
    assert_eq!(
        check(&entries),
        vec![diverged(
            400,
            1,
            second_batch_committed(),
            batch((5, 9), 1, 0xb),
            DivergenceSeen::StartedLeading { leader_epoch: 3 },
        )]
    );
}

#[test]
fn a_high_watermark_over_a_divergent_batch_is_a_violation() {
    let mut entries = new_leader_commits_other_data();
    // Deposed broker 1 announces a high watermark over its stale tail.
    entries.push(hw(1, 400, "t", 0, 1, 10));
    let violations = check(&entries);
    assert_eq!(
        violations,
        vec![diverged(
            400,
            1,
            second_batch_committed(),
            batch((5, 9), 1, 0xb),
            DivergenceSeen::AnnouncedHighWatermark {
                leader_epoch: 1,
                high_watermark: 10,
            },
        )]
    );
    assert!(
        violations[0].to_string().starts_with(
            "at 0.400s: broker 1, leading t-0 in leader epoch 1, announced high watermark 10 over"
        ),
        "{}",
        violations[0]
    );
}

/// On top of [`committed_first_batch`]: broker 1 (epoch 1) appends 5..9, which broker 3 copies;
/// broker 2 leads epoch 2 from offset 5 and writes 5..7 in epoch 2 before anyone fetches it,
/// then fails; broker 3 leads epoch 3 with the epoch-1 batch and commits it (high watermark
/// 10 at 330 ms). Broker 2's epoch-2 batch at 5..7 is newer than the committed batch's epoch
/// 1 but older than the committing leader's epoch 3: a stale uncommitted tail, as Kafka leaves
/// one after two fast failovers (and eligible leader replicas, KIP-966, after one).
fn older_epoch_committed_over_a_newer_stale_tail() -> Vec<TraceEntry> {
    let mut entries = committed_first_batch();
    entries.extend([
        appended(1, 200, "t", 0, (5, 9), 1, 0xb),
        appended(3, 210, "t", 0, (5, 9), 1, 0xb),
        leader_started(2, 250, "t", 0, 2, 5),
        appended(2, 260, "t", 0, (5, 7), 2, 0xc),
        leader_started(3, 300, "t", 0, 3, 10),
        follower_started(1, 310, "t", 0, 3, 3, 10),
        hw(3, 330, "t", 0, 3, 10),
    ]);
    entries
}

#[test]
fn a_stale_tail_newer_than_the_committed_batch_but_older_than_its_committer_is_tolerated() {
    let mut entries = older_epoch_committed_over_a_newer_stale_tail();
    assert_eq!(check(&entries), vec![]);
    // Broker 2 comes back, follows epoch 3, truncates by leader epoch and copies the batch.
    entries.extend([
        follower_started(2, 400, "t", 0, 3, 3, 8),
        truncated(2, 401, "t", 0, 0, 5),
        appended(2, 410, "t", 0, (5, 9), 1, 0xb),
    ]);
    assert_eq!(check(&entries), vec![]);
}

#[test]
fn a_stale_tail_kept_below_a_batch_of_the_committers_epoch_is_a_violation() {
    let mut entries = older_epoch_committed_over_a_newer_stale_tail();
    // Broker 2 follows epoch 3 without truncating: it appends epoch 3's next batch above
    // its stale epoch-2 tail.
    entries.extend([
        appended(3, 400, "t", 0, (10, 11), 3, 0xd),
        follower_started(2, 410, "t", 0, 3, 3, 8),
        appended(2, 420, "t", 0, (8, 9), 1, 0xb),
        appended(2, 430, "t", 0, (10, 11), 3, 0xd),
    ]);
    let committed = CommittedBatch {
        batch: batch((5, 9), 1, 0xb),
        by: 3,
        leader_epoch: 3,
        high_watermark: 10,
        at: Duration::from_millis(330),
    };
    let violations = check(&entries);
    assert!(
        violations.contains(&diverged(
            430,
            2,
            committed,
            batch((5, 7), 2, 0xc),
            DivergenceSeen::KeptBelow {
                later: batch((10, 11), 3, 0xd)
            },
        )),
        "{violations:#?}"
    );
    // A batch of the committer's epoch differing at committed offsets is a violation at once.
    let mut entries = older_epoch_committed_over_a_newer_stale_tail();
    entries.push(appended(2, 400, "t", 0, (5, 9), 3, 0xbad));
    assert_eq!(check(&entries).len(), 1);
}
