//! Questions a scenario asks of the running world: what the trace says so far, and what the
//! cluster answers a client. Scenarios use these to wait for conditions with deadlines.

use std::time::Duration;

use korasim_core::metadata::{
    ControllerRequest, ControllerResponse, MetadataImage, MetadataUpdate, PlacementError,
};
use korasim_core::observe::Event;

use crate::trace::{TraceEntry, TraceKind};
use crate::world::World;

/// Entries of the trace so far, cloned.
pub fn entries(world: &World) -> Vec<TraceEntry> {
    world.trace().lock().unwrap().entries().to_vec()
}

/// The controller that most recently became active and has not stepped down since, with its
/// term.
pub fn active_controller(world: &World) -> Option<(String, u64)> {
    let mut active: Option<(String, u64)> = None;
    for entry in entries(world) {
        match &entry.kind {
            TraceKind::Node(Event::ControllerActivated { term }) => {
                active = Some((entry.node.clone(), *term))
            }
            TraceKind::Node(Event::ControllerDeactivated { .. })
                if active.as_ref().is_some_and(|(node, _)| *node == entry.node) =>
            {
                active = None;
            }
            _ => {}
        }
    }
    active.filter(|(node, _)| !world.is_down(node))
}

/// Polls `condition` every 100 ms until it holds or `deadline` (from now) passes.
pub async fn wait_for<T>(
    world: &World,
    deadline: Duration,
    what: &str,
    mut condition: impl FnMut(&World) -> Option<T>,
) -> Result<T, String> {
    let started = world.elapsed();
    loop {
        if let Some(value) = condition(world) {
            return Ok(value);
        }
        if world.elapsed() - started > deadline {
            return Err(format!(
                "{what}: not within {:.1}s (waited from {:.3}s)",
                deadline.as_secs_f64(),
                started.as_secs_f64()
            ));
        }
        world.sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for a controller to be active.
pub async fn wait_for_active_controller(world: &World, deadline: Duration) -> Result<(String, u64), String> {
    wait_for(world, deadline, "a controller becomes active", active_controller).await
}

/// Creates a topic, retrying while the cluster is not ready (no active controller, brokers
/// still fenced), until `deadline`.
pub async fn create_topic(
    world: &World,
    name: &str,
    partition_count: u32,
    replication_factor: usize,
    deadline: Duration,
) -> Result<(), String> {
    let started = world.elapsed();
    loop {
        let request = ControllerRequest::CreateTopic {
            name: name.to_string(),
            partition_count,
            replication_factor,
        };
        let answer = world.admin_request(request).await;
        match &answer {
            Some(ControllerResponse::TopicCreated) => {
                world.note(format!("topic {name} created"));
                return Ok(());
            }
            // An earlier attempt may have been committed while its answer was lost: as a
            // Kafka client does, take "already exists" as success if it is the same topic.
            Some(ControllerResponse::TopicRejected(PlacementError::TopicExists { .. })) => {
                let existing = fetch_image(world)
                    .await
                    .and_then(|image| image.topics.get(name).map(Vec::len));
                if existing == Some(partition_count as usize) {
                    world.note(format!(
                        "topic {name} created (an earlier attempt's answer was lost)"
                    ));
                    return Ok(());
                }
            }
            _ => {}
        }
        if world.elapsed() - started > deadline {
            return Err(format!(
                "topic {name} not created within {deadline:?}: last answer {answer:?}"
            ));
        }
        world.sleep(Duration::from_millis(500)).await;
    }
}

/// The metadata image as the active controller serves it to a client.
pub async fn fetch_image(world: &World) -> Option<MetadataImage> {
    let answer = world
        .admin_request(ControllerRequest::FetchMetadata { after_offset: None })
        .await?;
    let ControllerResponse::Metadata(update) = answer else {
        return None;
    };
    let mut image = MetadataImage::default();
    match update {
        MetadataUpdate::Image(full) => image = *full,
        MetadataUpdate::Batches { batches, .. } => {
            for (offset, records) in batches {
                image.apply_batch(offset, &records).ok()?;
            }
        }
    }
    Some(image)
}

/// Fetches the image, retrying until `deadline`.
pub async fn fetch_image_within(world: &World, deadline: Duration) -> Result<MetadataImage, String> {
    let started = world.elapsed();
    loop {
        if let Some(image) = fetch_image(world).await {
            return Ok(image);
        }
        if world.elapsed() - started > deadline {
            return Err(format!("no controller served metadata within {deadline:?}"));
        }
        world.sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until every broker of the topology is registered and unfenced.
pub async fn wait_for_all_brokers_unfenced(world: &World, deadline: Duration) -> Result<(), String> {
    let started = world.elapsed();
    let expected = world.broker_zones().len();
    loop {
        if let Some(image) = fetch_image(world).await {
            let unfenced = image.brokers.values().filter(|state| !state.fenced).count();
            if unfenced == expected {
                return Ok(());
            }
        }
        if world.elapsed() - started > deadline {
            return Err(format!("not all {expected} brokers unfenced within {deadline:?}"));
        }
        world.sleep(Duration::from_millis(250)).await;
    }
}
