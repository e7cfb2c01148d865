//! What is drawn across every lane: a faint shade over each fault's time, so its effect on the
//! series below is plain, and a dashed red line at each violation.

use super::scale::Scale;
use super::svg::{px, text_width_px, Svg};
use super::{palette, PLOT_LEFT_PX, PLOT_RIGHT_PX};

const LABEL_FONT_PX: f64 = 11.0;
use crate::format::seconds;
use crate::model::{FaultRecord, ViolationRecord};

pub(super) fn fault_shading(
    doc: &mut Svg,
    faults: &[FaultRecord],
    time: &Scale,
    run_end_seconds: f64,
    (top_px, bottom_px): (f64, f64),
) {
    let kinds = palette::kinds_in_order(faults.iter().map(|f| f.kind.as_str()));
    for fault in faults {
        let colour = palette::fault(kinds.iter().position(|k| *k == fault.kind).unwrap_or(0));
        let start_px = time.px_clamped(fault.start_seconds);
        let end_px = time.px_clamped(fault.end_or(run_end_seconds)).max(start_px + 1.0);
        let shade = [
            ("class", "fault-shade".into()),
            ("x", px(start_px)),
            ("y", px(top_px)),
            ("width", px(end_px - start_px)),
            ("height", px(bottom_px - top_px)),
            ("fill", colour.into()),
            ("fill-opacity", "0.06".into()),
        ];
        doc.element("rect", &shade, None);
    }
}

/// A dashed red line at each violation from `top_px` down, named at the top where the name fits
/// before the next violation.
pub(super) fn violations(
    doc: &mut Svg,
    violations: &[ViolationRecord],
    time: &Scale,
    (top_px, bottom_px): (f64, f64),
) {
    let mut in_time: Vec<&ViolationRecord> = violations.iter().collect();
    in_time.sort_by(|a, b| a.at_seconds.total_cmp(&b.at_seconds));
    for (i, violation) in in_time.iter().enumerate() {
        let x_px = time.px_clamped(violation.at_seconds).max(PLOT_LEFT_PX);
        let tooltip = format!(
            "violation at {}: {}: {}",
            seconds(violation.at_seconds),
            violation.checker,
            violation.message
        );
        let line = [
            ("class", "violation".into()),
            ("x1", px(x_px)),
            ("x2", px(x_px)),
            ("y1", px(top_px)),
            ("y2", px(bottom_px)),
            ("stroke", palette::VIOLATION.into()),
            ("stroke-width", "1.5".into()),
            ("stroke-dasharray", "5 3".into()),
        ];
        doc.element("line", &line, Some(&tooltip));
        let name = format!("violation: {}", violation.checker);
        let next_px = in_time
            .get(i + 1)
            .map_or(PLOT_RIGHT_PX, |next| time.px_clamped(next.at_seconds) - 6.0);
        let fits_right = x_px + 5.0 + text_width_px(&name, LABEL_FONT_PX) <= next_px;
        // The last violation may sit near the right edge: its name then goes to its left.
        let fits_left =
            i + 1 == in_time.len() && x_px - 5.0 - text_width_px(&name, LABEL_FONT_PX) >= PLOT_LEFT_PX;
        if fits_right || fits_left {
            let (label_x_px, anchor) = if fits_right {
                (x_px + 5.0, "start")
            } else {
                (x_px - 5.0, "end")
            };
            let label = [
                ("class", "violation-label".into()),
                ("x", px(label_x_px)),
                ("y", px(top_px + 11.0)),
                ("text-anchor", anchor.into()),
            ];
            doc.text(&label, &name);
        }
    }
}
