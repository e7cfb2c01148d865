//! A fault's own parameters (a slow link's delay, a slow disk's multiplier), as its kind read
//! them from the scenario file or drew them, by key.

use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamValue {
    Duration(Duration),
    Number(f64),
    Flag(bool),
}

/// Parameters by key. A kind reads back only what its own `keys`/`random_keys` stored, with
/// the defaults filled in, so a missing key is a kind's bug: the getters then give zero.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamValues(BTreeMap<&'static str, ParamValue>);

impl ParamValues {
    pub fn set(&mut self, key: &'static str, value: ParamValue) {
        self.0.insert(key, value);
    }

    pub fn with(mut self, key: &'static str, value: ParamValue) -> ParamValues {
        self.set(key, value);
        self
    }

    pub fn duration(&self, key: &str) -> Duration {
        match self.0.get(key) {
            Some(ParamValue::Duration(duration)) => *duration,
            _ => Duration::ZERO,
        }
    }

    pub fn number(&self, key: &str) -> f64 {
        match self.0.get(key) {
            Some(ParamValue::Number(number)) => *number,
            _ => 0.0,
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.0.get(key), Some(ParamValue::Flag(true)))
    }

    /// Every parameter, for reports and failure messages.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, ParamValue)> + '_ {
        self.0.iter().map(|(key, value)| (*key, *value))
    }
}
