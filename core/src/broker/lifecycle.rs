//! A broker's life towards the quorum: register, heartbeat, follow the metadata log, and on
//! a shutdown signal move its leaderships away before stopping (controlled shutdown).

use std::sync::{Arc, Mutex};

use super::controller_client::ControllerClient;
use super::metadata_follower::{fetch_once, BrokerMetadata};
use super::params::BrokerParams;
use super::replica_manager::{DataPlaneHandler, ReplicaManager};
use super::storage_health::StorageHealth;
use crate::metadata::{BrokerId, ControllerRequest, ControllerResponse, MetadataImage};
use crate::net::{Address, Rpc, RpcParams, Transport};
use crate::object_store::NetworkObjectStore;
use crate::observe::{Event, SharedObserver};
use crate::storage::{Disk, MonitoredDisk};
use crate::telemetry::BrokerTelemetry;

/// Who a broker is and where the controllers are.
#[derive(Debug, Clone)]
pub struct BrokerConfig {
    pub id: BrokerId,
    pub zone: String,
    pub controllers: Vec<Address>,
    pub params: BrokerParams,
    /// The object store's endpoint, for tiered storage; `None` for a broker without one.
    pub object_store: Option<Address>,
    /// Deliberate bugs a test harness may arm; never armed in production.
    pub bugs: Arc<super::audit::InjectedBugs>,
}

/// Why [`Broker::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerExit {
    /// A controlled shutdown completed (or was abandoned after its timeout).
    ShutDown,
    /// The storage health manager found storage making no progress: whatever runs the
    /// broker must start its process again.
    StorageRestart,
}

/// A running broker.
pub struct Broker {
    config: BrokerConfig,
    client: Arc<ControllerClient>,
    metadata: BrokerMetadata,
    observer: SharedObserver,
    address: Address,
    replicas: Arc<ReplicaManager>,
    storage: Arc<StorageHealth>,
}

enum HeartbeatOutcome {
    Alive,
    MustReregister,
}

impl Broker {
    /// Runs the broker until it has completed a controlled shutdown (after a ctrl-c), or
    /// until its storage health manager asks for a restart.
    pub async fn run(
        config: BrokerConfig,
        disk: Arc<dyn Disk>,
        transport: Arc<dyn Transport>,
        observer: SharedObserver,
    ) -> BrokerExit {
        let address = transport.local_address();
        let monitored = Arc::new(MonitoredDisk::new(disk));
        let storage = StorageHealth::start(
            config.id,
            monitored.clone(),
            config.params.storage_health.clone(),
            observer.clone(),
        );
        let telemetry = Arc::new(BrokerTelemetry::new(monitored.clone()));
        let disk: Arc<dyn Disk> = monitored;
        let metadata: BrokerMetadata = Arc::new(Mutex::new(MetadataImage::default()));
        let replicas = ReplicaManager::new(config.id, disk, config.params.clone(), observer.clone());
        let handler = Arc::new(DataPlaneHandler {
            manager: replicas.clone(),
            metadata: metadata.clone(),
            telemetry,
        });
        let rpc_params = RpcParams {
            worker_count: config.params.request_workers,
            request_queue_max: config.params.request_queue_max,
        };
        let rpc = Rpc::start(transport, Some(handler), rpc_params);
        let client = Arc::new(ControllerClient::new(
            rpc.clone(),
            config.controllers.clone(),
            config.params.controller_request_timeout,
        ));
        replicas.inject_bugs(config.bugs.clone());
        replicas.start(rpc.clone(), client.clone());
        if let Some(endpoint) = config.object_store {
            let store = NetworkObjectStore::new(rpc, endpoint, config.params.tier.store);
            replicas.start_tiering(Arc::new(store));
        }
        let broker = Arc::new(Broker {
            config,
            client,
            metadata,
            observer,
            address,
            replicas,
            storage,
        });
        let follower = broker.clone();
        tokio::spawn(async move { follower.follow_metadata().await });
        broker.serve_until_shutdown().await
    }

    async fn follow_metadata(&self) {
        loop {
            let moved = fetch_once(self.config.id, &self.client, &self.metadata, &self.observer).await;
            if moved {
                self.apply_roles().await;
            } else {
                tokio::time::sleep(self.config.params.metadata_fetch_interval).await;
            }
        }
    }

    /// Lets the replica manager act on the current metadata image.
    async fn apply_roles(&self) {
        let image = self
            .metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        self.replicas.on_metadata(&image).await;
    }

    fn metadata_offset(&self) -> Option<u64> {
        self.metadata
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .offset
    }

    /// Registers for a new broker epoch; `new_process` on the first registration after the
    /// process started (a crash may have taken what was not synced).
    async fn register(&self, new_process: bool) -> u64 {
        let request = ControllerRequest::RegisterBroker {
            broker: self.config.id,
            zone: self.config.zone.clone(),
            address: self.address,
            new_process,
        };
        loop {
            if let Some(ControllerResponse::Registered { epoch, .. }) = self.client.send(&request).await {
                self.observer.record(Event::BrokerRegistered {
                    broker: self.config.id,
                    epoch,
                });
                self.replicas.set_broker_epoch(epoch);
                self.apply_roles().await;
                return epoch;
            }
            tokio::time::sleep(self.config.params.registration_retry_backoff).await;
        }
    }

    async fn heartbeat(&self, epoch: u64) -> HeartbeatOutcome {
        // A skipped heartbeat (a long pause on the broker) must not get it fenced on its own.
        if crate::buggify!() {
            return HeartbeatOutcome::Alive;
        }
        let request = ControllerRequest::Heartbeat {
            broker: self.config.id,
            epoch,
            metadata_offset: self.metadata_offset(),
            storage_healthy: self.storage.is_healthy(),
        };
        match self.client.send(&request).await {
            Some(ControllerResponse::Heartbeat(reply)) if reply.stale_epoch => {
                HeartbeatOutcome::MustReregister
            }
            _ => HeartbeatOutcome::Alive,
        }
    }

    /// Serves until a controlled shutdown completes, or until the storage health manager asks
    /// for a restart: that request wins over whatever the broker is doing at the time
    /// (registering, a heartbeat, a shutdown), since each of those may be waiting on the very
    /// storage that stopped.
    async fn serve_until_shutdown(&self) -> BrokerExit {
        tokio::select! {
            biased;
            _ = self.storage.restart_requested() => BrokerExit::StorageRestart,
            exit = self.serve() => exit,
        }
    }

    async fn serve(&self) -> BrokerExit {
        let mut epoch = self.register(true).await;
        let mut shutdown_requested = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            tokio::select! {
                biased;
                _ = &mut shutdown_requested => break,
                _ = tokio::time::sleep(self.config.params.heartbeat_interval) => {
                    if let HeartbeatOutcome::MustReregister = self.heartbeat(epoch).await {
                        epoch = self.register(false).await;
                    }
                }
            }
        }
        self.controlled_shutdown(epoch).await;
        BrokerExit::ShutDown
    }

    async fn controlled_shutdown(&self, epoch: u64) {
        let request = ControllerRequest::ControlledShutdown {
            broker: self.config.id,
            epoch,
        };
        let attempt = async {
            loop {
                if let Some(ControllerResponse::ShutdownComplete) = self.client.send(&request).await {
                    return;
                }
                tokio::time::sleep(self.config.params.registration_retry_backoff).await;
            }
        };
        let confirmed = tokio::time::timeout(self.config.params.controlled_shutdown_timeout, attempt)
            .await
            .is_ok();
        self.observer.record(Event::BrokerShutDown {
            broker: self.config.id,
            epoch,
            confirmed,
        });
    }
}
