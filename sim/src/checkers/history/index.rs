//! The history arranged for judging: each produce with its outcome, each partition's final
//! read by offset and by value, and where each value was seen. Built once per check, borrowing
//! from the history, so no operation is copied.
//!
//! A data scenario's history holds a quarter of a million operations, most of them carrying a
//! value of a hundred bytes, so the index hashes each value at most once: it gives every
//! distinct value a dense number (`ValueId`) and every partition one (`PartitionId`), and
//! everything else is kept in vectors indexed by those numbers, or by offset, rather than in
//! maps keyed by values. Most reads are not even hashed: the value acknowledged at their
//! offset is checked first. Numbers are given in the order of the history, and no hash table
//! is ever iterated, so the checks see the same thing, in the same order, on every run.

use std::collections::BTreeMap;
use std::time::Duration;

use super::fast_hash::{map_with_capacity, FastHashMap};
use super::offset_table::{FirstAtOffset, OffsetSpan};
use super::outcome::Outcome;
use super::violation::{HistoryProblem, HistoryViolation};
use crate::workloads::{
    ClientId, FinalReadDone, History, OpId, Operation, ProduceInvoked, RecordRead, TopicPartition,
};

/// A partition named by borrowed parts, so lookups allocate nothing.
pub(super) type PartitionKey<'h> = (&'h str, u32);

/// A partition, numbered in the order the history first names it; `HistoryIndex::partitions`
/// gives its name.
pub(super) type PartitionId = u32;

/// A distinct value, numbered in the order the history first shows it. Two operations carry
/// equal values exactly when they carry the same `ValueId`.
pub(super) type ValueId = u32;

/// Marks "none" in the `u32` links below. Positions fit in a `u32`: a history of four billion
/// operations would not fit in memory.
const NONE: u32 = u32::MAX;

pub(super) fn partition_name(key: PartitionKey<'_>) -> TopicPartition {
    TopicPartition::new(key.0, key.1)
}

/// One produce and what came of it.
#[derive(Debug)]
pub(super) struct Produce<'h> {
    pub invoked: &'h ProduceInvoked,
    pub outcome: Outcome<'h>,
    pub value: ValueId,
    pub partition_id: PartitionId,
    /// Whether a completion was recorded; a second one is a malformed history.
    completed: bool,
}

impl<'h> Produce<'h> {
    pub fn partition(&self) -> PartitionKey<'h> {
        (&self.invoked.topic, self.invoked.partition)
    }
}

/// One record read, with its value and partition numbered.
#[derive(Debug, Clone, Copy)]
pub(super) struct Read<'h> {
    pub record: &'h RecordRead,
    pub offset: u64,
    pub value: ValueId,
    pub partition: PartitionId,
}

/// The final read of one partition.
#[derive(Debug)]
pub(super) struct FinalRead<'h> {
    pub done: &'h FinalReadDone,
    /// The position in `HistoryIndex::reads` of the first final record read at each offset:
    /// it stands for the offset, and a different one read later is a divergent read,
    /// reported by its own check.
    record_at_offset: FirstAtOffset,
    /// Those records' values and offsets, by value and then in the order they were read.
    offsets_by_value: Vec<(ValueId, u64)>,
}

/// What the index knows of one value.
#[derive(Debug, Clone, Copy)]
struct ValueEntry {
    /// The position in `produces` of its first produce, or `NONE`.
    first_produce: u32,
    /// How many produces wrote it (more than one only in a history that reuses values).
    produce_count: u32,
    /// Its first entry in `sightings`, or `NONE`; the rest follow `Sightings::next`.
    first_sightings: u32,
}

/// Every read of one value in one partition.
#[derive(Debug)]
struct Sightings {
    partition: PartitionId,
    /// The position in `reads` of the first read.
    first_read: u32,
    /// The value's sightings in its next partition, or `NONE`.
    next: u32,
    /// Its entry in `duplicates` once it was read at a second offset, or `NONE`.
    duplicate: u32,
}

