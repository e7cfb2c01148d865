//! Keeps a broker's copy of the metadata image up to date by fetching from the active
//! controller.

use std::sync::{Arc, Mutex};

use super::controller_client::ControllerClient;
use crate::metadata::{BrokerId, ControllerRequest, ControllerResponse, MetadataImage, MetadataUpdate};
use crate::observe::{Event, SharedObserver};

/// The broker's view of the cluster metadata.
pub type BrokerMetadata = Arc<Mutex<MetadataImage>>;

/// Fetches once and applies what came back. Returns whether the image moved.
pub(crate) async fn fetch_once(
    broker: BrokerId,
    client: &ControllerClient,
    metadata: &BrokerMetadata,
    observer: &SharedObserver,
) -> bool {
    let after_offset = metadata
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .offset;
    let request = ControllerRequest::FetchMetadata { after_offset };
    let Some(ControllerResponse::Metadata(update)) = client.send(&request).await else {
        return false;
    };
    let mut image = metadata.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = image.offset;
    match update {
        MetadataUpdate::Image(snapshot) => {
            if snapshot.offset > image.offset {
                *image = *snapshot;
            }
        }
        MetadataUpdate::Batches { batches, .. } => {
            for (offset, records) in batches {
                if Some(offset) <= image.offset {
                    continue;
                }
                if let Err(rejection) = image.apply_batch(offset, &records) {
                    // The controller only serves batches it applied, so a broker refusing
                    // one means the two images diverged; start over from a full image.
                    tracing::warn!(broker, offset, %rejection, "metadata batch did not apply; refetching the image");
                    *image = MetadataImage::default();
                    return true;
                }
            }
        }
    }
    let moved = image.offset != before;
    if let Some(offset) = image.offset.filter(|_| moved) {
        observer.record(Event::BrokerMetadataCaughtUp { broker, offset });
    }
    moved
}
