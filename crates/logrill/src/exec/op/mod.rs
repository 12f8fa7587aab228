//! The operators of a compiled plan, one type per job, and the loop that runs a value
//! through them.
//!
//! A value goes through [`Step`]s, each of which says keep / drop / stop (a line stage:
//! [`LineOp`]; `grep` on the whole line after `parse`; [`ParseOp`]; `where`: [`Filter`];
//! [`Select`]; `head`), and what comes out ends in an [`End`]: printed values, the seed's
//! aggregate ([`Seed`]), printed or kept records, a table ([`Gather`]: groups of mergeable
//! aggregate states, or records kept for `sort`) or `tee` branches ([`Tee`]). Steps and
//! ends are closed enums: a plan dispatches with a `match` the compiler can inline, never a
//! virtual call per line. The compiler that builds them from a query is
//! [`super::chain`].

mod end;
mod filter;
mod gather;
mod line;
mod parse;
mod seed;
mod select;
mod tee;

use crate::record::Record;
use crate::stage::{Grep, Head, Stage, Step as StageStep};

use super::flow::{Flow, RunError};
use super::stats::{Ctx, Stats};
use super::Events;

pub(crate) use end::{End, Partial};
pub(crate) use filter::Filter;
pub(crate) use gather::{Gather, ThenSpec};
pub(crate) use line::LineOp;
pub(crate) use parse::{ParseOp, ParserSlot};
pub(crate) use seed::Seed;
pub(crate) use select::Select;
pub(crate) use tee::Tee;

/// What operators are built with besides their stage.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompileOptions {
    /// A line that does not parse fails its input.
    pub strict: bool,
}

/// One streaming step of a plan.
pub(crate) enum Step {
    /// `grep`, `field`, `head` on the value.
    Line(LineOp),
    /// `grep` after `parse`: on the whole line.
    GrepLine(Grep),
    Parse(ParseOp),
    Where(Filter),
    Select(Select),
    /// `head` on records.
    Head(Head),
}

/// One value on its way through a chain: the line it came from (for `grep` after
/// `parse`), the value the steps made of it so far, the record `parse` made of it, and a
/// record for `parse` to fill that lives as long as the line's batch (kept from line to
/// line so that a fixed schema's slots are overwritten in place rather than cleared and
/// refilled; without one, the step uses its own, emptied for every line).
pub(crate) struct Item<'a, 'r> {
    pub line: &'a [u8],
    pub value: &'a [u8],
    pub record: Option<&'r Record<'a>>,
    pub scratch: Option<&'r mut Record<'a>>,
}

impl<'a> Item<'a, '_> {
    /// A line as it comes from an input: it is its own value, with no record yet.
    #[inline]
    pub fn line<'r>(line: &'a [u8], scratch: Option<&'r mut Record<'a>>) -> Item<'a, 'r> {
        Item {
            line,
            value: line,
            record: None,
            scratch,
        }
    }

    /// The same item for one more receiver (a `tee` branch): the scratch record lent.
    #[inline]
    pub fn again(&mut self) -> Item<'a, '_> {
        Item {
            line: self.line,
            value: self.value,
            record: self.record,
            scratch: self.scratch.as_deref_mut(),
        }
    }
}

/// Steps and an end: a compiled plan, or a part of one (a `tee` branch, the stages after
/// a table).
pub(crate) struct Chain {
    pub steps: Vec<Step>,
    pub end: End,
    /// Whether a step's result depends on the order of all lines (`head`).
    pub(crate) ordered: bool,
}

impl Chain {
    /// Push one value through the chain.
    #[inline]
    pub fn push(&mut self, ctx: &mut Ctx<'_>, item: Item<'_, '_>) -> Result<Flow, RunError> {
        let Item {
            line,
            value,
            record,
            scratch,
        } = item;
        let (steps, end) = (&mut self.steps, &mut self.end);
        run_steps(steps, end, ctx, line, value, record, scratch)
    }

    /// The input is done: see [`End::finish`].
    pub fn finish(&mut self, output: &mut dyn Events, stats: &mut Stats) -> Result<Flow, RunError> {
        self.end.finish(output, stats)
    }

    /// Take what this chain gathered so far (see [`End::take_partial`]).
    pub fn take_partial(&mut self) -> Partial {
        self.end.take_partial()
    }

    /// Fold in a partial state taken from a chain compiled from the same plan.
    pub fn merge_partial(&mut self, partial: Partial) {
        self.end.merge_partial(partial)
    }

    /// Whether a step here or in a `tee` branch depends on the order of all lines
    /// (`head`): its parts cannot be run apart and merged.
    pub fn ordered_anywhere(&self) -> bool {
        self.ordered
            || matches!(&self.end, End::Tee(tee) if tee.branches.iter().any(|(_, c)| c.ordered_anywhere()))
    }

    /// See [`End::state_size`].
    pub fn state_size(&self) -> usize {
        self.end.state_size()
    }
}

/// Run `steps` on a value, then `end` (see [`Chain::push`]). Each step's own type decides;
/// this only threads the value, and the records made on the way, to the next.
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
    // The recursion takes the item's parts one by one: a struct passed down every step
    // cost 3% of the CPU of `parse combined | count by status` (measured).
    let Some((step, rest)) = steps.split_first_mut() else {
        let item = Item {
            line,
            value,
            record,
            scratch,
        };
        return end.take(ctx, item);
    };
    match step {
        Step::Line(op) => match op.apply(value) {
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
        Step::Parse(p) => match scratch {
            Some(rec) => {
                if p.parse(ctx, value, rec)? {
                    run_steps(rest, end, ctx, line, value, Some(&*rec), None)
                } else {
                    Ok(Flow::Go)
                }
            }
            None => {
                let mut rec: Record<'a> = p.take_spare();
                let result = match p.parse(ctx, value, &mut rec) {
                    Ok(true) => run_steps(rest, end, ctx, line, value, Some(&rec), None),
                    Ok(false) => Ok(Flow::Go),
                    Err(e) => Err(e),
                };
                p.give_back(rec);
                result
            }
        },
        Step::Where(f) => {
            if f.keeps(record) {
                run_steps(rest, end, ctx, line, value, record, scratch)
            } else {
                Ok(Flow::Go)
            }
        }
        Step::Select(s) => {
            let Some(r) = record else {
                return Ok(Flow::Go);
            };
            let out = s.project(r);
            let result = run_steps(rest, end, ctx, line, value, Some(&out), scratch);
            s.give_back(out);
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
