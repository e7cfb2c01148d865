//! Reports for machines: the records as pretty JSON, field names as in the model.

use crate::model::{GateRecord, RunRecord};

/// One run as pretty JSON (the model's own field names, so it reads back with serde).
pub fn run_json(record: &RunRecord) -> String {
    // The model holds only strings, numbers, booleans and lists: serialising it cannot fail.
    serde_json::to_string_pretty(record).expect("a run record always serialises")
}

/// The gate as pretty JSON, failing runs included in full.
pub fn gate_json(record: &GateRecord) -> String {
    serde_json::to_string_pretty(record).expect("a gate record always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn run_json_round_trips() {
        let record = fixture::zone_isolation_run();
        let back: RunRecord = serde_json::from_str(&run_json(&record)).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn run_json_has_the_keys_tools_look_for() {
        let value: serde_json::Value =
            serde_json::from_str(&run_json(&fixture::zone_isolation_run())).unwrap();
        for key in [
            "scenario",
            "seed",
            "passed",
            "digest",
            "simulated_seconds",
            "wall_seconds",
            "violations",
            "faults",
            "mitigations",
        ] {
            assert!(value.get(key).is_some(), "missing key {key}");
        }
    }

    #[test]
    fn gate_json_round_trips() {
        let record = fixture::gate_with_one_failure();
        let back: GateRecord = serde_json::from_str(&gate_json(&record)).unwrap();
        assert_eq!(back, record);
    }
}
