//! Field values: what a parsed field holds.
//!
//! Strings are bytes, not `str`: logs are not always UTF-8 (Apache writes `\xhh` escapes for
//! any byte, nginx too, and other programs write raw Latin-1), and refusing or mangling such
//! lines at parse time would lose information that a later `grep` or `count by` may need.
//! Decoding happens only at the edge, when a value is printed (lossy UTF-8, see
//! [`Value::to_json`] and the `Display` impl).
//!
//! A string borrows from the line (`Cow::Borrowed`) unless an escape had to be undone, so
//! the common case parses without allocating.

use std::borrow::Cow;
use std::fmt;

use super::time::Timestamp;

/// The value of one field of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Absent (`-` in Apache and nginx logs, JSON `null`, an optional regex group that did
    /// not take part).
    Null,
    /// `true` / `false` (JSON, logfmt flags).
    Bool(bool),
    /// An exact integer: status codes, byte counts, ports, pids.
    Int(i64),
    /// A number with a fraction (nginx `$request_time`, JSON `1.5`, durations in seconds).
    Float(f64),
    /// Bytes, borrowed from the line unless an escape was undone.
    Str(Cow<'a, [u8]>),
    /// An instant with the UTC offset it was written with.
    Time(Timestamp),
}

impl<'a> Value<'a> {
    /// A string value borrowing `bytes`.
    #[inline]
    pub fn borrowed(bytes: &'a [u8]) -> Value<'a> {
        Value::Str(Cow::Borrowed(bytes))
    }

    /// Whether the value is [`Value::Null`].
    #[inline]
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The bytes of a string value.
    #[inline]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if the value is one.
    #[inline]
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as a float: integers and floats; strings are *not* converted here (the
    /// query layer decides whether `"12"` counts as a number).
    #[inline]
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(i) => Some(i as f64),
            Value::Float(x) => Some(x),
            _ => None,
        }
    }

    /// The timestamp, if the value is one.
    #[inline]
    pub fn as_time(&self) -> Option<Timestamp> {
        match *self {
            Value::Time(t) => Some(t),
            _ => None,
        }
    }

    /// The name of the value's type, for messages: `null`, `bool`, `int`, `float`,
    /// `string`, `time`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Time(_) => "time",
        }
    }

    /// A copy that owns its bytes, to keep beyond the line (group-by keys, examples).
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(x) => Value::Float(x),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Time(t) => Value::Time(t),
        }
    }

    /// The value as JSON: strings decoded as UTF-8 (invalid sequences become U+FFFD),
    /// times as RFC 3339 strings, non-finite floats as `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(String::from_utf8_lossy(s).into_owned()),
            Value::Time(t) => serde_json::Value::String(t.to_string()),
        }
    }

    /// Append the value as text to `out`: strings as their raw bytes (no decoding), null as
    /// nothing, times in RFC 3339. For TSV-like output that must not alter bytes.
    pub fn write_text(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        match self {
            Value::Null => {}
            Value::Str(s) => out.extend_from_slice(s),
            // Writing into a Vec cannot fail.
            other => {
                let _ = write!(out, "{other}");
            }
        }
    }

    /// Infer a number from text written by a program that does not type its fields (logfmt,
    /// regex groups): canonical integers (`0`, `-12`, no leading zeros, no `+`) become
    /// [`Value::Int`], canonical decimals (`1.5`, `-0.25`, `2.0e3`) become
    /// [`Value::Float`], anything else stays a string. Leading zeros keep a value a string,
    /// so an identifier such as `007` or a zip code is not changed.
    pub fn infer(bytes: &'a [u8]) -> Value<'a> {
        match classify_number(bytes) {
            NumberShape::Int => match parse_i64(bytes) {
                Some(i) => Value::Int(i),
                None => Value::borrowed(bytes),
            },
            NumberShape::Float => {
                match std::str::from_utf8(bytes).ok().and_then(|s| s.parse().ok()) {
                    Some(x) => Value::Float(x),
                    None => Value::borrowed(bytes),
                }
            }
            NumberShape::Not => Value::borrowed(bytes),
        }
    }
}

impl fmt::Display for Value<'_> {
    /// Strings lossily decoded as UTF-8, null as nothing, floats in the shortest form that
    /// reads back the same, times in RFC 3339.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => crate::agg::write_float(f, *x),
            Value::Str(s) => f.write_str(&String::from_utf8_lossy(s)),
            Value::Time(t) => write!(f, "{t}"),
        }
    }
}

/// What a piece of text looks like as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberShape {
    Int,
    Float,
    Not,
}

/// JSON's number grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub(crate) fn classify_number(b: &[u8]) -> NumberShape {
    // The position after the run of digits from `i`.
    let digits = |mut i: usize| {
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        i
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return NumberShape::Not,
    }
    let mut float = false;
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return NumberShape::Not;
        }
        (i, float) = (end, true);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return NumberShape::Not;
        }
        (i, float) = (end, true);
    }
    if i != b.len() {
        NumberShape::Not
    } else if float {
        NumberShape::Float
    } else {
        NumberShape::Int
    }
}

/// `-?[0-9]+` as an `i64`; `None` if empty, not digits, or out of range.
#[inline]
pub(crate) fn parse_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        let d = d.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        // Accumulate negatively so that i64::MIN is representable.
        v = v.checked_mul(10)?.checked_sub(d as i64)?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_exactly_and_refuse_overflow() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-17"), Some(-17));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-"), None);
        assert_eq!(parse_i64(b""), None);
        assert_eq!(parse_i64(b"12a"), None);
    }

    #[test]
    fn inference_keeps_identifiers_as_strings() {
        assert_eq!(Value::infer(b"200"), Value::Int(200));
        assert_eq!(Value::infer(b"-3"), Value::Int(-3));
        assert_eq!(Value::infer(b"0.25"), Value::Float(0.25));
        assert_eq!(Value::infer(b"1e3"), Value::Float(1000.0));
        assert_eq!(Value::infer(b"007"), Value::borrowed(b"007"));
        assert_eq!(Value::infer(b"+1"), Value::borrowed(b"+1"));
        assert_eq!(Value::infer(b"1."), Value::borrowed(b"1."));
        assert_eq!(Value::infer(b"-"), Value::borrowed(b"-"));
        assert_eq!(Value::infer(b""), Value::borrowed(b""));
        assert_eq!(Value::infer(b"nan"), Value::borrowed(b"nan"));
        // Too big for i64: stays text rather than silently becoming a float.
        assert_eq!(
            Value::infer(b"99999999999999999999"),
            Value::borrowed(b"99999999999999999999")
        );
    }

    #[test]
    fn display_and_json() {
        assert_eq!(Value::Null.to_string(), "");
        assert_eq!(Value::borrowed(b"a\xffb").to_string(), "a\u{fffd}b");
        assert_eq!(Value::Float(0.1).to_json(), serde_json::json!(0.1));
        assert_eq!(Value::Float(f64::NAN).to_json(), serde_json::Value::Null);
        let mut out = Vec::new();
        Value::borrowed(b"a\xffb").write_text(&mut out);
        assert_eq!(out, b"a\xffb");
        assert_eq!(Value::Int(3).type_name(), "int");
    }
}