/// A value read at more than one offset of a partition.
#[derive(Debug)]
struct Duplicate {
    /// When a read first found it at a second offset.
    at: Duration,
    /// The offsets besides the first read's, each once, in the order they were read.
    other_offsets: Vec<u64>,
}

/// Every read of one value in one partition, as the checks see it.
#[derive(Debug, Clone, Copy)]
pub(super) struct SightingsOf<'i, 'h> {
    pub first_read: &'h RecordRead,
    duplicate: Option<&'i Duplicate>,
}

impl SightingsOf<'_, '_> {
    /// When a read first found the value at a second offset.
    pub fn duplicated_at(&self) -> Option<Duration> {
        self.duplicate.map(|duplicate| duplicate.at)
    }

    /// Every offset the value was read at, each once, in increasing order.
    pub fn offsets(&self) -> Vec<u64> {
        let mut offsets = vec![self.first_read.offset];
        if let Some(duplicate) = self.duplicate {
            offsets.extend_from_slice(&duplicate.other_offsets);
        }
        offsets.sort_unstable();
        offsets
    }
}

/// The history as the checks consult it.
#[derive(Debug, Default)]
pub(super) struct HistoryIndex<'h> {
    /// In the order they were invoked.
    pub produces: Vec<Produce<'h>>,
    /// Every record read, final or not, in order.
    pub reads: Vec<Read<'h>>,
    /// Each partition's name, by `PartitionId`.
    pub partitions: Vec<PartitionKey<'h>>,
    /// The offsets read in each partition, by `PartitionId`.
    pub read_spans: Vec<Option<OffsetSpan>>,
    /// Each partition's final read, by `PartitionId`.
    pub final_reads: Vec<Option<FinalRead<'h>>>,
    /// The time of the last operation.
    pub end: Duration,
    /// Where the history breaks its own format.
    pub problems: Vec<HistoryViolation>,
    values: Vec<ValueEntry>,
    /// The positions in `produces` of every produce of each value produced more than once.
    reused_values: BTreeMap<ValueId, Vec<u32>>,
    sightings: Vec<Sightings>,
    duplicates: Vec<Duplicate>,
    partition_ids: FastHashMap<PartitionKey<'h>, PartitionId>,
}

/// The lookups that building the index needs and the checks do not.
struct Builder<'h> {
    value_ids: FastHashMap<&'h [u8], ValueId>,
    /// Each value's bytes, by `ValueId`.
    value_bytes: Vec<&'h [u8]>,
    /// Per partition, what each offset is expected to hold.
    value_at_offset: Vec<ValueAtOffset>,
    produce_of_op: ProduceOfOp,
    /// Per partition, the positions in `reads` of its final records.
    final_records: Vec<Vec<u32>>,
    /// Per partition, the last end of its final read.
    final_done: Vec<Option<&'h FinalReadDone>>,
}

/// How many operations `warm` visits at once: enough for their cache misses to overlap, few
/// enough that what it brings in is still in the cache when they are indexed.
const WARMED_TOGETHER: usize = 16;

/// Reads a few bytes of each topic and value of `operations`. The history's strings and
/// values are allocations of their own, scattered over the heap by the run that recorded
/// them, and indexing them one after the other waits for memory at almost every one: a
/// history of 200,000 operations spent most of its indexing time there. These reads do not
/// depend on one another, so the processor has them all in flight at once, and indexing then
/// finds the bytes in the cache. (A safe stand-in for a prefetch instruction.)
fn warm(operations: &[Operation]) {
    // The first, middle and last bytes: every cache line of a value of up to 128 bytes.
    let sample = |bytes: &[u8]| match bytes {
        [] => 0,
        [first, ..] => first ^ bytes[bytes.len() / 2] ^ bytes[bytes.len() - 1],
    };
    let mut sum = 0;
    for operation in operations {
        match operation {
            Operation::ProduceInvoked(invoked) => {
                sum ^= sample(invoked.topic.as_bytes()) ^ sample(invoked.value.as_bytes());
            }
            Operation::Read(read) => sum ^= sample(read.topic.as_bytes()) ^ sample(read.value.as_bytes()),
            _ => {}
        }
    }
    std::hint::black_box(sum);
}

