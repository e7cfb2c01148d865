//! Kafka's `UnifiedLogTest` (core/src/test/scala/unit/kafka/log), the cases about offsets,
//! reads, truncation, retention, leader epochs and idempotent producers that map onto
//! [`PartitionLog`]. Transactions, compaction, timestamps, indexes, snapshots, message
//! formats and remote storage are left out.

use std::sync::Arc;

use korasim_core::broker::log::{
    EpochEntry, LeaderAppend, LogError, LogParams, PartitionLog, ProducerInfo, Record, RecordBatch,
};

use crate::support::{idempotent, new_log, open_log, records, run, MemoryDisk};

const PRODUCER: i64 = 1;

fn batch(base_offset: u64, leader_epoch: u64, producer: ProducerInfo, count: usize) -> RecordBatch {
    RecordBatch {
        base_offset,
        leader_epoch,
        producer,
        create_timestamp_ms: 0,
        records: records(count, "f"),
    }
}

/// Segments of `batches_per_segment` one-record batches (Kafka's
/// `segmentBytes = records.sizeInBytes * n`).
fn segments_of(batches_per_segment: u64) -> LogParams {
    let one = batch(0, 0, ProducerInfo::NONE, 1).encoded_size_bytes() as u64;
    LogParams {
        segment_bytes_max: one * batches_per_segment,
        segment_age_max_ms: u64::MAX,
    }
}

async fn append_plain(log: &mut PartitionLog, count: usize, leader_epoch: u64) -> LeaderAppend {
    log.append_as_leader(records(count, "a"), leader_epoch, ProducerInfo::NONE, 0)
        .await
        .unwrap()
}

async fn append_idempotent(
    log: &mut PartitionLog,
    count: usize,
    producer_epoch: i16,
    sequence: i32,
) -> Result<LeaderAppend, LogError> {
    log.append_as_leader(
        records(count, "i"),
        0,
        idempotent(PRODUCER, producer_epoch, sequence),
        0,
    )
    .await
}

/// `UnifiedLogTest.testTruncateFullyAndStart` (with an idempotent batch in place of the
/// transactional one). Kafka may restart the log with a start offset below the new end;
/// ours starts and ends at the offset given.
#[test]
fn test_truncate_fully_and_start() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, LogParams::default()).await;
        append_plain(&mut log, 3, 0).await;
        append_idempotent(&mut log, 2, 10, 0).await.unwrap();
        drop(log);
        let mut reopened = open_log(&disk, LogParams::default()).await;
        assert_eq!(reopened.producer_state().producer_count(), 1);
        reopened.truncate_fully_and_start_at(2).await.unwrap();
        assert_eq!(reopened.producer_state().producer_count(), 0);
        assert_eq!((reopened.log_start_offset(), reopened.log_end_offset()), (2, 2));
    });
}

/// `UnifiedLogTest.testTruncateBelowFirstUnstableOffset` (truncateTo variant, idempotent in
/// place of transactional): truncating below a producer's batches after a reopen forgets it.
#[test]
fn test_truncate_below_first_unstable_offset() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, LogParams::default()).await;
        append_plain(&mut log, 3, 0).await;
        append_idempotent(&mut log, 2, 10, 0).await.unwrap();
        drop(log);
        let mut reopened = open_log(&disk, LogParams::default()).await;
        reopened.truncate_to(0).await.unwrap();
        assert_eq!(reopened.producer_state().producer_count(), 0);
    });
}

/// `UnifiedLogTest.testNonSequentialAppend`
#[test]
fn test_non_sequential_append() {
    run(async {
        let (_disk, mut log) = new_log().await;
        append_idempotent(&mut log, 1, 0, 0).await.unwrap();
        assert!(matches!(
            append_idempotent(&mut log, 1, 0, 2).await,
            Err(LogError::OutOfOrderSequence {
                expected_sequence: 1,
                found_sequence: 2,
                ..
            })
        ));
    });
}

