//! The shared time axis: labels above the lanes, grid lines through them, and the axis with
//! its title below.

use super::scale::{nice_step, tick_label, ticks, Scale};
use super::svg::{px, Svg};
use super::{PLOT_LEFT_PX, PLOT_RIGHT_PX};

/// About one tick per 100 px across the plot.
const TICK_TARGET: usize = 10;
pub(super) const BOTTOM_AXIS_HEIGHT_PX: f64 = 44.0;

fn time_ticks(time: &Scale) -> (Vec<f64>, f64) {
    let step = nice_step(time.domain_end - time.domain_start, TICK_TARGET);
    (ticks(time.domain_start, time.domain_end, step), step)
}

pub(super) fn gridlines(doc: &mut Svg, time: &Scale, (top_px, bottom_px): (f64, f64)) {
    for tick in time_ticks(time).0 {
        let x_px = px(time.px(tick));
        let line = [
            ("x1", x_px.clone()),
            ("x2", x_px),
            ("y1", px(top_px)),
            ("y2", px(bottom_px)),
        ];
        doc.element(
            "line",
            &[line.as_slice(), &[("stroke", "#e8e8e8".into())]].concat(),
            None,
        );
    }
}

/// Tick labels above the first lane, so the time of a fault reads without scrolling down.
pub(super) fn top_labels(doc: &mut Svg, time: &Scale, y_px: f64) {
    let (ticks, step) = time_ticks(time);
    for tick in ticks {
        let at = [
            ("class", "tick".into()),
            ("x", px(time.px(tick))),
            ("y", px(y_px)),
            ("text-anchor", "middle".into()),
        ];
        doc.text(&at, &tick_label(tick, step));
    }
}

pub(super) fn bottom_axis(doc: &mut Svg, time: &Scale, y_px: f64) {
    let axis = [
        ("x1", px(PLOT_LEFT_PX)),
        ("x2", px(PLOT_RIGHT_PX)),
        ("y1", px(y_px)),
        ("y2", px(y_px)),
    ];
    doc.element(
        "line",
        &[axis.as_slice(), &[("stroke", "#444".into())]].concat(),
        None,
    );
    let (ticks, step) = time_ticks(time);
    for tick in ticks {
        let x_px = px(time.px(tick));
        let mark = [
            ("x1", x_px.clone()),
            ("x2", x_px.clone()),
            ("y1", px(y_px)),
            ("y2", px(y_px + 5.0)),
        ];
        doc.element(
            "line",
            &[mark.as_slice(), &[("stroke", "#444".into())]].concat(),
            None,
        );
        let at = [
            ("class", "tick".into()),
            ("x", x_px),
            ("y", px(y_px + 18.0)),
            ("text-anchor", "middle".into()),
        ];
        doc.text(&at, &tick_label(tick, step));
    }
    let title = [
        ("class", "axis-title".into()),
        ("x", px((PLOT_LEFT_PX + PLOT_RIGHT_PX) / 2.0)),
        ("y", px(y_px + 36.0)),
        ("text-anchor", "middle".into()),
    ];
    doc.text(&title, "simulated time (s)");
}
