//! Finding scenarios: by name in the catalogue directory, or by path.

use std::path::{Path, PathBuf};

use korasim_sim::scenario_file::{load, load_catalogue, ScenarioError, ScenarioSpec};

/// The scenario `name`: a file path when it ends in `.toml`, otherwise
/// `<directory>/<name>.toml`.
pub fn find(directory: &Path, name: &str) -> Result<ScenarioSpec, ScenarioError> {
    let path = if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        directory.join(format!("{name}.toml"))
    };
    if !path.exists() && !name.ends_with(".toml") {
        let known: Vec<String> = load_catalogue(directory)
            .map(|catalogue| catalogue.into_iter().map(|spec| spec.name).collect())
            .unwrap_or_default();
        return Err(ScenarioError {
            file: path,
            line: 0,
            column: 0,
            message: format!("there is no scenario named `{name}`"),
            hint: Some(format!("the catalogue has: {}", known.join(", "))),
        });
    }
    load(&path)
}

/// Every scenario of `directory`, or just those named.
pub fn select(directory: &Path, names: &[String]) -> Result<Vec<ScenarioSpec>, ScenarioError> {
    if names.is_empty() {
        load_catalogue(directory)
    } else {
        names.iter().map(|name| find(directory, name)).collect()
    }
}
