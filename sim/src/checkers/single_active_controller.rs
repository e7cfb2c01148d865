//! At most one active controller per Raft term.
//!
//! Raft's election safety says a term has at most one leader, and KRaft makes the Raft leader
//! the active controller: the only node that decides registrations, fencing and partition
//! leadership. Two controllers active in the same term could both hand out broker epochs and
//! leaders from the same view of the log, and the cluster would act on contradicting
//! decisions. A controller reporting its own term again (after a lease lapse, say) is the same
//! leader, not a second one.

use std::collections::BTreeMap;

use korasim_core::observe::Event;

use super::{Checker, Violation};
use crate::trace::{TraceEntry, TraceKind};

pub const NAME: &str = "single-active-controller";

/// Remembers which controllers were active in each term.
#[derive(Debug, Default)]
pub struct SingleActiveController {
    active_in_term: BTreeMap<u64, Vec<String>>,
}

impl SingleActiveController {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checker for SingleActiveController {
    fn name(&self) -> &'static str {
        NAME
    }

    fn observe(&mut self, entry: &TraceEntry) -> Vec<Violation> {
        let TraceKind::Node(Event::ControllerActivated { term }) = &entry.kind else {
            return Vec::new();
        };
        let controllers = self.active_in_term.entry(*term).or_default();
        if controllers.contains(&entry.node) {
            return Vec::new();
        }
        // The first controller of the term is the one the newcomer contradicts; a third would
        // be reported against it too, once.
        let violations = controllers
            .first()
            .map(|first| Violation::TwoActiveControllersInTerm {
                at: entry.at,
                term: *term,
                first: first.clone(),
                second: entry.node.clone(),
            })
            .into_iter()
            .collect();
        controllers.push(entry.node.clone());
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkers::test_support::*;

    #[test]
    fn one_controller_per_term_is_fine_even_when_it_reactivates() {
        let violations = run(
            &mut SingleActiveController::new(),
            &[
                activated("controller-1", 100, 1),
                activated("controller-2", 2_000, 2),
                activated("controller-2", 3_000, 2),
                activated("controller-1", 5_000, 4),
            ],
        );
        assert_eq!(violations, vec![]);
    }

    #[test]
    fn two_controllers_in_one_term_is_a_violation() {
        let violations = run(
            &mut SingleActiveController::new(),
            &[
                activated("controller-1", 100, 7),
                activated("controller-2", 12_345, 7),
            ],
        );
        assert_eq!(
            violations,
            vec![Violation::TwoActiveControllersInTerm {
                at: std::time::Duration::from_millis(12_345),
                term: 7,
                first: "controller-1".to_string(),
                second: "controller-2".to_string(),
            }]
        );
        assert_eq!(
            violations[0].to_string(),
            "at 12.345s: controllers controller-1 and controller-2 were both active in term 7"
        );
        assert_eq!(violations[0].checker(), NAME);
    }
}
