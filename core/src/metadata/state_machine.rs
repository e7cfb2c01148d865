//! The controller's state machine: the metadata image, persisted as snapshots on its disk.
//!
//! Applying entries changes only memory; durability comes from the Raft log (openraft
//! re-applies committed entries after a restart) and from snapshots, each written to a file
//! of its own (`raft/snapshot-<index>`), synced, and only then allowed to replace older ones.
//! Recovery takes the newest snapshot that reads back whole.

use std::collections::VecDeque;
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine, Snapshot, SnapshotMeta};
use openraft::{BasicNode, EntryPayload, LogId, OptionalSend, RaftLogId, StorageIOError, StoredMembership};
use serde::{Deserialize, Serialize};

use super::image::MetadataImage;
use super::raft_types::{BatchOutcome, ControllerId, MetadataRaftConfig, StorageError};
use super::records::MetadataRecord;
use crate::net::{decode, encode};
use crate::observe::{Event, SharedObserver};
use crate::storage::{Disk, RecordFile, RecordFileError};

const SNAPSHOT_PREFIX: &str = "raft/snapshot-";

/// The applied metadata, shared with the controller service that answers brokers.
#[derive(Debug, Default)]
pub struct AppliedMetadata {
    pub image: MetadataImage,
    /// Recently applied non-empty batches, oldest first, for brokers that follow the log.
    pub recent_batches: VecDeque<(u64, Vec<MetadataRecord>)>,
    /// Every batch after this offset is in `recent_batches`; a broker behind it needs the
    /// whole image instead.
    pub recent_batches_after: u64,
}

pub type SharedMetadata = Arc<Mutex<AppliedMetadata>>;

/// Everything a snapshot file holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SnapshotContents {
    last_applied: Option<LogId<ControllerId>>,
    membership: StoredMembership<ControllerId, BasicNode>,
    image: MetadataImage,
}

/// The state machine openraft drives.
pub struct MetadataStateMachine {
    disk: Arc<dyn Disk>,
    shared: SharedMetadata,
    last_applied: Option<LogId<ControllerId>>,
    membership: StoredMembership<ControllerId, BasicNode>,
    observer: SharedObserver,
    recent_batches_max: usize,
}

/// Builds snapshots from a copy of the state taken when openraft asks for one.
pub struct MetadataSnapshotBuilder {
    disk: Arc<dyn Disk>,
    contents: SnapshotContents,
}

fn storage_error(error: impl std::error::Error + 'static) -> StorageError {
    StorageIOError::write_snapshot(None, &error).into()
}

fn snapshot_name(contents: &SnapshotContents) -> String {
    let index = contents.last_applied.map(|id| id.index + 1).unwrap_or(0);
    format!("{SNAPSHOT_PREFIX}{index:020}")
}

fn snapshot_meta(contents: &SnapshotContents) -> SnapshotMeta<ControllerId, BasicNode> {
    let snapshot_id = match contents.last_applied {
        Some(id) => format!("{}-{}", id.leader_id.term, id.index),
        None => "empty".to_string(),
    };
    SnapshotMeta {
        last_log_id: contents.last_applied,
        last_membership: contents.membership.clone(),
        snapshot_id,
    }
}

/// Writes a snapshot durably, then removes the older ones.
async fn persist_snapshot(disk: &Arc<dyn Disk>, contents: &SnapshotContents) -> Result<(), RecordFileError> {
    let name = snapshot_name(contents);
    let (mut file, existing, _) = RecordFile::open(disk.clone(), &name).await?;
    if existing.is_empty() {
        file.append(&encode(contents)).await?;
        file.sync().await?;
    }
    for older in disk.list(SNAPSHOT_PREFIX).await? {
        if older < name {
            disk.delete(&older).await?;
        }
    }
    Ok(())
}

/// The newest snapshot that reads back whole, if any.
async fn load_newest_snapshot(disk: &Arc<dyn Disk>) -> Result<Option<SnapshotContents>, RecordFileError> {
    let mut names = disk.list(SNAPSHOT_PREFIX).await?;
    names.reverse();
    for name in names {
        let (_, records, _) = RecordFile::open(disk.clone(), &name).await?;
        if let Some(Ok(contents)) = records.first().map(|bytes| decode::<SnapshotContents>(bytes)) {
            return Ok(Some(contents));
        }
    }
    Ok(None)
}

