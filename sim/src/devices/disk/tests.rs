//! Behaviour of the simulated disk, each test in its own madsim runtime.

use std::sync::Arc;
use std::time::Duration;

use korasim_core::storage::{Disk, DiskError, DiskOperation};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use super::{DiskConfig, DiskLatencyProfile, OperationLatency, SimDisk};

/// madsim moves the clock forward by up to a few hundred nanoseconds per scheduling step and
/// timer, so simulated durations are compared with this much slack.
const CLOCK_SLACK: Duration = Duration::from_micros(5);

fn disk_without_latency() -> SimDisk {
    SimDisk::new("test-disk", DiskConfig::without_latency(), 1)
}

fn disk_with_fixed_latency(latency_us: u64) -> SimDisk {
    let config = DiskConfig {
        latency: DiskLatencyProfile::uniform(OperationLatency::fixed(latency_us)),
        capacity_bytes: None,
        operations_per_second_max: None,
        write_bytes_per_second_max: None,
    };
    SimDisk::new("test-disk", config, 1)
}

async fn read_all(disk: &SimDisk, file: &str) -> Vec<u8> {
    let length_bytes = disk.length(file).await.unwrap();
    disk.read(file, 0, length_bytes).await.unwrap().to_vec()
}

async fn elapsed<T>(operation: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started_at = Instant::now();
    let output = operation.await;
    (output, started_at.elapsed())
}

fn assert_close(actual: Duration, expected: Duration) {
    let difference = actual.abs_diff(expected);
    assert!(
        difference <= CLOCK_SLACK,
        "took {actual:?}, expected {expected:?}"
    );
}

fn count_differing_bits(left: &[u8], right: &[u8]) -> u32 {
    assert_eq!(left.len(), right.len());
    left.iter().zip(right).map(|(l, r)| (l ^ r).count_ones()).sum()
}

#[madsim::test]
async fn append_returns_offsets_and_reads_see_the_data_at_once() {
    let disk = disk_without_latency();
    assert_eq!(disk.append("log", b"hello").await, Ok(0));
    assert_eq!(disk.append("log", b" world").await, Ok(5));
    assert_eq!(disk.length("log").await, Ok(11));
    assert_eq!(read_all(&disk, "log").await, b"hello world");
    assert_eq!(disk.read("log", 6, 3).await.unwrap().as_ref(), b"wor");
    // A read reaching past the end is cut short; a read starting at the end is empty.
    assert_eq!(disk.read("log", 6, 100).await.unwrap().as_ref(), b"world");
    assert!(disk.read("log", 11, 4).await.unwrap().is_empty());
    assert_eq!(disk.used_bytes(), 11);
}

#[madsim::test]
async fn operations_on_missing_files_and_past_the_end_fail_as_specified() {
    let disk = disk_without_latency();
    disk.append("log", b"abc").await.unwrap();
    let not_found = DiskError::NotFound {
        file: "missing".to_string(),
    };
    assert_eq!(disk.read("missing", 0, 1).await, Err(not_found.clone()));
    assert_eq!(disk.length("missing").await, Err(not_found.clone()));
    assert_eq!(disk.truncate("missing", 0).await, Err(not_found.clone()));
    assert_eq!(disk.sync("missing").await, Err(not_found));
    assert_eq!(
        disk.read("log", 4, 1).await,
        Err(DiskError::OutOfRange {
            file: "log".to_string(),
            offset: 4,
            length_bytes: 3,
        })
    );
    assert_eq!(disk.delete("missing").await, Ok(()));
}

#[madsim::test]
async fn list_returns_the_names_with_the_prefix_in_order() {
    let disk = disk_without_latency();
    for name in ["raft/log", "broker/b", "raft/meta", "broker/a", "brokers", "c"] {
        disk.append(name, b"x").await.unwrap();
    }
    assert_eq!(
        disk.list("broker/").await.unwrap(),
        vec!["broker/a".to_string(), "broker/b".to_string()]
    );
    assert_eq!(disk.list("").await.unwrap().len(), 6);
    assert!(disk.list("zzz").await.unwrap().is_empty());
}

#[madsim::test]
async fn truncate_cuts_the_file_and_ignores_a_longer_length() {
    let disk = disk_without_latency();
    disk.append("log", b"abcdef").await.unwrap();
    disk.truncate("log", 10).await.unwrap();
    assert_eq!(read_all(&disk, "log").await, b"abcdef");
    disk.truncate("log", 2).await.unwrap();
    assert_eq!(read_all(&disk, "log").await, b"ab");
    assert_eq!(disk.append("log", b"Z").await, Ok(2));
}

