//! Writing results: plain values, tables (aligned on a terminal, TSV when piped), CSV, or
//! JSON lines.
//!
//! Column order is stable: a table's group keys in the order of `by`, then its aggregates
//! in the order written; a record's fields in the parser's order (the format's directives
//! left to right), or as `select` lists them.

use std::io::{self, BufWriter, Write};

use logrill::exec::{Emitted, Output};
use logrill::stage::parse::{Record, Value};
use logrill::{AggValue, InputName};

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Values as they are; tables aligned on a terminal, TSV otherwise.
    Text,
    Csv,
    Json,
}

/// Append `bytes` to `out` so that a terminal shows them and does not obey them: control
/// characters (C0 but tab, DEL, C1: what starts ESC/CSI/OSC sequences) and bytes that are
/// not UTF-8 (a lone 0x9b is CSI to some terminals) become `\xNN`. Text is left alone.
pub fn escape_controls(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() && c != '\t' {
                out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes());
            } else {
                let mut b = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
        for b in chunk.invalid() {
            out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
        }
    }
}

/// Whether bytes hold anything [`escape_controls`] would change.
fn needs_escape(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b < 0x20 && b != b'\t' || b >= 0x7f)
        && bytes.utf8_chunks().any(|c| {
            !c.invalid().is_empty() || c.valid().chars().any(|ch| ch.is_control() && ch != '\t')
        })
}

/// SGR bold and reset, for `--color`.
const BOLD: &[u8] = b"\x1b[1m";
const RESET: &[u8] = b"\x1b[0m";

/// Rows an aligned table buffers to size its columns (later rows use the same widths).
const ALIGN_ROWS: usize = 1000;

/// Writes results to a stream.
pub struct Printer<W: Write> {
    out: BufWriter<W>,
    format: Format,
    terminal: bool,
    /// Column names of the current table, and whether its header was written.
    columns: Vec<String>,
    header_done: bool,
    /// An aligned table's rows waiting for their widths, and the widths once known.
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    /// Inside `tee` with JSON: the current branch's object.
    branch: Option<serde_json::Map<String, serde_json::Value>>,
    branches_seen: usize,
    /// Escape control sequences from the logs (on a terminal, unless `--raw`).
    escape: bool,
    scratch: Vec<u8>,
    /// `-H`: the input's name before each value.
    with_filename: bool,
    /// `--color`: the table header and `tee` headings in bold.
    color: bool,
    /// The next aligned row written is the header.
    header_next: bool,
    /// `--chart`: tables drawn as charts `(width, ascii)`, and the rows of the current one.
    chart: Option<(usize, bool)>,
    chart_rows: Vec<Vec<Value<'static>>>,
}

impl<W: Write> Printer<W> {
    /// `escape`: show control characters from the logs as `\xNN` instead of writing them.
    pub fn new(out: W, format: Format, terminal: bool, escape: bool) -> Self {
        Printer {
            out: BufWriter::with_capacity(64 * 1024, out),
            format,
            terminal,
            columns: Vec::new(),
            header_done: false,
            pending: Vec::new(),
            widths: None,
            branch: None,
            branches_seen: 0,
            escape,
            scratch: Vec::new(),
            with_filename: false,
            color: false,
            header_next: false,
            chart: None,
            chart_rows: Vec::new(),
        }
    }

    /// `--chart`: draw each table as a chart `width` columns wide (only ASCII if `ascii`)
    /// instead of printing it (plain text output only).
    pub fn with_chart(mut self, chart: Option<(usize, bool)>) -> Self {
        self.chart = chart.filter(|_| self.format == Format::Text);
        self
    }

    /// Bold table headers and `tee` headings (decided by `--color` and `NO_COLOR`).
    pub fn with_color(mut self, yes: bool) -> Self {
        self.color = yes;
        self
    }

    /// Print `name:` before each value (`-H`).
    pub fn with_filename(mut self, yes: bool) -> Self {
        self.with_filename = yes;
        self
    }

