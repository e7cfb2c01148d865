//! How each kind of node starts (and starts again after a restart): with its disk as the crash
//! left it, a fresh network endpoint, and an observer writing into the run's trace.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use korasim_core::broker::{Broker, BrokerConfig, BrokerExit, BrokerParams, ControllerClient, InjectedBugs};
use korasim_core::health::{HealthParams, HealthService};
use korasim_core::metadata::{Controller, ControllerConfig, ControllerId, ControllerParams};
use korasim_core::net::{Address, Rpc};
use korasim_core::observe::SharedObserver;
use madsim::runtime::{Handle, NodeHandle};

use super::network::{LinkDelays, SimTransport};
use super::topology::{NodePlan, Role};
use crate::devices::disk::SimDisk;
use crate::devices::object_store::{start_service, SimObjectStore};
use crate::trace::{NodeObserver, SharedTrace, TraceKind};

/// Everything a node needs to start, cloned into its init closure.
#[derive(Clone)]
pub(super) struct NodeContext {
    pub plan: NodePlan,
    pub disk: Option<Arc<SimDisk>>,
    /// The broker's deliberate bugs (armed by the `trim-log-prefix` fault).
    pub bugs: Arc<InjectedBugs>,
    pub trace: SharedTrace,
    pub delays: Arc<LinkDelays>,
    pub controllers: BTreeMap<ControllerId, Address>,
    pub controller_params: ControllerParams,
    pub broker_params: BrokerParams,
    pub admin: Arc<Mutex<Option<Arc<ControllerClient>>>>,
    pub client_rpc: Arc<Mutex<Option<Arc<Rpc>>>>,
    /// Where brokers reach the object store (`None`: tiered storage is off).
    pub object_store_address: Option<Address>,
    /// The store itself, on the object store's node only.
    pub object_store: Option<Arc<SimObjectStore>>,
    /// Where a broker asks for its process to be started again (its storage health manager
    /// wants a restart); the world's supervisor does it.
    pub restart_requests: tokio::sync::mpsc::UnboundedSender<String>,
    /// The health-check agent and degradation detector's thresholds, on the client node
    /// (`None`: they do not run).
    pub health: Option<HealthParams>,
}

impl NodeContext {
    fn observer(&self) -> SharedObserver {
        Arc::new(NodeObserver {
            node: self.plan.name.clone(),
            trace: self.trace.clone(),
        })
    }

    fn note(&self, text: String) {
        let mut trace = self.trace.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        trace.push(&self.plan.name, TraceKind::Scenario(text));
    }

    async fn run(self) {
        let transport = match SimTransport::bind(self.plan.address, self.delays.clone()).await {
            Ok(transport) => transport,
            Err(error) => return self.note(format!("could not bind {}: {error}", self.plan.address)),
        };
        match self.plan.role {
            Role::Controller(id) => {
                let config = ControllerConfig {
                    id,
                    voters: self.controllers.clone(),
                    params: self.controller_params.clone(),
                };
                let disk = self.disk.clone().expect("controllers have a disk");
                match Controller::start(config, disk, transport, self.observer()).await {
                    // The controller's work happens in the tasks it spawned; this task only
                    // keeps the node's main future alive.
                    Ok(_controller) => std::future::pending::<()>().await,
                    Err(error) => self.note(format!("controller failed to start: {error}")),
                }
            }
            Role::Broker(id) => {
                let config = BrokerConfig {
                    id,
                    zone: self.plan.zone.clone(),
                    controllers: self.controllers.values().copied().collect(),
                    params: self.broker_params.clone(),
                    object_store: self.object_store_address,
                    bugs: self.bugs.clone(),
                };
                let disk = self.disk.clone().expect("brokers have a disk");
                if Broker::run(config, disk, transport, self.observer()).await == BrokerExit::StorageRestart {
                    // The process exits; the supervisor starts it again.
                    let _ = self.restart_requests.send(self.plan.name.clone());
                }
                // After a controlled shutdown the broker idles until the world stops it.
                std::future::pending::<()>().await
            }
            Role::Client => {
                let rpc = Rpc::start(transport, None, Default::default());
                *self
                    .client_rpc
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(rpc.clone());
                let controllers = self.controllers.values().copied().collect();
                let rpc_for_health = rpc.clone();
                let client =
                    ControllerClient::new(rpc, controllers, self.broker_params.controller_request_timeout);
                let client = Arc::new(client);
                *self.admin.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(client.clone());
                // Kora runs its health-check agent and degradation detector outside the
                // cluster, where the clients are: a broker clients cannot reach fails its probes.
                let _health = self
                    .health
                    .clone()
                    .map(|params| HealthService::start(rpc_for_health, client, params, self.observer()));
                std::future::pending::<()>().await
            }
            Role::ObjectStore => {
                let store = self
                    .object_store
                    .clone()
                    .expect("the object store's node has the store");
                // The service's tasks do the work; this task keeps the node's main future alive.
                let _rpc = start_service(transport, store);
                std::future::pending::<()>().await
            }
        }
    }
}

/// Creates the madsim node for `context` and starts it.
pub(super) fn start_node(handle: &Handle, context: NodeContext) -> NodeHandle {
    let ip = context.plan.address.ip();
    let name = context.plan.name.clone();
    handle
        .create_node()
        .name(name)
        .ip(ip)
        .init(move || context.clone().run())
        .build()
}
