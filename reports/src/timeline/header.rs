//! The title block: verdict badge, scenario and seed, the description, and one line of facts.

use super::palette;
use super::svg::{px, truncate, Svg};
use crate::format::{fixed, seconds};
use crate::model::RunRecord;

const BADGE_WIDTH_PX: f64 = 76.0;
/// What fits on one line of 13 px text across the page.
const DESCRIPTION_MAX_CHARS: usize = 150;
/// What fits on the title line after the badge, in 20 px bold.
const TITLE_MAX_CHARS: usize = 85;

pub(super) fn draw(doc: &mut Svg, record: &RunRecord) {
    let badge_colour = if record.passed {
        palette::PASSED
    } else {
        palette::FAILED
    };
    let badge = [
        ("x", px(12.0)),
        ("y", px(12.0)),
        ("width", px(BADGE_WIDTH_PX)),
        ("height", px(26.0)),
        ("rx", "4".into()),
        ("fill", badge_colour.into()),
    ];
    doc.element("rect", &badge, None);
    let badge_text = [
        ("class", "badge".into()),
        ("x", px(12.0 + BADGE_WIDTH_PX / 2.0)),
        ("y", px(30.0)),
        ("text-anchor", "middle".into()),
    ];
    doc.text(&badge_text, record.verdict());
    let title = format!("{} · seed {}", record.scenario, record.seed);
    doc.text(
        &[("class", "title".into()), ("x", px(100.0)), ("y", px(32.0))],
        &truncate(&title, TITLE_MAX_CHARS),
    );
    doc.text(
        &[("class", "subtitle".into()), ("x", px(12.0)), ("y", px(58.0))],
        &truncate(&record.description, DESCRIPTION_MAX_CHARS),
    );
    doc.text(
        &[("class", "info".into()), ("x", px(12.0)), ("y", px(78.0))],
        &facts(record),
    );
}

fn facts(record: &RunRecord) -> String {
    let mut facts = format!(
        "{} simulated in {} s of wall time",
        seconds(record.simulated_seconds),
        fixed(record.wall_seconds, 2)
    );
    if let Some(speed) = record.simulated_seconds_per_wall_second() {
        facts.push_str(&format!(" ({}× real time)", fixed(speed, 1)));
    }
    facts.push_str(&format!(" · digest {}", record.digest));
    let problems = record.violations.len() + record.expectation_failures.len();
    if problems > 0 {
        facts.push_str(&format!(
            " · {} violation{}, {} expectation{} not met",
            record.violations.len(),
            if record.violations.len() == 1 { "" } else { "s" },
            record.expectation_failures.len(),
            if record.expectation_failures.len() == 1 {
                ""
            } else {
                "s"
            },
        ));
    }
    facts
}
