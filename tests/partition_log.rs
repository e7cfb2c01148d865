//! The partition log against the simulated disk's crash model: a crash keeps exactly the
//! flushed prefix and open cuts the torn tail; truncation and retention survive crashes;
//! corruption is detected; the leader-epoch cache and the producer state come back with the
//! log; and a follower that diverged truncates by leader epoch to the leader's history.

use std::sync::Arc;

use korasim_core::broker::log::{
    divergence_point, BatchDecodeError, BatchDefect, Divergence, EpochEndOffset, LeaderAppend, LogError,
    LogParams, LogRecovery, PartitionLog, ProducerInfo, Record, RecordBatch, TailCutReason,
};
use korasim_core::storage::Disk;
use korasim_sim::devices::disk::{DiskConfig, SimDisk};

const DIRECTORY: &str = "payments-3";
const SEEDS: std::ops::RangeInclusive<u64> = 1..=20;

fn runtime(seed: u64) -> madsim::runtime::Runtime {
    madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default())
}

/// Segments of a couple of kilobytes, so that every test crosses segment boundaries.
fn small_segments() -> LogParams {
    LogParams {
        segment_bytes_max: 2048,
        segment_age_max_ms: 60_000,
    }
}

/// A deterministic stream of numbers from a seed (splitmix64), for workload shapes.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.0;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn records(count: u64, label: &str, value_bytes: usize) -> Vec<Record> {
    (0..count)
        .map(|index| Record::value_only(format!("{label}-{index}-{}", "v".repeat(value_bytes)).into_bytes()))
        .collect()
}

async fn open(disk: &Arc<SimDisk>, params: LogParams) -> (PartitionLog, LogRecovery) {
    let shared: Arc<dyn Disk> = disk.clone();
    PartitionLog::open(shared, DIRECTORY, params)
        .await
        .expect("the log opens")
}

async fn read_everything(log: &PartitionLog) -> Vec<RecordBatch> {
    log.read(log.log_start_offset(), u64::MAX).await.unwrap()
}

/// Appends as leader and returns the batch the log now holds, for the expected history.
async fn append(
    log: &mut PartitionLog,
    records: Vec<Record>,
    leader_epoch: u64,
    timestamp_ms: u64,
) -> RecordBatch {
    let appended = log
        .append_as_leader(records.clone(), leader_epoch, ProducerInfo::NONE, timestamp_ms)
        .await
        .unwrap();
    let LeaderAppend::Appended { base_offset, .. } = appended else {
        panic!("a batch without a producer id is never a duplicate");
    };
    RecordBatch {
        base_offset,
        leader_epoch,
        producer: ProducerInfo::NONE,
        create_timestamp_ms: timestamp_ms,
        records,
    }
}

