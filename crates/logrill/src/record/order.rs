//! How values compare, order and group: the one definition that `where`, `sort`, `min`/`max`
//! and `by` all use, so that what a filter calls equal is what a group calls one key.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::agg::Number;

use super::{parse_iso8601, Timestamp, Value};

/// A value as a number: numbers, and strings that hold one.
pub fn number(v: &Value<'_>) -> Option<Number> {
    match v {
        Value::Int(i) => Some(Number::Int(*i)),
        Value::Float(x) => Some(Number::Float(*x)),
        Value::Str(s) => crate::agg::parse_number(s),
        _ => None,
    }
}

/// Order two values if they are comparable: numbers with numbers (strings holding numbers
/// included), times with times (a string holding a time included), strings by bytes,
/// booleans with booleans. Null is comparable with nothing.
pub fn order(a: &Value<'_>, b: &Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Time(x), Value::Time(y)) => Some(x.unix_micros().cmp(&y.unix_micros())),
        (Value::Time(x), Value::Str(s)) => {
            time_of_text(s).map(|y| x.unix_micros().cmp(&y.unix_micros()))
        }
        (Value::Str(s), Value::Time(y)) => {
            time_of_text(s).map(|x| x.unix_micros().cmp(&y.unix_micros()))
        }
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (number(a)?, number(b)?) {
            (Number::Int(x), Number::Int(y)) => Some(x.cmp(&y)),
            (x, y) => x.as_f64().partial_cmp(&y.as_f64()),
        },
    }
}

/// Order values for output: comparable values by [`order`], then by type.
pub fn total_order(a: &Value<'_>, b: &Value<'_>) -> Ordering {
    if let Some(o) = order(a, b) {
        return o;
    }
    let rank = |v: &Value<'_>| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Time(_) => 3,
        Value::Str(_) => 4,
    };
    rank(a).cmp(&rank(b))
}

/// Append a tagged encoding of `v` to `out`: equal values encode equally, different
/// values (of any types) differently. Group keys and the sets of `distinct`, `top` and
/// `count_distinct` are keyed by these bytes, so finding a value's entry allocates nothing.
pub fn encode_key(v: &Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend([1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend(i.to_le_bytes());
        }
        Value::Float(x) => {
            out.push(3);
            out.extend(x.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            out.extend((s.len() as u64).to_le_bytes());
            out.extend_from_slice(s);
        }
        Value::Time(t) => {
            out.push(5);
            out.extend(t.unix_micros().to_le_bytes());
            out.extend(t.offset_seconds().unwrap_or(i32::MIN).to_le_bytes());
        }
    }
}

/// Read back one value written by [`encode_key`] at the start of `bytes`: the value
/// (strings borrowed from `bytes`) and the bytes after it; `None` if `bytes` does not start
/// with an encoded value. Group tables keep their keys only as these bytes.
pub fn decode_key(bytes: &[u8]) -> Option<(Value<'_>, &[u8])> {
    let (&tag, rest) = bytes.split_first()?;
    let eight = |b: &[u8]| -> Option<[u8; 8]> { b.get(..8)?.try_into().ok() };
    Some(match tag {
        0 => (Value::Null, rest),
        1 => (Value::Bool(*rest.first()? != 0), rest.get(1..)?),
        2 => (Value::Int(i64::from_le_bytes(eight(rest)?)), rest.get(8..)?),
        3 => (
            Value::Float(f64::from_bits(u64::from_le_bytes(eight(rest)?))),
            rest.get(8..)?,
        ),
        4 => {
            let len = usize::try_from(u64::from_le_bytes(eight(rest)?)).ok()?;
            let end = len.checked_add(8)?;
            (
                Value::Str(Cow::Borrowed(rest.get(8..end)?)),
                rest.get(end..)?,
            )
        }
        5 => {
            let micros = i64::from_le_bytes(eight(rest)?);
            let offset = i32::from_le_bytes(rest.get(8..12)?.try_into().ok()?);
            let offset = (offset != i32::MIN).then_some(offset);
            (
                Value::Time(Timestamp::from_parts(micros, offset)),
                rest.get(12..)?,
            )
        }
        _ => return None,
    })
}

/// A time written in a pipeline, bare (`2023-10-01`) or quoted (`"2023-10-01"`, as SQL
/// users write it): RFC 3339 (`2023-10-01T13:00:00-06:00`; without an offset, UTC), or a
/// date alone, which means midnight **UTC** of that day. (A log's times carry their own
/// offset; for midnight of a −06:00 log's day, write `2023-10-01T00:00:00-06:00`.)
pub fn time_of_text(text: &[u8]) -> Option<Timestamp> {
    if text.len() == 10 {
        let mut full = text.to_vec();
        full.extend_from_slice(b"T00:00:00Z");
        return parse_iso8601(&full);
    }
    parse_iso8601(text)
}
