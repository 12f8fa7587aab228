//! `first` / `last`: the first or last non-null value in input order. Merging parts in
//! input order keeps the answer of one pass over the whole input.

use crate::record::Value;

/// The first (or, with `last`, the last) non-null value seen.
#[derive(Debug, Clone)]
pub struct FirstLast {
    pub(super) value: Option<Value<'static>>,
    pub(super) last: bool,
}

impl FirstLast {
    /// `first`.
    pub fn first() -> FirstLast {
        FirstLast {
            value: None,
            last: false,
        }
    }

    /// `last`.
    pub fn last() -> FirstLast {
        FirstLast {
            value: None,
            last: true,
        }
    }

    pub fn add(&mut self, v: &Value<'_>) {
        if !v.is_null() && (self.last || self.value.is_none()) {
            self.value = Some(v.clone().into_owned());
        }
    }

    /// Fold in a later part of the input: its first counts only if this part had none;
    /// its last wins if it has one.
    pub fn merge(&mut self, other: FirstLast) {
        if other.value.is_some() && (self.last || self.value.is_none()) {
            self.value = other.value;
        }
    }

    pub fn value(&self) -> Value<'static> {
        self.value.clone().unwrap_or(Value::Null)
    }
}
