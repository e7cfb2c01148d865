//! The health node's two long-lived activities: the agent's probe loop for each broker, and
//! the detector's round every `evaluation_interval` (read the metadata, scrape every
//! broker's telemetry, take the agent's results, judge, act through the active controller).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::judge::{BrokerRound, Decision, DetectorState, Problem};
use super::params::HealthParams;
use super::probe_topic;
use super::probes::{ProbeKind, ProbeLedger};
use crate::broker::data_protocol::{Acks, BrokerRequest, BrokerResponse};
use crate::broker::log::{ProducerInfo, Record};
use crate::broker::ControllerClient;
use crate::metadata::{
    unfinished_mitigations, BlockedPartition, BrokerId, ControllerRequest, ControllerResponse, MetadataImage,
    Mitigation,
};
use crate::net::{Address, Rpc};
use crate::observe::{Event, SharedObserver};
use crate::telemetry::TelemetrySnapshot;

/// How long a telemetry scrape may take before the broker counts as not answering.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);
/// A probe record's size: small, so probes cost the cluster nothing.
const PROBE_RECORD_BYTES: usize = 64;

pub struct HealthService {
    rpc: Arc<Rpc>,
    controllers: Arc<ControllerClient>,
    params: HealthParams,
    observer: SharedObserver,
    ledger: Mutex<ProbeLedger>,
    image: Mutex<Option<MetadataImage>>,
    probed: Mutex<BTreeSet<BrokerId>>,
}

impl HealthService {
    /// Starts the detector; it starts the agent's probe loops as it learns of brokers.
    pub fn start(
        rpc: Arc<Rpc>,
        controllers: Arc<ControllerClient>,
        params: HealthParams,
        observer: SharedObserver,
    ) -> Arc<Self> {
        let service = Arc::new(HealthService {
            rpc,
            controllers,
            params,
            observer,
            ledger: Mutex::new(ProbeLedger::default()),
            image: Mutex::new(None),
            probed: Mutex::new(BTreeSet::new()),
        });
        let detector = service.clone();
        tokio::spawn(async move { detector.detect().await });
        service
    }

    async fn detect(self: Arc<Self>) {
        let mut state = DetectorState::default();
        loop {
            tokio::time::sleep(self.params.evaluation_interval).await;
            // Buggify: a detector round skipped (the health node busy): decisions come a
            // round late, and one that needs consecutive rounds must not count a missed one.
            if crate::buggify!() {
                continue;
            }
            self.round(&mut state).await;
        }
    }

    async fn round(self: &Arc<Self>, state: &mut DetectorState) {
        let Some(ControllerResponse::Cluster(image)) =
            self.controllers.send(&ControllerRequest::DescribeCluster).await
        else {
            return;
        };
        let image = *image;
        *lock(&self.image) = Some(image.clone());
        self.create_probe_topics(&image).await;
        self.start_probing(&image);
        let mut probes = lock(&self.ledger).take_round();
        let mut rounds = Vec::new();
        for (&broker, registration) in &image.brokers {
            let unfenced = !registration.fenced;
            let telemetry = if unfenced {
                self.scrape(registration.address).await
            } else {
                None
            };
            let round = BrokerRound {
                broker,
                unfenced,
                probes: probes.remove(&broker),
                telemetry,
                demoted: image.has_mitigation(broker, Mitigation::Demoted),
                isr_ineligible: image.has_mitigation(broker, Mitigation::IsrIneligible),
                starved_partitions: starved_partitions(&image, broker, self.params.min_insync_replicas),
            };
            self.record_round(&round);
            rounds.push(round);
        }
        let decisions = state.judge(&rounds, &self.params);
        let decided: BTreeSet<BrokerId> = decisions.iter().map(Decision::broker).collect();
        for decision in decisions {
            self.act(state, decision).await;
        }
        // A mark that was blocked on some partitions is finished there once that is safe
        // (the ISR grew back, another replica can lead); the controller re-plans it from its
        // own image. A broker whose marks this round changed waits for the next round.
        for (broker, mitigation) in unfinished_mitigations(&image, self.params.min_insync_replicas) {
            if !decided.contains(&broker) {
                self.finish_mitigation(broker, mitigation).await;
            }
        }
    }

