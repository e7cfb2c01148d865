//! The orphan collector: objects under a partition's prefix that no tier record points to
//! (an upload fenced by a leader change, an attempt abandoned after an ambiguous failure, a
//! delete that did not finish) are deleted once they are older than the grace period. The
//! grace period keeps an object whose `CopyStarted` this broker has not applied yet (another
//! leader's upload in flight) from being taken for garbage.

use super::super::partition::Partition;
use super::super::ReplicaManager;
use super::remote_retention::lock_cache_forget;
use super::{wall_clock_ms, Tiering};
use crate::observe::Event;
use crate::tier::keys::{object_id_of_key, partition_prefix};
use crate::tier::TierPartitionState;

impl ReplicaManager {
    pub(super) async fn collect_orphans(
        &self,
        tiering: &Tiering,
        partition: &Partition,
        state: &TierPartitionState,
    ) {
        let (topic, number) = (&partition.topic, partition.partition);
        let objects = match tiering.store.list(&partition_prefix(topic, number)).await {
            Ok(objects) => objects,
            Err(error) => {
                tracing::debug!(broker = self.broker, topic, partition = number, %error, "cannot list objects");
                return;
            }
        };
        // Objects referenced now, by state at least as new as the listing.
        let referenced = tiering.partition_state(topic, number).referenced_objects();
        let referenced_before = state.referenced_objects();
        let grace_ms = tiering.params.orphan_grace.as_millis() as u64;
        let now_ms = wall_clock_ms();
        for object in objects {
            let is_referenced = object_id_of_key(topic, number, &object.key)
                .is_some_and(|id| referenced.contains(id) || referenced_before.contains(id));
            let age_ms = now_ms.saturating_sub(object.last_modified_ms);
            if is_referenced || age_ms < grace_ms {
                continue;
            }
            match tiering.store.delete(&object.key).await {
                Ok(()) => {
                    lock_cache_forget(tiering, &object.key);
                    self.record(Event::OrphanDeleted {
                        broker: self.broker,
                        topic: topic.clone(),
                        partition: number,
                        key: object.key,
                        age_ms,
                    });
                }
                Err(error) => {
                    tracing::debug!(broker = self.broker, key = object.key, %error, "orphan not deleted yet");
                }
            }
        }
    }
}
