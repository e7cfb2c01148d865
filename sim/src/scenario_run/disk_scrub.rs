//! The damaged brokers' disks at the end of a run, read directly: the repair the audits
//! report is judged again from observed state, not from their own events. A flipped bit must
//! be gone from the broker's replica (cut off and fetched again, or deleted by retention), and
//! a trimmed replica of an untiered topic must hold its whole log again, from offset 0.

use std::collections::BTreeMap;

use korasim_core::broker::log::{BatchDecodeError, RecordBatch};

use super::inject::FiredFault;
use crate::faults::Corruption;
use crate::world::World;

/// Every damage of a corruption fault still on a disk at the end of the run.
pub fn judge(world: &World, fired: &[FiredFault], tiered: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for fault in fired {
        match fault.corruption() {
            Some(Corruption::BitFlipped(Some(flip))) => {
                let directory = format!("partitions/{}-{}/", flip.topic, flip.partition);
                let name = format!("broker-{}", flip.broker);
                for (file, scan) in scan_directory(world, &name, &directory) {
                    if let Some((position, error)) = scan.corrupt_at {
                        failures.push(format!(
                            "{} at {:.1?}: at the end of the run {name}'s {file} still holds a batch failing its checksum at byte {position} ({error})",
                            fault.action.kind, fault.at
                        ));
                    }
                }
            }
            Some(Corruption::PrefixTrimArmed { brokers, .. }) if !tiered => {
                for name in brokers {
                    failures.extend(
                        untiered_logs_start_at_zero(world, name)
                            .into_iter()
                            .map(|problem| format!("{} at {:.1?}: {problem}", fault.action.kind, fault.at)),
                    );
                }
            }
            _ => {}
        }
    }
    failures
}

/// What one segment file holds: its batches' base offsets, and where a batch failed its
/// checksum, if one did.
#[derive(Debug, Default)]
struct SegmentScan {
    base_offsets: Vec<u64>,
    corrupt_at: Option<(usize, String)>,
}

fn scan_segment(contents: &[u8]) -> SegmentScan {
    let mut scan = SegmentScan::default();
    let mut position = 0;
    while position < contents.len() {
        match RecordBatch::decode_prefix(&contents[position..]) {
            Ok((batch, size)) => {
                scan.base_offsets.push(batch.base_offset);
                position += size;
            }
            // An append still in flight is not damage.
            Err(BatchDecodeError::Incomplete { .. }) => break,
            Err(error) => {
                scan.corrupt_at = Some((position, error.to_string()));
                break;
            }
        }
    }
    scan
}

/// Each segment file of `directory` on `node`'s disk, scanned.
fn scan_directory(world: &World, node: &str, directory: &str) -> Vec<(String, SegmentScan)> {
    let Some(disk) = world.disk(node) else {
        return Vec::new();
    };
    disk.list_files(directory)
        .into_iter()
        .filter(|file| file.ends_with(".log"))
        .filter_map(|file| {
            let contents = disk.visible_contents(&file)?;
            Some((file, scan_segment(&contents)))
        })
        .collect()
}

/// A topic without tiering has no retention here, so each of `node`'s replicas of one (other
/// than the internal topics) must start at offset 0.
fn untiered_logs_start_at_zero(world: &World, node: &str) -> Vec<String> {
    let Some(disk) = world.disk(node) else {
        return Vec::new();
    };
    let mut first_offsets: BTreeMap<String, u64> = BTreeMap::new();
    for file in disk.list_files("partitions/") {
        let Some(directory) = file.rsplit_once('/').map(|(directory, _)| directory.to_string()) else {
            continue;
        };
        if !file.ends_with(".log") || directory.starts_with("partitions/__") {
            continue;
        }
        let Some(contents) = disk.visible_contents(&file) else {
            continue;
        };
        if let Some(&first) = scan_segment(&contents).base_offsets.first() {
            let entry = first_offsets.entry(directory).or_insert(first);
            *entry = (*entry).min(first);
        }
    }
    first_offsets
        .into_iter()
        .filter(|(_, first)| *first > 0)
        .map(|(directory, first)| {
            format!("at the end of the run {node}'s replica in {directory} starts at offset {first}: its committed prefix was never fetched again")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use korasim_core::broker::log::{ProducerInfo, Record};

    use super::*;

    fn batch(base_offset: u64) -> Vec<u8> {
        RecordBatch {
            base_offset,
            leader_epoch: 1,
            producer: ProducerInfo::NONE,
            create_timestamp_ms: 0,
            records: vec![Record::value_only("record")],
        }
        .encode()
    }

    #[test]
    fn a_clean_segment_lists_its_batches() {
        let mut contents = batch(0);
        contents.extend(batch(1));
        let scan = scan_segment(&contents);
        assert_eq!(scan.base_offsets, vec![0, 1]);
        assert!(scan.corrupt_at.is_none());
    }

    #[test]
    fn a_flipped_bit_is_found_where_its_batch_starts() {
        let first = batch(0);
        let mut contents = first.clone();
        contents.extend(batch(1));
        let last = contents.len() - 1;
        contents[last] ^= 0x10;
        let scan = scan_segment(&contents);
        assert_eq!(scan.base_offsets, vec![0]);
        assert_eq!(scan.corrupt_at.map(|(position, _)| position), Some(first.len()));
    }

    #[test]
    fn an_unfinished_append_is_not_damage() {
        let mut contents = batch(0);
        let second = batch(1);
        contents.extend(&second[..second.len() / 2]);
        let scan = scan_segment(&contents);
        assert_eq!(scan.base_offsets, vec![0]);
        assert!(scan.corrupt_at.is_none());
    }
}
