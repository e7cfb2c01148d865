//! The client history of a run: every produce invoked, its outcome, and every record a
//! consumer read, in the order they happened. Recording is a push onto a vector; nothing is
//! formatted until the history is written out, as JSON lines in the format
//! `HISTORY_FORMAT.md` describes, so tools outside this crate can check a run too.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Operation;

/// Every operation the workload's clients recorded, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    operations: Vec<Operation>,
}

/// One acknowledged produce, as [`History::acknowledgements`] lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Acknowledgement {
    /// Simulated time since the run started.
    pub acknowledged_at: std::time::Duration,
    pub latency: std::time::Duration,
    pub acks: super::Acks,
}

/// One history shared by every client of a run.
pub type SharedHistory = Arc<Mutex<History>>;

/// A history file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ReadHistoryError {
    #[error("cannot read history {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("history line {line}: {source}")]
    Line { line: usize, source: serde_json::Error },
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty history for several clients to record into.
    pub fn shared() -> SharedHistory {
        Arc::new(Mutex::new(History::new()))
    }

    /// Appends one operation; call it when the operation happens, so the order of the history
    /// is the order of simulated time.
    pub fn record(&mut self, operation: impl Into<Operation>) {
        self.operations.push(operation.into());
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    pub fn len(&self) -> usize {
        self.operations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Writes the history to `path` as JSON lines, one operation a line.
    pub fn write_jsonl(&self, path: &Path) -> io::Result<()> {
        let mut writer = BufWriter::new(File::create(path)?);
        self.write_jsonl_to(&mut writer)?;
        writer.flush()
    }

    /// Every acknowledged produce with its latency (hand-over to acknowledgement), in the
    /// order of acknowledgement. For reports and latency expectations.
    pub fn acknowledgements(&self) -> Vec<Acknowledgement> {
        let mut invoked = std::collections::BTreeMap::new();
        let mut acknowledged = Vec::new();
        for operation in &self.operations {
            match operation {
                Operation::ProduceInvoked(op) => {
                    invoked.insert((op.client, op.op_id), (op.handed_over_at, op.acks));
                }
                Operation::ProduceOk(op) => {
                    if let Some((started, acks)) = invoked.remove(&(op.client, op.op_id)) {
                        acknowledged.push(Acknowledgement {
                            acknowledged_at: op.at,
                            latency: op.at.saturating_sub(started),
                            acks,
                        });
                    }
                }
                _ => {}
            }
        }
        acknowledged
    }

    /// A short hex digest of the history: the same run gives the same digest. It covers each
    /// operation's binary encoding, in order: hashing the JSON lines instead cost a seventh of
    /// a long run.
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        let mut encoded = Vec::new();
        for operation in &self.operations {
            encoded.clear();
            if let Ok(bytes) = postcard::to_extend(operation, std::mem::take(&mut encoded)) {
                hasher.update(&bytes);
                encoded = bytes;
            }
        }
        hasher
            .finalize()
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Writes the history as JSON lines to any writer.
    pub fn write_jsonl_to(&self, writer: &mut impl Write) -> io::Result<()> {
        for operation in &self.operations {
            serde_json::to_writer(&mut *writer, operation)?;
            writer.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Loads a history written by `write_jsonl` (or by any tool following the format).
    pub fn read_jsonl(path: &Path) -> Result<History, ReadHistoryError> {
        let io_error = |source| ReadHistoryError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_error)?;
        Self::read_jsonl_from(file).map_err(|error| match error {
            ReadHistoryError::Io { source, .. } => io_error(source),
            line_error => line_error,
        })
    }

    /// Loads a history from JSON lines; blank lines are skipped and lines are counted from 1.
    pub fn read_jsonl_from(reader: impl Read) -> Result<History, ReadHistoryError> {
        let mut history = History::new();
        for (index, line) in BufReader::new(reader).lines().enumerate() {
            // `read_jsonl` puts the file's path in place of this placeholder.
            let line = line.map_err(|source| ReadHistoryError::Io {
                path: PathBuf::from("(reader)"),
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let operation = serde_json::from_str(&line).map_err(|source| ReadHistoryError::Line {
                line: index + 1,
                source,
            })?;
            history.operations.push(operation);
        }
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::workloads::{
        Acks, ClientId, FinalReadDone, FinalReadStarted, HistoryPolicy, OpId, Payload, ProduceError,
        ProduceFailed, ProduceInvoked, ProduceOk, ProduceUnknown, RecordRead, RetentionAllowed,
    };

    /// The example of HISTORY_FORMAT.md, line for line.
    fn one_of_each() -> History {
        let mut history = History::new();
        history.record(HistoryPolicy {
            client: ClientId(0),
            at: Duration::ZERO,
            version: 2,
            allow_duplicates_without_idempotence: true,
            strict_for_weak_acks: false,
            require_final_read: true,
        });
        let invoked =
            |op_id: u64, at_ns: u64, handed_ns: u64, key: Option<&str>, value: Payload, sequence: i32| {
                ProduceInvoked {
                    client: ClientId(1),
                    op_id: OpId(op_id),
                    at: Duration::from_nanos(at_ns),
                    handed_over_at: Duration::from_nanos(handed_ns),
                    topic: "orders".to_string(),
                    partition: 2,
                    key: key.map(Payload::from),
                    value,
                    producer_id: Some(4_000),
                    producer_epoch: Some(0),
                    sequence: Some(sequence),
                    acks: Acks::All,
                }
            };
        history.record(invoked(
            7,
            1_500_000_001,
            1_400_000_000,
            Some("k"),
            Payload::from("1-7"),
            12,
        ));
        history.record(ProduceOk {
            client: ClientId(1),
            op_id: OpId(7),
            at: Duration::from_millis(1_600),
            offset: Some(40),
        });
        history.record(invoked(
            8,
            1_650_000_000,
            1_650_000_000,
            Some("k"),
            Payload::from("1-8"),
            13,
        ));
        history.record(ProduceFailed {
            client: ClientId(1),
            op_id: OpId(8),
            at: Duration::from_millis(1_700),
            error: ProduceError::NotEnoughReplicas,
        });
        history.record(invoked(
            9,
            1_750_000_000,
            1_750_000_000,
            None,
            Payload::from(vec![0xfe, 0xff]),
            13,
        ));
        history.record(ProduceUnknown {
            client: ClientId(1),
            op_id: OpId(9),
            at: Duration::from_millis(1_800),
            reason: "request timed out after 30 s".to_string(),
        });
        history.record(RetentionAllowed {
            client: ClientId(2),
            at: Duration::from_millis(1_850),
            topic: "orders".to_string(),
            partition: 2,
            allowed_start: 0,
        });
        history.record(FinalReadStarted {
            client: ClientId(2),
            at: Duration::from_millis(1_850),
            topic: "orders".to_string(),
            partition: 2,
        });
        history.record(RecordRead {
            client: ClientId(2),
            at: Duration::from_millis(1_900),
            topic: "orders".to_string(),
            partition: 2,
            offset: 40,
            key: Some(Payload::from("k")),
            value: Payload::from("1-7"),
            final_read: true,
        });
        history.record(FinalReadDone {
            client: ClientId(2),
            at: Duration::from_secs(2),
            topic: "orders".to_string(),
            partition: 2,
            start_offset: 0,
            end_offset: 41,
        });
        history
    }

    #[test]
    fn the_digest_covers_every_operation() {
        let history = one_of_each();
        for operation in &history.operations {
            assert!(
                postcard::to_allocvec(operation).is_ok(),
                "{operation:?} has a binary encoding"
            );
        }
        assert_eq!(history.digest(), one_of_each().digest());
        for index in 0..history.operations.len() {
            let mut shorter = one_of_each();
            shorter.operations.remove(index);
            assert_ne!(shorter.digest(), history.digest(), "operation {index} counts");
        }
    }

    #[test]
    fn a_history_survives_a_round_trip_through_a_jsonl_file() {
        let history = one_of_each();
        let path = std::env::temp_dir().join(format!("korasim-history-{}.jsonl", std::process::id()));
        history.write_jsonl(&path).expect("the history is written");
        let loaded = History::read_jsonl(&path);
        std::fs::remove_file(&path).expect("the file is removed");
        assert_eq!(loaded.expect("the history is read back"), history);
    }

    #[test]
    fn each_operation_is_one_line_in_the_documented_format() {
        let mut bytes = Vec::new();
        one_of_each()
            .write_jsonl_to(&mut bytes)
            .expect("writes to memory");
        let text = String::from_utf8(bytes).expect("JSON is UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 11);
        assert_eq!(
            lines[1],
            r#"{"type":"produce_invoked","client":1,"op_id":7,"at_ns":1500000001,"handed_over_ns":1400000000,"topic":"orders","partition":2,"key":"k","value":"1-7","producer_id":4000,"producer_epoch":0,"sequence":12,"acks":"all"}"#
        );
        assert_eq!(
            lines[4],
            r#"{"type":"produce_failed","client":1,"op_id":8,"at_ns":1700000000,"error":"NOT_ENOUGH_REPLICAS"}"#
        );
        assert_eq!(
            lines[5],
            r#"{"type":"produce_invoked","client":1,"op_id":9,"at_ns":1750000000,"handed_over_ns":1750000000,"topic":"orders","partition":2,"key":null,"value":{"hex":"feff"},"producer_id":4000,"producer_epoch":0,"sequence":13,"acks":"all"}"#
        );
    }

    #[test]
    fn the_example_in_the_format_document_is_this_history() {
        let document = include_str!("HISTORY_FORMAT.md");
        let example: String = document
            .lines()
            .filter(|line| line.starts_with(r#"{"type""#))
            .map(|line| format!("{line}\n"))
            .collect();
        let parsed = History::read_jsonl_from(example.as_bytes()).expect("the example parses");
        assert_eq!(parsed, one_of_each());
    }

    #[test]
    fn a_bad_line_is_reported_by_number() {
        let text = "\n{\"type\":\"produce_ok\",\"client\":1,\"op_id\":7,\"at_ns\":5,\"offset\":null}\n{\"type\":\"nonsense\"}\n";
        let error = History::read_jsonl_from(text.as_bytes()).expect_err("the third line is bad");
        assert!(matches!(error, ReadHistoryError::Line { line: 3, .. }), "{error}");
    }
}
