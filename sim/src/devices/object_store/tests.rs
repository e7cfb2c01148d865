//! The fault model's numbers hold over many seeded draws, its faults do what they say, and
//! the store writes every change of the bucket into the trace.

use std::time::Duration;

use bytes::Bytes;
use korasim_core::object_store::protocol::{ObjectStoreAnswer, ObjectStoreRequest};
use korasim_core::object_store::ObjectStoreError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::bucket::Bucket;
use super::fault_model::{Decision, FaultModel, RequestShape};
use super::*;
use crate::trace::{SharedTrace, Trace, TraceKind};

const DRAWS: usize = 100_000;

fn model(config: ObjectStoreConfig, seed: u64) -> FaultModel {
    FaultModel::new(config, ChaCha8Rng::seed_from_u64(seed))
}

fn read(key: &str) -> RequestShape<'_> {
    RequestShape {
        key,
        is_put: false,
        is_write: false,
        transfer_bytes: 0,
    }
}

fn write(key: &str) -> RequestShape<'_> {
    RequestShape {
        key,
        is_put: true,
        is_write: true,
        transfer_bytes: 0,
    }
}

/// The `quantile` (0 to 1) of `samples`, sorted in place.
fn quantile(samples: &mut [Duration], quantile: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * quantile).round() as usize]
}

fn outcome(decision: &Decision) -> Option<RequestOutcome> {
    decision.failure.as_ref().map(|failure| failure.outcome)
}

/// Decides `DRAWS` reads of distinct prefixes (so that no rate limit applies) and counts the
/// decisions `counted` picks.
fn fraction_of(
    model: &mut FaultModel,
    shape: fn(&str) -> RequestShape<'_>,
    counted: impl Fn(&Decision) -> bool,
) -> f64 {
    let mut count = 0;
    for index in 0..DRAWS {
        let key = format!("tier/t/{index}/object.log");
        if counted(&model.decide(shape(&key), Duration::ZERO)) {
            count += 1;
        }
    }
    count as f64 / DRAWS as f64
}

#[test]
fn put_latency_has_the_documented_median_and_p99() {
    let config = ObjectStoreConfig::default();
    let distribution = Lognormal {
        median: config.put_latency_median,
        sigma: config.put_latency_sigma,
    };
    let mut random = ChaCha8Rng::seed_from_u64(7);
    let mut samples: Vec<Duration> = (0..DRAWS)
        .map(|_| distribution.sample(config.latency_max, &mut random))
        .collect();
    let median = quantile(&mut samples, 0.5);
    let p99 = quantile(&mut samples, 0.99);
    assert!(
        (Duration::from_millis(145)..=Duration::from_millis(155)).contains(&median),
        "PUT median {median:?}"
    );
    assert!(
        (Duration::from_millis(370)..=Duration::from_millis(430)).contains(&p99),
        "PUT p99 {p99:?}"
    );
}

#[test]
fn get_latency_has_the_documented_median_and_a_tail_of_a_few_hundred_ms() {
    let config = ObjectStoreConfig::default();
    let distribution = Lognormal {
        median: config.get_latency_median,
        sigma: config.get_latency_sigma,
    };
    let mut random = ChaCha8Rng::seed_from_u64(8);
    let mut samples: Vec<Duration> = (0..DRAWS)
        .map(|_| distribution.sample(config.latency_max, &mut random))
        .collect();
    let median = quantile(&mut samples, 0.5);
    let p99 = quantile(&mut samples, 0.99);
    assert!(
        (Duration::from_millis(28)..=Duration::from_millis(32)).contains(&median),
        "GET median {median:?}"
    );
    assert!(
        (Duration::from_millis(170)..=Duration::from_millis(220)).contains(&p99),
        "GET p99 {p99:?}"
    );
    assert!(samples.iter().all(|sample| *sample <= config.latency_max));
}

#[test]
fn a_put_pays_for_its_body_and_a_latency_spike_multiplies_everything() {
    let config = ObjectStoreConfig {
        put_latency_sigma: 0.0,
        internal_error_rate: 0.0,
        timeout_rate: 0.0,
        reset_rate: 0.0,
        ..ObjectStoreConfig::default()
    };
    let mut model = model(config, 1);
    let shape = RequestShape {
        transfer_bytes: 1_000_000,
        ..write("tier/t/0/a.log")
    };
    // 150 ms to first byte, 10 ms for a megabyte at 100 MB/s.
    assert_eq!(
        model.decide(shape, Duration::ZERO).latency,
        Duration::from_millis(160)
    );
    model.faults.latency_multipliers.push(10.0);
    assert_eq!(
        model.decide(shape, Duration::ZERO).latency,
        Duration::from_millis(1600)
    );
}

