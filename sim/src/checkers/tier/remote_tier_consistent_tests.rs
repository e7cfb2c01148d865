//! `remote-tier-consistent`: a legal history passes; each way of breaking "one tier per
//! offset, identical bytes" is reported.

use std::time::Duration;

use bytes::Bytes;
use korasim_core::broker::log::RecordBatch;
use korasim_core::tier::keys::segment_key;

use super::*;
use crate::checkers::test_support::run;
use crate::checkers::tier::test_support::*;
use crate::checkers::tier::violation::RecordAt;
use crate::devices::object_store::StoreEvent;

/// Partition "t"-0 holds offsets 0..=14 in four batches, all committed.
fn batches() -> [RecordBatch; 4] {
    [batch(0, 5, 1), batch(5, 3, 2), batch(8, 2, 3), batch(10, 5, 4)]
}

/// Both replicas append the four batches and the leader commits them all.
fn committed_data() -> Vec<TraceEntry> {
    let mut entries = Vec::new();
    for batch in batches() {
        let range = (batch.base_offset, batch.last_offset());
        entries.push(appended(1, 10, "t", 0, range, checksum(&batch)));
        entries.push(appended(2, 11, "t", 0, range, checksum(&batch)));
    }
    entries.push(hw(1, 20, "t", 0, 15));
    entries
}

/// Tier records at offsets `first_offset..`, materialised by brokers 1 and 2 in turn.
fn tier_records(
    millis: u64,
    first_offset: u64,
    records: Vec<korasim_core::tier::TierRecord>,
) -> Vec<TraceEntry> {
    let mut entries = Vec::new();
    for (index, record) in records.into_iter().enumerate() {
        let offset = first_offset + index as u64;
        let at = millis + 10 * index as u64;
        entries.push(materialized(1, at, 0, offset, record.clone()));
        entries.push(materialized(2, at + 1, 0, offset, record));
    }
    entries
}

fn upload(millis: u64, id: &str, segment_batches: &[RecordBatch]) -> Vec<TraceEntry> {
    vec![
        put_segment(millis, "t", 0, id, segment(segment_batches)),
        put_index(millis + 1, "t", 0, id),
    ]
}

/// A legal history: object "a" serves 0..=7; object "b" holds 5..=14 (its replica rolled its
/// segment elsewhere) and serves 8..=14; a retried upload "x" is dropped; remote reads are
/// served from the right objects; "a" is deleted by retention.
fn legal_history() -> Vec<TraceEntry> {
    let [b0, b1, b2, b3] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![
            init("t", 0, 1),
            started("t", 0, 1, "x", 0, 7),
            started("t", 0, 1, "a", 0, 7),
        ],
    ));
    entries.extend(upload(200, "x", std::slice::from_ref(&b0)));
    entries.extend(upload(210, "a", &[b0, b1.clone()]));
    entries.extend(tier_records(
        300,
        3,
        vec![finished("t", 0, 1, "a"), started("t", 0, 1, "b", 5, 14)],
    ));
    entries.extend(upload(400, "b", &[b1, b2, b3]));
    entries.extend(tier_records(500, 5, vec![finished("t", 0, 1, "b")]));
    entries.push(remote_fetch(2, 600, "t", 0, 3, "a"));
    entries.push(remote_fetch(2, 610, "t", 0, 8, "b"));
    entries.extend(tier_records(
        700,
        6,
        vec![delete_started("t", 0, 1, "a"), delete_finished("t", 0, 1, "a")],
    ));
    entries.push(delete(710, &segment_key("t", 0, "a")));
    // Corruption after the judgement is the audits' business.
    entries.push(store(
        800,
        StoreEvent::Corrupted {
            key: segment_key("t", 0, "b"),
            byte_index: 3,
        },
    ));
    entries
}

fn judge(entries: &[TraceEntry]) -> Vec<Violation> {
    run(&mut RemoteTierConsistent::new(), entries)
}

fn record_at(offset: u64) -> RecordAt {
    RecordAt {
        tier_partition: 0,
        offset,
    }
}

fn tier(violations: &[Violation]) -> Vec<&TierViolation> {
    violations
        .iter()
        .map(|violation| match violation {
            Violation::Tier(violation) => violation,
            other => panic!("not a tier violation: {other}"),
        })
        .collect()
}

#[test]
fn a_legal_history_passes() {
    assert_eq!(judge(&legal_history()), vec![]);
}

