//! The remote tier of every partition as the accepted tier records make it, worked out by the
//! checkers themselves: each upload's object, offsets and serving range, and which objects a
//! record still points to.
//!
//! This follows the *effects* of accepted records, not the rules that decide acceptance
//! (those are the brokers' `TierPartitionState`, which the checkers do not consult): the
//! verdict comes from the trace, and what an accepted record does is
//!
//! - `InitLeader` of an epoch above every earlier one: the upload in progress, if any, is
//!   dropped (no record points to its object any more);
//! - `CopyStarted` of an object not in progress, finished or deleted: it becomes the upload
//!   in progress, replacing the one before (dropped), and will serve from the tiered end of
//!   this moment (its *serving start*);
//! - `CopyFinished`: the object now serves `serving start..=last offset`, and the tiered end
//!   moves past its last offset (a repeat changes nothing);
//! - `DeleteStarted`: the finished object stops serving (still pointed to);
//! - `DeleteFinished`: no record points to the delete-started object any more.
//!
//! A record that the rules should have refused but a broker accepted still has its effect
//! here, so that its consequences (overlapping ranges, a hole, a missing object) show up.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use korasim_core::tier::{TierRecord, TierRecordKind};

use super::violation::RecordAt;

/// Where an upload is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadState {
    InProgress,
    /// Replaced by a later `CopyStarted` or dropped by a newer leader before it finished.
    Dropped,
    Finished,
    DeleteStarted,
    Deleted,
}

/// One object announced by an accepted `CopyStarted`.
#[derive(Debug, Clone)]
pub struct Upload {
    pub base_offset: u64,
    pub last_offset: u64,
    /// The tiered end when its `CopyStarted` was accepted: the first offset it serves.
    pub serving_start: u64,
    pub state: UploadState,
    /// Its accepted `CopyFinished`, once there is one.
    pub finished: Option<RecordAt>,
    /// When records stopped pointing to it (dropped, or its deletion finished).
    pub released_at: Option<Duration>,
}

impl Upload {
    /// The offsets it serves (or served, before its deletion started), if any: from its
    /// serving start, but only offsets the object holds.
    pub fn serving_range(&self) -> Option<(u64, u64)> {
        let start = self.serving_start.max(self.base_offset);
        (start <= self.last_offset).then_some((start, self.last_offset))
    }

    /// Whether a record still points to the object (in progress, finished or being deleted):
    /// the bucket must not lose it, and it is no orphan.
    pub fn referenced(&self) -> bool {
        !matches!(self.state, UploadState::Dropped | UploadState::Deleted)
    }

    /// Whether it is a finished segment whose deletion has not started: the remote tier
    /// serves it, so its object must be in the bucket.
    pub fn serving(&self) -> bool {
        self.state == UploadState::Finished
    }
}

/// What an accepted record changed that the checkers judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The object finished (for the first time); the tiered end was `tiered_end_before`.
    Finished {
        object_id: String,
        tiered_end_before: u64,
    },
    /// A `CopyFinished` for an object no accepted `CopyStarted` announced.
    FinishedUnknown { object_id: String },
    /// The finished object stopped serving; `older_serving` still served then.
    DeleteStarted {
        object_id: String,
        older_serving: Option<String>,
    },
}

/// The remote tier of one partition.
#[derive(Debug, Default)]
pub struct RemotePartition {
    /// The tier partition its records are in.
    pub tier_partition: Option<u32>,
    tier_epoch: Option<u64>,
    uploads: BTreeMap<String, Upload>,
    in_progress: Option<String>,
    /// Finished segments not being deleted, by serving start.
    serving: BTreeSet<(u64, String)>,
    /// One past the last offset of the newest finished segment.
    tiered_end: u64,
}

impl RemotePartition {
    pub fn upload(&self, object_id: &str) -> Option<&Upload> {
        self.uploads.get(object_id)
    }

    pub fn uploads(&self) -> impl Iterator<Item = (&String, &Upload)> {
        self.uploads.iter()
    }

    pub fn tiered_end(&self) -> u64 {
        self.tiered_end
    }

    fn drop_in_progress(&mut self, at: Duration) {
        if let Some(object_id) = self.in_progress.take() {
            if let Some(upload) = self.uploads.get_mut(&object_id) {
                upload.state = UploadState::Dropped;
                upload.released_at = Some(at);
            }
        }
    }

