//! A compiled pipeline: streaming steps, then what the values end in.
//!
//! Lines go through the steps one at a time: line stages (`grep`, `field`, `head`) on the
//! current value, `parse` turning it into a [`Record`] that borrows the line, then record
//! steps (`where`, `select`, `head`). What comes out ends in an [`End`]: printed values, the
//! seed's single aggregate, printed records, a [`Table`] (groups, or records kept to be
//! sorted) whose rows go on into a follow-on chain when the input is done, or `tee`
//! branches that each get every value.

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use crate::agg::{AggValue, Aggregate};
use crate::error::{Error, InputName};
use crate::query::expr::{Expr, FieldRef};
use crate::query::names::{self, Unseen};
use crate::query::{AggFn, Column, Plan, StageSpec, Terminal};
use crate::record::{Record, Schema, Value};
use crate::stage::parse::{Failures, ParseSpec, Parser};
use crate::stage::{Field, Grep, Head, SkipReason, Stage, Step as StageStep};

use super::line_op::LineOp;

use super::flow::{Flow, RunError};
use super::table::{Table, Unusable};
use super::{Emitted, Output, Skips};

/// Counters shared by everything a run pushes.
#[derive(Debug)]
pub(crate) struct Stats {
    pub values: u64,
    pub skips: Skips,
    pub failures: Failures,
    pub state_limit: usize,
    /// What `parse auto` chose, to be reported.
    pub notes: Vec<String>,
    /// A table went past the state limit: its results are incomplete.
    pub over_limit: bool,
    /// Fields named after a JSON or logfmt `parse` that no record has had yet.
    pub unseen: Unseen,
}

impl Stats {
    pub fn new(state_limit: usize) -> Stats {
        Stats {
            values: 0,
            skips: Skips::default(),
            failures: Failures::default(),
            state_limit,
            notes: Vec::new(),
            over_limit: false,
            unseen: Unseen::default(),
        }
    }

    /// Whether `size` groups or values held (after adding one) pass the state limit (an
    /// error that ends the run: see [`Stats::input_failed`]). Checked after adding, as the
    /// parallel merge checks its merged state: a record that lands in a group already
    /// held never fails the run.
    pub fn within_limit(&self, size: usize) -> Result<(), RunError> {
        crate::agg::check_state_limit(size, self.state_limit)
            .map_err(|e| RunError::Input(Error::State(e)))
    }

    /// The one rule for an error of an input, whichever driver read it: the error is
    /// counted by the caller and reported; one that ends the run (the state limit, a
    /// pipeline found wrong while running) marks the run, so its partial results are not
    /// printed as the answer, and says stop.
    pub fn input_failed(&mut self, e: &Error) -> Flow {
        if e.ends_run() {
            self.over_limit = true;
            Flow::Stop
        } else {
            Flow::Go
        }
    }
}

/// Where the value at hand comes from.
pub(crate) struct Ctx<'c> {
    pub input: &'c InputName,
    pub line_no: u64,
    pub output: &'c mut dyn Output,
    pub stats: &'c mut Stats,
}

pub(crate) enum ParserSlot {
    Ready(Parser),
    /// `parse auto`: chosen from the first lines of the first input.
    Auto,
}

pub(crate) struct ParseStep {
    pub parser: ParserSlot,
    spare: Record<'static>,
    strict: bool,
    /// The fields the stages after this one read, while records that name their own
    /// fields (JSON, logfmt) might still lack one (see [`Unseen`]); emptied once every
    /// one was seen, or when the parser turns out to have a fixed schema (checked before
    /// reading).
    watch: Vec<String>,
}

pub(crate) enum Step {
    /// `grep`, `field`, `head` on the value (a closed enum: no virtual call per line).
    Line(LineOp),
    /// `grep` after `parse`: on the whole line.
    GrepLine(Grep),
    Parse(ParseStep),
    Where(Expr),
    Select {
        columns: Vec<Column>,
        schema: Arc<Schema>,
        /// The output record, emptied for each line (its allocation kept).
        spare: Record<'static>,
    },
    Head(Head),
}

