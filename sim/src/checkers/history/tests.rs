//! Whole histories through the whole oracle: valid ones, including the tricky cases, must
//! pass; malformed ones are reported as such.

use super::test_support::*;
use super::{HistoryCheckOptions, HistoryProblem, HistoryViolation};
use crate::workloads::{Acks, ClientId, History, OpId, ProduceError, TopicPartition};

/// Two producers, one idempotent, over two partitions, with every kind of outcome, reads by a
/// consumer during the run and a final read of both partitions.
fn busy_valid_history() -> History {
    let mut history = History::new();
    history.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
    history.record(idempotent_produce(1, 2, 110, 0, "1-2", 4_000, 1));
    history.record(produce(2, 1, 120, 1, "2-1"));
    history.record(ok(1, 1, 200, 0));
    history.record(ok(1, 2, 210, 1));
    history.record(ok(2, 1, 220, 0));
    history.record(read(3, 300, 0, 0, "1-1"));
    history.record(read(3, 310, 0, 1, "1-2"));
    // A timeout whose write landed, and one whose write did not.
    history.record(idempotent_produce(1, 3, 400, 0, "1-3", 4_000, 2));
    history.record(produce(2, 2, 410, 1, "2-2"));
    history.record(unknown(1, 3, 30_400));
    history.record(unknown(2, 2, 30_410));
    // A definite failure, and an indefinite one that was written after all.
    history.record(produce(2, 3, 31_000, 1, "2-3"));
    history.record(failed(2, 3, 31_050, ProduceError::NotEnoughReplicas));
    history.record(produce(2, 4, 31_100, 1, "2-4"));
    history.record(failed(2, 4, 31_150, ProduceError::NotEnoughReplicasAfterAppend));
    // Still in flight when the run ended.
    history.record(produce(2, 5, 59_000, 1, "2-5"));
    record_final_read(
        &mut history,
        9,
        60_000,
        0,
        0..3,
        &[(0, "1-1"), (1, "1-2"), (2, "1-3")],
    );
    record_final_read(&mut history, 9, 60_100, 1, 0..2, &[(0, "2-1"), (1, "2-4")]);
    history
}

#[test]
fn a_busy_valid_history_passes() {
    assert_eq!(check_default(&busy_valid_history()), vec![]);
}

#[test]
fn an_unknown_write_may_appear_once_or_not_at_all() {
    for records in [&[(0, "1-1")][..], &[]] {
        let mut history = History::new();
        history.record(idempotent_produce(1, 1, 100, 0, "1-1", 4_000, 0));
        history.record(unknown(1, 1, 30_100));
        record_final_read(&mut history, 9, 60_000, 0, 0..records.len() as u64, records);
        assert_eq!(check_default(&history), vec![], "final read {records:?}");
    }
}

#[test]
fn an_unfinished_write_is_never_lost() {
    let mut history = History::new();
    history.record(produce(1, 1, 100, 0, "1-1"));
    record_final_read(&mut history, 9, 60_000, 0, 0..0, &[]);
    assert_eq!(check_default(&history), vec![]);
}

#[test]
fn retention_removing_early_offsets_is_no_loss() {
    let mut history = History::new();
    for op in 0..4 {
        history.record(produce(1, op, 100 * op, 0, &format!("1-{op}")));
        history.record(ok(1, op, 100 * op + 50, op));
    }
    history.record(read(2, 500, 0, 0, "1-0"));
    record_final_read(&mut history, 9, 60_000, 0, 2..4, &[(2, "1-2"), (3, "1-3")]);
    let options = HistoryCheckOptions {
        retention_start: [(TopicPartition::new(TOPIC, 0), 2)].into_iter().collect(),
        ..HistoryCheckOptions::default()
    };
    assert_eq!(check(&history, &options), vec![]);
}

#[test]
fn an_acks_1_write_lost_in_a_failover_is_ignored_by_default() {
    let mut history = History::new();
    history.record(produce_with_acks(1, 1, 100, 0, "1-1", Acks::Leader));
    history.record(ok(1, 1, 150, 0));
    // The new leader never had it, and gave its offset to the next write.
    history.record(produce_with_acks(1, 2, 300, 0, "1-2", Acks::Leader));
    history.record(ok(1, 2, 350, 0));
    record_final_read(&mut history, 9, 60_000, 0, 0..1, &[(0, "1-2")]);
    assert_eq!(check_default(&history), vec![]);
    let strict = HistoryCheckOptions {
        strict_for_weak_acks: true,
        ..HistoryCheckOptions::default()
    };
    assert_eq!(
        kinds(&check(&history, &strict)),
        ["changed-acknowledged-write", "reordered-after-acknowledgement"]
    );
}

#[test]
fn a_history_survives_the_file_and_is_judged_the_same() {
    let history = busy_valid_history();
    let mut bytes = Vec::new();
    history.write_jsonl_to(&mut bytes).expect("writes to memory");
    let loaded = History::read_jsonl_from(bytes.as_slice()).expect("reads back");
    assert_eq!(loaded, history);
    assert_eq!(check_default(&loaded), vec![]);
}

#[test]
fn malformed_histories_are_reported_as_such() {
    let mut history = History::new();
    history.record(ok(1, 1, 50, 0));
    history.record(produce(1, 2, 100, 0, "1-2"));
    history.record(ok(1, 2, 150, 0));
    history.record(unknown(1, 2, 160));
    history.record(produce(1, 2, 170, 0, "1-2 again"));
    history.record(produce(2, 1, 200, 0, "1-2"));
    record_final_read(&mut history, 9, 60_000, 0, 0..1, &[(0, "1-2")]);
    let violations = check_default(&history);
    let problems: Vec<&HistoryProblem> = violations
        .iter()
        .filter_map(|violation| match violation {
            HistoryViolation::InvalidHistory { problem, .. } => Some(problem),
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        [
            &HistoryProblem::CompletedWithoutInvocation,
            &HistoryProblem::CompletedTwice,
            &HistoryProblem::InvokedTwice,
            &HistoryProblem::ValueReused {
                first_client: ClientId(1),
                first_op_id: OpId(2),
            },
        ]
    );
    assert_eq!(violations.len(), 4, "{violations:?}");
    assert_eq!(
        violations[3].to_string(),
        "at 0.200s: the history is malformed: client 2 op 1 produced a value client 1 op 2 had \
         already produced"
    );
}

#[test]
fn every_kind_is_listed_once() {
    let kinds = HistoryViolation::kinds();
    let distinct: std::collections::BTreeSet<_> = kinds.iter().collect();
    assert_eq!(distinct.len(), kinds.len());
}

#[test]
fn violations_serialize_for_reports() {
    let mut history = History::new();
    history.record(produce(1, 1, 100, 0, "1-1"));
    history.record(ok(1, 1, 150, 0));
    record_final_read(&mut history, 9, 5_000, 0, 0..0, &[]);
    let violations = check_default(&history);
    let json = serde_json::to_string(&violations).expect("violations serialize");
    assert!(json.contains("LostAcknowledgedWrite"), "{json}");
}