#[test]
fn a_crash_keeps_exactly_the_flushed_prefix_and_cuts_the_torn_tail() {
    let mut torn_tails_cut = 0;
    for seed in SEEDS {
        torn_tails_cut += runtime(seed).block_on(async move {
            let mut torn_tails_cut = 0;
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let mut numbers = Numbers(seed);
            let (mut log, _) = open(&disk, small_segments()).await;
            let mut history: Vec<RecordBatch> = Vec::new();
            let mut timestamp_ms = 0;
            for round in 0..3 {
                // Some flushed batches, then some that are not, then a crash that tears the
                // last write of every file it can.
                for _ in 0..4 + numbers.below(12) {
                    timestamp_ms += 1;
                    let value_bytes = numbers.below(200) as usize;
                    let batch = append(
                        &mut log,
                        records(1 + numbers.below(4), "f", value_bytes),
                        1,
                        timestamp_ms,
                    )
                    .await;
                    history.push(batch);
                }
                log.flush().await.unwrap();
                assert_eq!(log.flushed_end_offset(), log.log_end_offset());
                for _ in 0..1 + numbers.below(4) {
                    timestamp_ms += 1;
                    let value_bytes = numbers.below(200) as usize;
                    append(
                        &mut log,
                        records(1 + numbers.below(4), "u", value_bytes),
                        1,
                        timestamp_ms,
                    )
                    .await;
                }
                let flushed_end_offset = log.flushed_end_offset();
                assert!(flushed_end_offset < log.log_end_offset());
                drop(log);
                let crash = disk.crash(1.0);

                let (reopened, recovery) = open(&disk, small_segments()).await;
                log = reopened;
                assert_eq!(
                    log.log_end_offset(),
                    flushed_end_offset,
                    "seed {seed}, round {round}: exactly the flushed prefix survives"
                );
                assert_eq!(read_everything(&log).await, history, "seed {seed}, round {round}");
                match &recovery.cut {
                    Some(cut) => {
                        torn_tails_cut += 1;
                        assert!(cut.is_torn_write(), "seed {seed}: {cut:?}");
                        assert!(!crash.torn_writes.is_empty());
                        assert_eq!(disk.length(&cut.segment_file).await.unwrap(), cut.position_bytes);
                    }
                    None => assert!(
                        crash.torn_writes.is_empty(),
                        "seed {seed}: a torn write went unnoticed: {crash:?}"
                    ),
                }
                // Offsets go on from the end of the surviving prefix.
                timestamp_ms += 1;
                let next = append(&mut log, records(2, "next", 10), 1, timestamp_ms).await;
                assert_eq!(next.base_offset, flushed_end_offset);
                history.push(next);
                log.flush().await.unwrap();
            }
            torn_tails_cut
        });
    }
    assert!(
        torn_tails_cut > 10,
        "only {torn_tails_cut} crashes tore a segment"
    );
}

#[test]
fn the_flushed_end_offset_is_what_a_crash_keeps_at_any_moment() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let mut numbers = Numbers(seed ^ 0xF1);
            let (mut log, _) = open(&disk, small_segments()).await;
            for step in 0..40 + numbers.below(40) {
                let value_bytes = numbers.below(300) as usize;
                append(&mut log, records(1 + numbers.below(3), "s", value_bytes), 1, step).await;
                if numbers.below(4) == 0 {
                    log.flush().await.unwrap();
                }
            }
            let flushed_end_offset = log.flushed_end_offset();
            let history = read_everything(&log).await;
            drop(log);
            disk.crash(numbers.below(2) as f64);

            let (log, _) = open(&disk, small_segments()).await;
            assert_eq!(log.log_end_offset(), flushed_end_offset, "seed {seed}");
            let survivors = read_everything(&log).await;
            assert_eq!(survivors[..], history[..survivors.len()], "seed {seed}");
        });
    }
}

#[test]
fn a_truncation_survives_a_crash_and_the_log_goes_on_from_there() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let mut numbers = Numbers(seed ^ 0x7A);
            let (mut log, _) = open(&disk, small_segments()).await;
            let mut history = Vec::new();
            for step in 0..30 {
                history.push(append(&mut log, records(2, "old", 40), 1, step).await);
            }
            log.flush().await.unwrap();
            // A few unflushed batches too: truncation must not depend on a flush.
            for step in 30..33 {
                history.push(append(&mut log, records(2, "old", 40), 1, step).await);
            }
            let target = numbers.below(log.log_end_offset());
            let new_end = log.truncate_to(target).await.unwrap();
            assert!(
                new_end <= target && target - new_end < 2,
                "batches of two are dropped whole"
            );
            // Truncation is no flush: when the new end falls on a segment boundary, unflushed
            // batches just before it may still be lost.
            let flushed_end_offset = log.flushed_end_offset();
            assert!(
                (60.min(new_end)..=new_end).contains(&flushed_end_offset),
                "seed {seed}"
            );
            history.retain(|batch| batch.base_offset < flushed_end_offset);
            drop(log);
            disk.crash(1.0);

            let (mut log, recovery) = open(&disk, small_segments()).await;
            assert_eq!(
                recovery.cut, None,
                "seed {seed}: a truncation leaves nothing to cut"
            );
            assert_eq!(
                log.log_end_offset(),
                flushed_end_offset,
                "seed {seed}: truncated batches came back"
            );
            assert_eq!(read_everything(&log).await, history);
            let new_end = flushed_end_offset;

            // A new leader epoch takes over from the truncation point.
            for step in 0..5 {
                history.push(append(&mut log, records(1, "new", 10), 2, 100 + step).await);
            }
            assert_eq!(
                log.end_offset_for_epoch(1),
                Some(EpochEndOffset {
                    leader_epoch: 1,
                    end_offset: new_end
                })
            );
            log.flush().await.unwrap();
            drop(log);
            disk.crash(1.0);
            let (log, _) = open(&disk, small_segments()).await;
            assert_eq!(read_everything(&log).await, history, "seed {seed}");
            assert_eq!(log.end_offset_for_epoch(1).unwrap().end_offset, new_end);
        });
    }
}

