//! A disk in memory for the unit tests of this module: every write is visible and durable
//! at once, and nothing ever fails. The crash model is the simulated disk's business, and
//! the integration tests in `tests/partition_log.rs` use that one.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;

use crate::storage::{Disk, DiskError};

#[derive(Debug, Default)]
pub(crate) struct MemoryDisk {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryDisk {
    /// Flips one bit of a file, as rot on the medium would.
    pub fn flip_bit(&self, file: &str, bit_index: u64) {
        let mut files = self.files.lock().unwrap();
        let contents = files.get_mut(file).expect("the file exists");
        contents[(bit_index / 8) as usize] ^= 1 << (bit_index % 8);
    }

    fn not_found(file: &str) -> DiskError {
        DiskError::NotFound {
            file: file.to_string(),
        }
    }
}

#[async_trait]
impl Disk for MemoryDisk {
    async fn append(&self, file: &str, data: &[u8]) -> Result<u64, DiskError> {
        let mut files = self.files.lock().unwrap();
        let contents = files.entry(file.to_string()).or_default();
        let offset = contents.len() as u64;
        contents.extend_from_slice(data);
        Ok(offset)
    }

    async fn read(&self, file: &str, offset: u64, length_bytes: u64) -> Result<Bytes, DiskError> {
        let files = self.files.lock().unwrap();
        let contents = files.get(file).ok_or_else(|| MemoryDisk::not_found(file))?;
        let file_length = contents.len() as u64;
        if offset > file_length {
            return Err(DiskError::OutOfRange {
                file: file.to_string(),
                offset,
                length_bytes: file_length,
            });
        }
        let end = offset + length_bytes.min(file_length - offset);
        Ok(Bytes::copy_from_slice(&contents[offset as usize..end as usize]))
    }

    async fn length(&self, file: &str) -> Result<u64, DiskError> {
        let files = self.files.lock().unwrap();
        Ok(files.get(file).ok_or_else(|| MemoryDisk::not_found(file))?.len() as u64)
    }

    async fn sync(&self, file: &str) -> Result<(), DiskError> {
        let files = self.files.lock().unwrap();
        files
            .get(file)
            .map(|_| ())
            .ok_or_else(|| MemoryDisk::not_found(file))
    }

    async fn truncate(&self, file: &str, length_bytes: u64) -> Result<(), DiskError> {
        let mut files = self.files.lock().unwrap();
        let contents = files.get_mut(file).ok_or_else(|| MemoryDisk::not_found(file))?;
        contents.truncate(length_bytes as usize);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, DiskError> {
        let files = self.files.lock().unwrap();
        Ok(files
            .keys()
            .filter(|name| name.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn delete(&self, file: &str) -> Result<(), DiskError> {
        self.files.lock().unwrap().remove(file);
        Ok(())
    }
}

/// Runs `test` to completion in a madsim runtime, which the log's futures expect.
pub(crate) fn run<F: Future<Output = ()> + 'static>(test: F) {
    madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(test);
}