#[test]
fn an_object_corrupted_before_its_copy_finished_is_not_judged() {
    let [b0, b1, ..] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 7)],
    ));
    entries.extend(upload(200, "a", &[b0, b1]));
    entries.push(store(
        210,
        StoreEvent::Corrupted {
            key: segment_key("t", 0, "a"),
            byte_index: 30,
        },
    ));
    entries.extend(tier_records(300, 2, vec![finished("t", 0, 1, "a")]));
    assert_eq!(judge(&entries), vec![]);
}

#[test]
fn finishing_a_replaced_upload_overlaps_the_tiered_log() {
    let [b0, b1, ..] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![
            init("t", 0, 1),
            started("t", 0, 1, "a", 0, 7),
            started("t", 0, 1, "b", 0, 7),
        ],
    ));
    entries.extend(upload(200, "a", &[b0.clone(), b1.clone()]));
    entries.extend(upload(210, "b", &[b0, b1]));
    // Both attempts finish: "a" was replaced, so it must not serve 0..=7 again.
    entries.extend(tier_records(
        300,
        3,
        vec![finished("t", 0, 1, "b"), finished("t", 0, 1, "a")],
    ));
    let violations = judge(&entries);
    assert_eq!(
        violations,
        vec![Violation::Tier(TierViolation::RemoteSegmentOverlaps {
            at: Duration::from_millis(310),
            topic: "t".to_string(),
            partition: 0,
            object_id: "a".to_string(),
            record_at: record_at(4),
            serving_start: 0,
            last_offset: 7,
            tiered_end: 8,
        })]
    );
    assert_eq!(violations[0].checker(), NAME);
    assert!(
        violations[0]
            .to_string()
            .contains("already served offsets up to 7"),
        "{}",
        violations[0]
    );
}

#[test]
fn a_segment_wholly_below_the_tiered_end_overlaps() {
    let [b0, b1, ..] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 7)],
    ));
    entries.extend(upload(200, "a", &[b0.clone(), b1.clone()]));
    entries.extend(tier_records(
        300,
        2,
        vec![finished("t", 0, 1, "a"), started("t", 0, 1, "c", 0, 7)],
    ));
    entries.extend(upload(400, "c", &[b0, b1]));
    entries.extend(tier_records(500, 4, vec![finished("t", 0, 1, "c")]));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteSegmentOverlaps {
            serving_start: 8,
            last_offset: 7,
            tiered_end: 8,
            ..
        }]
    ));
}

#[test]
fn a_segment_starting_after_the_tiered_end_leaves_a_gap() {
    let [b0, b1, b2, b3] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 4)],
    ));
    entries.extend(upload(200, "a", &[b0]));
    entries.extend(tier_records(
        300,
        2,
        vec![finished("t", 0, 1, "a"), started("t", 0, 1, "b", 8, 14)],
    ));
    entries.extend(upload(400, "b", &[b2, b3]));
    entries.extend(tier_records(500, 4, vec![finished("t", 0, 1, "b")]));
    let _ = b1;
    assert_eq!(
        judge(&entries),
        vec![Violation::Tier(TierViolation::RemoteSegmentGap {
            at: Duration::from_millis(500),
            topic: "t".to_string(),
            partition: 0,
            object_id: "b".to_string(),
            record_at: record_at(4),
            serving_start: 5,
            base_offset: 8,
        })]
    );
}

#[test]
fn finishing_an_object_never_started_is_reported() {
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), finished("t", 0, 1, "ghost")],
    ));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteSegmentNeverStarted { object_id, .. }] if object_id == "ghost"
    ));
}

#[test]
fn deleting_a_segment_that_is_not_the_oldest_opens_a_hole() {
    let [b0, b1, b2, b3] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 7)],
    ));
    entries.extend(upload(200, "a", &[b0, b1]));
    entries.extend(tier_records(
        300,
        2,
        vec![finished("t", 0, 1, "a"), started("t", 0, 1, "b", 8, 14)],
    ));
    entries.extend(upload(400, "b", &[b2, b3]));
    entries.extend(tier_records(
        500,
        4,
        vec![finished("t", 0, 1, "b"), delete_started("t", 0, 1, "b")],
    ));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteSegmentDeletedOutOfOrder { object_id, older_object_id, .. }]
            if object_id == "b" && older_object_id == "a"
    ));
}