/// `UnifiedLogTest.testTruncateToEndOffsetClearsEpochCache`
#[test]
fn test_truncate_to_end_offset_clears_epoch_cache() {
    run(async {
        let (_disk, mut log) = new_log().await;
        log.truncate_fully_and_start_at(27).await.unwrap();
        log.append_as_follower(&batch(27, 19, ProducerInfo::NONE, 2))
            .await
            .unwrap();
        let latest = |log: &PartitionLog| log.leader_epoch_cache().latest_entry();
        let entry = |leader_epoch, start_offset| {
            Some(EpochEntry {
                leader_epoch,
                start_offset,
            })
        };
        assert_eq!(latest(&log), entry(19, 27));
        assert_eq!(log.log_end_offset(), 29);
        for (leader_epoch, truncation_offset) in [(20, 29), (24, 30)] {
            log.assign_epoch_start(leader_epoch).await.unwrap();
            assert_eq!(latest(&log), entry(leader_epoch, 29));
            log.truncate_to(truncation_offset).await.unwrap();
            assert_eq!(latest(&log), entry(19, 27));
            assert_eq!(log.log_end_offset(), 29);
        }
    });
}

/// `UnifiedLogTest.testProducerIdMapTruncateToWithNoSnapshots`
#[test]
fn test_producer_id_map_truncate_to_with_no_snapshots() {
    run(async {
        let (_disk, mut log) = new_log().await;
        append_idempotent(&mut log, 1, 0, 0).await.unwrap();
        append_idempotent(&mut log, 1, 0, 1).await.unwrap();
        log.truncate_to(1).await.unwrap();
        assert_eq!(log.producer_state().producer_count(), 1);
        assert_eq!(
            log.producer_state().producer(PRODUCER).unwrap().last_sequence(),
            Some(0)
        );
    });
}

/// `UnifiedLogTest.testProducerIdMapTruncateFullyAndStartAt`
#[test]
fn test_producer_id_map_truncate_fully_and_start_at() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(1)).await;
        for _ in 0..3 {
            append_plain(&mut log, 1, 0).await;
        }
        assert_eq!(log.segment_count(), 3);
        log.truncate_fully_and_start_at(29).await.unwrap();
        assert_eq!(log.segment_count(), 1);
        assert_eq!(log.log_end_offset(), 29);
    });
}

/// `UnifiedLogTest.testProducerIdExpirationOnSegmentDeletion`.
///
/// Deliberate difference: Kafka keeps producer 1 when retention deletes the segment with
/// its only batch (its state lives on in snapshots until `producer.id.expiration.ms`). Ours
/// is a function of the remaining batches, so producer 1 is forgotten (and may then start
/// at any sequence, as Kafka allows an expired producer); producer 2 stays.
#[test]
fn test_producer_id_expiration_on_segment_deletion() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(1)).await;
        log.append_as_leader(records(1, "p"), 0, idempotent(1, 0, 0), 0)
            .await
            .unwrap();
        for sequence in 0..2 {
            log.append_as_leader(records(1, "p"), 0, idempotent(2, 0, sequence), 0)
                .await
                .unwrap();
        }
        assert_eq!(log.segment_count(), 3);
        assert_eq!(log.producer_state().producer_count(), 2);
        log.delete_segments_before(1).await.unwrap();
        assert_eq!(log.segment_count(), 2);
        assert!(log.producer_state().producer(1).is_none(), "our difference");
        assert!(log.producer_state().producer(2).is_some());
    });
}

/// `UnifiedLogTest.testDuplicateAppends`
#[test]
fn test_duplicate_appends() {
    run(async {
        let (_disk, mut log) = new_log().await;
        for sequence in 0..6 {
            append_idempotent(&mut log, 1, 0, sequence).await.unwrap();
        }
        // A batch of three records, sequences 6 to 8, then its retry.
        let original = append_idempotent(&mut log, 3, 0, 6).await.unwrap();
        assert_eq!(original.last_offset() - original.base_offset() + 1, 3);
        let retry = append_idempotent(&mut log, 3, 0, 6).await.unwrap();
        assert_eq!(
            retry,
            LeaderAppend::Duplicate {
                base_offset: original.base_offset(),
                last_offset: original.last_offset()
            }
        );
        // A partial duplicate of the tail (sequences 7 and 8) is out of order.
        assert!(matches!(
            append_idempotent(&mut log, 2, 0, 7).await,
            Err(LogError::OutOfOrderSequence { .. })
        ));
        // The batch five back from the tail (sequence 2) is still remembered...
        assert!(matches!(
            append_idempotent(&mut log, 1, 0, 2).await,
            Ok(LeaderAppend::Duplicate { .. })
        ));
        // ...the one before it is not.
        assert!(matches!(
            append_idempotent(&mut log, 1, 0, 1).await,
            Err(LogError::OutOfOrderSequence { .. })
        ));
        let next = append_idempotent(&mut log, 1, 0, 9).await.unwrap();
        assert!(matches!(next, LeaderAppend::Appended { .. }));
        let again = append_idempotent(&mut log, 1, 0, 9).await.unwrap();
        assert_eq!(
            (again.base_offset(), again.last_offset()),
            (next.base_offset(), next.last_offset())
        );
    });
}

