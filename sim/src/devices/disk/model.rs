//! The bytes of the simulated files: what reads see, and what would survive a crash.
//!
//! Nothing here sleeps, counts or injects errors; this is the pure storage model that
//! [`super::SimDisk`] drives, so that its rules can be read in one place.

use std::collections::BTreeMap;

use bytes::Bytes;
use korasim_core::storage::DiskError;
use rand::Rng;

/// What a crash did to the files, for the run trace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrashReport {
    /// Files that had never been synced and so disappeared, in ascending order.
    pub removed_files: Vec<String>,
    /// Files whose contents went back to their last synced state, in ascending order.
    pub reverted_files: Vec<String>,
    /// Files whose last unsynced append left a torn prefix behind, in ascending order.
    pub torn_writes: Vec<TornWrite>,
}

/// A final append that was only partly on the medium when the node crashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornWrite {
    pub file: String,
    /// How many bytes of the append survived, always at least one and fewer than all.
    pub kept_bytes: u64,
    pub append_bytes: u64,
}

/// One file as the page cache shows it and as the medium holds it.
///
/// Keeping two full copies would make every `sync` copy the whole file, which is quadratic
/// for a log that is synced after every append. So the durable copy is stored as a prefix
/// it shares with the visible copy, followed by the durable bytes that an unsynced truncate
/// removed from the visible copy.
#[derive(Debug, Clone, Default)]
struct FileContents {
    /// What reads return.
    visible: Vec<u8>,
    /// The durable copy begins with `visible[..shared_length]`. Always at most
    /// `visible.len()`, because a truncate below it lowers it to the new length.
    shared_length: usize,
    /// The rest of the durable copy after the shared prefix: bytes that an unsynced truncate
    /// cut out of the visible copy but that are still on the medium.
    durable_tail: Vec<u8>,
    /// A file that has never been synced has no durable existence, so a crash removes it.
    ever_synced: bool,
    /// Where the last write began, when that write was an append that is not yet synced.
    /// Only this write can be torn by a crash, because it is the one the medium was busy with.
    unsynced_final_append_start: Option<usize>,
}

impl FileContents {
    fn durable_length(&self) -> usize {
        self.shared_length + self.durable_tail.len()
    }

    fn durable_bytes(&self) -> Vec<u8> {
        let mut durable = self.visible[..self.shared_length].to_vec();
        durable.extend_from_slice(&self.durable_tail);
        durable
    }

    /// The number of byte positions that hold data in either copy.
    fn stored_length(&self) -> usize {
        self.visible.len().max(self.durable_length())
    }

    fn has_unsynced_changes(&self) -> bool {
        self.visible.len() != self.shared_length || !self.durable_tail.is_empty()
    }
}

/// All files of one disk, in name order so that every walk over them is deterministic.
#[derive(Debug, Clone, Default)]
pub(super) struct FileTable {
    files: BTreeMap<String, FileContents>,
}

impl FileTable {
    /// Appends `data`, creating the file when needed, unless the visible bytes of all files
    /// would then exceed `capacity_bytes`; returns the offset the data starts at.
    pub(super) fn append(
        &mut self,
        file: &str,
        data: &[u8],
        capacity_bytes: Option<u64>,
    ) -> Result<u64, DiskError> {
        if let Some(capacity_bytes) = capacity_bytes {
            if self.used_bytes() + data.len() as u64 > capacity_bytes {
                return Err(DiskError::NoSpace {
                    file: file.to_string(),
                    requested_bytes: data.len() as u64,
                });
            }
        }
        let contents = self.files.entry(file.to_string()).or_default();
        let offset = contents.visible.len();
        contents.visible.extend_from_slice(data);
        contents.unsynced_final_append_start = Some(offset);
        Ok(offset as u64)
    }

    pub(super) fn read(&self, file: &str, offset: u64, length_bytes: u64) -> Result<Bytes, DiskError> {
        let contents = self.get(file)?;
        let file_length = contents.visible.len() as u64;
        if offset > file_length {
            return Err(DiskError::OutOfRange {
                file: file.to_string(),
                offset,
                length_bytes: file_length,
            });
        }
        let end = offset + length_bytes.min(file_length - offset);
        Ok(Bytes::copy_from_slice(
            &contents.visible[offset as usize..end as usize],
        ))
    }

    /// How many bytes a read would return, or zero when it would fail.
    pub(super) fn readable_bytes(&self, file: &str, offset: u64, length_bytes: u64) -> u64 {
        self.files.get(file).map_or(0, |contents| {
            (contents.visible.len() as u64)
                .saturating_sub(offset)
                .min(length_bytes)
        })
    }

    pub(super) fn length(&self, file: &str) -> Result<u64, DiskError> {
        Ok(self.get(file)?.visible.len() as u64)
    }

    pub(super) fn sync(&mut self, file: &str) -> Result<(), DiskError> {
        let contents = self.get_mut(file)?;
        contents.shared_length = contents.visible.len();
        contents.durable_tail.clear();
        contents.ever_synced = true;
        contents.unsynced_final_append_start = None;
        Ok(())
    }

    /// Cuts the visible copy down to `length_bytes`; the durable copy keeps what it had.
    pub(super) fn truncate(&mut self, file: &str, length_bytes: u64) -> Result<(), DiskError> {
        let contents = self.get_mut(file)?;
        let new_length = usize::try_from(length_bytes).unwrap_or(usize::MAX);
        if new_length >= contents.visible.len() {
            return Ok(());
        }
        if new_length < contents.shared_length {
            // The durable bytes about to leave the visible copy stay on the medium until the
            // next sync, so they move into the durable tail, in front of what is already there.
            let mut durable_tail = contents.visible[new_length..contents.shared_length].to_vec();
            durable_tail.append(&mut contents.durable_tail);
            contents.durable_tail = durable_tail;
            contents.shared_length = new_length;
        }
        contents.visible.truncate(new_length);
        // The last write is now this truncate, so no append is left for a crash to tear.
        contents.unsynced_final_append_start = None;
        Ok(())
    }

