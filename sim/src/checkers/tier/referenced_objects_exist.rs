//! Every object a finished segment points to exists.
//!
//! From the moment a `CopyFinished` is accepted (in the tier-metadata log, each offset with
//! the verdict of the first broker that materialised it) until a `DeleteStarted` for the same
//! object is, the remote tier serves that segment: both of its objects (`.log`, the data, and
//! `.index`, its offset index) must be in the bucket, which the checker rebuilds from the
//! object store's events. It reports
//!
//! - an object missing when its `CopyFinished` is accepted (the copy did not finish);
//! - a `Delete` of an object while it is still referenced, at once: the orphan collector or
//!   retention deleting what a record still serves loses data;
//! - at the end of the run, any referenced object missing (a safety net; the two above
//!   catch every way an object goes).
//!
//! A broker may delete once its `DeleteStarted` is committed, before any broker reported
//! materialising that record. So a `Delete` of a referenced object is judged when the
//! tier-metadata log is known up to the tier partition's high watermark at the time of the
//! `Delete`: if a `DeleteStarted` below it released the object, the deletion was legal. This
//! is at once in the usual case, where the deleter materialised its own record first.
//!
//! Objects of uploads in progress are not covered: an upload may rewrite them, and one
//! deleted before its copy finished is reported when the `CopyFinished` is accepted.

use std::collections::BTreeSet;
use std::time::Duration;

use korasim_core::tier::keys::{index_key, segment_key};

use super::bucket::{parse_tier_key, Bucket, BucketChange};
use super::remote_log::{Change, RemoteLogs};
use super::tier_log::TierLog;
use super::violation::{MissingSeen, TierViolation};
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "referenced-objects-exist";

/// A `Delete` of a referenced object, waiting for the tier-metadata log to catch up.
#[derive(Debug, Clone)]
struct Removal {
    at: Duration,
    key: String,
    topic: String,
    partition: u32,
    object_id: String,
    tier_partition: u32,
    tier_high_watermark: u64,
}

#[derive(Debug, Default)]
pub struct ReferencedObjectsExist {
    tier_log: TierLog,
    remote: RemoteLogs,
    bucket: Bucket,
    waiting: Vec<Removal>,
    /// Keys already reported missing.
    reported: BTreeSet<String>,
}

impl ReferencedObjectsExist {
    pub fn new() -> Self {
        Self::default()
    }

    fn missing(
        &mut self,
        at: Duration,
        topic: &str,
        partition: u32,
        object_id: &str,
        key: String,
        seen: MissingSeen,
    ) -> Option<Violation> {
        if !self.reported.insert(key.clone()) {
            return None;
        }
        Some(Violation::Tier(TierViolation::ReferencedObjectMissing {
            at,
            topic: topic.to_string(),
            partition,
            object_id: object_id.to_string(),
            key,
            seen,
        }))
    }

    fn deleted(&mut self, entry: &TraceEntry, key: &str) -> Option<Violation> {
        let tier_key = parse_tier_key(key)?;
        let remote = self.remote.partition(tier_key.topic, tier_key.partition)?;
        if !remote.upload(tier_key.object_id)?.serving() {
            return None;
        }
        let tier_partition = remote.tier_partition?;
        let removal = Removal {
            at: entry.at,
            key: key.to_string(),
            topic: tier_key.topic.to_string(),
            partition: tier_key.partition,
            object_id: tier_key.object_id.to_string(),
            tier_partition,
            tier_high_watermark: self.tier_log.high_watermark(tier_partition).unwrap_or(0),
        };
        if self
            .tier_log
            .caught_up(tier_partition, removal.tier_high_watermark)
        {
            return self.removal_illegal(removal);
        }
        self.waiting.push(removal);
        None
    }

    fn removal_illegal(&mut self, removal: Removal) -> Option<Violation> {
        self.missing(
            removal.at,
            &removal.topic,
            removal.partition,
            &removal.object_id,
            removal.key,
            MissingSeen::Deleted {
                tier_high_watermark: removal.tier_high_watermark,
            },
        )
    }

