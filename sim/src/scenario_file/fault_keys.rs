//! The keys of a fault entry that belong to its kind (a slow link's `delay`, a storm's
//! `error_rate`), and of `[random_faults]` that set drawn parameters. The kind reads them
//! through [`FaultKeys`]; a key no kind read is an error naming the kinds that take it.

use std::ops::Range;
use std::time::Duration;

use super::error::ScenarioError;
use super::validate::Validator;
use super::values::parse_duration;
use crate::faults::{closest_name, FaultKind, ParamValue, ParamValues};

/// A key the fixed part of a table does not know, with its place in the file.
#[derive(Debug, Clone)]
pub struct ExtraKey {
    pub key: String,
    pub key_span: Range<usize>,
    pub value_span: Range<usize>,
    pub value: toml::Value,
}

/// Which table the keys come from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyTable {
    /// A `[[faults]]` entry of this kind.
    Fault(FaultKind),
    RandomFaults,
}

/// The extra keys of one table, read by a kind.
pub struct FaultKeys<'a> {
    validator: Option<&'a Validator<'a>>,
    table: KeyTable,
    entries: Vec<ExtraKey>,
    values: ParamValues,
    /// Every key a kind asked for (to say which kinds take a key).
    requested: Vec<&'static str>,
}

impl<'a> FaultKeys<'a> {
    pub(super) fn new(validator: &'a Validator<'a>, table: KeyTable, entries: Vec<ExtraKey>) -> Self {
        FaultKeys {
            validator: Some(validator),
            table,
            entries,
            values: ParamValues::default(),
            requested: Vec::new(),
        }
    }

    /// Keys with nothing written: what a kind reads, and its defaults.
    fn probe(table: KeyTable) -> FaultKeys<'static> {
        FaultKeys {
            validator: None,
            table,
            entries: Vec::new(),
            values: ParamValues::default(),
            requested: Vec::new(),
        }
    }

    fn take(&mut self, key: &'static str) -> Option<ExtraKey> {
        self.requested.push(key);
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        Some(self.entries.remove(index))
    }

    fn error(&self, span: Range<usize>, message: String, hint: impl Into<String>) -> ScenarioError {
        match self.validator {
            Some(validator) => validator.error(span, message).with_hint(hint),
            None => ScenarioError {
                file: Default::default(),
                line: 0,
                column: 0,
                message,
                hint: Some(hint.into()),
            },
        }
    }

    /// A duration written as text ("2s"), or `default`; `valid` is what `requirement` says.
    pub fn duration(
        &mut self,
        key: &'static str,
        default: Duration,
        valid: impl Fn(Duration) -> bool,
        requirement: &str,
        hint: &str,
    ) -> Result<Duration, ScenarioError> {
        let value = match self.take(key) {
            None => default,
            Some(entry) => {
                let parsed = match &entry.value {
                    toml::Value::String(text) => parse_duration(text),
                    other => Err(format!(
                        "`{key}` must be a duration written as a string, like \"2s\", not {}",
                        other.type_str()
                    )),
                };
                match parsed {
                    Ok(duration) if valid(duration) => duration,
                    Ok(_) => {
                        return Err(self.error(
                            entry.value_span,
                            format!("{key} must be {requirement}"),
                            hint,
                        ))
                    }
                    Err(message) => return Err(self.error(entry.value_span, message, hint)),
                }
            }
        };
        self.values.set(key, ParamValue::Duration(value));
        Ok(value)
    }

    /// A number, or `default`; `valid` is what `requirement` says.
    pub fn number(
        &mut self,
        key: &'static str,
        default: f64,
        valid: impl Fn(f64) -> bool,
        requirement: &str,
        hint: &str,
    ) -> Result<f64, ScenarioError> {
        let value = match self.take(key) {
            None => default,
            Some(entry) => {
                let number = match entry.value {
                    toml::Value::Float(number) => Some(number),
                    toml::Value::Integer(number) => Some(number as f64),
                    _ => None,
                };
                match number {
                    Some(number) if number.is_finite() && valid(number) => number,
                    _ => {
                        return Err(self.error(
                            entry.value_span,
                            format!("{key} must be {requirement}"),
                            hint,
                        ))
                    }
                }
            }
        };
        self.values.set(key, ParamValue::Number(value));
        Ok(value)
    }

    /// `true` or `false`, or `default`.
    pub fn flag(&mut self, key: &'static str, default: bool) -> Result<bool, ScenarioError> {
        let value = match self.take(key) {
            None => default,
            Some(entry) => match entry.value {
                toml::Value::Boolean(flag) => flag,
                other => {
                    return Err(self.error(
                        entry.value_span,
                        format!("{key} must be true or false, not {}", other.type_str()),
                        format!("write {key} = true"),
                    ))
                }
            },
        };
        self.values.set(key, ParamValue::Flag(value));
        Ok(value)
    }

    /// The values read; any key left is an error at its place.
    pub(super) fn finish(mut self, common: &[&str]) -> Result<ParamValues, ScenarioError> {
        let Some(entry) = (!self.entries.is_empty()).then(|| self.entries.remove(0)) else {
            return Ok(self.values);
        };
        let takers = kinds_taking(&entry.key, self.table);
        let (message, hint) = match (self.table, takers.is_empty()) {
            (KeyTable::Fault(kind), false) => (
                format!("`{}` does not apply to fault `{kind}`", entry.key),
                format!("`{}` belongs to {} faults", entry.key, quoted(&takers)),
            ),
            (table, _) => {
                let mut known: Vec<&str> = common.to_vec();
                let own = match table {
                    KeyTable::Fault(kind) => kind_keys(kind, table),
                    KeyTable::RandomFaults => {
                        FaultKind::all().flat_map(|kind| kind_keys(kind, table)).collect()
                    }
                };
                known.extend(own);
                let guess = closest_name(&entry.key, known.iter().copied())
                    .map(|guess| format!("did you mean `{guess}`? "))
                    .unwrap_or_default();
                let place = match table {
                    KeyTable::Fault(kind) => format!("a `{kind}` fault"),
                    KeyTable::RandomFaults => "[random_faults]".to_string(),
                };
                (
                    format!("unknown field `{}`: {place} takes {}", entry.key, quoted(&known)),
                    format!("{guess}every key is listed in scenarios/REFERENCE.md"),
                )
            }
        };
        Err(self.error(entry.key_span, message, hint))
    }
}

fn quoted(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match names.as_slice() {
        [] => "no".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The keys `kind` reads in `table`.
fn kind_keys(kind: FaultKind, table: KeyTable) -> Vec<&'static str> {
    let mut probe = FaultKeys::probe(table);
    let module = kind.module();
    let _ = match table {
        KeyTable::Fault(_) => module.keys(&mut probe),
        KeyTable::RandomFaults => module.random_keys(&mut probe),
    };
    probe.requested
}

/// The kinds that read `key` in a table like `table`.
fn kinds_taking(key: &str, table: KeyTable) -> Vec<&'static str> {
    FaultKind::all()
        .filter(|kind| {
            let table = match table {
                KeyTable::Fault(_) => KeyTable::Fault(*kind),
                KeyTable::RandomFaults => KeyTable::RandomFaults,
            };
            kind_keys(*kind, table).contains(&key)
        })
        .map(FaultKind::name)
        .collect()
}
