//! Writing an object with retries: exponential backoff with jitter, within a retry budget.
//! Only retriable errors are retried; a PUT is idempotent (same key, same bytes), so
//! retrying after an ambiguous failure (a timeout, a reset) is safe.

use std::time::Duration;

use bytes::Bytes;
use rand::Rng;

use super::super::ReplicaManager;
use super::Tiering;
use crate::object_store::ObjectStoreError;

/// Why an object could not be written.
#[derive(Debug)]
pub(super) struct PutFailure {
    pub attempts: u32,
    pub error: ObjectStoreError,
}

impl ReplicaManager {
    pub(super) async fn put_with_retries(
        &self,
        tiering: &Tiering,
        key: &str,
        body: Bytes,
    ) -> Result<(), PutFailure> {
        self.with_retries(tiering, key, || tiering.store.put(key, body.clone()))
            .await
    }

    /// Deleting a missing object is not an error, so a delete is as safe to retry as a PUT.
    pub(super) async fn delete_with_retries(&self, tiering: &Tiering, key: &str) -> Result<(), PutFailure> {
        self.with_retries(tiering, key, || tiering.store.delete(key))
            .await
    }

    async fn with_retries<Attempt, Outcome>(
        &self,
        tiering: &Tiering,
        key: &str,
        attempt: Attempt,
    ) -> Result<(), PutFailure>
    where
        Attempt: Fn() -> Outcome,
        Outcome: std::future::Future<Output = Result<(), ObjectStoreError>>,
    {
        let mut backoff = tiering.params.upload_backoff_initial;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = match attempt().await {
                // Buggify: the request took effect but its answer was lost (a reset after the
                // store wrote): the retry must be as harmless as the brief promises.
                Ok(()) if crate::buggify!() => Err(ObjectStoreError::ConnectionReset),
                outcome => outcome,
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err(error) if !error.is_retriable() || attempts >= tiering.params.upload_attempts_max => {
                    return Err(PutFailure { attempts, error })
                }
                Err(error) => {
                    tracing::debug!(broker = self.broker, key, %error, attempts, "object store request failed; retrying");
                    tokio::time::sleep(jittered(backoff)).await;
                    backoff = (backoff * 2).min(tiering.params.upload_backoff_max);
                }
            }
        }
    }
}

/// A wait drawn uniformly from the upper half of `backoff`, so that brokers that failed
/// together do not retry together.
pub(super) fn jittered(backoff: Duration) -> Duration {
    let half = backoff / 2;
    half + half.mul_f64(madsim::rand::thread_rng().gen::<f64>())
}
