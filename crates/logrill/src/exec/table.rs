//! Tables: what a pipeline gathers before it can answer: groups of aggregates
//! (`count, sum bytes by host`) or records kept to be sorted (`sort duration desc`).
//!
//! The aggregate states and the group table live in [`crate::agg`]; a table here drives
//! them: it evaluates the plan's key and argument expressions on each record, encodes the
//! key ([`GroupStates::push_key`]) and hands the values to the group's states. Every state can merge
//! another's, in input order, so inputs can be read in parallel and combined into exactly
//! the single-threaded result.
//!
//! State is bounded: groups plus the values kept by `distinct`, `count_distinct`,
//! percentiles, `top` and sort buffers count against a limit, and the run stops with a
//! clear error when it is reached ([`TableError`]).

use std::cmp::Ordering;
use std::sync::Arc;

use smallvec::SmallVec;

use crate::agg::{key_order, key_values, AggFn, GroupAt, Groups as GroupStates, States};
use crate::query::names::table_columns;
use crate::query::{AggCall, Column, SortKey};
use crate::record::{Record, Schema, Value};

pub use crate::agg::{AggState, StateLimitError as TableError, Unusable, DEFAULT_STATE_LIMIT};
pub use crate::record::order::{encode_key, total_order};

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

/// Aggregates by keys: the plan's expressions, and the states per group.
#[derive(Debug, Clone)]
pub struct Groups {
    aggregates: Vec<AggCall>,
    by: Vec<Column>,
    states: GroupStates,
    /// The encoded key of the record at hand (reused).
    key_buf: Vec<u8>,
}

fn new_states(aggregates: &[AggCall]) -> States {
    aggregates
        .iter()
        .map(|a| AggState::new(a.function, a.arg.is_some()))
        .collect()
}

/// Whether two states are of one kind (`count` and `sum` are both simple states, of
/// different aggregates).
fn same_kind(a: &AggState, b: &AggState) -> bool {
    use std::mem::discriminant;
    match (a, b) {
        (AggState::Simple { agg: x, .. }, AggState::Simple { agg: y, .. }) => {
            discriminant(x) == discriminant(y)
        }
        _ => discriminant(a) == discriminant(b),
    }
}