/// `UnifiedLogTest.testDuplicateAppendToFollower`: a follower does not validate sequences.
#[test]
fn test_duplicate_append_to_follower() {
    run(async {
        let (_disk, mut log) = new_log().await;
        let producer = idempotent(PRODUCER, 0, 0);
        log.append_as_follower(&batch(0, 0, producer, 2)).await.unwrap();
        log.append_as_follower(&batch(2, 0, producer, 2)).await.unwrap();
        assert_eq!(log.log_end_offset(), 4);
    });
}

/// `UnifiedLogTest.testMultipleProducersWithDuplicatesInSingleAppend` (one batch per append
/// here: our follower appends batch by batch).
#[test]
fn test_multiple_producers_with_duplicates_in_single_append() {
    run(async {
        let (_disk, mut log) = new_log().await;
        let batches = [(1, 0), (2, 0), (1, 1), (2, 1), (1, 1)];
        for (offset, (producer_id, sequence)) in batches.into_iter().enumerate() {
            let producer = idempotent(producer_id, 0, sequence);
            log.append_as_follower(&batch(offset as u64, 0, producer, 1))
                .await
                .unwrap();
        }
        assert_eq!(log.log_end_offset(), 5);
    });
}

/// `UnifiedLogTest.testOldProducerEpoch`
#[test]
fn test_old_producer_epoch() {
    run(async {
        let (_disk, mut log) = new_log().await;
        append_idempotent(&mut log, 1, 1, 0).await.unwrap();
        assert!(matches!(
            append_idempotent(&mut log, 1, 0, 0).await,
            Err(LogError::ProducerFenced {
                current_epoch: 1,
                found_epoch: 0,
                ..
            })
        ));
    });
}

/// `UnifiedLogTest.testLoadEmptyLog`
#[test]
fn test_load_empty_log() {
    run(async {
        let (_disk, mut log) = new_log().await;
        assert_eq!(append_plain(&mut log, 1, 0).await.base_offset(), 0);
    });
}

/// `UnifiedLogTest.testAppendAndReadWithSequentialOffsets`
#[test]
fn test_append_and_read_with_sequential_offsets() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(2)).await;
        let values: Vec<String> = (0..100).step_by(2).map(|id| id.to_string()).collect();
        for value in &values {
            log.append_as_leader(vec![Record::value_only(value.clone())], 0, ProducerInfo::NONE, 0)
                .await
                .unwrap();
        }
        for (offset, value) in values.iter().enumerate() {
            let read = log.read(offset as u64, 1).await.unwrap();
            assert_eq!(read[0].last_offset(), offset as u64);
            assert_eq!(read[0].records[0].key, None);
            assert_eq!(read[0].records[0].value, value.as_bytes());
        }
        assert!(log.read(values.len() as u64, 100).await.unwrap().is_empty());
    });
}

/// `UnifiedLogTest.testAppendAndReadWithNonSequentialOffsets`.
///
/// Deliberate difference: a Kafka follower accepts batches with gaps between their offsets
/// (which compaction leaves). We have no compaction, so a gap can only be a bug, and the
/// follower's append refuses it.
#[test]
fn test_append_and_read_with_non_sequential_offsets() {
    run(async {
        let (_disk, mut log) = new_log().await;
        log.append_as_follower(&batch(0, 0, ProducerInfo::NONE, 1))
            .await
            .unwrap();
        assert_eq!(
            log.append_as_follower(&batch(7, 0, ProducerInfo::NONE, 1)).await,
            Err(LogError::NonContiguousAppend {
                expected_offset: 1,
                found_offset: 7
            })
        );
    });
}