    /// The names starting with `prefix`, in ascending order.
    pub(super) fn list(&self, prefix: &str) -> Vec<String> {
        self.files
            .range(prefix.to_string()..)
            .map(|(name, _)| name)
            .take_while(|name| name.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Removes the file from both copies at once: deletion is durable when it returns.
    pub(super) fn delete(&mut self, file: &str) {
        self.files.remove(file);
    }

    /// The visible bytes of all files, which is what counts against the capacity.
    pub(super) fn used_bytes(&self) -> u64 {
        self.files
            .values()
            .map(|contents| contents.visible.len() as u64)
            .sum()
    }

    /// The durable copy of `file`, or `None` when nothing of it would survive a crash.
    pub(super) fn visible_contents(&self, file: &str) -> Option<Vec<u8>> {
        self.files.get(file).map(|contents| contents.visible.clone())
    }

    pub(super) fn durable_contents(&self, file: &str) -> Option<Vec<u8>> {
        self.files
            .get(file)
            .filter(|contents| contents.ever_synced)
            .map(FileContents::durable_bytes)
    }

    /// Returns every file to its durable copy and removes files that were never synced.
    ///
    /// With probability `torn_write_probability` per file, a final unsynced append of at
    /// least two bytes leaves a strict prefix of itself (one to all-but-one bytes, uniformly)
    /// right after the durable copy, as if the medium had been partway through writing it.
    /// That prefix is then on the medium, so it is durable. A file that was never synced
    /// disappears even then, because its creation was never made durable either.
    pub(super) fn crash<R: Rng + ?Sized>(&mut self, torn_write_probability: f64, rng: &mut R) -> CrashReport {
        let mut report = CrashReport::default();
        self.files.retain(|name, contents| {
            let keep = contents.ever_synced;
            if !keep {
                report.removed_files.push(name.clone());
            }
            keep
        });
        for (name, contents) in &mut self.files {
            let torn_prefix = match contents.unsynced_final_append_start {
                Some(start) if contents.visible.len() - start >= 2 && torn_write_probability > 0.0 => {
                    let append_bytes = contents.visible.len() - start;
                    if rng.gen_bool(torn_write_probability) {
                        let kept_bytes = rng.gen_range(1..append_bytes);
                        report.torn_writes.push(TornWrite {
                            file: name.clone(),
                            kept_bytes: kept_bytes as u64,
                            append_bytes: append_bytes as u64,
                        });
                        Some(contents.visible[start..start + kept_bytes].to_vec())
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if contents.has_unsynced_changes() {
                report.reverted_files.push(name.clone());
            }
            contents.visible.truncate(contents.shared_length);
            contents.visible.append(&mut contents.durable_tail);
            if let Some(torn_prefix) = torn_prefix {
                contents.visible.extend_from_slice(&torn_prefix);
            }
            contents.shared_length = contents.visible.len();
            contents.unsynced_final_append_start = None;
        }
        report
    }

    /// Flips bit `bit_index` (bit `bit_index % 8` of byte `bit_index / 8`) in every copy of
    /// `file` that holds that byte, because it is the medium under both copies that rots.
    pub(super) fn flip_bit(&mut self, file: &str, bit_index: u64) -> Result<(), DiskError> {
        let contents = self.get_mut(file)?;
        let byte_index = usize::try_from(bit_index / 8).unwrap_or(usize::MAX);
        let mask = 1u8 << (bit_index % 8);
        let mut flipped = false;
        if let Some(byte) = contents.visible.get_mut(byte_index) {
            *byte ^= mask;
            flipped = true;
        }
        // Below the shared length the visible byte is the durable byte, already flipped.
        if byte_index >= contents.shared_length {
            if let Some(byte) = contents.durable_tail.get_mut(byte_index - contents.shared_length) {
                *byte ^= mask;
                flipped = true;
            }
        }
        if flipped {
            Ok(())
        } else {
            Err(DiskError::OutOfRange {
                file: file.to_string(),
                offset: bit_index / 8,
                length_bytes: contents.stored_length() as u64,
            })
        }
    }

    /// Picks a bit uniformly among all stored byte positions of all files, flips it, and
    /// returns where it was; `None` when the disk holds no data.
    pub(super) fn flip_random_bit<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Option<(String, u64)> {
        let stored_bits: u64 = self
            .files
            .values()
            .map(|contents| contents.stored_length() as u64 * 8)
            .sum();
        if stored_bits == 0 {
            return None;
        }
        let mut chosen_bit = rng.gen_range(0..stored_bits);
        let mut location = None;
        for (name, contents) in &self.files {
            let file_bits = contents.stored_length() as u64 * 8;
            if chosen_bit < file_bits {
                location = Some((name.clone(), chosen_bit));
                break;
            }
            chosen_bit -= file_bits;
        }
        let (file, bit_index) = location?;
        self.flip_bit(&file, bit_index).ok()?;
        Some((file, bit_index))
    }

    fn get(&self, file: &str) -> Result<&FileContents, DiskError> {
        self.files.get(file).ok_or_else(|| DiskError::NotFound {
            file: file.to_string(),
        })
    }

    fn get_mut(&mut self, file: &str) -> Result<&mut FileContents, DiskError> {
        self.files.get_mut(file).ok_or_else(|| DiskError::NotFound {
            file: file.to_string(),
        })
    }
}
