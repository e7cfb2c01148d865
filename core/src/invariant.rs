//! Assertions in the pure state machines (TigerBeetle's style): properties that hold whatever
//! the faults, checked where the state changes, so that a seed that breaks one fails at the
//! line that broke it instead of minutes later in a checker. They are on in simulation
//! (`cfg(madsim)`, every build the testbed makes) and compiled out elsewhere; the checkers stay
//! the final and independent judges, these only make a failure point at its cause.

/// Panics with "invariant broken: ..." when `condition` is false, in simulation only. The
/// condition is not evaluated outside simulation.
#[macro_export]
macro_rules! invariant {
    ($condition:expr, $($message:tt)+) => {
        if cfg!(madsim) && !$condition {
            panic!("invariant broken: {}", format_args!($($message)+));
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg_attr(madsim, should_panic(expected = "invariant broken: 2 is not below 1"))]
    fn a_broken_invariant_panics_in_simulation_with_its_message() {
        let (low, high) = (2, 1);
        crate::invariant!(low < high, "{low} is not below {high}");
    }

    #[test]
    fn a_kept_invariant_is_silent() {
        crate::invariant!(1 < 2, "never shown");
    }
}
