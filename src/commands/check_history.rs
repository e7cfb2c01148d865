//! `korasim check-history FILE`: the project's history oracle on any history file (one a run
//! wrote, a hand-edited one, or one recorded from a real system in this format), judged with
//! the options the file states for itself, so that other checkers and ours can be compared on
//! the same file. Exit 0: every check held; 1: the oracle found violations; 2: the file
//! cannot be read or breaks the format's syntax.

use std::path::Path;
use std::process::ExitCode;

use korasim_sim::checkers::history::{check_history, HistoryCheckOptions};
use korasim_sim::workloads::History;

use super::{exit, BAD_INPUT, FAILED, PASSED};

pub fn check_history_file(path: &Path) -> ExitCode {
    let history = match History::read_jsonl(path) {
        Ok(history) => history,
        Err(error) => {
            eprintln!("error: {error}");
            return exit(BAD_INPUT);
        }
    };
    let options = HistoryCheckOptions::from_history(&history);
    let violations = check_history(&history, &options);
    println!(
        "{}: {} operations; duplicates without idempotence {}, weak acks judged {}, final read {}, retention allowed below {} partition starts",
        path.display(),
        history.operations().len(),
        if options.allow_duplicates_without_idempotence { "allowed" } else { "forbidden" },
        if options.strict_for_weak_acks { "strictly" } else { "leniently" },
        if options.require_final_read { "required" } else { "optional" },
        options.retention_start.len(),
    );
    if violations.is_empty() {
        println!("every history check held");
        return exit(PASSED);
    }
    for violation in &violations {
        println!("{}: {violation}", violation.kind());
    }
    println!("{} violations", violations.len());
    exit(FAILED)
}
