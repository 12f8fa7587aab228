//! Tables: what a pipeline gathers before it can answer: groups of aggregates
//! (`count, sum bytes by host`) or records kept to be sorted (`sort duration desc`).
//!
//! Group keys are encoded into one reusable byte buffer per record (a type tag and the
//! value's bytes for each key), so finding a record's group allocates nothing; only a new
//! group does. Every state can merge another's, in input order, so inputs can be read in
//! parallel and combined into exactly the single-threaded result.
//!
//! State is bounded: groups plus the values kept by `distinct`, `count_distinct`,
//! percentiles, `top` and sort buffers count against a limit, and the run stops with a
//! clear error when it is reached ([`TableError`]).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::agg::{AggKind, Aggregate, Number};
use crate::query::expr::order;
use crate::query::names::table_columns;
use crate::query::{AggCall, AggFn, Column, SortKey};
use crate::record::{Record, Schema, Value};

/// Hash maps keyed by encoded values. foldhash rather than the standard SipHash: keys are
/// hashed once per record, and SipHash costs more than the rest of a group's update. The
/// seed is random per map, so crafted log lines cannot aim at collisions.
type Map<K, V> = HashMap<K, V, foldhash::quality::RandomState>;
type Set<K> = HashSet<K, foldhash::quality::RandomState>;

/// Default limit on table state (groups and kept values).
pub const DEFAULT_STATE_LIMIT: usize = 10_000_000;

/// The table grew past its limit.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the pipeline keeps more than {} in memory (raise --max-state, or aggregate by fewer distinct keys)",
    crate::plural(.limit, "group or value", "groups or values")
)]
pub struct TableError {
    pub limit: usize,
}

/// Append a tagged encoding of `v` to `out`: equal values encode equally, different
/// values (of any types) differently.
pub fn encode_key(v: &Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend([1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend(i.to_le_bytes());
        }
        Value::Float(x) => {
            out.push(3);
            out.extend(x.to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            out.extend((s.len() as u64).to_le_bytes());
            out.extend_from_slice(s);
        }
        Value::Time(t) => {
            out.push(5);
            out.extend(t.unix_micros().to_le_bytes());
            out.extend(t.offset_seconds().unwrap_or(i32::MIN).to_le_bytes());
        }
    }
}

/// Order values for output: comparable values by [`order`], then by type.
pub fn total_order(a: &Value<'_>, b: &Value<'_>) -> Ordering {
    if let Some(o) = order(a, b) {
        return o;
    }
    let rank = |v: &Value<'_>| match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::Float(_) => 2,
        Value::Time(_) => 3,
        Value::Str(_) => 4,
    };
    rank(a).cmp(&rank(b))
}

