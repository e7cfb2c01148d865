//! `korasim list`: the catalogue with descriptions.

use std::path::Path;
use std::process::ExitCode;

use super::{exit, BAD_INPUT, PASSED};

pub fn list(directory: &Path) -> ExitCode {
    match korasim_sim::scenario_file::load_catalogue(directory) {
        Ok(catalogue) => {
            let width = catalogue.iter().map(|spec| spec.name.len()).max().unwrap_or(0);
            for spec in catalogue {
                println!("{:<width$}  {}", spec.name, spec.description);
            }
            exit(PASSED)
        }
        Err(error) => {
            eprintln!("error: {error}");
            exit(BAD_INPUT)
        }
    }
}
