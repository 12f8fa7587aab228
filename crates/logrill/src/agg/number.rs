//! Numbers from bytes: integers exactly, decimals as `f64`, anything else (the seed's `'-'`,
//! `inf`, `nan`, `0x10`, text) is not a number.
//!
//! A [`Number`] holds a 64-bit integer: it stays 16 bytes, returned in registers on the hot
//! path of every `sum` (a 128-bit variant made `field -1 | sum` 4% slower). An integer of
//! more than 19 digits is read as a float by [`parse_number`]; the aggregates that can stay
//! exact read it again with [`parse_wide_int`] (see `Aggregate::add_text`), and a float is
//! never shown as if it were exact (see [`super::AggValue`]).

use std::cmp::Ordering;

/// A parsed number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Total order across integers and floats (integers compared exactly with each other).
    pub fn total_cmp(&self, other: &Number) -> Ordering {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.cmp(b),
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    /// The value as `f64`.
    pub fn as_f64(&self) -> f64 {
        match *self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

/// Parse a decimal number, allowing surrounding ASCII whitespace: `[+-]digits` as an
/// integer (as a float if it does not fit in 64 bits), `[+-]digits.digits[e[+-]digits]`
/// as a float.
#[inline]
pub fn parse_number(bytes: &[u8]) -> Option<Number> {
    let b = bytes.trim_ascii();
    if let Some(i) = parse_int(b) {
        return Some(Number::Int(i));
    }
    parse_float(b).map(Number::Float)
}

#[inline]
fn parse_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = signed(b)?;
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    if neg {
        if v <= i64::MAX as u64 + 1 {
            Some((v as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Whether `b` starts with a minus, and what follows its sign; `None` for nothing at all.
#[inline]
fn signed(b: &[u8]) -> Option<(bool, &[u8])> {
    Some(match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    })
}

/// An integer (`[+-]digits`, surrounding ASCII whitespace allowed) that does not fit in 64
/// bits but does in 128, exactly; `None` for anything else.
#[cold]
pub fn parse_wide_int(bytes: &[u8]) -> Option<i128> {
    let (neg, digits) = signed(bytes.trim_ascii())?;
    if digits.len() < 19 {
        return None;
    }
    let mut v: i128 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // Accumulate negatively so that i128::MIN itself fits.
        v = v.checked_mul(10)?.checked_sub(d as i128)?;
    }
    let v = if neg { v } else { v.checked_neg()? };
    i64::try_from(v).is_err().then_some(v)
}

fn parse_float(b: &[u8]) -> Option<f64> {
    // Only plain decimal notation: Rust's parser also takes `inf`, `NaN`, `infinity`.
    let body = b.strip_prefix(b"-").or(b.strip_prefix(b"+")).unwrap_or(b);
    let mut digits = 0;
    let mut seen_e = false;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => digits += usize::from(!seen_e),
            b'.' if !seen_e => {}
            b'e' | b'E' if !seen_e && digits > 0 => seen_e = true,
            b'+' | b'-' if i > 0 && matches!(body[i - 1], b'e' | b'E') => {}
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"7587"), Some(Number::Int(7587)));
        assert_eq!(parse_number(b" -12\r"), Some(Number::Int(-12)));
        assert_eq!(parse_number(b"+3"), Some(Number::Int(3)));
        assert_eq!(
            parse_number(b"-9223372036854775808"),
            Some(Number::Int(i64::MIN))
        );
        assert_eq!(
            parse_number(b"9223372036854775808"),
            Some(Number::Float(9223372036854775808.0))
        );
        assert_eq!(
            parse_wide_int(b"9223372036854775808"),
            Some(9223372036854775808)
        );
        assert_eq!(
            parse_wide_int(b" 170141183460469231731687303715884105727\n"),
            Some(i128::MAX)
        );
        assert_eq!(
            parse_wide_int(b"-170141183460469231731687303715884105728"),
            Some(i128::MIN)
        );
        // Past 128 bits, within 64, or not an integer: not a wide integer.
        for not_wide in [
            &b"170141183460469231731687303715884105728"[..],
            b"9223372036854775807",
            b"-9223372036854775808",
            b"12",
            b"12345678901234567890x",
            b"1e30",
        ] {
            assert_eq!(parse_wide_int(not_wide), None, "{not_wide:?}");
        }
        assert_eq!(parse_number(b"1.5"), Some(Number::Float(1.5)));
        assert_eq!(parse_number(b".5"), Some(Number::Float(0.5)));
        assert_eq!(parse_number(b"2e3"), Some(Number::Float(2000.0)));
        assert_eq!(parse_number(b"2.5E-1"), Some(Number::Float(0.25)));
        for bad in [
            &b"-"[..],
            b"",
            b"inf",
            b"NaN",
            b"0x10",
            b"1-2",
            b"12a",
            b"e5",
            b".",
            b"\xff",
            b"1.2.3",
        ] {
            assert_eq!(parse_number(bad), None, "{bad:?}");
        }
    }
}
