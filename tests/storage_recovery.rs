//! The controller's durable state against the simulated disk's crash model: what was synced
//! comes back after a crash, torn tails are cut away, and truncation and purging survive a
//! crash without leaving gaps.

use std::sync::Arc;

use korasim_core::metadata::{DiskLogStore, MetadataBatch, MetadataRaftConfig, MetadataRecord};
use korasim_core::storage::{Disk, RecordFile};
use korasim_sim::devices::disk::{DiskConfig, SimDisk};
use openraft::storage::{RaftLogReader, RaftLogStorage, RaftLogStorageExt};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Vote};

const ENTRIES_PER_SEGMENT: usize = 16;

fn runtime(seed: u64) -> madsim::runtime::Runtime {
    madsim::runtime::Runtime::with_seed_and_config(seed, madsim::Config::default())
}

fn entry(term: u64, index: u64) -> Entry<MetadataRaftConfig> {
    let record = MetadataRecord::CreateTopic {
        name: format!("topic-{index}"),
        partition_count: 1,
    };
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
        payload: EntryPayload::Normal(MetadataBatch(vec![record])),
    }
}

async fn open(disk: &Arc<SimDisk>) -> DiskLogStore {
    let disk: Arc<dyn Disk> = disk.clone();
    DiskLogStore::open(disk, ENTRIES_PER_SEGMENT)
        .await
        .expect("log opens")
        .0
}

async fn last_index(store: &mut DiskLogStore) -> Option<u64> {
    store
        .get_log_state()
        .await
        .unwrap()
        .last_log_id
        .map(|id| id.index)
}

#[test]
fn record_file_keeps_synced_records_and_cuts_a_torn_tail() {
    runtime(1).block_on(async {
        let disk = Arc::new(SimDisk::new("test", DiskConfig::without_latency(), 1));
        let shared: Arc<dyn Disk> = disk.clone();
        let (mut file, _, _) = RecordFile::open(shared.clone(), "log").await.unwrap();
        for payload in [b"one".as_slice(), b"two", b"three"] {
            file.append(payload).await.unwrap();
        }
        file.sync().await.unwrap();
        file.append(b"never synced, torn by the crash").await.unwrap();
        let report = disk.crash(1.0);
        assert_eq!(
            report.torn_writes.len(),
            1,
            "the crash must tear the unsynced append"
        );

        let (file, records, recovery) = RecordFile::open(shared.clone(), "log").await.unwrap();
        assert_eq!(records, vec!["one", "two", "three"]);
        assert!(
            recovery.discarded_tail_bytes > 0,
            "the torn prefix must be cut away"
        );
        assert_eq!(disk.length("log").await.unwrap(), file.size_bytes());
    });
}

#[test]
fn raft_log_survives_a_crash_with_everything_it_acknowledged() {
    for seed in 1..=20 {
        runtime(seed).block_on(async move {
            let disk = Arc::new(SimDisk::new("controller", DiskConfig::default(), seed));
            let mut store = open(&disk).await;
            let entries: Vec<_> = (1..=50).map(|index| entry(1, index)).collect();
            store.blocking_append(entries).await.unwrap();
            store.save_vote(&Vote::new(3, 2)).await.unwrap();
            disk.crash(1.0);

            let mut store = open(&disk).await;
            assert_eq!(
                last_index(&mut store).await,
                Some(50),
                "seed {seed}: acknowledged entries lost"
            );
            assert_eq!(store.read_vote().await.unwrap(), Some(Vote::new(3, 2)));
            let read = store.try_get_log_entries(1..=50).await.unwrap();
            assert_eq!(read, (1..=50).map(|index| entry(1, index)).collect::<Vec<_>>());
        });
    }
}

#[test]
fn truncation_and_purge_survive_a_crash_without_gaps() {
    runtime(7).block_on(async {
        let disk = Arc::new(SimDisk::new("controller", DiskConfig::default(), 7));
        let mut store = open(&disk).await;
        store
            .blocking_append((1..=60).map(|index| entry(1, index)))
            .await
            .unwrap();
        // A new leader overwrites the tail from index 41 on.
        store
            .truncate(LogId::new(CommittedLeaderId::new(1, 1), 41))
            .await
            .unwrap();
        store
            .blocking_append((41..=45).map(|index| entry(2, index)))
            .await
            .unwrap();
        store
            .purge(LogId::new(CommittedLeaderId::new(1, 1), 20))
            .await
            .unwrap();
        disk.crash(1.0);

        let mut store = open(&disk).await;
        let state = store.get_log_state().await.unwrap();
        assert_eq!(state.last_purged_log_id.map(|id| id.index), Some(20));
        assert_eq!(state.last_log_id.map(|id| id.index), Some(45));
        let read = store.try_get_log_entries(0..100).await.unwrap();
        let indexes: Vec<u64> = read.iter().map(|entry| entry.log_id.index).collect();
        assert_eq!(
            indexes,
            (21..=45).collect::<Vec<_>>(),
            "the log must be gap-free after recovery"
        );
        assert!(read
            .iter()
            .filter(|entry| entry.log_id.index >= 41)
            .all(|entry| entry.log_id.leader_id.term == 2));
        let segments = disk.list("raft/log-").await.unwrap();
        assert!(
            !segments.iter().any(|name| name.ends_with(&format!("{:020}", 1))),
            "the segment wholly below the purge point must be deleted: {segments:?}"
        );
    });
}
