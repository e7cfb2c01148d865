//! The subcommands of `korasim`.

pub mod gate;
pub mod list;
pub mod run;

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

/// The line that replays one run.
pub fn replay_line(scenario: &str, seed: u64) -> String {
    format!("cargo run --release -- run {scenario} --seed {seed}")
}
