//! Fabricated records for the tests: realistic enough to look at, built without randomness so
//! snapshots stay put.

use crate::model::{FaultRecord, GateRecord, GateRow, MarkRecord, RunRecord, Series, ViolationRecord};

fn mark(at_seconds: f64, kind: &str, node: &str, detail: &str) -> MarkRecord {
    MarkRecord {
        at_seconds,
        kind: kind.into(),
        node: node.into(),
        detail: detail.into(),
    }
}

fn fault(start_seconds: f64, end_seconds: Option<f64>, kind: &str, target: &str) -> FaultRecord {
    FaultRecord {
        start_seconds,
        end_seconds,
        kind: kind.into(),
        target: target.into(),
    }
}

/// A little wobble that repeats every 11 points: enough to look measured, no RNG needed.
fn wobble(i: usize) -> f64 {
    ((i * 37) % 11) as f64 / 10.0 - 0.5
}

/// One value per phase of the fixture's run: steady, zone lost before failover, zone lost after
/// failover, broker killed.
fn by_phase(t_seconds: f64, steady: f64, before_failover: f64, after_failover: f64, killed: f64) -> f64 {
    match t_seconds {
        t if (30.0..40.0).contains(&t) => before_failover,
        t if (40.0..75.0).contains(&t) => after_failover,
        t if (80.0..95.0).contains(&t) => killed,
        _ => steady,
    }
}

fn series(name: &str, unit: &str, value: impl Fn(f64, f64) -> f64) -> Series {
    let points = (0..60)
        .map(|i| {
            let t_seconds = i as f64 * 2.0;
            (t_seconds, value(t_seconds, wobble(i)))
        })
        .collect();
    Series {
        name: name.into(),
        unit: unit.into(),
        points,
    }
}

/// A 120 s run that loses a zone, then a broker, and fails one check.
pub(crate) fn zone_isolation_run() -> RunRecord {
    RunRecord {
        scenario: "zone-isolation".into(),
        description: "Isolate one availability zone while producers keep writing; the quorum must \
                      elect a new controller and fence the brokers it can no longer hear."
            .into(),
        seed: 42,
        passed: false,
        digest: "9f3c2a71e4b05d68".into(),
        simulated_seconds: 120.0,
        wall_seconds: 2.4,
        replay: "cargo run --release -- run zone-isolation --seed 42".into(),
        violations: vec![ViolationRecord {
            checker: "high-watermark-monotonic".into(),
            at_seconds: 41.25,
            message: "orders-2 high watermark went back from 1812 to 1790 on broker-2 (leader epoch 5 < 6)"
                .into(),
        }],
        expectation_failures: vec![
            "broker-3 rejoined the ISR of every partition within 20 s: it took 26.4 s".into(),
        ],
        faults: vec![
            fault(10.0, Some(12.0), "disk slow x20", "broker-1"),
            fault(30.0, Some(75.0), "zone isolated", "az-1"),
            fault(33.0, None, "link dropped", "controller-1 -> broker-4"),
            fault(80.0, Some(95.0), "node killed", "broker-3"),
        ],
        mitigations: vec![
            mark(
                36.5,
                "demotion",
                "broker-1",
                "demoted from leadership of 4 partitions: produce p99 over 250 ms",
            ),
            mark(
                82.0,
                "isr removal",
                "broker-3",
                "removed from the ISR of orders-0..orders-3",
            ),
        ],
        marks: vec![
            mark(31.0, "controller", "controller-2", "elected controller in term 3"),
            mark(31.5, "leader", "broker-2", "leader of orders-0 (epoch 6)"),
            mark(32.2, "leader", "broker-4", "leader of orders-1 (epoch 6)"),
            mark(
                40.0,
                "fence",
                "broker-1",
                "fenced: no heartbeat for 9 s (broker epoch 7)",
            ),
            mark(41.0, "leader", "broker-2", "leader of orders-2 (epoch 6)"),
            mark(81.0, "leader", "broker-4", "leader of orders-3 (epoch 7)"),
            mark(96.0, "leader", "broker-3", "leader of orders-3 (epoch 8)"),
        ],
        series: vec![
            series("produce latency p50", "ms", |t, w| {
                by_phase(t, 4.0, 45.0, 9.0, 14.0) + w
            }),
            series("produce latency p99", "ms", |t, w| {
                by_phase(t, 15.0, 310.0, 60.0, 120.0) + 4.0 * w
            }),
            series("throughput", "records/s", |t, w| {
                by_phase(t, 5000.0, 800.0, 3400.0, 4100.0) + 80.0 * w
            }),
        ],
        counters: vec![
            ("records produced".into(), 540_000),
            ("messages carried".into(), 184_233),
            ("trace entries".into(), 52_118),
        ],
    }
}

