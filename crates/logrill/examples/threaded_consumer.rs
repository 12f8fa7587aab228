//! Seed idea: **coroutines and threads** — a consumer running on its own thread, fed
//! through a queue, as the course's `threaded(target)` coroutine does:
//!
//! ```text
//! @coroutine
//! def threaded(target):
//!     messages = Queue()
//!     def run_target():
//!         while True:
//!             item = messages.get()
//!             if item is GeneratorExit:
//!                 target.close(); return
//!             target.send(item)
//!     Thread(target=run_target).start()
//!     try:
//!         while True:
//!             messages.put((yield))
//!     except GeneratorExit:
//!         messages.put(GeneratorExit)
//! ```
//!
//! [`sink::threaded_lines`] is that wrapper: the sink runs on its own thread behind a
//! *bounded* queue (Python's `Queue()` grows without limit), `close` ends the thread and
//! returns the sink's result, and what happens when the queue is full is a choice made
//! explicit: `Block` (nothing lost, a slow consumer slows the reader) or `DropNewest`
//! (the reader never waits; what did not fit is dropped and counted).
//!
//! Lines cross the thread as owned `Vec<u8>`s (a borrowed line is only valid until the
//! reader reads again), so the grep stays on the reading side and only matches cross.
//!
//! Run: `cargo run -p logrill --example threaded_consumer [-- LOGDIR]`
//! (default `examples/logs`).

use std::error::Error;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use logrill::sink::{self, prelude::*, Backpressure};
use logrill::AggValue;

/// What the two runs found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Bytes of the `robots.txt` requests, summed on the consumer thread (`Block`).
    pub total: AggValue,
    /// Matching lines the slow consumer got (`DropNewest`).
    pub delivered: u64,
    /// Matching lines dropped because its queue was full.
    pub dropped: u64,
}

/// A consumer that takes its time with each line.
fn slow(line: &[u8]) -> &[u8] {
    std::thread::sleep(Duration::from_micros(50));
    line
}

/// Grep on this thread; sum (or count, slowly) on another.
pub fn run(out: &mut dyn Write, logdir: &Path) -> Result<Outcome, Box<dyn Error>> {
    let files = || logrill::find(logdir).glob("access-log*").open();
    let report = |e: logrill::Error| eprintln!("problem: {e}");

    // 1. Block: every match reaches the consumer.
    let consumer = sink::threaded_lines(sink::field(-1, sink::sum())?, 1024, Backpressure::Block)?;
    let mut chain = sink::grep("robots.txt", consumer)?;
    sink::feed_inputs(files(), &mut chain, report)?;
    let summed = chain.close()?;
    writeln!(
        out,
        "Block:      total {} (dropped {})",
        summed.output.value, summed.dropped
    )?;

    // 2. DropNewest, with a consumer slower than the reader: the reader never waits.
    let consumer =
        sink::threaded_lines(sink::map(slow, sink::count()), 8, Backpressure::DropNewest)?;
    let mut chain = sink::grep("robots.txt", consumer)?;
    sink::feed_inputs(files(), &mut chain, report)?;
    let counted = chain.close()?;
    let delivered = match counted.output.value {
        AggValue::Int(n) => u64::try_from(n)?,
        other => return Err(format!("a count is an integer, got {other:?}").into()),
    };
    writeln!(
        out,
        "DropNewest: delivered {delivered}, dropped {} (together: every match)",
        counted.dropped
    )?;
    Ok(Outcome {
        total: summed.output.value,
        delivered,
        dropped: counted.dropped,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    run(&mut io::stdout().lock(), Path::new(&logdir))?;
    Ok(())
}
