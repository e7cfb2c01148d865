//! A stand-in for the brokers, for the client tests: an in-memory log per partition behind
//! one lock shared by every fake broker node, answering Metadata, Produce and Fetch as the
//! real data plane would (idempotent duplicates and gaps through the log's own
//! `ProducerStateTable`, consumers served below the high watermark, long polls), with
//! switches that inject the faults the clients must survive.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use korasim_core::broker::data_protocol::{
    Acks, BrokerEndpoint, BrokerRequest, BrokerResponse, ClusterMetadata, FetchError, FetchOk,
    PartitionMetadata, ProduceError, ProduceOk,
};
use korasim_core::broker::log::{ProducerInfo, ProducerStateTable, Record, RecordBatch, SequenceCheck};
use korasim_core::metadata::BrokerId;
use korasim_core::net::{decode, encode, Address, Rpc, RpcHandler, RpcParams};
use tokio::time::Instant;

use crate::world::{LinkDelays, SimTransport};

pub const TOPIC: &str = "orders";
pub const BROKER_PORT: u16 = 9092;

/// How often a held fetch looks for new data.
const LONG_POLL_STEP: Duration = Duration::from_millis(5);

/// What the next produce request meets instead of a normal append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProduceFault {
    /// Appends the batch, then sends no answer: the client times out although it was written.
    AppendThenDrop,
    /// Neither appends nor answers.
    Drop,
    /// Answers the error without appending.
    Refuse(ProduceError),
    /// Moves the partition's leadership to the broker (new leader epoch, new metadata offset)
    /// and answers `NOT_LEADER_OR_FOLLOWER`.
    MoveLeaderTo(BrokerId),
}

/// A request a fake broker received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Metadata {
        broker: BrokerId,
    },
    Produce {
        broker: BrokerId,
        partition: u32,
        producer: ProducerInfo,
        records: usize,
    },
    Fetch {
        broker: BrokerId,
        partition: u32,
        offset: u64,
    },
}

#[derive(Debug)]
pub struct FakePartition {
    pub leader: BrokerId,
    pub leader_epoch: u64,
    pub log_start: u64,
    pub batches: Vec<RecordBatch>,
    producers: ProducerStateTable,
}

impl FakePartition {
    pub fn log_end(&self) -> u64 {
        self.batches
            .last()
            .map_or(self.log_start, RecordBatch::next_offset)
    }

