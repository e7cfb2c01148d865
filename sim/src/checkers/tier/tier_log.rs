//! The tier-metadata log as the checkers read it: each record with the verdict of the first
//! broker that materialised it, handed out in offset order per tier partition; and the
//! highest high watermark announced for each tier partition.
//!
//! Which records are right is `tier-metadata-agreement`'s business (every broker must
//! materialise the same record with the same verdict); the other tier checkers take the first
//! report of each offset as *the* record there. A broker materialises a tier partition in
//! offset order, so the first report of an offset comes after the first report of every
//! offset below it, unless the broker skipped offsets (brokers skip a record they cannot
//! decode, without reporting it; `tier-metadata-agreement` reports the skip). Offsets the
//! first broker to pass them skipped count as holes here, as they were for that broker: a
//! later report of one is ignored, so that one undecodable record does not hold up the
//! judgement of everything after it.

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;
use korasim_core::tier::{TierRecord, TIER_TOPIC};

use super::violation::RecordAt;

/// One record of the tier-metadata log with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct TierEntry {
    pub record_at: RecordAt,
    pub record: TierRecord,
    /// Whether the first broker to materialise it applied it (rather than rejected it).
    pub accepted: bool,
    /// That broker, and when it did.
    pub broker: BrokerId,
    pub at: Duration,
}

/// The tier-metadata log, in order.
#[derive(Debug, Default)]
pub struct TierLog {
    /// The offset of the next record to hand out, per tier partition.
    next: BTreeMap<u32, u64>,
    high_watermarks: BTreeMap<u32, u64>,
}

impl TierLog {
    /// Reads one event: returns the record it is the first report of (none for a repeated
    /// report, one of a hole, or another event). Tier partitions' high watermarks are noted.
    pub fn observe(&mut self, event: &Event, at: Duration) -> Option<TierEntry> {
        match event {
            Event::TierRecordMaterialized {
                broker,
                tier_partition,
                offset,
                record,
                rejected,
            } => {
                let next = self.next.entry(*tier_partition).or_default();
                if *offset < *next {
                    return None;
                }
                *next = offset + 1;
                Some(TierEntry {
                    record_at: RecordAt {
                        tier_partition: *tier_partition,
                        offset: *offset,
                    },
                    record: record.clone(),
                    accepted: rejected.is_none(),
                    broker: *broker,
                    at,
                })
            }
            Event::HighWatermarkAdvanced {
                topic,
                partition,
                high_watermark,
                ..
            } if topic == TIER_TOPIC => {
                let highest = self.high_watermarks.entry(*partition).or_default();
                *highest = (*highest).max(*high_watermark);
                None
            }
            _ => None,
        }
    }

    /// The offset below which every record of `tier_partition` has been handed out.
    pub fn next_offset(&self, tier_partition: u32) -> u64 {
        self.next.get(&tier_partition).copied().unwrap_or(0)
    }

    /// The highest high watermark announced for `tier_partition` so far (`None`: none yet).
    pub fn high_watermark(&self, tier_partition: u32) -> Option<u64> {
        self.high_watermarks.get(&tier_partition).copied()
    }

    /// Every tier partition's highest high watermark so far.
    pub fn high_watermarks(&self) -> &BTreeMap<u32, u64> {
        &self.high_watermarks
    }

    /// Whether every record committed by `high_watermark` in `tier_partition` was handed out.
    pub fn caught_up(&self, tier_partition: u32, high_watermark: u64) -> bool {
        self.next_offset(tier_partition) >= high_watermark
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::tier::test_support::*;

    #[test]
    fn records_come_out_once_in_offset_order_with_the_first_verdict() {
        let mut log = TierLog::default();
        let mut out = Vec::new();
        for entry in [
            materialized(1, 10, 0, 0, init("t", 0, 1)),
            materialized(2, 11, 0, 0, init("t", 0, 1)),
            rejected_at(1, 12, 0, 1, started("t", 0, 1, "a", 0, 9)),
            materialized(2, 13, 0, 1, started("t", 0, 1, "a", 0, 9)),
            // Broker 1 skips offset 2: it is a hole, and a later report of it is ignored.
            materialized(1, 14, 0, 3, finished("t", 0, 1, "a")),
            materialized(2, 15, 0, 2, started("t", 0, 1, "b", 0, 9)),
            tier_hw(1, 16, 0, 4),
        ] {
            let crate::trace::TraceKind::Node(event) = &entry.kind else {
                unreachable!()
            };
            out.extend(log.observe(event, entry.at));
        }
        let summary: Vec<(u64, bool, BrokerId)> = out
            .iter()
            .map(|entry| (entry.record_at.offset, entry.accepted, entry.broker))
            .collect();
        assert_eq!(summary, [(0, true, 1), (1, false, 1), (3, true, 1)]);
        assert_eq!(log.next_offset(0), 4);
        assert_eq!(log.next_offset(1), 0);
        assert_eq!(log.high_watermark(0), Some(4));
        assert!(log.caught_up(0, 4));
        assert!(!log.caught_up(0, 5));
    }
}
