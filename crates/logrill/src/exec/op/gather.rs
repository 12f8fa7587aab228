//! The end of a plan in a [`Table`]: groups of aggregates (`count by`, `top`, percentiles,
//! `distinct`, ...) or records kept to be sorted (`sort`), whose rows go on through the
//! stages after it when the input is done.

use std::borrow::Cow;
use std::sync::Arc;

use crate::agg::AggValue;
use crate::error::InputName;
use crate::query::{SortKey, StageSpec, Terminal};
use crate::record::{Record, Schema, Value};
use crate::stage::SkipReason;

use super::super::event::{emit, Event, Latch};
use super::super::flow::{Flow, RunError};
use super::super::stats::{Ctx, Stats};
use super::super::table::{Table, Unusable};
use super::super::Events;
use super::{Chain, CompileOptions, End, Item, Step};

/// The sort keys and the count of a `sort KEYS | head N` that the rows of a table go
/// through first (so that the table may give only the first `N` rows in that order, see
/// [`Table::into_first_rows`]).
fn first_rows(then: &[StageSpec]) -> Option<(&[SortKey], usize)> {
    match then {
        [StageSpec::Sort(keys), StageSpec::Head(n), ..] => Some((keys, usize::try_from(*n).ok()?)),
        _ => None,
    }
}

/// The stages after a table, kept to compile them again (for a snapshot of running
/// results, whose rows go through a fresh copy of them).
#[derive(Clone)]
pub(crate) struct ThenSpec {
    pub stages: Vec<StageSpec>,
    pub terminal: Terminal,
    pub opts: CompileOptions,
}

/// A table and what its rows go on through.
pub(crate) struct Gather {
    pub table: Table,
    pub then: Box<Chain>,
    /// The schema of a value seen as a record (`value`), for tables before `parse`.
    value_schema: Arc<Schema>,
    /// What `then` was compiled from.
    pub then_spec: Box<ThenSpec>,
}

impl Gather {
    pub fn new(table: Table, then: Chain, then_spec: ThenSpec) -> Gather {
        Gather {
            table,
            then: Box::new(then),
            value_schema: Arc::new(Schema::new(vec!["value".to_string()])),
            then_spec: Box::new(then_spec),
        }
    }

    /// A copy of the table gathered so far, its rows to go through `then` (a fresh
    /// compile of [`Gather::then_spec`]).
    pub fn copy_with(&self, then: Chain) -> Gather {
        Gather {
            table: self.table.clone(),
            then: Box::new(then),
            value_schema: self.value_schema.clone(),
            then_spec: self.then_spec.clone(),
        }
    }

