//! A broker's thresholds, named. Defaults follow Kafka's.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct BrokerParams {
    /// Kafka: `broker.heartbeat.interval.ms`, 2 s.
    pub heartbeat_interval: Duration,
    /// How often the broker asks the active controller for new metadata.
    pub metadata_fetch_interval: Duration,
    /// How long one request to a controller may take before the next controller is tried.
    pub controller_request_timeout: Duration,
    /// Pause between failed registration attempts.
    pub registration_retry_backoff: Duration,
    /// A controlled shutdown that is not confirmed within this long is abandoned and the
    /// broker stops anyway (the session timeout then fences it).
    pub controlled_shutdown_timeout: Duration,
}

impl Default for BrokerParams {
    fn default() -> Self {
        BrokerParams {
            heartbeat_interval: Duration::from_secs(2),
            metadata_fetch_interval: Duration::from_millis(500),
            controller_request_timeout: Duration::from_millis(1500),
            registration_retry_backoff: Duration::from_millis(500),
            controlled_shutdown_timeout: Duration::from_secs(30),
        }
    }
}