pub(crate) enum End {
    Values,
    Seed {
        agg: Aggregate,
        needs_numbers: bool,
        name: &'static str,
    },
    Records,
    /// Values kept (inside `tee`, so each branch prints under its heading).
    Kept(Vec<Vec<u8>>),
    Table {
        table: Table,
        then: Box<Chain>,
        /// The schema of a value seen as a record (`value`), for tables before `parse`.
        value_schema: Arc<Schema>,
        /// What `then` was compiled from, to compile a fresh one for a snapshot.
        then_spec: Box<ThenSpec>,
    },
    Tee {
        branches: Vec<(String, Chain)>,
        done: Vec<bool>,
    },
}

/// The stages after a table, kept to compile them again (see [`Chain::snapshot`]).
#[derive(Clone)]
pub(crate) struct ThenSpec {
    stages: Vec<StageSpec>,
    terminal: Terminal,
    opts: CompileOptions,
}

/// Steps and an end.
pub(crate) struct Chain {
    pub steps: Vec<Step>,
    pub end: End,
    /// Whether a step's result depends on the order of all lines (`head`).
    pub(crate) ordered: bool,
}

/// What the compiler needs to know besides the plan.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompileOptions {
    pub strict: bool,
}

fn bad(message: String) -> Error {
    Error::Query(crate::query::QueryError {
        text: String::new(),
        column: 0,
        message,
    })
}

impl Chain {
    /// Compile `stages` (of a checked plan). `records`: whether values are records here
    /// (after a `parse`, or rows of a table); `kept`: inside `tee`, keep what would be
    /// printed, to print it under the branch's heading.
    pub fn compile(
        stages: &[StageSpec],
        terminal: Terminal,
        mut records: bool,
        kept: bool,
        opts: CompileOptions,
    ) -> Result<Chain, Error> {
        let mut steps = Vec::new();
        let ordered = stages[..stages
            .iter()
            .position(|s| {
                matches!(
                    s,
                    StageSpec::Aggregate { .. } | StageSpec::Sort(_) | StageSpec::Tee(_)
                )
            })
            .unwrap_or(stages.len())]
            .iter()
            .any(|s| matches!(s, StageSpec::Head(_)));
        for (i, spec) in stages.iter().enumerate() {
            match spec {
                StageSpec::Grep { pattern, options } => {
                    let g = Grep::new(pattern, *options)
                        .map_err(|e| bad(format!("bad regular expression: {e}")))?;
                    steps.push(if records {
                        Step::GrepLine(g)
                    } else {
                        Step::Line(LineOp::Grep(g))
                    });
                }
                StageSpec::Field { index, delimiter } => {
                    let f = match delimiter {
                        None => Field::new(*index),
                        Some(d) => Field::with_delimiter(*index, d.as_bytes()),
                    }
                    .ok_or_else(|| bad(format!("no field {index} (fields count from 1 or -1)")))?;
                    steps.push(Step::Line(LineOp::Field(f)));
                }
                StageSpec::Head(n) => steps.push(if records {
                    Step::Head(Head::new(*n))
                } else {
                    Step::Line(LineOp::Head(Head::new(*n)))
                }),
                StageSpec::Parse(spec) => {
                    let parser = match spec {
                        ParseSpec::Auto => ParserSlot::Auto,
                        spec => ParserSlot::Ready(
                            Parser::new(spec).map_err(|e| bad(format!("parse: {}", e.message)))?,
                        ),
                    };
                    let watch = match &parser {
                        ParserSlot::Ready(p) if p.field_names().is_some() => Vec::new(),
                        _ => names::fields_read(&stages[i + 1..]),
                    };
                    steps.push(Step::Parse(ParseStep {
                        parser,
                        spare: Record::new(),
                        strict: opts.strict,
                        watch,
                    }));
                    records = true;
                }
                StageSpec::Where(e) => steps.push(Step::Where(e.clone())),
                StageSpec::Select(columns) => steps.push(Step::Select {
                    schema: Arc::new(Schema::new(
                        columns.iter().map(|c| c.name.clone()).collect(),
                    )),
                    columns: columns.clone(),
                    spare: Record::new(),
                }),
                StageSpec::Aggregate { aggregates, by } => {
                    if let Terminal::Aggregate(kind) = terminal {
                        return Ok(Chain {
                            steps,
                            ordered,
                            end: End::Seed {
                                agg: Aggregate::new(kind),
                                needs_numbers: kind.needs_numbers(),
                                name: kind.name(),
                            },
                        });
                    }
                    let mut aggregates = aggregates.clone();
                    if !records {
                        // Before `parse`, an aggregate without argument takes the current
                        // value, which a table sees as the field `value`.
                        for a in &mut aggregates {
                            let counts =
                                matches!(a.function, AggFn::Simple(crate::agg::AggKind::Count));
                            if a.arg.is_none() && !counts {
                                a.arg = Some(Expr::Field(FieldRef::new("value")));
                            }
                        }
                    }
                    let table = Table::groups(aggregates, by.clone());
                    return Chain::ending_in(
                        table,
                        steps,
                        ordered,
                        &stages[i + 1..],
                        terminal,
                        opts,
                    );
                }
                StageSpec::Sort(keys) => {
                    let table = Table::sorted(keys.clone());
                    return Chain::ending_in(
                        table,
                        steps,
                        ordered,
                        &stages[i + 1..],
                        terminal,
                        opts,
                    );
                }
                StageSpec::Tee(plans) => {
                    let mut branches = Vec::new();
                    for plan in plans {
                        branches.push((
                            plan.text.clone(),
                            Chain::compile(&plan.stages, plan.terminal, records, true, opts)?,
                        ));
                    }
                    let done = vec![false; branches.len()];
                    return Ok(Chain {
                        steps,
                        ordered,
                        end: End::Tee { branches, done },
                    });
                }
            }
        }
        let end = match (records, kept) {
            // Records inside `tee`: kept in input order (a sort buffer with no keys), to be
            // printed under the branch's heading.
            (true, true) => {
                let keep = Table::sorted(Vec::new());
                return Chain::ending_in(keep, steps, ordered, &[], terminal, opts);
            }
            (false, true) => End::Kept(Vec::new()),
            (true, false) => End::Records,
            (false, false) => End::Values,
        };
        Ok(Chain {
            steps,
            end,
            ordered,
        })
    }

