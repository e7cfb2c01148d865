//! The history arranged for judging: each produce with its outcome, each partition's final
//! read by offset and by value, and where each value was seen. Built once per check, borrowing
//! from the history, so no operation is copied.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use super::outcome::Outcome;
use super::violation::{HistoryProblem, HistoryViolation};
use crate::workloads::{
    ClientId, FinalReadDone, History, OpId, Operation, Payload, ProduceInvoked, RecordRead, TopicPartition,
};

/// A partition named by borrowed parts, so lookups allocate nothing.
pub(super) type PartitionKey<'h> = (&'h str, u32);

pub(super) fn partition_name(key: PartitionKey<'_>) -> TopicPartition {
    TopicPartition::new(key.0, key.1)
}

/// One produce and what came of it.
#[derive(Debug)]
pub(super) struct Produce<'h> {
    pub invoked: &'h ProduceInvoked,
    pub outcome: Outcome<'h>,
    /// Whether a completion was recorded; a second one is a malformed history.
    completed: bool,
}

impl<'h> Produce<'h> {
    pub fn partition(&self) -> PartitionKey<'h> {
        (&self.invoked.topic, self.invoked.partition)
    }
}

/// The final read of one partition.
#[derive(Debug)]
pub(super) struct FinalRead<'h> {
    pub done: &'h FinalReadDone,
    pub record_at_offset: BTreeMap<u64, &'h RecordRead>,
    pub offsets_of_value: HashMap<&'h Payload, Vec<u64>>,
}

/// Every read of one value in one partition.
#[derive(Debug)]
pub(super) struct Sightings<'h> {
    pub first_read: &'h RecordRead,
    pub offsets: BTreeSet<u64>,
    /// When a read first found the value at a second offset.
    pub duplicated_at: Option<Duration>,
}

/// The history as the checks consult it.
#[derive(Debug, Default)]
pub(super) struct HistoryIndex<'h> {
    /// In the order they were invoked.
    pub produces: Vec<Produce<'h>>,
    /// Positions in `produces` of the produces of each value (more than one only in a
    /// history that reuses values, which is reported).
    pub produces_of_value: HashMap<&'h Payload, Vec<usize>>,
    /// Every record read, final or not, in order.
    pub reads: Vec<&'h RecordRead>,
    pub final_reads: BTreeMap<PartitionKey<'h>, FinalRead<'h>>,
    pub sightings: HashMap<(PartitionKey<'h>, &'h Payload), Sightings<'h>>,
    /// The time of the last operation.
    pub end: Duration,
    /// Where the history breaks its own format.
    pub problems: Vec<HistoryViolation>,
}

impl<'h> HistoryIndex<'h> {
    pub fn new(history: &'h History) -> Self {
        let mut index = HistoryIndex::default();
        let mut produce_of_op: HashMap<(ClientId, OpId), usize> = HashMap::new();
        let mut final_records: BTreeMap<PartitionKey<'h>, Vec<&'h RecordRead>> = BTreeMap::new();
        let mut final_done: BTreeMap<PartitionKey<'h>, &'h FinalReadDone> = BTreeMap::new();
        for operation in history.operations() {
            index.end = index.end.max(operation.at());
            match operation {
                Operation::ProduceInvoked(invoked) => index.add_produce(invoked, &mut produce_of_op),
                Operation::ProduceOk(ok) => {
                    let outcome = Outcome::Acknowledged {
                        at: ok.at,
                        offset: ok.offset,
                    };
                    index.complete(&produce_of_op, (ok.client, ok.op_id), ok.at, outcome);
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
                    index.complete(&produce_of_op, (failed.client, failed.op_id), failed.at, outcome);
                }
                Operation::ProduceUnknown(unknown) => {
                    let outcome = Outcome::Unknown { at: Some(unknown.at) };
                    index.complete(
                        &produce_of_op,
                        (unknown.client, unknown.op_id),
                        unknown.at,
                        outcome,
                    );
                }
                Operation::Read(read) => {
                    index.add_read(read);
                    if read.final_read {
                        final_records
                            .entry((&read.topic, read.partition))
                            .or_default()
                            .push(read);
                    }
                }
                Operation::FinalReadDone(done) => {
                    // A final read made again (after a failed attempt) replaces the range; the
                    // records of every attempt count, and divergent reads between them are
                    // reported on their own.
                    final_done.insert((&done.topic, done.partition), done);
                }
            }
        }
        for (partition, done) in final_done {
            let records = final_records.remove(&partition).unwrap_or_default();
            index.final_reads.insert(partition, FinalRead::new(done, records));
        }
        index
    }

