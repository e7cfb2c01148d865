//! `korasim`: runs the scenario catalogue under the deterministic simulator.
//!
//! With no arguments it runs the chaos gate over the whole catalogue on a small number of
//! seeds.

mod catalogue;
mod commands;
mod logging;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::gate::{GateOptions, Shard};

/// Seeds per scenario when the gate runs on defaults.
const DEFAULT_GATE_SEEDS: u64 = 5;

#[derive(Parser)]
#[command(
    name = "korasim",
    version,
    about = "Deterministic simulation testbed for a Kora-style Kafka platform"
)]
struct Cli {
    /// Where the scenario files are.
    #[arg(long, global = true, default_value = commands::DEFAULT_SCENARIOS)]
    scenarios: PathBuf,
    /// A readable log of the run (simulated time, node, event); RUST_LOG picks any other filter.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// List every scenario with its description.
    List,
    /// Run one scenario with one seed; exit 0 if every check held, 1 if one failed, 2 on bad input.
    Run {
        /// A scenario name from the catalogue, or the path of a .toml file.
        scenario: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the report (default: reports/runs/<scenario>/seed-<seed>).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Judge a client history file (JSON lines, sim/src/workloads/HISTORY_FORMAT.md) with the
    /// project's oracle; exit 0 if every check held, 1 if one failed, 2 if the file is unreadable.
    CheckHistory {
        /// The history file, e.g. reports/runs/<scenario>/seed-<N>/history.jsonl.
        file: PathBuf,
    },
    /// The chaos gate: every scenario over many seeds, in parallel; fails on any failing seed
    /// or any run that does not replay to the same digest.
    Gate {
        #[arg(long, default_value_t = DEFAULT_GATE_SEEDS)]
        seeds: u64,
        #[arg(long, default_value_t = 1)]
        first_seed: u64,
        /// Worker threads (default: one per core).
        #[arg(long)]
        jobs: Option<usize>,
        /// Only these scenarios (repeatable).
        #[arg(long = "scenario")]
        only: Vec<String>,
        /// Run shard K of N of the seeds, so N machines can share one gate.
        #[arg(long, default_value = "1/1")]
        shard: Shard,
    },
    /// The gate's child process: runs the jobs it reads on stdin (one JSON line each) and
    /// writes each run's record on stdout.
    #[command(hide = true)]
    Worker,
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

/// Makes a closed pipe end the program quietly, as it does any Unix tool (`korasim list |
/// head`), instead of panicking on the next print.
fn exit_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE at start-up, before any thread
    // exists, has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    logging::install(cli.verbose);
    let command = cli.command.unwrap_or(Command::Gate {
        seeds: DEFAULT_GATE_SEEDS,
        first_seed: 1,
        jobs: None,
        only: Vec::new(),
        shard: Shard { index: 1, count: 1 },
    });
    match command {
        Command::List => commands::list::list(&cli.scenarios),
        Command::Run { scenario, seed, out } => commands::run::run(&cli.scenarios, &scenario, seed, out),
        Command::Worker => commands::worker::worker(),
        Command::CheckHistory { file } => commands::check_history::check_history_file(&file),
        Command::Gate {
            seeds,
            first_seed,
            jobs,
            only,
            shard,
        } => commands::gate::gate(
            &cli.scenarios,
            GateOptions {
                seeds,
                first_seed,
                jobs: jobs.unwrap_or_else(default_jobs),
                scenarios: only,
                shard,
            },
        ),
    }
}
