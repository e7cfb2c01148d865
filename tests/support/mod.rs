//! Shared helpers of the seeded suite: which seeds to run and the replay line of a failing
//! seed.

#![allow(dead_code)] // Each test file uses its own subset.

use korasim_sim::run::RunReport;

/// The seeds a test runs: `KORASIM_SEED` alone when set (replaying one), otherwise
/// `KORASIM_SEEDS` of them (default `default_count`) starting at `KORASIM_FIRST_SEED` (default 1).
pub fn seeds(default_count: u64) -> Vec<u64> {
    if let Some(seed) = env_number("KORASIM_SEED") {
        return vec![seed];
    }
    let count = env_number("KORASIM_SEEDS").unwrap_or(default_count);
    let first = env_number("KORASIM_FIRST_SEED").unwrap_or(1);
    (first..first + count).collect()
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Runs `run` for every seed of [`seeds`] and fails with the replay line of the first seed
/// whose run did not pass.
pub fn check_seeds(test_file: &str, test_name: &str, default_count: u64, run: impl Fn(u64) -> RunReport) {
    for seed in seeds(default_count) {
        let report = run(seed);
        if !report.passed() {
            let tail: Vec<String> = report
                .trace
                .iter()
                .rev()
                .take(25)
                .rev()
                .map(|entry| entry.to_string())
                .collect();
            panic!(
                "seed {seed} failed after {:.1} simulated seconds (digest {}):\n{}\n\nlast trace entries:\n{}\n\nreplay with:\n    KORASIM_SEED={seed} cargo test --test {test_file} -- {test_name} --exact\n",
                report.simulated.as_secs_f64(),
                report.digest,
                report.failure_summary(),
                tail.join("\n"),
            );
        }
    }
}
