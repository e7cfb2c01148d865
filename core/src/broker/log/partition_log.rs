//! The partition log: one replica of one partition on one broker's disk, as Kafka's log
//! layer keeps it. Replication, the high watermark and acknowledgements build on it; this
//! layer only stores batches, assigns offsets, and keeps the leader epochs and producer
//! sequences that those layers ask about.
//!
//! # Layout
//!
//! Under its directory a log holds its segments, `<base offset, 20 digits>.log`, each a run
//! of consecutive batches (see `segment.rs`), and the leader-epoch checkpoint files (see
//! `leader_epoch_checkpoint.rs`). The first segment's base offset is the log start offset;
//! the last segment is the active one that appends go to, and it always exists (if need be
//! as an empty file, whose name then carries the log end offset across a restart).
//!
//! # Durability model
//!
//! The disk promises durability only for what was synced (see [`Disk`]), and the log adds
//! nothing to that promise:
//!
//! - **Appends** are not durable when they return. [`PartitionLog::flush`] syncs every
//!   segment with unsynced data, oldest first; when it returns `Ok`, every batch appended
//!   before it survives a crash. [`PartitionLog::flushed_end_offset`] says how far that goes
//!   at any moment: every offset below it is durable. When to flush is the caller's policy;
//!   Kafka does not fsync each batch but relies on replication, and so may the broker.
//! - **A crash** keeps every flushed batch and may leave a torn prefix of the batch that was
//!   being written, which open cuts away. The simulated disk keeps nothing else, so after a
//!   crash the log ends exactly at the flushed end offset; a real disk may keep some
//!   unflushed batches too. Because segments are synced oldest first, what survives is always
//!   a prefix of the log.
//! - **Truncation** ([`PartitionLog::truncate_to`], [`PartitionLog::truncate_fully_and_start_at`])
//!   is durable when it returns: later segments are deleted newest first (a delete is durable
//!   at once) and the cut segment is synced (after the segments in front of it), so a crash
//!   part-way leaves a shorter prefix of the old log, never a log with a hole or with removed
//!   batches back.
//! - **Retention** ([`PartitionLog::delete_segments_before`]) deletes whole segments oldest
//!   first, once the segment that will be first is on the medium, so a crash part-way leaves
//!   a suffix of the old log. It keeps the leader-epoch history below the new start (the
//!   segments went to the remote tier; where each epoch ended is still needed).
//! - **The leader-epoch cache** is synced on every change, before the batch that caused it is
//!   written.
//!
//! # Open and recovery
//!
//! [`PartitionLog::open`] reads every segment and verifies every batch: it must decode
//! (complete, CRC correct), start right after the batch before it (the first at its
//! segment's base offset) and carry a leader epoch no lower than the one before. The log
//! ends at the first batch that fails: open truncates that segment there, deletes every later
//! segment, syncs what is left, and reports what it cut ([`TailCut`]). That is exactly right
//! for a torn final write (an incomplete batch). It is also what happens to corruption, a
//! complete batch failing its checksum: the log is cut from the first bad batch on, possibly
//! losing flushed batches after it. The cut is reported with its cause
//! ([`TailCut::is_torn_write`] tells the two apart), so that the durability audits can
//! treat a corrupt replica as such and rebuild it from a healthy one. A segment that does
//! not start where the one before it ends is cut away whole, with every later one
//! ([`TailCutReason::SegmentGap`]); a crash in the middle of
//! [`PartitionLog::truncate_fully_and_start_at`] leaves that. Corruption that appears after
//! open is reported by [`PartitionLog::read`] as [`LogError::CorruptBatch`], and the log is
//! left as it is.
//!
//! The leader-epoch cache is loaded from its checkpoint and reconciled with the batches (an
//! epoch found in the log but not in the cache is added; entries at or past the log end, or
//! before its start, are dropped). The producer state is rebuilt from the batches.
//!
//! Everything is deterministic: ordered collections, no randomness, and no clock (batch
//! timestamps come from the caller, in milliseconds).

use std::sync::Arc;

