//! The partition log on a disk that never fails and never crashes: offsets, reads, segment
//! rolls, truncation, retention, reopening, and the caches that follow the log. Crashes are
//! tested against the simulated disk in `tests/partition_log.rs`.

use std::sync::Arc;

use bytes::Bytes;

use super::memory_disk::{run, MemoryDisk};
use super::*;
use crate::storage::Disk;

const DIRECTORY: &str = "orders-0";

fn small_segments() -> LogParams {
    LogParams {
        segment_bytes_max: 400,
        segment_age_max_ms: 60_000,
    }
}

fn records(count: usize, label: &str) -> Vec<Record> {
    (0..count)
        .map(|index| {
            Record::new(
                Some(Bytes::from(format!("key-{index}"))),
                Bytes::from(format!("{label}-{index}")),
            )
        })
        .collect()
}

async fn open(disk: &Arc<MemoryDisk>, params: LogParams) -> (PartitionLog, LogRecovery) {
    let disk: Arc<dyn Disk> = disk.clone();
    PartitionLog::open(disk, DIRECTORY, params)
        .await
        .expect("the log opens")
}

async fn read_everything(log: &PartitionLog) -> Vec<RecordBatch> {
    log.read(log.log_start_offset(), u64::MAX).await.unwrap()
}

#[test]
fn a_new_log_is_empty_at_offset_zero() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (log, recovery) = open(&disk, LogParams::default()).await;
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (0, 0));
        assert_eq!(recovery.cut, None);
        assert_eq!(log.read(0, 1000).await.unwrap(), Vec::new());
        assert!(matches!(
            log.read(1, 1000).await,
            Err(LogError::OffsetOutOfRange { .. })
        ));
    });
}

#[test]
fn the_leader_assigns_consecutive_offsets_and_reads_return_whole_batches() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, LogParams::default()).await;
        let first = log
            .append_as_leader(records(3, "a"), 1, ProducerInfo::NONE, 10)
            .await
            .unwrap();
        let second = log
            .append_as_leader(records(2, "b"), 1, ProducerInfo::NONE, 11)
            .await
            .unwrap();
        assert_eq!(
            first,
            LeaderAppend::Appended {
                base_offset: 0,
                last_offset: 2
            }
        );
        assert_eq!(
            second,
            LeaderAppend::Appended {
                base_offset: 3,
                last_offset: 4
            }
        );
        assert_eq!(log.log_end_offset(), 5);

        let from_middle = log.read(1, u64::MAX).await.unwrap();
        assert_eq!(from_middle.len(), 2);
        assert_eq!(
            from_middle[0].base_offset, 0,
            "the batch holding offset 1 comes whole"
        );
        assert_eq!(from_middle[1].records, records(2, "b"));
        let one_byte = log.read(0, 1).await.unwrap();
        assert_eq!(one_byte.len(), 1, "at least one batch, however small the limit");
        assert_eq!(log.read(5, 100).await.unwrap(), Vec::new());
    });
}

#[test]
fn segments_roll_by_size_and_by_age_and_reads_cross_them() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, small_segments()).await;
        for batch in 0..10 {
            log.append_as_leader(records(2, "x"), 1, ProducerInfo::NONE, batch)
                .await
                .unwrap();
        }
        let by_size = log.segment_count();
        assert!(
            by_size > 2,
            "400-byte segments hold a few batches each, got {by_size}"
        );
        log.append_as_leader(records(1, "late"), 1, ProducerInfo::NONE, 10 + 60_000)
            .await
            .unwrap();
        assert_eq!(
            log.segment_count(),
            by_size + 1,
            "a batch a minute younger than the first rolls"
        );
        assert_eq!(*log.segment_base_offsets().last().unwrap(), 20);

        let everything = read_everything(&log).await;
        let offsets: Vec<u64> = everything.iter().map(|batch| batch.base_offset).collect();
        assert_eq!(offsets, (0..=20).step_by(2).collect::<Vec<_>>());
        let limited = log.read(0, 300).await.unwrap();
        let limited_bytes: usize = limited.iter().map(RecordBatch::encoded_size_bytes).sum();
        assert!(limited_bytes <= 300 && !limited.is_empty());
    });
}

