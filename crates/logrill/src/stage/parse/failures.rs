//! Counting the lines a parser could not read, per reason, with the first few kept to be
//! shown (file and line number) in the end-of-run report. A line that does not match is
//! never dropped silently.

use std::collections::BTreeMap;

use super::{ParseFailure, Parser, Reason};
use crate::error::InputName;

/// Longest part of a failed line kept as an example (bytes).
const EXAMPLE_LEN: usize = 200;

/// A line that failed, kept to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureExample {
    pub input: InputName,
    /// 1-based line number.
    pub line: u64,
    pub failure: ParseFailure,
    /// The start of the line.
    pub text: Vec<u8>,
}

/// Failed lines, counted per reason, and the first few of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    by_reason: BTreeMap<Reason, u64>,
    examples: Vec<FailureExample>,
    keep: usize,
}

impl Default for Failures {
    fn default() -> Self {
        Failures::new(5)
    }
}

impl Failures {
    /// Counting, keeping the first `keep` lines as examples.
    pub fn new(keep: usize) -> Failures {
        Failures {
            by_reason: BTreeMap::new(),
            examples: Vec::new(),
            keep,
        }
    }

    /// Count one failed line (`line_no` is 1-based).
    pub fn add(&mut self, failure: ParseFailure, input: &InputName, line_no: u64, line: &[u8]) {
        *self.by_reason.entry(failure.reason).or_insert(0) += 1;
        if self.examples.len() < self.keep {
            self.examples.push(FailureExample {
                input: input.clone(),
                line: line_no,
                failure,
                text: line[..line.len().min(EXAMPLE_LEN)].to_vec(),
            });
        }
    }

    /// Add the counts of another (a later input, or another thread's share): examples are
    /// kept in the order of the merges.
    pub fn merge(&mut self, other: Failures) {
        for (r, n) in other.by_reason {
            *self.by_reason.entry(r).or_insert(0) += n;
        }
        let room = self.keep.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }

    /// Failed lines in all.
    pub fn total(&self) -> u64 {
        self.by_reason.values().sum()
    }

    /// Whether no line failed.
    pub fn is_empty(&self) -> bool {
        self.by_reason.is_empty()
    }

    /// Counts per reason, in reason order.
    pub fn by_reason(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        self.by_reason.iter().map(|(r, n)| (*r, *n))
    }

    /// The first failed lines.
    pub fn examples(&self) -> &[FailureExample] {
        &self.examples
    }

    /// The report for stderr, one line each: the total, a line per reason (most frequent
    /// first), then the examples as `file:line: reason: text`.
    pub fn report(&self, parser: &Parser) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        let total = self.total();
        out.push(format!(
            "parse {}: {total} line{} not parsed",
            parser.name(),
            if total == 1 { "" } else { "s" }
        ));
        let mut reasons: Vec<(Reason, u64)> = self.by_reason().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (r, n) in reasons {
            out.push(format!("  {n} × {}", parser.describe(&r)));
        }
        for e in &self.examples {
            out.push(format!(
                "  {}:{}: {} (byte {}): {}",
                e.input,
                e.line,
                parser.describe(&e.failure.reason),
                e.failure.offset,
                String::from_utf8_lossy(&e.text)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::parse::{JsonError, Preset, Record};

    #[test]
    fn counts_and_examples() {
        let mut p = Parser::preset(Preset::Common);
        let mut rec = Record::new();
        let input = InputName::Path("access.log".into());
        let mut a = Failures::new(2);
        for (i, line) in ["bad", "worse", "1.2.3.4 - - [x] \"GET /\" 200 1"]
            .iter()
            .enumerate()
        {
            let f = p.parse(line.as_bytes(), &mut rec).unwrap_err();
            a.add(f, &input, i as u64 + 1, line.as_bytes());
        }
        let mut b = Failures::new(2);
        b.add(
            ParseFailure {
                reason: Reason::Json(JsonError::Syntax),
                offset: 0,
            },
            &input,
            9,
            b"{",
        );
        a.merge(b);
        assert_eq!(a.total(), 4);
        assert_eq!(a.examples().len(), 2);
        let report = a.report(&p);
        assert!(report[0].contains("4 lines not parsed"), "{report:?}");
        assert!(
            report.iter().any(|l| l.contains("access.log:1:")),
            "{report:?}"
        );
        assert!(
            report.iter().any(|l| l.contains("`%t` (time)")),
            "{report:?}"
        );
    }
}