use super::batch::{ProducerInfo, Record, RecordBatch};
use super::error::{BatchDefect, LogError};
use super::leader_epoch_cache::{EpochEndOffset, LeaderEpochCache};
use super::leader_epoch_checkpoint::LeaderEpochCheckpoint;
use super::params::LogParams;
use super::producer_state::{ProducerStateTable, SequenceCheck};
use super::segment::{parse_segment_file_name, segment_file_name, Segment};
use crate::storage::{Disk, DiskError};

/// What open found on disk and what it had to cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecovery {
    pub segment_count: usize,
    pub batch_count: u64,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    /// Where the valid log ended before the files did; `None` when every byte was valid.
    pub cut: Option<TailCut>,
}

/// The end of the valid log, as open found it, and what it removed from there on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailCut {
    /// The segment holding the first invalid batch (or the first segment that does not
    /// continue the one before it, in which case `position_bytes` is zero and the segment
    /// is among `deleted_segment_files`).
    pub segment_file: String,
    pub position_bytes: u64,
    pub reason: TailCutReason,
    /// Bytes removed: the rest of that segment and all of every later one.
    pub discarded_bytes: u64,
    pub deleted_segment_files: Vec<String>,
}

/// Why open cut the log where it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailCutReason {
    /// A batch failed its checks: a torn write when it is incomplete, corruption when its
    /// checksum fails, a bug otherwise.
    InvalidBatch(BatchDefect),
    /// A segment does not start where the one before it ends. A crash in the middle of
    /// [`PartitionLog::truncate_fully_and_start_at`] leaves this (the old log and the new
    /// empty segment side by side), and so does a disk that lost a file.
    SegmentGap {
        expected_offset: u64,
        found_base_offset: u64,
    },
}

impl TailCut {
    /// Whether the cut removed only a torn final write, which a crash is allowed to leave,
    /// rather than bytes that had been complete.
    pub fn is_torn_write(&self) -> bool {
        matches!(&self.reason, TailCutReason::InvalidBatch(defect) if defect.is_torn_write())
    }
}

/// How the leader's log took a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderAppend {
    /// Written at these offsets.
    Appended { base_offset: u64, last_offset: u64 },
    /// A producer's retry of a batch the log already holds at these offsets; nothing was
    /// written, and the producer is acknowledged with the original offsets.
    Duplicate { base_offset: u64, last_offset: u64 },
}

impl LeaderAppend {
    pub fn base_offset(&self) -> u64 {
        match *self {
            LeaderAppend::Appended { base_offset, .. } | LeaderAppend::Duplicate { base_offset, .. } => {
                base_offset
            }
        }
    }

    pub fn last_offset(&self) -> u64 {
        match *self {
            LeaderAppend::Appended { last_offset, .. } | LeaderAppend::Duplicate { last_offset, .. } => {
                last_offset
            }
        }
    }
}

/// A segment that is no longer the active one: its batches will not change (short of a
/// truncation), so tiered storage may copy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolledSegment {
    pub base_offset: u64,
    pub last_offset: u64,
    pub file_name: String,
    pub size_bytes: u64,
    pub max_batch_timestamp_ms: Option<u64>,
    /// Where each batch lies in the file, in offset order.
    pub batches: Vec<BatchPosition>,
}

/// One entry of a segment's offset index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchPosition {
    pub base_offset: u64,
    pub last_offset: u64,
    pub position_bytes: u64,
    pub size_bytes: u64,
}

/// One partition replica's log. See the module documentation for its durability model.
pub struct PartitionLog {
    disk: Arc<dyn Disk>,
    directory: String,
    params: LogParams,
    /// In offset order, contiguous, never empty; the last one is the active segment.
    segments: Vec<Segment>,
    epoch_cache: LeaderEpochCache,
    epoch_checkpoint: LeaderEpochCheckpoint,
    producer_state: ProducerStateTable,
}

