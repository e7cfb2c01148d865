//! The run's trace: every event a node reported and every fault the world injected, stamped
//! with simulated time and node name, in the order they happened. Its digest identifies a run
//! bit for bit: the same seed must give the same digest.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use korasim_core::observe::{Event, Observer};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::progress::ProgressHook;

use crate::checkers::{Checker, Violation};
use crate::devices::object_store::StoreEvent;
use crate::faults::FaultEvent;
use crate::samples::StorageSample;

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TraceKind {
    /// A fact a node of the system under test reported.
    Node(Event),
    /// A fault the world injected or healed.
    Fault(FaultEvent),
    /// A note from the scenario driving the run (a phase starting, a client request made).
    Scenario(String),
    /// A change to the simulated object store's bucket.
    ObjectStore(StoreEvent),
    /// What the devices stored at this moment (taken periodically when tiering is on).
    Sample(StorageSample),
}

/// One line of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEntry {
    /// Simulated time since the run started.
    pub at: Duration,
    /// Name of the node it happened on ("world" for faults, "scenario" for scenario notes).
    pub node: String,
    pub kind: TraceKind,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>10.3}s {:<14} {:?}",
            self.at.as_secs_f64(),
            self.node,
            self.kind
        )
    }
}

/// The trace and the checkers that read it as it grows.
pub struct Trace {
    started: tokio::time::Instant,
    entries: Vec<TraceEntry>,
    hasher: Sha256,
    checkers: Vec<Box<dyn Checker>>,
    violations: Vec<Violation>,
    progress: Option<(ProgressHook, Duration)>,
}

/// The trace shared by every node of a run.
pub type SharedTrace = Arc<Mutex<Trace>>;

impl Trace {
    /// An empty trace that starts its clock now (call inside the simulation).
    pub fn new(checkers: Vec<Box<dyn Checker>>) -> SharedTrace {
        Arc::new(Mutex::new(Trace {
            started: tokio::time::Instant::now(),
            entries: Vec::new(),
            hasher: Sha256::new(),
            checkers,
            violations: Vec::new(),
            progress: None,
        }))
    }

    /// Tells `hook` how far the run has got as entries arrive (see `progress.rs`).
    pub fn report_progress(&mut self, hook: ProgressHook) {
        self.progress = Some((hook, Duration::ZERO));
    }

    /// Adds checkers; they judge only the entries pushed from now on.
    pub fn install_checkers(&mut self, checkers: Vec<Box<dyn Checker>>) {
        self.checkers.extend(checkers);
    }

    /// When the run started (simulated).
    pub fn started(&self) -> tokio::time::Instant {
        self.started
    }

    /// Simulated time since the run started.
    pub fn elapsed(&self) -> Duration {
        tokio::time::Instant::now().duration_since(self.started)
    }

    /// Appends an entry stamped now, and lets every checker judge it.
    pub fn push(&mut self, node: &str, kind: TraceKind) {
        let entry = TraceEntry {
            at: self.elapsed(),
            node: node.to_string(),
            kind,
        };
        tracing::debug!(target: "korasim::trace", "{entry}");
        // The digest covers the entry's binary encoding: formatting every entry as text would
        // cost more than the rest of the push.
        self.hasher.update(entry.at.as_nanos().to_le_bytes());
        self.hasher.update(entry.node.as_bytes());
        self.hasher
            .update(postcard::to_allocvec(&entry.kind).unwrap_or_default());
        for checker in &mut self.checkers {
            self.violations.extend(checker.observe(&entry));
        }
        if let Some((hook, next_at)) = &mut self.progress {
            if entry.at >= *next_at {
                hook.report(entry.at);
                *next_at = entry.at + hook.every;
            }
        }
        self.entries.push(entry);
    }

    /// Ends the run: the checkers' final verdicts are added to the violations.
    pub fn finish(&mut self) {
        let at = self.elapsed();
        for checker in &mut self.checkers {
            self.violations.extend(checker.finish(at));
        }
    }

    pub fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// Hands the entries over at the end of a run (the trace keeps none) and drops the
    /// checkers, whose state can be large, since nothing is judged after this.
    pub fn take_entries(&mut self) -> Vec<TraceEntry> {
        self.checkers.clear();
        std::mem::take(&mut self.entries)
    }

    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// A hex digest of every entry so far.
    pub fn digest(&self) -> String {
        let digest = self.hasher.clone().finalize();
        digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
    }
}

/// A node's observer: stamps the node's events into the shared trace.
pub struct NodeObserver {
    pub node: String,
    pub trace: SharedTrace,
}

impl Observer for NodeObserver {
    fn record(&self, event: Event) {
        let mut trace = self.trace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        trace.push(&self.node, TraceKind::Node(event));
    }
}
