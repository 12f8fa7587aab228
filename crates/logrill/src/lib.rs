//! # logrill: generator pipelines over logs
//!
//! David Beazley's "Generator Tricks for Systems Programmers" answers questions about piles
//! of logs with a chain of small generators:
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
//! In logrill the same chain reads stage for stage:
//!
//! ```
//! use logrill::{find, AggValue};
//! # let logdir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/logs");
//! let total = find(logdir)         // gen_find: walk the tree ...
//!     .glob("access-log*")         // ... keeping files by name
//!     .open()                      // gen_open: plain, gz, bz2, xz, zst, by magic bytes
//!     .lines()                     // gen_cat: lines of every file in turn
//!     .grep("robots.txt")          // gen_grep
//!     .field(-1)                   // line.rsplit(None,1)[1]
//!     .sum()?;                     // int(x) for x if x != '-', summed
//! assert_eq!(total.value, AggValue::Int(5_154_660));
//! assert!(total.errors.is_empty());
//! // The '-' byte counts were skipped, and counted:
//! assert!(total.skips.total() > 0);
//! # Ok::<(), logrill::Error>(())
//! ```
//!
//! The course goes on with records, and so does the library: every stage of the pipeline
//! language is a call ([`lang`]), the same chain runs pulled over files or pushed as one
//! sink, and it prints as the text the command line would take:
//!
//! ```
//! use logrill::lang::query;
//! use logrill::sink::prelude::*;
//! use logrill::{col, find, Format};
//! # let logdir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/logs");
//! // The course's `set(r['request'] for r in apache_log(lines) if r['status'] == 404)`.
//! let stat404 = query()
//!     .parse(Format::Common)
//!     .filter(col("status").eq(404))
//!     .count_by("path");
//! assert_eq!(stat404.text(), "parse common | where (status == 404) | count by path");
//!
//! // Pulled: over every access log, on every core.
//! let pulled = find(logdir).glob("access-log*").open().lines().query(&stat404).run()?;
//! let total: i64 = pulled.value.column("count").iter().filter_map(|v| v.as_i64()).sum();
//! assert_eq!(total, 2851);
//!
//! // Pushed: the same stages as one sink (Beazley's coroutine): send, then close.
//! let mut sink = stat404.sink()?;
//! sink.send_line(r#"h - - [01/Jan/2023:00:00:00 +0000] "GET /gone HTTP/1.0" 404 0"#)?;
//! sink.send_line(r#"h - - [01/Jan/2023:00:00:01 +0000] "GET / HTTP/1.0" 200 9"#)?;
//! let pushed = sink.close()?;
//! assert_eq!(pushed.value.rows_json(), vec![serde_json::json!({"path": "/gone", "count": 1})]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Layers
//! Each layer uses only the layers listed before it.
//! * Ground floor: [`error`] (typed errors, the pipeline-text error among them);
//!   [`record`]: the record model ([`Record`](record::Record), [`Value`](record::Value),
//!   [`Schema`](record::Schema), [`Timestamp`](record::Timestamp)) and how values compare
//!   and group; [`agg`]: every aggregate state, exact and mergeable (`count`, `sum`, `min`,
//!   `max`, `avg`, `distinct`, `count_distinct`, percentiles, `top`, `first`, `last`, the
//!   `by` table, the state limit).
//! * [`source`]: where lines come from: [`find`](fn@find), [`open`](fn@source::open),
//!   [`Files`], [`LineReader`](source::LineReader) (big reused buffers of complete lines,
//!   `&[u8]`), [`follow`](source::follow).
//! * [`stage`]: what is done to each value: [`grep`](stage::Grep), [`field`](stage::Field),
//!   [`head`](stage::Head), [`parse`](stage::parse) (lines into records).
//! * [`query`]: the pipeline language of the command line, parsed into a [`Plan`](query::Plan).
//! * [`exec`]: runs a plan over inputs: batch-wide grep, errors per input, the run goes on.
//! * [`lang`]: every stage of the language as a typed call of one builder, [`Pipeline`]
//!   (pull, over files) / [`Query`] (no inputs yet; push with [`Query::sink`]). The calls
//!   write pipeline text and [`query::parse`] compiles it, so the builder and the text make
//!   the same plan, with the same errors.
//! * [`sink`]: the push side: Beazley's coroutines, and [`sink::PlanSink`], a whole plan
//!   as one sink.
//! * `arrow` (cargo feature `arrow`): records as Arrow columns, one typing rule for the
//!   command line's Parquet output and the Python package's `pyarrow` tables.
//!
//! Each layer is usable on its own; the [`Pipeline`] builder ties them together, and
//! `docs/library.md` is its reference.
//!
//! ## Errors
//! An input that cannot be opened or is corrupt never ends a run: the problem is recorded
//! (with the input's name, and for corrupt compressed data the number of lines read before
//! it) in [`Report::errors`], the lines before it still count, and the other inputs are read.

pub mod agg;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod error;
pub mod exec;
pub mod lang;
mod pipeline;
pub mod plural;
pub mod query;
pub mod record;
mod results;
pub mod sink;
pub mod source;
pub mod stage;

pub use agg::AggValue;
pub use error::{Error, InputName, Result};
pub use lang::{col, lit, Agg, Format, Query, Term};
pub use pipeline::{Pipeline, Records};
pub use plural::plural;
pub use record::{Record, Schema, Timestamp, Value};
pub use results::{Collector, Report, Results};
pub use source::find;
pub use source::Files;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
