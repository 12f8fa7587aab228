//! `grep PATTERN`: keep the values a regular expression (or a fixed string) matches.
//!
//! Matching works on bytes (`regex::bytes`), so invalid UTF-8 in a log never stops a search.
//! Besides matching one value at a time ([`Stage::apply`]), a [`Grep`] can find the matching
//! lines of a whole batch in one pass over its bytes ([`Grep::matching_lines`]): the regex
//! engine's literal prefilters then run over megabytes at a time instead of starting anew
//! for every line, which is how ripgrep searches.

use regex::bytes::{Regex, RegexBuilder};

use super::{Stage, Step};

/// Options of [`Grep`], as the CLI flags `-i`, `-v`, `-F`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrepOptions {
    /// `-i`: case-insensitive.
    pub ignore_case: bool,
    /// `-v`: keep the values that do *not* match.
    pub invert: bool,
    /// `-F`: the pattern is a fixed string, not a regex.
    pub fixed: bool,
}

/// A compiled `grep` stage.
#[derive(Debug, Clone)]
pub struct Grep {
    regex: Regex,
    invert: bool,
}

impl Grep {
    /// Compile `pattern` with `options`.
    pub fn new(pattern: &str, options: GrepOptions) -> Result<Grep, regex::Error> {
        let source = if options.fixed {
            regex::escape(pattern)
        } else {
            pattern.to_string()
        };
        // multi_line + crlf: `^` and `$` mean line start and end (before `\r\n` too), both
        // inside one value and inside a whole batch, so the two ways of matching agree.
        let regex = RegexBuilder::new(&source)
            .case_insensitive(options.ignore_case)
            .multi_line(true)
            .crlf(true)
            .build()?;
        Ok(Grep {
            regex,
            invert: options.invert,
        })
    }

    /// Whether a value is kept.
    #[inline]
    pub fn keeps(&self, value: &[u8]) -> bool {
        self.regex.is_match(value) != self.invert
    }

    /// Whether [`Grep::matching_lines`] may be used (it finds matches, so not with `-v`).
    pub fn searches_batches(&self) -> bool {
        !self.invert
    }

    /// Call `f(line_start, line)` for every line of `batch` (complete lines, as a
    /// [`crate::source::Batch`] holds) that matches, in order, with one search pass over
    /// the bytes. `f` returns `false` to stop. Lines are given without their line ends.
    pub fn matching_lines<'a>(&self, batch: &'a [u8], mut f: impl FnMut(usize, &'a [u8]) -> bool) {
        let mut at = 0;
        while at < batch.len() {
            let Some(m) = self.regex.find_at(batch, at) else {
                return;
            };
            let start = memchr::memrchr(b'\n', &batch[..m.start()]).map_or(0, |i| i + 1);
            // An empty match after the final line end is no line at all.
            if start == batch.len() {
                return;
            }
            let end = memchr::memchr(b'\n', &batch[m.start()..])
                .map_or(batch.len(), |i| m.start() + i + 1);
            let line = crate::source::lines::trim_line_end(&batch[start..end]);
            // A match may run across a line end (`a\sb`); only a match inside the line counts.
            // The leftmost match always starts in the first line that has an inner match,
            // so no matching line is passed over.
            if (m.end() <= start + line.len() || self.regex.is_match(line)) && !f(start, line) {
                return;
            }
            at = end;
        }
    }
}

impl Stage for Grep {
    #[inline]
    fn apply<'a>(&mut self, value: &'a [u8]) -> Step<'a> {
        if self.keeps(value) {
            Step::Pass(value)
        } else {
            Step::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, i: bool, v: bool, f: bool) -> Grep {
        Grep::new(
            p,
            GrepOptions {
                ignore_case: i,
                invert: v,
                fixed: f,
            },
        )
        .unwrap()
    }

    #[test]
    fn flags() {
        assert!(g(r"ply-.*\.gz", false, false, false).keeps(b"GET /ply/ply-2.3.tar.gz HTTP"));
        assert!(!g(r"ply-.*\.gz", false, false, false).keeps(b"GET /ply/ply-2.3.tar.bz2"));
        assert!(g("ROBOTS", true, false, false).keeps(b"/robots.txt"));
        assert!(!g("ROBOTS", false, false, false).keeps(b"/robots.txt"));
        assert!(g("robots", false, true, false).keeps(b"/index.html"));
        assert!(!g("robots", false, true, false).keeps(b"/robots.txt"));
        assert!(g("a.c", false, false, true).keeps(b"xa.cx"));
        assert!(!g("a.c", false, false, true).keeps(b"abc"));
        // Unicode is on: `\xff` is U+00FF; a raw byte is `(?-u:\xff)`, as in ripgrep.
        assert!(g("(?-u:\\xff)", false, false, false).keeps(b"bad \xff byte"));
        assert!(!g("\\xff", false, false, false).keeps(b"bad \xff byte"));
        assert!(g("\\xff", false, false, false).keeps("caf\u{ff}".as_bytes()));
        assert!(g("b.d", false, false, false).keeps(b"bad \xff byte"));
        assert!(g("^GET$", false, false, false).keeps(b"GET"));
    }

    #[test]
    fn batch_search_equals_line_by_line() {
        for batch in [
            &b"a GET x\r\nb\nGET\nc GETx\nfoo\nbar\n\xff GET\nlast GET"[..],
            &b"a\n\nb\nGET\n"[..],
        ] {
            batch_search_equals_line_by_line_in(batch);
        }
    }

    fn batch_search_equals_line_by_line_in(batch: &[u8]) {
        for pat in [
            "GET",
            "^GET",
            "GET$",
            "x$",
            r"foo\sbar",
            r"o\nb",
            "^$",
            ".",
            "GETx?$",
        ] {
            let gr = g(pat, false, false, false);
            let mut got = Vec::new();
            gr.matching_lines(batch, |_, l| {
                got.push(l.to_vec());
                true
            });
            let body = batch.strip_suffix(b"\n").unwrap_or(batch);
            let want: Vec<Vec<u8>> = body
                .split(|&b| b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| gr.keeps(l))
                .map(<[u8]>::to_vec)
                .collect();
            assert_eq!(got, want, "pattern {pat}");
        }
    }

    #[test]
    fn batch_search_can_stop() {
        let gr = g("x", false, false, false);
        let mut n = 0;
        gr.matching_lines(b"x\nx\nx\n", |_, _| {
            n += 1;
            n < 2
        });
        assert_eq!(n, 2);
    }
}