/// Per offset of one partition, the value last acknowledged or read there: a guess at what a
/// read of that offset returns. Kept by offset in a vector, which grows only as far as the
/// offsets it holds are dense; an offset beyond that gets no guess.
#[derive(Debug, Default)]
struct ValueAtOffset {
    values: Vec<ValueId>,
    held: usize,
}

impl ValueAtOffset {
    fn get(&self, offset: u64) -> Option<ValueId> {
        let value = *self.values.get(usize::try_from(offset).ok()?)?;
        (value != NONE).then_some(value)
    }

    fn expect(&mut self, offset: u64, value: ValueId) {
        let Ok(offset) = usize::try_from(offset) else {
            return;
        };
        if offset >= self.values.len() {
            if offset > self.held.saturating_mul(2).saturating_add(1024) {
                return;
            }
            self.values.resize(offset + 1, NONE);
        }
        if self.values[offset] == NONE {
            self.held += 1;
        }
        self.values[offset] = value;
    }
}

/// The position in `produces` of each client's operations. A client numbers its operations
/// from zero, so each client's are kept in a vector indexed by op id; an op id far beyond the
/// others (only in a broken history) goes to a map instead.
#[derive(Default)]
struct ProduceOfOp {
    /// Each client's place in `by_op_id`.
    clients: FastHashMap<ClientId, usize>,
    by_op_id: Vec<Vec<u32>>,
    far: FastHashMap<(ClientId, OpId), u32>,
}

impl ProduceOfOp {
    fn get(&self, (client, op_id): (ClientId, OpId)) -> Option<u32> {
        let near = self.clients.get(&client).and_then(|client| {
            let position = *self.by_op_id[*client].get(usize::try_from(op_id.0).ok()?)?;
            (position != NONE).then_some(position)
        });
        near.or_else(|| self.far.get(&(client, op_id)).copied())
    }

    /// Records that `op` is the produce at `position`; false if it was already recorded.
    fn insert(&mut self, op: (ClientId, OpId), position: u32) -> bool {
        if self.get(op).is_some() {
            return false;
        }
        let next = self.by_op_id.len();
        let client = *self.clients.entry(op.0).or_insert(next);
        if client == next {
            self.by_op_id.push(Vec::new());
        }
        let by_op_id = &mut self.by_op_id[client];
        match usize::try_from(op.1 .0) {
            Ok(op_id) if op_id <= by_op_id.len().saturating_mul(2).saturating_add(1024) => {
                if op_id >= by_op_id.len() {
                    by_op_id.resize(op_id + 1, NONE);
                }
                by_op_id[op_id] = position;
            }
            _ => {
                self.far.insert(op, position);
            }
        }
        true
    }
}

impl<'h> HistoryIndex<'h> {
    pub fn new(history: &'h History) -> Self {
        let operations = history.operations();
        // Most histories are about a quarter produces and half reads; the tables grow past
        // that if need be.
        let mut index = HistoryIndex {
            produces: Vec::with_capacity(operations.len() / 4),
            reads: Vec::with_capacity(operations.len() / 2),
            values: Vec::with_capacity(operations.len() / 4),
            ..HistoryIndex::default()
        };
        let mut builder = Builder {
            value_ids: map_with_capacity(operations.len() / 4),
            value_bytes: Vec::with_capacity(operations.len() / 4),
            value_at_offset: Vec::new(),
            produce_of_op: ProduceOfOp::default(),
            final_records: Vec::new(),
            final_done: Vec::new(),
        };
        // The operations are visited a few at a time, their values brought into the cache
        // together first; see `warm`.
        for some in operations.chunks(WARMED_TOGETHER) {
            warm(some);
            for operation in some {
                index.add(operation, &mut builder);
            }
        }
        index.final_reads = builder
            .final_done
            .iter()
            .zip(&builder.final_records)
            .map(|(done, records)| Some(FinalRead::new((*done)?, records, &index.reads)))
            .collect();
        index
    }

