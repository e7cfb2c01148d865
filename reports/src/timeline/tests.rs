use super::*;
use crate::fixture;
use crate::model::{FaultRecord, MarkRecord};

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("the SVG is not well-formed XML: {e}"))
}

fn count_class(doc: &roxmltree::Document, class: &str) -> usize {
    doc.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .count()
}

#[test]
fn timeline_is_well_formed_svg() {
    let svg = run_timeline_svg(&fixture::zone_isolation_run());
    assert!(svg.starts_with("<svg"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(parse(&svg).root_element().tag_name().name(), "svg");
}

#[test]
fn one_band_per_fault_and_one_marker_per_mark_and_mitigation() {
    let record = fixture::zone_isolation_run();
    let svg = run_timeline_svg(&record);
    let doc = parse(&svg);
    assert_eq!(count_class(&doc, "fault-band"), record.faults.len());
    assert_eq!(count_class(&doc, "mark"), record.marks.len());
    assert_eq!(count_class(&doc, "mitigation"), record.mitigations.len());
    assert_eq!(count_class(&doc, "series-line"), record.series.len());
    assert_eq!(count_class(&doc, "violation"), record.violations.len());
    // Mitigations are triangles, marks are circles: told apart at a glance.
    assert!(doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("mitigation"))
        .all(|n| n.has_tag_name("polygon")));
    assert!(doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("mark"))
        .all(|n| n.has_tag_name("circle")));
}

#[test]
fn labels_and_tooltips_are_escaped() {
    let mut record = fixture::quiet_run();
    record.scenario = "a<b & c".into();
    record.faults.push(FaultRecord {
        start_seconds: 1.0,
        end_seconds: Some(2.0),
        kind: "latency <x20> & loss".into(),
        target: "\"broker-1\"".into(),
    });
    record.marks.push(MarkRecord {
        at_seconds: 3.0,
        kind: "leader".into(),
        node: "broker-<2>".into(),
        detail: "epoch 5 < 6 & rising".into(),
    });
    let svg = run_timeline_svg(&record);
    let doc = parse(&svg);
    assert!(svg.contains("a&lt;b &amp; c"));
    assert!(svg.contains("latency &lt;x20&gt; &amp; loss"));
    assert!(!svg.contains("a<b"));
    let tooltip = doc
        .descendants()
        .find(|n| n.has_tag_name("title") && n.text().unwrap_or("").contains("epoch"));
    assert_eq!(
        tooltip.and_then(|n| n.text()),
        Some("3.0 s leader broker-<2>: epoch 5 < 6 & rising")
    );
}

#[test]
fn quiet_run_says_what_is_missing_instead_of_drawing_empty_panels() {
    let svg = run_timeline_svg(&fixture::quiet_run());
    parse(&svg);
    assert!(svg.contains("no latency or throughput series in this run"));
    assert!(svg.contains("no faults injected"));
    assert!(svg.contains("no mitigations"));
    assert!(!svg.contains("series-line"));
}

#[test]
fn same_record_same_bytes() {
    let record = fixture::zone_isolation_run();
    assert_eq!(run_timeline_svg(&record), run_timeline_svg(&record.clone()));
}

/// Not a check: writes the fixtures' timelines to /tmp for a person to look at
/// (`cargo test -p korasim-reports -- --ignored render_for_eyes`).
#[test]
#[ignore]
fn render_for_eyes() {
    std::fs::write(
        "/tmp/korasim-timeline.svg",
        run_timeline_svg(&fixture::zone_isolation_run()),
    )
    .unwrap();
    std::fs::write(
        "/tmp/korasim-timeline-quiet.svg",
        run_timeline_svg(&fixture::quiet_run()),
    )
    .unwrap();
    std::fs::write(
        "/tmp/korasim-timeline-crowded.svg",
        run_timeline_svg(&fixture::crowded_run()),
    )
    .unwrap();
}