#[test]
fn the_same_seed_gives_the_same_decisions() {
    let decisions = |seed| {
        let mut model = model(ObjectStoreConfig::default(), seed);
        model.faults.storm_error_rates.push(0.3);
        (0..1000)
            .map(|index| {
                model.decide(
                    write(&format!("tier/t/{}/x.log", index % 7)),
                    Duration::from_millis(index),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(decisions(11), decisions(11));
    assert_ne!(decisions(11), decisions(12));
}

#[test]
fn prefixes_are_the_key_up_to_its_third_slash() {
    assert_eq!(prefix_of("tier/orders/3/00ff-7.log"), "tier/orders/3/");
    assert_eq!(prefix_of("tier/orders/3/"), "tier/orders/3/");
    assert_eq!(prefix_of("tier/orders/"), "tier/orders/");
    assert_eq!(prefix_of("a"), "a");
}

#[test]
fn the_rate_limit_answers_slow_down_past_the_burst_and_recovers() {
    let config = ObjectStoreConfig {
        internal_error_rate: 0.0,
        timeout_rate: 0.0,
        reset_rate: 0.0,
        ..ObjectStoreConfig::default()
    };
    let mut model = model(config.clone(), 3);
    let at_once = |model: &mut FaultModel, key: &str, now: Duration, count: usize| {
        (0..count)
            .filter(|_| outcome(&model.decide(write(key), now)).is_none())
            .count()
    };
    let burst = config.write_burst_requests as usize;
    let key = "tier/orders/3/a.log";
    assert_eq!(at_once(&mut model, key, Duration::ZERO, burst + 20), burst);
    assert_eq!(
        outcome(&model.decide(write(key), Duration::ZERO)),
        Some(RequestOutcome::Throttled)
    );
    // Another prefix has a bucket of its own; reads have their own too.
    assert_eq!(at_once(&mut model, "tier/orders/4/a.log", Duration::ZERO, 10), 10);
    assert_eq!(outcome(&model.decide(read(key), Duration::ZERO)), None);
    // One second later the bucket holds one second's worth of writes.
    let refilled = config.writes_per_second_per_prefix as usize;
    assert_eq!(
        at_once(&mut model, key, Duration::from_secs(1), refilled + 20),
        refilled
    );
    // Idle long enough, it is full again (and no fuller).
    assert_eq!(
        at_once(&mut model, key, Duration::from_secs(60), burst + 20),
        burst
    );
}

#[test]
fn a_refused_request_takes_no_token() {
    let mut limiter = PrefixRateLimiter::new(1.0, 2.0);
    assert!(limiter.try_take("p/", Duration::ZERO));
    assert!(limiter.try_take("p/", Duration::ZERO));
    for _ in 0..10 {
        assert!(!limiter.try_take("p/", Duration::from_millis(500)));
    }
    // Half a token after 0.5 s, plus half after 1 s: one whole token, the refusals took none.
    assert!(limiter.try_take("p/", Duration::from_secs(1)));
    assert!(!limiter.try_take("p/", Duration::from_secs(1)));
}

#[test]
fn a_storm_fails_its_share_of_requests_with_slow_down() {
    let mut model = model(ObjectStoreConfig::without_faults_or_latency(), 4);
    model.faults.storm_error_rates.push(DEFAULT_STORM_ERROR_RATE);
    let refused = fraction_of(&mut model, read, |decision| {
        decision.failure.as_ref().is_some_and(|failure| {
            failure.answer == Some(ObjectStoreError::SlowDown)
                && failure.outcome == RequestOutcome::StormSlowDown
        }) && !decision.applied
    });
    assert!((0.79..=0.81).contains(&refused), "storm refused {refused}");
    model.faults.storm_error_rates.clear();
    assert_eq!(
        fraction_of(&mut model, read, |decision| decision.failure.is_some()),
        0.0
    );
}

#[test]
fn an_outage_refuses_everything_half_of_it_unanswered() {
    let mut model = model(ObjectStoreConfig::default(), 5);
    model.faults.outages = 1;
    let mut answered = 0;
    for index in 0..DRAWS {
        let key = format!("tier/t/{index}/a.log");
        let decision = model.decide(write(&key), Duration::ZERO);
        assert!(!decision.applied);
        assert_eq!(decision.latency, model.config().outage_answer_delay);
        let failure = decision.failure.expect("refused");
        match failure.answer {
            Some(ObjectStoreError::Unavailable) => answered += 1,
            None => assert_eq!(failure.outcome, RequestOutcome::OutageUnanswered),
            other => panic!("an outage answered {other:?}"),
        }
    }
    let answered = answered as f64 / DRAWS as f64;
    assert!((0.49..=0.51).contains(&answered), "answered {answered}");
}

#[test]
fn base_rates_hold_and_a_dropped_write_takes_effect_half_the_time() {
    let mut model = model(ObjectStoreConfig::default(), 6);
    let rate = |model: &mut FaultModel, wanted: RequestOutcome| {
        fraction_of(model, read, |decision| outcome(decision) == Some(wanted))
    };
    let internal = rate(&mut model, RequestOutcome::InternalError);
    let unanswered = rate(&mut model, RequestOutcome::Unanswered);
    let reset = rate(&mut model, RequestOutcome::ConnectionReset);
    assert!(
        (0.0015..=0.0025).contains(&internal),
        "internal errors {internal}"
    );
    assert!((0.0006..=0.0014).contains(&unanswered), "timeouts {unanswered}");
    assert!((0.0006..=0.0014).contains(&reset), "resets {reset}");

    let always_dropped = ObjectStoreConfig {
        timeout_rate: 1.0,
        ..ObjectStoreConfig::without_faults_or_latency()
    };
    let mut model = super::tests::model(always_dropped, 7);
    let applied = fraction_of(&mut model, write, |decision| decision.applied);
    assert!(
        (0.49..=0.51).contains(&applied),
        "dropped writes applied {applied}"
    );
    // A dropped read has nothing to apply.
    assert_eq!(fraction_of(&mut model, read, |decision| decision.applied), 0.0);
}

#[test]
fn corruption_inverts_one_byte_of_one_log_object_only() {
    let mut bucket = Bucket::default();
    let body = |byte: u8| Bytes::from(vec![byte; 64]);
    bucket.put("tier/t/0/a.log", body(1), 10);
    bucket.put("tier/t/0/a.index", body(2), 11);
    bucket.put("tier/t/1/b.log", body(3), 12);
    bucket.put("tier/t/1/empty.log", Bytes::new(), 13);
    let mut random = ChaCha8Rng::seed_from_u64(9);
    let (key, byte_index) = bucket
        .corrupt_one_log_object(&mut random)
        .expect("there are .log objects");
    assert!(key == "tier/t/0/a.log" || key == "tier/t/1/b.log", "{key}");
    let original = if key.ends_with("a.log") { 1 } else { 3 };
    let stored = bucket.object(&key).expect("still there");
    assert_eq!(stored.body.len(), 64, "size unchanged");
    let changed: Vec<usize> = (0..64).filter(|index| stored.body[*index] != original).collect();
    assert_eq!(changed, [byte_index as usize]);
    assert_eq!(stored.body[byte_index as usize], !original);
    assert_eq!(bucket.object("tier/t/0/a.index").expect("kept").body, body(2));
    assert_eq!(
        bucket.object(&key).expect("kept").last_modified_ms,
        if original == 1 { 10 } else { 12 }
    );

    let mut only_indexes = Bucket::default();
    only_indexes.put("tier/t/0/a.index", body(2), 1);
    assert_eq!(only_indexes.corrupt_one_log_object(&mut random), None);
}

#[test]
fn ranges_are_cut_at_the_end_and_one_past_the_end_is_invalid() {
    let mut bucket = Bucket::default();
    bucket.put("k", Bytes::from_static(b"0123456789"), 1);
    assert_eq!(bucket.get("k", Some(2..5)), Ok(Bytes::from_static(b"234")));
    assert_eq!(bucket.get("k", Some(8..100)), Ok(Bytes::from_static(b"89")));
    assert_eq!(
        bucket.get("k", Some(10..12)),
        Err(ObjectStoreError::InvalidRange {
            start: 10,
            size_bytes: 10
        })
    );
    assert_eq!(
        bucket.get("missing", None),
        Err(ObjectStoreError::NotFound {
            key: "missing".to_string()
        })
    );
}

// ---------------------------------------------------------------------------------------------
// The store itself, in a madsim runtime (it sleeps its latency and writes the trace)

fn store_events(trace: &SharedTrace) -> Vec<StoreEvent> {
    let trace = trace.lock().unwrap();
    trace
        .entries()
        .iter()
        .filter_map(|entry| match &entry.kind {
            TraceKind::ObjectStore(event) => Some(event.clone()),
            _ => None,
        })
        .collect()
}

fn put(key: &str, body: &'static [u8]) -> ObjectStoreRequest {
    ObjectStoreRequest::Put {
        key: key.to_string(),
        body: Bytes::from_static(body),
    }
}

#[madsim::test]
async fn changes_to_the_bucket_are_traced_as_they_take_effect() {
    let trace = Trace::new(Vec::new());
    let store = SimObjectStore::new(
        "store",
        ObjectStoreConfig::without_faults_or_latency(),
        1,
        trace.clone(),
    );
    assert_eq!(
        store.serve(put("tier/t/0/a.log", b"segment")).await,
        Some(Ok(ObjectStoreAnswer::Put))
    );
    let delete = |key: &str| ObjectStoreRequest::Delete { key: key.to_string() };
    assert_eq!(
        store.serve(delete("absent")).await,
        Some(Ok(ObjectStoreAnswer::Delete))
    );
    assert_eq!(store.stored_bytes(), 7);
    let corrupted = store.corrupt_one_log_object().expect("one segment");
    assert_eq!(
        store.serve(delete("tier/t/0/a.log")).await,
        Some(Ok(ObjectStoreAnswer::Delete))
    );
    let events = store_events(&trace);
    assert_eq!(events.len(), 3, "{events:?}");
    let StoreEvent::Put {
        key,
        body,
        last_modified_ms,
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    assert_eq!((key.as_str(), &body[..]), ("tier/t/0/a.log", &b"segment"[..]));
    // madsim's simulated wall clock starts in the present era, not at the epoch.
    assert!(*last_modified_ms > 1_000_000_000_000, "{last_modified_ms}");
    assert_eq!(
        events[1],
        StoreEvent::Corrupted {
            key: corrupted.0,
            byte_index: corrupted.1
        }
    );
    assert_eq!(
        events[2],
        StoreEvent::Delete {
            key: "tier/t/0/a.log".to_string()
        }
    );
    assert_eq!(store.object_count(), 0);
    assert_eq!(
        store.counters().get(RequestKind::Put, RequestOutcome::Succeeded),
        1
    );
    assert_eq!(
        store
            .counters()
            .get(RequestKind::Delete, RequestOutcome::Succeeded),
        2
    );
}

#[madsim::test]
async fn a_put_becomes_visible_when_its_latency_has_passed() {
    let trace = Trace::new(Vec::new());
    let config = ObjectStoreConfig {
        put_latency_median: Duration::from_millis(150),
        ..ObjectStoreConfig::without_faults_or_latency()
    };
    let store = std::sync::Arc::new(SimObjectStore::new("store", config, 1, trace));
    let writer = store.clone();
    let started = tokio::time::Instant::now();
    let put = tokio::spawn(async move { writer.serve(put("k", b"v")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let head = ObjectStoreRequest::Head { key: "k".to_string() };
    assert!(matches!(
        store.serve(head.clone()).await,
        Some(Err(ObjectStoreError::NotFound { .. }))
    ));
    assert_eq!(put.await.expect("put ran"), Some(Ok(ObjectStoreAnswer::Put)));
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(matches!(
        store.serve(head).await,
        Some(Ok(ObjectStoreAnswer::Head(_)))
    ));
}

#[madsim::test]
async fn a_failed_large_put_leaves_an_upload_the_lifecycle_rule_aborts() {
    let trace = Trace::new(Vec::new());
    let config = ObjectStoreConfig {
        internal_error_rate: 1.0,
        multipart_threshold_bytes: 4,
        ..ObjectStoreConfig::without_faults_or_latency()
    };
    let abort_after = config.multipart_abort_after;
    let store = SimObjectStore::new("store", config, 1, trace.clone());
    assert_eq!(
        store.serve(put("tier/t/0/big.log", b"too big")).await,
        Some(Err(ObjectStoreError::InternalError))
    );
    // At the threshold it is a single PUT, and leaves nothing.
    assert_eq!(
        store.serve(put("tier/t/0/small.log", b"four")).await,
        Some(Err(ObjectStoreError::InternalError))
    );
    assert_eq!(
        store.incomplete_uploads(),
        IncompleteUploads { count: 1, bytes: 7 }
    );
    assert_eq!(store.object_count(), 0);
    assert_eq!(store.abort_expired_uploads(), 0);
    tokio::time::sleep(abort_after).await;
    assert_eq!(store.abort_expired_uploads(), 1);
    assert_eq!(store.incomplete_uploads(), IncompleteUploads::default());
    let abandoned = StoreEvent::MultipartAbandoned {
        key: "tier/t/0/big.log".to_string(),
        bytes: 7,
    };
    let aborted = StoreEvent::MultipartAborted {
        key: "tier/t/0/big.log".to_string(),
        bytes: 7,
    };
    assert_eq!(store_events(&trace), [abandoned, aborted]);
    assert_eq!(store.counters().with_outcome(RequestOutcome::InternalError), 2);
}

#[madsim::test]
async fn stacked_faults_end_one_at_a_time() {
    let store = SimObjectStore::new(
        "store",
        ObjectStoreConfig::without_faults_or_latency(),
        1,
        Trace::new(Vec::new()),
    );
    store.start_latency_spike(5.0);
    store.start_latency_spike(20.0);
    store.end_latency_spike(5.0);
    assert_eq!(store.active_faults().latency_multiplier(), 20.0);
    store.start_outage();
    store.start_outage();
    store.end_outage();
    assert_eq!(store.active_faults().outages, 1);
    assert!(store.clear_faults());
    assert!(store.active_faults().is_empty());
    assert!(!store.clear_faults());
}
