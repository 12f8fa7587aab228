//! `distinct` (the set of values) and `count_distinct` (how many), both exact. Values are
//! keyed by their [`encode_key`] bytes, so a value already seen costs a lookup and no
//! allocation.

use std::collections::{BTreeMap, HashSet};

use crate::record::order::{encode_key, total_order};
use crate::record::Value;

/// The distinct non-null values, kept.
#[derive(Debug, Clone, Default)]
pub struct Distinct(BTreeMap<Vec<u8>, Value<'static>>);

impl Distinct {
    /// Add a value; returns how many values the state now keeps more (0 or 1).
    pub fn add(&mut self, v: &Value<'_>, scratch: &mut Vec<u8>) -> usize {
        if v.is_null() {
            return 0;
        }
        scratch.clear();
        encode_key(v, scratch);
        if self.0.contains_key(scratch.as_slice()) {
            return 0;
        }
        self.0.insert(scratch.clone(), v.clone().into_owned());
        1
    }

    pub fn merge(&mut self, other: Distinct) {
        self.0.extend(other.0);
    }

    pub fn kept(&self) -> usize {
        self.0.len()
    }

    /// The distinct values in value order.
    pub fn sorted(&self) -> Vec<&Value<'static>> {
        let mut all: Vec<_> = self.0.values().collect();
        all.sort_by(|a, b| total_order(a, b));
        all
    }
}

/// The encoded keys of the distinct non-null values: only their number is answered.
#[derive(Debug, Clone, Default)]
pub struct CountDistinct(HashSet<Vec<u8>, foldhash::quality::RandomState>);

impl CountDistinct {
    /// Add a value; returns how many values the state now keeps more (0 or 1).
    pub fn add(&mut self, v: &Value<'_>, scratch: &mut Vec<u8>) -> usize {
        if v.is_null() {
            return 0;
        }
        scratch.clear();
        encode_key(v, scratch);
        if self.0.contains(scratch.as_slice()) {
            return 0;
        }
        self.0.insert(scratch.clone());
        1
    }

    pub fn merge(&mut self, other: CountDistinct) {
        self.0.extend(other.0);
    }

    pub fn kept(&self) -> usize {
        self.0.len()
    }

    pub fn value(&self) -> Value<'static> {
        Value::Int(self.0.len() as i64)
    }
}