#[madsim::test]
async fn delete_removes_the_file_durably() {
    let disk = disk_without_latency();
    disk.append("log", b"abc").await.unwrap();
    disk.sync("log").await.unwrap();
    disk.delete("log").await.unwrap();
    assert!(disk.list("").await.unwrap().is_empty());
    disk.crash(0.0);
    assert!(disk.list("").await.unwrap().is_empty());
    assert_eq!(disk.used_bytes(), 0);
}

#[madsim::test]
async fn crash_drops_unsynced_appends_and_keeps_synced_ones() {
    let disk = disk_without_latency();
    disk.append("log", b"durable").await.unwrap();
    disk.sync("log").await.unwrap();
    disk.append("log", b"-lost").await.unwrap();
    disk.append("other", b"kept").await.unwrap();
    disk.sync("other").await.unwrap();

    let report = disk.crash(0.0);
    assert_eq!(report.reverted_files, vec!["log".to_string()]);
    assert!(report.removed_files.is_empty());
    assert!(report.torn_writes.is_empty());
    assert_eq!(read_all(&disk, "log").await, b"durable");
    assert_eq!(read_all(&disk, "other").await, b"kept");
    // Appending after the crash continues from the durable end.
    assert_eq!(disk.append("log", b"!").await, Ok(7));
}

#[madsim::test]
async fn crash_removes_files_that_were_never_synced() {
    let disk = disk_without_latency();
    disk.append("fresh", b"never synced").await.unwrap();
    let report = disk.crash(1.0);
    assert_eq!(report.removed_files, vec!["fresh".to_string()]);
    assert!(report.torn_writes.is_empty());
    assert_eq!(
        disk.length("fresh").await,
        Err(DiskError::NotFound {
            file: "fresh".to_string()
        })
    );
}

#[madsim::test]
async fn crash_after_an_unsynced_truncate_restores_the_contents_before_it() {
    let disk = disk_without_latency();
    disk.append("log", b"0123456789").await.unwrap();
    disk.sync("log").await.unwrap();
    disk.truncate("log", 4).await.unwrap();
    disk.append("log", b"abcdefghijkl").await.unwrap();
    disk.truncate("log", 2).await.unwrap();
    assert_eq!(read_all(&disk, "log").await, b"01");
    assert_eq!(disk.durable_contents("log").unwrap().as_ref(), b"0123456789");

    disk.crash(0.0);
    assert_eq!(read_all(&disk, "log").await, b"0123456789");

    // A synced truncate, by contrast, is durable.
    disk.truncate("log", 3).await.unwrap();
    disk.sync("log").await.unwrap();
    disk.crash(0.0);
    assert_eq!(read_all(&disk, "log").await, b"012");
}

#[madsim::test]
async fn torn_final_write_leaves_a_strict_prefix_of_the_last_unsynced_append() {
    let mut kept_lengths = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let disk = SimDisk::new("test-disk", DiskConfig::without_latency(), seed);
        disk.append("log", b"durable|").await.unwrap();
        disk.sync("log").await.unwrap();
        disk.append("log", b"lost|").await.unwrap();
        disk.append("log", b"torn-append").await.unwrap();

        let report = disk.crash(1.0);
        assert_eq!(report.torn_writes.len(), 1);
        let torn_write = &report.torn_writes[0];
        assert_eq!(torn_write.append_bytes, 11);
        let contents = read_all(&disk, "log").await;
        let torn_prefix = contents.strip_prefix(b"durable|").expect("durable bytes kept");
        assert!(!torn_prefix.is_empty() && torn_prefix.len() < 11);
        assert_eq!(torn_prefix, &b"torn-append"[..torn_prefix.len()]);
        assert_eq!(torn_prefix.len() as u64, torn_write.kept_bytes);
        kept_lengths.insert(torn_prefix.len());

        // The torn prefix is on the medium now, so a second crash keeps it.
        disk.crash(1.0);
        assert_eq!(read_all(&disk, "log").await, contents);
    }
    assert!(kept_lengths.len() > 5, "torn lengths vary: {kept_lengths:?}");
}

#[madsim::test]
async fn latency_below_a_millisecond_is_honoured() {
    let disk = disk_with_fixed_latency(100);
    let (_, took) = elapsed(disk.append("log", b"x")).await;
    assert_close(took, Duration::from_micros(100));
}

