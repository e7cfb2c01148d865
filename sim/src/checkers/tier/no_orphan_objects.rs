//! No unreferenced object outlives a grace period.
//!
//! An object is referenced while an accepted tier record points to it (see `remote_log.rs`):
//! from its `CopyStarted` while that upload is in progress (a later `CopyStarted` or a newer
//! leader's `InitLeader` drops it), once finished, and while being deleted, until its
//! `DeleteFinished`. Objects nothing points to are garbage: a failed or fenced upload's, a
//! retried `Put` that landed after its upload was given up, a deletion that was recorded
//! but never reached the store. The orphan collector must remove them.
//!
//! At the end of the run every tiered object still in the bucket (rebuilt from the object
//! store's events; keys `tier/{topic}/{partition}/{object_id}.log` or `.index`) that is not
//! referenced must have become unreferenced, or been written, whichever is later, at most
//! `grace` before the end. The collector deletes an object once it is `orphan_grace` old and
//! looks every `orphan_check_interval`, so `grace` is their sum plus a slack for listing and
//! deleting ([`NoOrphanObjects::grace_for`]).
//!
//! Faults may hold the collector up for as long as they last: it cannot list or delete
//! during a store outage or a 503 storm, it runs only on the partition's leader (a crash or a
//! partition moves leadership, and the new leader looks first after `orphan_check_interval`),
//! and it runs only when its leader has no upload waiting (a backlog built up during a fault
//! drains first). So the grace is also counted from the last fault the world injected or
//! healed (any `Fault` entry of the trace): orphans must be gone `grace` after the last
//! fault, which a scenario's liveness phase checks when it is longer than `grace`.
//!
//! Not counted: incomplete multipart uploads (no object is visible, nothing can reference
//! them, and the bucket's lifecycle rule aborts them), and keys outside the tier layout.

use std::time::Duration;

use korasim_core::tier::TierParams;

use super::bucket::{parse_tier_key, Bucket};
use super::remote_log::RemoteLogs;
use super::tier_log::TierLog;
use super::violation::TierViolation;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "no-orphan-objects";

/// Added to the orphan collector's own delays: time to list and delete, with retries.
pub const GRACE_SLACK: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct NoOrphanObjects {
    grace: Duration,
    tier_log: TierLog,
    remote: RemoteLogs,
    bucket: Bucket,
    /// When the world last injected or healed a fault.
    last_fault_at: Option<Duration>,
}

impl Default for NoOrphanObjects {
    fn default() -> Self {
        Self::new(Self::grace_for(&TierParams::default()))
    }
}

impl NoOrphanObjects {
    /// Unreferenced objects may stay `grace` after they became unreferenced or were written.
    pub fn new(grace: Duration) -> Self {
        NoOrphanObjects {
            grace,
            tier_log: TierLog::default(),
            remote: RemoteLogs::default(),
            bucket: Bucket::new(),
            last_fault_at: None,
        }
    }

    /// The grace of the orphan collector that `params` configure:
    /// `orphan_grace + orphan_check_interval + GRACE_SLACK`.
    pub fn grace_for(params: &TierParams) -> Duration {
        params.orphan_grace + params.orphan_check_interval + GRACE_SLACK
    }

    pub fn grace(&self) -> Duration {
        self.grace
    }
}

