//! `[tiered_storage]` and `[object_store]`: every key optional, each checked against its
//! range and located at its value when it is out of it. Defaults come from the brokers'
//! `TierParams` and `LogParams` and from `ObjectStoreConfig`, so that the file and the code
//! cannot disagree about them.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::time::Duration;

use korasim_core::broker::log::LogParams;
use korasim_core::tier::TierParams;
use toml::Spanned;

use super::error::ScenarioError;
use super::raw::{RawObjectStore, RawScenario};
use super::spec::TieredStorageSpec;
use super::validate::Validator;
use super::values::DurationValue;
use crate::devices::object_store::ObjectStoreConfig;

const SEGMENT_BYTES: RangeInclusive<u64> = 1024..=1024 * 1024 * 1024;
const UPLOAD_ATTEMPTS: RangeInclusive<u32> = 1..=100;
const TIER_PARTITIONS: RangeInclusive<u32> = 1..=100;
const SIGMA: RangeInclusive<f64> = 0.0..=3.0;

fn positive(value: f64) -> bool {
    value > 0.0
}

fn at_least_one(value: f64) -> bool {
    value >= 1.0
}

fn probability(value: f64) -> bool {
    (0.0..=1.0).contains(&value)
}

fn nonzero(value: Duration) -> bool {
    !value.is_zero()
}