#[test]
fn reopening_finds_the_same_log_epochs_and_producers() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, small_segments()).await;
        let producer = |sequence| ProducerInfo::idempotent(42, 0, sequence);
        for batch in 0..6u64 {
            let epoch = 1 + batch / 3;
            log.append_as_leader(records(2, "p"), epoch, producer(batch as i32 * 2), batch)
                .await
                .unwrap();
        }
        log.flush().await.unwrap();
        let before = read_everything(&log).await;
        let epochs_before = log.leader_epoch_cache().clone();
        drop(log);

        let (mut log, recovery) = open(&disk, small_segments()).await;
        assert_eq!(recovery.cut, None);
        assert_eq!(recovery.batch_count, 6);
        assert_eq!(read_everything(&log).await, before);
        assert_eq!(log.leader_epoch_cache(), &epochs_before);
        assert_eq!(
            log.leader_epoch_cache().entries(),
            vec![
                EpochEntry {
                    leader_epoch: 1,
                    start_offset: 0
                },
                EpochEntry {
                    leader_epoch: 2,
                    start_offset: 6
                },
            ]
        );
        let retry = log
            .append_as_leader(records(2, "p"), 2, producer(10), 99)
            .await
            .unwrap();
        assert_eq!(
            retry,
            LeaderAppend::Duplicate {
                base_offset: 10,
                last_offset: 11
            }
        );
        let gap = log.append_as_leader(records(2, "p"), 2, producer(14), 99).await;
        assert_eq!(
            gap,
            Err(LogError::OutOfOrderSequence {
                producer_id: 42,
                expected_sequence: 12,
                found_sequence: 14
            })
        );
    });
}

#[test]
fn followers_keep_the_leaders_offsets_and_refuse_gaps_and_old_epochs() {
    run(async {
        let leader_disk = Arc::new(MemoryDisk::default());
        let follower_disk = Arc::new(MemoryDisk::default());
        let (mut leader, _) = open(&leader_disk, LogParams::default()).await;
        let (mut follower, _) = open(&follower_disk, LogParams::default()).await;
        for epoch in [1, 1, 3] {
            leader
                .append_as_leader(records(4, "r"), epoch, ProducerInfo::NONE, 0)
                .await
                .unwrap();
        }
        let batches = read_everything(&leader).await;
        assert_eq!(
            follower.append_as_follower(&batches[1]).await,
            Err(LogError::NonContiguousAppend {
                expected_offset: 0,
                found_offset: 4
            })
        );
        for batch in &batches {
            follower.append_as_follower(batch).await.unwrap();
        }
        assert_eq!(read_everything(&follower).await, batches);
        assert_eq!(follower.leader_epoch_cache(), leader.leader_epoch_cache());
        let stale = RecordBatch {
            base_offset: 12,
            leader_epoch: 2,
            ..batches[0].clone()
        };
        assert_eq!(
            follower.append_as_follower(&stale).await,
            Err(LogError::StaleLeaderEpoch {
                latest_epoch: 3,
                found_epoch: 2
            })
        );
        assert_eq!(
            leader
                .append_as_leader(records(1, "old"), 2, ProducerInfo::NONE, 0)
                .await,
            Err(LogError::StaleLeaderEpoch {
                latest_epoch: 3,
                found_epoch: 2
            })
        );
    });
}

