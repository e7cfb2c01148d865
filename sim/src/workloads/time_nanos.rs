//! Simulated times in the history file: whole nanoseconds since the run started, as one JSON
//! integer. Integers keep times exact (a float of seconds would round), and a u64 of
//! nanoseconds spans 584 years; parsers that read numbers as doubles stay exact for runs up to
//! 104 days (2^53 ns).

use std::time::Duration;

use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(at: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    let nanos = u64::try_from(at.as_nanos()).map_err(|_| S::Error::custom("time beyond 584 years"))?;
    serializer.serialize_u64(nanos)
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_nanos)
}
