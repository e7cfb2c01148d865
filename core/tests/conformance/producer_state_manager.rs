//! Kafka's `ProducerStateManagerTest` (storage/src/test/java/.../log), on
//! [`ProducerStateTable`] and, where Kafka's case goes through the log (reload, truncation,
//! retention, replication), on [`PartitionLog`](korasim_core::broker::log::PartitionLog).
//!
//! Transactions, control records, producer snapshots, verification guards and producer-id
//! expiration have no counterpart here; their cases are left out.

use korasim_core::broker::log::{LogError, LogParams, ProducerStateTable, RecordBatch, SequenceCheck};

use crate::support::{idempotent, new_log, one_batch_per_segment, open_log, records, run, MemoryDisk};
use std::sync::Arc;

const PRODUCER: i64 = 1;

/// Kafka's `appendClientEntry`: checked as the leader checks a client's batch, then
/// recorded if accepted.
fn append_client_entry(
    table: &mut ProducerStateTable,
    producer_epoch: i16,
    sequence: i32,
    offset: u64,
) -> SequenceCheck {
    let producer = idempotent(PRODUCER, producer_epoch, sequence);
    let verdict = table.check(producer, 1);
    if verdict == SequenceCheck::Accept {
        table.record(producer, 1, offset);
    }
    verdict
}

/// `ProducerStateManagerTest.testBasicIdMapping`.
///
/// Kafka's `ProducerStateManager` reports the retry of sequence 1 as out of order because
/// its log looks for duplicates separately (`UnifiedLog.analyzeAndValidateProducerState`);
/// our table does both in one check, so the retry is a duplicate with its original offset,
/// which is what Kafka's log answers (see `unified_log::test_duplicate_appends`).
#[test]
fn test_basic_id_mapping() {
    let mut table = ProducerStateTable::new();
    assert_eq!(append_client_entry(&mut table, 0, 0, 0), SequenceCheck::Accept);
    assert_eq!(append_client_entry(&mut table, 0, 1, 1), SequenceCheck::Accept);
    assert_eq!(
        append_client_entry(&mut table, 0, 1, 1),
        SequenceCheck::Duplicate {
            base_offset: 1,
            last_offset: 1
        }
    );
    assert_eq!(
        append_client_entry(&mut table, 0, 5, 2),
        SequenceCheck::OutOfOrder { expected_sequence: 2 }
    );
    assert_eq!(append_client_entry(&mut table, 1, 0, 3), SequenceCheck::Accept);
    assert_eq!(
        append_client_entry(&mut table, 0, 0, 4),
        SequenceCheck::StaleProducerEpoch { current_epoch: 1 }
    );
}

/// `ProducerStateManagerTest.testProducerSequenceWrapAround`
#[test]
fn test_producer_sequence_wrap_around() {
    let mut table = ProducerStateTable::new();
    table.record(idempotent(PRODUCER, 15, i32::MAX), 1, 735);
    assert_eq!(
        append_client_entry(&mut table, 15, 0, 1235),
        SequenceCheck::Accept
    );
    let entry = table.producer(PRODUCER).unwrap();
    assert_eq!(entry.producer_epoch, 15);
    assert_eq!(entry.batches.front().unwrap().first_sequence, i32::MAX);
    assert_eq!(entry.last_sequence(), Some(0));
}

/// `ProducerStateManagerTest.testProducerSequenceWithWrapAroundBatchRecord`
#[test]
fn test_producer_sequence_with_wrap_around_batch_record() {
    let mut table = ProducerStateTable::new();
    // Sequences i32::MAX - 10 ..= 9 are 21 records, at offsets 2000 ..= 2020.
    table.record(idempotent(PRODUCER, 15, i32::MAX - 10), 21, 2000);
    let batch = *table.producer(PRODUCER).unwrap().batches.back().unwrap();
    assert_eq!(batch.first_sequence, i32::MAX - 10);
    assert_eq!(batch.last_sequence, 9);
    assert_eq!(batch.base_offset, 2000);
    assert_eq!(batch.last_offset, 2020);
}

/// `ProducerStateManagerTest.testProducerSequenceInvalidWrapAround`
#[test]
fn test_producer_sequence_invalid_wrap_around() {
    let mut table = ProducerStateTable::new();
    table.record(idempotent(PRODUCER, 15, i32::MAX), 1, 735);
    assert_eq!(
        append_client_entry(&mut table, 15, 1, 1235),
        SequenceCheck::OutOfOrder { expected_sequence: 0 }
    );
}

