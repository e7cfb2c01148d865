//! `korasim worker` (hidden): the gate's child process. It reads one job per line on stdin
//! (a JSON [`Job`]), runs it, and writes the run's record on stdout as one frame: its length
//! (8 bytes, little-endian), then the record in postcard's encoding (binary, so that a NaN in
//! a latency series survives the trip, which JSON would turn into null).
//!
//! The gate runs simulations in children rather than in its own threads for two reasons:
//! madsim keeps part of every finished run alive until its process ends (tens to hundreds of
//! MB for a data run), so a long gate in one process would outgrow the machine; and a run
//! that panics (an assertion in the system under test, say) must count as a failed seed with
//! its replay line, not take a thread and its result with it.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use korasim_sim::scenario_file::{load, ScenarioSpec};
use serde::{Deserialize, Serialize};

use super::run::run_and_report;
use super::{exit, BAD_INPUT, PASSED};

/// One run asked of a worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The scenario file (the gate has loaded and validated it already).
    pub file: PathBuf,
    pub seed: u64,
    /// The line that replays the run, as the gate names it.
    pub replay: String,
}

pub fn worker() -> ExitCode {
    let mut specs: BTreeMap<PathBuf, ScenarioSpec> = BTreeMap::new();
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let job: Job = match serde_json::from_str(&line) {
            Ok(job) => job,
            Err(error) => {
                eprintln!("error: the worker got a job it cannot read ({error}): {line}");
                return exit(BAD_INPUT);
            }
        };
        if !specs.contains_key(&job.file) {
            match load(&job.file) {
                Ok(spec) => {
                    specs.insert(job.file.clone(), spec);
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    return exit(BAD_INPUT);
                }
            }
        }
        let record = run_and_report(&specs[&job.file], job.seed, job.replay);
        let Ok(frame) = postcard::to_allocvec(&record) else {
            eprintln!(
                "error: the record of {} seed {} has no binary encoding",
                record.scenario, record.seed
            );
            return exit(BAD_INPUT);
        };
        let written = stdout
            .write_all(&(frame.len() as u64).to_le_bytes())
            .and_then(|()| stdout.write_all(&frame))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            // The gate has gone; nothing is left to report to.
            break;
        }
    }
    exit(PASSED)
}
