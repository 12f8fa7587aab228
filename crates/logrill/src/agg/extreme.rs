//! `min` / `max` of any comparable values: numbers, times, strings (in the order of
//! [`total_order`]). Nulls are skipped.

use crate::record::order::total_order;
use crate::record::Value;

/// The smallest (or, with `max`, largest) value seen.
#[derive(Debug, Clone)]
pub struct Extreme {
    pub(super) best: Option<Value<'static>>,
    pub(super) max: bool,
}

impl Extreme {
    /// `min` (`max == false`) or `max`.
    pub fn new(max: bool) -> Extreme {
        Extreme { best: None, max }
    }

    pub fn add(&mut self, v: &Value<'_>) {
        if !v.is_null() && self.beats(v) {
            self.best = Some(v.clone().into_owned());
        }
    }

    /// Fold in the state of a later part of the input.
    pub fn merge(&mut self, other: Extreme) {
        if let Some(b) = other.best {
            if self.beats(&b) {
                self.best = Some(b);
            }
        }
    }

    pub fn value(&self) -> Value<'static> {
        self.best.clone().unwrap_or(Value::Null)
    }

    /// Whether `v` is a new minimum (or maximum).
    fn beats(&self, v: &Value<'_>) -> bool {
        self.best.as_ref().is_none_or(|b| {
            let o = total_order(v, b);
            if self.max {
                o.is_gt()
            } else {
                o.is_lt()
            }
        })
    }
}
