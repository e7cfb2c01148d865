//! The gate's side of its worker processes (`worker.rs`): one child per gate thread, replaced
//! after every run (see `RUNS_PER_WORKER`) or when it dies.

use std::io::{BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use korasim_reports::RunRecord;
use korasim_sim::scenario_file::ScenarioSpec;

use super::worker::Job;

/// Runs a worker process does before it is replaced: one. A run's digest is only the seed's
/// in a fresh process: openraft's replication backoff polls an unbiased `tokio::select!`, whose
/// generator tokio seeds from a process-wide counter, so a run that follows another in the
/// same process can draw differently (measured: `chaos-failover` seed 10 gave three digests
/// after zero, one and nine earlier runs in one worker). A fresh worker also gives back all
/// that madsim keeps of a finished run; starting one costs milliseconds.
const RUNS_PER_WORKER: u32 = 1;
/// How much of a dead worker's last words (stderr) a failure quotes.
const STDERR_KEPT_BYTES: usize = 2000;

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<String>>,
    runs: u32,
}

/// A worker slot: starts a child when needed and hands it jobs one at a time.
pub struct WorkerSlot {
    scenarios: std::path::PathBuf,
    worker: Option<Worker>,
}

impl WorkerSlot {
    pub fn new(scenarios: &std::path::Path) -> Self {
        WorkerSlot {
            scenarios: scenarios.to_path_buf(),
            worker: None,
        }
    }

    /// Runs one seed of `spec` in a worker process. A worker that dies (a panic, a signal, no
    /// memory) yields a failed record that says so and carries the replay line.
    pub fn run(&mut self, spec: &ScenarioSpec, seed: u64, replay: String) -> RunRecord {
        let started = Instant::now();
        let job = Job {
            file: spec.file.clone(),
            seed,
            replay: replay.clone(),
        };
        // A worker that went away between runs has not seen this one: a fresh one gets it.
        let handed = self.hand_over(&job).or_else(|_| {
            self.bury();
            self.hand_over(&job)
        });
        match handed.and_then(|()| self.collect()) {
            Ok(record) => record,
            Err(problem) => {
                let last_words = self.bury();
                crashed_record(spec, seed, replay, started, &problem, &last_words)
            }
        }
    }

    /// Writes `job` to the worker, starting one if there is none or it has exited. (The
    /// check comes first because writing to a dead worker's pipe would raise SIGPIPE, which
    /// `main` leaves at its default: it would end the gate.)
    fn hand_over(&mut self, job: &Job) -> Result<(), String> {
        let exited = self
            .worker
            .as_mut()
            .is_some_and(|worker| !matches!(worker.child.try_wait(), Ok(None)));
        if exited {
            self.bury();
        }
        if self.worker.is_none() {
            self.worker = Some(start(&self.scenarios)?);
        }
        let worker = self.worker.as_mut().expect("started above");
        let line = serde_json::to_string(job).map_err(|error| error.to_string())?;
        writeln!(worker.stdin, "{line}")
            .and_then(|()| worker.stdin.flush())
            .map_err(|error| format!("could not hand the run to the worker: {error}"))
    }

    /// Reads the record of the job handed over, and retires the worker once it has done its
    /// share.
    fn collect(&mut self) -> Result<RunRecord, String> {
        let worker = self
            .worker
            .as_mut()
            .ok_or_else(|| "no worker holds the run".to_string())?;
        let mut length = [0u8; 8];
        worker
            .stdout
            .read_exact(&mut length)
            .map_err(|_| "the worker process died during the run".to_string())?;
        let mut frame = vec![0u8; u64::from_le_bytes(length) as usize];
        worker
            .stdout
            .read_exact(&mut frame)
            .map_err(|_| "the worker process died while reporting the run".to_string())?;
        let record = postcard::from_bytes(&frame)
            .map_err(|error| format!("the worker's answer is not a run record: {error}"))?;
        worker.runs += 1;
        if worker.runs >= RUNS_PER_WORKER {
            self.retire();
        }
        Ok(record)
    }