#[test]
fn segments_roll_and_retention_moves_the_log_start_durably() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let mut numbers = Numbers(seed ^ 0x3C);
            let (mut log, _) = open(&disk, small_segments()).await;
            let mut history = Vec::new();
            for step in 0..60 {
                let value_bytes = numbers.below(150) as usize;
                history
                    .push(append(&mut log, records(1 + numbers.below(3), "r", value_bytes), 1, step).await);
            }
            log.flush().await.unwrap();
            let bases = log.segment_base_offsets();
            assert!(bases.len() >= 4, "seed {seed}: only {} segments", bases.len());
            for segment_file in log.segment_files() {
                assert!(disk.length(&segment_file).await.unwrap() <= 2048);
            }
            // Reading from the middle of one segment runs on through all later ones.
            let from = bases[1] + 1;
            let read = log.read(from, u64::MAX).await.unwrap();
            assert!(read[0].contains_offset(from));
            assert_eq!(read.last(), history.last());

            let retention_point = bases[2] + numbers.below(bases[3] - bases[2]);
            assert_eq!(
                log.delete_segments_before(retention_point).await.unwrap(),
                bases[2]
            );
            history.retain(|batch| batch.base_offset >= bases[2]);
            drop(log);
            disk.crash(1.0);

            let (mut log, recovery) = open(&disk, small_segments()).await;
            assert_eq!(recovery.cut, None);
            assert_eq!(log.log_start_offset(), bases[2], "seed {seed}");
            assert_eq!(read_everything(&log).await, history);
            let below_start = log.read(bases[2] - 1, 100).await;
            assert!(matches!(below_start, Err(LogError::OffsetOutOfRange { .. })));
            // Retention keeps the epoch history (the deleted segments live on in the remote
            // tier): it still reaches back to the first batch ever written.
            let cache = log.leader_epoch_cache().entries();
            assert_eq!(cache[0].start_offset, 0, "the epoch history outlives retention");
            assert_eq!(
                log.leader_epoch_cache().epoch_for_offset(bases[2]),
                Some(history[0].leader_epoch),
                "seed {seed}"
            );

            // Retention past the end keeps the end offset, across a crash too.
            let end = log.log_end_offset();
            assert_eq!(log.delete_segments_before(end + 10).await.unwrap(), end);
            drop(log);
            disk.crash(1.0);
            let (mut log, _) = open(&disk, small_segments()).await;
            assert_eq!(
                (log.log_start_offset(), log.log_end_offset()),
                (end, end),
                "seed {seed}"
            );
            let next = append(&mut log, records(1, "after", 1), 1, 1000).await;
            assert_eq!(next.base_offset, end);
        });
    }
}

#[test]
fn restarting_the_log_at_another_offset_survives_a_crash() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let (mut log, _) = open(&disk, small_segments()).await;
            for step in 0..30 {
                append(&mut log, records(1, "gone", 80), 1, step).await;
            }
            log.flush().await.unwrap();
            // A follower far behind its leader's log start starts over there.
            let restart_offset = 1000 + seed;
            log.truncate_fully_and_start_at(restart_offset).await.unwrap();
            assert!(log.leader_epoch_cache().is_empty());
            drop(log);
            disk.crash(1.0);

            let (mut log, recovery) = open(&disk, small_segments()).await;
            assert_eq!(recovery.cut, None);
            assert_eq!(
                (log.log_start_offset(), log.log_end_offset()),
                (restart_offset, restart_offset)
            );
            assert_eq!(log.segment_count(), 1);
            let next = append(&mut log, records(1, "new", 1), 4, 100).await;
            assert_eq!(next.base_offset, restart_offset, "seed {seed}");
        });
    }
}

