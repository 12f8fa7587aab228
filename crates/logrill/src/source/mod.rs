//! Where lines come from (the pull side, Beazley's generators).
//!
//! * [`find`](find::find) walks directory trees and keeps the files whose *name* matches a glob
//!   (the seed's `gen_find`), in a deterministic order: rotated logs oldest first, numbers in
//!   names numerically (see [`rotation`]);
//! * [`open`](open::open) opens a file or standard input and undoes its compression, chosen by
//!   magic bytes, never by the name (the seed's `gen_open`);
//! * [`LineReader`](lines::LineReader) reads big buffers of complete lines out of any reader
//!   (the seed's `gen_cat`), without allocating per line.

pub mod bzip2_parallel;
mod files;
pub mod find;
pub mod follow;
pub mod gzindex;
pub(crate) mod line_ends;
pub mod lines;
pub mod open;
pub mod pieces;
pub mod readahead;
pub mod rotation;
pub mod timerange;
pub mod xz;

pub use files::Files;
pub use find::{find, EmptyRoot, Find, WalkReport};
pub use lines::{Batch, LineReader};
pub use open::{
    detect, open, open_counted, open_reader, open_reader_with, open_stdin, open_stdin_with,
    open_with, open_with_index, Codec, Input,
};
pub use timerange::{RangeCounters, TimeRange};
