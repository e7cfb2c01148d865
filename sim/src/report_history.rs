//! What a report shows of the client history: produce latency and throughput over simulated
//! time, and counts of outcomes. Computed from the history alone, like the oracle.

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_reports::Series;

use crate::workloads::{Acks, History, Operation};

/// The width of one point of the series.
const WINDOW: Duration = Duration::from_secs(1);

/// `acks=all` produce latency p50 and p99 (by acknowledgement time) and acknowledged
/// `acks=all` records per second, one point per second. Empty without produces.
pub fn history_series(history: &History) -> Vec<Series> {
    let produced = history
        .operations()
        .iter()
        .any(|operation| matches!(operation, Operation::ProduceInvoked(_)));
    if !produced {
        return Vec::new();
    }
    let last_window = history
        .operations()
        .iter()
        .map(|operation| window_of(operation.at()))
        .max()
        .unwrap_or(0);
    let mut latencies_by_window: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for acknowledgement in history
        .acknowledgements()
        .into_iter()
        .filter(|acknowledgement| acknowledgement.acks == Acks::All)
    {
        latencies_by_window
            .entry(window_of(acknowledgement.acknowledged_at))
            .or_default()
            .push(acknowledgement.latency.as_secs_f64() * 1000.0);
    }
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut throughput = Vec::new();
    for window in 0..=last_window {
        let at = (window as f64 + 1.0) * WINDOW.as_secs_f64();
        let mut latencies = latencies_by_window.remove(&window).unwrap_or_default();
        throughput.push((at, latencies.len() as f64 / WINDOW.as_secs_f64()));
        if latencies.is_empty() {
            // No acknowledgement in this second: a gap in the latency lines, not a slope.
            p50.push((at, f64::NAN));
            p99.push((at, f64::NAN));
            continue;
        }
        latencies.sort_by(f64::total_cmp);
        p50.push((at, percentile(&latencies, 0.50)));
        p99.push((at, percentile(&latencies, 0.99)));
    }
    vec![
        Series {
            name: "acks=all produce latency p50".to_string(),
            unit: "ms".to_string(),
            points: p50,
        },
        Series {
            name: "acks=all produce latency p99".to_string(),
            unit: "ms".to_string(),
            points: p99,
        },
        Series {
            name: "acks=all records acknowledged".to_string(),
            unit: "records/s".to_string(),
            points: throughput,
        },
    ]
}

/// Counts of what the clients saw, for the report's counters.
pub fn history_counters(history: &History) -> Vec<(String, u64)> {
    if history.is_empty() {
        return Vec::new();
    }
    let mut invoked = 0;
    let mut acknowledged = 0;
    let mut failed = 0;
    let mut unknown = 0;
    let mut read = 0;
    for operation in history.operations() {
        match operation {
            Operation::ProduceInvoked(_) => invoked += 1,
            Operation::ProduceOk(_) => acknowledged += 1,
            Operation::ProduceFailed(_) => failed += 1,
            Operation::ProduceUnknown(_) => unknown += 1,
            Operation::Read(_) => read += 1,
            Operation::FinalReadDone(_)
            | Operation::HistoryPolicy(_)
            | Operation::RetentionAllowed(_)
            | Operation::FinalReadStarted(_) => {}
        }
    }
    vec![
        ("records produced".to_string(), invoked),
        ("records acknowledged".to_string(), acknowledged),
        ("produces failed".to_string(), failed),
        ("produces unknown".to_string(), unknown),
        ("records read".to_string(), read),
    ]
}

fn window_of(at: Duration) -> u64 {
    at.as_nanos() as u64 / WINDOW.as_nanos() as u64
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    let rank = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::history::test_support::{ok, produce as invoked};

    /// An `acks=all` record invoked at `at_ms` and acknowledged `latency_ms` later.
    fn produce(history: &mut History, op: u64, at_ms: u64, latency_ms: u64) {
        history.record(invoked(1, op, at_ms, 0, &format!("v{op}")));
        history.record(ok(1, op, at_ms + latency_ms, op));
    }

    #[test]
    fn latency_percentiles_and_throughput_per_second() {
        let mut history = History::new();
        for op in 0..100 {
            // One slow record in a hundred.
            let latency = if op == 50 { 900 } else { 10 };
            produce(&mut history, op, op * 5, latency);
        }
        let series = history_series(&history);
        let p50 = &series[0].points;
        let p99 = &series[1].points;
        let throughput = &series[2].points;
        assert_eq!(p50[0], (1.0, 10.0));
        assert!(p50.iter().all(|(_, value)| value.is_finite()));
        // The slow record was acknowledged at 1.15 s: second window.
        assert!(
            p99.iter().any(|&(at, value)| at == 2.0 && value == 900.0),
            "{p99:?}"
        );
        let total: f64 = throughput.iter().map(|&(_, value)| value).sum();
        assert_eq!(total, 100.0);
        let counters = history_counters(&history);
        assert!(counters.contains(&("records acknowledged".to_string(), 100)));
    }

    #[test]
    fn a_second_without_acknowledgements_breaks_the_latency_line() {
        let mut history = History::new();
        produce(&mut history, 0, 100, 10);
        produce(&mut history, 1, 3100, 10);
        let series = history_series(&history);
        let p50: Vec<bool> = series[0].points.iter().map(|(_, value)| value.is_nan()).collect();
        assert_eq!(p50, [false, true, true, false]);
        assert_eq!(series[2].points[1], (2.0, 0.0));
    }

    #[test]
    fn no_history_no_series() {
        assert!(history_series(&History::new()).is_empty());
        assert!(history_counters(&History::new()).is_empty());
    }
}