/// `UnifiedLogTest.testReadOutOfRange`
#[test]
fn test_read_out_of_range() {
    run(async {
        let (_disk, mut log) = new_log().await;
        log.truncate_fully_and_start_at(1024).await.unwrap();
        append_plain(&mut log, 1, 0).await;
        assert!(log.read(1025, 1000).await.unwrap().is_empty());
        assert!(matches!(
            log.read(0, 1000).await,
            Err(LogError::OffsetOutOfRange { .. })
        ));
        assert!(matches!(
            log.read(1026, 1000).await,
            Err(LogError::OffsetOutOfRange { .. })
        ));
    });
}

/// `UnifiedLogTest.testThatGarbageCollectingSegmentsDoesntChangeOffset`
#[test]
fn test_that_garbage_collecting_segments_doesnt_change_offset() {
    for messages_to_append in [0u64, 1, 25] {
        run(async move {
            let disk = Arc::new(MemoryDisk::default());
            let mut log = open_log(&disk, segments_of(2)).await;
            for _ in 0..messages_to_append {
                append_plain(&mut log, 1, 0).await;
            }
            let end = log.log_end_offset();
            assert_eq!(end, messages_to_append);
            log.delete_segments_before(end).await.unwrap();
            assert_eq!(log.log_end_offset(), end);
            assert_eq!(log.segment_count(), 1);
            let segments = log.segment_base_offsets();
            log.delete_segments_before(end).await.unwrap();
            assert_eq!(log.segment_base_offsets(), segments, "nothing more to delete");
            assert_eq!(append_plain(&mut log, 1, 0).await.base_offset(), end);
        });
    }
}

/// `UnifiedLogTest.testTruncateTo`
#[test]
fn test_truncate_to() {
    run(async {
        let messages_per_segment = 10u64;
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(messages_per_segment)).await;
        for _ in 0..messages_per_segment {
            append_plain(&mut log, 1, 0).await;
        }
        assert_eq!(log.segment_count(), 1);
        let last_offset = log.log_end_offset();
        assert_eq!(last_offset, messages_per_segment);
        let size = log.size_bytes();
        log.truncate_to(last_offset).await.unwrap();
        assert_eq!((log.log_end_offset(), log.size_bytes()), (last_offset, size));
        log.truncate_to(last_offset + 1).await.unwrap();
        assert_eq!((log.log_end_offset(), log.size_bytes()), (last_offset, size));
        log.truncate_to(messages_per_segment / 2).await.unwrap();
        assert_eq!(log.log_end_offset(), messages_per_segment / 2);
        assert!(log.size_bytes() < size);
        log.truncate_to(0).await.unwrap();
        assert_eq!((log.log_end_offset(), log.size_bytes()), (0, 0));
        for _ in 0..messages_per_segment {
            append_plain(&mut log, 1, 0).await;
        }
        assert_eq!((log.log_end_offset(), log.size_bytes()), (last_offset, size));
        log.truncate_fully_and_start_at(last_offset - (messages_per_segment - 1))
            .await
            .unwrap();
        assert_eq!(log.log_end_offset(), last_offset - (messages_per_segment - 1));
        assert_eq!(log.size_bytes(), 0);
        for _ in 0..messages_per_segment {
            append_plain(&mut log, 1, 0).await;
        }
        assert!(log.log_end_offset() > messages_per_segment);
        assert_eq!(log.size_bytes(), size);
        // Below the log start: the log empties and restarts there.
        log.truncate_to(0).await.unwrap();
        assert_eq!((log.log_end_offset(), log.size_bytes()), (0, 0));
    });
}

/// `UnifiedLogTest.testAppendWithOutOfOrderOffsetsThrowsException` (Kafka's
/// `OffsetsOutOfOrderException` is our `NonContiguousAppend`).
#[test]
fn test_append_with_out_of_order_offsets_throws_exception() {
    run(async {
        let (_disk, mut log) = new_log().await;
        for offset in [0, 1] {
            log.append_as_follower(&batch(offset, 0, ProducerInfo::NONE, 1))
                .await
                .unwrap();
        }
        assert!(matches!(
            log.append_as_follower(&batch(3, 0, ProducerInfo::NONE, 1)).await,
            Err(LogError::NonContiguousAppend { .. })
        ));
    });
}

