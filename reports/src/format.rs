//! Numbers as text, with fixed precision, so the same record always renders to the same bytes.

/// `x` with exactly `decimals` digits after the point; never "-0.0", never "NaN" surprises.
pub(crate) fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let text = format!("{x:.decimals$}");
    // A tiny negative rounds to "-0.0", which reads as a different number than "0.0".
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

/// A moment or a duration in simulated time, to the millisecond, without trailing zeros
/// ("31.042 s", "30.0 s").
pub(crate) fn seconds(x: f64) -> String {
    let text = fixed(x, 3);
    if !text.contains('.') {
        return format!("{text} s");
    }
    let trimmed = text.trim_end_matches('0');
    let trimmed = if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_string()
    };
    format!("{trimmed} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_precision_never_shows_negative_zero() {
        assert_eq!(fixed(-0.00001, 1), "0.0");
        assert_eq!(fixed(2.26, 1), "2.3");
        assert_eq!(fixed(f64::NAN, 2), "n/a");
    }

    #[test]
    fn seconds_keep_milliseconds_and_drop_trailing_zeros() {
        assert_eq!(seconds(31.042), "31.042 s");
        assert_eq!(seconds(30.0), "30.0 s");
        assert_eq!(seconds(0.5), "0.5 s");
    }
}
