//! `top N X`: the N most frequent values with their counts. Exact: every distinct value is
//! counted (and counts against the state limit). Ties go to the value seen first, and
//! merging parts in input order keeps that rule, so parallel runs answer as one pass does.

use std::collections::HashMap;

use crate::record::order::encode_key;
use crate::record::Value;

type Map<K, V> = HashMap<K, V, foldhash::quality::RandomState>;

/// Counts per value, and the order in which values were first seen.
#[derive(Debug, Clone)]
pub struct Top {
    pub(super) n: usize,
    pub(super) counts: Map<Vec<u8>, (Value<'static>, u64)>,
    /// First-seen order, to break ties deterministically.
    pub(super) seen: u64,
    pub(super) order: Map<Vec<u8>, u64>,
}

impl Top {
    pub fn new(n: usize) -> Top {
        Top {
            n,
            counts: Map::default(),
            seen: 0,
            order: Map::default(),
        }
    }

    /// Count a value; returns how many values the state now keeps more (0 or 1).
    pub fn add(&mut self, v: &Value<'_>, scratch: &mut Vec<u8>) -> usize {
        if v.is_null() {
            return 0;
        }
        scratch.clear();
        encode_key(v, scratch);
        match self.counts.get_mut(scratch.as_slice()) {
            Some(c) => {
                c.1 += 1;
                0
            }
            None => {
                self.counts
                    .insert(scratch.clone(), (v.clone().into_owned(), 1));
                self.order.insert(scratch.clone(), self.seen);
                self.seen += 1;
                1
            }
        }
    }

    /// Fold in a later part of the input: its new values are seen after all of ours.
    pub fn merge(&mut self, other: Top) {
        let mut later: Vec<_> = other.counts.into_iter().collect();
        later.sort_by_key(|(k, _)| other.order.get(k).copied().unwrap_or(u64::MAX));
        for (k, (v, n)) in later {
            match self.counts.get_mut(&k) {
                Some(c) => c.1 = c.1.saturating_add(n),
                None => {
                    self.order.insert(k.clone(), self.seen);
                    self.seen += 1;
                    self.counts.insert(k, (v, n));
                }
            }
        }
    }

    pub fn kept(&self) -> usize {
        self.counts.len()
    }

    /// The most frequent values, most frequent first (ties: first seen first).
    pub fn list(&self) -> Vec<(&Value<'static>, u64)> {
        let mut all: Vec<_> = self.counts.iter().collect();
        all.sort_by(|(ka, (_, na)), (kb, (_, nb))| {
            nb.cmp(na)
                .then_with(|| self.order.get(*ka).cmp(&self.order.get(*kb)))
        });
        all.into_iter()
            .take(self.n)
            .map(|(_, (v, c))| (v, *c))
            .collect()
    }
}
