//! Linear scales and "nice" tick steps (1, 2 or 5 times a power of ten), for the shared time
//! axis and each panel's value axis.

use crate::format::fixed;

/// Maps a domain of values onto a range of pixels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scale {
    pub domain_start: f64,
    pub domain_end: f64,
    pub range_start_px: f64,
    pub range_end_px: f64,
}

impl Scale {
    pub(super) fn new(domain: (f64, f64), range_px: (f64, f64)) -> Self {
        // An empty domain would divide by zero; widen it so everything lands at its start.
        let domain_end = if domain.1 > domain.0 {
            domain.1
        } else {
            domain.0 + 1.0
        };
        Scale {
            domain_start: domain.0,
            domain_end,
            range_start_px: range_px.0,
            range_end_px: range_px.1,
        }
    }

    pub(super) fn px(&self, value: f64) -> f64 {
        let fraction = (value - self.domain_start) / (self.domain_end - self.domain_start);
        self.range_start_px + fraction * (self.range_end_px - self.range_start_px)
    }

    /// Like `px`, but never outside the range: data past the domain is drawn at its edge.
    pub(super) fn px_clamped(&self, value: f64) -> f64 {
        let (low, high) = if self.range_start_px <= self.range_end_px {
            (self.range_start_px, self.range_end_px)
        } else {
            (self.range_end_px, self.range_start_px)
        };
        self.px(value).clamp(low, high)
    }
}

/// The nice step that cuts `span` into about `target_count` pieces.
pub(super) fn nice_step(span: f64, target_count: usize) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target_count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let multiple = match raw / magnitude {
        r if r <= 1.0 => 1.0,
        r if r <= 2.0 => 2.0,
        r if r <= 5.0 => 5.0,
        _ => 10.0,
    };
    multiple * magnitude
}

/// Multiples of `step` from `start` (rounded up to a multiple) to `end`, both included.
pub(super) fn ticks(start: f64, end: f64, step: f64) -> Vec<f64> {
    let first = (start / step).ceil() as i64;
    let last = (end / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick's label, with as many decimals as the step needs and thousands as "k" once the
/// numbers get long.
pub(super) fn tick_label(value: f64, step: f64) -> String {
    if step >= 1000.0 && value.abs() >= 10_000.0 {
        return format!("{}k", tick_label(value / 1000.0, step / 1000.0));
    }
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    fixed(value, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(120.0, 12), 10.0);
        assert_eq!(nice_step(30.0, 12), 5.0);
        assert_eq!(nice_step(0.9, 12), 0.1);
        assert_eq!(nice_step(320.0, 4), 100.0);
    }

    #[test]
    fn ticks_cover_both_ends() {
        assert_eq!(
            ticks(0.0, 120.0, 20.0),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0]
        );
    }

    #[test]
    fn labels_use_the_step_precision() {
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick_label(40.0, 10.0), "40");
        assert_eq!(tick_label(20_000.0, 5000.0), "20k");
    }

    #[test]
    fn scale_maps_and_clamps() {
        let scale = Scale::new((0.0, 100.0), (100.0, 300.0));
        assert_eq!(scale.px(50.0), 200.0);
        assert_eq!(scale.px_clamped(150.0), 300.0);
    }
}
