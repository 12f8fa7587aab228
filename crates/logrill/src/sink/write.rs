//! Writer sinks: the seed's `printer()` coroutine.

use std::io::{self, BufWriter, Write};

use super::{Consumer, Flow, Sink, SinkError};

/// Writes each line, followed by `\n`, through a buffer. See [`writer`].
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: BufWriter<W>,
    lines: u64,
}

/// What a [`Writer`] returns at close: the writer, flushed, and how many lines went out.
#[derive(Debug)]
pub struct Written<W> {
    /// The underlying writer (a `Vec<u8>` given to [`writer`] comes back with the text).
    pub writer: W,
    /// Lines written.
    pub lines: u64,
}

/// Write each line to `w` with a `\n` after it. Writes are buffered (one system call per
/// 8 KiB, not per line); [`Consumer::close`] flushes and reports a failed flush, and dropping
/// the sink without closing it flushes too (ignoring errors, as `BufWriter` does).
pub fn writer<W: Write>(w: W) -> Writer<W> {
    Writer {
        out: BufWriter::new(w),
        lines: 0,
    }
}

/// A [`writer`] to standard output.
pub fn printer() -> Writer<io::Stdout> {
    writer(io::stdout())
}

impl<W: Write> Writer<W> {
    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

impl<W: Write> Consumer for Writer<W> {
    type Output = Written<W>;

    fn close(self) -> Result<Written<W>, SinkError> {
        let writer = self
            .out
            .into_inner()
            .map_err(|e| SinkError::Write(e.into_error()))?;
        Ok(Written {
            writer,
            lines: self.lines,
        })
    }
}

impl<'a, W: Write> Sink<&'a [u8]> for Writer<W> {
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        self.out.write_all(line).map_err(SinkError::Write)?;
        self.out.write_all(b"\n").map_err(SinkError::Write)?;
        self.lines += 1;
        Ok(Flow::Continue)
    }
}