    /// `steps` ending in `table`, whose rows go on through `rest` when the input is done.
    fn ending_in(
        table: Table,
        steps: Vec<Step>,
        ordered: bool,
        rest: &[StageSpec],
        terminal: Terminal,
        opts: CompileOptions,
    ) -> Result<Chain, Error> {
        // The rows come out when the input is done, so inside `tee` they already come
        // under the branch's heading: no need to keep them again.
        let then = Chain::compile(rest, terminal, true, false, opts)?;
        let then_spec = Box::new(ThenSpec {
            stages: rest.to_vec(),
            terminal,
            opts,
        });
        Ok(Chain {
            steps,
            ordered,
            end: End::Table {
                table,
                then: Box::new(then),
                value_schema: value_schema(),
                then_spec,
            },
        })
    }

    /// Compile a whole plan.
    pub fn for_plan(plan: &Plan, opts: CompileOptions) -> Result<Chain, Error> {
        let mut chain = Chain::compile(&plan.stages, plan.terminal, false, false, opts)?;
        chain.project_parser();
        chain.bind_fields();
        Ok(chain)
    }

    /// Bind the fields named by `where`, `select` and tables to their slots in the
    /// records they will see (those of the parser, or of a `select`), so that records of
    /// a fixed schema are not searched by name on every line. Call again when a parser
    /// changes (`parse auto` chose one).
    fn bind_fields(&mut self) {
        bind_steps(&mut self.steps, &mut self.end, None);
    }