#[madsim::test]
async fn zero_latency_takes_no_simulated_time() {
    let disk = disk_without_latency();
    let (_, took) = elapsed(disk.append("log", b"x")).await;
    assert!(took < Duration::from_micros(1), "took {took:?}");
}

#[madsim::test]
async fn latency_multiplier_makes_operations_twenty_times_slower() {
    let disk = disk_with_fixed_latency(100);
    let (_, normal) = elapsed(append_then_sync(&disk)).await;
    disk.set_latency_multiplier(20.0);
    let (_, slow) = elapsed(append_then_sync(&disk)).await;
    assert_close(normal, Duration::from_micros(200));
    assert_close(slow, Duration::from_micros(4000));
}

/// An append followed by a sync, the write path of every log.
async fn append_then_sync(disk: &SimDisk) {
    disk.append("log", b"record").await.unwrap();
    disk.sync("log").await.unwrap();
}

#[madsim::test]
async fn stall_blocks_operations_until_release() {
    let disk = Arc::new(disk_with_fixed_latency(100));
    disk.stall();
    let append = tokio::spawn({
        let disk = Arc::clone(&disk);
        async move { disk.append("log", b"stalled").await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!append.is_finished());
    let stats = disk.stats();
    assert_eq!(stats.in_flight_operations, 1);
    assert_eq!(stats.completed(DiskOperation::Append), 0);
    assert_eq!(disk.used_bytes(), 0);

    let released_at = Instant::now();
    disk.release_stall();
    assert_eq!(append.await.unwrap(), Ok(0));
    assert_close(released_at.elapsed(), Duration::from_micros(100));
    assert_eq!(disk.stats().in_flight_operations, 0);
}

#[madsim::test]
async fn stall_freezes_an_operation_already_waiting_out_its_latency() {
    let disk = Arc::new(disk_with_fixed_latency(10_000));
    let started_at = Instant::now();
    let append = tokio::spawn({
        let disk = Arc::clone(&disk);
        async move { disk.append("log", b"x").await }
    });
    tokio::time::sleep(Duration::from_millis(4)).await;
    disk.stall();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!append.is_finished());
    disk.release_stall();
    assert_eq!(append.await.unwrap(), Ok(0));
    // Four milliseconds before the stall, six after it, and the hundred stalled in between.
    assert!(started_at.elapsed().abs_diff(Duration::from_millis(110)) < Duration::from_micros(50));
}

#[madsim::test]
async fn a_stalled_operation_whose_future_is_dropped_leaves_nothing_behind() {
    let disk = Arc::new(disk_with_fixed_latency(100));
    disk.stall();
    let append = tokio::spawn({
        let disk = Arc::clone(&disk);
        async move { disk.append("log", b"never").await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(disk.stats().in_flight_operations, 1);
    append.abort();
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(disk.stats().in_flight_operations, 0);

    disk.release_stall();
    assert_eq!(disk.append("log", b"later").await, Ok(0));
    assert_eq!(read_all(&disk, "log").await, b"later");
}

#[madsim::test]
async fn an_injected_append_or_truncate_error_leaves_the_contents_unchanged() {
    let disk = disk_without_latency();
    disk.append("log", b"abc").await.unwrap();
    disk.fail_next(DiskOperation::Append, 1);
    disk.fail_next(DiskOperation::Truncate, 1);
    assert_eq!(
        disk.append("log", b"def").await,
        Err(DiskError::Io {
            operation: DiskOperation::Append,
            file: "log".to_string(),
        })
    );
    assert!(matches!(disk.truncate("log", 1).await, Err(DiskError::Io { .. })));
    assert_eq!(read_all(&disk, "log").await, b"abc");
    // The forced failures are used up, so the disk works again.
    assert_eq!(disk.append("log", b"def").await, Ok(3));

    let stats = disk.stats();
    assert_eq!(stats.injected_errors, 2);
    assert_eq!(stats.failed(DiskOperation::Append), 1);
    assert_eq!(stats.completed(DiskOperation::Append), 2);
    assert_eq!(stats.written_bytes, 6);
}

#[madsim::test]
async fn an_injected_sync_error_leaves_the_data_unsynced() {
    let disk = disk_without_latency();
    disk.append("log", b"synced|").await.unwrap();
    disk.sync("log").await.unwrap();
    disk.append("log", b"unsynced").await.unwrap();
    disk.set_error_probability(DiskOperation::Sync, 1.0);
    assert!(matches!(disk.sync("log").await, Err(DiskError::Io { .. })));
    disk.crash(0.0);
    assert_eq!(read_all(&disk, "log").await, b"synced|");
}

#[madsim::test]
async fn error_probability_fails_about_that_share_of_operations() {
    let disk = disk_without_latency();
    disk.append("log", b"abc").await.unwrap();
    disk.set_error_probability(DiskOperation::Read, 0.25);
    let mut failures = 0;
    for _ in 0..400 {
        if disk.read("log", 0, 3).await.is_err() {
            failures += 1;
        }
    }
    assert!((60..=140).contains(&failures), "{failures} of 400 reads failed");
    disk.clear_faults();
    assert!(disk.read("log", 0, 3).await.is_ok());
}

#[madsim::test]
async fn a_rate_limited_disk_queues_operations_and_a_slow_one_serves_fewer() {
    let config = DiskConfig {
        operations_per_second_max: Some(1000.0),
        ..DiskConfig::without_latency()
    };
    let disk = std::sync::Arc::new(SimDisk::new("test-disk", config, 1));
    // Ten appends at once: the tenth ends after ten 1 ms slots.
    let started = Instant::now();
    let appends: Vec<_> = (0..10)
        .map(|_| {
            let disk = disk.clone();
            madsim::task::spawn(async move { disk.append("log", b"x").await.unwrap() })
        })
        .collect();
    for append in appends {
        append.await.unwrap();
    }
    assert_close(started.elapsed(), Duration::from_millis(10));
    // Twenty times slower: each slot is 20 ms.
    disk.set_latency_multiplier(20.0);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    disk.append("log", b"y").await.unwrap();
    disk.append("log", b"z").await.unwrap();
    assert_close(started.elapsed(), Duration::from_millis(40));
    // Reads are not limited (they come from the page cache).
    let started = Instant::now();
    for _ in 0..10 {
        disk.read("log", 0, 1).await.unwrap();
    }
    assert_close(started.elapsed(), Duration::ZERO);
}

#[madsim::test]
async fn a_byte_rate_limited_disk_writes_at_its_bandwidth() {
    let config = DiskConfig {
        write_bytes_per_second_max: Some(1000.0),
        ..DiskConfig::without_latency()
    };
    let disk = SimDisk::new("test-disk", config, 1);
    let started = Instant::now();
    disk.append("log", &[0u8; 100]).await.unwrap();
    // 100 bytes at 1,000 bytes a second: 100 ms each.
    disk.append("log", &[0u8; 100]).await.unwrap();
    assert_close(started.elapsed(), Duration::from_millis(200));
}

#[madsim::test]
async fn a_full_disk_refuses_appends_and_changes_nothing() {
    let config = DiskConfig {
        capacity_bytes: Some(10),
        ..DiskConfig::without_latency()
    };
    let disk = SimDisk::new("test-disk", config, 1);
    disk.append("a", b"123456").await.unwrap();
    assert_eq!(
        disk.append("b", b"12345").await,
        Err(DiskError::NoSpace {
            file: "b".to_string(),
            requested_bytes: 5,
        })
    );
    assert!(disk.list("b").await.unwrap().is_empty());
    assert_eq!(read_all(&disk, "a").await, b"123456");
    assert_eq!(disk.append("a", b"7890").await, Ok(6));

    disk.set_capacity_bytes(None);
    assert_eq!(disk.append("b", b"12345").await, Ok(0));
    assert_eq!(disk.used_bytes(), 15);
}

#[madsim::test]
async fn a_bit_flip_changes_exactly_one_bit_and_survives_a_crash() {
    let disk = disk_without_latency();
    let original = b"the medium rots silently".to_vec();
    disk.append("log", &original).await.unwrap();
    disk.sync("log").await.unwrap();

    disk.flip_bit("log", 8 * 4 + 3).unwrap();
    let flipped = read_all(&disk, "log").await;
    assert_eq!(count_differing_bits(&original, &flipped), 1);
    assert_eq!(flipped[4], original[4] ^ 0b1000);

    disk.crash(0.0);
    assert_eq!(read_all(&disk, "log").await, flipped);
    assert!(matches!(
        disk.flip_bit("log", 8 * 1000),
        Err(DiskError::OutOfRange { .. })
    ));
    assert!(matches!(
        disk.flip_bit("missing", 0),
        Err(DiskError::NotFound { .. })
    ));
}

#[madsim::test]
async fn a_bit_flip_reaches_the_durable_copy_hidden_by_an_unsynced_truncate() {
    let disk = disk_without_latency();
    disk.append("log", b"\x00\x00\x00\x00").await.unwrap();
    disk.sync("log").await.unwrap();
    disk.truncate("log", 1).await.unwrap();
    disk.flip_bit("log", 8 * 2).unwrap();
    disk.crash(0.0);
    assert_eq!(read_all(&disk, "log").await, b"\x00\x00\x01\x00");
}

#[madsim::test]
async fn a_random_bit_flip_says_where_it_flipped() {
    let disk = disk_without_latency();
    let mut random = ChaCha8Rng::seed_from_u64(3);
    assert_eq!(disk.flip_random_bit(&mut random), None);

    let originals = [("a", vec![0u8; 16]), ("b", vec![0xff; 16])];
    for (file, data) in &originals {
        disk.append(file, data).await.unwrap();
        disk.sync(file).await.unwrap();
    }
    for _ in 0..20 {
        let (file, bit_index) = disk.flip_random_bit(&mut random).unwrap();
        let before_flip_back = read_all(&disk, &file).await;
        let original = &originals.iter().find(|(name, _)| *name == file).unwrap().1;
        assert_eq!(count_differing_bits(original, &before_flip_back), 1);
        // Flipping the same bit again restores the original, which proves the location.
        disk.flip_bit(&file, bit_index).unwrap();
        assert_eq!(&read_all(&disk, &file).await, original);
    }
}

/// The simulated time each of a series of operations takes on a disk with the default
/// latency profile.
async fn operation_latencies(seed: u64) -> Vec<Duration> {
    let disk = SimDisk::new("test-disk", DiskConfig::default(), seed);
    let mut latencies = Vec::new();
    for _ in 0..20 {
        latencies.push(elapsed(disk.append("log", b"record")).await.1);
        latencies.push(elapsed(disk.sync("log")).await.1);
    }
    latencies
}

#[madsim::test]
async fn the_same_seed_gives_the_same_latencies_and_another_seed_others() {
    let first = operation_latencies(7).await;
    let second = operation_latencies(7).await;
    let other = operation_latencies(8).await;
    for (left, right) in first.iter().zip(&second) {
        assert!(left.abs_diff(*right) <= CLOCK_SLACK, "{left:?} against {right:?}");
    }
    let differing = first
        .iter()
        .zip(&other)
        .filter(|(left, right)| left.abs_diff(**right) > CLOCK_SLACK)
        .count();
    assert!(differing > 10, "only {differing} of 40 latencies differ");
}

#[test]
fn sampled_latencies_depend_only_on_the_seed() {
    let profile = DiskLatencyProfile::default();
    let sample = |seed: u64| -> Vec<Duration> {
        let mut random = ChaCha8Rng::seed_from_u64(seed);
        (0..50)
            .map(|_| profile.sample(DiskOperation::Sync, 0, 1.0, &mut random))
            .collect()
    };
    assert_eq!(sample(1), sample(1));
    assert_ne!(sample(1), sample(2));
    for latency in sample(3) {
        assert!(latency >= Duration::from_micros(500) && latency <= Duration::from_micros(2000));
    }
}

#[madsim::test]
async fn stats_count_operations_bytes_and_progress() {
    let disk = disk_with_fixed_latency(10);
    assert_eq!(disk.stats().last_progress_at, None);
    disk.append("log", b"12345").await.unwrap();
    disk.read("log", 1, 3).await.unwrap();
    disk.read("missing", 0, 1).await.unwrap_err();
    disk.sync("log").await.unwrap();
    let stats = disk.stats();
    assert_eq!(stats.completed(DiskOperation::Append), 1);
    assert_eq!(stats.completed(DiskOperation::Read), 1);
    assert_eq!(stats.completed(DiskOperation::Sync), 1);
    assert_eq!(stats.failed(DiskOperation::Read), 1);
    assert_eq!(stats.total_failed(), 1);
    assert_eq!(stats.injected_errors, 0);
    assert_eq!(stats.written_bytes, 5);
    assert_eq!(stats.read_bytes, 3);
    assert_eq!(stats.in_flight_operations, 0);
    assert_eq!(stats.used_bytes, 5);
    assert!(stats.last_progress_at.unwrap().elapsed() < CLOCK_SLACK);
}