    /// Lets the current worker finish (its stdin closes) and waits for it.
    fn retire(&mut self) {
        if let Some(worker) = self.worker.take() {
            let Worker { mut child, stdin, .. } = worker;
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// Ends a worker that failed and returns what it wrote on stderr.
    fn bury(&mut self) -> String {
        let Some(mut worker) = self.worker.take() else {
            return String::new();
        };
        let _ = worker.child.kill();
        let _ = worker.child.wait();
        let stderr = worker
            .stderr
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        stderr
    }
}

impl Drop for WorkerSlot {
    fn drop(&mut self) {
        self.retire();
    }
}

fn start(scenarios: &std::path::Path) -> Result<Worker, String> {
    let program = std::env::current_exe()
        .map_err(|error| format!("cannot find the korasim program to start a worker: {error}"))?;
    let mut child = Command::new(program)
        .arg("--scenarios")
        .arg(scenarios)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start a worker process: {error}"))?;
    let (Some(stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err("a worker process started without its pipes".to_string());
    };
    // Drained all along (a full pipe would stall the worker); only the tail is kept.
    let kept = Arc::new(Mutex::new(String::new()));
    let sink = kept.clone();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(read) = stderr.read(&mut buffer) {
            if read == 0 {
                break;
            }
            let mut kept = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            kept.push_str(&String::from_utf8_lossy(&buffer[..read]));
            if kept.len() > STDERR_KEPT_BYTES {
                let cut = kept.len() - STDERR_KEPT_BYTES;
                let cut = (cut..kept.len())
                    .find(|at| kept.is_char_boundary(*at))
                    .unwrap_or(kept.len());
                kept.drain(..cut);
            }
        }
    });
    Ok(Worker {
        child,
        stdin,
        stdout: BufReader::new(stdout),
        stderr: kept,
        runs: 0,
    })
}

/// The record of a run whose process died: failed, with the panic (or whatever the worker
/// said last) as the reason.
fn crashed_record(
    spec: &ScenarioSpec,
    seed: u64,
    replay: String,
    started: Instant,
    problem: &str,
    last_words: &str,
) -> RunRecord {
    let panic = last_word(last_words);
    RunRecord {
        scenario: spec.name.clone(),
        description: spec.description.clone(),
        seed,
        passed: false,
        digest: String::new(),
        simulated_seconds: 0.0,
        wall_seconds: started.elapsed().as_secs_f64(),
        replay,
        violations: Vec::new(),
        expectation_failures: vec![
            format!("the run crashed: {problem}; {panic}"),
            format!("the worker's last output:\n{last_words}"),
        ],
        faults: Vec::new(),
        mitigations: Vec::new(),
        marks: Vec::new(),
        series: Vec::new(),
        counters: Vec::new(),
    }
}

/// The line of a dead worker's stderr that says most: its panic (and the message on the line
/// after it), or else its last line.
fn last_word(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    match lines.iter().position(|line| line.contains("panicked at")) {
        Some(at) => lines[at..lines.len().min(at + 2)].join(" ").trim().to_string(),
        None => lines
            .last()
            .map_or("(it wrote nothing on stderr)".to_string(), |line| {
                line.trim().to_string()
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::last_word;

    #[test]
    fn a_dead_worker_is_quoted_by_its_panic() {
        let stderr = "some log\nthread 'main' panicked at core/src/x.rs:10:5:\nthe high watermark went back\nnote: run with RUST_BACKTRACE=1\n";
        assert_eq!(
            last_word(stderr),
            "thread 'main' panicked at core/src/x.rs:10:5: the high watermark went back"
        );
        assert_eq!(last_word("first\nKilled\n"), "Killed");
        assert_eq!(last_word(""), "(it wrote nothing on stderr)");
    }
}
