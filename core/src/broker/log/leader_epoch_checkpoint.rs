//! The leader-epoch cache on disk, so that it survives a restart.
//!
//! The cache is small and changes rarely (a new epoch, a truncation, retention), so each
//! change writes it whole: a snapshot with a generation number, appended as one checksummed
//! record (see [`RecordFile`]) and synced before the change is reported done. On open the
//! valid snapshot with the highest generation wins.
//!
//! Appending forever would grow the file without bound, and rewriting it in place is not
//! safe: until the rewrite is synced a crash may leave neither the old contents nor the new.
//! So there are two files, written in turn. After [`SNAPSHOTS_PER_FILE_MAX`] snapshots the
//! writer deletes the other file and continues there; the current file is untouched until the
//! first snapshot in the other one is synced, so a crash at any point leaves the last synced
//! snapshot readable.
//!
//! The log does not depend on the checkpoint alone: open reconciles it with the batches on
//! disk (see `partition_log.rs`), which also covers a checkpoint lost to corruption.

use std::sync::Arc;

use super::leader_epoch_cache::{EpochEntry, LeaderEpochCache};
use crate::storage::{Disk, RecordFile, RecordFileError};

const CHECKPOINT_FILE_STEM: &str = "leader-epoch-checkpoint";
/// Snapshots written to one file before the writer moves to the other.
pub(super) const SNAPSHOTS_PER_FILE_MAX: usize = 64;
const SNAPSHOT_HEADER_BYTES: usize = 8 + 4;
const ENTRY_BYTES: usize = 16;

fn checkpoint_file_name(directory: &str, file_number: usize) -> String {
    format!("{directory}/{CHECKPOINT_FILE_STEM}-{file_number}")
}

/// The two checkpoint files of one log and the generation of the last snapshot written.
pub(super) struct LeaderEpochCheckpoint {
    files: [RecordFile; 2],
    /// The file the next snapshot goes to, unless it is full.
    current_file: usize,
    generation: u64,
}

impl LeaderEpochCheckpoint {
    /// Opens both files (cutting torn tails) and returns the newest valid snapshot, or an
    /// empty cache when there is none.
    pub async fn open(
        disk: Arc<dyn Disk>,
        directory: &str,
    ) -> Result<(LeaderEpochCheckpoint, LeaderEpochCache), RecordFileError> {
        let (first, first_snapshots, _) =
            RecordFile::open(disk.clone(), &checkpoint_file_name(directory, 0)).await?;
        let (second, second_snapshots, _) =
            RecordFile::open(disk, &checkpoint_file_name(directory, 1)).await?;
        let mut newest: Option<(u64, usize, LeaderEpochCache)> = None;
        for (file_number, snapshots) in [first_snapshots, second_snapshots].into_iter().enumerate() {
            for (generation, cache) in snapshots.iter().filter_map(|bytes| decode_snapshot(bytes)) {
                if newest
                    .as_ref()
                    .is_none_or(|(newest_generation, _, _)| generation > *newest_generation)
                {
                    newest = Some((generation, file_number, cache));
                }
            }
        }
        let (generation, current_file, cache) = newest.unwrap_or_default();
        let checkpoint = LeaderEpochCheckpoint {
            files: [first, second],
            current_file,
            generation,
        };
        Ok((checkpoint, cache))
    }

    /// Writes `cache` durably.
    pub async fn write(&mut self, cache: &LeaderEpochCache) -> Result<(), RecordFileError> {
        self.generation += 1;
        let snapshot = encode_snapshot(self.generation, cache);
        if self.files[self.current_file].record_count() < SNAPSHOTS_PER_FILE_MAX {
            let file = &mut self.files[self.current_file];
            file.append(&snapshot).await?;
            return file.sync().await;
        }
        let other_file = 1 - self.current_file;
        let file = &mut self.files[other_file];
        file.clear().await?;
        file.append(&snapshot).await?;
        file.sync().await?;
        // Only now is the other file the one a crash would read the newest snapshot from.
        self.current_file = other_file;
        Ok(())
    }
}

fn encode_snapshot(generation: u64, cache: &LeaderEpochCache) -> Vec<u8> {
    let entries = cache.entries();
    let mut bytes = Vec::with_capacity(SNAPSHOT_HEADER_BYTES + entries.len() * ENTRY_BYTES);
    bytes.extend_from_slice(&generation.to_le_bytes());
    bytes.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for entry in entries {
        bytes.extend_from_slice(&entry.leader_epoch.to_le_bytes());
        bytes.extend_from_slice(&entry.start_offset.to_le_bytes());
    }
    bytes
}

/// The generation and cache of a snapshot, or `None` when the bytes are not one (the record
/// file's checksum makes that a bug rather than corruption, so the snapshot is skipped).
fn decode_snapshot(bytes: &[u8]) -> Option<(u64, LeaderEpochCache)> {
    let generation = u64::from_le_bytes(bytes.get(0..8)?.try_into().ok()?);
    let entry_count = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?) as usize;
    let entry_bytes = bytes.get(SNAPSHOT_HEADER_BYTES..)?;
    if entry_bytes.len() != entry_count.checked_mul(ENTRY_BYTES)? {
        return None;
    }
    let entries = entry_bytes.chunks_exact(ENTRY_BYTES).map(|chunk| EpochEntry {
        leader_epoch: u64::from_le_bytes(chunk[0..8].try_into().expect("an entry holds 16 bytes")),
        start_offset: u64::from_le_bytes(chunk[8..16].try_into().expect("an entry holds 16 bytes")),
    });
    Some((generation, LeaderEpochCache::from_entries(entries)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::log::memory_disk::{run, MemoryDisk};

    fn cache_with_epochs(epoch_count: u64) -> LeaderEpochCache {
        LeaderEpochCache::from_entries((1..=epoch_count).map(|leader_epoch| EpochEntry {
            leader_epoch,
            start_offset: leader_epoch * 10,
        }))
    }

    #[test]
    fn a_snapshot_roundtrips() {
        let cache = cache_with_epochs(3);
        assert_eq!(decode_snapshot(&encode_snapshot(9, &cache)), Some((9, cache)));
        assert_eq!(decode_snapshot(&[1, 2, 3]), None);
    }

    #[test]
    fn the_newest_snapshot_wins_across_the_switch_between_files() {
        run(async {
            let disk: Arc<dyn Disk> = Arc::new(MemoryDisk::default());
            let (mut checkpoint, cache) = LeaderEpochCheckpoint::open(disk.clone(), "p").await.unwrap();
            assert!(cache.is_empty());
            let writes = SNAPSHOTS_PER_FILE_MAX as u64 * 2 + 5;
            for epoch_count in 1..=writes {
                checkpoint.write(&cache_with_epochs(epoch_count)).await.unwrap();
            }
            let (_, cache) = LeaderEpochCheckpoint::open(disk.clone(), "p").await.unwrap();
            assert_eq!(cache, cache_with_epochs(writes));
            let second_file_bytes = disk.length("p/leader-epoch-checkpoint-1").await.unwrap();
            let first_file_bytes = disk.length("p/leader-epoch-checkpoint-0").await.unwrap();
            assert!(
                first_file_bytes < second_file_bytes,
                "the first file was started afresh"
            );
        });
    }
}
