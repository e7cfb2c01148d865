//! How long the oracle takes on a history the size of a data scenario's. Ignored by default;
//! run it in release to measure:
//! `cargo test --release -p korasim-sim -- --ignored history_oracle_speed --nocapture`.
//! It prints times and asserts only on what the oracle reports, never on a time.

use std::time::{Duration, Instant};

use super::index::HistoryIndex;
use super::test_support::millis;
use super::{
    acknowledged_writes, check_history, divergent_reads, duplicates, failed_writes, phantoms, reordering,
    HistoryCheckOptions, HistorySummary,
};
use crate::workloads::{
    Acks, ClientId, FinalReadDone, History, OpId, Operation, Payload, ProduceInvoked, ProduceOk, RecordRead,
};

const PARTITIONS: u32 = 12;
const PRODUCES: u64 = 60_000;
const PRODUCERS: u32 = 2;
const VALUE_LENGTH: usize = 100;

/// Two idempotent producers writing round the partitions, every write acknowledged, a tailing
/// consumer reading each record once, and a final read of every partition: 240,012 operations,
/// shaped like the history of `steady-state`.
fn steady_history() -> History {
    let mut events: Vec<(Duration, u64, Operation)> = Vec::new();
    let mut next_offset = vec![0_u64; PARTITIONS as usize];
    let mut next_sequence = vec![0_i32; (PARTITIONS * PRODUCERS) as usize];
    let mut records: Vec<Vec<(u64, Payload)>> = vec![Vec::new(); PARTITIONS as usize];
    let mut tie = 0;
    let mut push = |events: &mut Vec<(Duration, u64, Operation)>, at: Duration, operation: Operation| {
        tie += 1;
        events.push((at, tie, operation));
    };
    for op in 0..PRODUCES {
        let client = 1 + (op % u64::from(PRODUCERS)) as u32;
        let partition = ((op / u64::from(PRODUCERS)) % u64::from(PARTITIONS)) as u32;
        let invoked_at = millis(1_000) + Duration::from_micros(50 * op);
        let mut text = format!("p{client}-{op}");
        text.extend(std::iter::repeat_n('.', VALUE_LENGTH - text.len()));
        let value = Payload::from(text);
        let sequence = &mut next_sequence[(partition * PRODUCERS + client - 1) as usize];
        let offset = next_offset[partition as usize];
        next_offset[partition as usize] += 1;
        records[partition as usize].push((offset, value.clone()));
        let invoked = ProduceInvoked {
            client: ClientId(client),
            op_id: OpId(op),
            at: invoked_at,
            handed_over_at: invoked_at,
            topic: "orders".to_string(),
            partition,
            key: None,
            value: value.clone(),
            producer_id: Some(1_000 + i64::from(client)),
            producer_epoch: Some(0),
            sequence: Some(*sequence),
            acks: Acks::All,
        };
        *sequence += 1;
        push(&mut events, invoked_at, invoked.into());
        let acknowledged_at = invoked_at + millis(3);
        let ok = ProduceOk {
            client: ClientId(client),
            op_id: OpId(op),
            at: acknowledged_at,
            offset: Some(offset),
        };
        push(&mut events, acknowledged_at, ok.into());
        let read = RecordRead {
            client: ClientId(PRODUCERS + 1),
            at: acknowledged_at + millis(2),
            topic: "orders".to_string(),
            partition,
            offset,
            key: None,
            // A consumer decodes its own copy of the value, as in a run.
            value: Payload::from(value.as_bytes().to_vec()),
            final_read: false,
        };
        push(&mut events, read.at, read.into());
    }
    events.sort_by_key(|(at, tie, _)| (*at, *tie));
    let mut end = events.last().map(|(at, _, _)| *at).unwrap_or_default();
    let mut operations: Vec<Operation> = events.into_iter().map(|(_, _, operation)| operation).collect();
    for (partition, records) in records.into_iter().enumerate() {
        end += millis(10);
        let partition = partition as u32;
        let end_offset = records.len() as u64;
        for (offset, value) in records {
            operations.push(Operation::Read(RecordRead {
                client: ClientId(PRODUCERS + 2),
                at: end,
                topic: "orders".to_string(),
                partition,
                offset,
                key: None,
                value: Payload::from(value.as_bytes().to_vec()),
                final_read: true,
            }));
        }
        operations.push(Operation::FinalReadDone(FinalReadDone {
            client: ClientId(PRODUCERS + 2),
            at: end,
            topic: "orders".to_string(),
            partition,
            start_offset: 0,
            end_offset,
        }));
    }
    scatter(&mut operations);
    let mut history = History::new();
    for operation in operations {
        history.record(operation);
    }
    history
}

/// Copies every operation's topic and value to a new allocation, visiting the operations in a
/// scrambled order, so that, as in a run, neighbours in the history are not neighbours in
/// memory (a history built in order would have its values laid out in order, and flatter the
/// oracle's use of the cache).
fn scatter(operations: &mut [Operation]) {
    let count = operations.len();
    // A step coprime with `count` visits every position once.
    let step = (1..count)
        .rev()
        .find(|step| gcd(*step, count) == 1 && *step < count * 2 / 3)
        .unwrap_or(1);
    let mut position = 0;
    for _ in 0..count {
        position = (position + step) % count;
        let (topic, value) = match &mut operations[position] {
            Operation::ProduceInvoked(invoked) => (&mut invoked.topic, Some(&mut invoked.value)),
            Operation::Read(read) => (&mut read.topic, Some(&mut read.value)),
            Operation::FinalReadDone(done) => (&mut done.topic, None),
            _ => continue,
        };
        *topic = topic.as_str().to_owned();
        if let Some(value) = value {
            *value = Payload::from(value.as_bytes().to_vec());
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The fastest of `runs` runs of `work`, in milliseconds.
fn fastest<T>(runs: usize, mut work: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(work());
            started.elapsed().as_secs_f64() * 1_000.0
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
#[ignore = "measures time; run in release with --ignored --nocapture"]
fn history_oracle_speed() {
    let history = steady_history();
    let options = HistoryCheckOptions::default();
    assert_eq!(check_history(&history, &options), vec![]);
    let runs = 7;
    let whole = fastest(runs, || check_history(&history, &options));
    let index = HistoryIndex::new(&history);
    println!("history: {} operations", history.len());
    println!("check_history: {whole:.2} ms (fastest of {runs})");
    println!("  index: {:.2} ms", fastest(runs, || HistoryIndex::new(&history)));
    println!(
        "  acknowledged_writes: {:.2} ms",
        fastest(runs, || acknowledged_writes::check(&index, &options))
    );
    println!(
        "  failed_writes: {:.2} ms",
        fastest(runs, || failed_writes::check(&index))
    );
    println!(
        "  duplicates: {:.2} ms",
        fastest(runs, || duplicates::check(&index, &options))
    );
    println!(
        "  reordering: {:.2} ms",
        fastest(runs, || reordering::check(&index, &options))
    );
    println!("  phantoms: {:.2} ms", fastest(runs, || phantoms::check(&index)));
    println!(
        "  divergent_reads: {:.2} ms",
        fastest(runs, || divergent_reads::check(&index))
    );
    println!(
        "HistorySummary::new: {:.2} ms",
        fastest(runs, || HistorySummary::new(&history, &[]))
    );
}
