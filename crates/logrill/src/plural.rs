//! Counts in messages: "1 line", "2 lines", "more than 1 group", never "1 lines".
//!
//! One helper for every message of the library and the command line, so the rule lives in
//! one place. English plurals are irregular ("entry"/"entries"), so both forms are given.

use std::fmt;

/// `n` and the word that goes with it: `one` when `n` is 1, `many` otherwise.
///
/// ```
/// use logrill::plural;
/// assert_eq!(plural(1, "line", "lines").to_string(), "1 line");
/// assert_eq!(plural(0u64, "line", "lines").to_string(), "0 lines");
/// assert_eq!(plural(2usize, "entry", "entries").to_string(), "2 entries");
/// ```
pub fn plural<N: fmt::Display>(n: N, one: &'static str, many: &'static str) -> Plural<N> {
    Plural { n, one, many }
}

/// A count and its word, written by [`plural`].
#[derive(Debug, Clone, Copy)]
pub struct Plural<N> {
    n: N,
    one: &'static str,
    many: &'static str,
}

impl<N: fmt::Display> fmt::Display for Plural<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Decided on the written number, so every integer type (and `-1`) is handled alike.
        let n = self.n.to_string();
        let word = if n == "1" { self.one } else { self.many };
        write!(f, "{n} {word}")
    }
}
