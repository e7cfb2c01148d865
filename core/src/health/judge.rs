//! The degradation detector's decisions, kept pure: each round it is given, per broker, the
//! agent's probe results, the broker's telemetry and what the metadata says of it, and it
//! returns what to do. A health state is kept per broker per problem: a streak of bad rounds
//! leads to a mitigation, a streak of good rounds lifts it.
//!
//! - **No progress**: every probe of an unfenced broker failed for `no_progress_rounds`
//!   rounds (clients cannot reach it, or it answers nothing) -> demote it. A fenced broker is
//!   the controller's business, not the detector's.
//! - **Slow**: its disk write p99 is `slow_factor` times the median of the other brokers' and
//!   above `slow_disk_write_p99_min`, for `slow_rounds` rounds -> ISR-ineligible (it leaves
//!   the ISRs it can leave and keeps replicating). Relative to the cluster, so that load
//!   that slows every broker is not taken for one slow broker.
//! - A mitigation is lifted after `recovery_rounds` good rounds, and an ISR-ineligible mark
//!   at once when a partition the broker replicates has fallen below min ISR without it
//!   (the mark must never be what keeps a partition from taking writes); that is escalated.
//! - Escalations (a page to a human) are issued once per broker and problem until the
//!   problem clears.

use std::collections::{BTreeMap, BTreeSet};

use super::params::HealthParams;
use super::probes::ProbeRound;
use crate::metadata::{BrokerId, Mitigation};
use crate::telemetry::TelemetrySnapshot;

/// What the detector watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Problem {
    NoProgress,
    Slow,
}

impl Problem {
    /// The mark that mitigates this problem.
    pub fn mitigation(self) -> Mitigation {
        match self {
            Problem::NoProgress => Mitigation::Demoted,
            Problem::Slow => Mitigation::IsrIneligible,
        }
    }

    /// The problem a mark mitigates.
    pub fn mitigated_by(mitigation: Mitigation) -> Problem {
        match mitigation {
            Mitigation::Demoted => Problem::NoProgress,
            Mitigation::IsrIneligible => Problem::Slow,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::NoProgress => write!(f, "no-progress"),
            Problem::Slow => write!(f, "slow"),
        }
    }
}

/// One broker as the detector sees it in one round.
#[derive(Debug, Clone, Default)]
pub struct BrokerRound {
    pub broker: BrokerId,
    /// Registered and unfenced in the metadata.
    pub unfenced: bool,
    pub probes: Option<ProbeRound>,
    /// `None` when the scrape got no answer.
    pub telemetry: Option<TelemetrySnapshot>,
    pub demoted: bool,
    pub isr_ineligible: bool,
    /// Partitions it replicates, out of their ISR, whose ISR is below min ISR.
    pub starved_partitions: Vec<(String, u32)>,
}

/// What the detector does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Mitigate {
        broker: BrokerId,
        problem: Problem,
        reason: String,
    },
    Lift {
        broker: BrokerId,
        problem: Problem,
        reason: String,
    },
    Escalate {
        broker: BrokerId,
        problem: Problem,
        reason: String,
    },
}

