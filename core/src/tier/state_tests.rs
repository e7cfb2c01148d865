use super::*;

fn record(epoch: u64, kind: TierRecordKind) -> TierRecord {
    TierRecord {
        topic: "t".to_string(),
        partition: 0,
        leader_epoch: epoch,
        kind,
    }
}

fn started(epoch: u64, id: &str, base: u64, last: u64) -> TierRecord {
    record(
        epoch,
        TierRecordKind::CopyStarted {
            object_id: id.to_string(),
            base_offset: base,
            last_offset: last,
            size_bytes: 100,
            max_timestamp_ms: 0,
        },
    )
}

fn finished(epoch: u64, id: &str) -> TierRecord {
    record(
        epoch,
        TierRecordKind::CopyFinished {
            object_id: id.to_string(),
        },
    )
}

fn init(epoch: u64) -> TierRecord {
    record(epoch, TierRecordKind::InitLeader)
}

fn upload(state: &mut TierPartitionState, epoch: u64, id: &str, base: u64, last: u64) {
    state.apply(&started(epoch, id, base, last)).unwrap();
    state.apply(&finished(epoch, id)).unwrap();
}

#[test]
fn uploads_extend_the_tiered_log() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    upload(&mut state, 1, "a", 0, 9);
    upload(&mut state, 1, "b", 10, 24);
    assert_eq!(state.tiered_end_offset(), 25);
    assert_eq!(state.remote_log_start_offset(), 0);
    assert_eq!(state.segment_serving(12).unwrap().object_id, "b");
    assert_eq!(state.segment_serving(9).unwrap().object_id, "a");
    assert!(state.segment_serving(25).is_none());
}

#[test]
fn records_before_init_leader_are_refused() {
    let mut state = TierPartitionState::default();
    assert!(matches!(
        state.apply(&started(1, "a", 0, 9)),
        Err(TierRejection::NotInitialised { .. })
    ));
}

#[test]
fn a_deposed_leaders_upload_is_fenced_and_its_object_unreferenced() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    state.apply(&started(1, "old", 0, 9)).unwrap();
    state.apply(&init(2)).unwrap();
    assert!(state.in_progress().is_none());
    assert!(matches!(
        state.apply(&finished(1, "old")),
        Err(TierRejection::Fenced { .. })
    ));
    assert!(!state.referenced_objects().contains("old"));
    upload(&mut state, 2, "new", 0, 12);
    assert_eq!(state.tiered_end_offset(), 13);
}

#[test]
fn an_overlapping_segment_serves_only_past_the_tiered_end() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    upload(&mut state, 1, "a", 0, 9);
    state.apply(&init(2)).unwrap();
    upload(&mut state, 2, "b", 5, 20);
    assert_eq!(state.segment_serving(7).unwrap().object_id, "a");
    assert_eq!(state.segment_serving(10).unwrap().object_id, "b");
    assert_eq!(state.segments().nth(1).unwrap().serving_start_offset, 10);
}

#[test]
fn gaps_and_segments_that_add_nothing_are_refused() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    upload(&mut state, 1, "a", 0, 9);
    assert!(matches!(
        state.apply(&started(1, "gap", 11, 20)),
        Err(TierRejection::NotContiguous { .. })
    ));
    assert!(matches!(
        state.apply(&started(1, "old", 0, 8)),
        Err(TierRejection::NotContiguous { .. })
    ));
}

#[test]
fn a_retried_upload_replaces_the_unfinished_one() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    state.apply(&started(1, "try-1", 0, 9)).unwrap();
    state.apply(&started(1, "try-2", 0, 9)).unwrap();
    assert!(state.apply(&finished(1, "try-1")).is_err());
    state.apply(&finished(1, "try-2")).unwrap();
    assert_eq!(
        state.referenced_objects().into_iter().collect::<Vec<_>>(),
        vec!["try-2"]
    );
}

#[test]
fn repeated_records_change_nothing() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    state.apply(&started(1, "a", 0, 9)).unwrap();
    state.apply(&started(1, "a", 0, 9)).unwrap();
    state.apply(&finished(1, "a")).unwrap();
    let before = state.clone();
    state.apply(&init(1)).unwrap();
    state.apply(&started(1, "a", 0, 9)).unwrap();
    state.apply(&finished(1, "a")).unwrap();
    assert_eq!(state, before);
}

#[test]
fn deletion_goes_oldest_first_and_moves_the_remote_start() {
    let mut state = TierPartitionState::default();
    state.apply(&init(1)).unwrap();
    upload(&mut state, 1, "a", 0, 9);
    upload(&mut state, 1, "b", 10, 19);
    let delete = |id: &str| {
        record(
            1,
            TierRecordKind::DeleteStarted {
                object_id: id.to_string(),
            },
        )
    };
    assert!(matches!(
        state.apply(&delete("b")),
        Err(TierRejection::NotOldest { .. })
    ));
    state.apply(&delete("a")).unwrap();
    assert_eq!(state.remote_log_start_offset(), 10);
    assert!(state.segment_serving(5).is_none());
    assert!(state.referenced_objects().contains("a"));
    let done = record(
        1,
        TierRecordKind::DeleteFinished {
            object_id: "a".to_string(),
        },
    );
    state.apply(&done).unwrap();
    state.apply(&done).unwrap();
    assert!(!state.referenced_objects().contains("a"));
    assert_eq!(state.tiered_end_offset(), 20);
}
