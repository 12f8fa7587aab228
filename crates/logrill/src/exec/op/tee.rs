//! `tee`: every value goes into each branch, a whole plan of its own; the run stops when
//! every branch has.

use super::super::flow::{Flow, RunError};
use super::super::stats::{Ctx, Stats};
use super::super::Output;
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
    pub fn push(&mut self, ctx: &mut Ctx<'_>, item: Item<'_, '_>) -> Result<Flow, RunError> {
        let Item {
            line,
            value,
            record,
            mut scratch,
        } = item;
        for ((_, chain), done) in self.branches.iter_mut().zip(self.done.iter_mut()) {
            if *done {
                continue;
            }
            let scratch = scratch.as_deref_mut();
            let branch = Item {
                line,
                value,
                record,
                scratch,
            };
            if chain.push(ctx, branch)? == Flow::Stop {
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
    pub fn finish(&mut self, output: &mut dyn Output, stats: &mut Stats) -> Result<(), RunError> {
        for (i, (title, chain)) in self.branches.iter_mut().enumerate() {
            output.branch(i, title)?;
            chain.finish(output, stats)?;
        }
        Ok(())
    }
}
