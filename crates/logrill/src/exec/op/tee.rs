//! `tee`: every value goes into each branch, a whole plan of its own; the run stops when
//! every branch has.

use super::super::event::{emit, Event};
use super::super::flow::{Flow, RunError};
use super::super::stats::{Ctx, Stats};
use super::super::Events;
use super::{Chain, Item};

/// The end of a plan in `tee`.
pub(crate) struct Tee {
    /// Each branch's text (its heading) and plan.
    pub branches: Vec<(String, Chain)>,
    /// Which branches stopped.
    done: Vec<bool>,
}

impl Tee {
    pub fn new(branches: Vec<(String, Chain)>) -> Tee {
        Tee {
            done: vec![false; branches.len()],
            branches,
        }
    }

    /// Push the value into every branch still going.
    #[inline]
    pub fn push(&mut self, ctx: &mut Ctx<'_>, mut item: Item<'_, '_>) -> Result<Flow, RunError> {
        for ((_, chain), done) in self.branches.iter_mut().zip(self.done.iter_mut()) {
            if *done {
                continue;
            }
            if chain.push(ctx, item.again())? == Flow::Stop {
                *done = true;
            }
        }
        Ok(if self.done.iter().all(|d| *d) {
            Flow::Stop
        } else {
            Flow::Go
        })
    }

    /// Each branch's results under its heading.
    pub fn finish(&mut self, output: &mut dyn Events, stats: &mut Stats) -> Result<Flow, RunError> {
        for (index, (title, chain)) in self.branches.iter_mut().enumerate() {
            if emit(output, Event::Branch { index, title })? == Flow::Stop
                || chain.finish(output, stats)? == Flow::Stop
            {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Go)
    }
}
