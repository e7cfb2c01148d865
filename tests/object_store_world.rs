//! The object store in the world: with tiered storage on, `object-store-1` runs outside every
//! zone, survives the loss of a zone, is cut off from an isolated zone, and its faults (and
//! `lose_disk`) do what they say and are written to the trace.

use std::time::Duration;

use bytes::Bytes;
use korasim_core::object_store::{
    NetworkObjectStore, NetworkObjectStoreParams, ObjectStore, ObjectStoreError,
};
use korasim_core::storage::Disk;
use korasim_sim::devices::object_store::{ObjectStoreConfig, StoreEvent};
use korasim_sim::faults::FaultEvent;
use korasim_sim::run::run_seeded;
use korasim_sim::trace::TraceKind;
use korasim_sim::world::{World, WorldParams, CLIENT_ZONE, OBJECT_STORE_NODE, OBJECT_STORE_ZONE};

const PARAMS: NetworkObjectStoreParams = NetworkObjectStoreParams {
    put_timeout: Duration::from_secs(2),
    request_timeout: Duration::from_secs(1),
};

/// Puts `key` from the client node through the network; the outcome of the put.
async fn put_from_client(world: &World, key: &'static str) -> Result<(), ObjectStoreError> {
    let address = world
        .node_plan(OBJECT_STORE_NODE)
        .expect("the store's node")
        .address;
    let work = world
        .spawn_on_client(move |rpc| async move {
            let store = NetworkObjectStore::new(rpc, address, PARAMS);
            store.put(key, Bytes::from_static(b"segment bytes")).await
        })
        .await
        .expect("the client node runs");
    work.await.expect("the client's task finished")
}

fn store_config() -> ObjectStoreConfig {
    // The world's wiring is under test, not the store's own failures.
    ObjectStoreConfig {
        internal_error_rate: 0.0,
        timeout_rate: 0.0,
        reset_rate: 0.0,
        ..ObjectStoreConfig::default()
    }
}

#[test]
fn the_object_store_lives_outside_the_zones_and_takes_its_faults() {
    let params = WorldParams {
        object_store: Some(store_config()),
        ..WorldParams::default()
    };
    let report = run_seeded(3, params, |world| async move {
        let plan = world.node_plan(OBJECT_STORE_NODE).ok_or("no object store node")?;
        if plan.zone != OBJECT_STORE_ZONE {
            return Err(format!("the store is in zone {}", plan.zone));
        }
        if !world.params().broker.tier.enabled {
            return Err("tiering is off in the brokers' params".to_string());
        }
        let store = world.object_store().ok_or("no object store")?;
        put_from_client(&world, "tier/orders/0/a.log")
            .await
            .map_err(|error| format!("a healthy put failed: {error}"))?;

        // Losing a zone does not take the store down.
        world.lose_zone("az-1");
        put_from_client(&world, "tier/orders/0/b.log")
            .await
            .map_err(|error| format!("a put after losing az-1 failed: {error}"))?;
        world.restore_zone("az-1", &korasim_sim::faults::Held::default());

        // Isolating a zone cuts its nodes off from the store (the client's zone here, since
        // the client is what can talk to it from a test).
        let cut = world.isolate_zone(CLIENT_ZONE);
        match put_from_client(&world, "tier/orders/0/c.log").await {
            Err(ObjectStoreError::Timeout { .. }) => {}
            other => return Err(format!("a put from an isolated zone gave {other:?}")),
        }
        world.reconnect(&cut);

        world.start_object_store_outage();
        match put_from_client(&world, "tier/orders/0/d.log").await {
            Err(ObjectStoreError::Unavailable | ObjectStoreError::Timeout { .. }) => {}
            other => return Err(format!("a put during an outage gave {other:?}")),
        }
        world.end_object_store_outage();
        put_from_client(&world, "tier/orders/0/e.log")
            .await
            .map_err(|error| format!("a put after the outage failed: {error}"))?;

        let (key, _) = world.corrupt_object().ok_or("nothing corrupted")?;
        if !key.ends_with(".log") {
            return Err(format!("corrupted {key}"));
        }

        // A lost disk comes back empty.
        let disk = world.disk("broker-2").ok_or("broker-2 has no disk")?;
        disk.append("synced-file", b"durable")
            .await
            .map_err(|error| error.to_string())?;
        disk.sync("synced-file")
            .await
            .map_err(|error| error.to_string())?;
        world.lose_disk("broker-2");
        if !world.is_down("broker-2") || disk.used_bytes() != 0 {
            return Err("lose_disk left broker-2 up or its disk full".to_string());
        }
        world.restart("broker-2");
        world.heal_everything();
        if store.object_count() != 3 {
            return Err(format!("the bucket holds {} objects", store.object_count()));
        }
        Ok(())
    });
    assert!(report.passed(), "{}", report.failure_summary());
    let kinds: Vec<&TraceKind> = report
        .trace
        .iter()
        .map(|entry| &entry.kind)
        .filter(|kind| {
            matches!(
                kind,
                TraceKind::ObjectStore(_)
                    | TraceKind::Fault(
                        FaultEvent::ObjectStoreOutage
                            | FaultEvent::ObjectStoreOutageEnded
                            | FaultEvent::ObjectCorruption
                            | FaultEvent::DiskLost { .. }
                    )
            )
        })
        .collect();
    let puts = |kinds: &[&TraceKind]| {
        kinds
            .iter()
            .filter(|kind| matches!(kind, TraceKind::ObjectStore(StoreEvent::Put { .. })))
            .count()
    };
    assert_eq!(puts(&kinds), 3, "{kinds:#?}");
    let position = |wanted: &dyn Fn(&TraceKind) -> bool| {
        kinds
            .iter()
            .position(|kind| wanted(kind))
            .unwrap_or_else(|| panic!("missing from {kinds:#?}"))
    };
    let outage = position(&|kind| matches!(kind, TraceKind::Fault(FaultEvent::ObjectStoreOutage)));
    let corruption = position(&|kind| matches!(kind, TraceKind::Fault(FaultEvent::ObjectCorruption)));
    let corrupted = position(&|kind| matches!(kind, TraceKind::ObjectStore(StoreEvent::Corrupted { .. })));
    let disk_lost = position(
        &|kind| matches!(kind, TraceKind::Fault(FaultEvent::DiskLost { node }) if node == "broker-2"),
    );
    assert!(outage < corruption && corruption + 1 == corrupted && corrupted < disk_lost);
}