    fn add(&mut self, operation: &'h Operation, builder: &mut Builder<'h>) {
        self.end = self.end.max(operation.at());
        match operation {
            Operation::ProduceInvoked(invoked) => self.add_produce(invoked, builder),
            Operation::ProduceOk(ok) => {
                let outcome = Outcome::Acknowledged {
                    at: ok.at,
                    offset: ok.offset,
                };
                self.complete(builder, (ok.client, ok.op_id), ok.at, outcome);
            }
            Operation::ProduceFailed(failed) => {
                // An indefinite error leaves the write as open as a timeout does.
                let outcome = if failed.error.is_definite() {
                    Outcome::DefinitelyFailed {
                        at: failed.at,
                        error: &failed.error,
                    }
                } else {
                    Outcome::Unknown { at: Some(failed.at) }
                };
                self.complete(builder, (failed.client, failed.op_id), failed.at, outcome);
            }
            Operation::ProduceUnknown(unknown) => {
                let outcome = Outcome::Unknown { at: Some(unknown.at) };
                self.complete(builder, (unknown.client, unknown.op_id), unknown.at, outcome);
            }
            Operation::Read(read) => self.add_read(read, builder),
            Operation::FinalReadDone(done) => {
                // A final read made again (after a failed attempt) replaces the range; the
                // records of every attempt count, and divergent reads between them are
                // reported on their own.
                let partition = self.partition_id((&done.topic, done.partition), builder);
                builder.final_done[partition as usize] = Some(done);
            }
            // What the run allows is read into the options (`HistoryCheckOptions::
            // from_history`); a pass starting says nothing a read or a done line does not.
            Operation::HistoryPolicy(_) | Operation::RetentionAllowed(_) | Operation::FinalReadStarted(_) => {
            }
        }
    }

    /// The number of the partition `key`, numbering it if it is new.
    fn partition_id(&mut self, key: PartitionKey<'h>, builder: &mut Builder<'h>) -> PartitionId {
        let next = self.partitions.len() as PartitionId;
        let id = *self.partition_ids.entry(key).or_insert(next);
        if id == next {
            self.partitions.push(key);
            self.read_spans.push(None);
            builder.final_records.push(Vec::new());
            builder.final_done.push(None);
            builder.value_at_offset.push(ValueAtOffset::default());
        }
        id
    }

    /// The number of `value`, numbering it if it is new.
    fn value_id(&mut self, value: &'h [u8], builder: &mut Builder<'h>) -> ValueId {
        let next = self.values.len() as ValueId;
        let id = *builder.value_ids.entry(value).or_insert(next);
        if id == next {
            builder.value_bytes.push(value);
            self.values.push(ValueEntry {
                first_produce: NONE,
                produce_count: 0,
                first_sightings: NONE,
            });
        }
        id
    }

    fn add_produce(&mut self, invoked: &'h ProduceInvoked, builder: &mut Builder<'h>) {
        let op = (invoked.client, invoked.op_id);
        let position = self.produces.len() as u32;
        if !builder.produce_of_op.insert(op, position) {
            self.problem(invoked.at, op, HistoryProblem::InvokedTwice);
            return;
        }
        let value = self.value_id(invoked.value.as_bytes(), builder);
        let partition_id = self.partition_id((&invoked.topic, invoked.partition), builder);
        let entry = &mut self.values[value as usize];
        entry.produce_count += 1;
        if entry.first_produce == NONE {
            entry.first_produce = position;
        } else {
            let first = self.produces[entry.first_produce as usize].invoked;
            let problem = HistoryProblem::ValueReused {
                first_client: first.client,
                first_op_id: first.op_id,
            };
            self.reused_values
                .entry(value)
                .or_insert_with(|| vec![entry.first_produce])
                .push(position);
            self.problem(invoked.at, op, problem);
        }
        self.produces.push(Produce {
            invoked,
            outcome: Outcome::Unknown { at: None },
            value,
            partition_id,
            completed: false,
        });
    }

