//! Builders for the fabricated trace entries the checkers' tests feed them.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use korasim_core::metadata::{BrokerId, FenceReason, MetadataRecord, PartitionState};
use korasim_core::observe::Event;

use super::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

/// An entry reported by `node` at `millis` milliseconds of simulated time.
pub fn entry(node: &str, millis: u64, event: Event) -> TraceEntry {
    TraceEntry {
        at: Duration::from_millis(millis),
        node: node.to_string(),
        kind: TraceKind::Node(event),
    }
}

pub fn activated(node: &str, millis: u64, term: u64) -> TraceEntry {
    entry(node, millis, Event::ControllerActivated { term })
}

/// A controller applied the batch at `offset` and it took effect.
pub fn applied(node: &str, millis: u64, offset: u64, records: Vec<MetadataRecord>) -> TraceEntry {
    entry(
        node,
        millis,
        Event::MetadataApplied {
            offset,
            records,
            rejected: None,
        },
    )
}

/// A controller applied the batch at `offset` and rejected it as a no-op.
pub fn rejected(node: &str, millis: u64, offset: u64, records: Vec<MetadataRecord>) -> TraceEntry {
    entry(
        node,
        millis,
        Event::MetadataApplied {
            offset,
            records,
            rejected: Some("stale".to_string()),
        },
    )
}

/// Broker `broker` reported that the controller registered it with `epoch`.
pub fn broker_registered(broker: BrokerId, millis: u64, epoch: u64) -> TraceEntry {
    entry(
        &format!("broker-{broker}"),
        millis,
        Event::BrokerRegistered { broker, epoch },
    )
}

/// Broker `broker` registers in zone "zone-{broker}".
pub fn register(broker: BrokerId, epoch: u64) -> MetadataRecord {
    MetadataRecord::RegisterBroker {
        broker,
        epoch,
        zone: format!("zone-{broker}"),
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, 9000 + broker as u16)),
    }
}

pub fn fence(broker: BrokerId, epoch: u64) -> MetadataRecord {
    MetadataRecord::FenceBroker {
        broker,
        epoch,
        reason: FenceReason::SessionExpired,
    }
}

pub fn unfence(broker: BrokerId, epoch: u64) -> MetadataRecord {
    MetadataRecord::UnfenceBroker { broker, epoch }
}

/// The state of `topic`-`partition` with every replica in sync.
pub fn partition(
    topic: &str,
    partition: u32,
    replicas: &[BrokerId],
    leader: Option<BrokerId>,
    leader_epoch: u64,
) -> MetadataRecord {
    MetadataRecord::PartitionState(PartitionState {
        topic: topic.to_string(),
        partition,
        replicas: replicas.to_vec(),
        isr: replicas.to_vec(),
        leader,
        leader_epoch,
        partition_epoch: leader_epoch,
        elr: Vec::new(),
    })
}

/// Feeds every entry to the checker, then finishes the run; returns everything it reported.
pub fn run(checker: &mut dyn Checker, entries: &[TraceEntry]) -> Vec<Violation> {
    let mut violations: Vec<Violation> = entries.iter().flat_map(|entry| checker.observe(entry)).collect();
    let end = entries.last().map_or(Duration::ZERO, |entry| entry.at);
    violations.extend(checker.finish(end));
    violations
}
