//! Numbers as people read them in messages: `400,000 rows`, `99.9%`.

/// A count with thousands separators, rounded to a whole number.
pub(crate) fn count(value: f64) -> String {
    thousands(value.round().max(0.0) as u64)
}

/// `1234567` -> `1,234,567`.
pub(crate) fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A share as a percentage with one decimal where it matters: `99.9%`, `50%`.
pub(crate) fn percent(fraction: f64) -> String {
    let value = fraction * 100.0;
    if (99.95..100.0).contains(&value) {
        return ">99.9%".to_owned();
    }
    if value > 0.0 && value < 0.05 {
        return "<0.1%".to_owned();
    }
    if (value - value.round()).abs() < 0.05 {
        format!("{}%", value.round())
    } else {
        format!("{value:.1}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(400000.0), "400,000");
        assert_eq!(count(1234567.4), "1,234,567");
    }

    #[test]
    fn percentages_drop_needless_decimals() {
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(0.99975), ">99.9%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.9991), "99.9%");
        assert_eq!(percent(0.00004), "<0.1%");
        assert_eq!(percent(0.0), "0%");
    }
}
