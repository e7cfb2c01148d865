//! The history oracle: judges a run from its client history alone, the way Jepsen judges a
//! queue, after the run is over. It never asks a broker anything, so a bug that corrupts the
//! brokers' own view of the log cannot hide from it.
//!
//! What it checks (KORA.md, "Client-side"), one file each:
//! - `acknowledged_writes`: an acknowledged write is neither lost, nor changed, nor somewhere
//!   other than the offset it was acknowledged at, as far as retention allows;
//! - `failed_writes`: a definitely failed write is never read;
//! - `duplicates`: an idempotent producer's record is never at two offsets;
//! - `reordering`: acknowledged writes keep their sequence and real-time order in a partition;
//! - `phantoms`: every record read was produced to its partition;
//! - `divergent_reads`: every read of one offset returns the same value.
//!
//! An unknown outcome (a timeout, an indefinite error, no answer) is never judged a success or
//! a failure: such a write may be in the log once, or not at all.

mod acknowledged_writes;
mod divergent_reads;
mod duplicates;
mod failed_writes;
mod fast_hash;
mod index;
mod offset_table;
mod options;
mod outcome;
mod phantoms;
mod reordering;
#[cfg(test)]
mod speed;
mod summary;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
mod violation;

pub use options::HistoryCheckOptions;
pub use outcome::OutcomeKind;
pub use summary::HistorySummary;
pub use violation::{HistoryProblem, HistoryViolation, OrderedWrite};

use crate::workloads::History;
use index::HistoryIndex;

/// Every violation `history` shows: problems with the history's own format first, then what
/// each check found, in the order of the checks listed above and, within a check, of the
/// history.
pub fn check_history(history: &History, options: &HistoryCheckOptions) -> Vec<HistoryViolation> {
    let mut index = HistoryIndex::new(history);
    let mut violations = std::mem::take(&mut index.problems);
    violations.extend(acknowledged_writes::check(&index, options));
    violations.extend(failed_writes::check(&index));
    violations.extend(duplicates::check(&index, options));
    violations.extend(reordering::check(&index, options));
    violations.extend(phantoms::check(&index));
    violations.extend(divergent_reads::check(&index));
    violations
}
