//! `first` / `last`: the first or last non-null value in input order. Merging parts in
//! input order keeps the answer of one pass over the whole input.

use crate::record::Value;

/// The first non-null value seen.
#[derive(Debug, Clone, Default)]
pub struct First(Option<Value<'static>>);

impl First {
    pub fn add(&mut self, v: &Value<'_>) {
        if self.0.is_none() && !v.is_null() {
            self.0 = Some(v.clone().into_owned());
        }
    }

    /// Fold in a later part of the input: its first counts only if this part had none.
    pub fn merge(&mut self, other: First) {
        if self.0.is_none() {
            self.0 = other.0;
        }
    }

    pub fn value(&self) -> Value<'static> {
        self.0.clone().unwrap_or(Value::Null)
    }
}

/// The last non-null value seen.
#[derive(Debug, Clone, Default)]
pub struct Last(Option<Value<'static>>);

impl Last {
    pub fn add(&mut self, v: &Value<'_>) {
        if !v.is_null() {
            self.0 = Some(v.clone().into_owned());
        }
    }

    /// Fold in a later part of the input: its last wins if it has one.
    pub fn merge(&mut self, other: Last) {
        if other.0.is_some() {
            self.0 = other.0;
        }
    }

    pub fn value(&self) -> Value<'static> {
        self.0.clone().unwrap_or(Value::Null)
    }
}
