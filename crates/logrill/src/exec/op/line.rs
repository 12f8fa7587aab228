//! The line operators of a compiled plan (`grep`, `field`, `head` before any `parse`), as a
//! closed enum: the plan dispatches with a `match` the compiler can inline, not a virtual
//! call per line. Each operator stays its own type in [`crate::stage`], with one job: it
//! takes a value and says pass / drop / skip / stop ([`StageStep`]).

use crate::stage::{Field, Grep, Head, Stage, Step as StageStep};

/// One line operator. (Its size does not matter: a plan holds a few, built once; `Field`
/// is large because it keeps its searchers.)
#[allow(clippy::large_enum_variant)]
pub(crate) enum LineOp {
    Grep(Grep),
    Field(Field),
    Head(Head),
}

impl LineOp {
    /// Decide about one value.
    #[inline]
    pub fn apply<'a>(&mut self, value: &'a [u8]) -> StageStep<'a> {
        match self {
            LineOp::Grep(g) => g.apply(value),
            LineOp::Field(f) => f.apply(value),
            LineOp::Head(h) => h.apply(value),
        }
    }
}