    /// Judges the waiting removals: legal once the object stopped being served, illegal once
    /// every record committed at the removal is known and it still was.
    fn judge_waiting(&mut self, final_verdict: bool) -> Vec<Violation> {
        let mut found = Vec::new();
        for removal in std::mem::take(&mut self.waiting) {
            let serving = self
                .remote
                .upload(&removal.topic, removal.partition, &removal.object_id)
                .is_some_and(|upload| upload.serving());
            if !serving {
                continue;
            }
            if final_verdict
                || self
                    .tier_log
                    .caught_up(removal.tier_partition, removal.tier_high_watermark)
            {
                found.extend(self.removal_illegal(removal));
            } else {
                self.waiting.push(removal);
            }
        }
        found
    }

    /// Both objects of a segment whose `CopyFinished` was just accepted must be there.
    fn finished(
        &mut self,
        entry: &TraceEntry,
        topic: &str,
        partition: u32,
        object_id: &str,
        seen: MissingSeen,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        for key in [
            segment_key(topic, partition, object_id),
            index_key(topic, partition, object_id),
        ] {
            if !self.bucket.contains(&key) {
                found.extend(self.missing(entry.at, topic, partition, object_id, key, seen.clone()));
            }
        }
        found
    }
}

impl Checker for ReferencedObjectsExist {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let event = match &entry.kind {
            TraceKind::Node(event) => event,
            TraceKind::ObjectStore(event) => {
                return match self.bucket.apply(event, entry.at) {
                    Some(BucketChange::Deleted(key)) => self.deleted(entry, key).into_iter().collect(),
                    _ => Vec::new(),
                };
            }
            _ => return Vec::new(),
        };
        let Some(tier_entry) = self.tier_log.observe(event, entry.at) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        let record = &tier_entry.record;
        let change = self
            .remote
            .apply(record, tier_entry.accepted, tier_entry.record_at, entry.at);
        if let Some(Change::Finished { object_id, .. } | Change::FinishedUnknown { object_id }) = change {
            let seen = MissingSeen::AtCopyFinished {
                record: tier_entry.record_at,
            };
            found.extend(self.finished(entry, &record.topic, record.partition, &object_id, seen));
        }
        if !self.waiting.is_empty() {
            found.extend(self.judge_waiting(false));
        }
        found
    }

    fn finish(&mut self, at: Duration) -> Vec<Violation> {
        let mut found = self.judge_waiting(true);
        let mut serving = Vec::new();
        for (topic, partition, remote) in self.remote.partitions() {
            for (object_id, upload) in remote.uploads() {
                if upload.serving() {
                    serving.push((topic.clone(), partition, object_id.clone()));
                }
            }
        }
        for (topic, partition, object_id) in serving {
            for key in [
                segment_key(&topic, partition, &object_id),
                index_key(&topic, partition, &object_id),
            ] {
                if !self.bucket.contains(&key) {
                    found.extend(self.missing(at, &topic, partition, &object_id, key, MissingSeen::AtEnd));
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::checkers::test_support::run;
    use crate::checkers::tier::test_support::*;
    use crate::checkers::tier::violation::RecordAt;

    fn both_objects(millis: u64, id: &str) -> Vec<TraceEntry> {
        vec![
            put_segment(millis, "t", 0, id, Bytes::from_static(b"segment")),
            put_index(millis + 1, "t", 0, id),
        ]
    }

    /// "a" is uploaded and finished (tier offsets 0-2, high watermark 3).
    fn finished_a() -> Vec<TraceEntry> {
        let mut entries = vec![
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
        ];
        entries.extend(both_objects(200, "a"));
        entries.push(tier_hw(1, 290, 0, 3));
        entries.push(materialized(1, 300, 0, 2, finished("t", 0, 1, "a")));
        entries
    }

    #[test]
    fn objects_deleted_after_their_delete_started_pass() {
        let mut entries = finished_a();
        entries.extend([
            // An abandoned upload's object may go (it was never finished).
            materialized(1, 400, 0, 3, started("t", 0, 1, "b", 8, 14)),
            put_segment(410, "t", 0, "b", Bytes::from_static(b"partial")),
            materialized(1, 420, 0, 4, started("t", 0, 1, "c", 8, 14)),
            delete(430, "tier/t/0/b.log"),
        ]);
        entries.extend(both_objects(440, "c"));
        entries.extend([
            tier_hw(1, 490, 0, 7),
            materialized(1, 500, 0, 5, delete_started("t", 0, 1, "a")),
            delete(510, "tier/t/0/a.log"),
            delete(520, "tier/t/0/a.index"),
            materialized(1, 530, 0, 6, finished("t", 0, 1, "c")),
            // A deleter acting on its committed DeleteStarted before anyone materialised it.
            tier_hw(1, 600, 0, 8),
            delete(610, "tier/t/0/c.log"),
            delete(611, "tier/t/0/c.index"),
            materialized(2, 620, 0, 7, delete_started("t", 0, 1, "c")),
        ]);
        assert_eq!(run(&mut ReferencedObjectsExist::new(), &entries), vec![]);
    }

    #[test]
    fn a_copy_finished_without_its_objects_is_reported() {
        let entries = vec![
            materialized(1, 100, 0, 0, init("t", 0, 1)),
            materialized(1, 110, 0, 1, started("t", 0, 1, "a", 0, 7)),
            put_segment(200, "t", 0, "a", Bytes::from_static(b"segment")),
            materialized(1, 300, 0, 2, finished("t", 0, 1, "a")),
        ];
        let violations = run(&mut ReferencedObjectsExist::new(), &entries);
        assert_eq!(
            violations,
            vec![Violation::Tier(TierViolation::ReferencedObjectMissing {
                at: Duration::from_millis(300),
                topic: "t".to_string(),
                partition: 0,
                object_id: "a".to_string(),
                key: "tier/t/0/a.index".to_string(),
                seen: MissingSeen::AtCopyFinished {
                    record: RecordAt {
                        tier_partition: 0,
                        offset: 2
                    }
                },
            })]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn deleting_a_referenced_object_is_reported_at_once() {
        let mut entries = finished_a();
        entries.push(delete(400, "tier/t/0/a.log"));
        let mut checker = ReferencedObjectsExist::new();
        let seen: Vec<Violation> = entries.iter().flat_map(|entry| checker.observe(entry)).collect();
        assert_eq!(
            seen,
            vec![Violation::Tier(TierViolation::ReferencedObjectMissing {
                at: Duration::from_millis(400),
                topic: "t".to_string(),
                partition: 0,
                object_id: "a".to_string(),
                key: "tier/t/0/a.log".to_string(),
                seen: MissingSeen::Deleted {
                    tier_high_watermark: 3
                },
            })]
        );
        // Not reported again at the end.
        assert_eq!(checker.finish(Duration::from_secs(1)), vec![]);
    }

    #[test]
    fn deleting_before_the_delete_started_is_committed_is_reported() {
        let mut entries = finished_a();
        entries.extend([
            delete(400, "tier/t/0/a.index"),
            // The DeleteStarted comes at offset 3, above the high watermark 3 of the Delete.
            tier_hw(1, 500, 0, 4),
            materialized(1, 510, 0, 3, delete_started("t", 0, 1, "a")),
        ]);
        assert!(matches!(
            run(&mut ReferencedObjectsExist::new(), &entries).as_slice(),
            [Violation::Tier(TierViolation::ReferencedObjectMissing { key, seen: MissingSeen::Deleted { .. }, .. })]
                if key == "tier/t/0/a.index"
        ));
    }

    #[test]
    fn a_deletion_waiting_for_a_record_never_materialised_is_reported_at_the_end() {
        let mut entries = finished_a();
        entries.extend([tier_hw(1, 400, 0, 4), delete(410, "tier/t/0/a.log")]);
        let mut checker = ReferencedObjectsExist::new();
        let seen: Vec<Violation> = entries.iter().flat_map(|entry| checker.observe(entry)).collect();
        assert_eq!(seen, vec![]);
        assert!(matches!(
            checker.finish(Duration::from_secs(1)).as_slice(),
            [Violation::Tier(TierViolation::ReferencedObjectMissing { at, .. })]
                if *at == Duration::from_millis(410)
        ));
    }
}