#[test]
fn truncation_drops_whole_batches_across_segments_and_the_epochs_with_them() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, small_segments()).await;
        for batch in 0..12u64 {
            log.append_as_leader(records(2, "t"), 1 + batch / 4, ProducerInfo::NONE, batch)
                .await
                .unwrap();
        }
        assert_eq!(log.leader_epoch_cache().latest_epoch(), Some(3));
        let segments_before = log.segment_count();

        // Batches of two records: epoch 1 holds offsets 0 to 7, epoch 2 from 8, epoch 3 from 16.
        assert_eq!(
            log.truncate_to(11).await.unwrap(),
            10,
            "offset 11 is inside the batch at 10"
        );
        assert_eq!(log.log_end_offset(), 10);
        assert!(log.segment_count() < segments_before);
        assert_eq!(log.leader_epoch_cache().latest_epoch(), Some(2));
        assert_eq!(
            log.end_offset_for_epoch(2),
            Some(EpochEndOffset {
                leader_epoch: 2,
                end_offset: 10
            })
        );

        let next = log
            .append_as_leader(records(1, "after"), 4, ProducerInfo::NONE, 20)
            .await
            .unwrap();
        assert_eq!(next.base_offset(), 10);
        drop(log);
        let (log, recovery) = open(&disk, small_segments()).await;
        assert_eq!(recovery.cut, None);
        assert_eq!(log.log_end_offset(), 11);
        assert_eq!(
            log.end_offset_for_epoch(2),
            Some(EpochEndOffset {
                leader_epoch: 2,
                end_offset: 10
            })
        );
        assert_eq!(log.latest_leader_epoch(), Some(4));
    });
}

#[test]
fn a_deposed_leaders_epoch_at_the_log_end_goes_on_truncation_and_on_open() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, LogParams::default()).await;
        log.append_as_leader(records(2, "e"), 1, ProducerInfo::NONE, 0)
            .await
            .unwrap();
        log.assign_epoch_start(2).await.unwrap();
        assert_eq!(
            log.end_offset_for_epoch(1),
            Some(EpochEndOffset {
                leader_epoch: 1,
                end_offset: 2
            })
        );
        assert_eq!(log.truncate_to(2).await.unwrap(), 2);
        assert_eq!(log.latest_leader_epoch(), Some(1));

        log.assign_epoch_start(5).await.unwrap();
        drop(log);
        let (log, _) = open(&disk, LogParams::default()).await;
        assert_eq!(
            log.latest_leader_epoch(),
            Some(1),
            "open drops epochs that start at the log end"
        );
    });
}

#[test]
fn truncation_rebuilds_the_producer_state_from_the_log() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, LogParams::default()).await;
        let producer = |sequence| ProducerInfo::idempotent(7, 0, sequence);
        for batch in 0..8 {
            log.append_as_leader(records(1, "s"), 1, producer(batch), 0)
                .await
                .unwrap();
        }
        // Dropping the last five batches empties the producer's remembered window, so the
        // log must look further back to know the producer stopped at sequence 2.
        log.truncate_to(3).await.unwrap();
        assert_eq!(log.producer_state().producer(7).unwrap().last_sequence(), Some(2));
        assert_eq!(
            log.append_as_leader(records(1, "s"), 1, producer(2), 0)
                .await
                .unwrap(),
            LeaderAppend::Duplicate {
                base_offset: 2,
                last_offset: 2
            }
        );
        assert_eq!(
            log.append_as_leader(records(1, "s"), 1, producer(3), 0)
                .await
                .unwrap(),
            LeaderAppend::Appended {
                base_offset: 3,
                last_offset: 3
            }
        );
    });
}

#[test]
fn truncating_below_the_start_restarts_the_log_there() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, small_segments()).await;
        for batch in 0..10 {
            log.append_as_leader(records(2, "r"), 1, ProducerInfo::NONE, batch)
                .await
                .unwrap();
        }
        let start = log.delete_segments_before(10).await.unwrap();
        assert!(start > 0 && start <= 10);
        assert_eq!(log.truncate_to(1).await.unwrap(), 1);
        assert_eq!(
            (log.log_start_offset(), log.log_end_offset(), log.segment_count()),
            (1, 1, 1)
        );
        assert!(log.leader_epoch_cache().is_empty());

        log.truncate_fully_and_start_at(500).await.unwrap();
        drop(log);
        let (mut log, _) = open(&disk, small_segments()).await;
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (500, 500));
        let next = log
            .append_as_leader(records(1, "n"), 2, ProducerInfo::NONE, 0)
            .await
            .unwrap();
        assert_eq!(next.base_offset(), 500);
    });
}

