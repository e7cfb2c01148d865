//! The simulated world: one region of availability zones, each node a madsim node with its
//! own address, zone and (for controllers and brokers) disk, and the faults a scenario can
//! inject into it. Every fault is written to the trace before it takes effect.

mod corruption;
mod network;
mod nodes;
mod object_store_faults;
mod topology;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use korasim_core::broker::{BrokerParams, ControllerClient};
use korasim_core::health::HealthParams;
use korasim_core::metadata::{BrokerId, ControllerParams, ControllerRequest, ControllerResponse};
use korasim_core::net::Rpc;
use madsim::net::NetSim;
use madsim::runtime::{Handle, NodeHandle};
use madsim::task::NodeId;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use corruption::BitFlip;
pub use network::{LinkDelays, SimTransport};
pub use topology::{
    object_store_plan, NodePlan, Role, Topology, BROKER_PORT, CLIENT_NODE, CLIENT_PORT, CLIENT_ZONE,
    CONTROLLER_PORT, OBJECT_STORE_NODE, OBJECT_STORE_PORT, OBJECT_STORE_ZONE,
};

use crate::checkers::history::HistoryViolation;
use crate::devices::disk::{DiskConfig, SimDisk};
use crate::devices::object_store::{ObjectStoreConfig, SimObjectStore};
use crate::faults::FaultEvent;
use crate::trace::{SharedTrace, TraceKind};
use crate::workloads::{History, SharedHistory};
use korasim_core::broker::InjectedBugs;

/// Everything that shapes a world besides the seed.
#[derive(Debug, Clone)]
pub struct WorldParams {
    pub topology: Topology,
    pub controller: ControllerParams,
    pub broker: BrokerParams,
    pub disk: DiskConfig,
    /// Chance that a crash leaves a torn final write in a file.
    pub torn_write_probability: f64,
    /// Tiered storage: `Some` adds the object store's node (`object-store-1`, outside every
    /// zone) with this model, gives every broker its address and turns tiering on in
    /// `broker.tier`. `None` (the default) adds nothing.
    pub object_store: Option<ObjectStoreConfig>,
    /// The health-check agent and the degradation detector, on the client node; `None` (the
    /// default): not running.
    pub health: Option<HealthParams>,
}

impl Default for WorldParams {
    fn default() -> Self {
        WorldParams {
            topology: Topology::default(),
            controller: ControllerParams::default(),
            broker: BrokerParams::default(),
            disk: DiskConfig::cloud_volume(),
            torn_write_probability: 0.5,
            object_store: None,
            health: None,
        }
    }
}

/// One direction of a link between two nodes, as a fault cut it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Link(NodeId, NodeId);

/// The links one fault cut, and the label its trace entries carry.
#[derive(Debug, Clone)]
pub struct Cut {
    pub links: Vec<Link>,
    pub label: String,
}

/// A node of the world.
struct SimNode {
    plan: NodePlan,
    handle: NodeHandle,
    disk: Option<Arc<SimDisk>>,
    /// A broker's deliberate bugs, kept across its restarts (see `corruption.rs`).
    bugs: Option<Arc<InjectedBugs>>,
}

struct WorldState {
    handle: Handle,
    params: WorldParams,
    nodes: BTreeMap<String, SimNode>,
    trace: SharedTrace,
    delays: Arc<LinkDelays>,
    /// Clogged links and how many active faults clog each (faults may overlap).
    clogged_links: Mutex<BTreeMap<(NodeId, NodeId), usize>>,
    down_nodes: Mutex<BTreeSet<String>>,
    random: Mutex<ChaCha8Rng>,
    admin: Arc<Mutex<Option<Arc<ControllerClient>>>>,
    client_rpc: Arc<Mutex<Option<Arc<Rpc>>>>,
    object_store: Option<Arc<SimObjectStore>>,
    /// What the workload's clients did, and what the oracle found in it.
    history: SharedHistory,
    history_violations: Mutex<Vec<HistoryViolation>>,
}

/// A handle to the running world. Cheap to clone.
#[derive(Clone)]
pub struct World {
    state: Arc<WorldState>,
}

