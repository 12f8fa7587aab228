//! Seed idea: **records as an iterator** — every host that sent a request.
//!
//! ```text
//! hosts = set(r['host'] for r in log)
//! ```
//!
//! The first form is the course's own: iterate the records (`records()` is a pull
//! iterator; the run goes on a thread a few batches ahead) and put each host in a set. The
//! second lets the engine do it (`count_distinct host`), in parallel over the files.
//!
//! Run: `cargo run -p logrill --example course_hosts [-- LOGDIR]`.

use std::collections::BTreeSet;
use std::error::Error;
use std::path::Path;

use logrill::{find, Agg, Format};

/// The set of hosts, by iterating records.
pub fn hosts(logdir: &Path) -> Result<BTreeSet<String>, logrill::Error> {
    let mut hosts = BTreeSet::new();
    let log = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .parse(Format::Common)
        .select(["host"])
        .records()?;
    for r in log {
        if let Some(host) = r?.get_by_name("host") {
            hosts.insert(host.to_string());
        }
    }
    Ok(hosts)
}

/// How many hosts, counted by the engine.
pub fn how_many(logdir: &Path) -> Result<Option<i64>, logrill::Error> {
    let rows = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .parse(Format::Common)
        .aggregate([Agg::count_distinct("host").named("hosts")])
        .rows()?
        .value;
    Ok(rows.first().and_then(|r| r.get_by_name("hosts")?.as_i64()))
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    let hosts = hosts(Path::new(&logdir))?;
    println!("{} hosts", hosts.len());
    Ok(())
}
