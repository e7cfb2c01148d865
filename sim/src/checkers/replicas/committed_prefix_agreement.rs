//! Every replica's copy of a committed batch is the committed batch.
//!
//! A batch is committed the first time a leader announces a high watermark above all of it;
//! the announcing leader's copy is then *the* batch at those offsets, and every replica that
//! holds those offsets must hold exactly it: same base and last offset (a different batch
//! layout over the same offsets is a divergence too), same leader epoch, same checksum. A
//! replica may lose offsets (a truncated uncommitted tail, an unflushed tail lost in a crash)
//! and fetch them again, but never hold other data there.
//!
//! One exception keeps the checker from crying wolf: a replica cut off from the cluster may
//! still hold, or even append as a deposed leader, batches of an *older* leader epoch than the
//! epoch of the leader that committed those offsets. That is a stale uncommitted tail, which
//! the replica must truncate (by leader epoch) before it takes part again. The stale batch's
//! epoch may well be newer than the committed batch's own: a leader of epoch 2 wrote at offset
//! 10 and failed before anyone fetched it, and the leader of epoch 3, elected without it,
//! committed the epoch-1 batch it held at 10. So such a batch is a violation only once the
//! replica acts on it: it appends a batch of the committing leader's epoch or newer after it
//! (it followed that leader or a newer one without truncating), starts leading with it, or
//! announces a high watermark over it. A divergent batch of the committing leader's epoch or
//! a newer one is a violation at once: only one broker leads an epoch, and a leader of that
//! epoch or a newer one holds every committed record, so none writes other data there.
//!
//! Each divergent batch is reported once, then forgotten. Memory: the committed batches of
//! each partition, and each replica's batches not known to be committed (its tail).

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use super::replica_batches::{Committed, Judgement, ReplicaLog};
use super::{CommittedBatch, DivergenceSeen, ReplicaBatch};
use crate::checkers::partition_map::PartitionMap;
use crate::checkers::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "committed-prefix-agreement";

/// The committed batches of every partition and what each replica holds beyond them.
#[derive(Debug, Default)]
pub struct CommittedPrefixAgreement {
    partitions: PartitionMap<PartitionBatches>,
}

#[derive(Debug, Default)]
struct PartitionBatches {
    committed: Committed,
    replicas: BTreeMap<BrokerId, ReplicaLog>,
}

/// Where and when a violation was seen, to build it.
struct Scene<'a> {
    at: Duration,
    broker: BrokerId,
    topic: &'a str,
    partition: u32,
}

impl Scene<'_> {
    fn diverged(&self, committed: CommittedBatch, found: ReplicaBatch, seen: DivergenceSeen) -> Violation {
        Violation::CommittedBatchDiverged {
            at: self.at,
            broker: self.broker,
            topic: self.topic.to_string(),
            partition: self.partition,
            committed,
            found,
            seen,
        }
    }
}

impl CommittedPrefixAgreement {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for CommittedPrefixAgreement {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(event) = &entry.kind else {
            return Vec::new();
        };
        match event {
            Event::BatchAppended {
                broker,
                topic,
                partition,
                base_offset,
                last_offset,
                leader_epoch,
                checksum,
            } => {
                let batch = ReplicaBatch {
                    base_offset: *base_offset,
                    last_offset: *last_offset,
                    leader_epoch: *leader_epoch,
                    checksum: *checksum,
                };
                let scene = Scene {
                    at: entry.at,
                    broker: *broker,
                    topic,
                    partition: *partition,
                };
                appended(self.partitions.entry(topic, *partition), &scene, batch)
            }
            Event::ReplicaTruncated {
                broker,
                topic,
                partition,
                log_start_offset,
                log_end_offset,
            }
            | Event::ReplicaOpened {
                broker,
                topic,
                partition,
                log_start_offset,
                log_end_offset,
            } => {
                self.partitions
                    .entry(topic, *partition)
                    .replicas
                    .entry(*broker)
                    .or_default()
                    .keep_between(*log_start_offset, *log_end_offset);
                Vec::new()
            }
            Event::LeaderStarted {
                broker,
                topic,
                partition,
                leader_epoch,
                ..
            } => {
                let scene = Scene {
                    at: entry.at,
                    broker: *broker,
                    topic,
                    partition: *partition,
                };
                let replica = self
                    .partitions
                    .entry(topic, *partition)
                    .replicas
                    .entry(*broker)
                    .or_default();
                let divergent = replica.divergent.keys().copied().collect();
                report(
                    replica,
                    &scene,
                    divergent,
                    DivergenceSeen::StartedLeading {
                        leader_epoch: *leader_epoch,
                    },
                )
            }
            Event::HighWatermarkAdvanced {
                broker,
                topic,
                partition,
                leader_epoch,
                high_watermark,
            } => {
                let scene = Scene {
                    at: entry.at,
                    broker: *broker,
                    topic,
                    partition: *partition,
                };
                announced(
                    self.partitions.entry(topic, *partition),
                    &scene,
                    *leader_epoch,
                    *high_watermark,
                )
            }
            _ => Vec::new(),
        }
    }
}

