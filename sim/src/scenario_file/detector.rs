//! `[detector]`: its presence starts the health-check agent and the degradation detector on
//! the client node; every key is optional, checked against its range and located at its
//! value when it is out of it. Defaults come from `HealthParams`.

use std::ops::RangeInclusive;
use std::time::Duration;

use korasim_core::health::HealthParams;

use super::error::ScenarioError;
use super::raw::RawScenario;
use super::validate::Validator;

const ROUNDS: RangeInclusive<u32> = 1..=100;

impl Validator<'_> {
    /// The detector's parameters, if the file has a `[detector]` table.
    pub(super) fn detector(&self, raw: &RawScenario) -> Result<Option<HealthParams>, ScenarioError> {
        let Some(detector) = &raw.detector else {
            return Ok(None);
        };
        let detector = detector.get_ref();
        let defaults = HealthParams::default();
        Ok(Some(HealthParams {
            evaluation_interval: self.duration(
                &detector.evaluation_interval,
                "evaluation_interval",
                defaults.evaluation_interval,
                |value| value >= Duration::from_secs(1),
                "at least 1 s",
                "how often the detector decides, e.g. \"10s\"",
            )?,
            no_progress_rounds: self.count(
                &detector.no_progress_rounds,
                "no_progress_rounds",
                defaults.no_progress_rounds,
                ROUNDS,
                "rounds in a row without a successful probe before demotion, e.g. 3",
            )?,
            slow_rounds: self.count(
                &detector.slow_rounds,
                "slow_rounds",
                defaults.slow_rounds,
                ROUNDS,
                "rounds in a row a broker must be slow before it leaves the ISRs, e.g. 3",
            )?,
            recovery_rounds: self.count(
                &detector.recovery_rounds,
                "recovery_rounds",
                defaults.recovery_rounds,
                ROUNDS,
                "healthy rounds in a row before a mitigation is lifted, e.g. 6",
            )?,
            slow_factor: self.number(
                &detector.slow_factor,
                "slow_factor",
                defaults.slow_factor,
                |value| value > 1.0,
                "above 1",
                "how many times the cluster's median disk write p99 counts as slow, e.g. 5.0",
            )?,
            ..defaults
        }))
    }
}
