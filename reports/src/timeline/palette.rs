//! Colours: distinct within a lane, and the same kind keeps its colour wherever it appears.

/// For fault bands, in order of each kind's first appearance (colour-blind-friendlier Tableau).
const FAULT_COLOURS: [&str; 8] = [
    "#e15759", "#f28e2b", "#4e79a7", "#b07aa1", "#76b7b2", "#9c755f", "#edc948", "#ff9da7",
];

/// For mitigations.
const EVENT_COLOURS: [&str; 8] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
];

/// For kinds of marks other than the well-known ones: apart from the mitigations' colours.
const OTHER_MARK_COLOURS: [&str; 5] = ["#17becf", "#bcbd22", "#8c564b", "#e377c2", "#7f7f7f"];

/// For series lines.
const SERIES_COLOURS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf"];

pub(super) const VIOLATION: &str = "#c00000";
pub(super) const PASSED: &str = "#2e7d32";
pub(super) const FAILED: &str = "#c62828";

pub(super) fn fault(index: usize) -> &'static str {
    FAULT_COLOURS[index % FAULT_COLOURS.len()]
}

pub(super) fn event(index: usize) -> &'static str {
    EVENT_COLOURS[index % EVENT_COLOURS.len()]
}

pub(super) fn other_mark(index: usize) -> &'static str {
    OTHER_MARK_COLOURS[index % OTHER_MARK_COLOURS.len()]
}

pub(super) fn series(index: usize) -> &'static str {
    SERIES_COLOURS[index % SERIES_COLOURS.len()]
}

/// The marks people look for first keep one colour in every report.
pub(super) fn well_known_mark(kind: &str) -> Option<&'static str> {
    match kind {
        "controller" => Some("#6a3d9a"),
        "leader" => Some("#1f78b4"),
        "fence" => Some("#e31a1c"),
        _ => None,
    }
}

/// Kinds in order of first appearance: a stable, collision-free way to hand out colours.
pub(super) fn kinds_in_order<'a>(kinds: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for kind in kinds {
        if !seen.contains(&kind) {
            seen.push(kind);
        }
    }
    seen
}
