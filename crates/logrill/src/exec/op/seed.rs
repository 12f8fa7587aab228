//! The seed's single aggregate (`count`, `sum`, `min`, `max`, `avg` of the value at hand,
//! with no groups): the end of a line pipeline, one mergeable [`Aggregate`].

use crate::agg::{AggKind, AggValue, Aggregate};
use crate::stage::SkipReason;

use super::super::stats::Ctx;

/// The end of a plan in the seed's aggregate.
pub(crate) struct Seed {
    agg: Aggregate,
    needs_numbers: bool,
    name: &'static str,
}

impl Seed {
    pub fn new(kind: AggKind) -> Seed {
        Seed {
            agg: Aggregate::new(kind),
            needs_numbers: kind.needs_numbers(),
            name: kind.name(),
        }
    }

    /// Add one value; one that is no number (where a number is needed) is counted as
    /// skipped.
    #[inline]
    pub fn add(&mut self, ctx: &mut Ctx<'_>, value: &[u8]) {
        self.agg.add_item();
        if self.needs_numbers && !self.agg.add_text(value) {
            ctx.stats
                .skips
                .add(SkipReason::NotANumber, ctx.input, ctx.line_no, value)
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn value(&self) -> AggValue {
        self.agg.value()
    }

    /// Take the state gathered so far, leaving a fresh one.
    pub fn take(&mut self) -> Aggregate {
        let fresh = Aggregate::new(kind_of(&self.agg));
        std::mem::replace(&mut self.agg, fresh)
    }

    /// Fold in a state taken from a seed of the same plan.
    pub fn merge(&mut self, other: &Aggregate) {
        self.agg.merge(other);
    }
}

fn kind_of(agg: &Aggregate) -> AggKind {
    match agg {
        Aggregate::Count(_) => AggKind::Count,
        Aggregate::Sum(_) => AggKind::Sum,
        Aggregate::Min(_) => AggKind::Min,
        Aggregate::Max(_) => AggKind::Max,
        Aggregate::Avg { .. } => AggKind::Avg,
    }
}