    /// Every record in the log with its offset.
    pub fn records(&self) -> Vec<(u64, Bytes)> {
        self.batches
            .iter()
            .flat_map(|batch| {
                batch
                    .records
                    .iter()
                    .enumerate()
                    .map(move |(index, record)| (batch.base_offset + index as u64, record.value.clone()))
            })
            .filter(|(offset, _)| *offset >= self.log_start)
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct ClusterState {
    pub metadata_offset: u64,
    pub brokers: BTreeMap<BrokerId, Address>,
    pub partitions: BTreeMap<u32, FakePartition>,
    /// Consumed one per produce request, before anything else happens to it.
    pub produce_faults: VecDeque<ProduceFault>,
    /// Answered to every produce request (after the scripted faults) while set.
    pub refuse_every_produce: Option<ProduceError>,
    /// While set, produce requests arriving before this time are appended (as usual) but
    /// never answered, as when the answers are lost on the way back.
    pub silent_produce_until: Option<Instant>,
    /// Brokers that never answer a metadata request.
    pub silent_for_metadata: BTreeSet<BrokerId>,
    pub seen: Vec<Seen>,
}

/// The state every fake broker node shares.
#[derive(Debug, Default)]
pub struct FakeCluster {
    state: Mutex<ClusterState>,
}

impl FakeCluster {
    /// A cluster of `broker_count` brokers (ids from 1) leading `partition_count` partitions of
    /// [`TOPIC`] round-robin, each at leader epoch 0.
    pub fn new(broker_count: u32, partition_count: u32) -> Arc<FakeCluster> {
        let mut state = ClusterState {
            metadata_offset: 1,
            ..ClusterState::default()
        };
        for id in 1..=broker_count {
            state.brokers.insert(id, broker_address(id));
        }
        for partition in 0..partition_count {
            state.partitions.insert(
                partition,
                FakePartition {
                    leader: partition % broker_count + 1,
                    leader_epoch: 0,
                    log_start: 0,
                    batches: Vec::new(),
                    producers: ProducerStateTable::new(),
                },
            );
        }
        Arc::new(FakeCluster {
            state: Mutex::new(state),
        })
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, ClusterState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts every broker on a node of its own, serving requests.
    pub async fn start(self: &Arc<Self>) -> Vec<Address> {
        let brokers: Vec<(BrokerId, Address)> =
            self.state().brokers.iter().map(|(&id, &a)| (id, a)).collect();
        for &(id, address) in &brokers {
            let node = madsim::runtime::Handle::current()
                .create_node()
                .name(format!("fake-broker-{id}"))
                .ip(address.ip())
                .build();
            let handler = Arc::new(FakeBroker {
                id,
                cluster: self.clone(),
            });
            node.spawn(async move {
                let transport = SimTransport::bind(address, Arc::new(LinkDelays::default()))
                    .await
                    .expect("the fake broker binds its address");
                let params = RpcParams {
                    worker_count: 32,
                    request_queue_max: 1024,
                };
                Rpc::start(transport, Some(handler), params);
            })
            .await
            .expect("the fake broker starts");
        }
        brokers.into_iter().map(|(_, address)| address).collect()
    }

    fn metadata(state: &ClusterState) -> ClusterMetadata {
        ClusterMetadata {
            metadata_offset: Some(state.metadata_offset),
            brokers: state
                .brokers
                .iter()
                .map(|(&id, &address)| BrokerEndpoint {
                    id,
                    address,
                    zone: format!("az-{id}"),
                    fenced: false,
                })
                .collect(),
            partitions: state
                .partitions
                .iter()
                .map(|(&partition, p)| PartitionMetadata {
                    topic: TOPIC.to_string(),
                    partition,
                    leader: Some(p.leader),
                    leader_epoch: p.leader_epoch,
                    replicas: vec![p.leader],
                    isr: vec![p.leader],
                })
                .collect(),
        }
    }
}

pub fn broker_address(id: BrokerId) -> Address {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, id as u8)), BROKER_PORT)
}

/// One fake broker node.
struct FakeBroker {
    id: BrokerId,
    cluster: Arc<FakeCluster>,
}

#[async_trait]
impl RpcHandler for FakeBroker {
    async fn handle(&self, _from: Address, request: Bytes) -> Option<Bytes> {
        let request: BrokerRequest = decode(&request).ok()?;
        let response = match request {
            BrokerRequest::Metadata => {
                let mut state = self.cluster.state();
                state.seen.push(Seen::Metadata { broker: self.id });
                if state.silent_for_metadata.contains(&self.id) {
                    return None;
                }
                BrokerResponse::Metadata(FakeCluster::metadata(&state))
            }
            BrokerRequest::Produce {
                topic,
                partition,
                acks,
                producer,
                records,
                ..
            } => {
                let answer = self.produce(&topic, partition, producer, records)?;
                if acks == Acks::None {
                    return None;
                }
                BrokerResponse::Produce(answer)
            }
            BrokerRequest::Fetch {
                topic,
                partition,
                fetch_offset,
                current_leader_epoch,
                max_wait_ms,
                ..
            } => {
                let wait_until = Instant::now() + Duration::from_millis(max_wait_ms);
                loop {
                    let answer = self.fetch(&topic, partition, fetch_offset, current_leader_epoch);
                    let empty = matches!(&answer, Ok(fetched) if fetched.batches.is_empty());
                    if !empty || Instant::now() >= wait_until {
                        break BrokerResponse::Fetch(answer);
                    }
                    tokio::time::sleep(LONG_POLL_STEP).await;
                }
            }
            BrokerRequest::OffsetsForLeaderEpoch { .. } => {
                BrokerResponse::OffsetsForLeaderEpoch(Err(FetchError::NotLeaderOrFollower))
            }
            // The clients never scrape telemetry; the fake broker has none to give.
            BrokerRequest::Telemetry => return None,
            // Clients never audit; the fake holds no replicas to answer for.
            BrokerRequest::AuditChecksum { .. } => {
                BrokerResponse::AuditChecksum(korasim_core::broker::audit::AuditAnswer::Unavailable(
                    "a fake broker holds no replicas".to_string(),
                ))
            }
        };
        Some(encode(&response))
    }
}

