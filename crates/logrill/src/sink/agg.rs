//! Aggregates as sinks: the seed's `sum(bytes)`, pushed to.
//!
//! The state is the library's one [`Aggregate`] (exact integers, mergeable), so a push
//! pipeline and a pull pipeline over the same data give the same number.

use super::{Consumer, Flow, Sink, SinkError, SkipCounts, SkipReason};
use crate::agg::{AggKind, AggValue, Aggregate, Number};

/// An aggregate sink. Takes values as bytes (parsing them: non-numbers are skipped and
/// counted), or [`Number`]s, or `i64`s.
#[derive(Debug, Clone, PartialEq)]
pub struct Agg {
    state: Aggregate,
    numbers: bool,
    skips: SkipCounts,
}

/// What an aggregate sink returns at close.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregated {
    /// The result.
    pub value: AggValue,
    /// The final state, to [`merge`](Aggregate::merge) with others.
    pub state: Aggregate,
    /// Values skipped on the way here (missing fields, non-numbers), by reason.
    pub skips: SkipCounts,
}

/// An aggregate of `kind`.
pub fn aggregate(kind: AggKind) -> Agg {
    Agg {
        state: Aggregate::new(kind),
        numbers: kind.needs_numbers(),
        skips: SkipCounts::default(),
    }
}

/// Sum the values: integers exactly.
pub fn sum() -> Agg {
    aggregate(AggKind::Sum)
}

/// Count the values (any value: no number needed).
pub fn count() -> Agg {
    aggregate(AggKind::Count)
}

/// The smallest value.
pub fn min() -> Agg {
    aggregate(AggKind::Min)
}

/// The largest value.
pub fn max() -> Agg {
    aggregate(AggKind::Max)
}

/// The mean of the values.
pub fn avg() -> Agg {
    aggregate(AggKind::Avg)
}

impl Agg {
    /// The result so far (for a running total: follow mode prints it while lines arrive).
    pub fn value(&self) -> AggValue {
        self.state.value()
    }

    /// Skipped values so far.
    pub fn skips(&self) -> &SkipCounts {
        &self.skips
    }

    #[inline]
    fn add(&mut self, n: Number) {
        self.state.add_item();
        self.state.add(n);
    }
}

impl Consumer for Agg {
    type Output = Aggregated;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.skips.add(reason, n)
    }

    fn close(self) -> Result<Aggregated, SinkError> {
        Ok(self.finish())
    }
}

impl<'a> Sink<&'a [u8]> for Agg {
    #[inline]
    fn send(&mut self, value: &'a [u8]) -> Result<Flow, SinkError> {
        if !self.numbers {
            self.state.add_item();
        } else {
            if self.state.add_text(value) {
                self.state.add_item();
            } else {
                self.skips.add(SkipReason::NotANumber, 1);
            }
        }
        Ok(Flow::Continue)
    }
}

impl Sink<Number> for Agg {
    #[inline]
    fn send(&mut self, n: Number) -> Result<Flow, SinkError> {
        self.add(n);
        Ok(Flow::Continue)
    }
}

impl Sink<i64> for Agg {
    #[inline]
    fn send(&mut self, n: i64) -> Result<Flow, SinkError> {
        self.add(Number::Int(n));
        Ok(Flow::Continue)
    }
}

impl Agg {
    fn finish(self) -> Aggregated {
        Aggregated {
            value: self.state.value(),
            state: self.state,
            skips: self.skips,
        }
    }
}