impl PartitionLog {
    /// Opens the log in `directory` (an empty log at offset 0 when there is nothing there),
    /// verifying every batch and cutting the log at the first invalid one (see the module
    /// documentation).
    pub async fn open(
        disk: Arc<dyn Disk>,
        directory: &str,
        params: LogParams,
    ) -> Result<(PartitionLog, LogRecovery), LogError> {
        let (epoch_checkpoint, checkpointed_epochs) =
            LeaderEpochCheckpoint::open(disk.clone(), directory).await?;
        let mut epoch_cache = checkpointed_epochs.clone();
        let mut producer_state = ProducerStateTable::new();
        let mut batch_count = 0u64;
        let mut previous_epoch: Option<u64> = None;

        let mut base_offsets: Vec<u64> = disk
            .list(&format!("{directory}/"))
            .await?
            .iter()
            .filter_map(|file| parse_segment_file_name(directory, file))
            .collect();
        base_offsets.sort_unstable();

        let mut segments: Vec<Segment> = Vec::new();
        let mut cut: Option<TailCut> = None;
        for base_offset in base_offsets {
            let file_name = segment_file_name(directory, base_offset);
            if let Some(cut) = cut.as_mut() {
                // Everything after the first invalid batch goes, whole segments included.
                cut.discarded_bytes += file_length_bytes(&disk, &file_name).await?;
                disk.delete(&file_name).await?;
                cut.deleted_segment_files.push(file_name);
                continue;
            }
            if let Some(expected_offset) = segments.last().map(Segment::next_offset) {
                if base_offset != expected_offset {
                    let discarded_bytes = file_length_bytes(&disk, &file_name).await?;
                    disk.delete(&file_name).await?;
                    cut = Some(TailCut {
                        segment_file: file_name.clone(),
                        position_bytes: 0,
                        reason: TailCutReason::SegmentGap {
                            expected_offset,
                            found_base_offset: base_offset,
                        },
                        discarded_bytes,
                        deleted_segment_files: vec![file_name],
                    });
                    continue;
                }
            }
            let scan = Segment::scan(&disk, directory, base_offset, |batch| {
                if let Some(previous_epoch) = previous_epoch {
                    if batch.leader_epoch < previous_epoch {
                        return Err(BatchDefect::LeaderEpochDecreased {
                            previous_epoch,
                            found_epoch: batch.leader_epoch,
                        });
                    }
                }
                previous_epoch = Some(batch.leader_epoch);
                if epoch_cache
                    .latest_epoch()
                    .is_none_or(|latest_epoch| batch.leader_epoch > latest_epoch)
                {
                    epoch_cache.assign(batch.leader_epoch, batch.base_offset);
                }
                producer_state.record(batch.producer, batch.record_count(), batch.base_offset);
                batch_count += 1;
                Ok(())
            })
            .await?;
            let mut segment = scan.segment;
            if let Some((position_bytes, defect)) = scan.invalid_tail {
                segment.truncate_file(&disk, position_bytes).await?;
                cut = Some(TailCut {
                    segment_file: file_name,
                    position_bytes,
                    reason: TailCutReason::InvalidBatch(defect),
                    discarded_bytes: scan.file_length_bytes - position_bytes,
                    deleted_segment_files: Vec::new(),
                });
            }
            // A listed file need not have survived a crash yet (it may have been written
            // since the last one without a sync), so open makes what it found durable.
            segment.make_file_durable(&disk).await?;
            segments.push(segment);
        }
        if segments.is_empty() {
            segments.push(Segment::empty(directory, 0));
        }

        let mut log = PartitionLog {
            disk,
            directory: directory.to_string(),
            params,
            segments,
            epoch_cache,
            epoch_checkpoint,
            producer_state,
        };
        // The checkpoint may hold an epoch that a leader recorded at its log end and never
        // wrote, or epochs of batches that a crash or an interrupted truncation took away.
        // Epochs below the log start stay: retention moved the start, the history holds.
        let log_end_offset = log.log_end_offset();
        let log_start_offset = log.log_start_offset();
        log.epoch_cache.truncate_from_end(log_end_offset);
        if log.epoch_cache != checkpointed_epochs {
            log.persist_epoch_cache().await?;
        }
        let recovery = LogRecovery {
            segment_count: log.segments.len(),
            batch_count,
            log_start_offset,
            log_end_offset,
            cut,
        };
        Ok((log, recovery))
    }

