//! The health-check agent's results: per broker, the probes sent since the detector last
//! looked, their client-side latency and how many failed.

use std::collections::BTreeMap;

use crate::metadata::BrokerId;
use crate::telemetry::{LatencyHistogram, LatencySummary};

/// One broker's probes over one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeRound {
    pub produce: LatencySummary,
    pub fetch: LatencySummary,
    pub attempts: u64,
    pub failures: u64,
}

#[derive(Default)]
struct Tally {
    produce: LatencyHistogram,
    fetch: LatencyHistogram,
    attempts: u64,
    failures: u64,
}

/// Where the agent records and the detector reads.
#[derive(Default)]
pub struct ProbeLedger {
    tallies: BTreeMap<BrokerId, Tally>,
}

/// Which probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Produce,
    Fetch,
}

impl ProbeLedger {
    /// A probe that was answered in `latency_us` (a failure has none).
    pub fn record(&mut self, broker: BrokerId, kind: ProbeKind, latency_us: Option<u64>) {
        let tally = self.tallies.entry(broker).or_default();
        tally.attempts += 1;
        match (kind, latency_us) {
            (_, None) => tally.failures += 1,
            (ProbeKind::Produce, Some(latency_us)) => tally.produce.record_us(latency_us),
            (ProbeKind::Fetch, Some(latency_us)) => tally.fetch.record_us(latency_us),
        }
    }

    /// Every broker's round since the previous call.
    pub fn take_round(&mut self) -> BTreeMap<BrokerId, ProbeRound> {
        std::mem::take(&mut self.tallies)
            .into_iter()
            .map(|(broker, tally)| {
                let round = ProbeRound {
                    produce: tally.produce.summary(),
                    fetch: tally.fetch.summary(),
                    attempts: tally.attempts,
                    failures: tally.failures,
                };
                (broker, round)
            })
            .collect()
    }
}
