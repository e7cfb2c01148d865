//! The Raft log and vote of a controller, persisted on its disk.
//!
//! Layout: `raft/vote` and `raft/purged` are record files whose last valid record wins;
//! the log itself is a run of segment files `raft/log-<first index>` of at most
//! `entries_per_segment_max` entries each. Every append is synced before openraft is told it
//! is durable, so a crash loses nothing openraft counted on. Truncation removes whole later
//! segments first and then cuts the segment that holds the first removed entry, so a crash
//! part-way leaves a shorter but gap-free log. Purging deletes segments that lie wholly below
//! the purge point.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::{Arc, Mutex};

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{Entry, LogId, OptionalSend, RaftLogId, StorageIOError, Vote};

use super::raft_types::{ControllerId, MetadataRaftConfig, StorageError};
use crate::net::{decode, encode};
use crate::storage::{Disk, RecordFile, RecordFileError};

const VOTE_FILE: &str = "raft/vote";
const PURGED_FILE: &str = "raft/purged";
const SEGMENT_PREFIX: &str = "raft/log-";

type MetadataEntry = Entry<MetadataRaftConfig>;

/// Entries in memory, shared with the log readers openraft hands to its replication tasks.
#[derive(Default)]
struct LogCache {
    entries: BTreeMap<u64, MetadataEntry>,
    last_purged: Option<LogId<ControllerId>>,
}

/// One segment file and the index of its first entry.
struct Segment {
    first_index: u64,
    file: RecordFile,
}

/// What opening the log found on disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogRecovery {
    pub last_log_index: Option<u64>,
    pub vote_term: Option<u64>,
    pub discarded_tail_bytes: u64,
}

/// The controller's Raft log storage.
pub struct DiskLogStore {
    disk: Arc<dyn Disk>,
    cache: Arc<Mutex<LogCache>>,
    segments: Vec<Segment>,
    vote_file: RecordFile,
    vote: Option<Vote<ControllerId>>,
    purged_file: RecordFile,
    entries_per_segment_max: usize,
}

/// A reader over the shared in-memory entries.
#[derive(Clone)]
pub struct DiskLogReader {
    cache: Arc<Mutex<LogCache>>,
}

fn io_error(error: RecordFileError) -> StorageError {
    StorageIOError::write_logs(&error).into()
}

fn read_error(error: impl std::error::Error + 'static) -> StorageError {
    StorageIOError::read_logs(&error).into()
}

fn segment_name(first_index: u64) -> String {
    format!("{SEGMENT_PREFIX}{first_index:020}")
}

impl DiskLogStore {
    /// Opens the log from `disk`, recovering from whatever a crash left.
    pub async fn open(
        disk: Arc<dyn Disk>,
        entries_per_segment_max: usize,
    ) -> Result<(Self, LogRecovery), StorageError> {
        let mut recovery = LogRecovery::default();
        let (vote_file, votes, vote_recovery) = RecordFile::open(disk.clone(), VOTE_FILE)
            .await
            .map_err(io_error)?;
        let vote = match votes.last() {
            Some(bytes) => Some(decode::<Vote<ControllerId>>(bytes).map_err(read_error)?),
            None => None,
        };
        let (purged_file, purges, purge_recovery) = RecordFile::open(disk.clone(), PURGED_FILE)
            .await
            .map_err(io_error)?;
        let last_purged = match purges.last() {
            Some(bytes) => Some(decode::<LogId<ControllerId>>(bytes).map_err(read_error)?),
            None => None,
        };
        recovery.discarded_tail_bytes +=
            vote_recovery.discarded_tail_bytes + purge_recovery.discarded_tail_bytes;
        recovery.vote_term = vote.map(|vote| vote.leader_id().term);

        let mut entries = BTreeMap::new();
        let mut segments = Vec::new();
        let names = disk
            .list(SEGMENT_PREFIX)
            .await
            .map_err(|error| io_error(error.into()))?;
        for name in names {
            let Ok(first_index) = name[SEGMENT_PREFIX.len()..].parse::<u64>() else {
                continue;
            };
            let (file, payloads, segment_recovery) =
                RecordFile::open(disk.clone(), &name).await.map_err(io_error)?;
            recovery.discarded_tail_bytes += segment_recovery.discarded_tail_bytes;
            for payload in payloads {
                let entry: MetadataEntry = decode(&payload).map_err(read_error)?;
                entries.insert(entry.get_log_id().index, entry);
            }
            segments.push(Segment { first_index, file });
        }
        // Entries at or below the purge point may still sit in a segment that also holds
        // later entries; they are not part of the log any more.
        if let Some(purged) = last_purged {
            entries.retain(|index, _| *index > purged.index);
        }
        recovery.last_log_index = entries
            .keys()
            .next_back()
            .copied()
            .or(last_purged.map(|id| id.index));
        let cache = LogCache { entries, last_purged };
        let store = DiskLogStore {
            disk,
            cache: Arc::new(Mutex::new(cache)),
            segments,
            vote_file,
            vote,
            purged_file,
            entries_per_segment_max,
        };
        Ok((store, recovery))
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, LogCache> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn append_entry(&mut self, entry: &MetadataEntry) -> Result<(), RecordFileError> {
        let index = entry.get_log_id().index;
        let needs_new_segment = self
            .segments
            .last()
            .is_none_or(|segment| segment.file.record_count() >= self.entries_per_segment_max);
        if needs_new_segment {
            if let Some(full) = self.segments.last() {
                full.file.sync().await?;
            }
            let (file, _, _) = RecordFile::open(self.disk.clone(), &segment_name(index)).await?;
            self.segments.push(Segment {
                first_index: index,
                file,
            });
        }
        let segment = self.segments.last_mut().expect("a segment was just ensured");
        segment.file.append(&encode(entry)).await
    }
}

impl RaftLogReader<MetadataRaftConfig> for DiskLogReader {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<MetadataEntry>, StorageError> {
        let cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(cache
            .entries
            .range(range)
            .map(|(_, entry)| entry.clone())
            .collect())
    }
}

impl RaftLogReader<MetadataRaftConfig> for DiskLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<MetadataEntry>, StorageError> {
        Ok(self
            .cache()
            .entries
            .range(range)
            .map(|(_, entry)| entry.clone())
            .collect())
    }
}

