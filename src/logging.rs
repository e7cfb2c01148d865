//! A readable log of a run: simulated time first, then the node (madsim's span), then the
//! event. `-v` turns on the trace at debug level; `RUST_LOG` chooses any other filter.

use std::fmt;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::EnvFilter;

/// Prints madsim's simulated time, or nothing outside a simulation.
struct SimulatedTime;

impl FormatTime for SimulatedTime {
    fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
        match madsim::time::TimeHandle::try_current() {
            Some(time) => write!(writer, "{:>10.3}s", time.elapsed().as_secs_f64()),
            None => write!(writer, "{:>11}", "-"),
        }
    }
}

/// Installs the log when `verbose` or `RUST_LOG` asks for one.
pub fn install(verbose: bool) {
    let from_environment = std::env::var("RUST_LOG").ok().filter(|value| !value.is_empty());
    let filter = match (from_environment, verbose) {
        (Some(filter), _) => EnvFilter::new(filter),
        (None, true) => EnvFilter::new("warn,korasim=debug"),
        (None, false) => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(SimulatedTime)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
