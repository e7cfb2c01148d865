//! The timeline: one SVG with a shared axis of simulated time over stacked lanes (faults,
//! marks, mitigations, then one panel per measured series), so a latency spike lines up with
//! the fault and the failover that caused it.
//!
//! Every lane is drawn in its own coordinates (its body starts at y = 0) and placed by this
//! module, which also draws what spans lanes: grid lines, fault shading, violations, axes.

mod axis;
mod bands;
mod header;
mod legend;
mod markers;
mod overlay;
mod palette;
mod panels;
mod scale;
mod svg;

use crate::model::RunRecord;
use scale::Scale;
use svg::{px, Svg};

/// Fixed, so reports line up when flipped through side by side.
const WIDTH_PX: f64 = 1200.0;
/// Room on the left for row labels and value ticks.
const PLOT_LEFT_PX: f64 = 160.0;
const PLOT_RIGHT_PX: f64 = WIDTH_PX - 30.0;
/// Where the time axis's top labels sit; lanes start just below.
const TOP_AXIS_PX: f64 = 104.0;
const LANE_HEADER_PX: f64 = 20.0;
const LANE_GAP_PX: f64 = 10.0;
const ROW_HEIGHT_PX: f64 = 22.0;

const STYLE: &str = "<style>\n\
text{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;fill:#222}\n\
.title{font-size:20px;font-weight:bold}\n\
.badge{font-size:13px;font-weight:bold;fill:#fff}\n\
.subtitle{font-size:13px;fill:#555}\n\
.info{font-size:12px;fill:#777}\n\
.lane-title{font-size:12px;font-weight:bold;fill:#333}\n\
.lane-note{font-size:11px;fill:#888}\n\
.row-label{font-size:11px;fill:#444}\n\
.band-label{font-size:11px;paint-order:stroke;stroke:#fff;stroke-opacity:0.6;stroke-width:3px}\n\
.marker-label{font-size:10px;fill:#555;paint-order:stroke;stroke:#fff;stroke-width:3px}\n\
.tick{font-size:11px;fill:#666}\n\
.axis-title{font-size:12px;fill:#444}\n\
.note{font-size:12px;fill:#888;font-style:italic}\n\
.legend{font-size:11px;fill:#555}\n\
.violation-label{font-size:11px;font-weight:bold;fill:#c00000}\n\
</style>\n";

/// A lane, drawn with its body's top at y = 0, waiting to be placed.
struct Lane {
    title: String,
    /// Grey text after the title (a series' maximum).
    note: String,
    body_height_px: f64,
    body: Svg,
}

/// The run's timeline as a standalone SVG document.
pub fn run_timeline_svg(record: &RunRecord) -> String {
    let run_end_seconds = record.last_moment_seconds();
    let time = Scale::new((0.0, run_end_seconds), (PLOT_LEFT_PX, PLOT_RIGHT_PX));

    let mut lanes = vec![
        bands::faults_lane(&record.faults, &time, run_end_seconds),
        markers::marks_lane(&record.marks, &time),
        markers::mitigations_lane(&record.mitigations, &time),
    ];
    if record.series.is_empty() {
        lanes.push(panels::no_series_note());
    } else {
        lanes.extend(
            record
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| panels::series_panel(s, i, &time)),
        );
    }

    // Place the lanes top to bottom: (header top, body top) of each.
    let mut tops_px = Vec::with_capacity(lanes.len());
    let mut y_px = TOP_AXIS_PX + 8.0;
    for lane in &lanes {
        tops_px.push((y_px, y_px + LANE_HEADER_PX));
        y_px += LANE_HEADER_PX + lane.body_height_px + LANE_GAP_PX;
    }
    let stack_top_px = TOP_AXIS_PX + 8.0 + LANE_HEADER_PX;
    let stack_bottom_px = y_px - LANE_GAP_PX;
    let height_px = stack_bottom_px + axis::BOTTOM_AXIS_HEIGHT_PX + legend::HEIGHT_PX;

    let mut doc = Svg::default();
    doc.open(
        "svg",
        &[
            ("xmlns", "http://www.w3.org/2000/svg".into()),
            ("width", px(WIDTH_PX)),
            ("height", px(height_px)),
            ("viewBox", format!("0 0 {} {}", px(WIDTH_PX), px(height_px))),
        ],
    );
    doc.raw(STYLE);
    doc.element(
        "rect",
        &[
            ("width", "100%".into()),
            ("height", "100%".into()),
            ("fill", "#fff".into()),
        ],
        None,
    );
    header::draw(&mut doc, record);

    // Paint order is back to front: lane backgrounds, shading and grid, then the lanes' content.
    for (lane, &(_, body_top_px)) in lanes.iter().zip(&tops_px) {
        doc.element(
            "rect",
            &[
                ("x", px(PLOT_LEFT_PX)),
                ("y", px(body_top_px)),
                ("width", px(PLOT_RIGHT_PX - PLOT_LEFT_PX)),
                ("height", px(lane.body_height_px)),
                ("fill", "#fafafa".into()),
                ("stroke", "#e0e0e0".into()),
            ],
            None,
        );
    }
    // Shade each fault's time in the lanes below the faults lane, where its effects show; the
    // faults lane has the bands themselves.
    for (lane, &(_, body_top_px)) in lanes.iter().zip(&tops_px).skip(1) {
        let body_px = (body_top_px, body_top_px + lane.body_height_px);
        overlay::fault_shading(&mut doc, &record.faults, &time, run_end_seconds, body_px);
    }
    axis::gridlines(&mut doc, &time, (stack_top_px, stack_bottom_px));
    axis::top_labels(&mut doc, &time, TOP_AXIS_PX);
    // Behind the lanes' content, so labels stay readable where a violation crosses them; named
    // in the empty header row of the faults lane.
    let first_header_top_px = tops_px[0].0;
    overlay::violations(
        &mut doc,
        &record.violations,
        &time,
        (first_header_top_px + 2.0, stack_bottom_px),
    );

    for (lane, (header_top_px, body_top_px)) in lanes.into_iter().zip(tops_px) {
        draw_lane_header(&mut doc, &lane, header_top_px);
        doc.open("g", &[("transform", format!("translate(0 {})", px(body_top_px)))]);
        doc.append(lane.body);
        doc.close("g");
    }

    axis::bottom_axis(&mut doc, &time, stack_bottom_px);
    legend::draw(&mut doc, stack_bottom_px + axis::BOTTOM_AXIS_HEIGHT_PX);
    doc.close("svg");
    doc.finish()
}

fn draw_lane_header(doc: &mut Svg, lane: &Lane, top_px: f64) {
    doc.text_spans(
        &[("x", px(12.0)), ("y", px(top_px + 14.0))],
        &[("lane-title", &lane.title), ("lane-note", &lane.note)],
    );
}

#[cfg(test)]
mod tests;