impl RaftLogStorage<MetadataRaftConfig> for DiskLogStore {
    type LogReader = DiskLogReader;

    async fn get_log_state(&mut self) -> Result<LogState<MetadataRaftConfig>, StorageError> {
        let cache = self.cache();
        let last_log_id = cache
            .entries
            .values()
            .next_back()
            .map(|entry| *entry.get_log_id())
            .or(cache.last_purged);
        Ok(LogState {
            last_purged_log_id: cache.last_purged,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        DiskLogReader {
            cache: self.cache.clone(),
        }
    }

    async fn save_vote(&mut self, vote: &Vote<ControllerId>) -> Result<(), StorageError> {
        let write = async {
            self.vote_file.append(&encode(vote)).await?;
            self.vote_file.sync().await
        };
        write
            .await
            .map_err(|error| StorageError::from(StorageIOError::write_vote(&error)))?;
        self.vote = Some(*vote);
        Ok(())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<ControllerId>>, StorageError> {
        Ok(self.vote)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<MetadataRaftConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = MetadataEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut appended = Vec::new();
        for entry in entries {
            self.append_entry(&entry).await.map_err(io_error)?;
            appended.push(entry);
        }
        // A slow fsync delays the acknowledgement of everything in the batch.
        if crate::buggify!() {
            tokio::time::sleep(crate::buggify::random_delay(std::time::Duration::from_millis(
                200,
            )))
            .await;
        }
        let synced = match self.segments.last() {
            Some(segment) => segment.file.sync().await,
            None => Ok(()),
        };
        // The cache only shows entries once they are durable, so a replication task can
        // never ship an entry that a crash could still take back.
        if synced.is_ok() {
            let mut cache = self.cache();
            for entry in appended {
                cache.entries.insert(entry.get_log_id().index, entry);
            }
        }
        let outcome = synced.map_err(|error| std::io::Error::other(error.to_string()));
        let failed = outcome.is_err();
        callback.log_io_completed(outcome);
        if failed {
            return Err(StorageIOError::write_logs(&std::io::Error::other("sync failed")).into());
        }
        Ok(())
    }

    async fn truncate(&mut self, log_id: LogId<ControllerId>) -> Result<(), StorageError> {
        let since = log_id.index;
        while let Some(segment) = self.segments.last_mut() {
            if segment.first_index >= since {
                let name = segment.file.name().to_string();
                self.disk
                    .delete(&name)
                    .await
                    .map_err(|error| io_error(error.into()))?;
                self.segments.pop();
            } else {
                let keep = (since - segment.first_index) as usize;
                segment.file.truncate_records(keep).await.map_err(io_error)?;
                break;
            }
        }
        self.cache().entries.retain(|index, _| *index < since);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<ControllerId>) -> Result<(), StorageError> {
        let write = async {
            self.purged_file.append(&encode(&log_id)).await?;
            self.purged_file.sync().await
        };
        write.await.map_err(io_error)?;
        {
            let mut cache = self.cache();
            cache.entries.retain(|index, _| *index > log_id.index);
            cache.last_purged = Some(log_id);
        }
        // A segment can go once the next one starts at or below the first kept entry.
        while self.segments.len() > 1 && self.segments[1].first_index <= log_id.index + 1 {
            let segment = self.segments.remove(0);
            self.disk
                .delete(segment.file.name())
                .await
                .map_err(|error| io_error(error.into()))?;
        }
        Ok(())
    }
}
