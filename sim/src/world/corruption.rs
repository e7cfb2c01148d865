//! Faults for the durability audits on a broker: a bit flipped in a committed batch of a
//! partition it follows (`flip-bit`), and its own "trim the log prefix" bug armed
//! (`trim-log-prefix`).

use std::collections::BTreeMap;

use korasim_core::broker::log::RecordBatch;
use korasim_core::broker::PrefixTrimRole;
use korasim_core::metadata::{MetadataRecord, PartitionState};
use rand::Rng;

use super::topology::Role;
use super::World;
use crate::checkers::log_replay::LogReplay;
use crate::faults::FaultEvent;
use crate::scenarios::probes::entries;

/// The first bytes of a stored batch are its length and CRC; a flip after them changes what
/// the CRC covers, so the batch fails its own check (a flip in the length would only shift
/// the framing, which a reader reports differently).
const BATCH_FRAME_PREFIX_BYTES: usize = 8;

/// Where a bit was flipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitFlip {
    pub broker: u32,
    pub topic: String,
    pub partition: u32,
    pub file: String,
    pub batch_base_offset: u64,
    pub bit_index: u64,
}

impl World {
    /// Flips one bit of one committed batch in a segment file of a partition `name` follows
    /// (an in-sync follower, so that the leader and the other replicas keep the acknowledged
    /// data), partition, batch and bit chosen by the seed. Only batches in the older half of
    /// the file's synced bytes are candidates: they are committed and on the medium. `None`
    /// when the broker follows nothing with such a batch.
    pub fn flip_committed_bit(&self, name: &str) -> Option<BitFlip> {
        let Role::Broker(broker) = self.node_plan(name)?.role else {
            return None;
        };
        let disk = self.disk(name)?;
        let mut candidates = Vec::new();
        for state in followed_partitions(self, broker) {
            let directory = format!("partitions/{}-{}/", state.topic, state.partition);
            for file in disk.list_files(&directory) {
                if !file.ends_with(".log") {
                    continue;
                }
                let Some(contents) = disk.durable_contents(&file) else {
                    continue;
                };
                let batches = batch_positions(&contents);
                let older_half = batches.len() / 2;
                for &(position, size, base_offset) in &batches[..older_half] {
                    candidates.push((state.clone(), file.clone(), position, size, base_offset));
                }
            }
        }
        if candidates.is_empty() {
            return None;
        }
        let (state, file, position, size, base_offset) =
            candidates.swap_remove(self.random_index(candidates.len()));
        let byte = position + BATCH_FRAME_PREFIX_BYTES + self.random_index(size - BATCH_FRAME_PREFIX_BYTES);
        let bit_index = byte as u64 * 8 + self.random_index(8) as u64;
        disk.flip_bit(&file, bit_index).ok()?;
        self.fault(FaultEvent::BitFlipped {
            node: name.to_string(),
            file: file.clone(),
            batch_base_offset: base_offset,
        });
        Some(BitFlip {
            broker,
            topic: state.topic,
            partition: state.partition,
            file,
            batch_base_offset: base_offset,
            bit_index,
        })
    }

    /// Arms the broker's "trims its log prefix" bug, to strike as `role`; `false` when `name`
    /// is no broker.
    pub fn arm_trim_log_prefix(&self, name: &str, role: PrefixTrimRole) -> bool {
        match self.node(name).bugs.as_ref() {
            Some(bugs) => {
                bugs.arm_trim_log_prefix(role);
                self.fault(FaultEvent::LogPrefixTrimArmed {
                    node: name.to_string(),
                    role: format!("{role:?}").to_lowercase(),
                });
                true
            }
            None => false,
        }
    }

    fn random_index(&self, len: usize) -> usize {
        let mut random = super::lock(&self.state.random);
        random.gen_range(0..len.max(1))
    }
}

/// The partitions (of topics that are not internal) whose ISR holds `broker` as a follower,
/// as the metadata log in the trace says now.
fn followed_partitions(world: &World, broker: u32) -> Vec<PartitionState> {
    let mut replay = LogReplay::default();
    let mut partitions: BTreeMap<(String, u32), PartitionState> = BTreeMap::new();
    for entry in entries(world) {
        let Some(batch) = replay.next_batch(&entry) else {
            continue;
        };
        for record in batch.records {
            if let MetadataRecord::PartitionState(state) = record {
                partitions.insert((state.topic.clone(), state.partition), state.clone());
            }
        }
    }
    partitions
        .into_values()
        .filter(|state| {
            !state.topic.starts_with("__")
                && state.isr.contains(&broker)
                && state.leader.is_some_and(|leader| leader != broker)
        })
        .collect()
}

/// Each whole, valid batch of a segment file: position, size and base offset.
fn batch_positions(contents: &[u8]) -> Vec<(usize, usize, u64)> {
    let mut batches = Vec::new();
    let mut position = 0;
    while let Ok((batch, size)) = RecordBatch::decode_prefix(&contents[position..]) {
        batches.push((position, size, batch.base_offset));
        position += size;
    }
    batches
}