    /// Add the record (or, before `parse`, the value as the field `value`) to the table.
    #[inline]
    pub fn add<'a>(
        &mut self,
        ctx: &mut Ctx<'_>,
        value: &'a [u8],
        record: Option<&Record<'a>>,
        scratch: Option<&mut Record<'a>>,
    ) -> Result<(), RunError> {
        let unusable = match record {
            Some(r) => self.table.add(r),
            None => {
                // Before `parse`: the value is the one field `value`, in the batch's
                // record when there is one (no allocation per line).
                let mut own = Record::new();
                let r = scratch.unwrap_or(&mut own);
                let slots = r.begin_fixed(&self.value_schema);
                slots[0] = Value::Str(Cow::Borrowed(value));
                self.table.add(r)
            }
        };
        ctx.stats.within_limit(self.table.size())?;
        match unusable {
            Unusable::No => {}
            Unusable::Null => ctx
                .stats
                .skips
                .add(SkipReason::Null, ctx.input, ctx.line_no, b"-"),
            Unusable::NotANumber => {
                ctx.stats
                    .skips
                    .add(SkipReason::NotANumber, ctx.input, ctx.line_no, value)
            }
        }
        Ok(())
    }

    /// The input is done: the table's rows go through the stages after it.
    pub fn finish(&mut self, output: &mut dyn Events, stats: &mut Stats) -> Result<Flow, RunError> {
        let fresh = self.table.empty_like();
        let table = std::mem::replace(&mut self.table, fresh);
        let then = &mut self.then;
        let lone = table.lone_aggregate() && then.steps.is_empty();
        // `sort KEYS | head N` next: only the rows it would keep are made.
        let (schema, rows) = match first_rows(&self.then_spec.stages) {
            Some((keys, n)) => table.into_first_rows(keys, n),
            None => table.into_rows(),
        };
        let mut rows = rows.peekable();
        // One aggregate, no groups, nothing after it: a bare number, as in the seed.
        if lone && matches!(then.end, End::Records) {
            if let (Some(name), Some(r)) = (schema.names().first(), rows.peek()) {
                let scalar = match r.value(0) {
                    Some(Value::Int(i)) => Some(AggValue::Int(*i as i128)),
                    Some(Value::Float(x)) => Some(AggValue::Float(*x)),
                    Some(Value::Null) => Some(AggValue::Null),
                    _ => None,
                };
                if let Some(value) = scalar {
                    return Ok(emit(output, Event::Aggregate { name, value })?);
                }
            }
        }
        // The rows are printed as they are when nothing after the table reshapes them:
        // announce their columns (so even an empty table shows its header).
        let printed_as_is = matches!(then.end, End::Records)
            && !then.steps.iter().any(|s| matches!(s, Step::Select(_)));
        if printed_as_is && emit(output, Event::Columns(schema.names()))? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        let nowhere = InputName::Stdin;
        // The table's rows are not input: they are counted apart from it.
        let mut rows_stats = Stats::new(stats.state_limit);
        // Rows the stages after the table stopped (`head`) still end the table; an output
        // that stopped is sent nothing more.
        let mut latch = Latch::new(&mut *output);
        for (i, r) in rows.enumerate() {
            let mut ctx = Ctx {
                input: &nowhere,
                line_no: i as u64 + 1,
                output: &mut latch,
                stats: &mut rows_stats,
            };
            if then.push(
                &mut ctx,
                Item {
                    line: b"",
                    value: b"",
                    record: Some(&r),
                    scratch: None,
                },
            )? == Flow::Stop
            {
                break;
            }
        }
        if latch.stopped {
            return Ok(Flow::Stop);
        }
        if then.finish(output, &mut rows_stats)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
        if matches!(then.end, End::Records) {
            return Ok(emit(output, Event::EndTable)?);
        }
        Ok(Flow::Go)
    }
}

#[cfg(test)]
mod tests {
    use super::first_rows;
    use crate::query::StageSpec;

    /// The stages after a query's table.
    fn then(text: &str) -> Vec<StageSpec> {
        let plan = crate::query::parse(text).unwrap();
        let at = plan
            .stages
            .iter()
            .position(|s| matches!(s, StageSpec::Aggregate { .. }))
            .unwrap();
        plan.stages[at + 1..].to_vec()
    }

    /// The table is told to give only the first rows exactly when `sort | head` follows
    /// it (review: no test showed the selection was reached at all).
    #[test]
    fn sort_then_head_after_a_table_asks_for_the_first_rows() {
        let stages = then("parse combined | sum bytes by host | sort sum_bytes desc | head 3");
        let (keys, n) = first_rows(&stages).unwrap();
        assert_eq!((keys.len(), keys[0].descending, n), (1, true, 3));
        let stages =
            then("parse combined | count by host | sort count, host | head 7 | select host");
        assert_eq!(first_rows(&stages).map(|(k, n)| (k.len(), n)), Some((2, 7)));
        for other in [
            "parse combined | count by host | head 3 | sort count",
            "parse combined | count by host | sort count",
            "parse combined | count by host | where count > 1 | sort count | head 3",
        ] {
            assert!(first_rows(&then(other)).is_none(), "{other}");
        }
    }
}