    pub fn directory(&self) -> &str {
        &self.directory
    }

    pub fn params(&self) -> &LogParams {
        &self.params
    }

    /// The first offset the log holds (or would hold, when it is empty).
    pub fn log_start_offset(&self) -> u64 {
        self.segments[0].base_offset()
    }

    /// The offset the next batch gets.
    pub fn log_end_offset(&self) -> u64 {
        self.active_segment().next_offset()
    }

    /// Every offset below this one survives a crash.
    pub fn flushed_end_offset(&self) -> u64 {
        let mut flushed_end_offset = self.log_start_offset();
        for segment in &self.segments {
            if segment.needs_sync() {
                return segment.durable_end_offset().max(flushed_end_offset);
            }
            flushed_end_offset = segment.next_offset();
        }
        flushed_end_offset
    }

    /// Whether a flush would make anything durable that is not yet.
    pub fn has_unflushed_data(&self) -> bool {
        self.segments.iter().any(Segment::needs_sync)
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(Segment::size_bytes).sum()
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    pub fn segment_base_offsets(&self) -> Vec<u64> {
        self.segments.iter().map(Segment::base_offset).collect()
    }

    /// The segment files, oldest first (the active one's may not exist yet when it is
    /// empty).
    pub fn segment_files(&self) -> Vec<String> {
        self.segments
            .iter()
            .map(|segment| segment.file_name().to_string())
            .collect()
    }

    /// Every segment but the active one, oldest first, skipping empty ones.
    pub fn rolled_segments(&self) -> Vec<RolledSegment> {
        self.segments[..self.segments.len() - 1]
            .iter()
            .filter(|segment| !segment.is_empty())
            .map(|segment| RolledSegment {
                base_offset: segment.base_offset(),
                last_offset: segment.next_offset() - 1,
                file_name: segment.file_name().to_string(),
                size_bytes: segment.size_bytes(),
                max_batch_timestamp_ms: segment.max_batch_timestamp_ms(),
                batches: segment
                    .batches()
                    .iter()
                    .map(|location| BatchPosition {
                        base_offset: location.base_offset,
                        last_offset: location.last_offset,
                        position_bytes: location.position_bytes,
                        size_bytes: location.size_bytes,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The bytes of the segment starting at `base_offset`, as they are in its file.
    pub async fn read_segment_bytes(&self, base_offset: u64) -> Result<bytes::Bytes, LogError> {
        let segment = self
            .segments
            .iter()
            .find(|segment| segment.base_offset() == base_offset)
            .ok_or(LogError::OffsetOutOfRange {
                offset: base_offset,
                log_start_offset: self.log_start_offset(),
                log_end_offset: self.log_end_offset(),
            })?;
        if segment.size_bytes() == 0 {
            return Ok(bytes::Bytes::new());
        }
        Ok(self
            .disk
            .read(segment.file_name(), 0, segment.size_bytes())
            .await?)
    }

    pub fn batch_count(&self) -> usize {
        self.segments.iter().map(Segment::batch_count).sum()
    }

    pub fn leader_epoch_cache(&self) -> &LeaderEpochCache {
        &self.epoch_cache
    }

    pub fn latest_leader_epoch(&self) -> Option<u64> {
        self.epoch_cache.latest_epoch()
    }

    /// This log's answer to `OffsetsForLeaderEpoch` (see
    /// [`LeaderEpochCache::end_offset_for_epoch`]).
    pub fn end_offset_for_epoch(&self, requested_epoch: u64) -> Option<EpochEndOffset> {
        self.epoch_cache
            .end_offset_for_epoch(requested_epoch, self.log_end_offset())
    }

    pub fn producer_state(&self) -> &ProducerStateTable {
        &self.producer_state
    }

    /// Records that this replica leads from `leader_epoch` on, starting at the log end
    /// offset, before it writes anything. Followers asking for the end of the previous epoch
    /// then hear "here", which keeps every record this leader had when it took over, and
    /// drops the records of that epoch it never got.
    pub async fn assign_epoch_start(&mut self, leader_epoch: u64) -> Result<(), LogError> {
        self.check_leader_epoch(leader_epoch)?;
        if self.epoch_cache.assign(leader_epoch, self.log_end_offset()) {
            self.persist_epoch_cache().await?;
        }
        Ok(())
    }

    /// Appends `records` as a new batch at the log end offset, as the leader of
    /// `leader_epoch`. An idempotent batch is first checked against its producer's state: a
    /// retry of one of the producer's last five batches is not written again but answered
    /// with its original offsets, and a gap or a fenced producer epoch is an error. Not
    /// durable until [`PartitionLog::flush`].
    pub async fn append_as_leader(
        &mut self,
        records: Vec<Record>,
        leader_epoch: u64,
        producer: ProducerInfo,
        create_timestamp_ms: u64,
    ) -> Result<LeaderAppend, LogError> {
        if records.is_empty() {
            return Err(LogError::EmptyBatch);
        }
        self.check_leader_epoch(leader_epoch)?;
        if producer.is_idempotent() && (producer.producer_epoch < 0 || producer.base_sequence < 0) {
            return Err(LogError::InvalidProducerInfo {
                producer_id: producer.producer_id,
                producer_epoch: producer.producer_epoch,
                base_sequence: producer.base_sequence,
            });
        }
        match self.producer_state.check(producer, records.len() as u32) {
            SequenceCheck::Accept => {}
            SequenceCheck::Duplicate {
                base_offset,
                last_offset,
            } => {
                return Ok(LeaderAppend::Duplicate {
                    base_offset,
                    last_offset,
                })
            }
            SequenceCheck::OutOfOrder { expected_sequence } => {
                return Err(LogError::OutOfOrderSequence {
                    producer_id: producer.producer_id,
                    expected_sequence,
                    found_sequence: producer.base_sequence,
                })
            }
            SequenceCheck::StaleProducerEpoch { current_epoch } => {
                return Err(LogError::ProducerFenced {
                    producer_id: producer.producer_id,
                    current_epoch,
                    found_epoch: producer.producer_epoch,
                })
            }
        }
        let batch = RecordBatch {
            base_offset: self.log_end_offset(),
            leader_epoch,
            producer,
            create_timestamp_ms,
            records,
        };
        self.append_batch(&batch).await?;
        Ok(LeaderAppend::Appended {
            base_offset: batch.base_offset,
            last_offset: batch.last_offset(),
        })
    }

    /// Appends a batch copied from the leader, keeping its offsets, epoch and producer
    /// fields. It must start at the log end offset (a follower truncates by leader epoch
    /// first, then fetches from its log end), and its epoch must not be older than the log's
    /// latest. Sequences are not checked: the leader did that. Not durable until
    /// [`PartitionLog::flush`].
    pub async fn append_as_follower(&mut self, batch: &RecordBatch) -> Result<(), LogError> {
        if batch.records.is_empty() {
            return Err(LogError::EmptyBatch);
        }
        let log_end_offset = self.log_end_offset();
        if batch.base_offset != log_end_offset {
            return Err(LogError::NonContiguousAppend {
                expected_offset: log_end_offset,
                found_offset: batch.base_offset,
            });
        }
        self.check_leader_epoch(batch.leader_epoch)?;
        self.append_batch(batch).await
    }

    /// The batches from the one holding `from_offset` on, whole, up to `max_bytes` of
    /// encoded batches in total but at least one (so that a batch larger than `max_bytes`
    /// can still be fetched, as in Kafka). The first batch may start before `from_offset`.
    /// Reading at the log end offset returns nothing; outside the log is an error.
    pub async fn read(&self, from_offset: u64, max_bytes: u64) -> Result<Vec<RecordBatch>, LogError> {
        let log_start_offset = self.log_start_offset();
        let log_end_offset = self.log_end_offset();
        if from_offset < log_start_offset || from_offset > log_end_offset {
            return Err(LogError::OffsetOutOfRange {
                offset: from_offset,
                log_start_offset,
                log_end_offset,
            });
        }
        let first_segment = self
            .segments
            .partition_point(|segment| segment.base_offset() <= from_offset)
            - 1;
        let mut batches = Vec::new();
        let mut total_bytes = 0u64;
        let mut first_batch = self.segments[first_segment].locate(from_offset);
        for segment in &self.segments[first_segment..] {
            let locations = segment.batches();
            let mut end_batch = first_batch;
            let mut full = false;
            while let Some(location) = locations.get(end_batch) {
                if total_bytes > 0 && total_bytes + location.size_bytes > max_bytes {
                    full = true;
                    break;
                }
                total_bytes += location.size_bytes;
                end_batch += 1;
            }
            batches.extend(segment.read_batches(&self.disk, first_batch..end_batch).await?);
            if full {
                break;
            }
            first_batch = 0;
        }
        Ok(batches)
    }

    /// Syncs every segment with unsynced appends, oldest first. When it returns `Ok`,
    /// [`PartitionLog::flushed_end_offset`] equals the log end offset.
    pub async fn flush(&mut self) -> Result<(), LogError> {
        for segment in &mut self.segments {
            segment.sync(&self.disk).await?;
        }
        Ok(())
    }

    /// Drops every batch at and after `offset`, durably, and returns the new log end offset.
    ///
    /// A batch is dropped whole, so when `offset` falls inside a batch the log ends at that
    /// batch's base offset, below `offset` (as in Kafka). An `offset` at or past the log end
    /// drops nothing but still removes a leader epoch recorded at the log end (a leader that
    /// took over and was deposed before writing, as Kafka does). An `offset` below the log
    /// start empties the log and restarts it there
    /// ([`PartitionLog::truncate_fully_and_start_at`]).
    pub async fn truncate_to(&mut self, offset: u64) -> Result<u64, LogError> {
        if offset < self.log_start_offset() {
            self.truncate_fully_and_start_at(offset).await?;
            return Ok(offset);
        }
        let dropped = self.drop_batches_from(offset).await;
        // The caches follow whatever part of the truncation reached the disk, even when a
        // disk error stopped it half-way.
        let reconciled = self.reconcile_after_truncation().await;
        dropped?;
        reconciled?;
        Ok(self.log_end_offset())
    }

    /// Empties the log and restarts it at `offset`, durably: what a follower does when its
    /// log has nothing in common with the leader's, or ends before the leader's log start.
    /// The leader-epoch cache and the producer state are cleared with it.
    ///
    /// A crash part-way leaves either a prefix of the old log or the new empty one.
    pub async fn truncate_fully_and_start_at(&mut self, offset: u64) -> Result<(), LogError> {
        let restarted = self.restart_at(offset).await;
        if restarted.is_ok() {
            self.producer_state.clear();
            if self.epoch_cache.clear() {
                self.persist_epoch_cache().await?;
            }
            return Ok(());
        }
        self.reconcile_after_truncation().await?;
        restarted
    }

    /// Retention: deletes every segment whose batches all lie below `offset`, oldest first,
    /// and returns the new log start offset (the first remaining segment's base offset, so
    /// at most `offset`). When that would include the active segment, a new empty active
    /// segment is started at the log end first, so that the log keeps its end offset and
    /// the next batch its offset.
    pub async fn delete_segments_before(&mut self, offset: u64) -> Result<u64, LogError> {
        let active = self.active_segment();
        if !active.is_empty() && active.next_offset() <= offset {
            let fresh = Segment::create_durably(&self.disk, &self.directory, active.next_offset()).await?;
            self.segments.push(fresh);
        }
        let deletable = self.segments[..self.segments.len() - 1]
            .iter()
            .take_while(|segment| segment.next_offset() <= offset)
            .count();
        if deletable == 0 {
            return Ok(self.log_start_offset());
        }
        // The first remaining segment's name becomes the log start offset, so its file must
        // be on the medium before anything in front of it goes.
        let new_first = &mut self.segments[deletable];
        if !new_first.file_is_durable() {
            new_first.make_file_durable(&self.disk).await?;
        }
        let mut deleted: Result<(), DiskError> = Ok(());
        for _ in 0..deletable {
            if let Err(error) = self.disk.delete(self.segments[0].file_name()).await {
                deleted = Err(error);
                break;
            }
            self.segments.remove(0);
        }
        let log_start_offset = self.log_start_offset();
        self.producer_state.truncate_from_start(log_start_offset);
        // The leader-epoch history is kept: the deleted segments live on in the remote tier,
        // and a new leader must still say where each older epoch ended. Cut to the local
        // start, a zombie's tail just below it would look shared with the new leader's epoch
        // and be kept (KIP-405 keeps the epoch cache for the whole log, not the local part).
        deleted?;
        Ok(log_start_offset)
    }

    fn active_segment(&self) -> &Segment {
        self.segments.last().expect("a log always has an active segment")
    }

    fn check_leader_epoch(&self, leader_epoch: u64) -> Result<(), LogError> {
        match self.epoch_cache.latest_epoch() {
            Some(latest_epoch) if leader_epoch < latest_epoch => Err(LogError::StaleLeaderEpoch {
                latest_epoch,
                found_epoch: leader_epoch,
            }),
            _ => Ok(()),
        }
    }

    /// Writes a validated batch at the log end: rolls the active segment when it is full or
    /// old, records a new leader epoch durably, appends, and records the producer's batch.
    async fn append_batch(&mut self, batch: &RecordBatch) -> Result<(), LogError> {
        crate::invariant!(
            batch.base_offset == self.log_end_offset() && !batch.records.is_empty(),
            "a batch at {} appended to a log ending at {} (offsets must be contiguous)",
            batch.base_offset,
            self.log_end_offset()
        );
        crate::invariant!(
            self.epoch_cache
                .latest_epoch()
                .is_none_or(|latest| batch.leader_epoch >= latest),
            "a batch of leader epoch {} appended after epoch {:?}",
            batch.leader_epoch,
            self.epoch_cache.latest_epoch()
        );
        let encoded = batch.encode();
        // Buggify: a segment rolled early (a size or time limit reached sooner), so that
        // rolls, uploads and retention meet shorter segments and a roll at any offset. Only
        // past half the size limit: rolling on any append made thousands of tiny segments, a
        // load no configuration gives (the uploads then fell minutes behind).
        let half_full = self.active_segment().size_bytes() >= self.params.segment_bytes_max / 2;
        let rolled =
            self.active_segment()
                .should_roll(&self.params, encoded.len() as u64, batch.create_timestamp_ms)
                || (half_full && crate::buggify!());
        if rolled {
            // The new segment's file appears with the append below; until it is synced, a
            // crash simply removes it and the log ends where the previous segment does.
            self.segments
                .push(Segment::empty(&self.directory, batch.base_offset));
        }
        let new_epoch = self
            .epoch_cache
            .latest_epoch()
            .is_none_or(|latest_epoch| batch.leader_epoch > latest_epoch);
        if new_epoch {
            self.epoch_cache.assign(batch.leader_epoch, batch.base_offset);
            // An epoch entry at the log end without its batch is harmless: it is what a new
            // leader records before it writes anything.
            if let Err(error) = self.persist_epoch_cache().await {
                self.undo_roll(rolled);
                return Err(error);
            }
        }
        let active = self
            .segments
            .last_mut()
            .expect("a log always has an active segment");
        if let Err(error) = active.append(&self.disk, batch, &encoded).await {
            self.undo_roll(rolled);
            return Err(error);
        }
        self.producer_state
            .record(batch.producer, batch.record_count(), batch.base_offset);
        Ok(())
    }

    /// Forgets a segment rolled for a batch that was then not written, so that the log
    /// never holds an empty segment behind the active one.
    fn undo_roll(&mut self, rolled: bool) {
        if rolled && self.segments.len() > 1 && self.active_segment().is_empty() {
            self.segments.pop();
        }
    }

    /// Deletes the segments that start at or after `offset`, newest first, and cuts the one
    /// holding `offset` at the batch that holds it. `offset` is at least the log start.
    async fn drop_batches_from(&mut self, offset: u64) -> Result<(), LogError> {
        if offset >= self.log_end_offset() {
            // Nothing to drop, but a truncation that failed to sync earlier is finished here.
            return self.flush_unsynced_truncations().await;
        }
        while self.segments.len() > 1 && self.active_segment().base_offset() >= offset {
            self.disk.delete(self.active_segment().file_name()).await?;
            self.segments.pop();
        }
        // The cut segment is synced below; the ones in front of it are synced first, so that
        // it is never more durable than they are. Otherwise a crash could keep it but lose
        // the unflushed end of a segment before it, a gap that open would have to cut away.
        let kept_segments = self.segments.len() - 1;
        for segment in &mut self.segments[..kept_segments] {
            segment.sync(&self.disk).await?;
        }
        let active = self
            .segments
            .last_mut()
            .expect("a log always has an active segment");
        let first_dropped = active.locate(offset);
        active.truncate_to_batch(&self.disk, first_dropped).await?;
        Ok(())
    }

    async fn flush_unsynced_truncations(&mut self) -> Result<(), LogError> {
        for segment in &mut self.segments {
            if segment.has_unsynced_truncation() {
                segment.sync(&self.disk).await?;
            }
        }
        Ok(())
    }

    /// Brings the leader-epoch cache and the producer state in line with the log end offset
    /// after a truncation. The producer state is rebuilt from the log whenever the truncation
    /// took a remembered batch, so that it equals what a reopen would rebuild.
    async fn reconcile_after_truncation(&mut self) -> Result<(), LogError> {
        let log_end_offset = self.log_end_offset();
        if self.producer_state.truncate_from_end(log_end_offset) {
            self.rebuild_producer_state().await?;
        }
        if self.epoch_cache.truncate_from_end(log_end_offset) {
            self.persist_epoch_cache().await?;
        }
        Ok(())
    }

    /// Deletes every segment but the first, then either empties the first (when it already
    /// starts at `offset`) or replaces it with a new empty segment at `offset`.
    async fn restart_at(&mut self, offset: u64) -> Result<(), LogError> {
        while self.segments.len() > 1 {
            self.disk.delete(self.active_segment().file_name()).await?;
            self.segments.pop();
        }
        if self.segments[0].base_offset() == offset {
            let only = &mut self.segments[0];
            only.truncate_to_batch(&self.disk, 0).await?;
            only.make_file_durable(&self.disk).await?;
            return Ok(());
        }
        // The new segment is durable before the old one goes. If a crash comes in between,
        // open finds two segments that do not continue each other and keeps the first: the
        // new empty log when it starts lower, the old prefix when it starts higher.
        let fresh = Segment::create_durably(&self.disk, &self.directory, offset).await?;
        let old = std::mem::replace(&mut self.segments[0], fresh);
        self.disk.delete(old.file_name()).await?;
        Ok(())
    }

    async fn rebuild_producer_state(&mut self) -> Result<(), LogError> {
        let mut producer_state = ProducerStateTable::new();
        for segment in &self.segments {
            for batch in segment.read_all_batches(&self.disk).await? {
                producer_state.record(batch.producer, batch.record_count(), batch.base_offset);
            }
        }
        self.producer_state = producer_state;
        Ok(())
    }

    async fn persist_epoch_cache(&mut self) -> Result<(), LogError> {
        self.epoch_checkpoint.write(&self.epoch_cache).await?;
        Ok(())
    }
}

/// The length of a file, zero when it does not exist.
async fn file_length_bytes(disk: &Arc<dyn Disk>, file: &str) -> Result<u64, DiskError> {
    match disk.length(file).await {
        Err(DiskError::NotFound { .. }) => Ok(0),
        outcome => outcome,
    }
}