#[test]
fn retention_deletes_whole_segments_and_may_empty_the_log_without_moving_its_end() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, small_segments()).await;
        for batch in 0..12u64 {
            log.append_as_leader(records(2, "d"), 1 + batch / 6, ProducerInfo::NONE, batch)
                .await
                .unwrap();
        }
        let bases = log.segment_base_offsets();
        let second = bases[1];
        assert_eq!(log.delete_segments_before(second + 1).await.unwrap(), second);
        assert_eq!(log.log_start_offset(), second);
        assert!(matches!(
            log.read(0, 100).await,
            Err(LogError::OffsetOutOfRange { .. })
        ));
        // The epoch history outlives the deleted segments: epoch 1 still starts at 0 and
        // ends where epoch 2 starts, whatever the local start.
        let epoch_2_start = log.leader_epoch_cache().entries()[1].start_offset;
        assert_eq!(log.leader_epoch_cache().entries()[0].start_offset, 0);
        assert_eq!(log.end_offset_for_epoch(1).unwrap().end_offset, epoch_2_start);

        let end = log.log_end_offset();
        assert_eq!(log.delete_segments_before(end).await.unwrap(), end);
        assert_eq!((log.segment_count(), log.batch_count()), (1, 0));
        drop(log);
        let (mut log, _) = open(&disk, small_segments()).await;
        assert_eq!((log.log_start_offset(), log.log_end_offset()), (end, end));
        let next = log
            .append_as_leader(records(1, "n"), 2, ProducerInfo::NONE, 0)
            .await
            .unwrap();
        assert_eq!(next.base_offset(), end);
    });
}

#[test]
fn a_flipped_bit_is_reported_by_read_and_cut_by_open() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let (mut log, _) = open(&disk, LogParams::default()).await;
        for batch in 0..5 {
            log.append_as_leader(records(1, "c"), 1, ProducerInfo::NONE, batch)
                .await
                .unwrap();
        }
        let batch_bytes = read_everything(&log).await[0].encoded_size_bytes() as u64;
        let file = log.segment_files()[0].clone();
        // A bit in the value of the batch at offset 3.
        disk.flip_bit(&file, (3 * batch_bytes + batch_bytes - 2) * 8);

        assert!(matches!(
            log.read(3, 100).await,
            Err(LogError::CorruptBatch { .. })
        ));
        assert_eq!(
            log.read(0, 1).await.unwrap().len(),
            1,
            "batches before it still read"
        );
        drop(log);
        let (log, recovery) = open(&disk, LogParams::default()).await;
        let cut = recovery.cut.expect("the corrupt batch is cut");
        assert!(!cut.is_torn_write());
        assert!(matches!(
            cut.reason,
            TailCutReason::InvalidBatch(BatchDefect::Undecodable(
                BatchDecodeError::ChecksumMismatch { .. }
            ))
        ));
        assert_eq!(cut.position_bytes, 3 * batch_bytes);
        assert_eq!(cut.discarded_bytes, 2 * batch_bytes);
        assert_eq!(log.log_end_offset(), 3);
    });
}

/// The log's futures must be `Send`, so that a broker can run them on spawned tasks. This
/// only has to compile.
#[allow(dead_code)]
fn log_futures_are_send(log: &mut PartitionLog, disk: Arc<dyn Disk>) {
    fn send<T: Send>(_: T) {}
    send(PartitionLog::open(disk, DIRECTORY, LogParams::default()));
    send(log.append_as_leader(Vec::new(), 1, ProducerInfo::NONE, 0));
    send(log.read(0, 1));
    send(log.flush());
    send(log.truncate_to(0));
    send(log.delete_segments_before(0));
}