    fn add_produce(
        &mut self,
        invoked: &'h ProduceInvoked,
        produce_of_op: &mut HashMap<(ClientId, OpId), usize>,
    ) {
        let op = (invoked.client, invoked.op_id);
        if produce_of_op.contains_key(&op) {
            self.problem(invoked.at, op, HistoryProblem::InvokedTwice);
            return;
        }
        let position = self.produces.len();
        produce_of_op.insert(op, position);
        let earlier = self.produces_of_value.entry(&invoked.value).or_default();
        if let Some(&first) = earlier.first() {
            let first = self.produces[first].invoked;
            let problem = HistoryProblem::ValueReused {
                first_client: first.client,
                first_op_id: first.op_id,
            };
            earlier.push(position);
            self.problem(invoked.at, op, problem);
        } else {
            earlier.push(position);
        }
        self.produces.push(Produce {
            invoked,
            outcome: Outcome::Unknown { at: None },
            completed: false,
        });
    }

    fn complete(
        &mut self,
        produce_of_op: &HashMap<(ClientId, OpId), usize>,
        op: (ClientId, OpId),
        at: Duration,
        outcome: Outcome<'h>,
    ) {
        let Some(&position) = produce_of_op.get(&op) else {
            self.problem(at, op, HistoryProblem::CompletedWithoutInvocation);
            return;
        };
        let produce = &mut self.produces[position];
        if produce.completed {
            self.problem(at, op, HistoryProblem::CompletedTwice);
            return;
        }
        produce.completed = true;
        produce.outcome = outcome;
    }

    fn add_read(&mut self, read: &'h RecordRead) {
        self.reads.push(read);
        let sightings = self
            .sightings
            .entry(((&read.topic, read.partition), &read.value))
            .or_insert_with(|| Sightings {
                first_read: read,
                offsets: BTreeSet::new(),
                duplicated_at: None,
            });
        if sightings.offsets.insert(read.offset) && sightings.offsets.len() == 2 {
            sightings.duplicated_at = Some(read.at);
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

    /// The one produce of `value`; `None` if no produce or several (a reused value) wrote it.
    pub fn sole_produce_of(&self, value: &Payload) -> Option<&Produce<'h>> {
        match self.produces_of_value.get(value).map(Vec::as_slice) {
            Some([position]) => Some(&self.produces[*position]),
            _ => None,
        }
    }

    /// Every read of `value` in the partition of `produce`.
    pub fn sightings_of(&self, produce: &Produce<'h>) -> Option<&Sightings<'h>> {
        self.sightings.get(&(produce.partition(), &produce.invoked.value))
    }
}

impl<'h> FinalRead<'h> {
    fn new(done: &'h FinalReadDone, records: Vec<&'h RecordRead>) -> Self {
        let mut record_at_offset = BTreeMap::new();
        let mut offsets_of_value: HashMap<&'h Payload, Vec<u64>> = HashMap::new();
        for record in records {
            // The first record read at an offset stands for it; a different one read later is
            // a divergent read, reported by its own check.
            if let Entry::Vacant(slot) = record_at_offset.entry(record.offset) {
                slot.insert(record);
                offsets_of_value
                    .entry(&record.value)
                    .or_default()
                    .push(record.offset);
            }
        }
        FinalRead {
            done,
            record_at_offset,
            offsets_of_value,
        }
    }
}