    /// Let the parser build only the fields the rest of the pipeline reads (the scanner
    /// still checks every line against the whole format). Only when every reader of the
    /// records is known: records printed whole, or kept whole by `sort`, need every field.
    fn project_parser(&mut self) {
        let Some(at) = self.steps.iter().position(|s| matches!(s, Step::Parse(_))) else {
            return;
        };
        let mut names = Vec::new();
        if !fields_read(&self.steps[at + 1..], &self.end, &mut names) {
            return;
        }
        if let Step::Parse(ParseStep {
            parser: ParserSlot::Ready(parser),
            ..
        }) = &mut self.steps[at]
        {
            let keys: Vec<_> = names.iter().map(|n| parser.resolve(n)).collect();
            parser.project(&keys);
        }
    }

    /// Whether the chain may run on several threads with partial results merged:
    /// no stage whose result depends on the order of all lines (`head`), no `parse auto`
    /// (each thread could choose differently), no streamed records. `tee` is safe when
    /// each branch is: what a branch gathers (tables, kept values) merges in input order.
    pub fn parallel_safe(&self) -> bool {
        let parsers_ready = self.steps.iter().all(|s| match s {
            Step::Parse(p) => matches!(p.parser, ParserSlot::Ready(_)),
            _ => true,
        });
        parsers_ready
            && !self.ordered
            && match &self.end {
                End::Values | End::Seed { .. } | End::Table { .. } | End::Kept(_) => true,
                End::Records => false,
                End::Tee { branches, .. } => branches.iter().all(|(_, c)| c.parallel_safe()),
            }
    }

