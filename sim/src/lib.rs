//! The simulated world the system under test runs in: madsim nodes laid out in availability
//! zones, the devices madsim does not model (disk), fault injectors, the run trace and the
//! checkers that judge a run from what they observe.

pub mod checkers;
pub mod devices;
pub mod faults;
pub mod progress;
pub mod report;
mod report_health;
mod report_history;
mod report_tier;
pub mod run;
pub mod samples;
pub mod scenario_file;
pub mod scenario_run;
pub mod scenarios;
pub mod trace;
pub mod workloads;
pub mod world;
