//! `distinct` (the set of values) and `count_distinct` (how many), both exact. Values are
//! keyed by their [`encode_key`] bytes, so a value already seen costs a lookup and no
//! allocation.

use std::collections::{BTreeMap, HashSet};

use crate::record::order::{encode_key, total_order};
use crate::record::Value;

/// The distinct non-null values, kept.
#[derive(Debug, Clone, Default)]
pub struct Distinct(pub(super) BTreeMap<Vec<u8>, Value<'static>>);

impl Distinct {
    /// Add a value; returns how many values the state now keeps more (0 or 1).
    pub fn add(&mut self, v: &Value<'_>, scratch: &mut Vec<u8>) -> usize {
        match new_key(v, scratch, |k| self.0.contains_key(k)) {
            Some(k) => usize::from(self.0.insert(k.to_vec(), v.clone().into_owned()).is_none()),
            None => 0,
        }
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
pub struct CountDistinct(pub(super) HashSet<Vec<u8>, foldhash::quality::RandomState>);

impl CountDistinct {
    /// Add a value; returns how many values the state now keeps more (0 or 1).
    pub fn add(&mut self, v: &Value<'_>, scratch: &mut Vec<u8>) -> usize {
        match new_key(v, scratch, |k| self.0.contains(k)) {
            Some(k) => usize::from(self.0.insert(k.to_vec())),
            None => 0,
        }
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

/// The encoded key of `v` (in `scratch`) if `v` is not null and not `seen` yet: a value
/// already kept costs a lookup and no allocation.
fn new_key<'s>(
    v: &Value<'_>,
    scratch: &'s mut Vec<u8>,
    seen: impl FnOnce(&[u8]) -> bool,
) -> Option<&'s [u8]> {
    if v.is_null() {
        return None;
    }
    scratch.clear();
    encode_key(v, scratch);
    (!seen(scratch)).then_some(scratch.as_slice())
}
