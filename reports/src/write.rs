//! Writing reports to disk, where people and tools expect them.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::json::{gate_json, run_json};
use crate::markdown::{gate_markdown, run_markdown};
use crate::model::{GateRecord, RunRecord};
use crate::timeline::run_timeline_svg;

/// Where a run's reports go by default: `root/reports/runs/<scenario>/seed-<seed>`.
pub fn default_run_dir(root: &Path, scenario: &str, seed: u64) -> PathBuf {
    root.join("reports")
        .join("runs")
        .join(scenario)
        .join(format!("seed-{seed}"))
}

/// Where the gate's summary goes by default: `root/reports/runs/gate`.
pub fn default_gate_dir(root: &Path) -> PathBuf {
    root.join("reports").join("runs").join("gate")
}

/// Writes `report.json`, `report.md` and `timeline.svg` into `dir` (created if missing) and
/// returns their paths in that order.
pub fn write_run(dir: &Path, record: &RunRecord) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let files = [
        ("report.json", with_final_newline(run_json(record))),
        ("report.md", run_markdown(record)),
        ("timeline.svg", run_timeline_svg(record)),
    ];
    files
        .into_iter()
        .map(|(name, contents)| {
            let path = dir.join(name);
            fs::write(&path, contents)?;
            Ok(path)
        })
        .collect()
}

/// Writes `summary.md` and `summary.json` into `dir` (created if missing) and returns the path
/// of `summary.md`, the one to show people.
pub fn write_gate(dir: &Path, record: &GateRecord) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    fs::write(dir.join("summary.json"), with_final_newline(gate_json(record)))?;
    let markdown_path = dir.join("summary.md");
    fs::write(&markdown_path, gate_markdown(record))?;
    Ok(markdown_path)
}

/// Text files end with a newline, so `cat` and diffs behave.
fn with_final_newline(mut text: String) -> String {
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    /// A directory of its own under the system's temporary directory, emptied first.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("korasim-reports-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn default_dirs_follow_the_documented_layout() {
        let root = Path::new("/repo");
        assert_eq!(
            default_run_dir(root, "zone-isolation", 42),
            Path::new("/repo/reports/runs/zone-isolation/seed-42")
        );
        assert_eq!(default_gate_dir(root), Path::new("/repo/reports/runs/gate"));
    }

    #[test]
    fn write_run_creates_the_directory_and_three_files() {
        let root = scratch_dir("run");
        let record = fixture::zone_isolation_run();
        let dir = default_run_dir(&root, &record.scenario, record.seed);
        let paths = write_run(&dir, &record).unwrap();
        let names: Vec<_> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["report.json", "report.md", "timeline.svg"]);
        let back: RunRecord = serde_json::from_str(&fs::read_to_string(&paths[0]).unwrap()).unwrap();
        assert_eq!(back, record);
        assert!(fs::read_to_string(&paths[2]).unwrap().starts_with("<svg"));
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn write_gate_writes_the_summary_pair() {
        let root = scratch_dir("gate");
        let dir = default_gate_dir(&root);
        let markdown = write_gate(&dir, &fixture::gate_with_one_failure()).unwrap();
        assert_eq!(markdown, dir.join("summary.md"));
        assert!(fs::read_to_string(&markdown).unwrap().starts_with("# Chaos gate"));
        assert!(dir.join("summary.json").is_file());
        fs::remove_dir_all(&root).unwrap();
    }
}