impl Decision {
    /// The broker the decision is about.
    pub fn broker(&self) -> BrokerId {
        match self {
            Decision::Mitigate { broker, .. }
            | Decision::Lift { broker, .. }
            | Decision::Escalate { broker, .. } => *broker,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Streak {
    bad: u32,
    good: u32,
}

impl Streak {
    fn push(&mut self, verdict: Option<bool>) {
        match verdict {
            Some(true) => {
                self.bad += 1;
                self.good = 0;
            }
            Some(false) => {
                self.good += 1;
                self.bad = 0;
            }
            None => {}
        }
    }
}

/// The detector's memory between rounds.
#[derive(Debug, Default)]
pub struct DetectorState {
    streaks: BTreeMap<(BrokerId, Problem), Streak>,
    escalated: BTreeSet<(BrokerId, Problem)>,
}

impl DetectorState {
    pub fn judge(&mut self, rounds: &[BrokerRound], params: &HealthParams) -> Vec<Decision> {
        let mut decisions = Vec::new();
        let agent_cut_off = most_brokers_unreachable(rounds, params);
        for round in rounds {
            self.judge_progress(round, agent_cut_off, params, &mut decisions);
            self.judge_speed(round, rounds, params, &mut decisions);
        }
        decisions
    }

    /// An escalation, unless this broker's problem was escalated already.
    pub fn escalate(&mut self, broker: BrokerId, problem: Problem, reason: String) -> Option<Decision> {
        self.escalated
            .insert((broker, problem))
            .then_some(Decision::Escalate {
                broker,
                problem,
                reason,
            })
    }

    fn judge_progress(
        &mut self,
        round: &BrokerRound,
        agent_cut_off: bool,
        params: &HealthParams,
        decisions: &mut Vec<Decision>,
    ) {
        let key = (round.broker, Problem::NoProgress);
        let streak = self.streaks.entry(key).or_default();
        if !round.unfenced {
            *streak = Streak::default();
            return;
        }
        let verdict = round
            .probes
            .as_ref()
            .filter(|probes| probes.attempts >= params.probes_per_round_min)
            .map(|probes| probes.failures == probes.attempts)
            // When most brokers fail every probe, the agent is the one cut off: the round
            // says nothing about any broker (demoting them one by one would make it worse).
            .filter(|_| !agent_cut_off);
        streak.push(verdict);
        let streak = *streak;
        if !round.demoted && streak.bad >= params.no_progress_rounds {
            let probes = round.probes.clone().unwrap_or_default();
            decisions.push(Decision::Mitigate {
                broker: round.broker,
                problem: Problem::NoProgress,
                reason: format!(
                    "all {} health-check probes failed in each of the last {} rounds",
                    probes.attempts, streak.bad
                ),
            });
        } else if round.demoted && streak.good >= params.recovery_rounds {
            self.escalated.remove(&key);
            decisions.push(Decision::Lift {
                broker: round.broker,
                problem: Problem::NoProgress,
                reason: format!("probes succeeded for {} rounds", streak.good),
            });
        }
    }

    fn judge_speed(
        &mut self,
        round: &BrokerRound,
        rounds: &[BrokerRound],
        params: &HealthParams,
        decisions: &mut Vec<Decision>,
    ) {
        let key = (round.broker, Problem::Slow);
        let comparison = slowness(round, rounds, params);
        let streak = self.streaks.entry(key).or_default();
        streak.push(comparison.as_ref().map(|comparison| comparison.slow));
        let streak = *streak;
        if round.isr_ineligible && !round.starved_partitions.is_empty() {
            let reason = format!(
                "partitions {:?} fell below min.insync.replicas {} without it",
                round.starved_partitions, params.min_insync_replicas
            );
            decisions.push(Decision::Lift {
                broker: round.broker,
                problem: Problem::Slow,
                reason: reason.clone(),
            });
            decisions.extend(self.escalate(
                round.broker,
                Problem::Slow,
                format!("slow but needed: {reason}"),
            ));
            // A new streak must build before it is marked again: marked at once, it could not
            // rejoin the starved ISRs (a mark refuses it) and the mark would flap every round.
            self.streaks.insert(key, Streak::default());
            return;
        }
        let Some(comparison) = comparison else { return };
        if !round.isr_ineligible && streak.bad >= params.slow_rounds {
            decisions.push(Decision::Mitigate {
                broker: round.broker,
                problem: Problem::Slow,
                reason: format!("{} for {} rounds", comparison.evidence, streak.bad),
            });
        } else if round.isr_ineligible && streak.good >= params.recovery_rounds {
            self.escalated.remove(&key);
            decisions.push(Decision::Lift {
                broker: round.broker,
                problem: Problem::Slow,
                reason: format!("{} for {} rounds", comparison.evidence, streak.good),
            });
        } else if !round.isr_ineligible && streak.good >= params.recovery_rounds {
            self.escalated.remove(&key);
        }
    }
}

/// Whether every probe failed for a strict majority of the unfenced brokers (at least two):
/// the agent cannot reach the cluster, whatever the brokers do.
fn most_brokers_unreachable(rounds: &[BrokerRound], params: &HealthParams) -> bool {
    let unfenced = rounds.iter().filter(|round| round.unfenced).count();
    let unreachable = rounds
        .iter()
        .filter(|round| round.unfenced)
        .filter(|round| {
            round.probes.as_ref().is_some_and(|probes| {
                probes.attempts >= params.probes_per_round_min && probes.failures == probes.attempts
            })
        })
        .count();
    unreachable >= 2 && unreachable * 2 > unfenced
}

struct Comparison {
    slow: bool,
    evidence: String,
}

/// How `round`'s disk compares with the rest of the cluster's; `None` when there is too
/// little to compare (no telemetry, too few writes, fewer than two other brokers).
fn slowness(round: &BrokerRound, rounds: &[BrokerRound], params: &HealthParams) -> Option<Comparison> {
    let p99_of = |round: &BrokerRound| {
        round
            .telemetry
            .as_ref()
            .filter(|telemetry| telemetry.disk_write.count >= params.disk_writes_per_round_min)
            .map(|telemetry| telemetry.disk_write.p99_us)
    };
    let own_us = p99_of(round)?;
    let mut others: Vec<u64> = rounds
        .iter()
        .filter(|other| other.broker != round.broker && other.unfenced)
        .filter_map(p99_of)
        .collect();
    if others.len() < 2 {
        return None;
    }
    others.sort_unstable();
    let median_us = others[others.len() / 2].max(1);
    let factor = own_us as f64 / median_us as f64;
    let floor_us = params.slow_disk_write_p99_min.as_micros() as u64;
    Some(Comparison {
        slow: factor >= params.slow_factor && own_us >= floor_us,
        evidence: format!(
            "disk write p99 {:.1} ms vs cluster median {:.1} ms (x{factor:.1})",
            own_us as f64 / 1000.0,
            median_us as f64 / 1000.0
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::LatencySummary;

    fn round(broker: BrokerId, disk_p99_ms: u64, probes_ok: bool) -> BrokerRound {
        BrokerRound {
            broker,
            unfenced: true,
            probes: Some(ProbeRound {
                attempts: 30,
                failures: if probes_ok { 0 } else { 30 },
                ..ProbeRound::default()
            }),
            telemetry: Some(TelemetrySnapshot {
                disk_write: LatencySummary {
                    count: 100,
                    p99_us: disk_p99_ms * 1000,
                    ..LatencySummary::default()
                },
                ..TelemetrySnapshot::default()
            }),
            ..BrokerRound::default()
        }
    }

    fn cluster(slow_broker_p99_ms: u64, broker_2_probes_ok: bool) -> Vec<BrokerRound> {
        vec![
            round(1, 2, true),
            round(2, 2, broker_2_probes_ok),
            round(3, slow_broker_p99_ms, true),
            round(4, 3, true),
        ]
    }

    #[test]
    fn a_slow_broker_is_made_isr_ineligible_after_a_streak_and_lifted_after_recovery() {
        let params = HealthParams::default();
        let mut state = DetectorState::default();
        for _ in 1..params.slow_rounds {
            assert!(state.judge(&cluster(40, true), &params).is_empty());
        }
        let decisions = state.judge(&cluster(40, true), &params);
        assert!(
            matches!(&decisions[..], [Decision::Mitigate { broker: 3, problem: Problem::Slow, reason }] if reason.contains("x20.0")),
            "{decisions:?}"
        );
        let mut marked = cluster(2, true);
        marked[2].isr_ineligible = true;
        for _ in 1..params.recovery_rounds {
            assert!(state.judge(&marked, &params).is_empty());
        }
        assert!(matches!(
            &state.judge(&marked, &params)[..],
            [Decision::Lift {
                broker: 3,
                problem: Problem::Slow,
                ..
            }]
        ));
    }

    #[test]
    fn a_slow_streak_must_be_unbroken_and_relative_to_the_cluster() {
        let params = HealthParams::default();
        let mut state = DetectorState::default();
        for _ in 0..10 {
            // Slow every other round: never a streak.
            assert!(state.judge(&cluster(40, true), &params).is_empty());
            assert!(state.judge(&cluster(2, true), &params).is_empty());
        }
        // Every broker equally slow: nobody is slow relative to the rest.
        let everyone_slow: Vec<BrokerRound> = (1..=4).map(|broker| round(broker, 40, true)).collect();
        for _ in 0..10 {
            assert!(state.judge(&everyone_slow, &params).is_empty());
        }
    }

    #[test]
    fn a_broker_no_probe_reaches_is_demoted_unless_fenced() {
        let params = HealthParams::default();
        let mut state = DetectorState::default();
        for _ in 1..params.no_progress_rounds {
            assert!(state.judge(&cluster(2, false), &params).is_empty());
        }
        let decisions = state.judge(&cluster(2, false), &params);
        assert!(
            matches!(
                &decisions[..],
                [Decision::Mitigate {
                    broker: 2,
                    problem: Problem::NoProgress,
                    ..
                }]
            ),
            "{decisions:?}"
        );
        let mut state = DetectorState::default();
        let mut fenced = cluster(2, false);
        fenced[1].unfenced = false;
        for _ in 0..10 {
            assert!(state.judge(&fenced, &params).is_empty());
        }
    }

    #[test]
    fn an_agent_cut_off_from_most_brokers_demotes_nobody() {
        let params = HealthParams::default();
        let mut state = DetectorState::default();
        let mut rounds = cluster(2, false);
        rounds[0] = round(1, 2, false);
        rounds[2] = round(3, 2, false);
        for _ in 0..10 {
            assert!(state.judge(&rounds, &params).is_empty());
        }
    }

    #[test]
    fn a_mark_that_starves_a_partition_is_lifted_and_escalated_once() {
        let params = HealthParams::default();
        let mut state = DetectorState::default();
        let mut rounds = cluster(40, true);
        rounds[2].isr_ineligible = true;
        rounds[2].starved_partitions = vec![("t".to_string(), 0)];
        let decisions = state.judge(&rounds, &params);
        assert!(
            matches!(
                &decisions[..],
                [
                    Decision::Lift { broker: 3, .. },
                    Decision::Escalate {
                        broker: 3,
                        problem: Problem::Slow,
                        ..
                    }
                ]
            ),
            "{decisions:?}"
        );
        let again = state.judge(&rounds, &params);
        assert!(
            matches!(&again[..], [Decision::Lift { .. }]),
            "escalated once: {again:?}"
        );
        // Lifted, it is not marked again at once: a new slow streak must build first.
        let lifted = cluster(40, true);
        for _ in 1..params.slow_rounds {
            assert!(state.judge(&lifted, &params).is_empty());
        }
        assert!(matches!(
            &state.judge(&lifted, &params)[..],
            [Decision::Mitigate {
                broker: 3,
                problem: Problem::Slow,
                ..
            }]
        ));
    }
}
