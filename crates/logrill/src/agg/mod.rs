//! Aggregates: every aggregate state of the pipeline language, each mergeable.
//!
//! * `count`, `sum`, `min`, `max`, `avg` of numbers: [`Aggregate`] (this file);
//! * `min`/`max` of any comparable values: [`Extreme`]; `distinct` / `count_distinct`:
//!   [`Distinct`] / [`CountDistinct`]; percentiles: [`Percentile`]; `top N`: [`Top`];
//!   `first` / `last`: [`FirstLast`];
//! * [`AggState`]: the closed enum over all of them that a plan updates per record;
//! * [`Groups`]: states per `by` key; [`StateLimitError`]: the bound on what they keep.
//!
//! Results are exact: integers are read and summed as integers (in 128 bits; a sum that
//! passes the 128-bit range on the way but ends inside it is still exact), and a sum prints
//! as an integer unless a fractional value was added. A result that cannot be exact (a
//! float, a sum that ends beyond 128 bits) never looks exact: floats of 2^53 and more are
//! printed with an exponent (`1.7014118346046923e38`), since their digits past the 16th are
//! not known. (angle-grinder sums in `f64`, so `9007199254740993 + 1` comes out wrong there.)
//! Every aggregate can [`merge`](Aggregate::merge) another's partial state, so inputs can be
//! processed separately and combined, and a running result can be read at any time.

mod distinct;
mod extreme;
mod first_last;
mod groups;
mod limit;
mod number;
mod percentile;
mod state;
mod top;
mod wire;

pub use distinct::{CountDistinct, Distinct};
pub use extreme::Extreme;
pub use first_last::FirstLast;
pub(crate) use groups::{key_order, key_values, GroupAt};
pub use groups::{Groups, SortedGroups, States};
pub use limit::{check as check_state_limit, StateLimitError, DEFAULT_STATE_LIMIT};
pub use number::{parse_number, parse_wide_int, Number};
pub use percentile::Percentile;
pub use state::{AggFn, AggState, Unusable};
use std::fmt;
pub use top::Top;
pub use wire::WireError;
pub(crate) use wire::{Reader as WireReader, Writer as WireWriter};

/// Which aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggKind {
    Count,
    Sum,
    Min,
    Max,
    Avg,
}

impl AggKind {
    /// The aggregate's name in the pipeline language.
    pub fn name(self) -> &'static str {
        match self {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Avg => "avg",
        }
    }

    /// Look up an aggregate by name.
    pub fn from_name(name: &str) -> Option<AggKind> {
        Some(match name {
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "avg" => AggKind::Avg,
            _ => return None,
        })
    }

    /// Whether the aggregate needs numbers (all but `count`).
    pub fn needs_numbers(self) -> bool {
        self != AggKind::Count
    }
}

/// The result of an aggregate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggValue {
    /// An exact integer.
    Int(i128),
    /// A number with a fraction.
    Float(f64),
    /// No value (the minimum of nothing).
    Null,
}

impl fmt::Display for AggValue {
    /// Integers exactly; floats in the shortest form that reads back the same (see
    /// [`write_float`]); null as nothing (as awk prints an unset variable).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AggValue::Int(i) => write!(f, "{i}"),
            AggValue::Float(x) => write_float(f, *x),
            AggValue::Null => Ok(()),
        }
    }
}

/// Beyond this magnitude not every integer is a float, so a float's digits no longer say
/// its exact value.
const EXACT_FLOAT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// A float in the shortest form that reads back the same, with an exponent from 2^53 on
/// (`1.7014118346046923e38`, not `170141183460469230000000000000000000000`, which reads
/// as an exact integer that it is not).
pub fn write_float(f: &mut impl fmt::Write, x: f64) -> fmt::Result {
    if x.is_finite() && x.abs() >= EXACT_FLOAT_LIMIT {
        write!(f, "{x:e}")
    } else {
        write!(f, "{x}")
    }
}

