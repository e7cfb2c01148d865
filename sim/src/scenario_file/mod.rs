//! Scenario files (`scenarios/*.toml`): a world, its faults and the expectations on it, as
//! data a newcomer can read. `scenarios/REFERENCE.md` documents every key. Parsing is strict:
//! an unknown key, a wrong type, an unknown fault or target, or an impossible topology is an
//! error naming the file, line and column, with a hint.

mod detector;
mod error;
mod fault_keys;
mod raw;
mod spec;
mod tiered;
mod validate;
mod values;

use std::path::{Path, PathBuf};

pub use crate::faults::FaultKind;
pub use error::ScenarioError;
pub use fault_keys::FaultKeys;
pub use spec::*;
pub use values::Target;

/// Parses scenario text that came from `file`.
pub fn parse(file: &Path, text: &str) -> Result<ScenarioSpec, ScenarioError> {
    let raw: raw::RawScenario = toml::from_str(text).map_err(|error| {
        let message = error.message().trim().to_string();
        let hint = hint_for(&message);
        let located = ScenarioError::at(file, text, error.span(), message);
        match hint {
            Some(hint) => located.with_hint(hint),
            None => located,
        }
    })?;
    validate::Validator { file, text }.validate(raw)
}

/// Reads and parses one scenario file.
pub fn load(file: &Path) -> Result<ScenarioSpec, ScenarioError> {
    let text = std::fs::read_to_string(file).map_err(|error| ScenarioError {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenario file: {error}"),
        hint: Some("`korasim list` shows the scenarios of the catalogue".to_string()),
    })?;
    parse(file, &text)
}

/// The `.toml` files of `directory`, in name order.
pub fn catalogue_files(directory: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|extension| extension == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

/// Every scenario of `directory`; the first error stops the load.
pub fn load_catalogue(directory: &Path) -> Result<Vec<ScenarioSpec>, ScenarioError> {
    let files = catalogue_files(directory).map_err(|error| ScenarioError {
        file: directory.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot list the scenario directory: {error}"),
        hint: Some("run from the repository root, or pass --scenarios DIR".to_string()),
    })?;
    files.iter().map(|file| load(file)).collect()
}

/// A hint for the commonest serde complaints.
fn hint_for(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("check the spelling against scenarios/REFERENCE.md; every key is listed there".to_string())
    } else if message.starts_with("unknown variant") || message.starts_with("unknown fault kind") {
        Some("the fault kinds are listed in scenarios/REFERENCE.md".to_string())
    } else if message.starts_with("missing field `run`") {
        Some("add a [run] table with `safety` and `liveness` durations (scenarios/REFERENCE.md)".to_string())
    } else if message.starts_with("missing field") {
        Some("scenarios/REFERENCE.md says which keys each table requires".to_string())
    } else if message.starts_with("invalid type") {
        Some("durations are strings like \"15s\"; counts are bare numbers".to_string())
    } else {
        None
    }
}
