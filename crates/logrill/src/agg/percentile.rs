//! `p50`, `p90`, `p99`, `percentile(q)`: exact, by nearest rank. Every value is kept (and
//! counts against the state limit); merging appends.

use crate::agg::Number;
use crate::record::Value;

/// The numbers seen, and whether all were integers (then the answer is one too).
#[derive(Debug, Clone)]
pub struct Percentile {
    pub(super) q: f64,
    pub(super) values: Vec<f64>,
    pub(super) all_int: bool,
}

impl Percentile {
    /// The `q`-th percentile, 0 ≤ q ≤ 100.
    pub fn new(q: f64) -> Percentile {
        Percentile {
            q,
            values: Vec::new(),
            all_int: true,
        }
    }

    pub fn add(&mut self, n: Number) {
        self.all_int &= matches!(n, Number::Int(_));
        self.values.push(n.as_f64());
    }

    pub fn merge(&mut self, other: Percentile) {
        self.values.extend(other.values);
        self.all_int &= other.all_int;
    }

    pub fn kept(&self) -> usize {
        self.values.len()
    }

    /// The smallest value with at least q% of the values at or below it; null of nothing.
    pub fn value(&self) -> Value<'static> {
        if self.values.is_empty() {
            return Value::Null;
        }
        let mut sorted = self.values.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((self.q / 100.0) * sorted.len() as f64).ceil() as usize;
        let x = sorted[rank.clamp(1, sorted.len()) - 1];
        if self.all_int {
            Value::Int(x as i64)
        } else {
            Value::Float(x)
        }
    }
}
