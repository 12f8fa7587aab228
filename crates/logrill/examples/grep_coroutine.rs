//! Seed idea: **coroutines** — `line = (yield)`, priming, `send()`, `close()` and
//! `GeneratorExit`:
//!
//! ```text
//! def grep(pattern):
//!     print "Looking for %s" % pattern
//!     try:
//!         while True:
//!             line = (yield)
//!             if pattern in line:
//!                 print line,
//!     except GeneratorExit:
//!         print "Going away. Goodbye"
//!
//! g = grep("python")
//! g.next()                      # prime it
//! g.send("Yeah, but no, but yeah, but no")
//! g.send("python generators rock!")
//! g.close()
//! ```
//!
//! In Rust the coroutine is a value implementing [`Sink`]: its fields are the frame the
//! coroutine keeps between `send`s. Constructing it runs what the coroutine did before its
//! first `(yield)` (so there is no priming to forget), `send` is `send`, and `close`
//! consumes it: the `except GeneratorExit` clean-up goes there, and nothing can be sent
//! afterwards (the compiler says so). Then the same thing from the library's parts.
//!
//! Run: `cargo run -p logrill --example grep_coroutine`

use std::error::Error;
use std::io::{self, Write};

use logrill::sink::{self, prelude::*, SinkError};

/// The seed's `grep` coroutine, written by hand.
pub struct GrepCoroutine<W: Write> {
    pattern: String,
    out: W,
    matched: u64,
}

impl<W: Write> GrepCoroutine<W> {
    /// `g = grep(pattern); g.next()`: construction is priming.
    pub fn new(pattern: &str, mut out: W) -> Result<Self, SinkError> {
        writeln!(out, "Looking for {pattern}").map_err(SinkError::Write)?;
        Ok(GrepCoroutine {
            pattern: pattern.to_string(),
            out,
            matched: 0,
        })
    }
}

impl<'a, W: Write> Sink<&'a [u8]> for GrepCoroutine<W> {
    /// `line = (yield)`; `if pattern in line: print line,`
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        let p = self.pattern.as_bytes();
        if p.is_empty() || line.windows(p.len()).any(|w| w == p) {
            self.out.write_all(line).map_err(SinkError::Write)?;
            self.out.write_all(b"\n").map_err(SinkError::Write)?;
            self.matched += 1;
        }
        Ok(Flow::Continue)
    }
}

impl<W: Write> Consumer for GrepCoroutine<W> {
    /// How many lines matched.
    type Output = u64;

    /// `g.close()`: what `except GeneratorExit:` did.
    fn close(mut self) -> Result<u64, SinkError> {
        writeln!(self.out, "Going away. Goodbye").map_err(SinkError::Write)?;
        self.out.flush().map_err(SinkError::Write)?;
        Ok(self.matched)
    }
}

const LINES: [&str; 4] = [
    "Yeah, but no, but yeah, but no",
    "A series of tubes",
    "python generators rock!",
    "We're gonna need a bigger boat; python is bigger",
];

/// The coroutine by hand, then from the library's parts. Returns the match counts.
pub fn run(out: &mut dyn Write) -> Result<(u64, u64), Box<dyn Error>> {
    writeln!(out, "-- by hand")?;
    let mut g = GrepCoroutine::new("python", &mut *out)?;
    for line in LINES {
        g.send_line(line)?;
    }
    let by_hand = g.close()?;
    // g.send_line("too late")  // does not compile: `close` took `g`.

    writeln!(out, "-- from the library: grep + writer")?;
    let mut g = sink::grep("python", sink::writer(&mut *out))?;
    for line in LINES {
        g.send_line(line)?;
    }
    let written = g.close()?;
    let from_parts = written.lines;
    writeln!(out, "matched {by_hand} and {from_parts}")?;
    Ok((by_hand, from_parts))
}

fn main() -> Result<(), Box<dyn Error>> {
    run(&mut io::stdout().lock())?;
    Ok(())
}