#[test]
fn a_segment_older_than_the_age_limit_rolls() {
    runtime(1).block_on(async {
        let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), 1));
        let (mut log, _) = open(&disk, LogParams::default()).await;
        let ten_minutes_ms = 10 * 60 * 1000;
        append(&mut log, records(1, "a", 1), 1, 5_000).await;
        append(&mut log, records(1, "b", 1), 1, 5_000 + ten_minutes_ms - 1).await;
        assert_eq!(log.segment_count(), 1);
        append(&mut log, records(1, "c", 1), 1, 5_000 + ten_minutes_ms).await;
        assert_eq!(log.segment_base_offsets(), vec![0, 2]);
    });
}

#[test]
fn a_flipped_bit_in_a_flushed_batch_is_detected_on_read_and_cut_on_open() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let mut numbers = Numbers(seed ^ 0xB1);
            let (mut log, _) = open(&disk, small_segments()).await;
            for step in 0..40 {
                append(&mut log, records(1, "c", 60), 1, step).await;
            }
            log.flush().await.unwrap();
            let history = read_everything(&log).await;
            let batch_bytes = history[0].encoded_size_bytes() as u64;
            let segment_files = log.segment_files();
            let bases = log.segment_base_offsets();
            // Rot one bit past the length field of a batch in a segment that is not the last.
            let segment = numbers.below(bases.len() as u64 - 1) as usize;
            let batches_in_segment = bases[segment + 1] - bases[segment];
            let victim = numbers.below(batches_in_segment);
            let bit_in_batch = 32 + numbers.below((batch_bytes - 4) * 8);
            disk.flip_bit(&segment_files[segment], victim * batch_bytes * 8 + bit_in_batch)
                .unwrap();
            let victim_offset = bases[segment] + victim;

            let read = log.read(victim_offset, u64::MAX).await;
            assert!(
                matches!(read, Err(LogError::CorruptBatch { ref segment_file, .. }) if *segment_file == segment_files[segment]),
                "seed {seed}: {read:?}"
            );
            drop(log);

            let (log, recovery) = open(&disk, small_segments()).await;
            let cut = recovery.cut.expect("the corrupt batch is found");
            assert!(!cut.is_torn_write(), "seed {seed}: corruption is not a torn write");
            assert!(matches!(
                cut.reason,
                TailCutReason::InvalidBatch(BatchDefect::Undecodable(BatchDecodeError::ChecksumMismatch { .. }))
            ));
            assert_eq!(cut.segment_file, segment_files[segment]);
            assert_eq!(cut.position_bytes, victim * batch_bytes);
            assert_eq!(cut.deleted_segment_files, segment_files[segment + 1..].to_vec());
            assert_eq!(log.log_end_offset(), victim_offset, "open cuts from the first bad batch on");
            assert_eq!(read_everything(&log).await[..], history[..victim_offset as usize]);
        });
    }
}

#[test]
fn idempotent_producers_and_leader_epochs_come_back_after_a_crash() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("broker-1", DiskConfig::default(), seed));
            let (mut log, _) = open(&disk, small_segments()).await;
            let producer = |epoch, sequence| ProducerInfo::idempotent(900 + seed as i64, epoch, sequence);
            for batch in 0..8 {
                let leader_epoch = 1 + batch as u64 / 3;
                let appended = log
                    .append_as_leader(
                        records(2, "i", 30),
                        leader_epoch,
                        producer(0, batch * 2),
                        batch as u64,
                    )
                    .await
                    .unwrap();
                assert!(matches!(appended, LeaderAppend::Appended { .. }));
            }
            log.flush().await.unwrap();
            // This one is lost in the crash, so its retry must be written again.
            let lost = log
                .append_as_leader(records(2, "i", 30), 3, producer(0, 16), 8)
                .await
                .unwrap();
            let epochs = log.leader_epoch_cache().clone();
            drop(log);
            disk.crash(1.0);

            let (mut log, _) = open(&disk, small_segments()).await;
            assert_eq!(log.leader_epoch_cache(), &epochs, "seed {seed}");
            assert_eq!(
                log.append_as_leader(records(2, "i", 30), 3, producer(0, 14), 9)
                    .await,
                Ok(LeaderAppend::Duplicate {
                    base_offset: 14,
                    last_offset: 15
                }),
                "seed {seed}: a retry of a flushed batch is acknowledged with its offsets"
            );
            assert_eq!(
                log.append_as_leader(records(2, "i", 30), 3, producer(0, 16), 9)
                    .await,
                Ok(lost),
                "seed {seed}: the lost batch is written again at the same offsets"
            );
            assert_eq!(
                log.append_as_leader(records(1, "i", 30), 3, producer(0, 19), 9)
                    .await,
                Err(LogError::OutOfOrderSequence {
                    producer_id: 900 + seed as i64,
                    expected_sequence: 18,
                    found_sequence: 19
                })
            );
            assert!(matches!(
                log.append_as_leader(records(1, "i", 30), 3, producer(-1, 18), 9)
                    .await,
                Err(LogError::InvalidProducerInfo { .. })
            ));
        });
    }
}