    /// Flush what is buffered (the table being aligned stays).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Finish and give back the stream (for output rendered into a buffer).
    pub fn into_inner(mut self) -> io::Result<W> {
        self.finish()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }

    /// Write log bytes, escaped if asked.
    fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.escape && needs_escape(bytes) {
            self.scratch.clear();
            escape_controls(bytes, &mut self.scratch);
            self.out.write_all(&self.scratch)
        } else {
            self.out.write_all(bytes)
        }
    }

    /// Flush everything.
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush_table()?;
        self.flush_branch()?;
        self.out.flush()
    }

    fn aligned(&self) -> bool {
        self.format == Format::Text && self.terminal
    }

    fn flush_branch(&mut self) -> io::Result<()> {
        if let Some(obj) = self.branch.take() {
            serde_json::to_writer(&mut self.out, &obj)?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn write_header(&mut self, names: &[String]) -> io::Result<()> {
        if self.header_done {
            return Ok(());
        }
        self.header_done = true;
        match self.format {
            Format::Json => Ok(()),
            Format::Csv => {
                let cells: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
                write_csv(&mut self.out, &cells)
            }
            Format::Text if self.terminal => {
                self.header_next = self.color;
                self.pending.push(names.to_vec());
                Ok(())
            }
            Format::Text => {
                let cells: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
                write_tsv(&mut self.out, &cells)
            }
        }
    }

    fn flush_table(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let widths = self.widths.get_or_insert_with(|| {
            let mut w = vec![0; self.pending.iter().map(Vec::len).max().unwrap_or(0)];
            for row in &self.pending {
                for (i, c) in row.iter().enumerate() {
                    w[i] = w[i].max(c.chars().count());
                }
            }
            w
        });
        for row in self.pending.drain(..) {
            let bold = std::mem::take(&mut self.header_next);
            if bold {
                self.out.write_all(BOLD)?;
            }
            write_aligned(&mut self.out, &row, widths)?;
            if bold {
                self.out.write_all(RESET)?;
            }
        }
        Ok(())
    }
}

/// A value as text for a table cell (null as `-` in an aligned table, empty otherwise).
fn cell(v: &Value<'_>, aligned: bool) -> Vec<u8> {
    let mut out = Vec::new();
    match v {
        Value::Null if aligned => out.push(b'-'),
        v => v.write_text(&mut out),
    }
    out
}

fn write_tsv(out: &mut impl Write, cells: &[Vec<u8>]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b"\t")?;
        }
        // A tab or newline inside a value would break the row: escape them (and `\`).
        if c.iter().any(|b| matches!(b, b'\t' | b'\n' | b'\r' | b'\\')) {
            for &b in c {
                match b {
                    b'\t' => out.write_all(b"\\t")?,
                    b'\n' => out.write_all(b"\\n")?,
                    b'\r' => out.write_all(b"\\r")?,
                    b'\\' => out.write_all(b"\\\\")?,
                    b => out.write_all(&[b])?,
                }
            }
        } else {
            out.write_all(c)?;
        }
    }
    out.write_all(b"\n")
}

fn write_csv(out: &mut impl Write, cells: &[Vec<u8>]) -> io::Result<()> {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if c.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            out.write_all(b"\"")?;
            for &b in c {
                if b == b'"' {
                    out.write_all(b"\"\"")?;
                } else {
                    out.write_all(&[b])?;
                }
            }
            out.write_all(b"\"")?;
        } else {
            out.write_all(c)?;
        }
    }
    out.write_all(b"\r\n")
}

fn write_aligned(out: &mut impl Write, row: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, c) in row.iter().enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(c);
        if i + 1 < row.len() {
            let w = widths.get(i).copied().unwrap_or(0);
            line.extend(std::iter::repeat_n(
                ' ',
                w.saturating_sub(c.chars().count()),
            ));
        }
    }
    writeln!(out, "{line}")
}

