//! Seed idea: **broadcasting to several coroutines** — one pass over the logs feeds two
//! consumers at once, as in the course:
//!
//! ```text
//! broadcast(log, [find_404(), bytes_transferred()])
//! ```
//!
//! A generator pipeline has one consumer at its end; pushing lets one producer serve
//! several. Here the producer reads every `access-log*` file once (any compression) and
//! each line goes to three branches: `find_404` prints the first few requests that got a
//! 404 and then *stops* (it needs no more; the others go on), `count_404` counts them all,
//! and `bytes_transferred` sums the last field.
//!
//! Run: `cargo run -p logrill --example broadcast [-- LOGDIR]` (default `examples/logs`).

use std::error::Error;
use std::io::{self, Write};
use std::path::Path;

use logrill::sink::{self, prelude::*};
use logrill::stage::field::whitespace_field;
use logrill::AggValue;

/// How many 404 lines `find_404` prints before it stops.
pub const SHOW: u64 = 3;

/// The status is the next-to-last field of a common-format line.
fn is_404(line: &&[u8]) -> bool {
    whitespace_field(line, -2) == Some(b"404")
}

/// What the three consumers found.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Lines `find_404` printed (it stopped after [`SHOW`]).
    pub shown: u64,
    /// All the 404s.
    pub not_found: AggValue,
    /// Sum of the byte counts.
    pub bytes: AggValue,
}

/// Read the logs under `logdir` once, broadcasting each line to the three consumers.
pub fn run(out: &mut dyn Write, logdir: &Path) -> Result<Found, Box<dyn Error>> {
    writeln!(out, "first {SHOW} requests that got a 404:")?;
    let find_404 = sink::filter(is_404, sink::head(SHOW, sink::writer(&mut *out)));
    let count_404 = sink::filter(is_404, sink::count());
    let bytes_transferred = sink::field(-1, sink::sum())?;
    let mut consumers = sink::lines(sink::broadcast((find_404, count_404, bytes_transferred)));

    let files = logrill::find(logdir).glob("access-log*").open();
    let mut problems = Vec::new();
    sink::feed_inputs(files, &mut consumers, |e| problems.push(e))?;
    let (shown, not_found, bytes) = consumers.close()?;
    // `shown` is what the writer branch returned: the writer (our `out`) and its count.
    let shown = shown.lines;

    for e in &problems {
        writeln!(out, "problem: {e}")?;
    }
    writeln!(out, "404s: {}", not_found.value)?;
    writeln!(out, "Total bytes: {}", bytes.value)?;
    Ok(Found {
        shown,
        not_found: not_found.value,
        bytes: bytes.value,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    run(&mut io::stdout().lock(), Path::new(&logdir))?;
    Ok(())
}
