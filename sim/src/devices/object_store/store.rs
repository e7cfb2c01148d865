//! The simulated store: the bucket, the fault model deciding each request's fate, and the
//! trace every change to the bucket is written into at the moment it takes effect.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use korasim_core::object_store::protocol::{ObjectStoreAnswer, ObjectStoreRequest, ObjectStoreResponse};
use korasim_core::object_store::{ObjectMeta, ObjectStoreError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::bucket::{Bucket, IncompleteUploads, StoredObject};
use super::config::ObjectStoreConfig;
use super::counters::{RequestCounters, RequestKind, RequestOutcome};
use super::event::StoreEvent;
use super::fault_model::{remove_one, ActiveFaults, Decision, FaultModel, RequestShape};
use crate::trace::{SharedTrace, TraceKind};

/// A simulated S3 bucket. See `fault_model.rs` for its model.
pub struct SimObjectStore {
    /// The node it runs on, as its trace entries name it.
    node: String,
    trace: SharedTrace,
    started: tokio::time::Instant,
    state: Mutex<StoreState>,
}

/// Everything that changes, behind one lock that is never held across an await.
struct StoreState {
    bucket: Bucket,
    model: FaultModel,
    counters: RequestCounters,
}

impl SimObjectStore {
    /// A store with an empty bucket; call inside the simulation.
    pub fn new(node: &str, config: ObjectStoreConfig, seed: u64, trace: SharedTrace) -> Self {
        SimObjectStore {
            node: node.to_string(),
            trace,
            started: tokio::time::Instant::now(),
            state: Mutex::new(StoreState {
                bucket: Bucket::default(),
                model: FaultModel::new(config, ChaCha8Rng::seed_from_u64(seed)),
                counters: RequestCounters::default(),
            }),
        }
    }

    pub fn config(&self) -> ObjectStoreConfig {
        self.lock().model.config().clone()
    }

    /// Serves one request: draws its fate, waits out its latency (simulated), applies it and
    /// answers. `None`: the request gets no answer (the client times out).
    pub async fn serve(&self, request: ObjectStoreRequest) -> Option<ObjectStoreResponse> {
        let (decision, read_answer) = self.arrive(&request);
        if !decision.latency.is_zero() {
            tokio::time::sleep(decision.latency).await;
        }
        self.complete(request, decision, read_answer)
    }

    /// Draws the request's fate and, for a read that reaches the bucket, its answer (a read
    /// sees the bucket as it is when it arrives).
    fn arrive(&self, request: &ObjectStoreRequest) -> (Decision, Option<ObjectStoreResponse>) {
        let now = self.now();
        let mut state = self.lock();
        let state = &mut *state;
        let read_answer = match request {
            ObjectStoreRequest::Put { .. } | ObjectStoreRequest::Delete { .. } => None,
            ObjectStoreRequest::Get { key, range } => {
                Some(state.bucket.get(key, range.clone()).map(ObjectStoreAnswer::Get))
            }
            ObjectStoreRequest::Head { key } => Some(state.bucket.head(key).map(ObjectStoreAnswer::Head)),
            ObjectStoreRequest::List { prefix } => {
                Some(Ok(ObjectStoreAnswer::List(state.bucket.list(prefix))))
            }
        };
        let transfer_bytes = match (request, &read_answer) {
            (ObjectStoreRequest::Put { body, .. }, _) => body.len() as u64,
            (_, Some(Ok(ObjectStoreAnswer::Get(bytes)))) => bytes.len() as u64,
            _ => 0,
        };
        let shape = RequestShape {
            key: request.key(),
            is_put: matches!(request, ObjectStoreRequest::Put { .. }),
            is_write: request.is_write(),
            transfer_bytes,
        };
        let decision = state.model.decide(shape, now);
        let read_answer = read_answer.filter(|_| decision.applied);
        (decision, read_answer)
    }

    /// Applies the request if its fate says so, leaves a failed multipart upload behind, and
    /// counts the outcome.
    fn complete(
        &self,
        request: ObjectStoreRequest,
        decision: Decision,
        read_answer: Option<ObjectStoreResponse>,
    ) -> Option<ObjectStoreResponse> {
        let kind = RequestKind::of(&request);
        let now = self.now();
        let mut state = self.lock();
        let own_result = if decision.applied {
            match request {
                ObjectStoreRequest::Put { key, body } => {
                    let last_modified_ms = wall_clock_ms();
                    state.bucket.put(&key, body.clone(), last_modified_ms);
                    self.record(StoreEvent::Put {
                        key,
                        body,
                        last_modified_ms,
                    });
                    Some(Ok(ObjectStoreAnswer::Put))
                }
                ObjectStoreRequest::Delete { key } => {
                    if state.bucket.delete(&key) {
                        self.record(StoreEvent::Delete { key });
                    }
                    Some(Ok(ObjectStoreAnswer::Delete))
                }
                _ => read_answer,
            }
        } else {
            if let ObjectStoreRequest::Put { key, body } = request {
                let bytes = body.len() as u64;
                if bytes > state.model.config().multipart_threshold_bytes {
                    state.bucket.abandon_upload(&key, bytes, now);
                    self.record(StoreEvent::MultipartAbandoned { key, bytes });
                }
            }
            None
        };
        let (answer, outcome) = match decision.failure {
            Some(failure) => (failure.answer.map(Err), failure.outcome),
            None => {
                let outcome = match &own_result {
                    Some(Err(ObjectStoreError::NotFound { .. })) => RequestOutcome::NotFound,
                    Some(Err(ObjectStoreError::InvalidRange { .. })) => RequestOutcome::InvalidRange,
                    _ => RequestOutcome::Succeeded,
                };
                (own_result, outcome)
            }
        };
        state.counters.record(kind, outcome);
        answer
    }

    /// Aborts the incomplete uploads older than `multipart_abort_after`; returns how many.
    pub fn abort_expired_uploads(&self) -> usize {
        let now = self.now();
        let mut state = self.lock();
        let age = state.model.config().multipart_abort_after;
        let aborted = state.bucket.abort_uploads_older_than(age, now);
        for upload in &aborted {
            self.record(StoreEvent::MultipartAborted {
                key: upload.key.clone(),
                bytes: upload.bytes,
            });
        }
        aborted.len()
    }

    /// Runs the bucket's lifecycle rule for ever, every `lifecycle_check_interval`.
    pub async fn run_lifecycle(self: Arc<Self>) {
        let interval = self
            .config()
            .lifecycle_check_interval
            .max(Duration::from_millis(1));
        loop {
            tokio::time::sleep(interval).await;
            self.abort_expired_uploads();
        }
    }

    // Faults. Each start is undone by one matching end; overlapping faults stack.

    pub fn start_outage(&self) {
        self.lock().model.faults.outages += 1;
    }

    pub fn end_outage(&self) {
        let mut state = self.lock();
        state.model.faults.outages = state.model.faults.outages.saturating_sub(1);
    }

    /// A 503 storm: each request fails with SlowDown with probability `error_rate`.
    pub fn start_storm(&self, error_rate: f64) {
        assert!(
            (0.0..=1.0).contains(&error_rate),
            "a storm's error rate must lie in [0, 1], not {error_rate}"
        );
        self.lock().model.faults.storm_error_rates.push(error_rate);
    }

    pub fn end_storm(&self, error_rate: f64) {
        remove_one(&mut self.lock().model.faults.storm_error_rates, error_rate);
    }

    /// Every latency becomes `multiplier` times longer.
    pub fn start_latency_spike(&self, multiplier: f64) {
        assert!(
            multiplier.is_finite() && multiplier >= 1.0,
            "a latency multiplier must be finite and at least 1, not {multiplier}"
        );
        self.lock().model.faults.latency_multipliers.push(multiplier);
    }

    pub fn end_latency_spike(&self, multiplier: f64) {
        remove_one(&mut self.lock().model.faults.latency_multipliers, multiplier);
    }

    /// Inverts one byte of one `.log` object, chosen by the seed; says which (`None`: no
    /// such object).
    pub fn corrupt_one_log_object(&self) -> Option<(String, u64)> {
        let mut state = self.lock();
        let state = &mut *state;
        let (key, byte_index) = state.bucket.corrupt_one_log_object(&mut state.model.random)?;
        self.record(StoreEvent::Corrupted {
            key: key.clone(),
            byte_index,
        });
        Some((key, byte_index))
    }

    /// Ends every fault; says whether any was on.
    pub fn clear_faults(&self) -> bool {
        let mut state = self.lock();
        let was_on = !state.model.faults.is_empty();
        state.model.faults = ActiveFaults::default();
        was_on
    }

    pub fn active_faults(&self) -> ActiveFaults {
        self.lock().model.faults.clone()
    }

    // What the store holds and did, for reports and tests.

    /// Bytes of every object (incomplete uploads not counted).
    pub fn stored_bytes(&self) -> u64 {
        self.lock().bucket.stored_bytes()
    }

    pub fn object_count(&self) -> u64 {
        self.lock().bucket.object_count()
    }

    pub fn incomplete_uploads(&self) -> IncompleteUploads {
        self.lock().bucket.incomplete_uploads()
    }

    pub fn counters(&self) -> RequestCounters {
        self.lock().counters.clone()
    }

    /// The object under `key` as stored (no latency, no faults).
    pub fn object(&self, key: &str) -> Option<StoredObject> {
        self.lock().bucket.object(key).cloned()
    }

    /// Every object under `prefix`, in key order (no latency, no faults).
    pub fn list(&self, prefix: &str) -> Vec<ObjectMeta> {
        self.lock().bucket.list(prefix)
    }

    /// Forgets the bucket's contents: for the end of a run.
    pub fn release_memory(&self) {
        self.lock().bucket.clear();
    }

    fn record(&self, event: StoreEvent) {
        let mut trace = self.trace.lock().unwrap_or_else(PoisonError::into_inner);
        trace.push(&self.node, TraceKind::ObjectStore(event));
    }

    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn lock(&self) -> MutexGuard<'_, StoreState> {
        // Every change is made in one short block without awaits, so a poisoned lock still
        // holds a consistent state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The store's clock for `Last-Modified`: the simulated wall clock (madsim simulates
/// `SystemTime`), which brokers compare with their own.
fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

impl std::fmt::Debug for SimObjectStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimObjectStore")
            .field("node", &self.node)
            .field("object_count", &self.object_count())
            .finish()
    }
}