    fn complete(
        &mut self,
        builder: &mut Builder<'h>,
        op: (ClientId, OpId),
        at: Duration,
        outcome: Outcome<'h>,
    ) {
        let Some(position) = builder.produce_of_op.get(op) else {
            self.problem(at, op, HistoryProblem::CompletedWithoutInvocation);
            return;
        };
        let produce = &mut self.produces[position as usize];
        if produce.completed {
            self.problem(at, op, HistoryProblem::CompletedTwice);
            return;
        }
        produce.completed = true;
        produce.outcome = outcome;
        if let Outcome::Acknowledged {
            offset: Some(offset), ..
        } = outcome
        {
            builder.value_at_offset[produce.partition_id as usize].expect(offset, produce.value);
        }
    }

    fn add_read(&mut self, record: &'h RecordRead, builder: &mut Builder<'h>) {
        let position = self.reads.len() as u32;
        let partition = self.partition_id((&record.topic, record.partition), builder);
        let offset = record.offset;
        // Most reads return what was acknowledged (or read before) at their offset: checking
        // that guess is cheaper than hashing the value.
        let bytes = record.value.as_bytes();
        let expected = &builder.value_at_offset[partition as usize];
        let value = match expected.get(offset) {
            Some(guess) if builder.value_bytes[guess as usize] == bytes => guess,
            _ => {
                let value = self.value_id(bytes, builder);
                builder.value_at_offset[partition as usize].expect(offset, value);
                value
            }
        };
        self.reads.push(Read {
            record,
            offset,
            value,
            partition,
        });
        OffsetSpan::include(&mut self.read_spans[partition as usize], offset);
        if record.final_read {
            builder.final_records[partition as usize].push(position);
        }
        // The value's sightings in this partition, if it was read here before.
        let (mut current, mut last) = (self.values[value as usize].first_sightings, NONE);
        while current != NONE && self.sightings[current as usize].partition != partition {
            last = current;
            current = self.sightings[current as usize].next;
        }
        if current == NONE {
            let new = self.sightings.len() as u32;
            match last {
                NONE => self.values[value as usize].first_sightings = new,
                last => self.sightings[last as usize].next = new,
            }
            self.sightings.push(Sightings {
                partition,
                first_read: position,
                next: NONE,
                duplicate: NONE,
            });
            return;
        }
        let sightings = &mut self.sightings[current as usize];
        if self.reads[sightings.first_read as usize].offset == offset {
            return;
        }
        if sightings.duplicate == NONE {
            sightings.duplicate = self.duplicates.len() as u32;
            self.duplicates.push(Duplicate {
                at: record.at,
                other_offsets: vec![offset],
            });
            return;
        }
        let other_offsets = &mut self.duplicates[sightings.duplicate as usize].other_offsets;
        if !other_offsets.contains(&offset) {
            other_offsets.push(offset);
        }
    }

    fn problem(&mut self, at: Duration, (client, op_id): (ClientId, OpId), problem: HistoryProblem) {
        self.problems.push(HistoryViolation::InvalidHistory {
            at,
            client,
            op_id,
            problem,
        });
    }

    /// The number of partition `key`, if the history names it.
    pub fn find_partition(&self, key: PartitionKey<'_>) -> Option<PartitionId> {
        self.partition_ids.get(&key).copied()
    }

