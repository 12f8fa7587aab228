//! Seed idea: **grep first, then parse** — who asked for robots.txt.
//!
//! ```text
//! addrs = set(r['host'] for r in log if 'robots.txt' in r['request'])
//! for addr in addrs: print addr
//! ```
//!
//! A leading `grep` is searched over whole batches of lines at once, so only the few
//! matching lines are parsed; the `where` then checks the path itself (a line can mention
//! robots.txt in its referrer).
//!
//! Run: `cargo run -p logrill --example course_robots [-- LOGDIR]`.

use std::error::Error;
use std::path::Path;

use logrill::{col, find, Format};

/// The hosts that requested robots.txt, in order, each once.
pub fn robots(logdir: &Path) -> Result<Vec<String>, logrill::Error> {
    let report = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .grep("robots.txt")
        .parse(Format::Common)
        .filter(col("path").eq("/robots.txt"))
        .count_by("host")
        .sort(["host"])
        .run()?;
    Ok(report
        .value
        .column("host")
        .iter()
        .map(ToString::to_string)
        .collect())
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    for addr in robots(Path::new(&logdir))? {
        println!("{addr}");
    }
    Ok(())
}
