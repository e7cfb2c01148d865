//! `korasim gate`: the chaos gate. Every scenario over many seeds in parallel, a table per
//! scenario, the replay line of every failure, and a determinism re-check: a sample of runs is
//! repeated and any digest that differs fails the gate.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use korasim_reports::{
    default_gate_dir, default_run_dir, write_gate, write_run, GateRecord, GateRow, RunRecord,
};
use korasim_sim::scenario_file::ScenarioSpec;

use super::replay_line;
use super::worker_pool::WorkerSlot;
use super::{exit, BAD_INPUT, FAILED, PASSED};
use crate::catalogue::select;

/// Failing seeds re-run to check that they replay; beyond this many, only the first are.
const FAILURES_RECHECKED_MAX: usize = 10;

/// Which part of the seeds this machine runs: shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(index, count)| Some((index.parse().ok()?, count.parse().ok()?)));
        match parsed {
            Some((index, count)) if count > 0 && (1..=count).contains(&index) => Ok(Shard { index, count }),
            _ => Err(format!(
                "`{text}` is not a shard: write K/N with 1 <= K <= N, e.g. 2/4"
            )),
        }
    }
}

pub struct GateOptions {
    pub seeds: u64,
    pub first_seed: u64,
    pub jobs: usize,
    pub scenarios: Vec<String>,
    pub shard: Shard,
}