/// The divergent batches at `bases` of `replica`, reported as `seen`, and forgotten.
fn report(replica: &mut ReplicaLog, scene: &Scene, bases: Vec<u64>, seen: DivergenceSeen) -> Vec<Violation> {
    bases
        .into_iter()
        .filter_map(|base| replica.divergent.remove(&base))
        .map(|(found, committed)| scene.diverged(committed, found, seen))
        .collect()
}

/// A replica appended `batch` (at its log end: anything it held from there on is gone).
fn appended(partition: &mut PartitionBatches, scene: &Scene, batch: ReplicaBatch) -> Vec<Violation> {
    let replica = partition.replicas.entry(scene.broker).or_default();
    replica.cut_from(batch.base_offset);
    // A batch of the committing leader's epoch or newer above a stale one: the replica went on
    // without truncating its divergent tail.
    let continued = replica
        .divergent
        .iter()
        .filter(|(_, (_, committed))| committed.leader_epoch <= batch.leader_epoch)
        .map(|(base, _)| *base)
        .collect();
    let mut violations = report(
        replica,
        scene,
        continued,
        DivergenceSeen::KeptBelow { later: batch },
    );
    match partition.committed.judge(&batch) {
        Judgement::Committed => {}
        Judgement::Uncommitted => {
            replica.tail.insert(batch.base_offset, batch);
        }
        Judgement::Differs(committed) if batch.leader_epoch >= committed.leader_epoch => {
            violations.push(scene.diverged(committed, batch, DivergenceSeen::Appended));
        }
        Judgement::Differs(committed) => {
            replica.divergent.insert(batch.base_offset, (batch, committed));
        }
    }
    violations
}

/// The leader `scene.broker` announced `high_watermark` in `leader_epoch`: its batches wholly
/// below it are committed (those not committed already), and every other replica's copies of
/// them are judged.
fn announced(
    partition: &mut PartitionBatches,
    scene: &Scene,
    leader_epoch: u64,
    high_watermark: u64,
) -> Vec<Violation> {
    let leader = partition.replicas.entry(scene.broker).or_default();
    // Its high watermark says these offsets are committed, but it holds other data there.
    let covered = leader
        .divergent
        .iter()
        .filter(|(_, (batch, committed))| batch.base_offset.max(committed.batch.base_offset) < high_watermark)
        .map(|(base, _)| *base)
        .collect();
    let mut violations = report(
        leader,
        scene,
        covered,
        DivergenceSeen::AnnouncedHighWatermark {
            leader_epoch,
            high_watermark,
        },
    );
    let newly_committed: Vec<CommittedBatch> = leader
        .tail
        .range(..high_watermark)
        .map(|(_, batch)| *batch)
        .filter(|batch| batch.last_offset < high_watermark)
        .map(|batch| CommittedBatch {
            batch,
            by: scene.broker,
            leader_epoch,
            high_watermark,
            at: scene.at,
        })
        .collect();
    if newly_committed.is_empty() {
        return violations;
    }
    for committed in &newly_committed {
        leader.tail.remove(&committed.batch.base_offset);
        partition.committed.insert(*committed);
    }
    for (&broker, replica) in &mut partition.replicas {
        if broker != scene.broker {
            let scene = Scene { broker, ..*scene };
            violations.extend(judge_copies(replica, &scene, &newly_committed));
        }
    }
    violations
}

/// Judges what `replica` holds at the offsets of `newly_committed` (in offset order): copies
/// of the committed batches are fine (and forgotten), others are divergent.
fn judge_copies(
    replica: &mut ReplicaLog,
    scene: &Scene,
    newly_committed: &[CommittedBatch],
) -> Vec<Violation> {
    let mut copies = Vec::new();
    let mut divergent = BTreeMap::new();
    for committed in newly_committed {
        for (&base, held) in replica.tail.range(..=committed.batch.last_offset).rev() {
            if held.last_offset < committed.batch.base_offset {
                break;
            }
            if *held == committed.batch {
                copies.push(base);
            } else {
                // The first committed batch it differs from.
                divergent.entry(base).or_insert((*held, *committed));
            }
        }
    }
    for base in divergent.keys() {
        replica.tail.remove(base);
    }
    replica.divergent.extend(divergent.iter());
    // Judged before the copies are forgotten: a copy above a stale batch counts against it.
    let mut violations = Vec::new();
    for (base, (found, committed)) in divergent {
        let seen = if found.leader_epoch >= committed.leader_epoch {
            Some(DivergenceSeen::HeldWhenCommitted)
        } else {
            replica
                .later_of_epoch(base, committed.leader_epoch)
                .map(|later| DivergenceSeen::KeptBelow { later })
        };
        if let Some(seen) = seen {
            violations.extend(report(replica, scene, vec![base], seen));
        }
    }
    for base in copies {
        replica.tail.remove(&base);
    }
    violations
}
