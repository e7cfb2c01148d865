//! The fault kinds, one module each. A kind is registered by one line of [`KINDS`]; its place
//! there is its order (a swarm draws kinds from the list in this order, so a new kind goes
//! last to keep every seed's schedule).

mod corrupt_object;
mod crash_controllers;
mod disk_errors;
mod disk_slow;
mod disk_stall;
mod flip_bit;
mod isolate;
mod isolate_zone;
mod kill;
mod lose_disk;
mod lose_zone;
mod object_store_latency;
mod object_store_outage;
mod object_store_slowdown;
mod partition;
mod pause;
mod shutdown;
mod slow_link;
mod trim_log_prefix;

use super::FaultKindModule;

pub static KINDS: &[&dyn FaultKindModule] = &[
    &kill::Kill,
    &shutdown::Shutdown,
    &isolate::Isolate,
    &partition::Partition,
    &slow_link::SlowLink,
    &lose_zone::LoseZone,
    &isolate_zone::IsolateZone,
    &disk_slow::DiskSlow,
    &disk_stall::DiskStall,
    &lose_disk::LoseDisk,
    &object_store_outage::ObjectStoreOutage,
    &object_store_slowdown::ObjectStoreSlowdown,
    &object_store_latency::ObjectStoreLatency,
    &corrupt_object::CorruptObject,
    &flip_bit::FlipBit,
    &trim_log_prefix::LEADER,
    &trim_log_prefix::FOLLOWER,
    &crash_controllers::CrashControllers,
    &pause::Pause,
    &disk_errors::DiskErrors,
];