impl AggValue {
    /// As JSON: integers beyond what JSON readers keep exactly (2^53) are still written as
    /// exact integers, since serde_json writes `i128` digits.
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            AggValue::Int(i) => match i64::try_from(i) {
                Ok(i) => serde_json::Value::from(i),
                Err(_) => serde_json::Value::String(i.to_string()),
            },
            AggValue::Float(x) => serde_json::Number::from_f64(x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            AggValue::Null => serde_json::Value::Null,
        }
    }
}

/// An exact running sum of integers and floats. The integer part is kept in 128 bits plus
/// a count of wraps, so a sum that passes the 128-bit range on the way but ends inside it
/// (`i128::MAX + 1 - 1`) is exact; one that ends outside is a float.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Total {
    /// The 128-bit integer part as two halves (low, high), so that a `Total` needs only
    /// 8-byte alignment: an `i128` field would pad every group's aggregate state to 16
    /// bytes (80 bytes a `count` state instead of 64).
    int: [u64; 2],
    /// How many times `int` wrapped: the exact sum is `int + wraps × 2^128`.
    wraps: i64,
    float: f64,
    has_float: bool,
}

/// An `i128` as the (low, high) halves [`Total`] stores.
#[inline]
fn int_halves(i: i128) -> [u64; 2] {
    [i as u64, (i >> 64) as u64]
}

impl Total {
    #[inline]
    fn add(&mut self, n: Number) {
        match n {
            Number::Int(i) => self.add_int(i as i128),
            Number::Float(x) => {
                self.float += x;
                self.has_float = true;
            }
        }
    }

    #[inline]
    fn add_int(&mut self, i: i128) {
        let (sum, wrapped) = self.int().overflowing_add(i);
        self.int = int_halves(sum);
        if wrapped {
            self.wraps += if i > 0 { 1 } else { -1 };
        }
    }

    #[inline]
    fn int(&self) -> i128 {
        (((self.int[1] as u128) << 64) | self.int[0] as u128) as i128
    }

    fn merge(&mut self, o: &Total) {
        self.add_int(o.int());
        self.wraps = self.wraps.saturating_add(o.wraps);
        self.float += o.float;
        self.has_float |= o.has_float;
    }

    /// The integer part as a float (also when it is beyond 128 bits).
    fn int_as_f64(&self) -> f64 {
        self.int() as f64 + self.wraps as f64 * 2f64.powi(128)
    }

    fn value(&self) -> AggValue {
        if self.has_float {
            AggValue::Float(self.int_as_f64() + self.float)
        } else if self.wraps != 0 {
            AggValue::Float(self.int_as_f64())
        } else {
            AggValue::Int(self.int())
        }
    }
}

/// The running state of one aggregate.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    Count(u64),
    Sum(Total),
    Min(Option<Number>),
    Max(Option<Number>),
    Avg { total: Total, n: u64 },
}

impl Aggregate {
    /// A fresh aggregate of `kind`.
    pub fn new(kind: AggKind) -> Aggregate {
        match kind {
            AggKind::Count => Aggregate::Count(0),
            AggKind::Sum => Aggregate::Sum(Total::default()),
            AggKind::Min => Aggregate::Min(None),
            AggKind::Max => Aggregate::Max(None),
            AggKind::Avg => Aggregate::Avg {
                total: Total::default(),
                n: 0,
            },
        }
    }

    /// Count one item (for `count`, which needs no number).
    #[inline]
    pub fn add_item(&mut self) {
        if let Aggregate::Count(c) = self {
            *c += 1;
        }
    }

    /// Add a number (ignored by `count`: use [`Aggregate::add_item`]).
    #[inline]
    pub fn add(&mut self, n: Number) {
        match self {
            Aggregate::Count(_) => {}
            Aggregate::Sum(t) => t.add(n),
            Aggregate::Min(m) => {
                if m.is_none_or(|cur| n.total_cmp(&cur).is_lt()) {
                    *m = Some(n);
                }
            }
            Aggregate::Max(m) => {
                if m.is_none_or(|cur| n.total_cmp(&cur).is_gt()) {
                    *m = Some(n);
                }
            }
            Aggregate::Avg { total, n: count } => {
                total.add(n);
                *count += 1;
            }
        }
    }

