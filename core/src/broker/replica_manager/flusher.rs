//! Periodic flushing of partition logs: the model of the operating system writing dirty
//! pages back (see `BrokerParams::log_flush_interval`).

use std::sync::Arc;

use super::ReplicaManager;

impl ReplicaManager {
    pub(super) async fn flush_periodically(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.params.log_flush_interval).await;
            // Buggify: writeback late (a busy device): a crash now loses a longer tail, which
            // replication must cover.
            if crate::buggify!() {
                tokio::time::sleep(crate::buggify::random_delay(self.params.log_flush_interval)).await;
            }
            for partition in self.all_partitions() {
                let mut replica = partition.replica.lock().await;
                let Some(log) = replica.log.as_mut().filter(|log| log.has_unflushed_data()) else {
                    continue;
                };
                if let Err(error) = log.flush().await {
                    tracing::warn!(broker = self.broker, topic = %partition.topic, partition = partition.partition, %error, "flush failed");
                }
            }
            self.maybe_trim_log_prefix().await;
        }
    }
}