impl FakeBroker {
    /// `None`: no answer.
    fn produce(
        &self,
        topic: &str,
        partition: u32,
        producer: ProducerInfo,
        records: Vec<Record>,
    ) -> Option<Result<ProduceOk, ProduceError>> {
        let mut state = self.cluster.state();
        state.seen.push(Seen::Produce {
            broker: self.id,
            partition,
            producer,
            records: records.len(),
        });
        let mut drop_answer = false;
        match state.produce_faults.pop_front() {
            Some(ProduceFault::AppendThenDrop) => drop_answer = true,
            Some(ProduceFault::Drop) => return None,
            Some(ProduceFault::Refuse(error)) => return Some(Err(error)),
            Some(ProduceFault::MoveLeaderTo(new_leader)) => {
                state.metadata_offset += 1;
                let p = state.partitions.get_mut(&partition)?;
                p.leader = new_leader;
                p.leader_epoch += 1;
                return Some(Err(ProduceError::NotLeaderOrFollower));
            }
            None => {}
        }
        if state
            .silent_produce_until
            .is_some_and(|until| Instant::now() < until)
        {
            drop_answer = true;
        }
        if let Some(error) = state.refuse_every_produce.clone() {
            return Some(Err(error));
        }
        let Some(p) = state.partitions.get_mut(&partition).filter(|_| topic == TOPIC) else {
            return Some(Err(ProduceError::UnknownTopicOrPartition));
        };
        if p.leader != self.id {
            return Some(Err(ProduceError::NotLeaderOrFollower));
        }
        let record_count = records.len() as u32;
        let answer = match p.producers.check(producer, record_count) {
            SequenceCheck::Accept => {
                let base_offset = p.log_end();
                p.batches.push(RecordBatch {
                    base_offset,
                    leader_epoch: p.leader_epoch,
                    producer,
                    create_timestamp_ms: 0,
                    records,
                });
                p.producers.record(producer, record_count, base_offset);
                Ok(ProduceOk {
                    base_offset,
                    last_offset: base_offset + u64::from(record_count) - 1,
                })
            }
            SequenceCheck::Duplicate {
                base_offset,
                last_offset,
            } => Ok(ProduceOk {
                base_offset,
                last_offset,
            }),
            SequenceCheck::OutOfOrder { .. } => Err(ProduceError::OutOfOrderSequence),
            SequenceCheck::StaleProducerEpoch { .. } => Err(ProduceError::InvalidProducerEpoch),
        };
        (!drop_answer).then_some(answer)
    }

    fn fetch(
        &self,
        topic: &str,
        partition: u32,
        fetch_offset: u64,
        current_leader_epoch: Option<u64>,
    ) -> Result<FetchOk, FetchError> {
        let mut state = self.cluster.state();
        state.seen.push(Seen::Fetch {
            broker: self.id,
            partition,
            offset: fetch_offset,
        });
        let Some(p) = state.partitions.get(&partition).filter(|_| topic == TOPIC) else {
            return Err(FetchError::UnknownTopicOrPartition);
        };
        if p.leader != self.id {
            return Err(FetchError::NotLeaderOrFollower);
        }
        match current_leader_epoch {
            Some(epoch) if epoch < p.leader_epoch => return Err(FetchError::FencedLeaderEpoch),
            Some(epoch) if epoch > p.leader_epoch => return Err(FetchError::UnknownLeaderEpoch),
            _ => {}
        }
        let log_end = p.log_end();
        if fetch_offset < p.log_start || fetch_offset > log_end {
            return Err(FetchError::OffsetOutOfRange {
                log_start_offset: p.log_start,
                log_end_offset: log_end,
            });
        }
        // Everything is committed at once: the high watermark is the log end.
        let batches = p
            .batches
            .iter()
            .filter(|batch| batch.last_offset() >= fetch_offset)
            .cloned()
            .collect();
        Ok(FetchOk {
            high_watermark: log_end,
            log_start_offset: p.log_start,
            log_end_offset: log_end,
            batches,
        })
    }
}
