//! What a report shows of the health-check agent and the degradation detector's inputs, per
//! detector round: the worst broker's probe latency, the failed probes, and the worst and the
//! median broker disk write p99 (the detector's evidence of a slow broker). Empty for a run
//! without `[detector]`.

use std::collections::BTreeMap;

use korasim_core::observe::Event;
use korasim_reports::Series;

use crate::trace::{TraceEntry, TraceKind};

/// One detector round's readings, keyed by the round's first report (to the millisecond).
#[derive(Default)]
struct Round {
    at: f64,
    probe_p99_ms: Vec<u64>,
    failed_probes: u64,
    disk_write_p99_us: Vec<u64>,
}

pub fn health_series(trace: &[TraceEntry]) -> Vec<Series> {
    // A round's reports for every broker are written back to back; a new report of a broker
    // already seen starts the next round.
    let mut rounds: Vec<(Round, BTreeMap<u32, ()>)> = Vec::new();
    for entry in trace {
        let TraceKind::Node(Event::HealthRound {
            broker,
            probe_failures,
            probe_produce_p99_ms,
            scraped,
            disk_write_p99_us,
            ..
        }) = &entry.kind
        else {
            continue;
        };
        if rounds.last().is_none_or(|(_, seen)| seen.contains_key(broker)) {
            let round = Round {
                at: entry.at.as_secs_f64(),
                ..Round::default()
            };
            rounds.push((round, BTreeMap::new()));
        }
        let (round, seen) = rounds.last_mut().expect("pushed above");
        seen.insert(*broker, ());
        round.failed_probes += probe_failures;
        round.probe_p99_ms.push(*probe_produce_p99_ms);
        if *scraped {
            round.disk_write_p99_us.push(*disk_write_p99_us);
        }
    }
    if rounds.is_empty() {
        return Vec::new();
    }
    let mut probe_worst = Vec::new();
    let mut failures = Vec::new();
    let mut disk_worst = Vec::new();
    let mut disk_median = Vec::new();
    for (mut round, _) in rounds {
        probe_worst.push((
            round.at,
            round.probe_p99_ms.iter().copied().max().unwrap_or(0) as f64,
        ));
        failures.push((round.at, round.failed_probes as f64));
        round.disk_write_p99_us.sort_unstable();
        if let (Some(worst), Some(median)) = (
            round.disk_write_p99_us.last(),
            round.disk_write_p99_us.get(round.disk_write_p99_us.len() / 2),
        ) {
            disk_worst.push((round.at, *worst as f64 / 1000.0));
            disk_median.push((round.at, *median as f64 / 1000.0));
        }
    }
    vec![
        Series {
            name: "health-check produce p99, worst broker".to_string(),
            unit: "ms".to_string(),
            points: probe_worst,
        },
        Series {
            name: "health-check probes failed per round".to_string(),
            unit: "probes".to_string(),
            points: failures,
        },
        Series {
            name: "disk write p99, worst broker".to_string(),
            unit: "ms".to_string(),
            points: disk_worst,
        },
        Series {
            name: "disk write p99, median broker".to_string(),
            unit: "ms".to_string(),
            points: disk_median,
        },
    ]
}