/// What a table holds, to read in place (see [`Table::contents`]).
pub(crate) enum Contents<'t> {
    Groups(&'t GroupStates),
    Sorted(&'t [Record<'static>]),
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
            states: GroupStates::default(),
            // Never empty of allocation: comparing an empty key whose pointer is dangling
            // costs the masked vector loads of glibc's memcmp a fault-suppression assist
            // (measured: 18% of `parse combined | count`).
            key_buf: Vec::with_capacity(64),
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
                g.by.is_empty() && g.aggregates.len() == 1 && !g.aggregates[0].function.is_list()
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

    /// The group table of a `… by …` table (`None` for a sort buffer): to take its groups
    /// out ([`GroupStates::iter`], [`GroupStates::into_sorted_iter`]) or put groups in
    /// ([`GroupStates::insert`]), e.g. to send a partial table elsewhere and rebuild it.
    pub fn group_states(&mut self) -> Option<&mut GroupStates> {
        match self {
            Table::Groups(g) => Some(&mut g.states),
            Table::Sorted(_) => None,
        }
    }

    /// How much state the table holds.
    pub fn size(&self) -> usize {
        match self {
            Table::Groups(g) => g.states.size(),
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
                let aggregates = &g.aggregates;
                let update = |states: &mut [AggState], scratch: &mut Vec<u8>| {
                    let mut kept = 0;
                    let mut worst = Unusable::No;
                    for (state, call) in states.iter_mut().zip(aggregates) {
                        let v = call.arg.as_ref().map(|e| e.value(rec));
                        let (added, unusable) = state.add(v.as_deref(), scratch);
                        kept += added;
                        if unusable != Unusable::No {
                            worst = unusable;
                        }
                    }
                    (kept, worst)
                };
                let make = || new_states(aggregates);
                // One column (the common `count by status`): its value is made into the
                // key the table compares, in registers when it is short.
                if let [col] = &g.by[..] {
                    let key = col.expr.value(rec);
                    return g.states.add_value(&key, &mut g.key_buf, make, update);
                }
                // The key's values are kept only as these bytes (read back at the end).
                g.key_buf.clear();
                for col in &g.by {
                    GroupStates::push_key(&col.expr.value(rec), &mut g.key_buf);
                }
                g.states.add(&g.key_buf, make, update)
            }
        }
    }

    /// Fold in the table of a later part of the input.
    pub fn merge(&mut self, other: Table) {
        match (self, other) {
            (Table::Sorted(a), Table::Sorted(b)) => a.rows.extend(b.rows),
            (Table::Groups(a), Table::Groups(b)) => a.states.merge(b.states),
            _ => {}
        }
    }

    /// What the table holds, for the serialized partial state ([`super::partial`]): the
    /// group table, or the records kept to be sorted (in input order), read in place.
    pub(crate) fn contents(&self) -> Contents<'_> {
        match self {
            Table::Groups(g) => Contents::Groups(&g.states),
            Table::Sorted(s) => Contents::Sorted(&s.rows),
        }
    }

    /// Add a group read back from a serialized partial state (see
    /// [`Table::contents`]); a group of the same key is merged into. Ignored by a sort
    /// buffer.
    ///
    /// `false` (and nothing added) when the group is not of this table's shape: as many
    /// key values as `by` columns, and a state of the right kind for each aggregate. Bytes
    /// that frame well can still be of another shape, and a table's states are laid out
    /// by its shape.
    pub(crate) fn add_group(&mut self, keys: Vec<Value<'static>>, states: States) -> bool {
        let Table::Groups(g) = self else {
            return true;
        };
        let fresh = new_states(&g.aggregates);
        let same_kinds =
            states.len() == fresh.len() && states.iter().zip(&fresh).all(|(a, b)| same_kind(a, b));
        if keys.len() != g.by.len() || !same_kinds {
            return false;
        }
        g.states.insert(&keys, states);
        true
    }

    /// The finished table: column names and rows, groups in key order, sorted records in
    /// sort order (stable: ties keep input order).
    ///
    /// A lone `distinct X` or `top N X` (with or without groups) gives a row per value
    /// (`top` with a `count` column), which is what "the set of …" and "the most frequent
    /// …" questions want.
    pub fn rows(self) -> (Arc<Schema>, Vec<Record<'static>>) {
        let (schema, rows) = self.into_rows();
        (schema, rows.collect())
    }

    /// [`Table::rows`] one at a time: a group's row is made as it is taken, so a table of
    /// millions of groups is never held twice (as groups and as rows).
    pub fn into_rows(self) -> (Arc<Schema>, Rows) {
        let built = |schema, rows| (schema, Rows::built(rows));
        match self {
            Table::Sorted(mut s) => {
                let keys = s.keys;
                let eval: Vec<Vec<Value<'static>>> = s
                    .rows
                    .iter()
                    .map(|r| keys.iter().map(|k| k.expr.eval(r).into_owned()).collect())
                    .collect();
                let mut idx: Vec<usize> = (0..s.rows.len()).collect();
                idx.sort_by(|&a, &b| by_sort_keys(&keys, &eval[a], &eval[b]));
                let names: Vec<String> = s
                    .rows
                    .first()
                    .map(|r| r.iter().map(|(n, _)| n.to_string()).collect())
                    .unwrap_or_default();
                let mut slots: Vec<Option<Record<'static>>> =
                    std::mem::take(&mut s.rows).into_iter().map(Some).collect();
                let rows = idx.into_iter().filter_map(|i| slots[i].take()).collect();
                built(Arc::new(Schema::new(names)), rows)
            }
            Table::Groups(g) => {
                let groups = g.states.into_sorted_iter();
                let names = table_columns(&g.aggregates, &g.by);
                let expand = g.aggregates.len() == 1 && g.aggregates[0].function.is_list();
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
                    return built(schema, rows);
                }
                let schema = Arc::new(Schema::new(names));
                // An aggregate of no records still has its one row (`count` = 0).
                let none = (groups.len() == 0 && g.by.is_empty())
                    .then(|| (Vec::new(), new_states(&g.aggregates)));
                let rows = Rows {
                    inner: RowsInner::Groups {
                        groups: groups.chain(none),
                        schema: schema.clone(),
                    },
                };
                (schema, rows)
            }
        }
    }
}