/// The running state of one aggregate of a group.
#[derive(Debug, Clone)]
pub enum AggState {
    /// `count`, `sum`, `avg` (and `min`/`max` of numbers).
    Simple {
        agg: Aggregate,
        /// `count X` counts the records where X is neither null nor false.
        counts_values: bool,
    },
    /// `min`/`max` of any comparable values (numbers, times, strings).
    Extreme {
        best: Option<Value<'static>>,
        max: bool,
    },
    Distinct(BTreeMap<Vec<u8>, Value<'static>>),
    CountDistinct(Set<Vec<u8>>),
    Percentile {
        q: f64,
        values: Vec<f64>,
        all_int: bool,
    },
    Top {
        n: usize,
        counts: Map<Vec<u8>, (Value<'static>, u64)>,
        /// First-seen order, to break ties deterministically.
        seen: u64,
        order: Map<Vec<u8>, u64>,
    },
    First(Option<Value<'static>>),
    Last(Option<Value<'static>>),
}

impl AggState {
    pub fn new(f: AggFn, has_arg: bool) -> AggState {
        match f {
            AggFn::Simple(k @ (AggKind::Min | AggKind::Max)) => AggState::Extreme {
                best: None,
                max: k == AggKind::Max,
            },
            AggFn::Simple(kind) => AggState::Simple {
                agg: Aggregate::new(kind),
                counts_values: kind == AggKind::Count && has_arg,
            },
            AggFn::Distinct => AggState::Distinct(BTreeMap::new()),
            AggFn::CountDistinct => AggState::CountDistinct(Set::default()),
            AggFn::Percentile(q) => AggState::Percentile {
                q,
                values: Vec::new(),
                all_int: true,
            },
            AggFn::Top(n) => AggState::Top {
                n,
                counts: Map::default(),
                seen: 0,
                order: Map::default(),
            },
            AggFn::First => AggState::First(None),
            AggFn::Last => AggState::Last(None),
        }
    }

    /// Add one record's value (`None` for `count` without argument). Returns how many
    /// values of state it added, and whether the value was not usable (not a number).
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
            AggState::Extreme { best, max } => {
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    if beats(v, best.as_ref(), *max) {
                        *best = Some(v.clone().into_owned());
                    }
                }
            }
            AggState::Distinct(set) => {
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    scratch.clear();
                    encode_key(v, scratch);
                    if !set.contains_key(scratch.as_slice()) {
                        set.insert(scratch.clone(), v.clone().into_owned());
                        added = 1;
                    }
                }
            }
            AggState::CountDistinct(set) => {
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    scratch.clear();
                    encode_key(v, scratch);
                    if !set.contains(scratch.as_slice()) {
                        set.insert(scratch.clone());
                        added = 1;
                    }
                }
            }
            AggState::Percentile {
                values, all_int, ..
            } => match v.map(number) {
                Some(Some(n)) => {
                    *all_int &= matches!(n, Number::Int(_));
                    values.push(n.as_f64());
                    added = 1;
                }
                Some(None) => unusable = v.map_or(Unusable::No, Unusable::of),
                None => {}
            },
            AggState::Top {
                counts,
                seen,
                order,
                ..
            } => {
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    scratch.clear();
                    encode_key(v, scratch);
                    match counts.get_mut(scratch.as_slice()) {
                        Some(c) => c.1 += 1,
                        None => {
                            counts.insert(scratch.clone(), (v.clone().into_owned(), 1));
                            order.insert(scratch.clone(), *seen);
                            *seen += 1;
                            added = 1;
                        }
                    }
                }
            }
            AggState::First(first) => {
                if first.is_none() {
                    if let Some(v) = v.filter(|v| !v.is_null()) {
                        *first = Some(v.clone().into_owned());
                    }
                }
            }
            AggState::Last(last) => {
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    *last = Some(v.clone().into_owned());
                }
            }
        }
        (added, unusable)
    }

    /// How many values the state keeps (what [`AggState::add`] counts as added).
    pub fn kept(&self) -> usize {
        match self {
            AggState::Distinct(set) => set.len(),
            AggState::CountDistinct(set) => set.len(),
            AggState::Percentile { values, .. } => values.len(),
            AggState::Top { counts, .. } => counts.len(),
            AggState::Simple { .. }
            | AggState::Extreme { .. }
            | AggState::First(_)
            | AggState::Last(_) => 0,
        }
    }

    /// Fold in the state of the same aggregate from a later part of the input.
    pub fn merge(&mut self, other: AggState) {
        match (self, other) {
            (AggState::Simple { agg, .. }, AggState::Simple { agg: b, .. }) => agg.merge(&b),
            (AggState::Extreme { best, max }, AggState::Extreme { best: Some(b), .. })
                if beats(&b, best.as_ref(), *max) =>
            {
                *best = Some(b)
            }
            (AggState::Distinct(a), AggState::Distinct(b)) => a.extend(b),
            (AggState::CountDistinct(a), AggState::CountDistinct(b)) => a.extend(b),
            (
                AggState::Percentile {
                    values, all_int, ..
                },
                AggState::Percentile {
                    values: v2,
                    all_int: i2,
                    ..
                },
            ) => {
                values.extend(v2);
                *all_int &= i2;
            }
            (
                AggState::Top {
                    counts,
                    seen,
                    order,
                    ..
                },
                AggState::Top {
                    counts: c2,
                    order: o2,
                    ..
                },
            ) => {
                let mut later: Vec<_> = c2.into_iter().collect();
                later.sort_by_key(|(k, _)| o2.get(k).copied().unwrap_or(u64::MAX));
                for (k, (v, n)) in later {
                    match counts.get_mut(&k) {
                        Some(c) => c.1 += n,
                        None => {
                            order.insert(k.clone(), *seen);
                            *seen += 1;
                            counts.insert(k, (v, n));
                        }
                    }
                }
            }
            (AggState::First(a), AggState::First(b)) if a.is_none() => *a = b,
            (AggState::Last(a), AggState::Last(b)) if b.is_some() => *a = b,
            _ => {}
        }
    }

    /// The result as one value. `distinct` and `top` as a list in text (`a, b` /
    /// `a (3), b (2)`), unless they are expanded into rows (see [`Table::rows`]).
    pub fn value(&self) -> Value<'static> {
        match self {
            AggState::Simple { agg, .. } => match agg.value() {
                crate::agg::AggValue::Int(i) => match i64::try_from(i) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Str(Cow::Owned(i.to_string().into_bytes())),
                },
                crate::agg::AggValue::Float(x) => Value::Float(x),
                crate::agg::AggValue::Null => Value::Null,
            },
            AggState::Extreme { best, .. } => best.clone().unwrap_or(Value::Null),
            AggState::Distinct(_) => list(self.distinct_sorted().into_iter().map(|v| (v, None))),
            AggState::CountDistinct(set) => Value::Int(set.len() as i64),
            AggState::Percentile { q, values, all_int } => {
                percentile(values, *q).map_or(Value::Null, |x| {
                    if *all_int {
                        Value::Int(x as i64)
                    } else {
                        Value::Float(x)
                    }
                })
            }
            AggState::Top { .. } => {
                let top = self.top_list();
                list(top.iter().map(|(v, n)| (*v, Some(*n))))
            }
            AggState::First(v) | AggState::Last(v) => v.clone().unwrap_or(Value::Null),
        }
    }

    /// The distinct values in value order.
    pub fn distinct_sorted(&self) -> Vec<&Value<'static>> {
        let AggState::Distinct(set) = self else {
            return Vec::new();
        };
        let mut all: Vec<_> = set.values().collect();
        all.sort_by(|a, b| total_order(a, b));
        all
    }

    /// The most frequent values, most frequent first (ties: first seen first).
    pub fn top_list(&self) -> Vec<(&Value<'static>, u64)> {
        let AggState::Top {
            n, counts, order, ..
        } = self
        else {
            return Vec::new();
        };
        let mut all: Vec<_> = counts.iter().collect();
        all.sort_by(|(ka, (_, na)), (kb, (_, nb))| {
            nb.cmp(na).then_with(|| order.get(*ka).cmp(&order.get(*kb)))
        });
        all.into_iter()
            .take(*n)
            .map(|(_, (v, c))| (v, *c))
            .collect()
    }
}