impl World {
    /// Builds and starts every node. Must run inside a madsim runtime; all randomness is drawn
    /// from that runtime's seed.
    pub fn build(mut params: WorldParams, trace: SharedTrace) -> World {
        let handle = Handle::current();
        let store_plan = params
            .object_store
            .as_ref()
            .map(|_| topology::object_store_plan());
        if store_plan.is_some() {
            params.broker.tier.enabled = true;
        }
        let mut random = ChaCha8Rng::seed_from_u64(madsim::rand::thread_rng().gen());
        let delays = Arc::new(LinkDelays::default());
        let admin = Arc::new(Mutex::new(None));
        let client_rpc = Arc::new(Mutex::new(None));
        let plans = params.topology.nodes();
        let controllers: BTreeMap<_, _> = plans
            .iter()
            .filter_map(|plan| match plan.role {
                Role::Controller(id) => Some((id, plan.address)),
                _ => None,
            })
            .collect();
        let (restart_sender, restart_requests) = tokio::sync::mpsc::unbounded_channel();
        let store_address = store_plan.as_ref().map(|plan| plan.address);
        let context_for = |plan: &NodePlan,
                           disk: Option<Arc<SimDisk>>,
                           object_store: Option<Arc<SimObjectStore>>,
                           bugs: Arc<InjectedBugs>| {
            nodes::NodeContext {
                plan: plan.clone(),
                disk,
                bugs,
                trace: trace.clone(),
                delays: delays.clone(),
                controllers: controllers.clone(),
                controller_params: params.controller.clone(),
                broker_params: params.broker.clone(),
                admin: admin.clone(),
                client_rpc: client_rpc.clone(),
                object_store_address: store_address,
                object_store,
                restart_requests: restart_sender.clone(),
                health: params.health.clone(),
            }
        };
        let mut nodes = BTreeMap::new();
        for plan in plans {
            let disk = match plan.role {
                Role::Client => None,
                _ => Some(Arc::new(SimDisk::new(
                    &plan.name,
                    params.disk.clone(),
                    random.gen(),
                ))),
            };
            let bugs = Arc::new(InjectedBugs::default());
            let context = context_for(&plan, disk.clone(), None, bugs.clone());
            let node = nodes::start_node(&handle, context);
            let bugs = matches!(plan.role, Role::Broker(_)).then_some(bugs);
            nodes.insert(
                plan.name.clone(),
                SimNode {
                    plan,
                    handle: node,
                    disk,
                    bugs,
                },
            );
        }
        // The store's node comes last and draws its seed last, so that a world without one
        // creates and seeds every other node exactly as before.
        let object_store = match (&params.object_store, store_plan) {
            (Some(config), Some(plan)) => {
                let store = Arc::new(SimObjectStore::new(
                    &plan.name,
                    config.clone(),
                    random.gen(),
                    trace.clone(),
                ));
                let context = context_for(&plan, None, Some(store.clone()), Arc::default());
                let node = nodes::start_node(&handle, context);
                nodes.insert(
                    plan.name.clone(),
                    SimNode {
                        plan,
                        handle: node,
                        disk: None,
                        bugs: None,
                    },
                );
                Some(store)
            }
            _ => None,
        };
        let world = World {
            state: Arc::new(WorldState {
                handle,
                params,
                nodes,
                trace,
                delays,
                clogged_links: Mutex::new(BTreeMap::new()),
                down_nodes: Mutex::new(BTreeSet::new()),
                random: Mutex::new(random),
                admin,
                client_rpc,
                object_store,
                history: History::shared(),
                history_violations: Mutex::new(Vec::new()),
            }),
        };
        world.supervise(restart_requests);
        world
    }

    /// Starts again every node whose process asked for it (a broker whose storage health
    /// manager found storage stuck), as a pod's restart policy would. A process restart is
    /// not a crash: the operating system keeps what was written, synced or not.
    fn supervise(&self, mut requests: tokio::sync::mpsc::UnboundedReceiver<String>) {
        let world = self.clone();
        madsim::task::spawn(async move {
            while let Some(name) = requests.recv().await {
                if world.is_down(&name) {
                    continue;
                }
                world.fault(FaultEvent::ProcessRestartedBySupervisor { node: name.clone() });
                let id = world.node(&name).handle.id();
                world.state.handle.kill(id);
                world.state.handle.restart(id);
            }
        });
    }

    /// Frees what the run's nodes hold (disk contents) once the run is over. The simulator
    /// may keep some of a finished run's tasks alive (they hold the world, which holds the
    /// runtime), so a gate of thousands of runs would otherwise keep every run's data.
    pub fn release_memory(&self) {
        for node in self.state.nodes.values() {
            if let Some(disk) = &node.disk {
                disk.discard_everything();
            }
        }
        if let Some(store) = &self.state.object_store {
            store.release_memory();
        }
    }

    /// When the run started (simulated): the origin of every time in the trace and history.
    pub fn run_started(&self) -> tokio::time::Instant {
        lock(&self.state.trace).started()
    }

    /// The client history of the run: every client of the workload records into it.
    pub fn history(&self) -> SharedHistory {
        self.state.history.clone()
    }

