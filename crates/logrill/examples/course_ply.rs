//! Seed idea: **the same question, pulled or pushed** — how many downloads of PLY, and
//! from how many hosts.
//!
//! ```text
//! lines = lines_from_dir("access-log*", "www")
//! log   = apache_log(lines)
//! plys  = (r for r in log if re.search(r'ply-.*\.gz', r['request']))
//! ```
//!
//! Pushed, the pipeline is a sink: lines are `send`-ed in (here from any line source,
//! such as a socket or a follower) and `close` gives the answer.
//!
//! Run: `cargo run -p logrill --example course_ply [-- LOGDIR]`.

use std::error::Error;
use std::path::Path;

use logrill::lang::query;
use logrill::sink::{prelude::*, FeedLines};
use logrill::source::LineReader;
use logrill::{col, find, Agg, Format, Query, Record};

/// Downloads and distinct hosts.
pub fn question() -> Query {
    query()
        .parse(Format::Common)
        .filter(col("path").matches(r"ply-.*\.gz"))
        .aggregate([
            Agg::count().named("downloads"),
            Agg::count_distinct("host").named("hosts"),
        ])
}

fn answer(rows: &[Record<'static>]) -> (i64, i64) {
    let get = |name| {
        rows.first()
            .and_then(|r| r.get_by_name(name)?.as_i64())
            .unwrap_or(0)
    };
    (get("downloads"), get("hosts"))
}

/// Pulled over the files.
pub fn pulled(logdir: &Path) -> Result<(i64, i64), logrill::Error> {
    let rows = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .query(&question())
        .rows()?
        .value;
    Ok(answer(&rows))
}

/// Pushed: every line of every file sent into one sink, closed at the end.
pub fn pushed(logdir: &Path) -> Result<(i64, i64), Box<dyn Error>> {
    let mut sink = question().sink()?;
    for input in find(logdir).glob("access-log*").open() {
        LineReader::new(input?).feed_lines(&mut sink)?;
    }
    let report = sink.close()?;
    Ok(answer(&report.value.rows))
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    let (downloads, hosts) = pulled(Path::new(&logdir))?;
    if (downloads, hosts) != pushed(Path::new(&logdir))? {
        return Err("pull and push disagree".into());
    }
    println!("{downloads} downloads from {hosts} hosts");
    Ok(())
}