    async fn finish_mitigation(&self, broker: BrokerId, mitigation: Mitigation) {
        let request = ControllerRequest::Mitigate {
            broker,
            mitigation,
            active: true,
        };
        let Some(ControllerResponse::Mitigated { acted, blocked }) = self.controllers.send(&request).await
        else {
            return;
        };
        if acted.is_empty() {
            return;
        }
        self.observer.record(Event::DetectorDecision {
            broker,
            problem: Problem::mitigated_by(mitigation).to_string(),
            action: format!("{mitigation}, finished"),
            reason: "partitions the mark could not change before can be changed safely now".to_string(),
            partitions_changed: acted.len() as u64,
            partitions_blocked: blocked.len() as u64,
        });
    }

    fn record_round(&self, round: &BrokerRound) {
        let probes = round.probes.clone().unwrap_or_default();
        let telemetry = round.telemetry.clone().unwrap_or_default();
        self.observer.record(Event::HealthRound {
            broker: round.broker,
            probes: probes.attempts,
            probe_failures: probes.failures,
            probe_produce_p99_ms: probes.produce.p99_us / 1000,
            probe_fetch_p99_ms: probes.fetch.p99_us / 1000,
            scraped: round.telemetry.is_some(),
            disk_write_p99_us: telemetry.disk_write.p99_us,
            produce_p99_ms: telemetry.produce.p99_us / 1000,
            follower_lag_max_records: telemetry.follower_lag_max_records,
        });
    }

    async fn act(&self, state: &mut DetectorState, decision: Decision) {
        let (broker, problem, reason, active) = match decision {
            Decision::Escalate {
                broker,
                problem,
                reason,
            } => {
                self.observer.record(Event::Escalated {
                    broker,
                    problem: problem.to_string(),
                    reason,
                });
                return;
            }
            Decision::Mitigate {
                broker,
                problem,
                reason,
            } => (broker, problem, reason, true),
            Decision::Lift {
                broker,
                problem,
                reason,
            } => (broker, problem, reason, false),
        };
        let mitigation = problem.mitigation();
        let request = ControllerRequest::Mitigate {
            broker,
            mitigation,
            active,
        };
        let (acted, blocked) = match self.controllers.send(&request).await {
            Some(ControllerResponse::Mitigated { acted, blocked }) => (acted, blocked),
            other => {
                tracing::debug!(
                    broker,
                    ?other,
                    "mitigation not committed; the next round asks again"
                );
                return;
            }
        };
        self.observer.record(Event::DetectorDecision {
            broker,
            problem: problem.to_string(),
            action: if active {
                format!("{mitigation}")
            } else {
                format!("no longer {mitigation}")
            },
            reason,
            partitions_changed: acted.len() as u64,
            partitions_blocked: blocked.len() as u64,
        });
        if let Some(escalation) = blocked_escalation(state, broker, problem, &blocked) {
            self.observer.record(escalation);
        }
    }

    /// Creates the probe topic of every unfenced broker that has none yet: a broker that was
    /// fenced (or not yet registered) in earlier rounds gets its own when it comes up.
    async fn create_probe_topics(&self, image: &MetadataImage) {
        for (&broker, registration) in &image.brokers {
            let name = probe_topic(broker);
            if registration.fenced || image.topics.contains_key(&name) {
                continue;
            }
            let request = ControllerRequest::CreateAssignedTopic {
                name,
                assignment: vec![vec![broker]],
            };
            let _ = self.controllers.send(&request).await;
        }
    }

    /// One probe loop per broker, started once: brokers keep their id for the whole run.
    fn start_probing(self: &Arc<Self>, image: &MetadataImage) {
        let mut probed = lock(&self.probed);
        for &broker in image.brokers.keys() {
            if probed.insert(broker) {
                let agent = self.clone();
                tokio::spawn(async move { agent.probe(broker).await });
            }
        }
    }

    /// The probe topic pinned to `broker` and where the broker listens, once both exist.
    fn target(&self, broker: BrokerId) -> Option<(String, Address)> {
        let image = lock(&self.image);
        let image = image.as_ref()?;
        let topic = probe_topic(broker);
        image.topics.get(&topic)?;
        Some((topic, image.brokers.get(&broker)?.address))
    }