/// Runs every (scenario, seed) pair on `jobs` threads, reporting progress.
fn run_all(
    directory: &Path,
    catalogue: &[ScenarioSpec],
    pairs: Vec<(usize, u64)>,
    jobs: usize,
    progress: &ProgressBar,
) -> Vec<(usize, RunRecord)> {
    let queue = Arc::new(Mutex::new(pairs.into_iter().collect::<VecDeque<_>>()));
    let catalogue = Arc::new(catalogue.to_vec());
    let directory = directory.to_path_buf();
    let (sender, receiver) = mpsc::channel();
    let workers: Vec<_> = (0..jobs.max(1))
        .map(|_| {
            let (queue, catalogue, sender) = (queue.clone(), catalogue.clone(), sender.clone());
            let directory = directory.clone();
            // Each thread hands whole simulations, one after the other, to its worker
            // process (`worker_pool.rs`); a simulation is single-threaded and deterministic
            // whichever process runs it.
            std::thread::spawn(move || {
                let mut slot = WorkerSlot::new(&directory);
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .pop_front();
                    let Some((scenario, seed)) = next else { return };
                    let spec = &catalogue[scenario];
                    let replay = replay_line(&directory, &spec.name, seed);
                    let record = slot.run(spec, seed, replay);
                    if sender.send((scenario, record)).is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(sender);
    let mut results = Vec::new();
    // Without a terminal (CI logs, a soak under `setsid`) the bar draws nothing: a plain
    // line per failure as it happens and a count every tenth of the runs stand in for it.
    let plain = progress.is_hidden();
    let total = progress.length().unwrap_or(0);
    let every = (total / 10).max(1);
    for (scenario, record) in receiver {
        progress.set_message(format!("{} seed {}", record.scenario, record.seed));
        progress.inc(1);
        if plain {
            let done = progress.position();
            if !record.passed {
                eprintln!(
                    "failed: {} seed {} ({})",
                    record.scenario, record.seed, record.replay
                );
            }
            if done.is_multiple_of(every) || done == total {
                eprintln!("{done}/{total} runs, {:.0} s", progress.elapsed().as_secs_f64());
            }
        }
        results.push((scenario, record));
    }
    for worker in workers {
        let _ = worker.join();
    }
    results.sort_by_key(|(scenario, record)| (*scenario, record.seed));
    results
}

fn progress_bar(length: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    let style =
        ProgressStyle::with_template("{prefix:>12} [{bar:40}] {pos}/{len} {elapsed_precise} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar
}

pub fn gate(directory: &Path, options: GateOptions) -> ExitCode {
    let catalogue = match select(directory, &options.scenarios) {
        Ok(catalogue) => catalogue,
        Err(error) => {
            eprintln!("error: {error}");
            return exit(BAD_INPUT);
        }
    };
    let started = Instant::now();
    let seeds: Vec<u64> = (options.first_seed..options.first_seed + options.seeds)
        .filter(|seed| (seed - options.first_seed) % options.shard.count == options.shard.index - 1)
        .collect();
    let pairs: Vec<(usize, u64)> = (0..catalogue.len())
        .flat_map(|scenario| seeds.iter().map(move |seed| (scenario, *seed)))
        .collect();
    println!(
        "chaos gate: {} scenarios x {} seeds (shard {}/{}) on {} threads",
        catalogue.len(),
        seeds.len(),
        options.shard.index,
        options.shard.count,
        options.jobs
    );
    let progress = progress_bar(pairs.len() as u64, "runs");
    let results = run_all(directory, &catalogue, pairs, options.jobs, &progress);
    progress.finish_and_clear();

    // Determinism: the first seed of every scenario and the first failing seeds run again and
    // must give the same digest.
    let mut recheck: Vec<(usize, u64)> = Vec::new();
    for scenario in 0..catalogue.len() {
        if let Some((_, record)) = results.iter().find(|(index, _)| *index == scenario) {
            recheck.push((scenario, record.seed));
        }
    }
    let failing: Vec<&(usize, RunRecord)> = results.iter().filter(|(_, record)| !record.passed).collect();
    recheck.extend(
        failing
            .iter()
            .take(FAILURES_RECHECKED_MAX)
            .map(|(scenario, record)| (*scenario, record.seed)),
    );
    recheck.sort();
    recheck.dedup();
    let progress = progress_bar(recheck.len() as u64, "determinism");
    let rechecked = run_all(directory, &catalogue, recheck, options.jobs, &progress);
    progress.finish_and_clear();
    let first_digests: BTreeMap<(usize, u64), &str> = results
        .iter()
        .map(|(scenario, record)| ((*scenario, record.seed), record.digest.as_str()))
        .collect();
    let mismatches: Vec<String> = rechecked
        .iter()
        .filter_map(|(scenario, record)| {
            let first = first_digests
                .get(&(*scenario, record.seed))
                .copied()
                .unwrap_or("?");
            // A crashed run has no digest: crashing once and not the other time is a
            // difference too.
            (first != record.digest).then(|| match (first.is_empty(), record.digest.is_empty()) {
                (true, _) | (_, true) => format!(
                    "{} seed {}: one of its two runs crashed and the other did not (the run is not deterministic, or a worker was killed)",
                    record.scenario, record.seed
                ),
                _ => format!(
                    "{} seed {}: digest {first} then {} (the run is not deterministic)",
                    record.scenario, record.seed, record.digest
                ),
            })
        })
        .collect();

    let rows: Vec<GateRow> = catalogue
        .iter()
        .enumerate()
        .map(|(index, spec)| {
            let runs: Vec<&RunRecord> = results
                .iter()
                .filter(|(scenario, _)| *scenario == index)
                .map(|(_, record)| record)
                .collect();
            let wall: f64 = runs
                .iter()
                .map(|record| record.wall_seconds)
                .sum::<f64>()
                .max(1e-9);
            let simulated: f64 = runs.iter().map(|record| record.simulated_seconds).sum();
            GateRow {
                scenario: spec.name.clone(),
                seeds_run: runs.len() as u64,
                failures: runs.iter().filter(|record| !record.passed).count() as u64,
                seeds_per_minute: runs.len() as f64 * 60.0 / wall,
                simulated_seconds_per_wall_second: simulated / wall,
            }
        })
        .collect();
    print_table(&rows);
    for (_, record) in &failing {
        let first = record
            .violations
            .first()
            .map(|violation| violation.message.clone())
            .or_else(|| record.expectation_failures.first().cloned())
            .unwrap_or_default();
        println!(
            "\nFAILED {} seed {}: {first}\n  replay: {}",
            record.scenario, record.seed, record.replay
        );
    }
    for mismatch in &mismatches {
        println!("\nNOT DETERMINISTIC: {mismatch}");
    }
    let gate_record = GateRecord {
        rows,
        failing_runs: failing.iter().map(|(_, record)| record.clone()).collect(),
        determinism_rechecked: rechecked.len() as u64,
        determinism_mismatches: mismatches.clone(),
        wall_seconds: started.elapsed().as_secs_f64(),
    };
    write_reports(&gate_record);
    let total = results.len();
    println!(
        "\n{} runs, {} failed, {} re-run for determinism ({} mismatched), {:.1} s",
        total,
        failing.len(),
        rechecked.len(),
        mismatches.len(),
        started.elapsed().as_secs_f64()
    );
    if failing.is_empty() && mismatches.is_empty() {
        exit(PASSED)
    } else {
        exit(FAILED)
    }
}

fn print_table(rows: &[GateRow]) {
    let width = rows
        .iter()
        .map(|row| row.scenario.len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "\n{:<width$}  {:>6}  {:>8}  {:>10}  {:>14}",
        "scenario", "seeds", "failures", "seeds/min", "sim-s/wall-s"
    );
    for row in rows {
        println!(
            "{:<width$}  {:>6}  {:>8}  {:>10.0}  {:>14.0}",
            row.scenario,
            row.seeds_run,
            row.failures,
            row.seeds_per_minute,
            row.simulated_seconds_per_wall_second
        );
    }
}

fn write_reports(gate: &GateRecord) {
    let root = Path::new(".");
    for record in &gate.failing_runs {
        let directory = default_run_dir(root, &record.scenario, record.seed);
        if let Err(error) = write_run(&directory, record) {
            eprintln!("warning: could not write {}: {error}", directory.display());
        }
    }
    match write_gate(&default_gate_dir(root), gate) {
        Ok(summary) => println!("summary: {}", summary.display()),
        Err(error) => eprintln!("warning: could not write the gate summary: {error}"),
    }
}
