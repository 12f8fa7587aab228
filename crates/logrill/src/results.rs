//! What a pipeline run by the library gives back: its values, its aggregate, its records
//! or table rows, the results of each `tee` branch. One collector serves the pull builder
//! ([`Pipeline::run`](crate::Pipeline::run)) and the push side
//! ([`PlanSink`](crate::sink::PlanSink)), so both answer in the same shape.

use crate::agg::AggValue;
use crate::error::Error;
use crate::exec::{Event, Skips};
use crate::query::{Plan, StageSpec, Terminal};
use crate::sink::{Consumer, Flow, Sink, SinkError};
use crate::stage::parse::{Record, Value};

/// An aggregate's result as a field value (an integer beyond `i64` as a float, as a
/// table row holds it).
fn value_of(v: AggValue) -> Value<'static> {
    match v {
        AggValue::Int(i) => i64::try_from(i).map_or(Value::Float(i as f64), Value::Int),
        AggValue::Float(x) => Value::Float(x),
        AggValue::Null => Value::Null,
    }
}

/// Everything a pipeline produced, by the shape its end gives it.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// Values (lines, or fields of them) of a pipeline that ends in values.
    pub values: Vec<Vec<u8>>,
    /// The seed's single aggregate of the current value (`... | field -1 | sum`).
    pub aggregate: Option<AggValue>,
    /// The columns of the table whose rows are in [`Results::rows`] (empty for records
    /// streamed after `parse`, which name their own fields).
    pub columns: Vec<String>,
    /// Records (after `parse`, `where`, `select`), or the rows of a table (after an
    /// aggregate or `sort`), owned.
    pub rows: Vec<Record<'static>>,
    /// The results of each `tee` branch, in order.
    pub branches: Vec<Results>,
}

impl Results {
    /// The values of column `name` of every row (null where a row lacks it).
    pub fn column(&self, name: &str) -> Vec<Value<'static>> {
        self.rows
            .iter()
            .map(|r| r.get_by_name(name).cloned().unwrap_or(Value::Null))
            .collect()
    }

    /// The rows as JSON objects (the command line's `--json` shape of a record).
    pub fn rows_json(&self) -> Vec<serde_json::Value> {
        self.rows.iter().map(Record::to_json).collect()
    }
}

/// The outcome of a pipeline: its result, and every input problem met on the way (the
/// other inputs were still read).
#[derive(Debug)]
pub struct Report<T> {
    /// The aggregate's result, or the collected values.
    pub value: T,
    /// Inputs that could not be opened or read to the end, in the order met.
    pub errors: Vec<Error>,
    /// Values skipped (no such field, not a number), by reason.
    pub skips: Skips,
    /// Lines `parse` could not read.
    pub unparsed: u64,
    /// Whether the run was cancelled before its inputs ended: the result is partial.
    pub interrupted: bool,
}

impl<T> Report<T> {
    /// The same report around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Report<U> {
        Report {
            value: f(self.value),
            errors: self.errors,
            skips: self.skips,
            unparsed: self.unparsed,
            interrupted: self.interrupted,
        }
    }

    pub(crate) fn from_summary(
        value: T,
        errors: Vec<Error>,
        summary: crate::exec::Summary,
    ) -> Self {
        Report {
            value,
            errors,
            skips: summary.skips,
            unparsed: summary.parse_failures.total(),
            interrupted: summary.interrupted,
        }
    }
}

/// The sink of [`Event`]s that keeps everything a run gives in a [`Results`] (closing it
/// gives them): what [`Pipeline::run`](crate::Pipeline::run) and a
/// [`PlanSink`](crate::sink::PlanSink) answer with.
#[derive(Debug, Default)]
pub struct Collector {
    pub(crate) results: Results,
    /// Whether the top pipeline (index 0) and each `tee` branch (1..) ends in the seed's
    /// bare aggregate of the current value: its result is [`Results::aggregate`]. A lone
    /// aggregate of records (`parse .. | count`) is a one-row table instead, so that it is
    /// in [`Results::rows`] like every other aggregate of records.
    seed: Vec<bool>,
}

impl Collector {
    /// A collector for the results of `plan`.
    pub(crate) fn for_plan(plan: &Plan) -> Collector {
        let mut seed = vec![matches!(plan.terminal, Terminal::Aggregate(_))];
        if let Some(StageSpec::Tee(branches)) = plan.stages.last() {
            seed.extend(
                branches
                    .iter()
                    .map(|b| matches!(b.terminal, Terminal::Aggregate(_))),
            );
        }
        Collector {
            results: Results::default(),
            seed,
        }
    }

    /// An empty collector for the same plan.
    pub(crate) fn empty_like(&self) -> Collector {
        Collector {
            results: Results::default(),
            seed: self.seed.clone(),
        }
    }

    /// Where the next result goes: the current `tee` branch, or the top.
    fn current(&mut self) -> &mut Results {
        let top = &mut self.results;
        if top.branches.is_empty() {
            top
        } else {
            let last = top.branches.len() - 1;
            &mut top.branches[last]
        }
    }
}

impl Consumer for Collector {
    type Output = Results;

    fn close(self) -> Result<Results, SinkError> {
        Ok(self.results)
    }
}

impl<'a> Sink<Event<'a>> for Collector {
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        match event {
            Event::Value(v) => self.current().values.push(v.value.to_vec()),
            Event::Record { record, .. } => self.current().rows.push(record.clone().into_owned()),
            Event::Columns(names) => self.current().columns = names.to_vec(),
            Event::EndTable => {}
            Event::Aggregate { name, value } => {
                let part = self.results.branches.len();
                if self.seed.get(part).copied().unwrap_or(true) {
                    self.current().aggregate = Some(value);
                } else {
                    let mut row = Record::new();
                    row.push(name.to_string().into(), value_of(value));
                    let current = self.current();
                    current.columns = vec![name.to_string()];
                    current.rows.push(row);
                }
            }
            Event::Branch { .. } => self.results.branches.push(Results::default()),
        }
        Ok(Flow::Continue)
    }
}