    /// Add the number written in `text`, as [`parse_number`] reads it, except that an
    /// integer past 64 bits (but within 128) stays exact in `sum` and `avg` (for `min` and
    /// `max` it is a float). Returns false, adding nothing, when `text` is not a number.
    #[inline]
    pub fn add_text(&mut self, text: &[u8]) -> bool {
        match parse_number(text) {
            Some(Number::Float(x)) => match parse_wide_int(text) {
                Some(i) => self.add_wide(i),
                None => self.add(Number::Float(x)),
            },
            Some(n) => self.add(n),
            None => return false,
        }
        true
    }

    /// Add an integer past 64 bits (see [`Aggregate::add_text`]).
    #[cold]
    fn add_wide(&mut self, i: i128) {
        match self {
            Aggregate::Sum(t) => t.add_int(i),
            Aggregate::Avg { total, n } => {
                total.add_int(i);
                *n += 1;
            }
            other => other.add(Number::Float(i as f64)),
        }
    }

    /// Fold another partial state of the same kind into this one. States of different
    /// kinds are left as they are.
    pub fn merge(&mut self, other: &Aggregate) {
        match (self, other) {
            // Saturating: a state may come from bytes (a Spark task's partial result), and
            // crafted counts must not overflow (a panic in a debug build).
            (Aggregate::Count(a), Aggregate::Count(b)) => *a = a.saturating_add(*b),
            (Aggregate::Sum(a), Aggregate::Sum(b)) => a.merge(b),
            (Aggregate::Min(a), Aggregate::Min(Some(b)))
                if a.is_none_or(|cur| b.total_cmp(&cur).is_lt()) =>
            {
                *a = Some(*b)
            }
            (Aggregate::Max(a), Aggregate::Max(Some(b)))
                if a.is_none_or(|cur| b.total_cmp(&cur).is_gt()) =>
            {
                *a = Some(*b)
            }
            (Aggregate::Avg { total, n }, Aggregate::Avg { total: t2, n: n2 }) => {
                total.merge(t2);
                *n = n.saturating_add(*n2);
            }
            _ => {}
        }
    }

    /// The result so far.
    pub fn value(&self) -> AggValue {
        match self {
            Aggregate::Count(c) => AggValue::Int(*c as i128),
            Aggregate::Sum(t) => t.value(),
            Aggregate::Min(m) | Aggregate::Max(m) => m.map_or(AggValue::Null, Number::into),
            Aggregate::Avg { total, n } => {
                if *n == 0 {
                    return AggValue::Null;
                }
                let sum = match total.value() {
                    AggValue::Int(i) => i as f64,
                    AggValue::Float(x) => x,
                    AggValue::Null => 0.0,
                };
                AggValue::Float(sum / *n as f64)
            }
        }
    }
}

