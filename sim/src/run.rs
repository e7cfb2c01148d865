//! Running one seeded simulation and reporting what happened.

use std::future::Future;
use std::time::{Duration, Instant as WallInstant};

use crate::checkers::history::HistoryViolation;
use crate::checkers::{checkers_named, Violation};
use crate::progress::ProgressHook;
use crate::workloads::History;

/// How many history violations a failure summary lists before it counts the rest.
const HISTORY_VIOLATIONS_SHOWN: usize = 10;
use crate::trace::{Trace, TraceEntry};
use crate::world::{World, WorldParams};

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub seed: u64,
    /// Identifies the run bit for bit: same seed, same digest.
    pub digest: String,
    /// Invariants the checkers saw broken.
    pub violations: Vec<Violation>,
    /// Expectations of the scenario itself that were not met (a deadline missed, say).
    pub expectation_failure: Option<String>,
    pub simulated: Duration,
    pub wall: Duration,
    /// Messages madsim carried between nodes during the run.
    pub messages: u64,
    pub trace: Vec<TraceEntry>,
    /// What the workload's clients did (empty without a data workload).
    pub history: History,
    /// What the history oracle found wrong in it: lost, duplicated, reordered, phantom or
    /// divergent records.
    pub history_violations: Vec<HistoryViolation>,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.violations.is_empty() && self.expectation_failure.is_none() && self.history_violations.is_empty()
    }

    pub fn simulated_seconds_per_wall_second(&self) -> f64 {
        self.simulated.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }

    /// A few lines saying what went wrong, for a failing test or a terminal.
    pub fn failure_summary(&self) -> String {
        let mut lines = Vec::new();
        if let Some(failure) = &self.expectation_failure {
            lines.push(format!("expectation not met: {failure}"));
        }
        for violation in &self.violations {
            lines.push(format!("invariant broken: {violation}"));
        }
        for violation in self.history_violations.iter().take(HISTORY_VIOLATIONS_SHOWN) {
            lines.push(format!("client history: {violation}"));
        }
        if self.history_violations.len() > HISTORY_VIOLATIONS_SHOWN {
            lines.push(format!(
                "client history: {} more violations (see the history report)",
                self.history_violations.len() - HISTORY_VIOLATIONS_SHOWN
            ));
        }
        lines.join("\n")
    }
}

/// How to run: the world, the checkers that judge it, and whether buggify sites fire.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub params: WorldParams,
    /// Checker names; "all" selects every checker.
    pub checkers: Vec<String>,
    pub buggify: bool,
    /// Told how far the run has got (for a person watching); `None` in gates and tests.
    pub progress: Option<ProgressHook>,
}

/// Runs `scenario` in a fresh world built from `params`, on madsim seeded with `seed`, judged
/// by every checker.
///
/// The scenario drives the world (faults, client requests) and returns `Err` with a sentence
/// when one of its own expectations is not met.
pub fn run_seeded<Scenario, Outcome>(seed: u64, params: WorldParams, scenario: Scenario) -> RunReport
where
    Scenario: FnOnce(World) -> Outcome + Send + 'static,
    Outcome: Future<Output = Result<(), String>> + 'static,
{
    let options = RunOptions {
        params,
        checkers: vec!["all".to_string()],
        buggify: false,
        progress: None,
    };
    run_with(seed, options, scenario)
}

/// [`run_seeded`] with explicit options.
///
/// The simulation runs on a thread of its own. madsim seeds the standard library's hash keys
/// only if the runtime is the first thing on its thread to create a `HashMap`; a fresh thread
/// guarantees that, so even a dependency's `HashMap` iterates in an order the seed decides.
pub fn run_with<Scenario, Outcome>(seed: u64, options: RunOptions, scenario: Scenario) -> RunReport
where
    Scenario: FnOnce(World) -> Outcome + Send + 'static,
    Outcome: Future<Output = Result<(), String>> + 'static,
{
    std::thread::scope(|scope| {
        let simulation = scope.spawn(move || run_on_this_thread(seed, options, scenario));
        simulation
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn run_on_this_thread<Scenario, Outcome>(seed: u64, options: RunOptions, scenario: Scenario) -> RunReport
where
    Scenario: FnOnce(World) -> Outcome + 'static,
    Outcome: Future<Output = Result<(), String>> + 'static,
{
    let RunOptions {
        params,
        checkers,
        buggify,
        progress,
    } = options;
    let wall_started = WallInstant::now();
    let mut config = madsim::Config::default();
    config.net.packet_loss_rate = 0.0;
    let runtime = madsim::runtime::Runtime::with_seed_and_config(seed, config);
    let (expectation, simulated, digest, violations, trace, messages, history, history_violations) = runtime
        .block_on(async move {
            korasim_core::buggify::start_run(buggify);
            let world_trace = Trace::new(Vec::new());
            if let Some(hook) = progress {
                world_trace
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .report_progress(hook);
            }
            let world = World::build(params, world_trace.clone());
            {
                let mut trace = world_trace
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                trace.install_checkers(checkers_named(
                    &checkers,
                    world.broker_zones(),
                    &world.params().broker.tier,
                    world.params().controller.min_insync_replicas,
                ));
            }
            let expectation = scenario(world.clone()).await;
            // Taken, not copied: the simulator may keep a finished run's tasks (and through
            // them the world) alive, and a long gate must not keep every run's history.
            let history = std::mem::take(
                &mut *world
                    .history()
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
            let mut trace = world_trace
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !history.is_empty() {
                // The history is part of the run: the digest covers it too.
                trace.push(
                    "scenario",
                    crate::trace::TraceKind::Scenario(format!(
                        "client history: {} operations, digest {}",
                        history.len(),
                        history.digest()
                    )),
                );
            }
            trace.finish();
            world.release_memory();
            (
                expectation,
                trace.elapsed(),
                trace.digest(),
                trace.violations().to_vec(),
                trace.take_entries(),
                madsim::net::NetSim::current().stat().msg_count,
                history,
                world.history_violations(),
            )
        });
    dump_trace(seed, &trace);
    RunReport {
        seed,
        digest,
        violations,
        expectation_failure: expectation.err(),
        simulated,
        wall: wall_started.elapsed(),
        messages,
        trace,
        history,
        history_violations,
    }
}

/// With `KORASIM_DUMP_TRACE=<prefix>` set, writes the whole trace of every run, one entry a
/// line, to `<prefix>-seed-<N>.txt`: two runs whose digests differ can then be diffed to the
/// first entry where they part.
fn dump_trace(seed: u64, trace: &[crate::trace::TraceEntry]) {
    let Some(prefix) = std::env::var_os("KORASIM_DUMP_TRACE") else {
        return;
    };
    let mut path = std::path::PathBuf::from(prefix).into_os_string();
    path.push(format!("-seed-{seed}.txt"));
    let lines: String = trace.iter().map(|entry| format!("{entry:?}\n")).collect();
    if let Err(error) = std::fs::write(&path, lines) {
        eprintln!(
            "warning: cannot dump the trace to {}: {error}",
            std::path::Path::new(&path).display()
        );
    }
}
