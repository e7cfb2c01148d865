//! What a report shows of tiered storage, over simulated time: bytes on each broker's disk
//! and in the bucket (from the world's storage samples), the upload backlog (from what the
//! leaders reported), and remote read latency. Empty for a run without tiering.

use std::collections::BTreeMap;
use std::time::Duration;

use korasim_core::observe::Event;
use korasim_reports::Series;

use crate::trace::{TraceEntry, TraceKind};

const MIB: f64 = 1024.0 * 1024.0;
/// The width of one point of the remote read latency series.
const LATENCY_WINDOW: Duration = Duration::from_secs(10);

pub fn tier_series(trace: &[TraceEntry]) -> Vec<Series> {
    let mut local: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut remote = Vec::new();
    let mut backlog_by_partition: BTreeMap<(String, u32), u64> = BTreeMap::new();
    let mut backlog = Vec::new();
    let mut latencies_by_window: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for entry in trace {
        let at = entry.at.as_secs_f64();
        match &entry.kind {
            TraceKind::Sample(sample) => {
                for (node, &bytes) in &sample.local_bytes {
                    local
                        .entry(node.clone())
                        .or_default()
                        .push((at, bytes as f64 / MIB));
                }
                remote.push((at, sample.remote_bytes as f64 / MIB));
            }
            TraceKind::Node(Event::UploadBacklog {
                topic,
                partition,
                bytes,
                ..
            }) => {
                // The newest report per partition counts, whichever leader made it.
                backlog_by_partition.insert((topic.clone(), *partition), *bytes);
                backlog.push((at, backlog_by_partition.values().sum::<u64>() as f64 / MIB));
            }
            TraceKind::Node(Event::RemoteFetchServed {
                latency_ms,
                from_cache: false,
                ..
            }) => {
                let window = entry.at.as_secs() / LATENCY_WINDOW.as_secs();
                latencies_by_window
                    .entry(window)
                    .or_default()
                    .push(*latency_ms as f64);
            }
            _ => {}
        }
    }
    let mut series = Vec::new();
    if !backlog.is_empty() {
        series.push(Series {
            name: "upload backlog".to_string(),
            unit: "MiB".to_string(),
            points: backlog,
        });
    }
    for (node, points) in local {
        series.push(Series {
            name: format!("local bytes {node}"),
            unit: "MiB".to_string(),
            points,
        });
    }
    if !remote.is_empty() {
        series.push(Series {
            name: "remote bytes".to_string(),
            unit: "MiB".to_string(),
            points: remote,
        });
    }
    if !latencies_by_window.is_empty() {
        let points = latencies_by_window
            .into_iter()
            .map(|(window, mut latencies)| {
                latencies.sort_by(f64::total_cmp);
                let index = ((latencies.len() as f64 * 0.99).ceil() as usize).clamp(1, latencies.len()) - 1;
                (((window + 1) * LATENCY_WINDOW.as_secs()) as f64, latencies[index])
            })
            .collect();
        series.push(Series {
            name: "remote read latency p99".to_string(),
            unit: "ms".to_string(),
            points,
        });
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::StorageSample;

    fn entry(at_seconds: u64, kind: TraceKind) -> TraceEntry {
        TraceEntry {
            at: Duration::from_secs(at_seconds),
            node: "broker-1".to_string(),
            kind,
        }
    }

    fn backlog(partition: u32, bytes: u64) -> TraceKind {
        TraceKind::Node(Event::UploadBacklog {
            broker: 1,
            topic: "t".to_string(),
            partition,
            leader_epoch: 1,
            segments: 1,
            bytes,
        })
    }

    #[test]
    fn backlog_sums_the_newest_report_of_each_partition() {
        let trace = vec![
            entry(1, backlog(0, MIB as u64)),
            entry(2, backlog(1, MIB as u64)),
            entry(3, backlog(0, 0)),
        ];
        let series = tier_series(&trace);
        assert_eq!(series[0].name, "upload backlog");
        assert_eq!(series[0].points, vec![(1.0, 1.0), (2.0, 2.0), (3.0, 1.0)]);
    }

    #[test]
    fn samples_give_local_bytes_per_broker_and_remote_bytes() {
        let sample = StorageSample {
            local_bytes: [
                ("broker-1".to_string(), 2 * MIB as u64),
                ("broker-2".to_string(), 0),
            ]
            .into_iter()
            .collect(),
            remote_bytes: 3 * MIB as u64,
            remote_objects: 4,
            incomplete_upload_bytes: 0,
        };
        let series = tier_series(&[entry(5, TraceKind::Sample(sample))]);
        let names: Vec<&str> = series.iter().map(|series| series.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["local bytes broker-1", "local bytes broker-2", "remote bytes"]
        );
        assert_eq!(series[0].points, vec![(5.0, 2.0)]);
        assert_eq!(series[2].points, vec![(5.0, 3.0)]);
    }

    #[test]
    fn remote_read_latency_is_a_p99_per_window_without_cache_hits() {
        let read = |latency_ms: u64, from_cache: bool| {
            TraceKind::Node(Event::RemoteFetchServed {
                broker: 1,
                topic: "t".to_string(),
                partition: 0,
                fetch_offset: 0,
                object_id: "x".to_string(),
                bytes: 10,
                from_cache,
                latency_ms,
            })
        };
        let trace = vec![
            entry(1, read(30, false)),
            entry(2, read(90, false)),
            entry(3, read(0, true)),
        ];
        let series = tier_series(&trace);
        assert_eq!(series[0].name, "remote read latency p99");
        assert_eq!(series[0].points, vec![(10.0, 90.0)]);
    }

    #[test]
    fn no_tiering_no_series() {
        assert!(tier_series(&[entry(1, TraceKind::Scenario("x".to_string()))]).is_empty());
    }
}
