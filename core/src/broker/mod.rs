//! A broker. For now: its life cycle towards the metadata quorum (registration, heartbeats,
//! following the metadata log, controlled shutdown). Partition logs and replication build on
//! this.

pub mod audit;
mod controller_client;
pub mod data_protocol;
mod lifecycle;
pub mod log;
mod metadata_follower;
mod params;
mod replica_manager;
pub mod replication;
mod storage_health;

pub use audit::{AuditParams, InjectedBugs, PrefixTrimRole};
pub use controller_client::ControllerClient;
pub use lifecycle::{Broker, BrokerConfig, BrokerExit};
pub use params::BrokerParams;
pub use replica_manager::{DataPlaneHandler, ReplicaManager};
pub use storage_health::{StorageHealth, StorageHealthParams};
