//! Seed idea: **push vs pull** — "using generators is a pull of data but using coroutines
//! is a push of data". The same job (bytes of the `robots.txt` requests over every
//! `access-log*` file) done three ways over the same data:
//!
//! 1. **pull**: the consumer drives. `sum()` asks the field stage for a value, which asks
//!    grep, which asks the line reader ([`Pipeline`](logrill::Pipeline), generators);
//! 2. **push**: the producer drives. The reader hands each batch of lines to a `grep` sink,
//!    which sends matches to a `field` sink, which sends values into a `sum` sink
//!    (coroutines; `feed_inputs` is the one place where a pull source meets a push chain);
//! 3. **push into pull**: a producer thread pushes matching lines into a [`sink::channel`]
//!    and this thread pulls them out as an ordinary iterator.
//!
//! All three give the same total; the times show what each shape costs.
//!
//! Run: `cargo run --release -p logrill --example push_vs_pull [-- LOGDIR]`
//! (default `examples/logs`).

use std::error::Error;
use std::io::{self, Write};
use std::path::Path;
use std::time::Instant;

use logrill::agg::{parse_number, AggKind, AggValue, Aggregate};
use logrill::sink::{self, prelude::*};
use logrill::stage::field::whitespace_field;

const PATTERN: &str = "robots.txt";

/// Pull: the generator pipeline.
pub fn pull(logdir: &Path) -> Result<AggValue, Box<dyn Error>> {
    let report = logrill::find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .grep(PATTERN)
        .field(-1)
        .sum()?;
    match report.errors.first() {
        Some(e) => Err(format!("{e}").into()),
        None => Ok(report.value),
    }
}

/// Push: the coroutine chain.
pub fn push(logdir: &Path) -> Result<AggValue, Box<dyn Error>> {
    let files = logrill::find(logdir).glob("access-log*").open();
    let mut chain = sink::grep(PATTERN, sink::field(-1, sink::sum())?)?;
    let mut problems = Vec::new();
    sink::feed_inputs(files, &mut chain, |e| problems.push(e))?;
    match problems.first() {
        Some(e) => Err(format!("{e}").into()),
        None => Ok(chain.close()?.value),
    }
}

/// Push into pull: a reading thread pushes matching lines into a channel; this thread
/// iterates over them.
pub fn push_into_pull(logdir: &Path) -> Result<AggValue, Box<dyn Error>> {
    let (tx, matches) = sink::channel::<Vec<u8>>(1024);
    let logdir = logdir.to_path_buf();
    let producer = std::thread::spawn(move || -> Result<u64, String> {
        let files = logrill::find(logdir).glob("access-log*").open();
        let mut chain = sink::grep(PATTERN, tx).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        sink::feed_inputs(files, &mut chain, |e| problems.push(e.to_string()))
            .map_err(|e| e.to_string())?;
        match problems.into_iter().next() {
            Some(e) => Err(e),
            // Closing the sink ends the iterator on the other side.
            None => chain.close().map_err(|e| e.to_string()),
        }
    });
    // An ordinary iterator chain: bytecolumn, then int(x) for x if x != '-', then sum.
    let mut total = Aggregate::new(AggKind::Sum);
    matches
        .filter_map(|line| whitespace_field(&line, -1).and_then(parse_number))
        .for_each(|n| total.add(n));
    producer
        .join()
        .map_err(|_| "the producer thread panicked")??;
    Ok(total.value())
}

/// All three, timed.
pub fn run(out: &mut dyn Write, logdir: &Path) -> Result<[AggValue; 3], Box<dyn Error>> {
    let mut results = Vec::new();
    type Way = fn(&Path) -> Result<AggValue, Box<dyn Error>>;
    let ways: [(&str, Way); 3] = [
        ("pull (Pipeline)", pull),
        ("push (sinks)", push),
        ("push into pull (channel)", push_into_pull),
    ];
    for (name, way) in ways {
        let t = Instant::now();
        let total = way(logdir)?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        writeln!(out, "{name:<26} Total {total}  ({ms:.1} ms)")?;
        results.push(total);
    }
    match results[..] {
        [a, b, c] => Ok([a, b, c]),
        _ => Err("three ways, three results".into()),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    let [a, b, c] = run(&mut io::stdout().lock(), Path::new(&logdir))?;
    if a != b || b != c {
        return Err("the three ways disagree".into());
    }
    Ok(())
}