impl Checker for NoOrphanObjects {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        match &entry.kind {
            TraceKind::ObjectStore(event) => {
                self.bucket.apply(event, entry.at);
            }
            TraceKind::Fault(_) => self.last_fault_at = Some(entry.at),
            TraceKind::Node(event) => {
                if let Some(tier_entry) = self.tier_log.observe(event, entry.at) {
                    self.remote.apply(
                        &tier_entry.record,
                        tier_entry.accepted,
                        tier_entry.record_at,
                        entry.at,
                    );
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn finish(&mut self, at: Duration) -> Vec<Violation> {
        let mut found = Vec::new();
        for (key, object) in self.bucket.objects() {
            let Some(tier_key) = parse_tier_key(key) else {
                continue;
            };
            let upload = self
                .remote
                .upload(tier_key.topic, tier_key.partition, tier_key.object_id);
            if upload.is_some_and(|upload| upload.referenced()) {
                continue;
            }
            let unreferenced_since = upload.and_then(|upload| upload.released_at);
            let since = [Some(object.written_at), unreferenced_since, self.last_fault_at]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or_default();
            if at.saturating_sub(since) <= self.grace {
                continue;
            }
            found.push(Violation::Tier(TierViolation::OrphanObjectKept {
                at,
                key: key.clone(),
                topic: tier_key.topic.to_string(),
                partition: tier_key.partition,
                object_id: tier_key.object_id.to_string(),
                written_at: object.written_at,
                unreferenced_since,
                last_fault_at: self.last_fault_at,
                grace: self.grace,
            }));
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
    use crate::devices::object_store::StoreEvent;

    const GRACE: Duration = Duration::from_secs(100);

    fn judge(entries: &[TraceEntry], end: Duration) -> Vec<Violation> {
        let mut checker = NoOrphanObjects::new(GRACE);
        let mut found: Vec<Violation> = entries.iter().flat_map(|entry| checker.observe(entry)).collect();
        found.extend(checker.finish(end));
        found
    }

    fn objects(millis: u64, id: &str) -> Vec<TraceEntry> {
        vec![
            put_segment(millis, "t", 0, id, Bytes::from_static(b"segment")),
            put_index(millis, "t", 0, id),
        ]
    }

    #[test]
    fn the_grace_follows_the_tier_params() {
        let params = TierParams::default();
        assert_eq!(
            NoOrphanObjects::default().grace(),
            params.orphan_grace + params.orphan_check_interval + GRACE_SLACK
        );
    }

    /// "a" finished, "b" in progress, "d" deleted by retention (objects gone), "x" dropped
    /// and collected, "y" dropped recently, a multipart upload abandoned, a stray key.
    fn history() -> Vec<TraceEntry> {
        let mut entries = vec![
            materialized(1, 1_000, 0, 0, init("t", 0, 1)),
            materialized(1, 1_010, 0, 1, started("t", 0, 1, "d", 0, 4)),
        ];
        entries.extend(objects(1_100, "d"));
        entries.extend([
            materialized(1, 1_200, 0, 2, finished("t", 0, 1, "d")),
            materialized(1, 1_300, 0, 3, started("t", 0, 1, "x", 5, 9)),
        ]);
        entries.extend(objects(1_400, "x"));
        entries.extend([materialized(1, 2_000, 0, 4, started("t", 0, 1, "a", 5, 9))]);
        entries.extend(objects(2_100, "a"));
        entries.extend([
            materialized(1, 3_000, 0, 5, finished("t", 0, 1, "a")),
            delete(70_000, "tier/t/0/x.log"),
            delete(70_000, "tier/t/0/x.index"),
            materialized(1, 80_000, 0, 6, delete_started("t", 0, 1, "d")),
            delete(80_100, "tier/t/0/d.log"),
            delete(80_100, "tier/t/0/d.index"),
            materialized(1, 80_200, 0, 7, delete_finished("t", 0, 1, "d")),
            materialized(1, 150_000, 0, 8, started("t", 0, 1, "y", 10, 14)),
        ]);
        entries.extend(objects(150_100, "y"));
        entries.extend([
            materialized(1, 160_000, 0, 9, started("t", 0, 1, "b", 10, 14)),
            store(
                160_100,
                StoreEvent::MultipartAbandoned {
                    key: "tier/t/0/z.log".to_string(),
                    bytes: 300_000,
                },
            ),
            put(160_200, "tier/t/0/stray", Bytes::from_static(b"?")),
        ]);
        entries.extend(objects(160_300, "b"));
        entries
    }

    #[test]
    fn collected_and_recent_orphans_pass() {
        assert_eq!(judge(&history(), Duration::from_secs(250)), vec![]);
        assert_eq!(run(&mut NoOrphanObjects::new(GRACE), &history()), vec![]);
    }

    #[test]
    fn an_orphan_kept_past_the_grace_is_reported() {
        // "y" was dropped at 160 s: by 261 s it is more than 100 s an orphan.
        let violations = judge(&history(), Duration::from_secs(261));
        assert_eq!(
            violations,
            vec![
                Violation::Tier(TierViolation::OrphanObjectKept {
                    at: Duration::from_secs(261),
                    key: "tier/t/0/y.index".to_string(),
                    topic: "t".to_string(),
                    partition: 0,
                    object_id: "y".to_string(),
                    written_at: Duration::from_millis(150_100),
                    unreferenced_since: Some(Duration::from_secs(160)),
                    last_fault_at: None,
                    grace: GRACE,
                }),
                Violation::Tier(TierViolation::OrphanObjectKept {
                    at: Duration::from_secs(261),
                    key: "tier/t/0/y.log".to_string(),
                    topic: "t".to_string(),
                    partition: 0,
                    object_id: "y".to_string(),
                    written_at: Duration::from_millis(150_100),
                    unreferenced_since: Some(Duration::from_secs(160)),
                    last_fault_at: None,
                    grace: GRACE,
                }),
            ]
        );
        assert_eq!(violations[0].checker(), NAME);
    }

    #[test]
    fn an_object_no_record_ever_pointed_to_is_reported() {
        let mut entries = history();
        entries.push(put_segment(150_000, "t", 0, "never", Bytes::from_static(b"x")));
        let violations = judge(&entries, Duration::from_secs(251));
        assert!(matches!(
            violations.as_slice(),
            [Violation::Tier(TierViolation::OrphanObjectKept { object_id, unreferenced_since: None, .. })]
                if object_id == "never"
        ));
    }

    #[test]
    fn a_deleted_segment_whose_object_stayed_is_reported() {
        // The DeleteFinished is recorded though the Delete never reached the store.
        let mut entries = history();
        entries.retain(|entry| {
            !matches!(&entry.kind, TraceKind::ObjectStore(StoreEvent::Delete { key }) if key.contains("/d."))
        });
        let violations = judge(&entries, Duration::from_secs(250));
        assert!(matches!(
            violations.as_slice(),
            [
                Violation::Tier(TierViolation::OrphanObjectKept { object_id: first, .. }),
                Violation::Tier(TierViolation::OrphanObjectKept { object_id: second, unreferenced_since: Some(since), .. }),
            ] if first == "d" && second == "d" && *since == Duration::from_millis(80_200)
        ));
    }

    #[test]
    fn the_grace_counts_from_the_last_fault_too() {
        let mut entries = history();
        entries.push(TraceEntry {
            at: Duration::from_secs(170),
            node: "world".to_string(),
            kind: TraceKind::Fault(crate::faults::FaultEvent::DiskHealed {
                node: "broker-1".to_string(),
            }),
        });
        // "y" has been an orphan since 160 s, but the world healed a fault at 170 s.
        assert_eq!(judge(&entries, Duration::from_secs(261)), vec![]);
        assert!(matches!(
            judge(&entries, Duration::from_secs(271)).as_slice(),
            [
                Violation::Tier(TierViolation::OrphanObjectKept { last_fault_at: Some(fault), .. }),
                Violation::Tier(TierViolation::OrphanObjectKept { .. }),
            ] if *fault == Duration::from_secs(170)
        ));
    }

    #[test]
    fn an_object_rewritten_after_its_upload_was_dropped_counts_from_the_write() {
        // A retried Put of the dropped "x" lands late: the grace runs from then.
        let mut entries = history();
        entries.push(put_segment(155_000, "t", 0, "x", Bytes::from_static(b"late")));
        assert_eq!(judge(&entries, Duration::from_secs(254)), vec![]);
        assert!(matches!(
            judge(&entries, Duration::from_secs(256)).as_slice(),
            [Violation::Tier(TierViolation::OrphanObjectKept { object_id, .. })] if object_id == "x"
        ));
    }
}
