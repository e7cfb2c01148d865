//! Scenarios written as code: the probes every scenario uses to ask the world questions, and
//! pinned quorum scenarios (`tests/quorum.rs`) that check finer points than a scenario file
//! can express. The catalogue itself is data, in `scenarios/*.toml`.

pub mod probes;
pub mod quorum;
