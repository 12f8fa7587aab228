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
//!
//! Each layer is usable on its own; the [`Pipeline`] builder ties them together.
//!
//! ## Errors
//! An input that cannot be opened or is corrupt never ends a run: the problem is recorded
//! (with the input's name, and for corrupt compressed data the number of lines read before
//! it) in [`Report::errors`], the lines before it still count, and the other inputs are read.

pub mod agg;
pub mod error;
pub mod exec;
mod pipeline;
pub mod plural;
pub mod query;
pub mod record;
pub mod sink;
pub mod source;
pub mod stage;

pub use agg::AggValue;
pub use error::{Error, InputName, Result};
pub use exec::Files;
pub use pipeline::{Pipeline, Report};
pub use plural::plural;
pub use source::find;

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
