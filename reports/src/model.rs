//! What a report says about one run. The simulator fills it in; this crate only renders it,
//! so it knows nothing of the simulator.

use serde::{Deserialize, Serialize};

/// One run of one scenario with one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub passed: bool,
    /// Identifies the run bit for bit: same seed, same digest.
    pub digest: String,
    pub simulated_seconds: f64,
    pub wall_seconds: f64,
    /// The command line that replays this run.
    pub replay: String,
    /// Invariants broken, as the checkers reported them.
    pub violations: Vec<ViolationRecord>,
    /// Expectations of the scenario (deadlines) that were not met.
    pub expectation_failures: Vec<String>,
    /// Faults, as bands on the timeline (an instant fault has no end).
    pub faults: Vec<FaultRecord>,
    /// Actions a detector or health manager took (demotion, ISR removal, restart, escalation).
    pub mitigations: Vec<MarkRecord>,
    /// Other moments worth marking: controller changes, leader changes, fencing.
    pub marks: Vec<MarkRecord>,
    /// Measurements over simulated time (produce latency p50/p99, throughput...).
    pub series: Vec<Series>,
    /// Counters worth a line in the summary (messages carried, trace entries...).
    pub counters: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViolationRecord {
    pub checker: String,
    pub at_seconds: f64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRecord {
    pub start_seconds: f64,
    /// `None` for a fault that was never healed before the run ended.
    pub end_seconds: Option<f64>,
    /// What kind of fault ("node killed", "zone isolated", "disk slow x20").
    pub kind: String,
    /// What it hit ("broker-3", "az-2", "controller-1 -> broker-4").
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkRecord {
    pub at_seconds: f64,
    /// A short category that picks the row and colour ("controller", "leader", "fence",
    /// "demotion"...).
    pub kind: String,
    pub node: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub unit: String,
    /// (simulated seconds, value), in time order.
    pub points: Vec<(f64, f64)>,
}

/// One line of the gate's table: a scenario over many seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRow {
    pub scenario: String,
    pub seeds_run: u64,
    pub failures: u64,
    pub seeds_per_minute: f64,
    pub simulated_seconds_per_wall_second: f64,
}

/// The gate as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    pub rows: Vec<GateRow>,
    /// Every failing run (with its replay line).
    pub failing_runs: Vec<RunRecord>,
    /// Seeds re-run to check determinism, and any whose digest differed.
    pub determinism_rechecked: u64,
    pub determinism_mismatches: Vec<String>,
    pub wall_seconds: f64,
}

impl RunRecord {
    /// The word a report shows in its title.
    pub fn verdict(&self) -> &'static str {
        if self.passed {
            "PASSED"
        } else {
            "FAILED"
        }
    }

    /// How much faster than real time the simulation ran; `None` when no wall time was measured.
    pub fn simulated_seconds_per_wall_second(&self) -> Option<f64> {
        (self.wall_seconds > 0.0).then(|| self.simulated_seconds / self.wall_seconds)
    }

    /// The latest moment anything in the record mentions (at least the simulated time), so a
    /// timeline drawn to it shows every fault, mark and point.
    pub fn last_moment_seconds(&self) -> f64 {
        let fault_moments = self
            .faults
            .iter()
            .flat_map(|f| std::iter::once(f.start_seconds).chain(f.end_seconds));
        let mark_moments = self.marks.iter().chain(&self.mitigations).map(|m| m.at_seconds);
        let point_moments = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let violation_moments = self.violations.iter().map(|v| v.at_seconds);
        fault_moments
            .chain(mark_moments)
            .chain(point_moments)
            .chain(violation_moments)
            .filter(|t| t.is_finite())
            .fold(self.simulated_seconds.max(0.0), f64::max)
    }
}

impl FaultRecord {
    /// Where the fault's band ends: its heal, or the end of the run if it was never healed.
    pub fn end_or(&self, run_end_seconds: f64) -> f64 {
        self.end_seconds.unwrap_or(run_end_seconds)
    }
}

impl GateRecord {
    /// The gate passes when no seed failed and every re-checked seed gave the same digest.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.failures == 0)
            && self.failing_runs.is_empty()
            && self.determinism_mismatches.is_empty()
    }

    pub fn verdict(&self) -> &'static str {
        if self.passed() {
            "PASSED"
        } else {
            "FAILED"
        }
    }
}
