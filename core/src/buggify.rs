//! Fault points inside the system under test, as FoundationDB's BUGGIFY: a site written as
//! `buggify!()` is switched on for a whole run with probability
//! [`SITE_ACTIVATION_PROBABILITY`] the first time the run reaches it, and an active site then
//! fires with probability [`SITE_FIRING_PROBABILITY`] each time. Rare paths (a slow answer, a
//! dropped reply, a late sync) are thus exercised often in some runs and never in others.
//!
//! Sites fire only in simulation (`cfg(madsim)`) and only in runs that asked for it
//! ([`start_run`]); elsewhere `buggify!()` is `false`. Every draw comes from madsim's seeded
//! generator, so a run with buggify replays exactly like any other.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// Chance that a site is active for a run.
pub const SITE_ACTIVATION_PROBABILITY: f64 = 0.25;
/// Chance that an active site fires each time it is reached.
pub const SITE_FIRING_PROBABILITY: f64 = 0.25;

#[derive(Default)]
struct BuggifyState {
    enabled: bool,
    /// Whether each site reached so far is active in this run.
    sites: BTreeMap<&'static str, bool>,
}

thread_local! {
    // A simulation runs on one thread, so per-thread state is per-run state once
    // `start_run` resets it.
    static STATE: RefCell<BuggifyState> = RefCell::new(BuggifyState::default());
}

/// Starts a run: forgets which sites were active and switches buggify on or off.
pub fn start_run(enabled: bool) {
    STATE.with(|state| {
        *state.borrow_mut() = BuggifyState {
            enabled: enabled && cfg!(madsim),
            sites: BTreeMap::new(),
        }
    });
}

/// Stops every site firing for the rest of the run (the liveness phase heals every fault,
/// fault points included), keeping the record of which were active.
pub fn stop_firing() {
    STATE.with(|state| state.borrow_mut().enabled = false);
}

/// Whether the site at `location` fires now. Use the [`buggify!`](crate::buggify!) macro.
pub fn fires(location: &'static str) -> bool {
    #[cfg(madsim)]
    {
        use rand::Rng;
        STATE.with(|state| {
            let mut state = state.borrow_mut();
            if !state.enabled {
                return false;
            }
            let active = *state
                .sites
                .entry(location)
                .or_insert_with(|| madsim::rand::thread_rng().gen_bool(SITE_ACTIVATION_PROBABILITY));
            active && madsim::rand::thread_rng().gen_bool(SITE_FIRING_PROBABILITY)
        })
    }
    #[cfg(not(madsim))]
    {
        let _ = location;
        false
    }
}

/// The sites active in this run so far, for reports.
pub fn active_sites() -> Vec<&'static str> {
    STATE.with(|state| {
        let state = state.borrow();
        state
            .sites
            .iter()
            .filter(|(_, active)| **active)
            .map(|(site, _)| *site)
            .collect()
    })
}

/// `true` when this fault point should misbehave now (simulation only).
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify::fires(concat!(file!(), ":", line!()))
    };
}

/// A random delay of up to `max`, for sites that slow something down.
pub fn random_delay(max: std::time::Duration) -> std::time::Duration {
    #[cfg(madsim)]
    {
        use rand::Rng;
        max.mul_f64(madsim::rand::thread_rng().gen::<f64>())
    }
    #[cfg(not(madsim))]
    {
        let _ = max;
        std::time::Duration::ZERO
    }
}