    /// Push one value through the chain. `scratch`: a record for `parse` to fill that
    /// lives as long as the line's batch, kept from line to line so that a fixed schema's
    /// slots are overwritten in place rather than cleared and refilled for every line
    /// (without one, the step uses its own, emptied for every line).
    #[inline]
    pub fn push<'a>(
        &mut self,
        ctx: &mut Ctx<'_>,
        line: &'a [u8],
        value: &'a [u8],
        record: Option<&Record<'a>>,
        scratch: Option<&mut Record<'a>>,
    ) -> Result<Flow, RunError> {
        run_steps(
            &mut self.steps,
            &mut self.end,
            ctx,
            line,
            value,
            record,
            scratch,
        )
    }

    /// Choose the parser of every `parse auto` step (in `tee` branches too) from sample
    /// lines; returns what was chosen, one line per step.
    pub fn resolve_auto(&mut self, sample: &[&[u8]]) -> Result<Vec<String>, Error> {
        let chosen = self.choose_auto(sample)?;
        if !chosen.is_empty() {
            // The chosen parser builds only what is read, as one named in the plan does.
            self.project_parser();
            // Once, from the top: a branch's records come from the parsers before it.
            self.bind_fields();
        }
        Ok(chosen)
    }

    fn choose_auto(&mut self, sample: &[&[u8]]) -> Result<Vec<String>, Error> {
        let mut chosen = Vec::new();
        for step in &mut self.steps {
            if let Step::Parse(p) = step {
                if matches!(p.parser, ParserSlot::Auto) {
                    let (parser, choice) =
                        Parser::auto(sample).map_err(|e| bad(format!("parse auto: {e}")))?;
                    p.parser = ParserSlot::Ready(parser);
                    chosen.push(choice.to_string());
                }
            }
        }
        if let End::Tee { branches, .. } = &mut self.end {
            for (_, branch) in branches {
                chosen.extend(branch.choose_auto(sample)?);
            }
        }
        Ok(chosen)
    }

    /// The parser of the chain's `parse` step, once built.
    pub fn parser(&self) -> Option<&Parser> {
        self.steps.iter().find_map(|s| match s {
            Step::Parse(ParseStep {
                parser: ParserSlot::Ready(p),
                ..
            }) => Some(p),
            _ => None,
        })
    }

    /// Every built parser of the chain, `tee` branches' included, in order.
    pub fn parsers(&self) -> Vec<&Parser> {
        let mut all: Vec<&Parser> = self.parser().into_iter().collect();
        if let End::Tee { branches, .. } = &self.end {
            for (_, branch) in branches {
                all.extend(branch.parsers());
            }
        }
        all
    }

    /// Whether a `parse auto` step (in `tee` branches too) still waits for its sample.
    pub fn needs_auto(&self) -> bool {
        let here = self.steps.iter().any(|s| {
            matches!(
                s,
                Step::Parse(ParseStep {
                    parser: ParserSlot::Auto,
                    ..
                })
            )
        });
        here || matches!(&self.end, End::Tee { branches, .. } if branches.iter().any(|(_, c)| c.needs_auto()))
    }

    /// The input is done: emit tables (through their follow-on chains), tee branches
    /// under their headings, and the seed aggregate.
    pub fn finish(&mut self, output: &mut dyn Output, stats: &mut Stats) -> Result<(), RunError> {
        match &mut self.end {
            End::Values | End::Records => Ok(()),
            End::Kept(values) => {
                for v in values.iter() {
                    output.value(Emitted {
                        input: &InputName::Stdin,
                        line: 0,
                        value: v,
                    })?;
                }
                Ok(())
            }
            End::Seed { agg, name, .. } => {
                output.aggregate(name, agg.value())?;
                Ok(())
            }
            End::Table { table, then, .. } => {
                let table = std::mem::replace(table, table.empty_like());
                let lone = table.lone_aggregate() && then.steps.is_empty();
                let (schema, rows) = table.into_rows();
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
                        if let Some(v) = scalar {
                            output.aggregate(name, v)?;
                            return Ok(());
                        }
                    }
                }
                // The rows are printed as they are when nothing after the table reshapes
                // them: announce their columns (so even an empty table shows its header).
                let printed_as_is = matches!(then.end, End::Records)
                    && !then.steps.iter().any(|s| matches!(s, Step::Select { .. }));
                if printed_as_is {
                    output.columns(schema.names())?;
                }
                let nowhere = InputName::Stdin;
                // The table's rows are not input: they are counted apart from it.
                let mut rows_stats = Stats::new(stats.state_limit);
                for (i, r) in rows.enumerate() {
                    let mut ctx = Ctx {
                        input: &nowhere,
                        line_no: i as u64 + 1,
                        output: &mut *output,
                        stats: &mut rows_stats,
                    };
                    if then.push(&mut ctx, b"", b"", Some(&r), None)? == Flow::Stop {
                        break;
                    }
                }
                then.finish(output, &mut rows_stats)?;
                if matches!(then.end, End::Records) {
                    output.end_table()?;
                }
                Ok(())
            }
            End::Tee { branches, .. } => {
                for (i, (title, chain)) in branches.iter_mut().enumerate() {
                    output.branch(i, title)?;
                    chain.finish(output, stats)?;
                }
                Ok(())
            }
        }
    }

    /// Write the results so far without disturbing the run (for the running aggregates
    /// of follow mode): tables are copied and finished through a fresh copy of what
    /// follows them.
    pub fn snapshot(&self, output: &mut dyn Output, stats: &mut Stats) -> Result<(), RunError> {
        match &self.end {
            End::Values | End::Records | End::Kept(_) => Ok(()),
            End::Seed { agg, name, .. } => Ok(output.aggregate(name, agg.value())?),
            End::Table {
                table,
                then_spec,
                value_schema,
                ..
            } => {
                let then = Chain::compile(
                    &then_spec.stages,
                    then_spec.terminal,
                    true,
                    false,
                    then_spec.opts,
                )
                .map_err(RunError::Input)?;
                let mut copy = Chain {
                    steps: Vec::new(),
                    ordered: false,
                    end: End::Table {
                        table: table.clone(),
                        then: Box::new(then),
                        value_schema: value_schema.clone(),
                        then_spec: then_spec.clone(),
                    },
                };
                copy.finish(output, stats)
            }
            End::Tee { branches, .. } => {
                for (i, (title, chain)) in branches.iter().enumerate() {
                    output.branch(i, title)?;
                    chain.snapshot(output, stats)?;
                }
                Ok(())
            }
        }
    }

    /// Whether the chain gathers results to show at the end (an aggregate, a table, tee).
    pub fn gathers(&self) -> bool {
        matches!(
            self.end,
            End::Seed { .. } | End::Table { .. } | End::Tee { .. }
        )
    }

    /// Take what this chain gathered so far (the seed aggregate's or the table's state),
    /// leaving it empty: a worker's share of one input.
    pub fn take_partial(&mut self) -> Partial {
        match &mut self.end {
            End::Seed { agg, .. } => {
                let fresh = Aggregate::new(kind_of(agg));
                Partial::Seed(std::mem::replace(agg, fresh))
            }
            End::Table { table, .. } => {
                let fresh = table.empty_like();
                Partial::Table(std::mem::replace(table, fresh))
            }
            End::Kept(values) => Partial::Kept(std::mem::take(values)),
            End::Tee { branches, .. } => {
                Partial::Tee(branches.iter_mut().map(|(_, c)| c.take_partial()).collect())
            }
            End::Values | End::Records => Partial::None,
        }
    }

    /// The most state any one table (or branch's kept values) holds, to check against
    /// the state limit.
    pub fn state_size(&self) -> usize {
        match &self.end {
            End::Table { table, .. } => table.size(),
            End::Kept(values) => values.len(),
            End::Tee { branches, .. } => branches
                .iter()
                .map(|(_, c)| c.state_size())
                .max()
                .unwrap_or(0),
            End::Values | End::Seed { .. } | End::Records => 0,
        }
    }

    /// Fold in a partial state taken from a chain compiled from the same plan.
    pub fn merge_partial(&mut self, partial: Partial) {
        match (&mut self.end, partial) {
            (End::Seed { agg, .. }, Partial::Seed(other)) => agg.merge(&other),
            (End::Table { table, .. }, Partial::Table(other)) => table.merge(other),
            (End::Kept(values), Partial::Kept(other)) => values.extend(other),
            (End::Tee { branches, .. }, Partial::Tee(parts)) => {
                for ((_, c), part) in branches.iter_mut().zip(parts) {
                    c.merge_partial(part);
                }
            }
            _ => {}
        }
    }

    /// The result of the seed's single aggregate, if the chain ends in one.
    pub fn seed_result(&self) -> Option<AggValue> {
        match &self.end {
            End::Seed { agg, .. } => Some(agg.value()),
            _ => None,
        }
    }
}

