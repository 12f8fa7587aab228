//! Writing results: plain values (bytes as they are) or JSON lines.

use std::io::{self, BufWriter, Write};

use logrill::exec::{Emitted, Output};
use logrill::AggValue;

/// Writes values and aggregate results to a stream.
pub struct Printer<W: Write> {
    out: BufWriter<W>,
    json: bool,
    /// Flush after every value, so lines show up at once on a terminal.
    flush_each: bool,
}

impl<W: Write> Printer<W> {
    pub fn new(out: W, json: bool, flush_each: bool) -> Self {
        Printer {
            out: BufWriter::with_capacity(64 * 1024, out),
            json,
            flush_each,
        }
    }

    /// Print an aggregate's result: the bare number, or `{"NAME":N}` in JSON.
    pub fn aggregate(&mut self, name: &str, value: AggValue) -> io::Result<()> {
        if self.json {
            let mut obj = serde_json::Map::new();
            obj.insert(name.to_string(), value.to_json());
            serde_json::to_writer(&mut self.out, &obj)?;
            self.out.write_all(b"\n")
        } else {
            writeln!(self.out, "{value}")
        }
    }

    /// Flush everything.
    pub fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> Output for Printer<W> {
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
        if self.json {
            // Keys in a fixed order; JSON strings must be UTF-8, so invalid bytes become
            // U+FFFD here (the plain output keeps them as they are).
            self.out.write_all(b"{\"file\":")?;
            serde_json::to_writer(&mut self.out, &v.input.to_string())?;
            write!(self.out, ",\"line\":{},\"value\":", v.line)?;
            serde_json::to_writer(&mut self.out, &String::from_utf8_lossy(v.value))?;
            self.out.write_all(b"}\n")?;
        } else {
            self.out.write_all(v.value)?;
            self.out.write_all(b"\n")?;
        }
        if self.flush_each {
            self.out.flush()?;
        }
        Ok(())
    }
}
