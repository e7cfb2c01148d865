//! The audits' thresholds.

use std::time::Duration;

/// How often and how much the durability audits check.
#[derive(Debug, Clone)]
pub struct AuditParams {
    /// Off only for a deliberate breakage: the audit task then does nothing.
    pub enabled: bool,
    /// How often each partition leader audits each partition it leads.
    pub audit_interval: Duration,
    /// The most committed bytes of one partition whose checksums a round compares. The audit
    /// walks the committed log with a cursor that wraps to the log start at the high
    /// watermark, so a partition holding less than this is checked whole every round (a bit
    /// flipped in old data is found within one period).
    pub max_audit_bytes_per_round: u64,
    /// Bytes read from disk at once while computing a checksum.
    pub audit_read_chunk_bytes: u64,
    /// The most remote segments of one partition whose objects a round downloads and checks.
    pub max_audit_objects_per_round: usize,
    /// How long the leader waits for a follower's checksum.
    pub audit_request_timeout: Duration,
}

impl Default for AuditParams {
    fn default() -> Self {
        AuditParams {
            enabled: true,
            audit_interval: Duration::from_secs(30),
            max_audit_bytes_per_round: 4 * 1024 * 1024,
            audit_read_chunk_bytes: 64 * 1024,
            max_audit_objects_per_round: 32,
            audit_request_timeout: Duration::from_secs(5),
        }
    }
}
