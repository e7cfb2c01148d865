//! The broker data plane end to end, with raw requests from the client node: a topic is
//! created, records produced with `acks=all` are acknowledged at consecutive offsets and a
//! consumer reads them back, byte for byte.

use std::time::Duration;

use bytes::Bytes;
use korasim_core::broker::data_protocol::{Acks, BrokerRequest, BrokerResponse, ClusterMetadata};
use korasim_core::broker::log::{ProducerInfo, Record};
use korasim_core::metadata::{ControllerRequest, ControllerResponse};
use korasim_core::net::Rpc;
use korasim_sim::run::run_seeded;
use korasim_sim::scenarios::probes::{wait_for_active_controller, wait_for_all_brokers_unfenced};
use korasim_sim::world::{Role, WorldParams, BROKER_PORT};

mod support;

const TIMEOUT: Duration = Duration::from_secs(5);

async fn cluster_metadata(rpc: &Rpc, brokers: &[std::net::SocketAddr]) -> Option<ClusterMetadata> {
    for broker in brokers {
        if let Ok(BrokerResponse::Metadata(metadata)) =
            rpc.call(*broker, &BrokerRequest::Metadata, TIMEOUT).await
        {
            return Some(metadata);
        }
    }
    None
}

#[test]
fn produced_records_are_acknowledged_and_read_back() {
    support::check_seeds(
        "data_plane",
        "produced_records_are_acknowledged_and_read_back",
        3,
        |seed| {
            run_seeded(seed, WorldParams::default(), |world| async move {
                wait_for_active_controller(&world, Duration::from_secs(20)).await?;
                wait_for_all_brokers_unfenced(&world, Duration::from_secs(30)).await?;
                let create = ControllerRequest::CreateTopic {
                    name: "orders".into(),
                    partition_count: 3,
                    replication_factor: 3,
                };
                match world.admin_request(create).await {
                    Some(ControllerResponse::TopicCreated) => {}
                    other => return Err(format!("topic not created: {other:?}")),
                }
                let brokers: Vec<_> = world
                    .node_names()
                    .iter()
                    .filter_map(|name| world.node_plan(name))
                    .filter(|plan| matches!(plan.role, Role::Broker(_)))
                    .map(|plan| std::net::SocketAddr::new(plan.address.ip(), BROKER_PORT))
                    .collect();
                let work = world
                .spawn_on_client(move |rpc| async move {
                    // Give every broker time to learn the topic and its leaders to start.
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    let metadata = cluster_metadata(&rpc, &brokers).await.ok_or("no metadata")?;
                    let mut acknowledged = Vec::new();
                    for partition in 0..3u32 {
                        let state = metadata.partition("orders", partition).ok_or("no partition")?;
                        let leader = metadata.broker(state.leader.ok_or("no leader")?).ok_or("no broker")?;
                        for n in 0..20 {
                            let value = format!("p{partition}-r{n}");
                            let request = BrokerRequest::Produce {
                                topic: "orders".into(),
                                partition,
                                acks: Acks::All,
                                producer: ProducerInfo::idempotent(7, 0, n),
                                records: vec![Record::value_only(Bytes::from(value.clone()))],
                                timeout_ms: 5_000,
                            };
                            match rpc.call(leader.address, &request, TIMEOUT).await {
                                Ok(BrokerResponse::Produce(Ok(ok))) => acknowledged.push((partition, ok.base_offset, value)),
                                other => return Err(format!("produce {value} failed: {other:?}")),
                            }
                        }
                        for (expected, (_, offset, _)) in acknowledged.iter().filter(|(p, _, _)| *p == partition).enumerate() {
                            if *offset != expected as u64 {
                                return Err(format!("partition {partition}: record {expected} acknowledged at offset {offset}"));
                            }
                        }
                        let fetch = BrokerRequest::Fetch {
                            topic: "orders".into(),
                            partition,
                            fetch_offset: 0,
                            max_bytes: 1 << 20,
                            current_leader_epoch: Some(state.leader_epoch),
                            replica: None,
                            max_wait_ms: 0,
                        };
                        let fetched = match rpc.call(leader.address, &fetch, TIMEOUT).await {
                            Ok(BrokerResponse::Fetch(Ok(fetched))) => fetched,
                            other => return Err(format!("fetch failed: {other:?}")),
                        };
                        if fetched.high_watermark != 20 {
                            return Err(format!("partition {partition}: high watermark {} after 20 acks=all records", fetched.high_watermark));
                        }
                        let values: Vec<String> = fetched
                            .batches
                            .iter()
                            .flat_map(|batch| batch.records.iter())
                            .map(|record| String::from_utf8_lossy(&record.value).into_owned())
                            .collect();
                        let expected: Vec<String> = (0..20).map(|n| format!("p{partition}-r{n}")).collect();
                        if values != expected {
                            return Err(format!("partition {partition}: read {values:?}"));
                        }
                    }
                    Ok::<_, String>(())
                })
                .await
                .ok_or("client node down")?;
                work.await
                    .map_err(|error| format!("client task failed: {error}"))??;
                // Every replica wrote each of the 60 batches (20 per partition) once.
                let appended = korasim_sim::scenarios::probes::entries(&world)
                    .iter()
                    .filter(|entry| {
                        matches!(
                            &entry.kind,
                            korasim_sim::trace::TraceKind::Node(
                                korasim_core::observe::Event::BatchAppended { .. }
                            )
                        )
                    })
                    .count();
                if appended != 180 {
                    return Err(format!(
                        "{appended} batch appends over all replicas, expected 180"
                    ));
                }
                Ok(())
            })
        },
    );
}