/// `ProducerStateManagerTest.testNoValidationOnFirstEntryWhenLoadingLog`
#[test]
fn test_no_validation_on_first_entry_when_loading_log() {
    let mut table = ProducerStateTable::new();
    table.record(idempotent(PRODUCER, 5, 16), 1, 735);
    let entry = table.producer(PRODUCER).unwrap();
    assert_eq!(entry.producer_epoch, 5);
    let batch = entry.batches.back().unwrap();
    assert_eq!((batch.first_sequence, batch.last_sequence), (16, 16));
    assert_eq!((batch.base_offset, batch.last_offset), (735, 735));
}

/// `ProducerStateManagerTest.testPrepareUpdateDoesNotMutate`: judging a batch changes
/// nothing until it is recorded.
#[test]
fn test_prepare_update_does_not_mutate() {
    let mut table = ProducerStateTable::new();
    let before = table.clone();
    assert_eq!(table.check(idempotent(PRODUCER, 0, 0), 1), SequenceCheck::Accept);
    assert_eq!(table, before);
    assert!(table.producer(PRODUCER).is_none());
    table.record(idempotent(PRODUCER, 0, 0), 1, 0);
    let before = table.clone();
    assert_eq!(table.check(idempotent(PRODUCER, 0, 1), 1), SequenceCheck::Accept);
    assert_eq!(table, before);
}

/// `ProducerStateManagerTest.testOutOfSequenceAfterControlRecordEpochBump`, the part
/// without a control record: a new producer epoch must start again at sequence 0.
#[test]
fn test_out_of_sequence_after_epoch_bump() {
    let mut table = ProducerStateTable::new();
    append_client_entry(&mut table, 0, 0, 0);
    append_client_entry(&mut table, 0, 1, 1);
    assert_eq!(
        append_client_entry(&mut table, 1, 2, 2),
        SequenceCheck::OutOfOrder { expected_sequence: 0 }
    );
    assert_eq!(
        append_client_entry(&mut table, 2, 2, 2),
        SequenceCheck::OutOfOrder { expected_sequence: 0 }
    );
    assert_eq!(append_client_entry(&mut table, 1, 0, 2), SequenceCheck::Accept);
    let entry = table.producer(PRODUCER).unwrap();
    assert_eq!((entry.producer_epoch, entry.last_sequence()), (1, Some(0)));
}

/// A log holding batches of one record from [`PRODUCER`], epoch 0, sequences 0 and 1, at
/// offsets 0 and 1, one batch per segment.
async fn log_with_two_producer_batches(disk: &Arc<MemoryDisk>) -> korasim_core::broker::log::PartitionLog {
    let mut log = open_log(disk, one_batch_per_segment()).await;
    for sequence in 0..2 {
        log.append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, sequence), 0)
            .await
            .unwrap();
    }
    log
}

/// `ProducerStateManagerTest.testRemoveExpiredPidsOnReload`: once the producer is no longer
/// known, its next batch is accepted whatever its sequence and known again.
///
/// Kafka forgets the producer because `producer.id.expiration.ms` passed; we forget it
/// because retention deleted all its batches (we have no expiration clock; see
/// `test_pid_expiration_timeout`). The outcome asserted is Kafka's.
#[test]
fn test_remove_expired_pids_on_reload() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = log_with_two_producer_batches(&disk).await;
        log.delete_segments_before(2).await.unwrap();
        drop(log);
        let mut reopened = open_log(&disk, one_batch_per_segment()).await;
        assert_eq!(reopened.producer_state().producer_count(), 0);
        reopened
            .append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, 2), 0)
            .await
            .unwrap();
        assert_eq!(reopened.producer_state().producer_count(), 1);
        assert_eq!(
            reopened
                .producer_state()
                .producer(PRODUCER)
                .unwrap()
                .last_sequence(),
            Some(2)
        );
        assert_eq!(reopened.log_end_offset(), 3);
    });
}

/// `ProducerStateManagerTest.testAcceptAppendWithoutProducerStateOnReplica`
#[test]
fn test_accept_append_without_producer_state_on_replica() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = log_with_two_producer_batches(&disk).await;
        log.delete_segments_before(2).await.unwrap();
        assert!(log.producer_state().producer(PRODUCER).is_none());
        let replicated = RecordBatch {
            base_offset: 2,
            leader_epoch: 0,
            producer: idempotent(PRODUCER, 0, 2),
            create_timestamp_ms: 0,
            records: records(1, "r"),
        };
        log.append_as_follower(&replicated).await.unwrap();
        let entry = log.producer_state().producer(PRODUCER).unwrap();
        assert_eq!(entry.producer_epoch, 0);
        let batch = entry.batches.back().unwrap();
        assert_eq!((batch.first_sequence, batch.last_sequence), (2, 2));
    });
}

