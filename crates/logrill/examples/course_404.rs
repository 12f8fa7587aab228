//! Seed idea: **records, then questions about them** — the set of all paths that got a
//! 404, pulled and pushed.
//!
//! ```text
//! lines = lines_from_dir("access-log*", "www")
//! log   = apache_log(lines)
//! stat404 = set(r['request'] for r in log if r['status'] == 404)
//! ```
//!
//! `parse` is the course's `apache_log`, `filter` its `if`, `count_by` the set (with how
//! many times each path was asked for). The pull form runs over the files; the push form
//! is the same pipeline as a sink the lines are sent into (here by `run_pushed`, which
//! reads every file in turn): both give the same rows.
//!
//! Run: `cargo run -p logrill --example course_404 [-- LOGDIR]` (default `examples/logs`,
//! from the repository root).

use std::error::Error;
use std::path::Path;

use logrill::lang::query;
use logrill::{col, find, Format, Results};

/// The 404 paths, pulled: each with how often it was asked for, most often first.
pub fn pulled(logdir: &Path) -> Result<Vec<(String, i64)>, logrill::Error> {
    let report = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .parse(Format::Common)
        .filter(col("status").eq(404))
        .count_by("path")
        .sort([col("count").desc(), col("path").asc()])
        .run()?;
    Ok(paths(&report.value))
}

/// The same, pushed: a sink made of the same stages, sent every line.
pub fn pushed(logdir: &Path) -> Result<Vec<(String, i64)>, Box<dyn Error>> {
    let stat404 = query()
        .parse(Format::Common)
        .filter(col("status").eq(404))
        .count_by("path")
        .sort([col("count").desc(), col("path").asc()]);
    let files = find(logdir).glob("access-log*").open();
    let report = logrill::sink::run_pushed(&stat404, files)?;
    Ok(paths(&report.value))
}

fn paths(results: &Results) -> Vec<(String, i64)> {
    results
        .rows
        .iter()
        .filter_map(|r| {
            let path = r.get_by_name("path")?.to_string();
            Some((path, r.get_by_name("count")?.as_i64()?))
        })
        .collect()
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    let pulled = pulled(Path::new(&logdir))?;
    if pulled != pushed(Path::new(&logdir))? {
        return Err("pull and push disagree".into());
    }
    for (path, n) in pulled {
        println!("{n:>6} {path}");
    }
    Ok(())
}
