//! `… by KEY, …`: aggregate states per group.
//!
//! A group is found by its key encoded into bytes ([`encode_key`](crate::record::order::encode_key)
//! of each key value, written by the caller into one reused buffer), so finding a record's
//! group allocates nothing; only a new group does, and only then are the key values kept.
//! Groups merge group by group, in input order, so parts of the input read in parallel
//! combine into exactly the single-threaded result.

use std::hash::BuildHasher;

use smallvec::SmallVec;

use super::state::{AggState, Unusable};
use crate::record::order::total_order;
use crate::record::Value;

/// The states of one group's aggregates (inline for the common single aggregate).
pub type States = SmallVec<[AggState; 1]>;

/// Aggregate states by group key.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    /// The groups by the hash of their encoded key. Each group holds its key and its
    /// aggregates inline (for short keys and a single aggregate), so that finding and
    /// updating a group costs one or two cache misses even when there are many groups.
    groups: hashbrown::HashTable<Group>,
    hasher: foldhash::quality::RandomState,
    scratch: Vec<u8>,
    /// Kept values beyond one per group (distinct, percentiles, top).
    kept: usize,
}

/// One group: its encoded key, the key values, the aggregates.
#[derive(Debug, Clone)]
struct Group {
    key: SmallVec<[u8; 24]>,
    states: States,
    keys: Vec<Value<'static>>,
}

impl Groups {
    /// Update the group of the encoded `key`, made by `make` (key values, fresh states) if
    /// it is new, with `update`, which returns how many values it kept more and whether a
    /// value was unusable.
    #[inline]
    pub fn add(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> (Vec<Value<'static>>, States),
        update: impl FnOnce(&mut States, &mut Vec<u8>) -> (usize, Unusable),
    ) -> Unusable {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(key);
        let group = self
            .groups
            .entry(hash, |g| &g.key[..] == key, |g| hasher.hash_one(&g.key[..]))
            .or_insert_with(|| {
                let (keys, states) = make();
                Group {
                    key: SmallVec::from_slice(key),
                    states,
                    keys,
                }
            })
            .into_mut();
        let (added, unusable) = update(&mut group.states, &mut self.scratch);
        self.kept += added;
        unusable
    }

    /// How much state the groups hold: one per group, plus the values kept beyond that.
    pub fn size(&self) -> usize {
        self.groups.len() + self.kept
    }

    /// Fold in the groups of a later part of the input.
    pub fn merge(&mut self, other: Groups) {
        for group in other.groups {
            let hasher = &self.hasher;
            let entry = self.groups.entry(
                hasher.hash_one(&group.key[..]),
                |g| g.key == group.key,
                |g| hasher.hash_one(&g.key[..]),
            );
            match entry {
                hashbrown::hash_table::Entry::Occupied(mut mine) => {
                    for (m, s) in mine.get_mut().states.iter_mut().zip(group.states) {
                        m.merge(s);
                    }
                }
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(group);
                }
            }
        }
        // Counted again, not added: values both parts kept (the same distinct value, the
        // same `top` key) are kept once.
        self.kept = self
            .groups
            .iter()
            .flat_map(|g| &g.states)
            .map(AggState::kept)
            .sum();
    }

    /// The groups (key values, states) in key order. Keys that order as equal but are
    /// different groups (`404` and `"404"` in JSON) come in the order of their encoded
    /// keys, not the hash table's (which is seeded at random).
    pub fn into_sorted(self) -> Vec<(Vec<Value<'static>>, States)> {
        let mut groups: Vec<_> = self.groups.into_iter().collect();
        groups.sort_by(|a, b| {
            a.keys
                .iter()
                .zip(&b.keys)
                .map(|(x, y)| total_order(x, y))
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.key.cmp(&b.key))
        });
        groups.into_iter().map(|g| (g.keys, g.states)).collect()
    }
}
