//! The store served over the simulated network: a `NetworkObjectStore` on another node puts,
//! reads a range, heads, lists and deletes through the service, gets errors during an outage
//! and succeeds again after it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use korasim_core::net::{Rpc, RpcParams};
use korasim_core::object_store::{
    NetworkObjectStore, NetworkObjectStoreParams, ObjectStore, ObjectStoreError,
};
use madsim::runtime::Handle;

use super::*;
use crate::trace::Trace;
use crate::world::{LinkDelays, SimTransport};

const STORE_ADDRESS: &str = "10.200.1.1:9443";
const CLIENT_ADDRESS: &str = "10.1.2.1:9092";

/// Starts the service for `store` on a node of its own.
fn start_store_node(store: Arc<SimObjectStore>, delays: Arc<LinkDelays>) {
    let address: SocketAddr = STORE_ADDRESS.parse().unwrap();
    let node = Handle::current()
        .create_node()
        .name("object-store-1")
        .ip(address.ip())
        .build();
    node.spawn(async move {
        let transport = SimTransport::bind(address, delays)
            .await
            .expect("the store binds");
        let _rpc = start_service(transport, store);
        std::future::pending::<()>().await
    });
}

#[madsim::test]
async fn a_client_on_another_node_uses_the_store_through_the_network() {
    let trace = Trace::new(Vec::new());
    // Real latencies, no failures at the base rates: this test is about the protocol.
    let config = ObjectStoreConfig {
        internal_error_rate: 0.0,
        timeout_rate: 0.0,
        reset_rate: 0.0,
        ..ObjectStoreConfig::default()
    };
    let store = Arc::new(SimObjectStore::new("object-store-1", config, 42, trace));
    let delays = Arc::new(LinkDelays::default());
    start_store_node(store.clone(), delays.clone());
    let client_address: SocketAddr = CLIENT_ADDRESS.parse().unwrap();
    let client = Handle::current()
        .create_node()
        .name("broker-1")
        .ip(client_address.ip())
        .build();
    let store_in_client = store.clone();
    let outcome = client.spawn(async move {
        let store = store_in_client;
        let transport = SimTransport::bind(client_address, delays)
            .await
            .expect("the client binds");
        let rpc = Rpc::start(transport, None, RpcParams::default());
        let params = NetworkObjectStoreParams {
            put_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(1),
        };
        let remote = NetworkObjectStore::new(rpc, STORE_ADDRESS.parse().unwrap(), params);
        let body = Bytes::from_static(b"0123456789");
        remote
            .put("tier/orders/0/a.log", body.clone())
            .await
            .expect("put");
        remote
            .put("tier/orders/0/a.index", Bytes::from_static(b"ix"))
            .await
            .expect("put");
        remote
            .put("tier/orders/1/b.log", body.clone())
            .await
            .expect("put");
        assert_eq!(
            remote.get("tier/orders/0/a.log", Some(2..5)).await,
            Ok(Bytes::from_static(b"234"))
        );
        assert_eq!(remote.get("tier/orders/0/a.log", None).await, Ok(body));
        let meta = remote.head("tier/orders/0/a.log").await.expect("head");
        assert_eq!(meta.size_bytes, 10);
        let listed: Vec<String> = remote
            .list("tier/orders/0/")
            .await
            .expect("list")
            .into_iter()
            .map(|meta| meta.key)
            .collect();
        assert_eq!(listed, ["tier/orders/0/a.index", "tier/orders/0/a.log"]);
        remote.delete("tier/orders/0/a.log").await.expect("delete");
        assert!(matches!(
            remote.head("tier/orders/0/a.log").await,
            Err(ObjectStoreError::NotFound { .. })
        ));
        assert!(matches!(
            remote.get("tier/orders/1/b.log", Some(10..20)).await,
            Err(ObjectStoreError::InvalidRange {
                start: 10,
                size_bytes: 10
            })
        ));

        store.start_outage();
        for attempt in 0..10 {
            let key = format!("tier/orders/2/{attempt}.log");
            match remote.put(&key, Bytes::from_static(b"x")).await {
                Err(ObjectStoreError::Unavailable) | Err(ObjectStoreError::Timeout { .. }) => {}
                other => panic!("a put during the outage gave {other:?}"),
            }
        }
        assert!(
            store.list("tier/orders/2/").is_empty(),
            "nothing written during the outage"
        );
        store.end_outage();
        remote
            .put("tier/orders/2/after.log", Bytes::from_static(b"y"))
            .await
            .expect("put after the outage");
        remote.get("tier/orders/2/after.log", None).await
    });
    assert_eq!(
        outcome.await.expect("the client ran"),
        Ok(Bytes::from_static(b"y"))
    );
    let counters = store.counters();
    assert_eq!(counters.get(RequestKind::Put, RequestOutcome::Succeeded), 4);
    assert_eq!(
        counters.get(RequestKind::Put, RequestOutcome::Unavailable)
            + counters.get(RequestKind::Put, RequestOutcome::OutageUnanswered),
        10
    );
    assert_eq!(store.object_count(), 3);
}
