//! Samples what the devices store (bytes on each broker's disk, bytes in the bucket) at a
//! fixed period into the trace, for the report's series and the tiered-storage
//! expectations. Runs only when tiering is on, so runs without it keep their traces.

use std::time::Duration;

use crate::samples::StorageSample;
use crate::trace::TraceKind;
use crate::world::{Role, World};

/// One sample this often: fine enough to see a disk fill during an outage, coarse enough to
/// cost nothing.
pub const SAMPLE_PERIOD: Duration = Duration::from_secs(5);

/// Starts sampling on the simulator's own task (not on a node, so that no fault stops it).
pub fn start(world: &World) {
    let world = world.clone();
    madsim::task::spawn(async move {
        loop {
            take_sample(&world);
            world.sleep(SAMPLE_PERIOD).await;
        }
    });
}

fn take_sample(world: &World) {
    let local_bytes = world
        .node_names()
        .into_iter()
        .filter(|name| matches!(world.node_plan(name).map(|plan| plan.role), Some(Role::Broker(_))))
        .filter_map(|name| Some((name.clone(), world.disk(&name)?.used_bytes())))
        .collect();
    let (remote_bytes, remote_objects, incomplete_upload_bytes) = match world.object_store() {
        Some(store) => (
            store.stored_bytes(),
            store.object_count(),
            store.incomplete_uploads().bytes,
        ),
        None => (0, 0, 0),
    };
    let sample = StorageSample {
        local_bytes,
        remote_bytes,
        remote_objects,
        incomplete_upload_bytes,
    };
    world
        .trace()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push("world", TraceKind::Sample(sample));
}
