//! Counting the values a pipeline skipped, with the first example of each reason, so the
//! end-of-run report can say how many and why in one line.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::InputName;
use crate::stage::SkipReason;

/// Longest example value kept (in bytes).
const EXAMPLE_LEN: usize = 40;

/// The first value skipped for a reason, and where it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipExample {
    pub input: InputName,
    pub line: u64,
    pub value: Vec<u8>,
}

/// Skipped values by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skips {
    by_reason: BTreeMap<SkipReason, (u64, SkipExample)>,
}

impl Skips {
    /// Count one skipped value.
    #[inline]
    pub fn add(&mut self, reason: SkipReason, input: &InputName, line: u64, value: &[u8]) {
        self.by_reason
            .entry(reason)
            .and_modify(|(n, _)| *n += 1)
            .or_insert_with(|| {
                (
                    1,
                    SkipExample {
                        input: input.clone(),
                        line,
                        value: value[..value.len().min(EXAMPLE_LEN)].to_vec(),
                    },
                )
            });
    }

    /// Count `n` values skipped for `reason`, `example` the first (for a partial result
    /// read back from bytes: see [`super::partial`]).
    pub(crate) fn add_counted(&mut self, reason: SkipReason, n: u64, example: SkipExample) {
        self.by_reason
            .entry(reason)
            .and_modify(|(m, _)| *m += n)
            .or_insert((n, example));
    }

    /// All skipped values.
    pub fn total(&self) -> u64 {
        self.by_reason.values().map(|(n, _)| n).sum()
    }

    /// Skipped values for one reason.
    pub fn count(&self, reason: SkipReason) -> u64 {
        self.by_reason.get(&reason).map_or(0, |(n, _)| *n)
    }

    /// Reasons with their counts and first examples.
    pub fn iter(&self) -> impl Iterator<Item = (SkipReason, u64, &SkipExample)> {
        self.by_reason.iter().map(|(r, (n, e))| (*r, *n, e))
    }

    /// Move the examples' line numbers on by `base` (the skips of a piece of a file, whose
    /// lines were counted from the piece's start).
    pub fn after_lines(&mut self, base: u64) {
        for (_, example) in self.by_reason.values_mut() {
            example.line += base;
        }
    }

    /// Fold in another run's skips (keeping this one's examples).
    pub fn merge(&mut self, other: &Skips) {
        for (reason, (n, example)) in &other.by_reason {
            self.by_reason
                .entry(*reason)
                .and_modify(|(m, _)| *m += n)
                .or_insert_with(|| (*n, example.clone()));
        }
    }
}

impl fmt::Display for Skips {
    /// One line: `skipped 329 values: 329 not a number (first: "-" at access-log:12)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "skipped {}:",
            crate::plural(self.total(), "value", "values")
        )?;
        for (i, (reason, n, e)) in self.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(
                f,
                "{sep}{n} {reason} (first: {:?} at {}:{})",
                String::from_utf8_lossy(&e.value),
                e.input,
                e.line
            )?;
        }
        Ok(())
    }
}
