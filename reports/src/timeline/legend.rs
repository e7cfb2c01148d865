//! The key to the shapes, under the time axis: what a band, shade, circle, triangle and dashed
//! red line mean. Kinds and their colours are named on each lane's rows.

use super::palette;
use super::svg::{px, Svg};

pub(super) const HEIGHT_PX: f64 = 30.0;

pub(super) fn draw(doc: &mut Svg, top_px: f64) {
    let y_px = top_px + 12.0;
    let grey = "#888";
    let mut x_px = 160.0;
    let label = |doc: &mut Svg, x_px: &mut f64, text: &str| {
        doc.text(
            &[
                ("class", "legend".into()),
                ("x", px(*x_px + 22.0)),
                ("y", px(y_px + 4.0)),
            ],
            text,
        );
        *x_px += 22.0 + text.chars().count() as f64 * 6.6 + 24.0;
    };

    let band = [
        ("x", px(x_px)),
        ("y", px(y_px - 6.0)),
        ("width", px(16.0)),
        ("height", px(12.0)),
        ("rx", "2".into()),
        ("fill", grey.into()),
        ("fill-opacity", "0.35".into()),
        ("stroke", grey.into()),
    ];
    doc.element("rect", &band, None);
    label(doc, &mut x_px, "fault, start to heal (dashed: never healed)");

    let dot = [
        ("cx", px(x_px + 8.0)),
        ("cy", px(y_px)),
        ("r", "5".into()),
        ("fill", grey.into()),
    ];
    doc.element("circle", &dot, None);
    label(doc, &mut x_px, "mark");

    let triangle = format!(
        "{},{} {},{} {},{}",
        px(x_px + 8.0),
        px(y_px - 6.5),
        px(x_px + 14.5),
        px(y_px + 5.2),
        px(x_px + 1.5),
        px(y_px + 5.2)
    );
    doc.element("polygon", &[("points", triangle), ("fill", grey.into())], None);
    label(doc, &mut x_px, "mitigation");

    let line = [
        ("x1", px(x_px + 8.0)),
        ("x2", px(x_px + 8.0)),
        ("y1", px(y_px - 7.0)),
        ("y2", px(y_px + 7.0)),
        ("stroke", palette::VIOLATION.into()),
        ("stroke-width", "1.5".into()),
        ("stroke-dasharray", "5 3".into()),
    ];
    doc.element("line", &line, None);
    label(doc, &mut x_px, "violation");
}