/// KIP-101's divergence scenario end to end. Broker A leads epoch 1 and has flushed offsets
/// 0 and 1; follower B has only offset 0. Both crash. B comes back first, leads epoch 2 and
/// writes a different record at offset 1. A comes back as B's follower: by leader epoch it
/// drops its offset 1 (which B never had, so it was never committed) and then copies B's
/// history, ending byte for byte identical.
#[test]
fn a_diverged_follower_truncates_by_leader_epoch_and_converges() {
    for seed in SEEDS {
        runtime(seed).block_on(async move {
            let disk_a = Arc::new(SimDisk::new("broker-a", DiskConfig::default(), seed));
            let disk_b = Arc::new(SimDisk::new("broker-b", DiskConfig::default(), seed + 1000));
            let (mut log_a, _) = open(&disk_a, small_segments()).await;
            let (mut log_b, _) = open(&disk_b, small_segments()).await;
            log_a.assign_epoch_start(1).await.unwrap();
            let m0 = append(&mut log_a, records(1, "m0", 5), 1, 1).await;
            append(&mut log_a, records(1, "m1-from-a", 5), 1, 2).await;
            log_a.flush().await.unwrap();
            log_b.append_as_follower(&m0).await.unwrap();
            log_b.flush().await.unwrap();
            drop((log_a, log_b));
            disk_a.crash(1.0);
            disk_b.crash(1.0);

            let (mut log_b, _) = open(&disk_b, small_segments()).await;
            log_b.assign_epoch_start(2).await.unwrap();
            for step in 0..(3 + seed % 5) {
                append(&mut log_b, records(1, "from-b", 5), 2, 10 + step).await;
            }
            log_b.flush().await.unwrap();

            let (mut log_a, _) = open(&disk_a, small_segments()).await;
            assert_eq!(log_a.log_end_offset(), 2);
            let asked_epoch = log_a.latest_leader_epoch().unwrap();
            let answer = log_b.end_offset_for_epoch(asked_epoch);
            assert_eq!(
                answer,
                Some(EpochEndOffset {
                    leader_epoch: 1,
                    end_offset: 1
                })
            );
            let divergence = divergence_point(log_a.leader_epoch_cache(), log_a.log_end_offset(), answer);
            assert_eq!(divergence, Divergence::TruncateTo { offset: 1 });
            assert_eq!(log_a.truncate_to(1).await.unwrap(), 1);
            for batch in log_b.read(log_a.log_end_offset(), u64::MAX).await.unwrap() {
                log_a.append_as_follower(&batch).await.unwrap();
            }
            log_a.flush().await.unwrap();

            assert_eq!(read_everything(&log_a).await, read_everything(&log_b).await);
            assert_eq!(log_a.leader_epoch_cache(), log_b.leader_epoch_cache());
            for (file_a, file_b) in log_a.segment_files().iter().zip(log_b.segment_files()) {
                assert_eq!(
                    disk_a.durable_contents(file_a),
                    disk_b.durable_contents(&file_b),
                    "seed {seed}"
                );
            }
        });
    }
}
