//! What the values of a plan end in ([`End`]), and the state a worker gathered, to be
//! merged ([`Partial`]).

use crate::agg::Aggregate;
use crate::error::InputName;

use super::super::event::{emit, Event};
use super::super::flow::{Flow, RunError};
use super::super::stats::{Ctx, Stats};
use super::super::table::Table;
use super::super::{Emitted, Events};
use super::{Gather, Item, Seed, Tee};

/// The end of a plan (a closed enum, as the steps are).
pub(crate) enum End {
    /// Printed values.
    Values,
    /// The seed's single aggregate.
    Seed(Seed),
    /// Printed records.
    Records,
    /// Values kept (inside `tee`, so each branch prints under its heading).
    Kept(Vec<Vec<u8>>),
    /// Groups, or records kept to be sorted.
    Table(Gather),
    Tee(Tee),
}

/// A plan's gathered state (see [`End::take_partial`]).
pub(crate) enum Partial {
    None,
    Seed(Aggregate),
    Table(Table),
    Kept(Vec<Vec<u8>>),
    /// One per branch.
    Tee(Vec<Partial>),
}

impl End {
    /// Take one value (or record) that went through every step.
    #[inline]
    pub fn take(&mut self, ctx: &mut Ctx<'_>, item: Item<'_, '_>) -> Result<Flow, RunError> {
        let value = item.value;
        match self {
            End::Values => {
                ctx.stats.values += 1;
                let value = Emitted {
                    input: ctx.input,
                    line: ctx.line_no,
                    value,
                };
                return Ok(emit(ctx.output, Event::Value(value))?);
            }
            End::Seed(seed) => {
                ctx.stats.values += 1;
                seed.add(ctx, value)
            }
            End::Records => {
                ctx.stats.values += 1;
                if let Some(record) = item.record {
                    let (input, line) = (ctx.input, ctx.line_no);
                    return Ok(emit(
                        ctx.output,
                        Event::Record {
                            input,
                            line,
                            record,
                        },
                    )?);
                }
            }
            End::Kept(values) => {
                ctx.stats.values += 1;
                values.push(value.to_vec());
                ctx.stats.within_limit(values.len())?;
            }
            End::Table(gather) => {
                ctx.stats.values += 1;
                gather.add(ctx, value, item.record, item.scratch)?
            }
            // Each branch counts its own.
            End::Tee(tee) => return tee.push(ctx, item),
        }
        Ok(Flow::Go)
    }

    /// The input is done: emit tables (through their follow-on stages), tee branches
    /// under their headings, kept values and the seed aggregate. Stops where the output
    /// says so.
    pub fn finish(&mut self, output: &mut dyn Events, stats: &mut Stats) -> Result<Flow, RunError> {
        match self {
            End::Values | End::Records => Ok(Flow::Go),
            End::Kept(values) => {
                for value in values.iter() {
                    let value = Emitted {
                        input: &InputName::Stdin,
                        line: 0,
                        value,
                    };
                    if emit(output, Event::Value(value))? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(Flow::Go)
            }
            End::Seed(seed) => {
                let (name, value) = (seed.name(), seed.value());
                Ok(emit(output, Event::Aggregate { name, value })?)
            }
            End::Table(gather) => gather.finish(output, stats),
            End::Tee(tee) => tee.finish(output, stats),
        }
    }

    /// Take what was gathered so far, leaving it empty: a worker's share of one input.
    pub fn take_partial(&mut self) -> Partial {
        match self {
            End::Seed(seed) => Partial::Seed(seed.take()),
            End::Table(gather) => {
                let fresh = gather.table.empty_like();
                Partial::Table(std::mem::replace(&mut gather.table, fresh))
            }
            End::Kept(values) => Partial::Kept(std::mem::take(values)),
            End::Tee(tee) => Partial::Tee(
                tee.branches
                    .iter_mut()
                    .map(|(_, c)| c.end.take_partial())
                    .collect(),
            ),
            End::Values | End::Records => Partial::None,
        }
    }

    /// Fold in a partial state taken from an end of the same plan.
    pub fn merge_partial(&mut self, partial: Partial) {
        match (self, partial) {
            (End::Seed(seed), Partial::Seed(other)) => seed.merge(&other),
            (End::Table(gather), Partial::Table(other)) => gather.table.merge(other),
            (End::Kept(values), Partial::Kept(other)) => values.extend(other),
            (End::Tee(tee), Partial::Tee(parts)) => {
                for ((_, c), part) in tee.branches.iter_mut().zip(parts) {
                    c.end.merge_partial(part);
                }
            }
            _ => {}
        }
    }

    /// The most state any one table (or branch's kept values) holds, to check against
    /// the state limit.
    pub fn state_size(&self) -> usize {
        match self {
            End::Table(gather) => gather.table.size(),
            End::Kept(values) => values.len(),
            End::Tee(tee) => tee
                .branches
                .iter()
                .map(|(_, c)| c.end.state_size())
                .max()
                .unwrap_or(0),
            End::Values | End::Seed(_) | End::Records => 0,
        }
    }
}
