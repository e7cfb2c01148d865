//! The marks lane (controller changes, leader changes, fences: circles) and the mitigations
//! lane (what detectors did: triangles). One row per kind, named on the left next to a swatch
//! that doubles as the legend; each marker's tooltip tells the moment, node and detail, and
//! its node is written beside it when there is room before the next marker.

use super::scale::Scale;
use super::svg::{px, text_width_px, truncate, Svg};
use super::{palette, Lane, PLOT_LEFT_PX, PLOT_RIGHT_PX, ROW_HEIGHT_PX};
use crate::format::seconds;
use crate::model::MarkRecord;

const MARKER_LABEL_FONT_PX: f64 = 10.0;
/// Half the size of a marker.
const MARKER_RADIUS_PX: f64 = 5.0;
/// Row labels must fit between the swatch and the plot.
const ROW_LABEL_MAX_CHARS: usize = 17;

#[derive(Clone, Copy)]
enum Shape {
    Circle,
    Triangle,
}

/// Kinds people look for first come first, in the same order in every report.
const WELL_KNOWN_MARKS: [&str; 3] = ["controller", "leader", "fence"];

/// What one lane of markers shows and how.
struct MarkerLane<'a> {
    title: &'static str,
    /// The class of each marker element (so a marker can be told from a legend swatch).
    class: &'static str,
    shape: Shape,
    events: &'a [MarkRecord],
    /// One row per kind, top to bottom, each with its colour.
    rows: Vec<(&'a str, &'static str)>,
    empty_note: &'static str,
}

pub(super) fn marks_lane(marks: &[MarkRecord], time: &Scale) -> Lane {
    let well_known = WELL_KNOWN_MARKS
        .into_iter()
        .filter(|k| marks.iter().any(|m| m.kind == *k));
    let mut rows: Vec<(&str, &str)> = well_known
        .map(|kind| (kind, palette::well_known_mark(kind).unwrap_or("#888")))
        .collect();
    let others = palette::kinds_in_order(marks.iter().map(|m| m.kind.as_str()));
    let others = others.into_iter().filter(|k| !WELL_KNOWN_MARKS.contains(k));
    rows.extend(others.enumerate().map(|(i, kind)| (kind, palette::other_mark(i))));
    MarkerLane {
        title: "marks",
        class: "mark",
        shape: Shape::Circle,
        events: marks,
        rows,
        empty_note: "no controller, leader or fence changes",
    }
    .draw(time)
}

pub(super) fn mitigations_lane(mitigations: &[MarkRecord], time: &Scale) -> Lane {
    let kinds = palette::kinds_in_order(mitigations.iter().map(|m| m.kind.as_str()));
    let rows = kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| (kind, palette::event(i)))
        .collect();
    MarkerLane {
        title: "mitigations",
        class: "mitigation",
        shape: Shape::Triangle,
        events: mitigations,
        rows,
        empty_note: "no mitigations",
    }
    .draw(time)
}

impl MarkerLane<'_> {
    fn draw(&self, time: &Scale) -> Lane {
        let mut body = Svg::default();
        if self.events.is_empty() {
            let at = [
                ("class", "note".into()),
                ("x", px(PLOT_LEFT_PX + 8.0)),
                ("y", px(15.0)),
            ];
            body.text(&at, self.empty_note);
        }
        for (row, &(kind, colour)) in self.rows.iter().enumerate() {
            let centre_y_px = row as f64 * ROW_HEIGHT_PX + ROW_HEIGHT_PX / 2.0;
            let count = self.events.iter().filter(|e| e.kind == kind).count();
            let swatch_class = format!("{}-swatch", self.class);
            draw_marker(
                &mut body,
                self.shape,
                &swatch_class,
                (20.0, centre_y_px),
                colour,
                None,
            );
            body.text(
                &[
                    ("class", "row-label".into()),
                    ("x", px(32.0)),
                    ("y", px(centre_y_px + 4.0)),
                ],
                &format!("{} ({count})", truncate(kind, ROW_LABEL_MAX_CHARS - 4)),
            );
            self.draw_row(&mut body, kind, colour, centre_y_px, time);
        }
        Lane {
            title: self.title.into(),
            note: String::new(),
            body_height_px: self.rows.len().max(1) as f64 * ROW_HEIGHT_PX,
            body,
        }
    }

    fn draw_row(&self, body: &mut Svg, kind: &str, colour: &str, centre_y_px: f64, time: &Scale) {
        let mut in_row: Vec<&MarkRecord> = self.events.iter().filter(|e| e.kind == kind).collect();
        in_row.sort_by(|a, b| a.at_seconds.total_cmp(&b.at_seconds));
        for (i, event) in in_row.iter().enumerate() {
            let x_px = time.px_clamped(event.at_seconds);
            let tooltip = format!(
                "{} {} {}: {}",
                seconds(event.at_seconds),
                event.kind,
                event.node,
                event.detail
            );
            draw_marker(
                body,
                self.shape,
                self.class,
                (x_px, centre_y_px),
                colour,
                Some(&tooltip),
            );
            // Name the node only where it fits before the next marker of the row and the plot's edge.
            let label_x_px = x_px + MARKER_RADIUS_PX + 3.0;
            let next_px = in_row
                .get(i + 1)
                .map_or(PLOT_RIGHT_PX, |next| time.px_clamped(next.at_seconds) - 8.0);
            if label_x_px + text_width_px(&event.node, MARKER_LABEL_FONT_PX) <= next_px.min(PLOT_RIGHT_PX) {
                let at = [
                    ("class", "marker-label".into()),
                    ("x", px(label_x_px)),
                    ("y", px(centre_y_px + 3.5)),
                ];
                body.text(&at, &event.node);
            }
        }
    }
}

fn draw_marker(
    body: &mut Svg,
    shape: Shape,
    class: &str,
    (x_px, y_px): (f64, f64),
    colour: &str,
    tooltip: Option<&str>,
) {
    let style = [
        ("fill", colour.to_string()),
        ("stroke", "#fff".into()),
        ("stroke-width", "1".into()),
    ];
    let mut attrs = vec![("class", class.to_string())];
    let name = match shape {
        Shape::Circle => {
            attrs.extend([("cx", px(x_px)), ("cy", px(y_px)), ("r", px(MARKER_RADIUS_PX))]);
            "circle"
        }
        Shape::Triangle => {
            // A triangle looks smaller than a circle of the same radius.
            let r = MARKER_RADIUS_PX + 1.5;
            let corners = [
                (x_px, y_px - r),
                (x_px + r, y_px + r * 0.8),
                (x_px - r, y_px + r * 0.8),
            ];
            let points: Vec<String> = corners
                .iter()
                .map(|(x, y)| format!("{},{}", px(*x), px(*y)))
                .collect();
            attrs.push(("points", points.join(" ")));
            "polygon"
        }
    };
    attrs.extend(style);
    body.element(name, &attrs, tooltip);
}
