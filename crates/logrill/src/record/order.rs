//! How values compare, order and group, in one place: [`order`] for `where` (a string
//! holding a number compares with a number as one), [`total_order`] for everything that
//! sorts or picks an extreme (`sort`, `by` rows, `distinct`, `min`/`max`), and the key
//! encoding that decides what a group calls one key.

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

/// Order values for output (`sort`, `by` rows, `distinct`, `min`/`max`): a total order,
/// as Rust's sorts require, so that no mix of values can make a sort panic or a result
/// depend on input order. Values order first by their kind, null < bool < number < time <
/// string, then within it: booleans false first; numbers by their exact value (integers
/// and floats compared without rounding, `-0.0` equal to `0`, NaN after every other
/// number); times by instant; strings by their bytes, whatever they hold.
///
/// This is not [`order`], which `where` uses: there a string holding a number compares with
/// a number as one. Sorting cannot do that and stay consistent (`"10" < "9"` by bytes,
/// but `"9" < 9.5 < "10"` as numbers), so in a sort a string is a string.
pub fn total_order(a: &Value<'_>, b: &Value<'_>) -> Ordering {
    let kind = |v: &Value<'_>| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Time(_) => 3,
        Value::Str(_) => 4,
    };
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => float_order(*x, *y),
        (Value::Int(x), Value::Float(y)) => int_float_order(*x, *y),
        (Value::Float(x), Value::Int(y)) => int_float_order(*y, *x).reverse(),
        (Value::Time(x), Value::Time(y)) => x.unix_micros().cmp(&y.unix_micros()),
        (Value::Str(x), Value::Str(y)) => x.as_ref().cmp(y.as_ref()),
        _ => kind(a).cmp(&kind(b)),
    }
}

/// Two floats in [`total_order`]: by value, `-0.0 == 0.0`, every NaN equal to every other
/// and after all numbers.
fn float_order(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// An integer against a float, exactly: converting the integer to `f64` would round
/// (2^53 + 1 would equal 2^53.0), and equalities that round are not transitive.
fn int_float_order(i: i64, f: f64) -> Ordering {
    /// 2^63, exactly representable: every i64 is below it and at or above its negation.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() {
        return Ordering::Less;
    }
    if f >= TWO_63 {
        return Ordering::Less;
    }
    if f < -TWO_63 {
        return Ordering::Greater;
    }
    // Here `f` is in [-2^63, 2^63): its integer part fits in an i64 exactly.
    let whole = f.trunc();
    #[allow(clippy::cast_possible_truncation)]
    let w = whole as i64;
    i.cmp(&w).then_with(|| {
        let frac = f - whole;
        if frac > 0.0 {
            Ordering::Less
        } else if frac < 0.0 {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Values of every kind, with the awkward ones often: integers near floats, NaN, −0.0,
    /// huge integers and floats around 2^53 and 2^63, strings that read as numbers
    /// ("12", "1e3", " 7"), strings that read as times, hex ("7f", "1a2"), empty strings.
    fn value() -> impl Strategy<Value = Value<'static>> {
        let int = prop_oneof![
            -20i64..20,
            Just(i64::MAX),
            Just(i64::MIN),
            Just((1 << 53) + 1),
            Just(1 << 53),
            any::<i64>(),
        ];
        let float = prop_oneof![
            (-40i32..40).prop_map(|h| f64::from(h) / 2.0),
            Just(f64::NAN),
            Just(-0.0),
            Just(0.0),
            Just(9_007_199_254_740_992.0),
            Just(9_223_372_036_854_775_808.0),
            Just(-9_223_372_036_854_775_808.0),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            any::<f64>(),
        ];
        let text = prop_oneof![
            (-20i64..20).prop_map(|i| i.to_string()),
            (0u32..4096).prop_map(|i| format!("{i:x}")),
            (-40i32..40).prop_map(|h| format!("{}", f64::from(h) / 2.0)),
            Just(String::new()),
            Just("nan".to_owned()),
            Just("-0.0".to_owned()),
            Just(" 7".to_owned()),
            Just("1e3".to_owned()),
            Just("2023-10-01".to_owned()),
            Just("2023-10-01T00:00:00-06:00".to_owned()),
            "[a-z0-9.]{0,4}",
        ];
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            int.prop_map(Value::Int),
            float.prop_map(Value::Float),
            text.prop_map(|s| Value::Str(Cow::Owned(s.into_bytes()))),
            (0i64..3)
                .prop_map(|d| Value::Time(Timestamp::from_parts(1_696_118_400_000_000 + d, None))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// `total_order` is a total order: antisymmetric and transitive, for `<` and `==`
        /// alike, over any three values.
        #[test]
        fn total_order_is_a_total_order(a in value(), b in value(), c in value()) {
            prop_assert_eq!(total_order(&a, &b), total_order(&b, &a).reverse());
            prop_assert_eq!(total_order(&a, &a), Ordering::Equal);
            let (ab, bc, ac) = (total_order(&a, &b), total_order(&b, &c), total_order(&a, &c));
            if ab != Ordering::Greater && bc != Ordering::Greater {
                prop_assert_ne!(ac, Ordering::Greater, "{:?} <= {:?} <= {:?}", a, b, c);
                if ab == Ordering::Equal && bc == Ordering::Equal {
                    prop_assert_eq!(ac, Ordering::Equal, "{:?} == {:?} == {:?}", a, b, c);
                }
                if ab == Ordering::Less || bc == Ordering::Less {
                    prop_assert_eq!(ac, Ordering::Less, "{:?} <= {:?} <= {:?}", a, b, c);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Sorting any mix with it does not panic, and leaves every neighbour pair in order.
        #[test]
        fn any_mix_sorts(mut v in proptest::collection::vec(value(), 0..200)) {
            v.sort_by(total_order);
            for w in v.windows(2) {
                prop_assert_ne!(total_order(&w[0], &w[1]), Ordering::Greater);
            }
        }
    }

    /// The documented order, case by case: kinds first, numbers exactly, strings by bytes.
    #[test]
    fn documented_cases() {
        let s = |t: &str| Value::Str(Cow::Owned(t.as_bytes().to_vec()));
        use Ordering::*;
        let cases = [
            (Value::Null, Value::Bool(false), Less),
            (Value::Bool(true), Value::Int(-5), Less),
            (Value::Int(3), Value::Float(3.0), Equal),
            (Value::Float(-0.0), Value::Int(0), Equal),
            (Value::Int(3), Value::Float(3.5), Less),
            (Value::Int(-3), Value::Float(-3.5), Greater),
            (
                Value::Int((1 << 53) + 1),
                Value::Float(9_007_199_254_740_992.0),
                Greater,
            ),
            (
                Value::Int(i64::MAX),
                Value::Float(9_223_372_036_854_775_808.0),
                Less,
            ),
            (Value::Float(f64::INFINITY), Value::Float(f64::NAN), Less),
            (Value::Int(i64::MAX), Value::Float(f64::NAN), Less),
            (Value::Float(f64::NAN), Value::Float(-f64::NAN), Equal),
            (Value::Int(1_000_000), s("12"), Less),
            (s("10"), s("9"), Less),
            (s(""), s("0"), Less),
            (
                Value::Float(f64::NAN),
                Value::Time(Timestamp::from_parts(0, None)),
                Less,
            ),
            (Value::Time(Timestamp::from_parts(0, None)), s(""), Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(total_order(&a, &b), want, "{a:?} vs {b:?}");
            assert_eq!(total_order(&b, &a), want.reverse(), "{b:?} vs {a:?}");
        }
    }
}