/// A quiet run: nothing injected, nothing measured, nothing to mark.
pub(crate) fn quiet_run() -> RunRecord {
    RunRecord {
        scenario: "steady-state".into(),
        description: "Three controllers and four brokers with no faults.".into(),
        seed: 7,
        passed: true,
        digest: "0a1b2c3d4e5f6071".into(),
        simulated_seconds: 30.0,
        wall_seconds: 0.4,
        replay: "cargo run --release -- run steady-state --seed 7".into(),
        violations: vec![],
        expectation_failures: vec![],
        faults: vec![],
        mitigations: vec![],
        marks: vec![],
        series: vec![],
        counters: vec![],
    }
}

pub(crate) fn gate_with_one_failure() -> GateRecord {
    GateRecord {
        rows: vec![
            GateRow {
                scenario: "steady-state".into(),
                seeds_run: 5,
                failures: 0,
                seeds_per_minute: 150.0,
                simulated_seconds_per_wall_second: 75.0,
            },
            GateRow {
                scenario: "zone-isolation".into(),
                seeds_run: 5,
                failures: 1,
                seeds_per_minute: 24.5,
                simulated_seconds_per_wall_second: 49.0,
            },
        ],
        failing_runs: vec![zone_isolation_run()],
        determinism_rechecked: 2,
        determinism_mismatches: vec![],
        wall_seconds: 14.2,
    }
}

/// A crowded 600 s run, to see that labels stay apart when there is too much to show.
pub(crate) fn crowded_run() -> RunRecord {
    let mut record = zone_isolation_run();
    record.scenario = "rolling-chaos".into();
    record.simulated_seconds = 600.0;
    let kinds = [
        "node killed",
        "zone isolated",
        "disk slow x20",
        "link dropped",
        "clock skew +2s",
    ];
    record.faults = (0..14)
        .map(|i| {
            let start = 20.0 + i as f64 * 41.0 % 560.0;
            let end = if i == 13 {
                None
            } else {
                Some(start + 5.0 + (i * 17 % 60) as f64)
            };
            fault(start, end, kinds[i % kinds.len()], &format!("broker-{}", i % 6))
        })
        .collect();
    record.faults.push(fault(
        590.0,
        Some(599.0),
        "partition",
        "controller-1 -> broker-4 and broker-5",
    ));
    record.marks = (0..60)
        .map(|i| {
            mark(
                5.0 + i as f64 * 9.7,
                "leader",
                &format!("broker-{}", i % 6),
                "leader change",
            )
        })
        .chain((0..4).map(|i| mark(100.0 + i as f64 * 120.0, "controller", "controller-2", "elected")))
        .chain((0..3).map(|i| mark(150.0 + i as f64 * 7.0, "isr shrink", "broker-1", "isr shrank")))
        .collect();
    record.mitigations = (0..8)
        .map(|i| {
            let kinds = ["demotion", "isr removal", "restart", "escalation"];
            mark(
                60.0 + i as f64 * 66.0,
                kinds[i % 4],
                &format!("broker-{i}"),
                "did something",
            )
        })
        .collect();
    record.violations = (0..3)
        .map(|i| ViolationRecord {
            checker: "no-lost-acked-write".into(),
            at_seconds: 300.0 + i as f64 * 4.0,
            message: "lost".into(),
        })
        .collect();
    record.series.truncate(1);
    record.series[0].points = (0..300)
        .map(|i| {
            let t = i as f64 * 2.0;
            let v = if i == 150 {
                f64::NAN
            } else {
                1.0e6 * (1.0 + wobble(i))
            };
            (t, v)
        })
        .collect();
    record
}