/// `ProducerStateManagerTest.testAcceptAppendWithSequenceGapsOnReplica`
#[test]
fn test_accept_append_with_sequence_gaps_on_replica() {
    run(async {
        let (_disk, mut log) = new_log().await;
        log.append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, 0), 0)
            .await
            .unwrap();
        let gap = log
            .append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, 3), 0)
            .await;
        assert!(matches!(gap, Err(LogError::OutOfOrderSequence { .. })));
        let last_sequence = |log: &korasim_core::broker::log::PartitionLog| {
            log.producer_state().producer(PRODUCER).unwrap().last_sequence()
        };
        assert_eq!(last_sequence(&log), Some(0));
        let replicated = RecordBatch {
            base_offset: 1,
            leader_epoch: 0,
            producer: idempotent(PRODUCER, 0, 3),
            create_timestamp_ms: 0,
            records: records(1, "r"),
        };
        log.append_as_follower(&replicated).await.unwrap();
        assert_eq!(last_sequence(&log), Some(3));
    });
}

/// `ProducerStateManagerTest.testTruncateFullyAndStartAt`: the producer is forgotten and
/// may start again at sequence 0.
#[test]
fn test_truncate_fully_and_start_at() {
    run(async {
        let (_disk, mut log) = new_log().await;
        for sequence in 0..3 {
            log.append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, sequence), 0)
                .await
                .unwrap();
        }
        log.truncate_fully_and_start_at(0).await.unwrap();
        assert_eq!(log.producer_state().producer_count(), 0);
        log.append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, 0), 0)
            .await
            .unwrap();
        assert_eq!(log.log_end_offset(), 1);
    });
}

/// `ProducerStateManagerTest.testLoadFromSnapshotRetainsNonExpiredProducers`.
///
/// Deliberate difference: Kafka's producer snapshot keeps producer 1 although its only
/// batch (offset 0) is now below the log start. We keep no snapshots: the producer state is
/// a function of the log's batches, so a producer whose batches retention deleted is
/// forgotten, and (as Kafka does for an expired producer) its next batch is accepted
/// whatever its sequence. Producer 2 is kept, with Kafka's values.
#[test]
fn test_load_from_snapshot_retains_non_expired_producers() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, one_batch_per_segment()).await;
        for producer_id in [1, 2] {
            log.append_as_leader(records(1, "p"), 0, idempotent(producer_id, 0, 0), 0)
                .await
                .unwrap();
        }
        log.delete_segments_before(1).await.unwrap();
        drop(log);
        let reopened = open_log(&disk, one_batch_per_segment()).await;
        let state = reopened.producer_state();
        assert!(state.producer(1).is_none(), "our difference: forgotten");
        let second = state.producer(2).unwrap().batches.back().copied().unwrap();
        assert_eq!((second.last_sequence, second.last_offset), (0, 1));
    });
}

/// `ProducerStateManagerTest.testPidExpirationTimeout`.
///
/// Deliberate difference: there is no `producer.id.expiration.ms`. The simulation has no
/// wall clock in the log, and a producer whose batches are in the log stays known however
/// long it is idle, so its next batch must still continue its sequence. Kafka accepts
/// sequence 1 after expiry because it accepts anything; we accept it because it is next,
/// and (unlike Kafka) refuse a gap.
#[test]
fn test_pid_expiration_timeout() {
    let mut table = ProducerStateTable::new();
    append_client_entry(&mut table, 5, 0, 1);
    assert_eq!(append_client_entry(&mut table, 5, 1, 2), SequenceCheck::Accept);
    assert_eq!(table.producer_count(), 1);
    assert_eq!(table.producer(PRODUCER).unwrap().last_sequence(), Some(1));
    assert_eq!(
        append_client_entry(&mut table, 5, 5, 3),
        SequenceCheck::OutOfOrder { expected_sequence: 2 }
    );
}

/// `ProducerStateManagerTest.testReloadSnapshots`, as far as it maps: the state rebuilt on
/// open from the log equals the state the log kept while appending.
#[test]
fn test_reload_rebuilds_the_same_state() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, LogParams::default()).await;
        for sequence in 1..5 {
            log.append_as_leader(records(1, "p"), 0, idempotent(PRODUCER, 0, sequence), 0)
                .await
                .unwrap();
        }
        let live = log.producer_state().clone();
        drop(log);
        let reopened = open_log(&disk, LogParams::default()).await;
        assert_eq!(reopened.producer_state(), &live);
        assert_eq!(live.producer(PRODUCER).unwrap().last_sequence(), Some(4));
    });
}