#[test]
fn uploading_offsets_above_the_high_watermark_is_reported() {
    let [b0, b1, ..] = batches();
    let mut entries: Vec<TraceEntry> = committed_data()
        .into_iter()
        .filter(|entry| !matches!(&entry.kind, TraceKind::Node(Event::HighWatermarkAdvanced { .. })))
        .collect();
    entries.push(hw(1, 20, "t", 0, 5));
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 7)],
    ));
    entries.extend(upload(200, "a", &[b0, b1]));
    entries.extend(tier_records(300, 2, vec![finished("t", 0, 1, "a")]));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteSegmentAboveHighWatermark {
            last_offset: 7,
            high_watermark: 5,
            ..
        }]
    ));
}

#[test]
fn a_finished_segment_whose_object_is_not_in_the_bucket_is_reported() {
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![
            init("t", 0, 1),
            started("t", 0, 1, "a", 0, 7),
            finished("t", 0, 1, "a"),
        ],
    ));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteObjectAbsent { key, .. }] if key == "tier/t/0/a.log"
    ));
}

/// A history where object "a" (serving 0..=7, CopyStarted saying `last`) holds `body`.
fn finished_with(last: u64, body: Bytes) -> Vec<TraceEntry> {
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, last)],
    ));
    entries.push(put_segment(200, "t", 0, "a", body));
    entries.push(put_index(201, "t", 0, "a"));
    entries.extend(tier_records(300, 2, vec![finished("t", 0, 1, "a")]));
    entries
}

fn mismatch_of(entries: &[TraceEntry]) -> BytesMismatch {
    match tier(&judge(entries)).as_slice() {
        [TierViolation::RemoteBytesDiffer { mismatch, .. }] => mismatch.clone(),
        other => panic!("expected one RemoteBytesDiffer, got {other:?}"),
    }
}

#[test]
fn a_batch_with_other_bytes_is_reported() {
    let [b0, b1, ..] = batches();
    let changed = batch(5, 3, 99);
    let mismatch = mismatch_of(&finished_with(7, segment(&[b0, changed.clone()])));
    assert_eq!(
        mismatch,
        BytesMismatch::BatchDiffers {
            found: BatchSeen {
                base_offset: 5,
                last_offset: 7,
                checksum: checksum(&changed)
            },
            committed: Some(BatchSeen {
                base_offset: 5,
                last_offset: 7,
                checksum: checksum(&b1)
            }),
        }
    );
}

#[test]
fn other_batch_boundaries_are_reported() {
    let [_, b1, ..] = batches();
    let split = [batch(0, 3, 1), batch(3, 2, 1)];
    let mismatch = mismatch_of(&finished_with(
        7,
        segment(&[split[0].clone(), split[1].clone(), b1]),
    ));
    assert!(
        matches!(
            mismatch,
            BytesMismatch::BatchDiffers {
                found: BatchSeen {
                    base_offset: 0,
                    last_offset: 2,
                    ..
                },
                committed: Some(BatchSeen { last_offset: 4, .. }),
            }
        ),
        "{mismatch:?}"
    );
}

#[test]
fn uploading_a_divergent_uncommitted_batch_is_reported() {
    // Broker 2 appended another batch at 5..=7 and cut it; the upload holds that one.
    let [b0, ..] = batches();
    let stale = batch(5, 3, 66);
    let mut entries = vec![
        appended(2, 1, "t", 0, (0, 4), checksum(&b0)),
        appended(2, 2, "t", 0, (5, 7), checksum(&stale)),
        truncated(2, 3, "t", 0, 0, 5),
    ];
    entries.extend(finished_with(7, segment(&[b0, stale])));
    assert!(matches!(
        mismatch_of(&entries),
        BytesMismatch::BatchDiffers {
            committed: Some(BatchSeen { base_offset: 5, .. }),
            ..
        }
    ));
}

#[test]
fn a_shorter_batch_is_reported() {
    let [b0, ..] = batches();
    let mut body = segment(&[b0, batch(5, 2, 2)]).to_vec();
    body.extend(batch(7, 1, 2).encode());
    let mismatch = mismatch_of(&finished_with(7, body.into()));
    assert!(
        matches!(
            mismatch,
            BytesMismatch::BatchDiffers {
                found: BatchSeen { last_offset: 6, .. },
                committed: Some(BatchSeen { last_offset: 7, .. }),
            }
        ),
        "{mismatch:?}"
    );
}

