//! Diagnostics on stderr: one line per problem, safe for a terminal, never a panic.
//!
//! Three things go wrong with a bare `eprintln!`, and all of them were seen:
//! * it panics when stderr is a closed pipe (`logrill … 2>&1 | head -1`): exit 101 and a
//!   backtrace instead of an answer. Here a failed write is remembered, not fatal: the run
//!   goes on and ends with [`BROKEN_PIPE`], as when stdout is closed early.
//! * messages carry names and bytes that come from outside (file names, log lines, values):
//!   a file called `\e]0;PWNED\a.gz` retitled the terminal through its error message. Here
//!   every control character (and every byte that is not UTF-8) is shown as `\xNN`, with
//!   the same escaping as log bytes on stdout ([`crate::escape::escape_controls`]). Unlike
//!   stdout, whose bytes are data and go to a pipe as they are, stderr carries messages to
//!   a person: it is escaped on a terminal and in a pipe or file alike (a log of the
//!   messages is read on a terminal later; and a newline in a file name cannot forge a
//!   second message). `--raw` is about stdout's data only.
//! * an error whose text already includes its cause's text was printed twice by anyhow's
//!   `{:#}` ("Is a directory (os error 21): Is a directory (os error 21)"): [`chain`]
//!   drops the repeats.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit status when an output stream was closed early: 128 + SIGPIPE.
pub const BROKEN_PIPE: u8 = 141;

/// A write to stderr found it closed.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Write `logrill: MESSAGE` as one line on stderr, escaped (a newline in the message shows
/// as `\x0a`). Errors writing are remembered ([`stderr_closed`]), never a panic.
pub fn say(message: impl Display) {
    write_line(&message.to_string(), false);
}

/// Like [`say`], but the message's own newlines are kept (a pipeline error and its caret
/// under the column: text that logrill wrote, around what the user typed).
pub fn say_block(message: impl Display) {
    write_line(&message.to_string(), true);
}

/// A library error: a pipeline error keeps its caret line under the column (see
/// [`say_block`]), anything else is one line.
pub fn say_error(e: &logrill::Error) {
    if matches!(e, logrill::Error::Query(_)) {
        say_block(e);
    } else {
        say(e);
    }
}

/// A line exactly as given (already prefixed and escaped by the caller, such as a
/// progress bar's own line), with the same handling of a closed stderr.
pub fn write_raw(line: &str) {
    let mut err = io::stderr().lock();
    if writeln!(err, "{line}").and_then(|()| err.flush()).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// `logrill: MESSAGE`, escaped, as [`say`] writes it.
pub fn line(message: &str, keep_newlines: bool) -> String {
    let mut out = b"logrill: ".to_vec();
    if keep_newlines {
        for (i, part) in message.split('\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            crate::escape::escape_controls(part.as_bytes(), &mut out);
        }
    } else {
        crate::escape::escape_controls(message.as_bytes(), &mut out);
    }
    // Escaping leaves only UTF-8 text.
    String::from_utf8_lossy(&out).into_owned()
}

fn write_line(message: &str, keep_newlines: bool) {
    write_raw(&line(message, keep_newlines));
}

/// `NAME: PROBLEM`, unless the problem's text already starts with the name.
#[cfg_attr(not(feature = "columnar"), allow(dead_code))] // only --output uses it
pub fn about(name: impl Display, problem: impl Display) -> String {
    let (name, problem) = (name.to_string(), problem.to_string());
    if problem.starts_with(&format!("{name}: ")) {
        problem
    } else {
        format!("{name}: {problem}")
    }
}

/// Whether a message could not be written because stderr was closed.
pub fn stderr_closed() -> bool {
    STDERR_CLOSED.load(Ordering::Relaxed)
}

/// An error and its causes, joined by `: `, each said once: a cause whose text is already
/// part of the message before it is left out, and a message that only repeats the start
/// of its cause gives way to the cause.
pub fn chain(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        match parts.last_mut() {
            Some(last) if last.contains(&text) => {}
            Some(last) if text.starts_with(&format!("{last}: ")) => *last = text,
            _ => parts.push(text),
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_kept_on_one_line() {
        assert_eq!(
            line("\x1b]0;PWNED\x07.gz: not gzip", false),
            "logrill: \\x1b]0;PWNED\\x07.gz: not gzip"
        );
        assert_eq!(
            line("a\nlogrill: forged", false),
            "logrill: a\\x0alogrill: forged"
        );
        assert_eq!(
            line("error\n  x\x1b\n  ^", true),
            "logrill: error\n  x\\x1b\n  ^"
        );
        assert_eq!(line("caf\u{e9}\tok", false), "logrill: caf\u{e9}\tok");
    }

    #[test]
    fn a_cause_is_said_once() {
        let io = io::Error::from_raw_os_error(21);
        let text = io.to_string();
        let e = anyhow::Error::new(io).context(format!("d: {text}"));
        assert_eq!(chain(&e), format!("d: {text}"));
        let e = anyhow::anyhow!("d: {text}").context("d");
        assert_eq!(chain(&e), format!("d: {text}"));
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(chain(&e), "outer: inner");
    }
}
