//! The subcommands of `korasim`.

pub mod check_history;
pub mod gate;
pub mod list;
pub mod run;
pub mod worker;
mod worker_pool;

use std::path::Path;
use std::process::ExitCode;

/// Exit status: every check held.
pub const PASSED: u8 = 0;
/// Exit status: a check failed.
pub const FAILED: u8 = 1;
/// Exit status: the input was bad (scenario file, arguments).
pub const BAD_INPUT: u8 = 2;

pub fn exit(code: u8) -> ExitCode {
    ExitCode::from(code)
}

/// The line that replays one run. `scenario` is what `run` was given (a catalogue name or a
/// file's path), so a run of a file outside the catalogue replays from that file; a
/// catalogue other than the default one is named with `--scenarios`.
pub fn replay_line(directory: &Path, scenario: &str, seed: u64) -> String {
    let is_path = scenario.ends_with(".toml") || scenario.contains('/');
    if is_path || directory == Path::new(DEFAULT_SCENARIOS) {
        format!("cargo run --release -- run {scenario} --seed {seed}")
    } else {
        let directory = directory.display();
        format!("cargo run --release -- --scenarios {directory} run {scenario} --seed {seed}")
    }
}

/// Where the scenario catalogue is unless `--scenarios` says otherwise.
pub const DEFAULT_SCENARIOS: &str = "scenarios";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_line_runs_what_was_run() {
        let catalogue = Path::new(DEFAULT_SCENARIOS);
        assert_eq!(
            replay_line(catalogue, "storage-stall", 7),
            "cargo run --release -- run storage-stall --seed 7"
        );
        assert_eq!(
            replay_line(catalogue, "mine/bug.toml", 7),
            "cargo run --release -- run mine/bug.toml --seed 7"
        );
        assert_eq!(
            replay_line(Path::new("other"), "storage-stall", 7),
            "cargo run --release -- --scenarios other run storage-stall --seed 7"
        );
    }
}
