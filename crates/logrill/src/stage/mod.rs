//! What is done to each line: the seed's `gen_grep` and `line.rsplit(None,1)[1]`, as small
//! reusable pieces that work on byte slices.
//!
//! Each stage takes the current value (a `&[u8]` borrowed from the reader's buffer) and says
//! what happens to it with a [`Step`]: passed on (maybe narrowed to a part of itself),
//! dropped, skipped with a reason that is counted, or passed on as the last one wanted.

pub mod field;
pub mod grep;
pub mod head;
pub mod parse;

pub use field::Field;
pub use grep::{Grep, GrepOptions};
pub use head::Head;

/// What a stage decided about one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Pass this value on.
    Pass(&'a [u8]),
    /// Pass this value on; it is the last one wanted: stop reading after it.
    Last(&'a [u8]),
    /// Not wanted (a grep that did not match). Not an error, not counted.
    Drop,
    /// Could not be processed (a missing field); counted under this reason and reported.
    Skip(SkipReason),
    /// Nothing more is wanted: stop reading.
    Stop,
}

/// Why a value was skipped. Skips are counted per reason and reported once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// The line has fewer fields than the `field` stage asks for.
    NoSuchField,
    /// An aggregate needed a number and got something else (the seed's `'-'`).
    NotANumber,
    /// An aggregate needed a number and the field was null (`-` in a parsed log).
    Null,
    /// The line was longer than the limit (`--max-line-bytes`) and was not read.
    LineTooLong,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkipReason::NoSuchField => "had no such field",
            SkipReason::NotANumber => "not a number",
            SkipReason::Null => "null",
            SkipReason::LineTooLong => "lines too long (over --max-line-bytes), not read",
        })
    }
}

/// A step of a line pipeline.
pub trait Stage: Send {
    /// Decide about one value.
    fn apply<'a>(&mut self, value: &'a [u8]) -> Step<'a>;
}
