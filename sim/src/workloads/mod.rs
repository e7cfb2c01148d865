//! Workloads: the clients that drive the system under test, and the history they keep of every
//! operation they invoked, every outcome they were told and every record they read. The
//! checkers in `checkers::history` judge a run from that history alone, the way Jepsen judges
//! a queue: from what clients saw, never from what the brokers say about themselves.

pub mod acks;
pub mod clients;
pub mod history;
pub mod ids;
pub mod operation;
pub mod payload;
pub mod produce_error;
mod time_nanos;

pub use acks::Acks;
pub use clients::{final_read, FinalReadSummary, Workload, WorkloadParams};
pub use history::{Acknowledgement, History, ReadHistoryError, SharedHistory};
pub use ids::{ClientId, OpId, TopicPartition};
pub use operation::{
    FinalReadDone, FinalReadStarted, HistoryPolicy, Operation, ProduceFailed, ProduceInvoked, ProduceOk,
    ProduceUnknown, RecordRead, RetentionAllowed, HISTORY_FORMAT_VERSION,
};
pub use payload::Payload;
pub use produce_error::ProduceError;
