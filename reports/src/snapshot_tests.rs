//! Snapshots of what people read, for the fabricated zone-isolation run: a change to a page or
//! the timeline shows up as a diff to review (`cargo insta review`) rather than slipping by.
//! They live in `src/snapshots/`.

use crate::fixture;
use crate::{gate_markdown, run_markdown, run_timeline_svg};

#[test]
fn run_page() {
    insta::assert_snapshot!(run_markdown(&fixture::zone_isolation_run()));
}

#[test]
fn gate_page() {
    insta::assert_snapshot!(gate_markdown(&fixture::gate_with_one_failure()));
}

#[test]
fn timeline() {
    insta::assert_snapshot!(run_timeline_svg(&fixture::zone_isolation_run()));
}