impl Table {
    /// What `sort KEYS | head N` right after this table takes from [`Table::into_rows`]:
    /// the first `n` rows in the order of `keys` (ties in the table's own order, as the
    /// stable sort leaves them), given in the table's own order, so that the sort and head
    /// that follow make of them exactly what they make of all the rows. The other groups'
    /// rows are never made and no key is sorted: of a table of 65 823 hosts (`sum bytes by
    /// host | sort sum_bytes desc | head 3`), making, sorting and dropping every row was
    /// about a sixth of the run.
    ///
    /// A table this does not serve gives all its rows ([`Table::into_rows`]): a sort
    /// buffer, a table without `by` (its one row), a lone `distinct`/`top` (a row per
    /// value), `n` 0, `n` not fewer than the groups.
    pub(crate) fn into_first_rows(self, keys: &[SortKey], n: usize) -> (Arc<Schema>, Rows) {
        let g = match self {
            // `n` at least the groups: nothing would be cut, and the rows the table
            // gives in its own order cost less than candidates sorted twice (review:
            // `head 110000` of 120 000 hosts took 1.2-1.3x the CPU this way).
            Table::Groups(g)
                if n > 0
                    && n < g.states.len()
                    && !g.by.is_empty()
                    && !(g.aggregates.len() == 1 && g.aggregates[0].function.is_list()) =>
            {
                g
            }
            other => return other.into_rows(),
        };
        let schema = Arc::new(Schema::new(table_columns(&g.aggregates, &g.by)));
        let chosen = first_groups(&g.states, &schema, keys, n);
        let rows = g
            .states
            .take(&chosen)
            .into_iter()
            .map(|(mut values, states)| {
                values.extend(states.iter().map(AggState::value));
                row(&schema, values)
            })
            .collect();
        (schema, Rows::built(rows))
    }
}