/// `UnifiedLogTest.testAppendBelowExpectedOffsetThrowsException`
#[test]
fn test_append_below_expected_offset_throws_exception() {
    run(async {
        let (_disk, mut log) = new_log().await;
        append_plain(&mut log, 1, 0).await;
        append_plain(&mut log, 1, 0).await;
        assert_eq!(
            log.append_as_follower(&batch(1, 0, ProducerInfo::NONE, 1)).await,
            Err(LogError::NonContiguousAppend {
                expected_offset: 2,
                found_offset: 1
            })
        );
    });
}

/// `UnifiedLogTest.testAppendEmptyLogBelowLogStartOffsetThrowsException`
#[test]
fn test_append_empty_log_below_log_start_offset_throws_exception() {
    run(async {
        let (_disk, mut log) = new_log().await;
        log.truncate_fully_and_start_at(7).await.unwrap();
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (7, 7));
        assert_eq!(
            log.append_as_follower(&batch(4, 0, ProducerInfo::NONE, 3)).await,
            Err(LogError::NonContiguousAppend {
                expected_offset: 7,
                found_offset: 4
            })
        );
    });
}

/// `UnifiedLogTest.testDeleteOldSegments`, the epoch part.
///
/// Deliberate difference: when retention deletes every segment, Kafka's epoch cache keeps
/// only the latest epoch, moved to the log end. Ours keeps the whole history, as Kafka does
/// under tiered storage (KIP-405): the segments live on remotely, and a leader must still
/// answer `OffsetsForLeaderEpoch` for older epochs; cut to the local start, a zombie's tail
/// just below it would look shared with the new leader's epoch and be kept.
#[test]
fn test_delete_old_segments() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(5)).await;
        for _ in 0..100 {
            append_plain(&mut log, 1, 0).await;
        }
        log.assign_epoch_start(1).await.unwrap();
        log.delete_segments_before(log.log_end_offset()).await.unwrap();
        assert_eq!(log.segment_count(), 1);
        assert_eq!(log.log_start_offset(), 100);
        let history = [(0, 0), (1, 100)].map(|(leader_epoch, start_offset)| EpochEntry {
            leader_epoch,
            start_offset,
        });
        assert_eq!(log.leader_epoch_cache().entries(), history, "our difference");
    });
}

/// `UnifiedLogTest.testLogRolls`: reads across many segments return every batch in order.
#[test]
fn test_log_rolls() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, segments_of(3)).await;
        for i in 0..100 {
            log.append_as_leader(vec![Record::value_only(i.to_string())], 0, ProducerInfo::NONE, 0)
                .await
                .unwrap();
        }
        log.flush().await.unwrap();
        assert!(log.segment_count() > 1);
        let mut offset = 0;
        for i in 0..100 {
            let head = log.read(offset, 1024 * 1024).await.unwrap().remove(0);
            assert_eq!(head.last_offset(), offset);
            assert_eq!(head.records[0].value, i.to_string().as_bytes());
            offset = head.last_offset() + 1;
        }
        assert!(log.read(100, 1024 * 1024).await.unwrap().is_empty());
    });
}

/// `UnifiedLogTest.testProducerIdMapTruncateTo`, and Kafka's rule behind it: `truncateTo`
/// reloads the producer state from the log below the truncation point
/// (`UnifiedLog.rebuildProducerState`), so a producer's remembered batches after a
/// truncation are its last five in what remains, exactly as on reopen.
///
/// A producer wrote seven batches (sequences 0 to 6 at offsets 0 to 6); the log remembers
/// the last five. Truncating at 4 leaves sequences 0 to 3, all of which a rebuild
/// remembers, so a retry of sequence 1 is a duplicate at offset 1, live as after a reopen.
#[test]
fn test_producer_id_map_truncate_to() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let mut log = open_log(&disk, LogParams::default()).await;
        for sequence in 0..7 {
            append_idempotent(&mut log, 1, 0, sequence).await.unwrap();
        }
        log.truncate_to(4).await.unwrap();
        let live = log.producer_state().clone();
        let live_retry = append_idempotent(&mut log, 1, 0, 1).await;
        drop(log);
        let mut reopened = open_log(&disk, LogParams::default()).await;
        assert_eq!(reopened.producer_state(), &live);
        let reopened_retry = append_idempotent(&mut reopened, 1, 0, 1).await;
        let original = LeaderAppend::Duplicate {
            base_offset: 1,
            last_offset: 1,
        };
        assert_eq!(live_retry, Ok(original));
        assert_eq!(reopened_retry, Ok(original));
    });
}