    /// Every partition's number, in the order of their names.
    pub fn partitions_in_order(&self) -> Vec<PartitionId> {
        let mut ids: Vec<PartitionId> = (0..self.partitions.len() as PartitionId).collect();
        ids.sort_unstable_by_key(|id| self.partitions[*id as usize]);
        ids
    }

    /// The one produce of `value`; `None` if no produce or several (a reused value) wrote it.
    pub fn sole_produce_of(&self, value: ValueId) -> Option<&Produce<'h>> {
        let entry = self.values[value as usize];
        (entry.produce_count == 1).then(|| &self.produces[entry.first_produce as usize])
    }

    /// The first produce of `value`, if any.
    pub fn first_produce_of(&self, value: ValueId) -> Option<&Produce<'h>> {
        let first = self.values[value as usize].first_produce;
        (first != NONE).then(|| &self.produces[first as usize])
    }

    /// Whether any produce wrote `value` to `partition`.
    pub fn produced_to(&self, value: ValueId, partition: PartitionId) -> bool {
        let entry = self.values[value as usize];
        match entry.produce_count {
            0 => false,
            1 => self.produces[entry.first_produce as usize].partition_id == partition,
            _ => self.reused_values[&value]
                .iter()
                .any(|position| self.produces[*position as usize].partition_id == partition),
        }
    }

    /// Every read of the value of `produce` in its partition.
    pub fn sightings_of(&self, produce: &Produce<'h>) -> Option<SightingsOf<'_, 'h>> {
        let mut link = self.values[produce.value as usize].first_sightings;
        while link != NONE {
            let sightings = &self.sightings[link as usize];
            if sightings.partition == produce.partition_id {
                return Some(SightingsOf {
                    first_read: self.reads[sightings.first_read as usize].record,
                    duplicate: (sightings.duplicate != NONE)
                        .then(|| &self.duplicates[sightings.duplicate as usize]),
                });
            }
            link = sightings.next;
        }
        None
    }

    /// The final read of `partition`, if it was read in full at the end.
    pub fn final_read_of(&self, partition: PartitionId) -> Option<&FinalRead<'h>> {
        self.final_reads[partition as usize].as_ref()
    }
}

impl<'h> FinalRead<'h> {
    fn new(done: &'h FinalReadDone, records: &[u32], reads: &[Read<'h>]) -> Self {
        let mut span = None;
        for &position in records {
            OffsetSpan::include(&mut span, reads[position as usize].offset);
        }
        let mut record_at_offset = FirstAtOffset::new(span);
        let mut offsets_by_value = Vec::with_capacity(records.len());
        for &position in records {
            let read = reads[position as usize];
            if record_at_offset.first_or_insert(read.offset, position) == position {
                offsets_by_value.push((read.value, read.offset));
            }
        }
        // Stable: each value's offsets stay in the order they were read.
        offsets_by_value.sort_by_key(|(value, _)| *value);
        FinalRead {
            done,
            record_at_offset,
            offsets_by_value,
        }
    }

    /// The position in `HistoryIndex::reads` of the record that stands for `offset`.
    pub fn record_at(&self, offset: u64) -> Option<usize> {
        self.record_at_offset
            .get(offset)
            .map(|position| position as usize)
    }

    /// Whether `value` stands at some offset.
    pub fn holds(&self, value: ValueId) -> bool {
        !self.entries_of(value).is_empty()
    }

    /// The offsets `value` stands at, in the order they were read; empty if none.
    pub fn offsets_of(&self, value: ValueId) -> Vec<u64> {
        self.entries_of(value).iter().map(|(_, offset)| *offset).collect()
    }

    fn entries_of(&self, value: ValueId) -> &[(ValueId, u64)] {
        let start = self.offsets_by_value.partition_point(|(other, _)| *other < value);
        let end = start + self.offsets_by_value[start..].partition_point(|(other, _)| *other == value);
        &self.offsets_by_value[start..end]
    }
}
