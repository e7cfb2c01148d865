//! The gate's summary page: one line per scenario, the determinism re-check, and for each
//! failing run the first thing that broke and the line that replays it.

use std::fmt::Write;

use super::{code, code_block, text};
use crate::format::{fixed, seconds};
use crate::model::{GateRecord, RunRecord};

/// The gate as a Markdown page.
pub fn gate_markdown(record: &GateRecord) -> String {
    let mut page = format!("# Chaos gate — {}\n\n", record.verdict());
    let seeds_run: u64 = record.rows.iter().map(|r| r.seeds_run).sum();
    let failures: u64 = record.rows.iter().map(|r| r.failures).sum();
    let _ = writeln!(
        page,
        "{seeds_run} seeds over {} scenarios, {failures} failed, in {} s of wall time.\n",
        record.rows.len(),
        fixed(record.wall_seconds, 1)
    );
    page.push_str(&scenario_table(record));
    page.push_str(&determinism(record));
    page.push_str(&failing_runs(record));
    page
}

fn scenario_table(record: &GateRecord) -> String {
    let mut section = String::from(
        "## Scenarios\n\n| scenario | seeds run | failures | seeds per minute | simulated s per wall s |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for row in &record.rows {
        let _ = writeln!(
            section,
            "| {} | {} | {} | {} | {} |",
            text(&row.scenario),
            row.seeds_run,
            row.failures,
            fixed(row.seeds_per_minute, 1),
            fixed(row.simulated_seconds_per_wall_second, 1)
        );
    }
    section.push('\n');
    section
}

fn determinism(record: &GateRecord) -> String {
    let mut section = String::from("## Determinism\n\n");
    if record.determinism_rechecked == 0 {
        section.push_str("No seed was re-run to check determinism.\n\n");
    } else if record.determinism_mismatches.is_empty() {
        let _ = writeln!(
            section,
            "Re-ran {} seeds: every digest matched its first run.\n",
            record.determinism_rechecked
        );
    } else {
        let _ = writeln!(
            section,
            "Re-ran {} seeds: **{} gave a different digest** (the simulation is not deterministic):\n",
            record.determinism_rechecked,
            record.determinism_mismatches.len()
        );
        for mismatch in &record.determinism_mismatches {
            let _ = writeln!(section, "- {}", text(mismatch));
        }
        section.push('\n');
    }
    section
}

fn failing_runs(record: &GateRecord) -> String {
    if record.failing_runs.is_empty() {
        return "## Failing runs\n\nNone.\n".to_string();
    }
    let mut section = String::from("## Failing runs\n\n");
    for run in &record.failing_runs {
        let _ = writeln!(section, "### {} seed {}\n", text(&run.scenario), run.seed);
        let _ = writeln!(section, "{}\n", first_problem(run));
        section.push_str(&code_block("sh", &run.replay));
        section.push('\n');
    }
    section
}

/// The first violation in time, or else the first expectation failure: usually the cause, the
/// rest often follows from it.
fn first_problem(run: &RunRecord) -> String {
    let first_violation = run
        .violations
        .iter()
        .min_by(|a, b| a.at_seconds.total_cmp(&b.at_seconds));
    let more = run.violations.len() + run.expectation_failures.len();
    let others = match more.saturating_sub(1) {
        0 => String::new(),
        1 => " (and 1 more problem)".to_string(),
        n => format!(" (and {n} more problems)"),
    };
    if let Some(violation) = first_violation {
        format!(
            "First violation: {} at {}: {}{others}",
            code(&violation.checker),
            seconds(violation.at_seconds),
            text(&violation.message)
        )
    } else if let Some(failure) = run.expectation_failures.first() {
        format!("Expectation not met: {}{others}", text(failure))
    } else {
        "Failed without a recorded violation or expectation failure.".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn gate_page_lists_scenarios_and_the_failing_run_with_its_replay() {
        let gate = fixture::gate_with_one_failure();
        let page = gate_markdown(&gate);
        assert!(page.starts_with("# Chaos gate — FAILED"));
        assert!(page.contains("| zone-isolation | 5 | 1 | 24.5 | 49.0 |"));
        assert!(page.contains("Re-ran 2 seeds: every digest matched"));
        assert!(page.contains("### zone-isolation seed 42"));
        assert!(page.contains("First violation: `high-watermark-monotonic` at 41.25 s"));
        assert!(page.contains("(and 1 more problem)"));
        assert!(page.contains(&gate.failing_runs[0].replay));
    }

    #[test]
    fn determinism_mismatches_are_called_out() {
        let mut gate = fixture::gate_with_one_failure();
        gate.determinism_mismatches
            .push("zone-isolation seed 3: 9f3c... then 11ab...".into());
        let page = gate_markdown(&gate);
        assert!(page.contains("**1 gave a different digest**"));
        assert!(page.contains("- zone-isolation seed 3"));
    }
}
