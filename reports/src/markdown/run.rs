//! The page for one run: what happened, how to replay it, and what went wrong first if anything
//! did.

use std::fmt::Write;

use super::{code, code_block, text};
use crate::format::{fixed, seconds};
use crate::model::{MarkRecord, RunRecord};

/// One run as a Markdown page; `timeline.svg` is expected next to it.
pub fn run_markdown(record: &RunRecord) -> String {
    let mut page = String::new();
    let _ = writeln!(page, "# {} — {}\n", text(&record.scenario), record.verdict());
    if !record.description.is_empty() {
        let _ = writeln!(page, "{}\n", text(&record.description));
    }
    // Someone opening a failed run's page wants to know what broke before anything else.
    if !record.passed {
        page.push_str(&problems(record));
    }
    page.push_str(&summary(record));
    let _ = writeln!(page, "## Replay\n\n{}", code_block("sh", &record.replay));
    if record.passed {
        page.push_str(&problems(record));
    }
    page.push_str(&faults(record));
    page.push_str(&events(record));
    page.push_str("## Timeline\n\n![timeline](timeline.svg)\n");
    page
}

fn summary(record: &RunRecord) -> String {
    let mut section = String::from("## Summary\n\n| | |\n|---|---|\n");
    let _ = writeln!(section, "| seed | {} |", record.seed);
    let _ = writeln!(section, "| digest | {} |", code(&record.digest));
    let _ = writeln!(
        section,
        "| simulated time | {} |",
        seconds(record.simulated_seconds)
    );
    let _ = writeln!(section, "| wall time | {} s |", fixed(record.wall_seconds, 2));
    let speed = record
        .simulated_seconds_per_wall_second()
        .map_or("n/a".to_string(), |s| fixed(s, 1));
    let _ = writeln!(section, "| simulated s per wall s | {speed} |");
    for (name, count) in &record.counters {
        let _ = writeln!(section, "| {} | {count} |", text(name));
    }
    section.push('\n');
    section
}

/// Violations and expectation failures; a passed run with neither gets a one-line section.
fn problems(record: &RunRecord) -> String {
    let mut section = String::new();
    if record.violations.is_empty() && record.expectation_failures.is_empty() {
        if record.passed {
            section.push_str("## Checks\n\nNo invariant was broken and every expectation was met.\n\n");
        }
        return section;
    }
    if !record.violations.is_empty() {
        section.push_str("## Violations\n\n| checker | at | message |\n|---|---|---|\n");
        for violation in &record.violations {
            let _ = writeln!(
                section,
                "| {} | {} | {} |",
                code(&violation.checker),
                seconds(violation.at_seconds),
                text(&violation.message)
            );
        }
        section.push('\n');
    }
    if !record.expectation_failures.is_empty() {
        section.push_str("## Expectations not met\n\n");
        for failure in &record.expectation_failures {
            let _ = writeln!(section, "- {}", text(failure));
        }
        section.push('\n');
    }
    section
}

fn faults(record: &RunRecord) -> String {
    if record.faults.is_empty() {
        return "## Faults\n\nNo fault was injected.\n\n".to_string();
    }
    let mut section = String::from("## Faults\n\n| start | end | kind | target |\n|---|---|---|---|\n");
    for fault in &record.faults {
        let end = fault.end_seconds.map_or("not healed".to_string(), seconds);
        let _ = writeln!(
            section,
            "| {} | {end} | {} | {} |",
            seconds(fault.start_seconds),
            text(&fault.kind),
            code(&fault.target)
        );
    }
    section.push('\n');
    section
}

/// Marks and mitigations interleaved in time order, so cause and reaction read together.
fn events(record: &RunRecord) -> String {
    if record.marks.is_empty() && record.mitigations.is_empty() {
        return "## Events\n\nNothing to mark: no controller or leader change, fence or mitigation.\n\n"
            .to_string();
    }
    let mut events: Vec<(&MarkRecord, bool)> = record.marks.iter().map(|m| (m, false)).collect();
    events.extend(record.mitigations.iter().map(|m| (m, true)));
    // A stable sort keeps the recorded order of events at the same moment.
    events.sort_by(|a, b| a.0.at_seconds.total_cmp(&b.0.at_seconds));
    let mut section = String::from("## Events\n\n");
    for (event, is_mitigation) in events {
        let tag = if is_mitigation { "mitigation: " } else { "" };
        let _ = writeln!(
            section,
            "- **{}** {tag}{} {} — {}",
            seconds(event.at_seconds),
            text(&event.kind),
            code(&event.node),
            text(&event.detail)
        );
    }
    section.push('\n');
    section
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn failed_run_page_leads_with_violations_and_has_the_replay_line() {
        let record = fixture::zone_isolation_run();
        let page = run_markdown(&record);
        assert!(page.starts_with("# zone-isolation — FAILED"));
        assert!(page.contains(&record.replay));
        assert!(page.contains("`high-watermark-monotonic`"));
        assert!(
            page.contains("(leader epoch 5 \\< 6)"),
            "a `<` in a message is escaped"
        );
        assert!(page.contains("took 26.4 s"));
        let violations_at = page.find("## Violations").unwrap();
        assert!(violations_at < page.find("## Summary").unwrap());
        assert!(page.contains("![timeline](timeline.svg)"));
    }

    #[test]
    fn events_are_in_time_order_across_marks_and_mitigations() {
        let page = run_markdown(&fixture::zone_isolation_run());
        let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("missing {needle}"));
        assert!(at("elected controller") < at("mitigation: demotion"));
        assert!(at("mitigation: demotion") < at("fenced: no heartbeat"));
        assert!(at("fenced: no heartbeat") < at("mitigation: isr removal"));
    }

    #[test]
    fn quiet_run_page_says_so_instead_of_empty_tables() {
        let page = run_markdown(&fixture::quiet_run());
        assert!(page.starts_with("# steady-state — PASSED"));
        assert!(page.contains("No fault was injected."));
        assert!(page.contains("No invariant was broken"));
    }
}
