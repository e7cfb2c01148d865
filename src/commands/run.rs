//! `korasim run`: one scenario, one seed, a summary and a report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use korasim_reports::{default_run_dir, write_run, RunRecord};
use korasim_sim::progress::ProgressHook;
use korasim_sim::report::{run_record, ReportContext};
use korasim_sim::scenario_file::ScenarioSpec;
use korasim_sim::scenario_run::run_scenario_reporting;
use korasim_sim::workloads::History;

/// The client history's file name, beside the report.
const HISTORY_FILE: &str = "history.jsonl";

use super::{exit, replay_line, BAD_INPUT, FAILED, PASSED};
use crate::catalogue::find;

/// How often (in simulated time) a run on a terminal updates its progress line.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Runs `spec` with `seed` and builds its report; `replay` is the line that runs it again.
pub fn run_and_report(spec: &ScenarioSpec, seed: u64, replay: String) -> RunRecord {
    run_with_history(spec, seed, replay, None).0
}

/// Runs `spec` with `seed`: its report and its client history.
fn run_with_history(
    spec: &ScenarioSpec,
    seed: u64,
    replay: String,
    progress: Option<ProgressHook>,
) -> (RunRecord, History) {
    let report = run_scenario_reporting(spec, seed, progress);
    let context = ReportContext {
        scenario: &spec.name,
        description: &spec.description,
        replay,
    };
    (run_record(&report, &context), report.history)
}

pub fn run(directory: &Path, scenario: &str, seed: u64, out: Option<PathBuf>) -> ExitCode {
    let spec = match find(directory, scenario) {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("error: {error}");
            return exit(BAD_INPUT);
        }
    };
    let progress = std::io::stderr().is_terminal().then(|| progress_line(&spec));
    let (record, history) = run_with_history(&spec, seed, replay_line(directory, scenario, seed), progress);
    if std::io::stderr().is_terminal() {
        // Clears the progress line.
        eprint!("\r\x1b[K");
    }
    let out = out.unwrap_or_else(|| default_run_dir(Path::new("."), &spec.name, seed));
    print_summary(&record);
    match write_run(&out, &record).and_then(|mut files| {
        // The client history, as JSON lines (sim/src/workloads/HISTORY_FORMAT.md), for tools
        // outside the project to check the run too.
        if !history.is_empty() {
            let path = out.join(HISTORY_FILE);
            history.write_jsonl(&path)?;
            files.push(path);
        }
        Ok(files)
    }) {
        Ok(files) => {
            let names: Vec<String> = files.iter().map(|file| file.display().to_string()).collect();
            println!("report: {}", names.join(", "));
        }
        Err(error) => eprintln!(
            "warning: could not write the report to {}: {error}",
            out.display()
        ),
    }
    if record.passed {
        exit(PASSED)
    } else {
        println!("\nreplay: {}", record.replay);
        exit(FAILED)
    }
}

fn print_summary(record: &RunRecord) {
    let verdict = if record.passed { "PASSED" } else { "FAILED" };
    println!("{} seed {}: {verdict}", record.scenario, record.seed);
    println!(
        "  simulated {:.1} s in {:.2} s of wall time ({:.0} simulated seconds per wall second)",
        record.simulated_seconds,
        record.wall_seconds,
        record.simulated_seconds / record.wall_seconds.max(1e-9)
    );
    println!(
        "  faults injected: {}   detections and mitigations: {}   marks: {}",
        record.faults.len(),
        record.mitigations.len(),
        record.marks.len()
    );
    for (name, value) in &record.counters {
        println!("  {name}: {value}");
    }
    println!("  digest: {}", record.digest);
    if record.violations.is_empty() {
        println!("  checks: every invariant held");
    }
    for violation in &record.violations {
        println!(
            "  invariant broken [{}]: {}",
            violation.checker, violation.message
        );
    }
    for failure in &record.expectation_failures {
        println!("  expectation not met: {failure}");
    }
}

/// A line on stderr, rewritten as the run goes, saying how much of it is simulated: a long
/// scenario (`detector-slow-replica` simulates 34 minutes in about 40 s) shows it is moving.
fn progress_line(spec: &ScenarioSpec) -> ProgressHook {
    let expected = spec.run.safety + spec.run.liveness;
    let name = spec.name.clone();
    ProgressHook::new(PROGRESS_EVERY, move |elapsed| {
        let percent = (100.0 * elapsed.as_secs_f64() / expected.as_secs_f64().max(1e-9)).min(100.0);
        eprint!(
            "\r{name}: simulated {:.0} s of about {:.0} s ({percent:.0} %)",
            elapsed.as_secs_f64(),
            expected.as_secs_f64()
        );
    })
}