impl Validator<'_> {
    /// Tiered storage, if the file has a `[tiered_storage]` table.
    pub(super) fn tiered_storage(
        &self,
        raw: &RawScenario,
    ) -> Result<Option<TieredStorageSpec>, ScenarioError> {
        let Some(tiered) = &raw.tiered_storage else {
            if let Some(store) = &raw.object_store {
                return Err(self
                    .error(
                        store.span(),
                        "an [object_store] table describes the store of tiered storage, but the scenario has no [tiered_storage] table",
                    )
                    .with_hint("add a [tiered_storage] table (its presence turns tiering on) or remove [object_store]"));
            }
            return Ok(None);
        };
        let tiered = tiered.get_ref();
        let tier = TierParams::default();
        let log = LogParams::default();
        let bytes_hint = "a bare integer of bytes, e.g. 1048576 for 1 MiB";
        Ok(Some(TieredStorageSpec {
            segment_bytes_max: self.count(
                &tiered.segment_bytes,
                "segment_bytes",
                log.segment_bytes_max,
                SEGMENT_BYTES,
                bytes_hint,
            )?,
            local_retention_bytes: tiered
                .local_retention_bytes
                .as_ref()
                .map_or(tier.local_retention_bytes, |value| *value.get_ref()),
            local_retention: tiered
                .local_retention
                .as_ref()
                .map_or(tier.local_retention, |value| value.get_ref().0),
            retention_bytes: match &tiered.retention_bytes {
                Some(bytes) if *bytes.get_ref() == 0 => {
                    return Err(self
                        .error(bytes.span(), "retention_bytes must be at least 1")
                        .with_hint("leave `retention_bytes` out to keep every remote segment"))
                }
                bytes => bytes.as_ref().map(|bytes| *bytes.get_ref()),
            },
            retention: self.optional_duration(
                &tiered.retention,
                "retention",
                "leave `retention` out to keep every remote segment",
            )?,
            orphan_grace: self.duration(
                &tiered.orphan_grace,
                "orphan_grace",
                tier.orphan_grace,
                nonzero,
                "longer than zero",
                "e.g. \"60s\"; it must cover an upload's whole life",
            )?,
            orphan_check_interval: self.duration(
                &tiered.orphan_check_interval,
                "orphan_check_interval",
                tier.orphan_check_interval,
                nonzero,
                "longer than zero",
                "e.g. \"30s\"",
            )?,
            upload_attempts_max: self.count(
                &tiered.upload_attempts_max,
                "upload_attempts_max",
                tier.upload_attempts_max,
                UPLOAD_ATTEMPTS,
                "retriable failures allowed per upload attempt, e.g. 5",
            )?,
            tier_partition_count: self.count(
                &tiered.tier_partitions,
                "tier_partitions",
                tier.tier_partition_count,
                TIER_PARTITIONS,
                "partitions of the tier-metadata topic, e.g. 3",
            )?,
            object_store: self.object_store(raw.object_store.as_ref())?,
        }))
    }

    fn object_store(
        &self,
        raw: Option<&Spanned<RawObjectStore>>,
    ) -> Result<ObjectStoreConfig, ScenarioError> {
        let defaults = ObjectStoreConfig::default();
        let Some(spanned) = raw else {
            return Ok(defaults);
        };
        let raw = spanned.get_ref();
        let latency_max = defaults.latency_max;
        let median = |value: &Option<Spanned<DurationValue>>, key: &str, default: Duration| {
            self.duration(
                value,
                key,
                default,
                |median| median <= Duration::from_secs(5),
                "at most 5s (the store's latency cap)",
                "S3 answers a GET in about \"30ms\" and a PUT in about \"150ms\"",
            )
        };
        let sigma = |value: &Option<Spanned<f64>>, key: &str, default: f64| {
            self.number(
                value,
                key,
                default,
                |sigma| SIGMA.contains(&sigma),
                "a number from 0 to 3",
                "0.42 puts the p99 at 2.7 times the median, 0.8 at 6.4 times",
            )
        };
        let rate = |value: &Option<Spanned<f64>>, key: &str, default: f64| {
            self.number(
                value,
                key,
                default,
                probability,
                "a probability from 0 to 1",
                "0.002 is one request in 500",
            )
        };
        let config = ObjectStoreConfig {
            get_latency_median: median(
                &raw.get_latency_median,
                "get_latency_median",
                defaults.get_latency_median,
            )?,
            get_latency_sigma: sigma(
                &raw.get_latency_sigma,
                "get_latency_sigma",
                defaults.get_latency_sigma,
            )?,
            put_latency_median: median(
                &raw.put_latency_median,
                "put_latency_median",
                defaults.put_latency_median,
            )?,
            put_latency_sigma: sigma(
                &raw.put_latency_sigma,
                "put_latency_sigma",
                defaults.put_latency_sigma,
            )?,
            latency_max,
            transfer_bytes_per_second: self.number(
                &raw.transfer_bytes_per_second,
                "transfer_bytes_per_second",
                defaults.transfer_bytes_per_second,
                positive,
                "a number above 0",
                "100000000 is 100 MB/s, one S3 connection",
            )?,
            writes_per_second_per_prefix: self.number(
                &raw.writes_per_second_per_prefix,
                "writes_per_second_per_prefix",
                defaults.writes_per_second_per_prefix,
                positive,
                "a number above 0",
                "S3 allows 3500; the default 50 is scaled down with the workload",
            )?,
            reads_per_second_per_prefix: self.number(
                &raw.reads_per_second_per_prefix,
                "reads_per_second_per_prefix",
                defaults.reads_per_second_per_prefix,
                positive,
                "a number above 0",
                "S3 allows 5500; the default 100 is scaled down with the workload",
            )?,
            write_burst_requests: self.number(
                &raw.write_burst_requests,
                "write_burst_requests",
                defaults.write_burst_requests,
                at_least_one,
                "a number of at least 1",
                "writes a prefix accepts at once after being idle",
            )?,
            read_burst_requests: self.number(
                &raw.read_burst_requests,
                "read_burst_requests",
                defaults.read_burst_requests,
                at_least_one,
                "a number of at least 1",
                "reads a prefix accepts at once after being idle",
            )?,
            internal_error_rate: rate(
                &raw.internal_error_rate,
                "internal_error_rate",
                defaults.internal_error_rate,
            )?,
            timeout_rate: rate(&raw.timeout_rate, "timeout_rate", defaults.timeout_rate)?,
            reset_rate: rate(&raw.reset_rate, "reset_rate", defaults.reset_rate)?,
            multipart_threshold_bytes: raw
                .multipart_threshold_bytes
                .as_ref()
                .map_or(defaults.multipart_threshold_bytes, |value| *value.get_ref()),
            multipart_abort_after: self.duration(
                &raw.multipart_abort_after,
                "multipart_abort_after",
                defaults.multipart_abort_after,
                nonzero,
                "longer than zero",
                "e.g. \"10m\"",
            )?,
            ..defaults
        };
        let base_rates = config.internal_error_rate + config.timeout_rate + config.reset_rate;
        if base_rates > 1.0 {
            return Err(self
                .error(
                    spanned.span(),
                    format!("internal_error_rate, timeout_rate and reset_rate add up to {base_rates}, more than 1"),
                )
                .with_hint("each request meets at most one of them, so together they are a probability"));
        }
        Ok(config)
    }

    /// A number given as `key`, or `default`; `valid` says what `requirement` says in words.
    pub(super) fn number(
        &self,
        value: &Option<Spanned<f64>>,
        key: &str,
        default: f64,
        valid: impl Fn(f64) -> bool,
        requirement: &str,
        hint: &str,
    ) -> Result<f64, ScenarioError> {
        match value {
            None => Ok(default),
            Some(number) if number.get_ref().is_finite() && valid(*number.get_ref()) => Ok(*number.get_ref()),
            Some(number) => Err(self
                .error(number.span(), format!("{key} must be {requirement}"))
                .with_hint(hint)),
        }
    }

    pub(super) fn duration(
        &self,
        value: &Option<Spanned<DurationValue>>,
        key: &str,
        default: Duration,
        valid: impl Fn(Duration) -> bool,
        requirement: &str,
        hint: &str,
    ) -> Result<Duration, ScenarioError> {
        match value {
            None => Ok(default),
            Some(duration) if valid(duration.get_ref().0) => Ok(duration.get_ref().0),
            Some(duration) => Err(self
                .error(duration.span(), format!("{key} must be {requirement}"))
                .with_hint(hint)),
        }
    }

    fn optional_duration(
        &self,
        value: &Option<Spanned<DurationValue>>,
        key: &str,
        hint: &str,
    ) -> Result<Option<Duration>, ScenarioError> {
        value
            .as_ref()
            .map(|duration| {
                self.duration(
                    &Some(duration.clone()),
                    key,
                    Duration::ZERO,
                    nonzero,
                    "longer than zero",
                    hint,
                )
            })
            .transpose()
    }

    pub(super) fn count<T: Copy + PartialOrd + Display>(
        &self,
        value: &Option<Spanned<T>>,
        key: &str,
        default: T,
        range: RangeInclusive<T>,
        hint: &str,
    ) -> Result<T, ScenarioError> {
        match value {
            None => Ok(default),
            Some(count) if range.contains(count.get_ref()) => Ok(*count.get_ref()),
            Some(count) => Err(self
                .error(
                    count.span(),
                    format!("{key} must be {} to {}", range.start(), range.end()),
                )
                .with_hint(hint)),
        }
    }
}