/// A chain's gathered state (see [`Chain::take_partial`]).
pub(crate) enum Partial {
    None,
    Seed(Aggregate),
    Table(Table),
    Kept(Vec<Vec<u8>>),
    /// One per branch.
    Tee(Vec<Partial>),
}

fn kind_of(agg: &Aggregate) -> crate::agg::AggKind {
    use crate::agg::AggKind;
    match agg {
        Aggregate::Count(_) => AggKind::Count,
        Aggregate::Sum(_) => AggKind::Sum,
        Aggregate::Min(_) => AggKind::Min,
        Aggregate::Max(_) => AggKind::Max,
        Aggregate::Avg { .. } => AggKind::Avg,
    }
}

/// Add to `out` the fields that `steps` and `end` read from a record; `false` when they
/// use whole records (or cannot tell).
fn fields_read(steps: &[Step], end: &End, out: &mut Vec<String>) -> bool {
    let mut names = |e: &Expr| out.extend(e.fields().into_iter().map(String::from));
    for step in steps {
        match step {
            Step::Where(e) => names(e),
            Step::Select { columns, .. } => {
                // What follows sees the selected columns, not the parsed record.
                columns.iter().for_each(|c| names(&c.expr));
                return true;
            }
            Step::Parse(_) | Step::Line(_) => return false,
            Step::GrepLine(_) | Step::Head(_) => {}
        }
    }
    match end {
        End::Values | End::Seed { .. } | End::Kept(_) => true,
        End::Records => false,
        End::Table { table, .. } => match table.expressions() {
            Some(exprs) => {
                exprs.into_iter().for_each(names);
                true
            }
            None => false,
        },
        End::Tee { branches, .. } => branches
            .iter()
            .all(|(_, chain)| fields_read(&chain.steps, &chain.end, out)),
    }
}

