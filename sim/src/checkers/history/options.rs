//! What the oracle may assume about a run: what retention deleted, and which of Kafka's weaker
//! promises the scenario holds the system to.

use std::collections::BTreeMap;

use crate::workloads::{Acks, History, Operation, TopicPartition};

/// How strictly to judge a history. The defaults are Kafka's own promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCheckOptions {
    /// Per partition, the offset below which retention may legitimately have deleted records
    /// by the end of the run. An acknowledged record below it may be missing from the final
    /// read; it may never be *changed*, since retention deletes and never rewrites.
    pub retention_start: BTreeMap<TopicPartition, u64>,
    /// Judge `acks=1` and `acks=0` writes like `acks=all` ones (loss, change, order). Off by
    /// default: Kafka acknowledges them before any follower has them, so a leader failover
    /// may truncate them away, or give their offsets to other records.
    pub strict_for_weak_acks: bool,
    /// Accept a value at two offsets when its producer was not idempotent. On by default:
    /// without idempotence Kafka is at-least-once, and a producer that retries after a lost
    /// response writes the record again. With idempotence (a producer id) the broker drops
    /// retried batches by (producer id, epoch, sequence), so a second copy is always a bug.
    pub allow_duplicates_without_idempotence: bool,
    /// Report a partition with acknowledged writes that the history never read in full at the
    /// end (no `final_read_done`). On by default: otherwise a run whose final read failed
    /// would pass without its writes being checked.
    pub require_final_read: bool,
}

impl Default for HistoryCheckOptions {
    fn default() -> Self {
        HistoryCheckOptions {
            retention_start: BTreeMap::new(),
            strict_for_weak_acks: false,
            allow_duplicates_without_idempotence: true,
            require_final_read: true,
        }
    }
}

impl HistoryCheckOptions {
    /// Whether an acknowledged write with these acks must survive and keep its place.
    pub fn judges_durability_of(&self, acks: Acks) -> bool {
        acks.is_durable() || self.strict_for_weak_acks
    }
}

impl HistoryCheckOptions {
    /// The options a history file states for itself: its `history_policy` line (else Kafka's
    /// defaults) and its `retention_allowed` lines. A run judges its own history with these,
    /// so that a tool reading the file alone reaches the same verdict.
    pub fn from_history(history: &History) -> HistoryCheckOptions {
        let mut options = HistoryCheckOptions::default();
        for operation in history.operations() {
            match operation {
                Operation::HistoryPolicy(policy) => {
                    options.allow_duplicates_without_idempotence =
                        policy.allow_duplicates_without_idempotence;
                    options.strict_for_weak_acks = policy.strict_for_weak_acks;
                    options.require_final_read = policy.require_final_read;
                }
                Operation::RetentionAllowed(allowed) => {
                    options.retention_start.insert(
                        TopicPartition::new(&allowed.topic, allowed.partition),
                        allowed.allowed_start,
                    );
                }
                _ => {}
            }
        }
        options
    }
}