    /// Records what the history oracle found, for the run's verdict.
    pub fn report_history_violations(&self, violations: Vec<HistoryViolation>) {
        lock(&self.state.history_violations).extend(violations);
    }

    pub fn history_violations(&self) -> Vec<HistoryViolation> {
        lock(&self.state.history_violations).clone()
    }

    pub fn params(&self) -> &WorldParams {
        &self.state.params
    }

    pub fn trace(&self) -> &SharedTrace {
        &self.state.trace
    }

    /// Simulated time since the run started.
    pub fn elapsed(&self) -> Duration {
        lock(&self.state.trace).elapsed()
    }

    /// Writes a scenario note into the trace.
    pub fn note(&self, text: impl Into<String>) {
        lock(&self.state.trace).push("scenario", TraceKind::Scenario(text.into()));
    }

    /// Records a fault in the trace (a fault kind that acts through a device records its
    /// own begin and end).
    pub fn fault(&self, fault: FaultEvent) {
        lock(&self.state.trace).push("world", TraceKind::Fault(fault));
    }

    /// Stops running a node's tasks (a SIGSTOP, a long GC pause): its sockets stay, messages
    /// to it wait, its timers fire late. `false` if it is down.
    pub fn pause(&self, name: &str) -> bool {
        if self.is_down(name) {
            return false;
        }
        self.state.handle.pause(self.node(name).handle.id());
        true
    }

    /// Runs a paused node's tasks again (a restart already did).
    pub fn resume(&self, name: &str) {
        self.state.handle.resume(self.node(name).handle.id());
    }

    /// A random number from the world's own seeded generator (for fault choices).
    pub fn random<T>(&self) -> T
    where
        rand::distributions::Standard: rand::distributions::Distribution<T>,
    {
        lock(&self.state.random).gen()
    }

    pub async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    /// Names of every node, in order.
    pub fn node_names(&self) -> Vec<String> {
        self.state.nodes.keys().cloned().collect()
    }

    pub fn node_plan(&self, name: &str) -> Option<&NodePlan> {
        self.state.nodes.get(name).map(|node| &node.plan)
    }

    /// Names of the nodes in `zone`.
    pub fn nodes_in_zone(&self, zone: &str) -> Vec<String> {
        let nodes = self.state.nodes.values();
        nodes
            .filter(|node| node.plan.zone == zone)
            .map(|node| node.plan.name.clone())
            .collect()
    }

