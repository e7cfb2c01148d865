//! The range checksum against real logs on a disk in memory.

use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::broker::log::memory_disk::{run, MemoryDisk};
use crate::broker::log::{LogParams, ProducerInfo, Record};
use crate::storage::Disk;

const CHUNK: u64 = 64 * 1024;

async fn log_with_batches(disk: &Arc<MemoryDisk>, batches: u64) -> PartitionLog {
    let shared: Arc<dyn Disk> = disk.clone();
    let (mut log, _) = PartitionLog::open(shared, "orders-0", LogParams::default())
        .await
        .unwrap();
    for batch in 0..batches {
        let records = vec![Record::value_only(Bytes::from(format!("value-{batch}")))];
        log.append_as_leader(records, 1, ProducerInfo::NONE, batch)
            .await
            .unwrap();
    }
    log
}

fn checksum(answer: AuditAnswer) -> RangeChecksum {
    match answer {
        AuditAnswer::Checksum(range) => range,
        other => panic!("expected a checksum, got {other:?}"),
    }
}

#[test]
fn replicas_with_the_same_batches_agree_and_stop_at_batch_boundaries() {
    run(async {
        let (first, second) = (Arc::new(MemoryDisk::default()), Arc::new(MemoryDisk::default()));
        let (first, second) = (
            log_with_batches(&first, 10).await,
            log_with_batches(&second, 10).await,
        );
        let whole = checksum(range_checksum(&first, 0, 10, u64::MAX, CHUNK).await);
        assert_eq!((whole.from_offset, whole.to_offset, whole.batches), (0, 10, 10));
        assert_eq!(whole, checksum(range_checksum(&second, 0, 10, u64::MAX, 7).await));
        let batch_bytes = whole.bytes / 10;
        let capped = checksum(range_checksum(&first, 2, 10, 3 * batch_bytes, CHUNK).await);
        assert_eq!((capped.from_offset, capped.to_offset, capped.batches), (2, 5, 3));
        let other = checksum(range_checksum(&second, 2, 5, u64::MAX, CHUNK).await);
        assert_eq!(capped, other, "the follower asked for the leader's range agrees");
    });
}

#[test]
fn a_flipped_bit_names_the_corrupt_batch_and_spares_ranges_before_it() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let log = log_with_batches(&disk, 10).await;
        let batch_bytes = checksum(range_checksum(&log, 0, 1, u64::MAX, CHUNK).await).bytes;
        let file = log.segment_files()[0].clone();
        disk.flip_bit(&file, (6 * batch_bytes + batch_bytes - 2) * 8);
        assert!(matches!(
            range_checksum(&log, 0, 10, u64::MAX, CHUNK).await,
            AuditAnswer::Corrupt { offset: 6, .. }
        ));
        // A chunk read over the range runs into the corrupt batch beyond it: not this range's fault.
        let before = checksum(range_checksum(&log, 0, 5, u64::MAX, CHUNK).await);
        assert_eq!((before.to_offset, before.batches), (5, 5));
    });
}

#[test]
fn a_range_past_the_log_end_or_upside_down_is_unavailable() {
    run(async {
        let disk = Arc::new(MemoryDisk::default());
        let log = log_with_batches(&disk, 4).await;
        assert!(matches!(
            range_checksum(&log, 0, 9, u64::MAX, CHUNK).await,
            AuditAnswer::Unavailable(_)
        ));
        assert!(matches!(
            range_checksum(&log, 3, 2, u64::MAX, CHUNK).await,
            AuditAnswer::Unavailable(_)
        ));
    });
}