/// Whether `v` is a new minimum (or maximum, with `max`) over `best`.
fn beats(v: &Value<'_>, best: Option<&Value<'_>>, max: bool) -> bool {
    best.is_none_or(|b| {
        let o = total_order(v, b);
        if max {
            o.is_gt()
        } else {
            o.is_lt()
        }
    })
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

fn number(v: &Value<'_>) -> Option<Number> {
    match v {
        Value::Int(i) => Some(Number::Int(*i)),
        Value::Float(x) => Some(Number::Float(*x)),
        Value::Str(s) => crate::agg::parse_number(s),
        _ => None,
    }
}

/// The q-th percentile by nearest rank: the smallest value with at least q% of the values
/// at or below it.
fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

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

/// A record made of a schema and values.
pub fn row(schema: &Arc<Schema>, values: Vec<Value<'static>>) -> Record<'static> {
    let mut r = Record::new();
    let slots = r.begin_fixed(schema);
    for (slot, v) in slots.iter_mut().zip(values) {
        *slot = v;
    }
    r
}

/// A group of aggregates, or a buffer of records to sort.
#[derive(Debug, Clone)]
pub enum Table {
    Groups(Groups),
    Sorted(Sorted),
}

/// Aggregates by keys.
#[derive(Debug, Clone)]
pub struct Groups {
    aggregates: Vec<AggCall>,
    by: Vec<Column>,
    /// The groups by the hash of their encoded key. Each group holds its key and its
    /// aggregates inline (for short keys and a single aggregate), so that finding and
    /// updating a group costs one or two cache misses even when there are many groups.
    groups: hashbrown::HashTable<Group>,
    hasher: foldhash::quality::RandomState,
    /// The encoded key of the record at hand (reused).
    key_buf: Vec<u8>,
    scratch: Vec<u8>,
    /// Kept values beyond one per group (distinct, percentiles, top).
    kept: usize,
}

/// One group: its encoded key (see [`encode_key`]), the key values, the aggregates.
#[derive(Debug, Clone)]
struct Group {
    key: SmallVec<[u8; 24]>,
    states: SmallVec<[AggState; 1]>,
    keys: Vec<Value<'static>>,
}

/// The group of `key` in `groups`, made by `make` if it is new.
#[inline]
fn group_of<'g>(
    groups: &'g mut hashbrown::HashTable<Group>,
    hasher: &foldhash::quality::RandomState,
    key: &[u8],
    make: impl FnOnce() -> (Vec<Value<'static>>, SmallVec<[AggState; 1]>),
) -> &'g mut Group {
    let hash = hasher.hash_one(key);
    groups
        .entry(hash, |g| &g.key[..] == key, |g| hasher.hash_one(&g.key[..]))
        .or_insert_with(|| {
            let (keys, states) = make();
            Group {
                key: SmallVec::from_slice(key),
                states,
                keys,
            }
        })
        .into_mut()
}

fn new_states(aggregates: &[AggCall]) -> SmallVec<[AggState; 1]> {
    aggregates
        .iter()
        .map(|a| AggState::new(a.function, a.arg.is_some()))
        .collect()
}

/// Records kept to be sorted.
#[derive(Debug, Clone)]
pub struct Sorted {
    keys: Vec<SortKey>,
    rows: Vec<Record<'static>>,
}

impl Table {
    pub fn groups(aggregates: Vec<AggCall>, by: Vec<Column>) -> Table {
        Table::Groups(Groups {
            aggregates,
            by,
            groups: hashbrown::HashTable::new(),
            hasher: Default::default(),
            // Never empty of allocation: comparing an empty key whose pointer is dangling
            // costs the masked vector loads of glibc's memcmp a fault-suppression assist
            // (measured: 18% of `parse combined | count`).
            key_buf: Vec::with_capacity(64),
            scratch: Vec::new(),
            kept: 0,
        })
    }

    pub fn sorted(keys: Vec<SortKey>) -> Table {
        Table::Sorted(Sorted {
            keys,
            rows: Vec::new(),
        })
    }

    /// Whether this is one aggregate with no groups that gives one value (not a list).
    pub fn lone_aggregate(&self) -> bool {
        match self {
            Table::Groups(g) => {
                g.by.is_empty()
                    && g.aggregates.len() == 1
                    && !matches!(g.aggregates[0].function, AggFn::Distinct | AggFn::Top(_))
            }
            Table::Sorted(_) => false,
        }
    }

    /// The expressions a group table evaluates on each record (`None` for a sort buffer,
    /// which keeps whole records).
    pub fn expressions(&self) -> Option<Vec<&crate::query::Expr>> {
        match self {
            Table::Groups(g) => Some(
                g.aggregates
                    .iter()
                    .filter_map(|a| a.arg.as_ref())
                    .chain(g.by.iter().map(|c| &c.expr))
                    .collect(),
            ),
            Table::Sorted(_) => None,
        }
    }

    /// Bind the fields the table reads to `schema` (see [`crate::query::Expr::bind`]).
    pub fn bind(&mut self, schema: Option<&Arc<Schema>>) {
        if let Table::Groups(g) = self {
            for e in g
                .aggregates
                .iter_mut()
                .filter_map(|a| a.arg.as_mut())
                .chain(g.by.iter_mut().map(|c| &mut c.expr))
            {
                e.bind(schema);
            }
        }
    }

    /// A fresh, empty table of the same shape.
    pub fn empty_like(&self) -> Table {
        match self {
            Table::Groups(g) => Table::groups(g.aggregates.clone(), g.by.clone()),
            Table::Sorted(s) => Table::sorted(s.keys.clone()),
        }
    }

    /// How much state the table holds.
    pub fn size(&self) -> usize {
        match self {
            Table::Groups(g) => g.groups.len() + g.kept,
            Table::Sorted(s) => s.rows.len(),
        }
    }

    /// Add one record. Returns skips to count (a non-number given to `sum`).
    pub fn add<'a>(&mut self, rec: &Record<'a>) -> Unusable {
        match self {
            Table::Sorted(s) => {
                s.rows.push(rec.clone().into_owned());
                Unusable::No
            }
            Table::Groups(g) => {
                // Encode the key without keeping the values: only a new group needs them.
                g.key_buf.clear();
                for col in &g.by {
                    encode_key(&col.expr.eval(rec), &mut g.key_buf);
                }
                let (by, aggregates) = (&g.by, &g.aggregates);
                let group = group_of(&mut g.groups, &g.hasher, &g.key_buf, || {
                    let keys = by.iter().map(|c| c.expr.eval(rec).into_owned()).collect();
                    (keys, new_states(aggregates))
                });
                let mut worst = Unusable::No;
                for (state, call) in group.states.iter_mut().zip(aggregates) {
                    let v = call.arg.as_ref().map(|e| e.eval(rec));
                    let (added, unusable) = state.add(v.as_ref(), &mut g.scratch);
                    g.kept += added;
                    if unusable != Unusable::No {
                        worst = unusable;
                    }
                }
                worst
            }
        }
    }

    /// Fold in the table of a later part of the input.
    pub fn merge(&mut self, other: Table) {
        match (self, other) {
            (Table::Sorted(a), Table::Sorted(b)) => a.rows.extend(b.rows),
            (Table::Groups(a), Table::Groups(b)) => {
                for group in b.groups {
                    let hasher = &a.hasher;
                    let entry = a.groups.entry(
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
                // Counted again, not added: values both parts kept (the same distinct
                // value, the same `top` key) are kept once.
                a.kept = a
                    .groups
                    .iter()
                    .flat_map(|g| &g.states)
                    .map(AggState::kept)
                    .sum();
            }
            _ => {}
        }
    }

    /// The finished table: column names and rows, groups in key order, sorted records in
    /// sort order (stable: ties keep input order).
    ///
    /// A lone `distinct X` or `top N X` (with or without groups) gives a row per value
    /// (`top` with a `count` column), which is what "the set of …" and "the most frequent
    /// …" questions want.
    pub fn rows(self) -> (Arc<Schema>, Vec<Record<'static>>) {
        match self {
            Table::Sorted(mut s) => {
                let keys = s.keys;
                let eval: Vec<Vec<Value<'static>>> = s
                    .rows
                    .iter()
                    .map(|r| keys.iter().map(|k| k.expr.eval(r).into_owned()).collect())
                    .collect();
                let mut idx: Vec<usize> = (0..s.rows.len()).collect();
                idx.sort_by(|&a, &b| {
                    for (i, k) in keys.iter().enumerate() {
                        let o = total_order(&eval[a][i], &eval[b][i]);
                        let o = if k.descending { o.reverse() } else { o };
                        if o.is_ne() {
                            return o;
                        }
                    }
                    Ordering::Equal
                });
                let names: Vec<String> = s
                    .rows
                    .first()
                    .map(|r| r.iter().map(|(n, _)| n.to_string()).collect())
                    .unwrap_or_default();
                let mut slots: Vec<Option<Record<'static>>> =
                    std::mem::take(&mut s.rows).into_iter().map(Some).collect();
                let rows = idx.into_iter().filter_map(|i| slots[i].take()).collect();
                (Arc::new(Schema::new(names)), rows)
            }
            Table::Groups(g) => {
                let mut groups: Vec<_> = g.groups.into_iter().collect();
                // Keys that order as equal but are different groups (`404` and `"404"` in
                // JSON) come in the order of their encoded keys, not the hash table's
                // (which is seeded at random).
                groups.sort_by(|a, b| {
                    a.keys
                        .iter()
                        .zip(&b.keys)
                        .map(|(x, y)| total_order(x, y))
                        .find(|o| o.is_ne())
                        .unwrap_or_else(|| a.key.cmp(&b.key))
                });
                let mut groups: Vec<_> = groups.into_iter().map(|e| (e.keys, e.states)).collect();
                let names = table_columns(&g.aggregates, &g.by);
                let expand = g.aggregates.len() == 1
                    && matches!(g.aggregates[0].function, AggFn::Distinct | AggFn::Top(_));
                if expand {
                    let top = matches!(g.aggregates[0].function, AggFn::Top(_));
                    let schema = Arc::new(Schema::new(names));
                    let mut rows = Vec::new();
                    for (keys, states) in groups {
                        let state = &states[0];
                        if top {
                            for (v, n) in state.top_list() {
                                let mut vals = keys.clone();
                                vals.push(v.clone());
                                vals.push(Value::Int(n as i64));
                                rows.push(row(&schema, vals));
                            }
                        } else {
                            for v in state.distinct_sorted() {
                                let mut vals = keys.clone();
                                vals.push(v.clone());
                                rows.push(row(&schema, vals));
                            }
                        }
                    }
                    return (schema, rows);
                }
                let schema = Arc::new(Schema::new(names));
                let mut rows = Vec::new();
                if groups.is_empty() && g.by.is_empty() {
                    // An aggregate of no records still has its one row (`count` = 0).
                    groups.push((Vec::new(), new_states(&g.aggregates)));
                }
                for (mut keys, states) in groups {
                    keys.extend(states.iter().map(AggState::value));
                    rows.push(row(&schema, keys));
                }
                (schema, rows)
            }
        }
    }
}