impl From<Number> for AggValue {
    fn from(n: Number) -> AggValue {
        match n {
            Number::Int(i) => AggValue::Int(i as i128),
            Number::Float(x) => AggValue::Float(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts merged from bytes (a Spark task's partial result) may be crafted: they
    /// saturate instead of overflowing (which panics in a debug build).
    #[test]
    fn merged_counts_saturate() {
        let mut a = Aggregate::Count(u64::MAX - 1);
        a.merge(&Aggregate::Count(5));
        assert_eq!(a.value(), AggValue::Int(i128::from(u64::MAX)));
    }

    fn run(kind: AggKind, xs: &[&str]) -> AggValue {
        let mut a = Aggregate::new(kind);
        for x in xs {
            a.add_item();
            a.add_text(x.as_bytes());
        }
        a.value()
    }

    #[test]
    fn sums_past_128_bits_are_exact_or_shown_inexact() {
        let max = i128::MAX.to_string();
        // Past the range on the way, back inside at the end: exact.
        assert_eq!(
            run(AggKind::Sum, &[&max, "1", "-1"]),
            AggValue::Int(i128::MAX)
        );
        let min = i128::MIN.to_string();
        assert_eq!(
            run(AggKind::Sum, &[&min, "-5", &max, "6"]),
            AggValue::Int(i128::MIN + i128::MAX + 1)
        );
        // Beyond it at the end: a float, printed with an exponent, not as digits that
        // would read as exact.
        let over = run(AggKind::Sum, &[&max, "1"]);
        assert_eq!(over, AggValue::Float(1.7014118346046923e38));
        assert_eq!(over.to_string(), "1.7014118346046923e38");
        // Merging partial sums that each wrapped.
        let mut a = Aggregate::new(AggKind::Sum);
        a.add_text(max.as_bytes());
        a.add_text(max.as_bytes());
        let mut b = Aggregate::new(AggKind::Sum);
        b.add_text(min.as_bytes());
        b.add_text(min.as_bytes());
        a.merge(&b);
        assert_eq!(a.value(), AggValue::Int(-2));
        // Floats that are integers below 2^53 print as before; above, with an exponent.
        assert_eq!(AggValue::Float(3.0).to_string(), "3");
        assert_eq!(AggValue::Float(1.5).to_string(), "1.5");
        assert_eq!(
            AggValue::Float(9007199254740991.0).to_string(),
            "9007199254740991"
        );
        assert_eq!(AggValue::Float(1e20).to_string(), "1e20");
        assert_eq!(AggValue::Float(-2.5e30).to_string(), "-2.5e30");
    }

    #[test]
    fn sums_stay_exact_integers() {
        assert_eq!(
            run(AggKind::Sum, &["9007199254740993", "1"]),
            AggValue::Int(9007199254740994)
        );
        let big = i64::MAX.to_string();
        assert_eq!(
            run(AggKind::Sum, &[&big, &big]),
            AggValue::Int(2 * i64::MAX as i128)
        );
        assert_eq!(run(AggKind::Sum, &[]), AggValue::Int(0));
        assert_eq!(run(AggKind::Sum, &["1", "0.5"]), AggValue::Float(1.5));
        assert_eq!(AggValue::Int(113673588).to_string(), "113673588");
    }

    #[test]
    fn min_max_avg_count() {
        let xs = ["5", "-", "17", "-3", "2.5"];
        assert_eq!(run(AggKind::Count, &xs), AggValue::Int(5));
        assert_eq!(run(AggKind::Min, &xs), AggValue::Int(-3));
        assert_eq!(run(AggKind::Max, &xs), AggValue::Int(17));
        assert_eq!(run(AggKind::Avg, &xs), AggValue::Float(21.5 / 4.0));
        assert_eq!(run(AggKind::Min, &["-"]), AggValue::Null);
        assert_eq!(run(AggKind::Avg, &[]), AggValue::Null);
        assert_eq!(AggValue::Null.to_string(), "");
    }

    #[test]
    fn merged_equals_unsplit() {
        let xs: Vec<String> = (0..100)
            .map(|i| ((i * 37) % 101 - 50).to_string())
            .collect();
        let xs: Vec<&str> = xs.iter().map(String::as_str).collect();
        for kind in [
            AggKind::Count,
            AggKind::Sum,
            AggKind::Min,
            AggKind::Max,
            AggKind::Avg,
        ] {
            for cut in [0, 1, 50, 99, 100] {
                let mut a = Aggregate::new(kind);
                let mut b = Aggregate::new(kind);
                for (i, x) in xs.iter().enumerate() {
                    let t = if i < cut { &mut a } else { &mut b };
                    t.add_item();
                    t.add(parse_number(x.as_bytes()).unwrap());
                }
                a.merge(&b);
                assert_eq!(a.value(), run(kind, &xs), "{kind:?} cut {cut}");
            }
        }
    }
}
