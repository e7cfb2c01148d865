//! What the conformance cases share: an in-memory disk, a madsim runtime to run the log's
//! futures in, and small builders for records and producers.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use korasim_core::broker::log::{LogParams, PartitionLog, ProducerInfo, Record};
use korasim_core::storage::{Disk, DiskError};

/// A disk in memory: every write is durable at once and nothing fails. Kafka's unit tests
/// run on a real file system without crashes; so do these.
#[derive(Debug, Default)]
pub struct MemoryDisk {
    files: Mutex<BTreeMap<String, Vec<u8>>>,
}

fn not_found(file: &str) -> DiskError {
    DiskError::NotFound {
        file: file.to_string(),
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
        let contents = files.get(file).ok_or_else(|| not_found(file))?;
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
        Ok(files.get(file).ok_or_else(|| not_found(file))?.len() as u64)
    }

    async fn sync(&self, file: &str) -> Result<(), DiskError> {
        let files = self.files.lock().unwrap();
        files.get(file).map(|_| ()).ok_or_else(|| not_found(file))
    }

    async fn truncate(&self, file: &str, length_bytes: u64) -> Result<(), DiskError> {
        let mut files = self.files.lock().unwrap();
        let contents = files.get_mut(file).ok_or_else(|| not_found(file))?;
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
pub fn run<F: Future<Output = ()> + 'static>(test: F) {
    madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default()).block_on(test);
}

pub const DIRECTORY: &str = "topic-0";

/// Kafka's `createLogConfig(segmentBytes = records.sizeInBytes)`: every batch gets a
/// segment of its own, so that retention can delete batches one at a time.
pub fn one_batch_per_segment() -> LogParams {
    LogParams {
        segment_bytes_max: 1,
        segment_age_max_ms: u64::MAX,
    }
}

pub async fn open_log(disk: &Arc<MemoryDisk>, params: LogParams) -> PartitionLog {
    let disk: Arc<dyn Disk> = disk.clone();
    let (log, _) = PartitionLog::open(disk, DIRECTORY, params)
        .await
        .expect("the log opens");
    log
}

pub async fn new_log() -> (Arc<MemoryDisk>, PartitionLog) {
    let disk = Arc::new(MemoryDisk::default());
    let log = open_log(&disk, LogParams::default()).await;
    (disk, log)
}

/// `count` records labelled `label`.
pub fn records(count: usize, label: &str) -> Vec<Record> {
    (0..count)
        .map(|index| Record::value_only(format!("{label}-{index}")))
        .collect()
}

pub fn idempotent(producer_id: i64, producer_epoch: i16, base_sequence: i32) -> ProducerInfo {
    ProducerInfo::idempotent(producer_id, producer_epoch, base_sequence)
}
