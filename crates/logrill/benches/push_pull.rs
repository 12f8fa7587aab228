//! Push vs pull on the same job: the sum of the last field of the lines that contain a
//! literal (`grep robots.txt | field -1 | sum`) over one generated plain-text access log of
//! about 100 MB (`LOGRILL_BENCH_MB` to change it), read from the page cache.
//!
//! Ways measured, each checked against the total recorded while the file was generated:
//!
//! * `pull: Pipeline` — the builder (`find(..).open().lines().grep(..).field(-1).sum()`),
//!   the engine the CLI uses: batch-wide grep, stages pulled per match.
//! * `push: sinks, batches` — `feed_inputs` into `grep(.., field(-1, sum()))`: the grep sink
//!   searches each batch in one pass, as the pull engine does.
//! * `push: sinks, line by line` — `feed_lines` into the same chain: the grep sink tests each
//!   line on its own (what a naive push design does).
//! * `push: consumer on a thread` — grep on the reading thread, matches copied into
//!   `Vec<u8>`s and summed by `threaded_lines(field(-1, sum()))` on another thread.
//! * `pull: hand-written loop` — `LineReader` + `Grep::matching_lines` + `whitespace_field`
//!   + `parse_number` in one loop: the floor both designs should approach.
//!
//! Run: `cargo bench -p logrill --bench push_pull` (prints a Markdown table).

use std::error::Error;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use logrill::agg::{parse_number, AggKind, AggValue, Aggregate};
use logrill::sink::{self, prelude::*, Backpressure};
use logrill::source::LineReader;
use logrill::stage::field::whitespace_field;
use logrill::stage::{Grep, GrepOptions};
use logrill_testgen::LineGen;

const PATTERN: &str = "robots.txt";
const RUNS: usize = 15;

type Way = fn(&Path) -> Result<AggValue, Box<dyn Error>>;

fn pull_pipeline(path: &Path) -> Result<AggValue, Box<dyn Error>> {
    let report = logrill::find(path)
        .open()
        .lines()
        .grep(PATTERN)
        .field(-1)
        .sum()?;
    Ok(report.value)
}

fn push_batches(path: &Path) -> Result<AggValue, Box<dyn Error>> {
    let mut chain = sink::grep(PATTERN, sink::field(-1, sink::sum())?)?;
    sink::feed_inputs([logrill::source::open(path)], &mut chain, |e| {
        eprintln!("{e}")
    })?;
    Ok(chain.close()?.value)
}

fn push_lines(path: &Path) -> Result<AggValue, Box<dyn Error>> {
    let mut chain = sink::grep(PATTERN, sink::field(-1, sink::sum())?)?;
    logrill::source::open(path)?
        .lines()
        .feed_lines(&mut chain)?;
    Ok(chain.close()?.value)
}

fn push_threaded(path: &Path) -> Result<AggValue, Box<dyn Error>> {
    let consumer = sink::threaded_lines(sink::field(-1, sink::sum())?, 4096, Backpressure::Block)?;
    let mut chain = sink::grep(PATTERN, consumer)?;
    sink::feed_inputs([logrill::source::open(path)], &mut chain, |e| {
        eprintln!("{e}")
    })?;
    Ok(chain.close()?.output.value)
}

fn pull_loop(path: &Path) -> Result<AggValue, Box<dyn Error>> {
    let grep = Grep::new(PATTERN, GrepOptions::default())?;
    let mut total = Aggregate::new(AggKind::Sum);
    let mut reader = LineReader::new(logrill::source::open(path)?);
    while let Some(batch) = reader.next_batch()? {
        grep.matching_lines(batch.as_bytes(), |_, line| {
            if let Some(n) = whitespace_field(line, -1).and_then(parse_number) {
                total.add(n);
            }
            true
        });
    }
    Ok(total.value())
}

fn main() -> Result<(), Box<dyn Error>> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing of the kind
    // and only wants to know that this builds and runs: do a tiny run then.
    let benching = std::env::args().any(|a| a == "--bench");
    let mb: f64 = match std::env::var("LOGRILL_BENCH_MB") {
        Ok(s) => s.parse()?,
        Err(_) if benching => 100.0,
        Err(_) => 1.0,
    };
    let runs = if benching { RUNS } else { 1 };

    // The data, and its truth, recorded while generating.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("access-log");
    let mut gen = LineGen::new(2026);
    let mut text = Vec::with_capacity((mb * 1.05e6) as usize);
    let mut want: i128 = 0;
    let mut lines = 0u64;
    let mut matching = 0u64;
    let mut line = Vec::new();
    while (text.len() as f64) < mb * 1e6 {
        line.clear();
        let info = gen.line(&mut line);
        if info.has_pattern {
            matching += 1;
            if let Some(b) = info.bytes {
                want += i128::from(b);
            }
        }
        text.extend_from_slice(&line);
        text.push(b'\n');
        lines += 1;
    }
    std::fs::File::create(&path)?.write_all(&text)?;
    let size = text.len() as f64;
    drop(text);
    eprintln!(
        "{:.1} MB, {lines} lines, {matching} contain {PATTERN:?}, truth {want}",
        size / 1e6
    );

    let ways: [(&str, Way); 5] = [
        ("pull: Pipeline", pull_pipeline),
        ("push: sinks, batches", push_batches),
        ("push: sinks, line by line", push_lines),
        ("push: consumer on a thread", push_threaded),
        ("pull: hand-written loop", pull_loop),
    ];
    // Warm the page cache, and check every way gives the truth.
    for (name, way) in ways {
        let got = way(&path)?;
        if got != AggValue::Int(want) {
            return Err(format!("{name}: got {got:?}, want {want}").into());
        }
    }
    println!("| way | best | median | MB/s (best) |");
    println!("|---|---:|---:|---:|");
    // Interleaved rounds, so a slow moment of the machine hits every way alike.
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); ways.len()];
    for _ in 0..runs {
        for (k, (_, way)) in ways.iter().enumerate() {
            let t = Instant::now();
            let got = way(&path)?;
            times[k].push(t.elapsed());
            std::hint::black_box(got);
        }
    }
    for ((name, _), mut t) in ways.iter().zip(times) {
        t.sort();
        let best = t[0];
        let median = t[t.len() / 2];
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.0} |",
            best.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3,
            size / 1e6 / best.as_secs_f64()
        );
    }
    Ok(())
}