    async fn probe(self: Arc<Self>, broker: BrokerId) {
        loop {
            tokio::time::sleep(self.params.probe_interval).await;
            let Some((topic, address)) = self.target(broker) else {
                continue;
            };
            // Buggify: a probe never sent (the agent's own hiccup): the detector must not read
            // one missing probe as a broker's failure.
            if crate::buggify!() {
                continue;
            }
            let produced = self.probe_produce(address, &topic).await;
            lock(&self.ledger).record(broker, ProbeKind::Produce, produced.map(|(latency, _)| latency));
            let Some((_, offset)) = produced else { continue };
            let fetched = self.probe_fetch(address, &topic, offset).await;
            lock(&self.ledger).record(broker, ProbeKind::Fetch, fetched);
        }
    }

    /// A produce probe's latency and the offset it got.
    async fn probe_produce(&self, address: Address, topic: &str) -> Option<(u64, u64)> {
        let request = BrokerRequest::Produce {
            topic: topic.to_string(),
            partition: 0,
            acks: Acks::Leader,
            producer: ProducerInfo::NONE,
            records: vec![Record::new(None, Bytes::from(vec![b'p'; PROBE_RECORD_BYTES]))],
            timeout_ms: self.params.probe_timeout.as_millis() as u64,
        };
        let started = Instant::now();
        match self.rpc.call(address, &request, self.params.probe_timeout).await {
            Ok(BrokerResponse::Produce(Ok(ok))) => Some((elapsed_us(started), ok.base_offset)),
            _ => None,
        }
    }

    async fn probe_fetch(&self, address: Address, topic: &str, offset: u64) -> Option<u64> {
        let request = BrokerRequest::Fetch {
            topic: topic.to_string(),
            partition: 0,
            fetch_offset: offset,
            max_bytes: 4096,
            current_leader_epoch: None,
            replica: None,
            max_wait_ms: 0,
        };
        let started = Instant::now();
        match self.rpc.call(address, &request, self.params.probe_timeout).await {
            Ok(BrokerResponse::Fetch(Ok(_))) => Some(elapsed_us(started)),
            _ => None,
        }
    }

    async fn scrape(&self, address: Address) -> Option<TelemetrySnapshot> {
        match self
            .rpc
            .call(address, &BrokerRequest::Telemetry, SCRAPE_TIMEOUT)
            .await
        {
            // Buggify: a scrape lost after the broker answered: a broker with no fresh
            // telemetry is unknown, not healthy and not slow.
            Ok(BrokerResponse::Telemetry(_)) if crate::buggify!() => None,
            Ok(BrokerResponse::Telemetry(snapshot)) => Some(snapshot),
            _ => None,
        }
    }
}

/// The escalation a mitigation's blocked partitions call for (once per episode).
fn blocked_escalation(
    state: &mut DetectorState,
    broker: BrokerId,
    problem: Problem,
    blocked: &[BlockedPartition],
) -> Option<Event> {
    let first = blocked.first()?;
    let reason = format!(
        "no safe mitigation for {} partition(s), e.g. {}-{}: {}",
        blocked.len(),
        first.topic,
        first.partition,
        first.reason
    );
    match state.escalate(broker, problem, reason)? {
        Decision::Escalate {
            broker,
            problem,
            reason,
        } => Some(Event::Escalated {
            broker,
            problem: problem.to_string(),
            reason,
        }),
        _ => None,
    }
}

/// Partitions `broker` replicates without being in their ISR, whose ISR is below
/// `min_insync_replicas` (single-replica partitions never count).
fn starved_partitions(
    image: &MetadataImage,
    broker: BrokerId,
    min_insync_replicas: usize,
) -> Vec<(String, u32)> {
    image
        .partitions()
        .filter(|partition| partition.replicas.len() > 1 && partition.replicas.contains(&broker))
        .filter(|partition| !partition.isr.contains(&broker) && partition.isr.len() < min_insync_replicas)
        .map(|partition| (partition.topic.clone(), partition.partition))
        .collect()
}

fn elapsed_us(started: Instant) -> u64 {
    started.elapsed().as_micros() as u64
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