impl<W: Write> Output for Printer<W> {
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
        if let Some(obj) = &mut self.branch {
            let values = obj
                .entry("values")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(a) = values {
                a.push(String::from_utf8_lossy(v.value).into());
            }
            return Ok(());
        }
        if self.format == Format::Json {
            // Keys in a fixed order; JSON strings must be UTF-8, so invalid bytes become
            // U+FFFD here (the plain output keeps them as they are).
            self.out.write_all(b"{\"file\":")?;
            serde_json::to_writer(&mut self.out, &v.input.to_string())?;
            write!(self.out, ",\"line\":{},\"value\":", v.line)?;
            serde_json::to_writer(&mut self.out, &String::from_utf8_lossy(v.value))?;
            self.out.write_all(b"}\n")?;
        } else {
            if self.with_filename {
                let name = v.input.to_string();
                self.write_bytes(name.as_bytes())?;
                self.out.write_all(b":")?;
            }
            self.write_bytes(v.value)?;
            self.out.write_all(b"\n")?;
        }
        if self.terminal {
            self.out.flush()?;
        }
        Ok(())
    }

    fn record(&mut self, _input: &InputName, _line: u64, record: &Record<'_>) -> io::Result<()> {
        // A table (its columns were announced) kept for its chart.
        if self.chart.is_some() && !self.columns.is_empty() {
            let row = record.values().iter().map(|v| v.clone().into_owned());
            self.chart_rows.push(row.collect());
            return Ok(());
        }
        if let Some(obj) = &mut self.branch {
            let rows = obj
                .entry("rows")
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(a) = rows {
                a.push(record.to_json());
            }
            return Ok(());
        }
        if self.format == Format::Json {
            serde_json::to_writer(&mut self.out, &record.to_json())?;
            return self.out.write_all(b"\n");
        }
        if !self.header_done {
            let names: Vec<String> = if self.columns.is_empty() {
                record.iter().map(|(n, _)| n.to_string()).collect()
            } else {
                self.columns.clone()
            };
            self.write_header(&names)?;
        }
        let aligned = self.aligned();
        let mut cells: Vec<Vec<u8>> = record.values().iter().map(|v| cell(v, aligned)).collect();
        if self.escape {
            for c in cells.iter_mut().filter(|c| needs_escape(c)) {
                let mut e = Vec::new();
                escape_controls(c, &mut e);
                *c = e;
            }
        }
        match self.format {
            Format::Csv => write_csv(&mut self.out, &cells),
            Format::Text if aligned => {
                let row = cells
                    .iter()
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                self.pending.push(row);
                if self.pending.len() >= ALIGN_ROWS {
                    self.flush_table()?;
                }
                Ok(())
            }
            _ => write_tsv(&mut self.out, &cells),
        }
    }

    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.columns = names.to_vec();
        self.header_done = false;
        self.widths = None;
        Ok(())
    }

    fn end_table(&mut self) -> io::Result<()> {
        if let (Some((width, ascii)), false) = (self.chart, self.columns.is_empty()) {
            let rows = std::mem::take(&mut self.chart_rows);
            let text = crate::chart::render(&self.columns, &rows, width, ascii);
            self.columns.clear();
            return self.out.write_all(text.as_bytes());
        }
        if !self.header_done && self.branch.is_none() && !self.columns.is_empty() {
            // An empty table still shows its columns.
            let names = self.columns.clone();
            self.write_header(&names)?;
        }
        self.flush_table()?;
        self.columns.clear();
        self.header_done = false;
        self.widths = None;
        Ok(())
    }

    fn aggregate(&mut self, name: &str, value: AggValue) -> io::Result<()> {
        if let Some(obj) = &mut self.branch {
            obj.insert(name.to_string(), value.to_json());
            return Ok(());
        }
        if self.format == Format::Json {
            let mut obj = serde_json::Map::new();
            obj.insert(name.to_string(), value.to_json());
            serde_json::to_writer(&mut self.out, &obj)?;
            self.out.write_all(b"\n")
        } else {
            writeln!(self.out, "{value}")
        }
    }

    fn branch(&mut self, index: usize, title: &str) -> io::Result<()> {
        self.flush_table()?;
        self.flush_branch()?;
        if self.format == Format::Json {
            let mut obj = serde_json::Map::new();
            obj.insert("branch".into(), index.into());
            obj.insert("pipeline".into(), title.into());
            self.branch = Some(obj);
            return Ok(());
        }
        if self.branches_seen > 0 {
            self.out.write_all(b"\n")?;
        }
        self.branches_seen += 1;
        if self.color {
            self.out.write_all(BOLD)?;
            write!(self.out, "== {title}")?;
            self.out.write_all(RESET)?;
            writeln!(self.out)
        } else {
            writeln!(self.out, "== {title}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logrill::stage::parse::Schema;
    use std::borrow::Cow;
    use std::sync::Arc;

    fn esc(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        escape_controls(b, &mut out);
        out
    }

    #[test]
    fn control_sequences_are_shown_not_obeyed() {
        assert_eq!(esc(b"plain text\tok"), b"plain text\tok");
        assert_eq!(
            esc(b"\x1b[2J\x1b]0;title\x07"),
            b"\\x1b[2J\\x1b]0;title\\x07"
        );
        assert_eq!(
            esc("caf\u{e9} \u{9b}".as_bytes()),
            "caf\u{e9} \\x9b".as_bytes()
        );
        assert_eq!(esc(b"bad \x9b byte\x00"), b"bad \\x9b byte\\x00");
        assert!(!needs_escape("caf\u{e9}".as_bytes()));
        assert!(needs_escape(b"\x7f"));
    }

    fn printer(format: Format, terminal: bool, escape: bool) -> Printer<Vec<u8>> {
        Printer::new(Vec::new(), format, terminal, escape)
    }

    fn rows(p: &mut Printer<Vec<u8>>) {
        let schema = Arc::new(Schema::new(vec!["path".into(), "count".into()]));
        p.columns(schema.names()).unwrap();
        for (path, n) in [("/", 575), ("/favicon.ico", 807), ("/\x1b[31mred", 1)] {
            let mut r = Record::new();
            r.push(
                Cow::Borrowed("path"),
                Value::Str(Cow::Borrowed(path.as_bytes())),
            );
            r.push(Cow::Borrowed("count"), Value::Int(n));
            p.record(&InputName::Stdin, 1, &r).unwrap();
        }
        p.end_table().unwrap();
        p.finish().unwrap();
    }

    #[test]
    fn aligned_table_on_a_terminal() {
        let mut p = printer(Format::Text, true, true);
        rows(&mut p);
        let out = String::from_utf8(p.out.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "path          count\n/             575\n/favicon.ico  807\n/\\x1b[31mred  1\n"
        );
    }

    #[test]
    fn tsv_and_csv_when_piped_keep_bytes() {
        let mut p = printer(Format::Text, false, false);
        rows(&mut p);
        let out = p.out.into_inner().unwrap();
        assert_eq!(
            out,
            b"path\tcount\n/\t575\n/favicon.ico\t807\n/\x1b[31mred\t1\n"
        );
        let mut p = printer(Format::Csv, false, false);
        rows(&mut p);
        let out = p.out.into_inner().unwrap();
        assert_eq!(
            out,
            b"path,count\r\n/,575\r\n/favicon.ico,807\r\n/\x1b[31mred,1\r\n"
        );
    }

    #[test]
    fn values_escaped_on_a_terminal_only() {
        let name = InputName::Stdin;
        let v = Emitted {
            input: &name,
            line: 1,
            value: b"a\x1b[2Jb",
        };
        let mut p = printer(Format::Text, true, true);
        p.value(v).unwrap();
        p.finish().unwrap();
        assert_eq!(p.out.into_inner().unwrap(), b"a\\x1b[2Jb\n");
        let mut p = printer(Format::Text, false, false);
        p.value(v).unwrap();
        p.finish().unwrap();
        assert_eq!(p.out.into_inner().unwrap(), b"a\x1b[2Jb\n");
    }
}