/// See [`Chain::bind_fields`]: `schema` is that of the records reaching `steps`.
fn bind_steps(steps: &mut [Step], end: &mut End, mut schema: Option<Arc<Schema>>) {
    for step in steps {
        match step {
            Step::Parse(p) => {
                schema = match &p.parser {
                    ParserSlot::Ready(parser) => parser.schema().cloned(),
                    ParserSlot::Auto => None,
                }
            }
            Step::Where(e) => e.bind(schema.as_ref()),
            Step::Select {
                columns,
                schema: out,
                ..
            } => {
                columns
                    .iter_mut()
                    .for_each(|c| c.expr.bind(schema.as_ref()));
                schema = Some(out.clone());
            }
            Step::Line(_) | Step::GrepLine(_) | Step::Head(_) => {}
        }
    }
    match end {
        End::Table { table, .. } => table.bind(schema.as_ref()),
        End::Tee { branches, .. } => {
            for (_, chain) in branches {
                bind_steps(&mut chain.steps, &mut chain.end, schema.clone());
            }
        }
        End::Values | End::Seed { .. } | End::Records | End::Kept(_) => {}
    }
}

/// Run `steps` on a value (see [`Chain::push`]).
#[inline]
fn run_steps<'a>(
    steps: &mut [Step],
    end: &mut End,
    ctx: &mut Ctx<'_>,
    line: &'a [u8],
    value: &'a [u8],
    record: Option<&Record<'a>>,
    scratch: Option<&mut Record<'a>>,
) -> Result<Flow, RunError> {
    let Some((step, rest)) = steps.split_first_mut() else {
        return take(end, ctx, line, value, record, scratch);
    };
    match step {
        Step::Line(stage) => match stage.apply(value) {
            StageStep::Pass(v) => run_steps(rest, end, ctx, line, v, record, scratch),
            StageStep::Last(v) => {
                run_steps(rest, end, ctx, line, v, record, scratch)?;
                Ok(Flow::Stop)
            }
            StageStep::Drop => Ok(Flow::Go),
            StageStep::Skip(reason) => {
                ctx.stats.skips.add(reason, ctx.input, ctx.line_no, value);
                Ok(Flow::Go)
            }
            StageStep::Stop => Ok(Flow::Stop),
        },
        Step::GrepLine(g) => {
            if g.keeps(line) {
                run_steps(rest, end, ctx, line, value, record, scratch)
            } else {
                Ok(Flow::Go)
            }
        }
        Step::Parse(p) => {
            let ParserSlot::Ready(parser) = &mut p.parser else {
                return Ok(Flow::Go);
            };
            let how = (p.strict, &mut p.watch);
            match scratch {
                Some(rec) => parse_then(parser, how, rest, end, ctx, line, value, rec),
                None => {
                    let mut rec: Record<'a> = std::mem::take(&mut p.spare).recycle();
                    let result = parse_then(parser, how, rest, end, ctx, line, value, &mut rec);
                    p.spare = rec.recycle();
                    result
                }
            }
        }
        Step::Where(e) => match record {
            Some(r) if e.test(r) => run_steps(rest, end, ctx, line, value, record, scratch),
            _ => Ok(Flow::Go),
        },
        Step::Select {
            columns,
            schema,
            spare,
        } => {
            let Some(r) = record else {
                return Ok(Flow::Go);
            };
            let mut out: Record<'a> = std::mem::take(spare).recycle();
            let slots = out.begin_fixed(schema);
            for (slot, c) in slots.iter_mut().zip(columns.iter()) {
                *slot = c.expr.eval(r);
            }
            let result = run_steps(rest, end, ctx, line, value, Some(&out), scratch);
            *spare = out.recycle();
            result
        }
        Step::Head(h) => match h.apply(value) {
            StageStep::Pass(_) => run_steps(rest, end, ctx, line, value, record, scratch),
            StageStep::Last(_) => {
                run_steps(rest, end, ctx, line, value, record, scratch)?;
                Ok(Flow::Stop)
            }
            _ => Ok(Flow::Stop),
        },
    }
}

