//! The record model: what a parsed line is, shared by every layer above `source`.
//!
//! A [`Record`] is an ordered list of named [`Value`]s that borrow from the line they were
//! read from; a [`Schema`] names the fields of a parser whose lines all have the same fields,
//! and a [`FieldKey`] is a field resolved once per plan so the per-line lookup is an index.
//! A [`Timestamp`] is an instant that keeps the UTC offset it was written with.
//!
//! These types sit on the ground floor, beside [`agg`](crate::agg), rather than inside the
//! parsers: the parsers fill records, but the query language, the operators, the
//! aggregates and the command line's printers all read them, and none of those should have
//! to reach into `stage::parse` to do so. (`stage::parse` still re-exports them under their
//! old paths.)

mod field_type;
mod fields;
pub mod order;
pub(crate) mod time;
pub(crate) mod value;
pub(crate) mod words;

pub use field_type::FieldType;
pub use fields::{FieldKey, Record, Schema};
pub use time::{parse_apache_timestamp, parse_epoch_seconds, parse_iso8601, TimeParts, Timestamp};
pub use value::Value;