#[test]
fn a_batch_straddling_the_serving_start_is_reported() {
    // "b" serves from 8, but its first batch there starts at 6: no committed batch does.
    let [b0, b1, _, b3] = batches();
    let mut entries = committed_data();
    entries.extend(tier_records(
        100,
        0,
        vec![init("t", 0, 1), started("t", 0, 1, "a", 0, 7)],
    ));
    entries.extend(upload(200, "a", &[b0, b1]));
    entries.extend(tier_records(
        300,
        2,
        vec![finished("t", 0, 1, "a"), started("t", 0, 1, "b", 5, 14)],
    ));
    let straddling = batch(6, 4, 3);
    entries.extend(upload(400, "b", &[straddling.clone(), b3]));
    entries.extend(tier_records(500, 4, vec![finished("t", 0, 1, "b")]));
    assert_eq!(
        mismatch_of(&entries),
        BytesMismatch::BatchDiffers {
            found: BatchSeen {
                base_offset: 6,
                last_offset: 9,
                checksum: checksum(&straddling)
            },
            committed: None,
        }
    );
}

#[test]
fn bytes_that_do_not_decode_are_reported() {
    let [b0, b1, ..] = batches();
    let body = segment(&[b0, b1]);
    let cut = body.slice(..body.len() - 1);
    assert!(matches!(
        mismatch_of(&finished_with(7, cut)),
        BytesMismatch::Undecodable { next_offset: 5, .. }
    ));
}

#[test]
fn an_object_ending_before_its_last_offset_is_reported() {
    let [b0, ..] = batches();
    assert_eq!(
        mismatch_of(&finished_with(7, segment(&[b0]))),
        BytesMismatch::EndsEarly { next_offset: 5 }
    );
}

#[test]
fn an_object_skipping_offsets_is_reported() {
    let [b0, _, b2, ..] = batches();
    assert_eq!(
        mismatch_of(&finished_with(9, segment(&[b0, b2]))),
        BytesMismatch::Gap {
            next_offset: 5,
            found_base_offset: 8
        }
    );
}

#[test]
fn an_object_with_overlapping_batches_is_reported() {
    let [b0, b1, ..] = batches();
    assert!(matches!(
        mismatch_of(&finished_with(7, segment(&[b0.clone(), b0, b1]))),
        BytesMismatch::Overlap { next_offset: 5, .. }
    ));
}

#[test]
fn a_last_offset_inside_a_batch_is_reported() {
    let [b0, b1, ..] = batches();
    assert!(matches!(
        mismatch_of(&finished_with(6, segment(&[b0, b1]))),
        BytesMismatch::PastLastOffset {
            found: BatchSeen { last_offset: 7, .. }
        }
    ));
}

#[test]
fn rewriting_a_finished_object_with_other_bytes_is_reported() {
    let [b0, b1, ..] = batches();
    let mut entries = finished_with(7, segment(&[b0.clone(), b1]));
    // The same bytes again change nothing; other bytes do.
    entries.push(put_segment(
        400,
        "t",
        0,
        "a",
        segment(&[b0.clone(), batch(5, 3, 2)]),
    ));
    entries.push(put_segment(500, "t", 0, "a", segment(&[b0])));
    assert!(matches!(
        tier(&judge(&entries)).as_slice(),
        [TierViolation::RemoteObjectRewritten { key, at, .. }]
            if key == "tier/t/0/a.log" && *at == Duration::from_millis(500)
    ));
}

#[test]
fn serving_a_remote_read_from_the_wrong_object_is_reported() {
    let mut entries = legal_history();
    entries.push(remote_fetch(1, 900, "t", 0, 6, "b"));
    entries.push(remote_fetch(1, 910, "t", 0, 6, "x"));
    assert_eq!(
        judge(&entries),
        vec![
            Violation::Tier(TierViolation::RemoteFetchOutsideSegment {
                at: Duration::from_millis(900),
                broker: 1,
                topic: "t".to_string(),
                partition: 0,
                object_id: "b".to_string(),
                fetch_offset: 6,
                serving: Some((8, 14)),
            }),
            Violation::Tier(TierViolation::RemoteFetchOutsideSegment {
                at: Duration::from_millis(910),
                broker: 1,
                topic: "t".to_string(),
                partition: 0,
                object_id: "x".to_string(),
                fetch_offset: 6,
                serving: None,
            }),
        ]
    );
}