/// The order of `sort KEYS` between two rows, given their values of `keys` (in the same
/// order): the first key whose values differ decides, reversed when it is `desc`.
fn by_sort_keys(keys: &[SortKey], a: &[Value<'_>], b: &[Value<'_>]) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let o = total_order(x, y);
        let o = if k.descending { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// A group that may be among the first rows: its sort keys' values, its encoded key
/// (the table's order, for ties) and where it is.
#[derive(Clone)]
struct Candidate<'t> {
    sort: SmallVec<[Value<'t>; 2]>,
    key: &'t [u8],
    at: GroupAt,
}

/// The groups of the first `n` rows of `groups` in the order of `keys` (see
/// [`Table::into_first_rows`]), in the table's own order. Each group's row is made in a
/// record borrowing its key, its sort keys evaluated, and it is kept only if it comes
/// before the `n`th row kept so far; the kept ones are cut back to `n` now and then.
fn first_groups<'t>(
    groups: &'t GroupStates,
    schema: &Arc<Schema>,
    keys: &[SortKey],
    n: usize,
) -> Vec<GroupAt> {
    let order = |a: &Candidate<'_>, b: &Candidate<'_>| {
        by_sort_keys(keys, &a.sort, &b.sort).then_with(|| key_order(a.key, b.key))
    };
    // Cut back to `n` when twice as many are kept (at least a few dozen: a cut sorts).
    let most = n.saturating_mul(2).max(64);
    let mut kept: Vec<Candidate<'t>> = Vec::new();
    // The `n`th of the kept rows after the last cut: a row after it is not among the first.
    let mut bar: Option<Candidate<'t>> = None;
    let mut rec: Record<'t> = Record::new();
    groups.each(|at, key, states| {
        let slots = rec.begin_fixed(schema);
        let values = key_values(key)
            .into_iter()
            .chain(states.iter().map(|s| -> Value<'t> { s.value() }));
        for (slot, v) in slots.iter_mut().zip(values) {
            *slot = v;
        }
        let sort = keys.iter().map(|k| k.expr.eval(&rec)).collect();
        let c = Candidate { sort, key, at };
        if bar.as_ref().is_some_and(|b| order(&c, b).is_ge()) {
            return;
        }
        kept.push(c);
        if kept.len() >= most {
            kept.sort_unstable_by(order);
            kept.truncate(n);
            bar = kept.last().cloned();
        }
    });
    kept.sort_unstable_by(order);
    kept.truncate(n);
    kept.sort_unstable_by(|a, b| key_order(a.key, b.key));
    kept.into_iter().map(|c| c.at).collect()
}

/// The rows of a finished table, in order (see [`Table::into_rows`]).
pub struct Rows {
    inner: RowsInner,
}

enum RowsInner {
    /// Rows made beforehand (sorted records, expanded lists).
    Built(std::vec::IntoIter<Record<'static>>),
    /// A row per group, made as it is taken.
    Groups {
        groups: std::iter::Chain<
            crate::agg::SortedGroups,
            std::option::IntoIter<(Vec<Value<'static>>, States)>,
        >,
        schema: Arc<Schema>,
    },
}

impl Rows {
    /// Rows made beforehand, given in this order.
    fn built(rows: Vec<Record<'static>>) -> Rows {
        Rows {
            inner: RowsInner::Built(rows.into_iter()),
        }
    }
}

impl Iterator for Rows {
    type Item = Record<'static>;

    fn next(&mut self) -> Option<Record<'static>> {
        match &mut self.inner {
            RowsInner::Built(rows) => rows.next(),
            RowsInner::Groups { groups, schema } => groups.next().map(|(mut keys, states)| {
                keys.extend(states.iter().map(AggState::value));
                row(schema, keys)
            }),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            RowsInner::Built(rows) => rows.size_hint(),
            RowsInner::Groups { groups, .. } => groups.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::StageSpec;

    fn table(text: &str) -> Table {
        let plan = crate::query::parse(text).unwrap();
        let Some(StageSpec::Aggregate { aggregates, by }) = plan.stages.last().cloned() else {
            panic!("{text}: not an aggregate");
        };
        Table::groups(aggregates, by)
    }

    /// A group read back from bytes that frame well but are of another shape is refused
    /// (review: a group with fewer states than the plan's shifted every later group's
    /// states, and the table's output sliced past its end).
    #[test]
    fn groups_of_another_shape_are_refused() {
        let mut t = table("parse combined | count, sum bytes by status");
        let Table::Groups(g) = &t else { panic!() };
        let fresh = new_states(&g.aggregates);
        let key = || vec![Value::Int(200)];
        assert!(t.add_group(key(), fresh.clone()));
        // Too few states, too many, another kind, too many key values.
        assert!(!t.add_group(key(), fresh[..1].iter().cloned().collect()));
        let mut more = fresh.clone();
        more.push(fresh[0].clone());
        assert!(!t.add_group(key(), more));
        let swapped: States = fresh.iter().rev().cloned().collect();
        assert!(!t.add_group(key(), swapped));
        assert!(!t.add_group(vec![Value::Int(200), Value::Int(1)], fresh.clone()));
        let (_, rows) = t.rows();
        assert_eq!(rows.len(), 1);
    }

    /// `sort | head N` after a table takes only its first rows, built (not a row per
    /// group), in the table's own order; with `N` not fewer than the groups, all of
    /// them the usual way (review: no test showed the selection was used at all).
    #[test]
    fn first_rows_are_selected_only_when_some_are_cut() {
        let plan =
            crate::query::parse("parse combined | count by status | sort status desc").unwrap();
        let Some(StageSpec::Sort(keys)) = plan.stages.last().cloned() else {
            panic!("no sort");
        };
        let filled = || {
            let mut t = table("parse combined | count by status");
            let Table::Groups(g) = &t else { panic!() };
            let fresh = new_states(&g.aggregates);
            for status in [404, 200, 503, 301, 500] {
                assert!(t.add_group(vec![Value::Int(status)], fresh.clone()));
            }
            t
        };
        let statuses = |rows: Rows| -> Vec<Value<'static>> {
            rows.map(|r| r.value(0).cloned().unwrap_or(Value::Null))
                .collect()
        };
        let (_, rows) = filled().into_first_rows(&keys, 2);
        assert!(matches!(rows.inner, RowsInner::Built(_)));
        assert_eq!(statuses(rows), [Value::Int(500), Value::Int(503)]);
        for n in [5, 6] {
            let (_, rows) = filled().into_first_rows(&keys, n);
            assert!(matches!(rows.inner, RowsInner::Groups { .. }));
            assert_eq!(statuses(rows).len(), 5);
        }
    }
}
