//! The state of any aggregate of the pipeline language, one closed enum over the
//! per-aggregate types ([`Extreme`], [`Distinct`], [`Percentile`], [`Top`], …), so a group's
//! update is a `match`, not a virtual call. Every state merges the state of a later part of
//! the input ([`AggState::merge`]), which is what lets inputs be read in parallel and a
//! running result be read at any time.

use std::borrow::Cow;

use super::distinct::{CountDistinct, Distinct};
use super::extreme::Extreme;
use super::first_last::FirstLast;
use super::percentile::Percentile;
use super::top::Top;
use super::{AggKind, AggValue, Aggregate};
use crate::record::order::number;
use crate::record::Value;

/// What an aggregate computes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFn {
    /// One of the simple numeric aggregates (`count`, `sum`, `min`, `max`, `avg`).
    Simple(AggKind),
    /// The set of distinct values.
    Distinct,
    /// How many distinct values (exact).
    CountDistinct,
    /// The q-th percentile (0 ≤ q ≤ 100), exact (nearest rank).
    Percentile(f64),
    /// The N most frequent values with their counts.
    Top(usize),
    /// The first value seen (in input order).
    First,
    /// The last value seen.
    Last,
}

impl AggFn {
    /// Whether the result is a list of values (`distinct`, `top`), which a lone aggregate
    /// expands into a row per value.
    pub fn is_list(self) -> bool {
        matches!(self, AggFn::Distinct | AggFn::Top(_))
    }
}

/// The running state of one aggregate of a group.
#[derive(Debug, Clone)]
pub enum AggState {
    /// `count`, `sum`, `avg`.
    Simple {
        agg: Aggregate,
        /// `count X` counts the records where X is neither null nor false.
        counts_values: bool,
    },
    /// `min`/`max` of any comparable values (numbers, times, strings).
    Extreme(Extreme),
    Distinct(Distinct),
    CountDistinct(CountDistinct),
    Percentile(Percentile),
    /// Boxed: the largest state by far, and rare; inline it would make every group's
    /// `count` as large as a `top`.
    Top(Box<Top>),
    /// `first` / `last`.
    FirstLast(FirstLast),
}

impl AggState {
    /// A fresh state of `f`; `has_arg`: whether the aggregate reads a value (`count X`).
    pub fn new(f: AggFn, has_arg: bool) -> AggState {
        match f {
            AggFn::Simple(k @ (AggKind::Min | AggKind::Max)) => {
                AggState::Extreme(Extreme::new(k == AggKind::Max))
            }
            AggFn::Simple(kind) => AggState::Simple {
                agg: Aggregate::new(kind),
                counts_values: kind == AggKind::Count && has_arg,
            },
            AggFn::Distinct => AggState::Distinct(Distinct::default()),
            AggFn::CountDistinct => AggState::CountDistinct(CountDistinct::default()),
            AggFn::Percentile(q) => AggState::Percentile(Percentile::new(q)),
            AggFn::Top(n) => AggState::Top(Box::new(Top::new(n))),
            AggFn::First => AggState::FirstLast(FirstLast::first()),
            AggFn::Last => AggState::FirstLast(FirstLast::last()),
        }
    }

    /// Add one record's value (`None` for `count` without argument). Returns how many
    /// values of state it added, and whether the value was not usable (not a number).
    #[inline]
    pub fn add(&mut self, v: Option<&Value<'_>>, scratch: &mut Vec<u8>) -> (usize, Unusable) {
        let mut added = 0;
        let mut unusable = Unusable::No;
        match self {
            AggState::Simple { agg, counts_values } => match (v, &*agg) {
                (None, _) => agg.add_item(),
                (Some(v), Aggregate::Count(_)) => {
                    // `count X` counts the records where X is neither null nor false, so
                    // `count status >= 500` counts errors.
                    if !*counts_values || !matches!(v, Value::Null | Value::Bool(false)) {
                        agg.add_item();
                    }
                }
                (Some(Value::Str(s)), _) => {
                    // Text, as the line stages see it: an integer past 64 bits stays exact.
                    if agg.add_text(s) {
                        agg.add_item();
                    } else {
                        unusable = Unusable::NotANumber;
                    }
                }
                (Some(v), _) => match number(v) {
                    Some(n) => {
                        agg.add_item();
                        agg.add(n);
                    }
                    None => unusable = Unusable::of(v),
                },
            },
            AggState::Extreme(s) => {
                if let Some(v) = v {
                    s.add(v)
                }
            }
            AggState::Distinct(s) => added = v.map_or(0, |v| s.add(v, scratch)),
            AggState::CountDistinct(s) => added = v.map_or(0, |v| s.add(v, scratch)),
            AggState::Percentile(s) => {
                if let Some(v) = v {
                    match number(v) {
                        Some(n) => {
                            s.add(n);
                            added = 1;
                        }
                        None => unusable = Unusable::of(v),
                    }
                }
            }
            AggState::Top(s) => added = v.map_or(0, |v| s.add(v, scratch)),
            AggState::FirstLast(s) => {
                if let Some(v) = v {
                    s.add(v)
                }
            }
        }
        (added, unusable)
    }

