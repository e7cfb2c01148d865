//! The faults lane: each fault a translucent band from its start to its heal (or to the end of
//! the run), labelled with kind and target. Bands go into rows so that no two bands or labels
//! share space: a fault takes the first row free over its band and its label.

use super::scale::Scale;
use super::svg::{px, text_width_px, Svg};
use super::{palette, Lane, PLOT_LEFT_PX, PLOT_RIGHT_PX, ROW_HEIGHT_PX};
use crate::format::seconds;
use crate::model::FaultRecord;

const LABEL_FONT_PX: f64 = 11.0;
/// A fault that starts and heals at once still gets a visible sliver.
const MIN_BAND_WIDTH_PX: f64 = 3.0;
/// Space kept between two things sharing a row.
const ROW_GAP_PX: f64 = 6.0;

/// Where one fault is drawn.
struct Placement {
    start_px: f64,
    end_px: f64,
    label_x_px: f64,
    row: usize,
}

pub(super) fn faults_lane(faults: &[FaultRecord], time: &Scale, run_end_seconds: f64) -> Lane {
    let kinds = palette::kinds_in_order(faults.iter().map(|f| f.kind.as_str()));
    let placements = place(faults, time, run_end_seconds);
    let rows = placements.iter().map(|p| p.row + 1).max().unwrap_or(1);
    let mut body = Svg::default();
    if faults.is_empty() {
        body.text(
            &[
                ("class", "note".into()),
                ("x", px(PLOT_LEFT_PX + 8.0)),
                ("y", px(15.0)),
            ],
            "no faults injected",
        );
    }
    for (fault, placement) in faults.iter().zip(&placements) {
        let colour = palette::fault(kinds.iter().position(|k| *k == fault.kind).unwrap_or(0));
        let top_px = 3.0 + placement.row as f64 * ROW_HEIGHT_PX;
        let healed = fault.end_seconds.map_or("never healed".to_string(), |end| {
            format!("healed at {}", seconds(end))
        });
        // A fault of one instant (a flipped bit, a corrupted object) has nothing to heal.
        let tooltip = if fault.end_seconds == Some(fault.start_seconds) {
            format!(
                "{} {}: at {}",
                fault.kind,
                fault.target,
                seconds(fault.start_seconds)
            )
        } else {
            format!(
                "{} {}: from {}, {healed}",
                fault.kind,
                fault.target,
                seconds(fault.start_seconds)
            )
        };
        let mut attrs = vec![
            ("class", "fault-band".to_string()),
            ("x", px(placement.start_px)),
            ("y", px(top_px)),
            ("width", px(placement.end_px - placement.start_px)),
            ("height", px(ROW_HEIGHT_PX - 6.0)),
            ("rx", "3".into()),
            ("fill", colour.into()),
            ("fill-opacity", "0.35".into()),
            ("stroke", colour.into()),
        ];
        // A dashed outline says "this went on past the end of the run".
        if fault.end_seconds.is_none() {
            attrs.push(("stroke-dasharray", "4 3".into()));
        }
        body.element("rect", &attrs, Some(&tooltip));
        body.text(
            &[
                ("class", "band-label".into()),
                ("x", px(placement.label_x_px)),
                ("y", px(top_px + ROW_HEIGHT_PX / 2.0 + 1.0)),
            ],
            &label(fault),
        );
    }
    Lane {
        title: "faults".into(),
        note: String::new(),
        body_height_px: rows as f64 * ROW_HEIGHT_PX,
        body,
    }
}

fn label(fault: &FaultRecord) -> String {
    let healed = if fault.end_seconds.is_none() {
        " (never healed)"
    } else {
        ""
    };
    format!("{} {}{healed}", fault.kind, fault.target)
}

/// Puts each fault in the first row where its band and label fit, in the order faults started.
fn place(faults: &[FaultRecord], time: &Scale, run_end_seconds: f64) -> Vec<Placement> {
    let mut order: Vec<usize> = (0..faults.len()).collect();
    order.sort_by(|&a, &b| faults[a].start_seconds.total_cmp(&faults[b].start_seconds));
    // The right edge of what each row holds so far.
    let mut row_ends_px: Vec<f64> = Vec::new();
    let mut placements: Vec<Option<Placement>> = faults.iter().map(|_| None).collect();
    for index in order {
        let fault = &faults[index];
        let start_px = time.px_clamped(fault.start_seconds);
        let end_px = time
            .px_clamped(fault.end_or(run_end_seconds))
            .max(start_px + MIN_BAND_WIDTH_PX);
        let label_width_px = text_width_px(&label(fault), LABEL_FONT_PX);
        // The label starts inside the band; near the right edge it moves left to stay visible.
        let label_x_px = (start_px + 4.0)
            .min(PLOT_RIGHT_PX - label_width_px - 2.0)
            .max(PLOT_LEFT_PX + 2.0);
        let left_px = start_px.min(label_x_px);
        let right_px = end_px.max(label_x_px + label_width_px);
        let row = match row_ends_px.iter().position(|&end| end + ROW_GAP_PX <= left_px) {
            Some(row) => row,
            None => {
                row_ends_px.push(f64::NEG_INFINITY);
                row_ends_px.len() - 1
            }
        };
        row_ends_px[row] = right_px;
        placements[index] = Some(Placement {
            start_px,
            end_px,
            label_x_px,
            row,
        });
    }
    placements
        .into_iter()
        .map(|p| p.expect("every fault was placed"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(start: f64, end: Option<f64>, kind: &str) -> FaultRecord {
        FaultRecord {
            start_seconds: start,
            end_seconds: end,
            kind: kind.into(),
            target: "x".into(),
        }
    }

    #[test]
    fn overlapping_faults_take_separate_rows_and_later_ones_reuse_free_rows() {
        let time = Scale::new((0.0, 120.0), (PLOT_LEFT_PX, PLOT_RIGHT_PX));
        let faults = [
            fault(30.0, Some(75.0), "zone isolated"),
            fault(33.0, None, "link dropped"),
            fault(80.0, Some(95.0), "a"),
        ];
        let rows: Vec<usize> = place(&faults, &time, 120.0).iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![0, 1, 0]);
    }

    #[test]
    fn a_short_fault_keeps_room_for_its_label() {
        let time = Scale::new((0.0, 120.0), (PLOT_LEFT_PX, PLOT_RIGHT_PX));
        // Both bands are tiny and 1 s apart, so the labels alone would collide.
        let faults = [
            fault(10.0, Some(10.5), "disk slow x20"),
            fault(11.0, Some(11.5), "disk stall"),
        ];
        let rows: Vec<usize> = place(&faults, &time, 120.0).iter().map(|p| p.row).collect();
        assert_eq!(rows, vec![0, 1]);
    }
}
