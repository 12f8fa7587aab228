//! Seed idea: **a question is a pipeline** — the largest transfer, and what it was.
//!
//! ```text
//! print "%d %s" % max((r['bytes'], r['request']) for r in log)
//! ```
//!
//! Sorting by bytes, largest first, and keeping the first row gives the size and the
//! request together. `sort` holds every row until the input ends, so when only the size is
//! wanted, the aggregate `max bytes` (second form) keeps one number instead.
//!
//! Run: `cargo run -p logrill --example course_largest [-- LOGDIR]`.

use std::error::Error;
use std::path::Path;

use logrill::{col, find, Agg, Format};

/// The largest transfer's size and request line.
pub fn largest(logdir: &Path) -> Result<Option<(i64, String)>, logrill::Error> {
    let rows = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .parse(Format::Common)
        .filter(col("bytes").is_not_null())
        .sort([col("bytes").desc()])
        .head(1)
        .select(["bytes", "request"])
        .rows()?
        .value;
    Ok(rows.first().and_then(|r| {
        let bytes = r.get_by_name("bytes")?.as_i64()?;
        Some((bytes, r.get_by_name("request")?.to_string()))
    }))
}

/// Just the size: an aggregate, no rows kept.
pub fn max_bytes(logdir: &Path) -> Result<Option<i64>, logrill::Error> {
    let rows = find(logdir)
        .glob("access-log*")
        .open()
        .lines()
        .parse(Format::Common)
        .aggregate([Agg::max("bytes")])
        .rows()?
        .value;
    Ok(rows
        .first()
        .and_then(|r| r.get_by_name("max_bytes")?.as_i64()))
}

#[allow(dead_code)]
fn main() -> Result<(), Box<dyn Error>> {
    let logdir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs".into());
    if let Some((bytes, request)) = largest(Path::new(&logdir))? {
        println!("{bytes} {request}");
    }
    Ok(())
}