    /// How many values the state keeps (what [`AggState::add`] counts as added).
    pub fn kept(&self) -> usize {
        match self {
            AggState::Distinct(s) => s.kept(),
            AggState::CountDistinct(s) => s.kept(),
            AggState::Percentile(s) => s.kept(),
            AggState::Top(s) => s.kept(),
            AggState::Simple { .. } | AggState::Extreme(_) | AggState::FirstLast(_) => 0,
        }
    }

    /// Fold in the state of the same aggregate from a later part of the input.
    pub fn merge(&mut self, other: AggState) {
        match (self, other) {
            (AggState::Simple { agg, .. }, AggState::Simple { agg: b, .. }) => agg.merge(&b),
            (AggState::Extreme(a), AggState::Extreme(b)) => a.merge(b),
            (AggState::Distinct(a), AggState::Distinct(b)) => a.merge(b),
            (AggState::CountDistinct(a), AggState::CountDistinct(b)) => a.merge(b),
            (AggState::Percentile(a), AggState::Percentile(b)) => a.merge(b),
            (AggState::Top(a), AggState::Top(b)) => a.merge(*b),
            (AggState::FirstLast(a), AggState::FirstLast(b)) => a.merge(b),
            _ => {}
        }
    }

    /// The result as one value. `distinct` and `top` as a list in text (`a, b` /
    /// `a (3), b (2)`), unless they are expanded into rows (see [`AggState::distinct_sorted`]
    /// and [`AggState::top_list`]).
    pub fn value(&self) -> Value<'static> {
        match self {
            AggState::Simple { agg, .. } => match agg.value() {
                AggValue::Int(i) => match i64::try_from(i) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Str(Cow::Owned(i.to_string().into_bytes())),
                },
                AggValue::Float(x) => Value::Float(x),
                AggValue::Null => Value::Null,
            },
            AggState::Extreme(s) => s.value(),
            AggState::Distinct(s) => list(s.sorted().into_iter().map(|v| (v, None))),
            AggState::CountDistinct(s) => s.value(),
            AggState::Percentile(s) => s.value(),
            AggState::Top(s) => list(s.list().into_iter().map(|(v, n)| (v, Some(n)))),
            AggState::FirstLast(s) => s.value(),
        }
    }

    /// The distinct values in value order (empty for any other aggregate).
    pub fn distinct_sorted(&self) -> Vec<&Value<'static>> {
        match self {
            AggState::Distinct(s) => s.sorted(),
            _ => Vec::new(),
        }
    }

    /// The most frequent values, most frequent first (empty for any other aggregate).
    pub fn top_list(&self) -> Vec<(&Value<'static>, u64)> {
        match self {
            AggState::Top(s) => s.list(),
            _ => Vec::new(),
        }
    }
}

/// Why a value could not be aggregated (numbers wanted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    No,
    Null,
    NotANumber,
}

impl Unusable {
    fn of(v: &Value<'_>) -> Unusable {
        if v.is_null() {
            Unusable::Null
        } else {
            Unusable::NotANumber
        }
    }
}

/// Values as one text value: `a, b`, or with counts `a (3), b (2)`.
fn list<'v>(items: impl Iterator<Item = (&'v Value<'static>, Option<u64>)>) -> Value<'static> {
    let mut out = Vec::new();
    for (i, (v, n)) in items.enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        v.write_text(&mut out);
        if let Some(n) = n {
            out.extend_from_slice(format!(" ({n})").as_bytes());
        }
    }
    Value::Str(Cow::Owned(out))
}
