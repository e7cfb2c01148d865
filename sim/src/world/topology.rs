//! The layout of a simulated region: availability zones, and the nodes in each.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use korasim_core::metadata::{BrokerId, ControllerId};

pub const CONTROLLER_PORT: u16 = 9093;
pub const BROKER_PORT: u16 = 9092;
pub const CLIENT_PORT: u16 = 9000;
/// The node that runs the operator's admin client and the workload's producers and consumers.
pub const CLIENT_NODE: &str = "client-1";
/// The client node's zone: not one of the region's availability zones.
pub const CLIENT_ZONE: &str = "clients";
/// The object store (with tiered storage on): a regional service, outside every
/// availability zone, so that losing a zone never takes it down.
pub const OBJECT_STORE_NODE: &str = "object-store-1";
pub const OBJECT_STORE_ZONE: &str = "object-store";
/// HTTPS, as S3's endpoint.
pub const OBJECT_STORE_PORT: u16 = 9443;

/// How many of what, where. One controller per zone; brokers spread evenly over zones.
#[derive(Debug, Clone)]
pub struct Topology {
    pub zones: Vec<String>,
    pub brokers_per_zone: usize,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            zones: vec!["az-1".to_string(), "az-2".to_string(), "az-3".to_string()],
            brokers_per_zone: 2,
        }
    }
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Controller(ControllerId),
    Broker(BrokerId),
    Client,
    ObjectStore,
}

/// One planned node.
#[derive(Debug, Clone)]
pub struct NodePlan {
    pub name: String,
    pub role: Role,
    pub zone: String,
    pub address: SocketAddr,
}

impl Topology {
    /// Every node of the region, controllers first. Addresses are `10.<zone>.<role>.<n>` so
    /// that a packet trace reads naturally.
    pub fn nodes(&self) -> Vec<NodePlan> {
        let mut plans = Vec::new();
        for (zone_index, zone) in self.zones.iter().enumerate() {
            let controller_id = zone_index as ControllerId + 1;
            plans.push(NodePlan {
                name: format!("controller-{controller_id}"),
                role: Role::Controller(controller_id),
                zone: zone.clone(),
                address: address(zone_index, 1, 1, CONTROLLER_PORT),
            });
        }
        for slot in 0..self.brokers_per_zone {
            for (zone_index, zone) in self.zones.iter().enumerate() {
                let broker_id = (slot * self.zones.len() + zone_index) as BrokerId + 1;
                plans.push(NodePlan {
                    name: format!("broker-{broker_id}"),
                    role: Role::Broker(broker_id),
                    zone: zone.clone(),
                    address: address(zone_index, 2, slot + 1, BROKER_PORT),
                });
            }
        }
        // Clients live outside the region's zones (an application's own network), so that
        // losing or isolating a zone cuts them off from that zone's brokers, not from all.
        plans.push(NodePlan {
            name: CLIENT_NODE.to_string(),
            role: Role::Client,
            zone: CLIENT_ZONE.to_string(),
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 100, 3, 1)), CLIENT_PORT),
        });
        plans
    }
}

/// The object store's node: not part of [`Topology::nodes`], which lays out the region's
/// own nodes; the world adds it when tiered storage is on.
pub fn object_store_plan() -> NodePlan {
    NodePlan {
        name: OBJECT_STORE_NODE.to_string(),
        role: Role::ObjectStore,
        zone: OBJECT_STORE_ZONE.to_string(),
        address: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 200, 1, 1)), OBJECT_STORE_PORT),
    }
}

fn address(zone_index: usize, role_octet: u8, host: usize, port: u16) -> SocketAddr {
    let ip = Ipv4Addr::new(10, zone_index as u8 + 1, role_octet, host as u8);
    SocketAddr::new(IpAddr::V4(ip), port)
}
