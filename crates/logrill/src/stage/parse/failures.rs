//! Counting the lines a parser could not read, per reason, with the first few kept to be
//! shown (file and line number) in the end-of-run report. A line that does not match is
//! never dropped silently.
//!
//! When most lines do not parse, the format is the likely mistake (`parse combined` on a
//! common log), not the lines: [`Failures::mismatch`] says so, and which format the
//! unparsed lines do have, found by `parse auto`'s detection ([`Parser::auto`]) run on the
//! first of them.

use std::collections::BTreeMap;
use std::fmt;

use super::{AutoChoice, ParseFailure, Parser, Reason};
use crate::error::InputName;

/// Longest part of a failed line kept as an example (bytes).
const EXAMPLE_LEN: usize = 200;

/// How many failed lines are kept whole, for [`Failures::mismatch`] to recognise their
/// format.
const SAMPLE_LINES: usize = 50;

/// Longest failed line kept for that (bytes): longer ones are left out of the sample.
const SAMPLE_LINE_LEN: usize = 16 * 1024;

/// Fewest failed lines that can make a [`Mismatch`]: one odd line of a one-line input is
/// not a wrong format.
pub const MISMATCH_MIN_FAILED: u64 = 5;

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

/// Failed lines, counted per reason, and the first few of them; and the lines that did
/// parse, counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failures {
    by_reason: BTreeMap<Reason, u64>,
    examples: Vec<FailureExample>,
    keep: usize,
    /// Lines that parsed.
    parsed: u64,
    /// The first failed lines, whole (up to [`SAMPLE_LINE_LEN`]).
    sample: Vec<Vec<u8>>,
}

/// Most lines did not parse: the format, not the lines, is likely wrong
/// ([`Failures::mismatch`]). Its `Display` says so in one line, with the format the
/// unparsed lines seem to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The parser used (`combined`, `LogFormat "…"`).
    pub parser: String,
    /// Lines that did not parse.
    pub failed: u64,
    /// Lines that reached `parse` (parsed or not).
    pub read: u64,
    /// What `parse auto` recognises in the first unparsed lines, if anything.
    pub looks_like: Option<AutoChoice>,
}

impl Mismatch {
    /// The parser name to suggest instead (`common`, `json`, …), if one matched.
    pub fn suggestion(&self) -> Option<&'static str> {
        self.looks_like.as_ref().map(|c| c.name)
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parse {}: {} of {} lines did not parse: is it the right format? ",
            self.parser, self.failed, self.read
        )?;
        match &self.looks_like {
            Some(c) => write!(
                f,
                "The unparsed lines look like `{}` ({} of the first {} match it)",
                c.name, c.matched, c.sampled
            ),
            None => f.write_str(
                "No known format (Apache/nginx presets, JSON, logfmt) matches the unparsed \
                 lines either: give their format as a LogFormat or log_format string",
            ),
        }
    }
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
            parsed: 0,
            sample: Vec::new(),
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
        if self.sample.len() < SAMPLE_LINES && line.len() <= SAMPLE_LINE_LEN {
            self.sample.push(line.to_vec());
        }
    }

    /// Count one line that parsed (a counter only: this is on every line's path).
    #[inline]
    pub fn add_parsed(&mut self) {
        self.parsed += 1;
    }

    /// Move the examples' line numbers on by `base` (the failures of a piece of a file,
    /// whose lines were counted from the piece's start).
    pub fn after_lines(&mut self, base: u64) {
        for e in &mut self.examples {
            e.line += base;
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
        self.parsed += other.parsed;
        let room = SAMPLE_LINES.saturating_sub(self.sample.len());
        self.sample.extend(other.sample.into_iter().take(room));
    }

    /// Lines that parsed.
    pub fn parsed(&self) -> u64 {
        self.parsed
    }

    /// Whether most lines did not parse: more than half of the lines that reached `parse`,
    /// and at least [`MISMATCH_MIN_FAILED`] of them.
    pub fn mostly_failed(&self) -> bool {
        let failed = self.total();
        failed >= MISMATCH_MIN_FAILED && failed > self.parsed
    }

    /// When most lines did not parse ([`Failures::mostly_failed`]) with `parser`: say so,
    /// and which format the first unparsed lines have, as `parse auto` would choose it.
    /// A regex is searched in each line, like `grep`, so lines it does not match are
    /// expected: for a regex only no match at all is a mismatch.
    pub fn mismatch(&self, parser: &Parser) -> Option<Mismatch> {
        if !self.mostly_failed() || (parser.searches() && self.parsed > 0) {
            return None;
        }
        let sample: Vec<&[u8]> = self.sample.iter().map(Vec::as_slice).collect();
        Some(Mismatch {
            parser: parser.name().to_string(),
            failed: self.total(),
            read: self.total() + self.parsed,
            looks_like: Parser::auto(&sample).ok().map(|(_, choice)| choice),
        })
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
