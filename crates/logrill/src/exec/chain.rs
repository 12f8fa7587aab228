//! The compiler of a plan: turns a checked query's stages into the operators of
//! [`super::op`] (a [`Chain`]: steps, then an end), and the passes over a whole compiled
//! plan (binding field names to slots, letting the parser build only what is read,
//! choosing `parse auto`'s format, a snapshot of running results).

use std::sync::Arc;

use crate::agg::AggValue;
use crate::error::Error;
use crate::query::expr::{Expr, FieldRef};
use crate::query::names;
use crate::query::{AggFn, Plan, StageSpec, Terminal};
use crate::record::Schema;
use crate::stage::parse::{ParseSpec, Parser};
use crate::stage::{Field, Grep, Head};

use super::event::{emit, Event};
use super::flow::{Flow, RunError};
use super::op::{
    End, Filter, Gather, LineOp, ParseOp, ParserSlot, Seed, Select, Step, Tee, ThenSpec,
};
use super::table::Table;
use super::Events;

pub(crate) use super::op::{Chain, CompileOptions, Partial};
pub(crate) use super::stats::{Ctx, Stats};

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
        // A table (groups, or records kept for `sort`) ends the steps; the stages after it
        // take its rows.
        let mut table = None;
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
                    steps.push(Step::Parse(ParseOp::new(parser, opts.strict, watch)));
                    records = true;
                }
                StageSpec::Where(e) => steps.push(Step::Where(Filter::new(e.clone()))),
                StageSpec::Select(columns) => {
                    steps.push(Step::Select(Select::new(columns.clone())))
                }
                StageSpec::Aggregate { aggregates, by } => {
                    if let Terminal::Aggregate(kind) = terminal {
                        return Ok(Chain {
                            steps,
                            ordered,
                            end: End::Seed(Seed::new(kind)),
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
                    table = Some((Table::groups(aggregates, by.clone()), &stages[i + 1..]));
                    break;
                }
                StageSpec::Sort(keys) => {
                    table = Some((Table::sorted(keys.clone()), &stages[i + 1..]));
                    break;
                }
                StageSpec::Tee(plans) => {
                    let mut branches = Vec::new();
                    for plan in plans {
                        branches.push((
                            plan.text.clone(),
                            Chain::compile(&plan.stages, plan.terminal, records, true, opts)?,
                        ));
                    }
                    return Ok(Chain {
                        steps,
                        ordered,
                        end: End::Tee(Tee::new(branches)),
                    });
                }
            }
        }
        if let Some((table, rest)) = table {
            return Chain::ending_in(table, steps, ordered, rest, terminal, opts);
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
        let then_spec = ThenSpec {
            stages: rest.to_vec(),
            terminal,
            opts,
        };
        Ok(Chain {
            steps,
            ordered,
            end: End::Table(Gather::new(table, then, then_spec)),
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
        if let Step::Parse(ParseOp {
            parser: ParserSlot::Ready(parser),
            strict,
            ..
        }) = &mut self.steps[at]
        {
            let keys: Vec<_> = names.iter().map(|n| parser.resolve(n)).collect();
            parser.project(&keys);
            parser.check_every_byte(*strict);
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
                End::Values | End::Seed(_) | End::Table(_) | End::Kept(_) => true,
                End::Records => false,
                End::Tee(tee) => tee.branches.iter().all(|(_, c)| c.parallel_safe()),
            }
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
        if let End::Tee(tee) = &mut self.end {
            for (_, branch) in &mut tee.branches {
                chosen.extend(branch.choose_auto(sample)?);
            }
        }
        Ok(chosen)
    }

    /// The parser of the chain's `parse` step, once built.
    pub fn parser(&self) -> Option<&Parser> {
        self.steps.iter().find_map(|s| match s {
            Step::Parse(ParseOp {
                parser: ParserSlot::Ready(p),
                ..
            }) => Some(p),
            _ => None,
        })
    }

    /// Every built parser of the chain, `tee` branches' included, in order.
    pub fn parsers(&self) -> Vec<&Parser> {
        let mut all: Vec<&Parser> = self.parser().into_iter().collect();
        if let End::Tee(tee) = &self.end {
            for (_, branch) in &tee.branches {
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
                Step::Parse(ParseOp {
                    parser: ParserSlot::Auto,
                    ..
                })
            )
        });
        here || matches!(&self.end, End::Tee(tee) if tee.branches.iter().any(|(_, c)| c.needs_auto()))
    }

    /// Write the results so far without disturbing the run (for the running aggregates
    /// of follow mode): tables are copied and finished through a fresh compile of what
    /// follows them.
    pub fn snapshot(&self, output: &mut dyn Events, stats: &mut Stats) -> Result<Flow, RunError> {
        match &self.end {
            End::Values | End::Records | End::Kept(_) => Ok(Flow::Go),
            End::Seed(seed) => {
                let (name, value) = (seed.name(), seed.value());
                Ok(emit(output, Event::Aggregate { name, value })?)
            }
            End::Table(gather) => {
                let spec = &gather.then_spec;
                let then = Chain::compile(&spec.stages, spec.terminal, true, false, spec.opts)
                    .map_err(RunError::Input)?;
                let mut copy = Chain {
                    steps: Vec::new(),
                    ordered: false,
                    end: End::Table(gather.copy_with(then)),
                };
                copy.finish(output, stats)
            }
            End::Tee(tee) => {
                for (index, (title, chain)) in tee.branches.iter().enumerate() {
                    if emit(output, Event::Branch { index, title })? == Flow::Stop
                        || chain.snapshot(output, stats)? == Flow::Stop
                    {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            }
        }
    }

    /// Whether the chain gathers results to show at the end (an aggregate, a table, tee).
    pub fn gathers(&self) -> bool {
        matches!(self.end, End::Seed(_) | End::Table(_) | End::Tee(_))
    }

    /// The result of the seed's single aggregate, if the chain ends in one.
    pub fn seed_result(&self) -> Option<AggValue> {
        match &self.end {
            End::Seed(seed) => Some(seed.value()),
            _ => None,
        }
    }
}

/// Add to `out` the fields that `steps` and `end` read from a record; `false` when they
/// use whole records (or cannot tell).
fn fields_read(steps: &[Step], end: &End, out: &mut Vec<String>) -> bool {
    let mut names = |e: &Expr| out.extend(e.fields().into_iter().map(String::from));
    for step in steps {
        match step {
            Step::Where(f) => names(f.condition()),
            Step::Select(s) => {
                // What follows sees the selected columns, not the parsed record.
                s.columns().iter().for_each(|c| names(&c.expr));
                return true;
            }
            Step::Parse(_) | Step::Line(_) => return false,
            Step::GrepLine(_) | Step::Head(_) => {}
        }
    }
    match end {
        End::Values | End::Seed(_) | End::Kept(_) => true,
        End::Records => false,
        End::Table(gather) => match gather.table.expressions() {
            Some(exprs) => {
                exprs.into_iter().for_each(names);
                true
            }
            None => false,
        },
        End::Tee(tee) => tee
            .branches
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
            Step::Where(f) => f.bind(schema.as_ref()),
            Step::Select(s) => {
                s.bind(schema.as_ref());
                schema = Some(s.schema().clone());
            }
            Step::Line(_) | Step::GrepLine(_) | Step::Head(_) => {}
        }
    }
    match end {
        End::Table(gather) => gather.table.bind(schema.as_ref()),
        End::Tee(tee) => {
            for (_, chain) in &mut tee.branches {
                bind_steps(&mut chain.steps, &mut chain.end, schema.clone());
            }
        }
        End::Values | End::Seed(_) | End::Records | End::Kept(_) => {}
    }
}
