//! Which lines of a batch reach a plan, and their numbers: the one loop every driver feeds
//! a plan through (a batch run and each parallel worker through [`super::runner::Runner`],
//! follow mode and a `PlanSink` sent batches through [`super::live::Live::push_batch`]),
//! and the same decision for one pushed line ([`one_line`]: a `PlanSink` sent one line,
//! each NATS message).
//!
//! A leading `grep` searches the whole batch in one pass (the regex engine's literal
//! search runs over megabytes instead of starting again on every line), so only the lines
//! it keeps cost a step each; their numbers are counted from the line ends passed over.

use crate::source::line_ends::Lines;
use crate::source::lines::trim_line_end;
use crate::stage::Grep;

/// Call `each(line_no, start, line)` for each line of `bytes` (complete lines, each ending
/// in `\n`, the last perhaps not; `\r\n` ends are trimmed) that reaches the plan: every
/// line, or, with a leading `grep`, the lines it keeps. `start` is where the line begins in
/// `bytes`; `line_no` counts from `first_line`, the number of the first line (0: unknown,
/// and every line is numbered 0). `each` says whether to go on.
///
/// Returns how many lines `bytes` holds when every one was walked (no `grep`, `each` never
/// said stop), for the reader to take rather than count them again
/// ([`crate::source::LineReader::walked`]).
#[inline]
pub(crate) fn each_line<'b>(
    grep: Option<&Grep>,
    bytes: &'b [u8],
    first_line: u64,
    mut each: impl FnMut(u64, usize, &'b [u8]) -> bool,
) -> Option<u64> {
    let number = |ends: u64| {
        if first_line == 0 {
            0
        } else {
            first_line + ends
        }
    };
    match grep {
        Some(grep) => {
            let (mut counted_to, mut ends) = (0usize, 0u64);
            grep.matching_lines(bytes, |start, line| {
                ends += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
                counted_to = start;
                each(number(ends), start, line)
            });
            None
        }
        None => {
            let mut lines = Lines::new(bytes);
            let mut ahead = lines.next();
            let mut ends = 0u64;
            while let Some((start, line)) = ahead {
                // The next line is found before this one goes through the plan, so that
                // its end (a chain of dependent steps: the block's mask, its lowest bit,
                // the byte before it) is ready when it is wanted rather than waited for.
                ahead = lines.next();
                if !each(number(ends), start, line) {
                    return None;
                }
                ends += 1;
            }
            Some(ends)
        }
    }
}

/// The same decision for one pushed item (a `PlanSink` sent one line, a NATS message): it
/// is one line whatever it holds (a message may be JSON printed over several lines, and
/// its number is the one it was given, so splitting it would give numbers that clash with
/// the next item's), with its line end trimmed as a reader trims it; a leading `grep`
/// keeps it or not.
#[inline]
pub(crate) fn one_line<'b>(grep: Option<&Grep>, line: &'b [u8]) -> Option<&'b [u8]> {
    let line = trim_line_end(line);
    match grep {
        Some(grep) if !grep.keeps(line) => None,
        _ => Some(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::GrepOptions;

    fn kept(grep: Option<&str>, bytes: &[u8], first: u64) -> Vec<(u64, usize, String)> {
        let grep = grep.map(|p| Grep::new(p, GrepOptions::default()).unwrap());
        let mut out = Vec::new();
        each_line(grep.as_ref(), bytes, first, |n, start, line| {
            out.push((n, start, String::from_utf8_lossy(line).into_owned()));
            true
        });
        out
    }

    #[test]
    fn every_line_with_its_number_and_start() {
        let got = kept(None, b"a\r\n\nbb\nc", 7);
        let want = [(7, 0, "a"), (8, 3, ""), (9, 4, "bb"), (10, 7, "c")];
        assert_eq!(got, want.map(|(n, s, l)| (n, s, l.to_string())));
    }

    #[test]
    fn a_leading_grep_keeps_lines_with_the_numbers_they_have_in_the_batch() {
        let got = kept(Some("x"), b"x1\nno\nno\nx2\n", 11);
        assert_eq!(got, [(11, 0, "x1".to_string()), (14, 9, "x2".to_string())]);
        // Unknown numbers stay unknown.
        let got = kept(Some("x"), b"no\nx2\n", 0);
        assert_eq!(got, [(0, 3, "x2".to_string())]);
    }

    #[test]
    fn the_count_of_every_line_walked_is_returned() {
        let every = |bytes: &[u8]| each_line(None, bytes, 1, |_, _, _| true);
        // Line ends counted independently: the `\n`s, and a last line without one.
        for bytes in [&b""[..], b"\n", b"a", b"a\n", b"a\r\n\nb", b"\n\n\n"] {
            let ends = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            let want = ends + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
            assert_eq!(every(bytes), Some(want), "{bytes:?}");
        }
        // Not when it stopped early, nor with a grep (it counts only up to kept lines).
        assert_eq!(each_line(None, b"a\nb\n", 1, |_, _, _| false), None);
        let grep = Grep::new("a", GrepOptions::default()).unwrap();
        assert_eq!(each_line(Some(&grep), b"a\nb\n", 1, |_, _, _| true), None);
    }

    #[test]
    fn each_stops_when_asked() {
        let grep = Grep::new("x", GrepOptions::default()).unwrap();
        for g in [None, Some(&grep)] {
            let mut n = 0;
            each_line(g, b"x\nx\nx\n", 1, |_, _, _| {
                n += 1;
                false
            });
            assert_eq!(n, 1);
        }
    }
}