/// A scenario file's object-store faults and `lose-disk` fire and heal through the fault
/// timeline, each written to the trace, and the cluster converges afterwards (the broker
/// whose disk was lost registers again).
#[test]
fn a_scenarios_object_store_faults_fire_and_heal() {
    use korasim_sim::scenario_file::parse;
    use korasim_sim::scenario_run::run_scenario;

    let text = r#"
name = "tiered-faults"
description = "every object-store fault, and a lost disk"

[run]
safety = "40s"
liveness = "30s"

[tiered_storage]

[object_store]
internal_error_rate = 0
timeout_rate = 0
reset_rate = 0

[[faults]]
at = "1s"
for = "5s"
kind = "object-store-outage"

[[faults]]
at = "2s"
for = "10s"
kind = "object-store-slowdown"
error_rate = 0.5

[[faults]]
at = "3s"
kind = "object-store-latency"
latency_multiplier = 4

[[faults]]
at = "4s"
kind = "corrupt-object"

[[faults]]
at = "5s"
for = "10s"
kind = "lose-disk"
target = "broker-3"
"#;
    let spec = parse(std::path::Path::new("scenarios/tiered-faults.toml"), text)
        .unwrap_or_else(|error| panic!("{error}"));
    let report = run_scenario(&spec, 1);
    assert!(report.passed(), "{}", report.failure_summary());
    let faults: Vec<&FaultEvent> = report
        .trace
        .iter()
        .filter_map(|entry| match &entry.kind {
            TraceKind::Fault(fault) => Some(fault),
            _ => None,
        })
        .filter(|fault| {
            !matches!(
                fault,
                FaultEvent::NetworkHealed | FaultEvent::NodeKilled { .. } | FaultEvent::NodeRestarted { .. }
            )
        })
        .collect();
    assert_eq!(
        faults,
        [
            &FaultEvent::ObjectStoreOutage,
            &FaultEvent::ObjectStoreSlowDown { error_rate: 0.5 },
            &FaultEvent::ObjectStoreLatency {
                latency_multiplier: 4.0
            },
            &FaultEvent::ObjectCorruption,
            &FaultEvent::DiskLost {
                node: "broker-3".to_string()
            },
            &FaultEvent::ObjectStoreOutageEnded,
            &FaultEvent::ObjectStoreSlowDownEnded { error_rate: 0.5 },
            // The latency fault has no `for`: the liveness phase heals it.
            &FaultEvent::ObjectStoreLatencyRestored {
                latency_multiplier: 4.0
            },
        ]
    );
    let restarted = report.trace.iter().any(|entry| {
        entry.at > Duration::from_secs(15)
            && matches!(&entry.kind, TraceKind::Fault(FaultEvent::NodeRestarted { node }) if node == "broker-3")
    });
    assert!(restarted, "broker-3 restarted when its lose-disk fault ended");
}
