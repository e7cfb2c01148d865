//! The workload as the scenario executor drives it: start the clients, stop producing (and
//! wait for every record's outcome), stop the tailing consumers.
//!
//! The clients run on the node that calls [`Workload::start`] (the client node, inside
//! `World::spawn_on_client`); the handle may be used from any node, since it only talks to
//! them through channels.

use std::sync::Arc;

use korasim_core::net::{Address, Rpc};
use rand::Rng;
use tokio::sync::{mpsc, Mutex};
use tokio::time::Instant;

use super::consumer::{spawn_consumer, ConsumerContext};
use super::fetcher::Fetcher;
use super::metadata_cache::MetadataCache;
use super::params::WorkloadParams;
use super::producer::{spawn_producer, ProducerContext};
use super::recorder::Recorder;
use super::stop_signal::StopSignal;
use crate::workloads::SharedHistory;

/// A running workload. Cheap to clone; dropping every clone stops the producers and
/// consumers as [`Workload::stop_producing`] and [`Workload::stop_consuming`] would (without
/// waiting).
#[derive(Clone)]
pub struct Workload {
    inner: Arc<Inner>,
}

struct Inner {
    params: Arc<WorkloadParams>,
    stop_producing: StopSignal,
    stop_consuming: StopSignal,
    /// Closed once every producer's senders have finished.
    producers_done: Mutex<mpsc::Receiver<()>>,
}

impl Workload {
    /// Spawns the producers and tailing consumers on the current node (call it inside
    /// `World::spawn_on_client`). `brokers` are the bootstrap addresses; history times count
    /// from `run_started`. Panics if `params` do not validate (check them first with
    /// [`WorkloadParams::validate`]).
    pub fn start(
        rpc: Arc<Rpc>,
        brokers: Vec<Address>,
        params: WorkloadParams,
        history: SharedHistory,
        run_started: Instant,
    ) -> Workload {
        if let Err(problem) = params.validate() {
            panic!("invalid workload parameters: {problem}");
        }
        let params = Arc::new(params);
        let recorder = Recorder::new(history, run_started);
        let stop_producing = StopSignal::new();
        let stop_consuming = StopSignal::new();
        let (done, producers_done) = mpsc::channel(1);
        let cache_for = |client: crate::workloads::ClientId| {
            Arc::new(MetadataCache::new(
                rpc.clone(),
                brokers.clone(),
                params.metadata_timeout,
                params.metadata_refresh_interval,
                client.0 as usize,
            ))
        };
        let mut random = madsim::rand::thread_rng();
        for index in 0..params.producer_count {
            let client = params.producer_client(index);
            let context = Arc::new(ProducerContext {
                client,
                producer_id: params.uses_idempotence().then(|| params.producer_id(index)),
                params: params.clone(),
                rpc: rpc.clone(),
                cache: cache_for(client),
                recorder: recorder.clone(),
            });
            let seed: u64 = random.gen();
            spawn_producer(context, index, seed, stop_producing.clone(), &done);
        }
        drop(done);
        for index in 0..params.consumer_count {
            let client = params.consumer_client(index);
            let cache = cache_for(client);
            let fetchers = (0..params.partition_count)
                .map(|partition| Fetcher::new(rpc.clone(), cache.clone(), &params, partition))
                .collect();
            let context = Arc::new(ConsumerContext {
                client,
                params: params.clone(),
                recorder: recorder.clone(),
            });
            spawn_consumer(context, fetchers, &stop_consuming);
        }
        Workload {
            inner: Arc::new(Inner {
                params,
                stop_producing,
                stop_consuming,
                producers_done: Mutex::new(producers_done),
            }),
        }
    }

    pub fn params(&self) -> &WorkloadParams {
        &self.inner.params
    }

    /// Stops generating records, then waits until every record handed to a producer has an
    /// outcome in the history. Bounded by the delivery timeout plus one request timeout (an
    /// attempt started before the deadline is not cut short) and one metadata round: a batch
    /// still unresolved then is recorded as unknown (or failed, if every attempt failed
    /// definitely).
    pub async fn stop_producing(&self) {
        self.inner.stop_producing.stop();
        let mut done = self.inner.producers_done.lock().await;
        // Nothing is ever sent: `recv` returns `None` once every sender has finished.
        while done.recv().await.is_some() {}
    }

    /// Stops the tailing consumers; a fetch in flight is abandoned.
    pub fn stop_consuming(&self) {
        self.inner.stop_consuming.stop();
    }
}

/// Dropping the last handle stops the clients (without waiting for them).
impl Drop for Inner {
    fn drop(&mut self) {
        self.stop_producing.stop();
        self.stop_consuming.stop();
    }
}
