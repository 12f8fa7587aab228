//! Numbers from bytes: integers exactly (in 128 bits), decimals as `f64`, anything else
//! (the seed's `'-'`, `inf`, `nan`, `0x10`, text) is not a number. An integer too long for
//! 128 bits is read as a float, and shown as one (with an exponent: see
//! [`super::AggValue`]), never as if it were exact.

use std::cmp::Ordering;

/// A parsed number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
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
/// integer (as a float if it does not fit in 128 bits), `[+-]digits.digits[e[+-]digits]`
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
fn parse_int(b: &[u8]) -> Option<i128> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    if digits.len() > 19 {
        return parse_wide_int(neg, digits);
    }
    // Up to 19 digits fit in a u64: the common case, without 128-bit multiplies.
    let mut v: u64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + d as u64;
    }
    let v = v as i128;
    Some(if neg { -v } else { v })
}

/// An integer of more than 19 digits, exactly, if it fits in 128 bits.
#[cold]
fn parse_wide_int(neg: bool, digits: &[u8]) -> Option<i128> {
    let mut v: i128 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // Accumulate negatively so that i128::MIN itself fits.
        v = v.checked_mul(10)?.checked_sub(d as i128)?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
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
            Some(Number::Int(i64::MIN as i128))
        );
        assert_eq!(
            parse_number(b"9223372036854775808"),
            Some(Number::Int(9223372036854775808))
        );
        assert_eq!(
            parse_number(b"170141183460469231731687303715884105727"),
            Some(Number::Int(i128::MAX))
        );
        assert_eq!(
            parse_number(b"-170141183460469231731687303715884105728"),
            Some(Number::Int(i128::MIN))
        );
        // One past the 128-bit range: a float.
        assert_eq!(
            parse_number(b"170141183460469231731687303715884105728"),
            Some(Number::Float(1.7014118346046923e38))
        );
        assert_eq!(parse_number(b"12345678901234567890x"), None);
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
