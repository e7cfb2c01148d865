//! Builders for the replica events the data-plane checkers' tests feed them, reported by
//! node "broker-{broker}" at `millis` milliseconds of simulated time.

use korasim_core::metadata::BrokerId;
use korasim_core::observe::Event;

use crate::checkers::test_support::entry;
use crate::trace::TraceEntry;

fn node(broker: BrokerId) -> String {
    format!("broker-{broker}")
}

/// The broker opened its replica, its log holding `log_start_offset..log_end_offset`.
pub fn opened(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    log_start_offset: u64,
    log_end_offset: u64,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::ReplicaOpened {
            broker,
            topic: topic.to_string(),
            partition,
            log_start_offset,
            log_end_offset,
        },
    )
}

pub fn leader_started(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    leader_epoch: u64,
    log_end_offset: u64,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::LeaderStarted {
            broker,
            topic: topic.to_string(),
            partition,
            leader_epoch,
            log_end_offset,
        },
    )
}

pub fn follower_started(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    leader: BrokerId,
    leader_epoch: u64,
    log_end_offset: u64,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::FollowerStarted {
            broker,
            topic: topic.to_string(),
            partition,
            leader,
            leader_epoch,
            log_end_offset,
        },
    )
}

/// The broker appended the batch holding offsets `base..=last`.
pub fn appended(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    (base_offset, last_offset): (u64, u64),
    leader_epoch: u64,
    checksum: u32,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::BatchAppended {
            broker,
            topic: topic.to_string(),
            partition,
            base_offset,
            last_offset,
            leader_epoch,
            checksum,
        },
    )
}

/// The broker's replica was cut to end at `log_end_offset` (starting at `log_start_offset`).
pub fn truncated(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    log_start_offset: u64,
    log_end_offset: u64,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::ReplicaTruncated {
            broker,
            topic: topic.to_string(),
            partition,
            log_start_offset,
            log_end_offset,
        },
    )
}

/// The broker, leading in `leader_epoch`, moved the high watermark to `high_watermark`.
pub fn hw(
    broker: BrokerId,
    millis: u64,
    topic: &str,
    partition: u32,
    leader_epoch: u64,
    high_watermark: u64,
) -> TraceEntry {
    entry(
        &node(broker),
        millis,
        Event::HighWatermarkAdvanced {
            broker,
            topic: topic.to_string(),
            partition,
            leader_epoch,
            high_watermark,
        },
    )
}
