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
use super::Output;

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

/// Steps and an end: a compiled plan, or a part of one (a `tee` branch, the stages after
/// a table).
pub(crate) struct Chain {
    pub steps: Vec<Step>,
    pub end: End,
    /// Whether a step's result depends on the order of all lines (`head`).
    pub(crate) ordered: bool,
}

/// The value at hand, on its way through a plan.
pub(crate) struct Item<'a, 'r> {
    /// The line it came from (`grep` after `parse` searches it).
    pub line: &'a [u8],
    /// What the line stages made of the line (the line itself, a field of it).
    pub value: &'a [u8],
    /// The record, after `parse` (or a table's row).
    pub record: Option<&'r Record<'a>>,
    /// A record for `parse` to fill that lives as long as the line's batch, kept from line
    /// to line so that a fixed schema's slots are overwritten in place rather than cleared
    /// and refilled for every line (without one, the step uses its own, emptied for every
    /// line).
    pub scratch: Option<&'r mut Record<'a>>,
}

impl<'a> Item<'a, '_> {
    /// A line as it comes from an input.
    #[inline]
    pub fn line<'r>(line: &'a [u8], scratch: Option<&'r mut Record<'a>>) -> Item<'a, 'r> {
        Item {
            line,
            value: line,
            record: None,
            scratch,
        }
    }

    /// `value` of `line`, parsed into `record`.
    #[inline]
    fn parsed<'r>(line: &'a [u8], value: &'a [u8], record: &'r Record<'a>) -> Item<'a, 'r> {
        Item {
            line,
            value,
            record: Some(record),
            scratch: None,
        }
    }

    /// A row of a table (no line).
    #[inline]
    pub fn row<'r>(record: &'r Record<'a>) -> Item<'a, 'r> {
        Item {
            line: b"",
            value: b"",
            record: Some(record),
            scratch: None,
        }
    }
}

impl Chain {
    /// Push one value through the chain.
    #[inline]
    pub fn push(&mut self, ctx: &mut Ctx<'_>, item: Item<'_, '_>) -> Result<Flow, RunError> {
        run_steps(&mut self.steps, &mut self.end, ctx, item)
    }

    /// The input is done: see [`End::finish`].
    pub fn finish(&mut self, output: &mut dyn Output, stats: &mut Stats) -> Result<(), RunError> {
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

    /// See [`End::state_size`].
    pub fn state_size(&self) -> usize {
        self.end.state_size()
    }
}

/// Run `steps` on a value, then `end` (see [`Chain::push`]). Each step's own type decides;
/// this only threads the value, and the records made on the way, to the next.
#[inline]
fn run_steps(
    steps: &mut [Step],
    end: &mut End,
    ctx: &mut Ctx<'_>,
    item: Item<'_, '_>,
) -> Result<Flow, RunError> {
    let Some((step, rest)) = steps.split_first_mut() else {
        return end.take(ctx, item);
    };
    match step {
        Step::Line(op) => match op.apply(item.value) {
            StageStep::Pass(value) => run_steps(rest, end, ctx, Item { value, ..item }),
            StageStep::Last(value) => {
                run_steps(rest, end, ctx, Item { value, ..item })?;
                Ok(Flow::Stop)
            }
            StageStep::Drop => Ok(Flow::Go),
            StageStep::Skip(reason) => {
                ctx.stats
                    .skips
                    .add(reason, ctx.input, ctx.line_no, item.value);
                Ok(Flow::Go)
            }
            StageStep::Stop => Ok(Flow::Stop),
        },
        // The filters: `grep` on the whole line, `where` on the record.
        Step::GrepLine(g) if !g.keeps(item.line) => Ok(Flow::Go),
        Step::Where(f) if !f.keeps(item.record) => Ok(Flow::Go),
        Step::GrepLine(_) | Step::Where(_) => run_steps(rest, end, ctx, item),
        Step::Parse(p) => {
            let Item {
                line,
                value,
                scratch,
                ..
            } = item;
            match scratch {
                Some(rec) => {
                    if p.parse(ctx, value, rec)? {
                        run_steps(rest, end, ctx, Item::parsed(line, value, rec))
                    } else {
                        Ok(Flow::Go)
                    }
                }
                None => {
                    let mut rec = p.take_spare();
                    let result = match p.parse(ctx, value, &mut rec) {
                        Ok(true) => run_steps(rest, end, ctx, Item::parsed(line, value, &rec)),
                        Ok(false) => Ok(Flow::Go),
                        Err(e) => Err(e),
                    };
                    p.give_back(rec);
                    result
                }
            }
        }
        Step::Select(s) => {
            let Some(r) = item.record else {
                return Ok(Flow::Go);
            };
            let out = s.project(r);
            let next = Item {
                record: Some(&out),
                ..item
            };
            let result = run_steps(rest, end, ctx, next);
            s.give_back(out);
            result
        }
        Step::Head(h) => match h.apply(item.value) {
            StageStep::Pass(_) => run_steps(rest, end, ctx, item),
            StageStep::Last(_) => {
                run_steps(rest, end, ctx, item)?;
                Ok(Flow::Stop)
            }
            _ => Ok(Flow::Stop),
        },
    }
}
