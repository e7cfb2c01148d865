//! One panel per measured series: a line over the shared time axis, with its own value axis
//! starting at zero (so a doubling looks like a doubling).

use super::scale::{nice_step, tick_label, ticks, Scale};
use super::svg::{px, Svg};
use super::{palette, Lane, PLOT_LEFT_PX, PLOT_RIGHT_PX};
use crate::format::{fixed, seconds};
use crate::model::Series;

const PLOT_HEIGHT_PX: f64 = 100.0;
/// Keeps the top tick label inside the panel.
const TOP_PADDING_PX: f64 = 8.0;
const VALUE_TICK_TARGET: usize = 4;

pub(super) fn series_panel(series: &Series, index: usize, time: &Scale) -> Lane {
    let finite: Vec<(f64, f64)> = series
        .points
        .iter()
        .copied()
        .filter(|(t, v)| t.is_finite() && v.is_finite())
        .collect();
    let low = finite.iter().map(|p| p.1).fold(0.0, f64::min);
    let high = finite.iter().map(|p| p.1).fold(0.0, f64::max);
    let step = nice_step(high - low, VALUE_TICK_TARGET);
    let top = ((high / step).ceil() * step).max(low + step);
    let bottom = (low / step).floor() * step;
    let values = Scale::new((bottom, top), (PLOT_HEIGHT_PX, TOP_PADDING_PX));
    let colour = palette::series(index);

    let mut body = Svg::default();
    for tick in ticks(bottom, top, step) {
        let y_px = values.px(tick);
        let line = [
            ("x1", px(PLOT_LEFT_PX)),
            ("x2", px(PLOT_RIGHT_PX)),
            ("y1", px(y_px)),
            ("y2", px(y_px)),
            ("stroke", if tick == 0.0 { "#bbb" } else { "#e6e6e6" }.into()),
        ];
        body.element("line", &line, None);
        let label = [
            ("class", "tick".into()),
            ("x", px(PLOT_LEFT_PX - 6.0)),
            ("y", px(y_px + 4.0)),
            ("text-anchor", "end".into()),
        ];
        body.text(&label, &tick_label(tick, step));
    }

    let peak = finite.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
    let note = match peak {
        Some((at, value)) => format!("max {} {} at {}", value_text(value), series.unit, seconds(at)),
        None => "no points".to_string(),
    };
    let tooltip = format!("{}: {} points, {note}", series.name, finite.len());
    body.open("g", &[("class", "series-line".into())]);
    for segment in segments(&series.points) {
        let corners: Vec<(f64, f64)> = segment
            .iter()
            .map(|&(t, v)| (time.px_clamped(t), values.px_clamped(v)))
            .collect();
        if let [(x_px, y_px)] = corners[..] {
            let dot = [
                ("cx", px(x_px)),
                ("cy", px(y_px)),
                ("r", "2.5".into()),
                ("fill", colour.into()),
            ];
            body.element("circle", &dot, Some(&tooltip));
        } else {
            let points: Vec<String> = corners
                .iter()
                .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                .collect();
            let line = [
                ("points", points.join(" ")),
                ("fill", "none".into()),
                ("stroke", colour.into()),
                ("stroke-width", "1.8".into()),
                ("stroke-linejoin", "round".into()),
            ];
            body.element("polyline", &line, Some(&tooltip));
        }
    }
    body.close("g");
    Lane {
        title: format!("{} ({})", series.name, series.unit),
        note,
        body_height_px: PLOT_HEIGHT_PX + 4.0,
        body,
    }
}

/// Runs of measurable points: a missing measurement (NaN, infinity) breaks the line rather than
/// being bridged, so a gap looks like a gap.
fn segments(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    points
        .split(|(t, v)| !t.is_finite() || !v.is_finite())
        .filter(|segment| !segment.is_empty())
        .collect()
}

/// A measured value in a note: whole numbers once they are big, one decimal below.
fn value_text(value: f64) -> String {
    if value.abs() >= 1000.0 {
        fixed(value, 0)
    } else {
        fixed(value, 1)
    }
}

/// Stands in for the panels when the run measured nothing over time.
pub(super) fn no_series_note() -> Lane {
    let mut body = Svg::default();
    let at = [
        ("class", "note".into()),
        ("x", px(PLOT_LEFT_PX + 8.0)),
        ("y", px(15.0)),
    ];
    body.text(&at, "no latency or throughput series in this run");
    Lane {
        title: "series".into(),
        note: String::new(),
        body_height_px: 22.0,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_measurement_breaks_the_line() {
        let points = [
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, f64::NAN),
            (3.0, 1.0),
            (f64::INFINITY, 0.0),
        ];
        let lengths: Vec<usize> = segments(&points).iter().map(|s| s.len()).collect();
        assert_eq!(lengths, vec![2, 1]);
    }
}
