//! `korasim`: run the scenario catalogue under the deterministic simulator.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

use korasim_sim::run::RunReport;
use korasim_sim::scenario_file::{load, load_catalogue, ScenarioSpec};
use korasim_sim::scenario_run::run_scenario;

type Scenario = ScenarioSpec;

fn catalogue() -> Vec<ScenarioSpec> {
    match load_catalogue(&PathBuf::from("scenarios")) {
        Ok(catalogue) => catalogue,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}

fn find(name: &str) -> Option<ScenarioSpec> {
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        PathBuf::from("scenarios").join(format!("{name}.toml"))
    };
    match load(&path) {
        Ok(spec) => Some(spec),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "korasim",
    about = "Deterministic simulation testbed for a Kora-style Kafka platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// List every scenario with its description.
    List,
    /// Run one scenario with one seed and print what happened.
    Run {
        scenario: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the whole trace.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Run every scenario over many seeds; fail on any failing seed.
    Gate {
        #[arg(long, default_value_t = 5)]
        seeds: u64,
        #[arg(long, default_value_t = 1)]
        first_seed: u64,
    },
}

fn run_one(scenario: &Scenario, seed: u64) -> RunReport {
    run_scenario(scenario, seed)
}

fn replay_line(scenario: &Scenario, seed: u64) -> String {
    format!("cargo run --release -- run {} --seed {seed}", scenario.name)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Gate {
        seeds: 5,
        first_seed: 1,
    }) {
        Command::List => {
            for scenario in catalogue() {
                println!("{:<32} {}", scenario.name, scenario.description);
            }
            ExitCode::SUCCESS
        }
        Command::Run {
            scenario,
            seed,
            verbose,
        } => {
            let Some(scenario) = find(&scenario) else {
                eprintln!("error: no scenario named {scenario:?}; `korasim list` shows them");
                return ExitCode::from(2);
            };
            let report = run_one(&scenario, seed);
            if verbose {
                for entry in &report.trace {
                    println!("{entry}");
                }
            }
            println!(
                "{} seed {}: {} | simulated {:.1}s in {:.2}s wall ({:.0}x) | {} messages | {} trace entries | digest {}",
                scenario.name,
                seed,
                if report.passed() { "PASSED" } else { "FAILED" },
                report.simulated.as_secs_f64(),
                report.wall.as_secs_f64(),
                report.simulated_seconds_per_wall_second(),
                report.messages,
                report.trace.len(),
                report.digest
            );
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                println!("{}", report.failure_summary());
                println!("replay: {}", replay_line(&scenario, seed));
                ExitCode::from(1)
            }
        }
        Command::Gate { seeds, first_seed } => {
            let mut failures = Vec::new();
            for scenario in catalogue() {
                let mut simulated = 0.0;
                let mut wall = 0.0;
                let mut failed = 0;
                for seed in first_seed..first_seed + seeds {
                    let report = run_one(&scenario, seed);
                    simulated += report.simulated.as_secs_f64();
                    wall += report.wall.as_secs_f64();
                    if !report.passed() {
                        failed += 1;
                        failures.push((replay_line(&scenario, seed), report.failure_summary()));
                    }
                }
                println!(
                    "{:<32} seeds {:>4}  failed {:>3}  seeds/min {:>7.1}  sim-s/wall-s {:>6.0}",
                    scenario.name,
                    seeds,
                    failed,
                    seeds as f64 * 60.0 / wall.max(1e-9),
                    simulated / wall.max(1e-9)
                );
            }
            for (line, summary) in &failures {
                println!("\nFAILED: {summary}\nreplay: {line}");
            }
            if failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
