//! Per-broker metrics, recorded deterministically (simulated time, no sampling) and read by
//! the degradation detector: request handling latency and errors, disk operation latency,
//! how long the oldest disk operation has waited, and how far behind its leaders the
//! broker's follower replicas are. Each read takes the window since the previous read, as a
//! metrics scraper would.

mod histogram;
mod window;

pub use histogram::{LatencyHistogram, LatencySummary};
pub use window::{BrokerTelemetry, RequestKind, TelemetrySnapshot};
