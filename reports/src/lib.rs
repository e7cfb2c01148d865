//! Run reports: a JSON file for machines, a Markdown page for people, and an SVG timeline
//! people would rather look at than read. Reports are written under `reports/runs/` by
//! default (ignored by git).

mod format;
mod json;
mod markdown;
mod model;
mod timeline;
mod write;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod snapshot_tests;

pub use json::{gate_json, run_json};
pub use markdown::{gate_markdown, run_markdown};
pub use model::{FaultRecord, GateRecord, GateRow, MarkRecord, RunRecord, Series, ViolationRecord};
pub use timeline::run_timeline_svg;
pub use write::{default_gate_dir, default_run_dir, write_gate, write_run};