    /// The zone of every broker, as laid out by the topology.
    pub fn broker_zones(&self) -> BTreeMap<BrokerId, String> {
        self.state
            .nodes
            .values()
            .filter_map(|node| match node.plan.role {
                Role::Broker(id) => Some((id, node.plan.zone.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn disk(&self, name: &str) -> Option<Arc<SimDisk>> {
        self.state.nodes.get(name).and_then(|node| node.disk.clone())
    }

    fn node(&self, name: &str) -> &SimNode {
        self.state
            .nodes
            .get(name)
            .unwrap_or_else(|| panic!("scenario names node {name:?}, which the topology does not have"))
    }

    pub fn is_down(&self, name: &str) -> bool {
        lock(&self.state.down_nodes).contains(name)
    }

    /// Crashes a node: its tasks stop at once and its disk loses every unsynced write.
    pub fn kill(&self, name: &str) {
        if !lock(&self.state.down_nodes).insert(name.to_string()) {
            return;
        }
        self.fault(FaultEvent::NodeKilled {
            node: name.to_string(),
        });
        let node = self.node(name);
        if node.plan.role == Role::Client {
            // The admin client died with its node; the restarted node installs a new one.
            *lock(&self.state.admin) = None;
            *lock(&self.state.client_rpc) = None;
        }
        self.state.handle.kill(node.handle.id());
        if let Some(disk) = &node.disk {
            disk.crash(self.state.params.torn_write_probability);
        }
    }

    /// Crashes a node and throws its whole disk away, synced data included (a failed volume
    /// replaced by an empty one). The node stays down until [`World::restart`] (a scenario's
    /// `lose-disk` fault restarts it when the fault ends): it then comes back with an empty
    /// disk.
    pub fn lose_disk(&self, name: &str) {
        self.fault(FaultEvent::DiskLost {
            node: name.to_string(),
        });
        self.kill(name);
        if let Some(disk) = &self.node(name).disk {
            disk.discard_everything();
        }
    }

    /// Starts a crashed node again from what its disk kept.
    pub fn restart(&self, name: &str) {
        self.restart_frozen_if_paused(name, &[]);
    }

    /// Starts a node that is down again. A node in `still_paused` (a `pause` fault still holds
    /// it) starts frozen: the pause stands for the machine being stopped, so the new process
    /// is stopped too until that pause heals; otherwise a crash would silently end every pause
    /// of the node while the run still counts it silenced.
    pub fn restart_frozen_if_paused(&self, name: &str, still_paused: &[String]) {
        if !lock(&self.state.down_nodes).remove(name) {
            return;
        }
        self.fault(FaultEvent::NodeRestarted {
            node: name.to_string(),
        });
        let id = self.node(name).handle.id();
        self.state.handle.restart(id);
        if still_paused.iter().any(|paused| paused == name) {
            self.state.handle.pause(id);
        }
    }

    /// Asks a node to shut down cleanly (a ctrl-c); a broker does a controlled shutdown.
    pub fn request_shutdown(&self, name: &str) {
        self.fault(FaultEvent::ShutdownRequested {
            node: name.to_string(),
        });
        self.state.handle.send_ctrl_c(self.node(name).handle.id());
    }

    /// Marks a node that stopped by itself (after a clean shutdown) as down, so that
    /// [`World::restart`] brings it back.
    pub fn mark_stopped(&self, name: &str) {
        if lock(&self.state.down_nodes).insert(name.to_string()) {
            self.state.handle.kill(self.node(name).handle.id());
        }
    }

    /// Every node of `zone` crashes at once.
    pub fn lose_zone(&self, zone: &str) {
        self.fault(FaultEvent::ZoneLost {
            zone: zone.to_string(),
        });
        for name in self.nodes_in_zone(zone) {
            self.kill(&name);
        }
    }

    /// Brings back every node of `zone` except those in `kept_down` (still down for another
    /// reason).
    pub fn restore_zone(&self, zone: &str, held: &crate::faults::Held) {
        self.fault(FaultEvent::ZoneRestored {
            zone: zone.to_string(),
        });
        for name in self
            .nodes_in_zone(zone)
            .iter()
            .filter(|name| !held.nodes_down.contains(name))
        {
            self.restart_frozen_if_paused(name, &held.paused);
        }
    }

    /// Cuts `zone` off from the rest of the region, both ways; its nodes keep running.
    pub fn isolate_zone(&self, zone: &str) -> Cut {
        let label = format!("zone {zone} isolated");
        self.fault(FaultEvent::ZoneIsolated {
            zone: zone.to_string(),
            label: label.clone(),
        });
        let inside = self.nodes_in_zone(zone);
        let outside: Vec<String> = self
            .node_names()
            .into_iter()
            .filter(|name| !inside.contains(name))
            .collect();
        self.clog(&inside, &outside, false, label)
    }

    /// Drops traffic from every node of `from` to every node of `to` (and back unless
    /// `one_way`).
    pub fn partition(&self, from: &[&str], to: &[&str], one_way: bool) -> Cut {
        let from: Vec<String> = from.iter().map(|name| name.to_string()).collect();
        let to: Vec<String> = to.iter().map(|name| name.to_string()).collect();
        let arrow = if one_way { "->" } else { "<->" };
        let label = format!("{} {arrow} {}", from.join(","), to.join(","));
        self.fault(FaultEvent::Partitioned {
            from: from.clone(),
            to: to.clone(),
            one_way,
            label: label.clone(),
        });
        self.clog(&from, &to, one_way, label)
    }

    /// Cuts one node off from every other node, both ways.
    pub fn isolate_node(&self, name: &str) -> Cut {
        let label = format!("{name} isolated");
        self.fault(FaultEvent::NodeIsolated {
            node: name.to_string(),
            label: label.clone(),
        });
        let others: Vec<String> = self
            .node_names()
            .into_iter()
            .filter(|other| other != name)
            .collect();
        self.clog(&[name.to_string()], &others, false, label)
    }

    fn clog(&self, from: &[String], to: &[String], one_way: bool, label: String) -> Cut {
        let network = NetSim::current();
        let mut clogged = lock(&self.state.clogged_links);
        let mut links = Vec::new();
        for a in from {
            for b in to {
                let (a, b) = (self.node(a).handle.id(), self.node(b).handle.id());
                links.push(Link(a, b));
                if !one_way {
                    links.push(Link(b, a));
                }
            }
        }
        for link in &links {
            network.clog_link(link.0, link.1);
            *clogged.entry((link.0, link.1)).or_default() += 1;
        }
        Cut { links, label }
    }

    /// Restores the links one fault cut; a link that another fault also cut stays cut.
    pub fn reconnect(&self, cut: &Cut) {
        self.fault(FaultEvent::PartitionHealed {
            label: cut.label.clone(),
        });
        let network = NetSim::current();
        let mut clogged = lock(&self.state.clogged_links);
        for link in &cut.links {
            if let Some(count) = clogged.get_mut(&(link.0, link.1)) {
                *count -= 1;
                if *count == 0 {
                    clogged.remove(&(link.0, link.1));
                    network.unclog_link(link.0, link.1);
                }
            }
        }
    }

    /// Adds `extra` one-way delay to every message from `from` to `to`.
    pub fn slow_link(&self, from: &str, to: &str, extra: Duration) {
        self.fault(FaultEvent::LinkSlowed {
            from: from.to_string(),
            to: to.to_string(),
            extra_delay_ms: extra.as_millis() as u64,
        });
        let (from_ip, to_ip) = (self.node(from).plan.address.ip(), self.node(to).plan.address.ip());
        self.state.delays.add(from_ip, to_ip, extra);
    }

    /// Takes back one `slow_link(from, to, extra)`; delays other faults put on the link stay.
    pub fn restore_link(&self, from: &str, to: &str, extra: Duration) {
        self.fault(FaultEvent::LinkSlowed {
            from: from.to_string(),
            to: to.to_string(),
            extra_delay_ms: 0,
        });
        let (from_ip, to_ip) = (self.node(from).plan.address.ip(), self.node(to).plan.address.ip());
        self.state.delays.remove(from_ip, to_ip, extra);
    }

    /// Removes every partition and link delay.
    pub fn heal_network(&self) {
        self.fault(FaultEvent::NetworkHealed);
        let network = NetSim::current();
        for (a, b) in std::mem::take(&mut *lock(&self.state.clogged_links)).into_keys() {
            network.unclog_link(a, b);
        }
        self.state.delays.clear();
    }

    /// Makes a node's disk `multiplier` times slower.
    pub fn slow_disk(&self, name: &str, multiplier: f64) {
        if let Some(disk) = self.disk(name) {
            self.fault(FaultEvent::DiskFault {
                node: name.to_string(),
                fault: format!("slow x{multiplier}"),
            });
            disk.set_latency_multiplier(multiplier);
        }
    }

    /// Stops a node's disk from making progress.
    pub fn stall_disk(&self, name: &str) {
        if let Some(disk) = self.disk(name) {
            self.fault(FaultEvent::DiskFault {
                node: name.to_string(),
                fault: "stalled".to_string(),
            });
            disk.stall();
        }
    }

    /// Returns a node's disk to normal speed and progress.
    pub fn heal_disk(&self, name: &str) {
        if let Some(disk) = self.disk(name) {
            self.fault(FaultEvent::DiskHealed {
                node: name.to_string(),
            });
            disk.set_latency_multiplier(1.0);
            disk.release_stall();
        }
    }

    /// Restarts every node that is down and removes every network, disk and object-store
    /// fault.
    pub fn heal_everything(&self) {
        self.heal_network();
        self.heal_object_store();
        for name in self.node_names() {
            if let Some(disk) = self.disk(&name) {
                if disk.is_stalled() || disk.latency_multiplier() != 1.0 {
                    self.fault(FaultEvent::DiskHealed { node: name.clone() });
                }
                disk.clear_faults();
            }
            self.restart(&name);
        }
    }

    /// Runs `work` on the client node with the node's RPC endpoint, waiting until the node is
    /// up. The task dies with the node. `None` if the node is not running.
    pub async fn spawn_on_client<F, Fut>(&self, work: F) -> Option<madsim::task::JoinHandle<Fut::Output>>
    where
        F: FnOnce(Arc<Rpc>) -> Fut,
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let rpc = loop {
            if let Some(rpc) = lock(&self.state.client_rpc).clone() {
                break rpc;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let client_id = self.node(CLIENT_NODE).handle.id();
        let client_node = self.state.handle.get_node(client_id)?;
        Some(client_node.spawn(work(rpc)))
    }

    /// Sends a request to the active controller from the client node, as an operator tool
    /// would. `None` when no controller answered as active.
    pub async fn admin_request(&self, request: ControllerRequest) -> Option<ControllerResponse> {
        let client = loop {
            if let Some(client) = lock(&self.state.admin).clone() {
                break client;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        // A handle taken before a restart still points at the dead incarnation, so the
        // client's current incarnation is looked up afresh every time.
        let client_id = self.node(CLIENT_NODE).handle.id();
        let client_node = self.state.handle.get_node(client_id)?;
        client_node
            .spawn(async move { client.send(&request).await })
            .await
            .ok()
            .flatten()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