    fn apply(&mut self, record: &TierRecord, record_at: RecordAt, at: Duration) -> Option<Change> {
        self.tier_partition = Some(record_at.tier_partition);
        match &record.kind {
            TierRecordKind::InitLeader => {
                if self.tier_epoch.is_none_or(|epoch| record.leader_epoch > epoch) {
                    self.tier_epoch = Some(record.leader_epoch);
                    self.drop_in_progress(at);
                }
                None
            }
            TierRecordKind::CopyStarted {
                object_id,
                base_offset,
                last_offset,
                ..
            } => {
                if self
                    .uploads
                    .get(object_id)
                    .is_some_and(|upload| upload.state != UploadState::Dropped)
                {
                    return None;
                }
                self.drop_in_progress(at);
                self.uploads.insert(
                    object_id.clone(),
                    Upload {
                        base_offset: *base_offset,
                        last_offset: *last_offset,
                        serving_start: self.tiered_end,
                        state: UploadState::InProgress,
                        finished: None,
                        released_at: None,
                    },
                );
                self.in_progress = Some(object_id.clone());
                None
            }
            TierRecordKind::CopyFinished { object_id } => {
                let Some(upload) = self.uploads.get_mut(object_id) else {
                    return Some(Change::FinishedUnknown {
                        object_id: object_id.clone(),
                    });
                };
                if !matches!(upload.state, UploadState::InProgress | UploadState::Dropped) {
                    return None;
                }
                upload.state = UploadState::Finished;
                upload.finished = Some(record_at);
                upload.released_at = None;
                let tiered_end_before = self.tiered_end;
                self.tiered_end = self.tiered_end.max(upload.last_offset + 1);
                self.serving.insert((upload.serving_start, object_id.clone()));
                if self.in_progress.as_deref() == Some(object_id.as_str()) {
                    self.in_progress = None;
                }
                Some(Change::Finished {
                    object_id: object_id.clone(),
                    tiered_end_before,
                })
            }
            TierRecordKind::DeleteStarted { object_id } => {
                let upload = self.uploads.get_mut(object_id)?;
                if upload.state != UploadState::Finished {
                    return None;
                }
                upload.state = UploadState::DeleteStarted;
                let key = (upload.serving_start, object_id.clone());
                let older_serving = self
                    .serving
                    .first()
                    .filter(|oldest| **oldest != key)
                    .map(|(_, older)| older.clone());
                self.serving.remove(&key);
                Some(Change::DeleteStarted {
                    object_id: object_id.clone(),
                    older_serving,
                })
            }
            TierRecordKind::DeleteFinished { object_id } => {
                if let Some(upload) = self.uploads.get_mut(object_id) {
                    if upload.state == UploadState::DeleteStarted {
                        upload.state = UploadState::Deleted;
                        upload.released_at = Some(at);
                    }
                }
                None
            }
        }
    }
}

/// The remote tier of every partition.
#[derive(Debug, Default)]
pub struct RemoteLogs {
    topics: BTreeMap<String, BTreeMap<u32, RemotePartition>>,
}

impl RemoteLogs {
    /// Applies one record of the tier-metadata log with its verdict, read at `at`.
    pub fn apply(
        &mut self,
        record: &TierRecord,
        accepted: bool,
        record_at: RecordAt,
        at: Duration,
    ) -> Option<Change> {
        if !accepted {
            return None;
        }
        if !self.topics.contains_key(&record.topic) {
            self.topics.insert(record.topic.clone(), BTreeMap::new());
        }
        self.topics
            .get_mut(&record.topic)
            .expect("the topic was just inserted")
            .entry(record.partition)
            .or_default()
            .apply(record, record_at, at)
    }

    pub fn partition(&self, topic: &str, partition: u32) -> Option<&RemotePartition> {
        self.topics.get(topic)?.get(&partition)
    }

    pub fn upload(&self, topic: &str, partition: u32, object_id: &str) -> Option<&Upload> {
        self.partition(topic, partition)?.upload(object_id)
    }

    /// Every partition with a record, by topic and partition.
    pub fn partitions(&self) -> impl Iterator<Item = (&String, u32, &RemotePartition)> {
        self.topics.iter().flat_map(|(topic, partitions)| {
            partitions
                .iter()
                .map(move |(partition, remote)| (topic, *partition, remote))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::tier::test_support::{finished, init, started};
    use korasim_core::tier::TierRecordKind;

    fn apply(logs: &mut RemoteLogs, offset: u64, record: TierRecord) -> Option<Change> {
        let record_at = RecordAt {
            tier_partition: 0,
            offset,
        };
        logs.apply(&record, true, record_at, Duration::from_millis(offset))
    }

    fn delete_started(id: &str) -> TierRecord {
        TierRecord {
            topic: "t".to_string(),
            partition: 0,
            leader_epoch: 1,
            kind: TierRecordKind::DeleteStarted {
                object_id: id.to_string(),
            },
        }
    }

    #[test]
    fn accepted_records_shape_the_remote_tier() {
        let mut logs = RemoteLogs::default();
        apply(&mut logs, 0, init("t", 0, 1));
        apply(&mut logs, 1, started("t", 0, 1, "a", 0, 9));
        // A retry under a new object id drops the first attempt.
        apply(&mut logs, 2, started("t", 0, 1, "b", 0, 9));
        assert_eq!(
            apply(&mut logs, 3, finished("t", 0, 1, "b")),
            Some(Change::Finished {
                object_id: "b".to_string(),
                tiered_end_before: 0
            })
        );
        // A repeat changes nothing.
        assert_eq!(apply(&mut logs, 4, finished("t", 0, 1, "b")), None);
        apply(&mut logs, 5, started("t", 0, 1, "c", 5, 19));
        // A newer leader drops the upload in progress.
        apply(&mut logs, 6, init("t", 0, 2));
        let remote = logs.partition("t", 0).unwrap();
        assert_eq!(remote.tiered_end(), 10);
        assert_eq!(remote.upload("a").unwrap().state, UploadState::Dropped);
        assert_eq!(
            remote.upload("a").unwrap().released_at,
            Some(Duration::from_millis(2))
        );
        assert_eq!(remote.upload("b").unwrap().serving_range(), Some((0, 9)));
        assert_eq!(remote.upload("c").unwrap().serving_start, 10);
        assert_eq!(remote.upload("c").unwrap().serving_range(), Some((10, 19)));
        assert!(!remote.upload("c").unwrap().referenced());
        assert_eq!(
            apply(&mut logs, 7, delete_started("b")),
            Some(Change::DeleteStarted {
                object_id: "b".to_string(),
                older_serving: None
            })
        );
        assert!(logs.upload("t", 0, "b").unwrap().referenced());
        assert!(!logs.upload("t", 0, "b").unwrap().serving());
    }
}
