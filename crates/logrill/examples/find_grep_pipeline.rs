//! Seed idea: **the generator pipeline over a directory** — `gen_find`, `gen_open`,
//! `gen_cat`, `gen_grep`, the byte column, `sum`:
//!
//! ```text
//! filenames  = gen_find("access-log*", logdir)
//! logfiles   = gen_open(filenames)
//! loglines   = gen_cat(logfiles)
//! patlines   = gen_grep(pat, loglines)
//! bytecolumn = (line.rsplit(None,1)[1] for line in patlines)
//! bytes      = (int(x) for x in bytecolumn if x != '-')
//! print "Total", sum(bytes)
//! ```
//!
//! Shown twice: layer by layer with logrill's pieces (each one of the seed's generators),
//! then as the one [`Pipeline`](logrill::Pipeline) chain. Files may be plain, gzip, bzip2,
//! xz or zstd: `open` chooses by magic bytes, as `gen_open` chose by name.
//!
//! Run: `cargo run -p logrill --example find_grep_pipeline [-- LOGDIR [PATTERN]]`
//! (default `examples/logs` and `robots.txt`).

use std::error::Error;
use std::io::{self, Write};
use std::path::Path;

use logrill::agg::{parse_number, AggKind, AggValue, Aggregate};
use logrill::stage::{Field, Grep, GrepOptions};

/// The seed's generators one by one. Returns the total and how many files were read.
pub fn layer_by_layer(logdir: &Path, pattern: &str) -> Result<(AggValue, usize), Box<dyn Error>> {
    // gen_find: an iterator of paths (sorted, so the order is reproducible).
    let filenames = logrill::source::find(logdir).glob("access-log*");
    // gen_open: an iterator of opened, decompressed inputs, opened one at a time.
    let logfiles = filenames
        .into_iter()
        .map(|path| path.and_then(logrill::source::open));
    // gen_grep's pattern, and the byte column (`rsplit(None, 1)[1]`).
    let grep = Grep::new(pattern, GrepOptions::default())?;
    let bytecolumn = Field::new(-1).ok_or("field -1 exists")?;
    let mut total = Aggregate::new(AggKind::Sum);
    let mut files = 0;
    for file in logfiles {
        let file = file?;
        files += 1;
        // gen_cat: each file's lines in turn, borrowed from one reused buffer.
        let mut loglines = file.lines();
        let read = loglines.for_each_line(|line| {
            if grep.keeps(line) {
                // int(x) for x in bytecolumn if x != '-'
                if let Some(n) = bytecolumn.get(line).and_then(parse_number) {
                    total.add(n);
                }
            }
            true
        });
        if let Err(e) = read {
            let n = loglines.lines_read();
            return Err(loglines.get_ref().read_error(e, n).into());
        }
    }
    Ok((total.value(), files))
}

/// The same, as one chain.
pub fn chained(logdir: &Path, pattern: &str) -> Result<AggValue, Box<dyn Error>> {
    let report = logrill::find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .grep(pattern)
        .field(-1)
        .sum()?;
    if let Some(e) = report.errors.first() {
        return Err(format!("{e}").into());
    }
    Ok(report.value)
}

/// Both ways, printed.
pub fn run(
    out: &mut dyn Write,
    logdir: &Path,
    pattern: &str,
) -> Result<(AggValue, AggValue), Box<dyn Error>> {
    let (by_layers, files) = layer_by_layer(logdir, pattern)?;
    let by_chain = chained(logdir, pattern)?;
    writeln!(
        out,
        "{files} files matching access-log* under {}",
        logdir.display()
    )?;
    writeln!(out, "layer by layer: Total {by_layers}")?;
    writeln!(out, "one chain:      Total {by_chain}")?;
    Ok((by_layers, by_chain))
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let logdir = args.next().unwrap_or_else(|| "examples/logs".into());
    let pattern = args.next().unwrap_or_else(|| "robots.txt".into());
    let (a, b) = run(&mut io::stdout().lock(), Path::new(&logdir), &pattern)?;
    if a != b {
        return Err("the two forms disagree".into());
    }
    Ok(())
}
