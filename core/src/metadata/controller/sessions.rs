//! Broker sessions as the active controller sees them: when each last heartbeated.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::super::image::MetadataImage;
use super::super::records::BrokerId;

#[derive(Default)]
pub struct BrokerSessions {
    last_heartbeat: Mutex<BTreeMap<BrokerId, Instant>>,
}

impl BrokerSessions {
    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<BrokerId, Instant>> {
        self.last_heartbeat
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn heartbeat(&self, broker: BrokerId, at: Instant) {
        self.table().insert(broker, at);
    }

    /// Forgets every session, so each broker gets a fresh one at the next check (on taking
    /// over as active controller).
    pub fn reset_all(&self) {
        self.table().clear();
    }

    /// Unfenced brokers of `image` whose session has run out at `now`. A broker with no
    /// session yet is given one starting now.
    pub fn expired(&self, image: &MetadataImage, now: Instant, timeout: Duration) -> Vec<BrokerId> {
        let mut table = self.table();
        image
            .brokers
            .iter()
            .filter(|(_, state)| !state.fenced)
            .filter_map(|(broker, _)| {
                let last = *table.entry(*broker).or_insert(now);
                (now.duration_since(last) > timeout).then_some(*broker)
            })
            .collect()
    }
}