/// Parse `value` into `rec` and run the rest of the steps on it; a line that does not
/// parse is counted (or, with `--strict`, fails the input).
#[allow(clippy::too_many_arguments)]
#[inline]
fn parse_then<'a>(
    parser: &mut Parser,
    (strict, watch): (bool, &mut Vec<String>),
    rest: &mut [Step],
    end: &mut End,
    ctx: &mut Ctx<'_>,
    line: &'a [u8],
    value: &'a [u8],
    rec: &mut Record<'a>,
) -> Result<Flow, RunError> {
    // While names are watched for the "field never seen" report, records carry every
    // field (that report lists them), not only those the pipeline reads.
    let parsed = if watch.is_empty() {
        parser.parse(value, rec)
    } else {
        parser.parse_every_field(value, rec)
    };
    match parsed {
        Ok(()) => {
            ctx.stats.failures.add_parsed();
            if !watch.is_empty() {
                watch_names(watch, &mut ctx.stats.unseen, rec);
            }
            run_steps(rest, end, ctx, line, value, Some(rec), None)
        }
        Err(failure) => {
            if strict {
                return Err(RunError::Input(Error::Parse {
                    name: ctx.input.clone(),
                    line: ctx.line_no,
                    message: parser.describe(&failure.reason),
                }));
            }
            ctx.stats
                .failures
                .add(failure, ctx.input, ctx.line_no, value);
            Ok(Flow::Go)
        }
    }
}

/// Note the field names of a record whose parser names them per record, until every
/// name in `watch` was seen.
#[cold]
fn watch_names(watch: &mut Vec<String>, unseen: &mut Unseen, rec: &Record<'_>) {
    if rec.schema().is_some() {
        // A fixed schema (`parse auto` chose one): its names were checked when chosen.
        watch.clear();
        return;
    }
    unseen.watch(watch);
    unseen.saw(rec);
    if !unseen.pending() {
        watch.clear();
    }
}

#[inline]
fn take<'a>(
    end: &mut End,
    ctx: &mut Ctx<'_>,
    _line: &'a [u8],
    value: &'a [u8],
    record: Option<&Record<'a>>,
    mut scratch: Option<&mut Record<'a>>,
) -> Result<Flow, RunError> {
    if !matches!(end, End::Tee { .. }) {
        ctx.stats.values += 1;
    }
    match end {
        End::Values => ctx.output.value(Emitted {
            input: ctx.input,
            line: ctx.line_no,
            value,
        })?,
        End::Seed {
            agg, needs_numbers, ..
        } => {
            agg.add_item();
            if *needs_numbers && !agg.add_text(value) {
                ctx.stats
                    .skips
                    .add(SkipReason::NotANumber, ctx.input, ctx.line_no, value)
            }
        }
        End::Records => {
            if let Some(r) = record {
                ctx.output.record(ctx.input, ctx.line_no, r)?;
            }
        }
        End::Kept(values) => {
            values.push(value.to_vec());
            ctx.stats.within_limit(values.len())?;
        }
        End::Table {
            table,
            value_schema,
            ..
        } => {
            let unusable = match record {
                Some(r) => table.add(r),
                None => {
                    // Before `parse`: the value is the one field `value`, in the batch's
                    // record when there is one (no allocation per line).
                    let mut own = Record::new();
                    let r = scratch.unwrap_or(&mut own);
                    let slots = r.begin_fixed(value_schema);
                    slots[0] = Value::Str(Cow::Borrowed(value));
                    table.add(r)
                }
            };
            ctx.stats.within_limit(table.size())?;
            match unusable {
                Unusable::No => {}
                Unusable::Null => {
                    ctx.stats
                        .skips
                        .add(SkipReason::Null, ctx.input, ctx.line_no, b"-")
                }
                Unusable::NotANumber => {
                    ctx.stats
                        .skips
                        .add(SkipReason::NotANumber, ctx.input, ctx.line_no, value)
                }
            }
        }
        End::Tee { branches, done } => {
            for (i, (_, chain)) in branches.iter_mut().enumerate() {
                if done[i] {
                    continue;
                }
                if chain.push(ctx, _line, value, record, scratch.as_deref_mut())? == Flow::Stop {
                    done[i] = true;
                }
            }
            if done.iter().all(|d| *d) {
                return Ok(Flow::Stop);
            }
        }
    }
    Ok(Flow::Go)
}

fn value_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec!["value".to_string()]))
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Output(e)
    }
}