impl MetadataStateMachine {
    /// Opens the state machine from the newest snapshot on `disk`.
    pub async fn open(
        disk: Arc<dyn Disk>,
        observer: SharedObserver,
        recent_batches_max: usize,
    ) -> Result<(Self, SharedMetadata), StorageError> {
        let restored = load_newest_snapshot(&disk).await.map_err(storage_error)?;
        let (last_applied, membership, image) = match restored {
            Some(contents) => (contents.last_applied, contents.membership, contents.image),
            None => (None, StoredMembership::default(), MetadataImage::default()),
        };
        let shared = Arc::new(Mutex::new(AppliedMetadata {
            recent_batches_after: image.offset.unwrap_or(0),
            image,
            recent_batches: VecDeque::new(),
        }));
        let machine = MetadataStateMachine {
            disk,
            shared: shared.clone(),
            last_applied,
            membership,
            observer,
            recent_batches_max,
        };
        Ok((machine, shared))
    }

    pub fn snapshot_offset(&self) -> Option<u64> {
        self.last_applied.map(|id| id.index)
    }

    fn contents(&self) -> SnapshotContents {
        let shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        SnapshotContents {
            last_applied: self.last_applied,
            membership: self.membership.clone(),
            image: shared.image.clone(),
        }
    }

    fn apply_batch(&mut self, offset: u64, records: Vec<MetadataRecord>) -> BatchOutcome {
        let mut shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let outcome = shared.image.apply_batch(offset, &records);
        let rejected = outcome.as_ref().err().map(|rejection| rejection.to_string());
        if outcome.is_ok() && !records.is_empty() {
            shared.recent_batches.push_back((offset, records.clone()));
            while shared.recent_batches.len() > self.recent_batches_max {
                if let Some((dropped_offset, _)) = shared.recent_batches.pop_front() {
                    shared.recent_batches_after = dropped_offset;
                }
            }
        }
        drop(shared);
        self.observer.record(Event::MetadataApplied {
            offset,
            records,
            rejected,
        });
        match outcome {
            Ok(()) => BatchOutcome::Applied,
            Err(rejection) => BatchOutcome::Rejected(rejection),
        }
    }
}

impl RaftSnapshotBuilder<MetadataRaftConfig> for MetadataSnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<MetadataRaftConfig>, StorageError> {
        persist_snapshot(&self.disk, &self.contents)
            .await
            .map_err(storage_error)?;
        Ok(Snapshot {
            meta: snapshot_meta(&self.contents),
            snapshot: Box::new(Cursor::new(encode(&self.contents).to_vec())),
        })
    }
}

impl RaftStateMachine<MetadataRaftConfig> for MetadataStateMachine {
    type SnapshotBuilder = MetadataSnapshotBuilder;

    async fn applied_state(
        &mut self,
    ) -> Result<
        (
            Option<LogId<ControllerId>>,
            StoredMembership<ControllerId, BasicNode>,
        ),
        StorageError,
    > {
        Ok((self.last_applied, self.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<BatchOutcome>, StorageError>
    where
        I: IntoIterator<Item = openraft::Entry<MetadataRaftConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut outcomes = Vec::new();
        for entry in entries {
            let log_id = *entry.get_log_id();
            self.last_applied = Some(log_id);
            let outcome = match entry.payload {
                EntryPayload::Blank => BatchOutcome::Applied,
                EntryPayload::Normal(batch) => self.apply_batch(log_id.index, batch.0),
                EntryPayload::Membership(membership) => {
                    self.membership = StoredMembership::new(Some(log_id), membership);
                    BatchOutcome::Applied
                }
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        MetadataSnapshotBuilder {
            disk: self.disk.clone(),
            contents: self.contents(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta<ControllerId, BasicNode>,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let contents: SnapshotContents = decode(snapshot.get_ref()).map_err(storage_error)?;
        persist_snapshot(&self.disk, &contents)
            .await
            .map_err(storage_error)?;
        self.last_applied = meta.last_log_id;
        self.membership = meta.last_membership.clone();
        let mut shared = self
            .shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        shared.recent_batches_after = contents.image.offset.unwrap_or(0);
        shared.recent_batches.clear();
        shared.image = contents.image;
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<MetadataRaftConfig>>, StorageError> {
        let Some(contents) = load_newest_snapshot(&self.disk).await.map_err(storage_error)? else {
            return Ok(None);
        };
        Ok(Some(Snapshot {
            meta: snapshot_meta(&contents),
            snapshot: Box::new(Cursor::new(encode(&contents).to_vec())),
        }))
    }
}
