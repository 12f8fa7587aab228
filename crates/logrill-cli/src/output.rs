//! Writing results: plain values, tables (aligned on a terminal, TSV when piped), CSV, or
//! JSON lines.
//!
//! Column order is stable: a table's group keys in the order of `by`, then its aggregates
//! in the order written; a record's fields in the parser's order (the format's directives
//! left to right), or as `select` lists them.
//!
//! Records whose fields are named per record (JSON, logfmt: no schema) are printed under
//! the union of their names, in first-seen order, each value under its own name and empty
//! where a record lacks it. To know that header, the first [`HOLD_ROWS`] such records are
//! held (packed in one buffer); then the header and they are written, and later records
//! stream, so memory stays bounded whatever the input. A name first seen after that (or,
//! in a live run (`-F`), after the first record) brings a header line again, with the new
//! name added at the end. Fixed-schema records (Apache, nginx, regex, `select`) stream as
//! they come.
//!
//! `-H` tags what came from an input with its name: `name:value` for values, a `file`
//! column first for records, and `{"file":…,"line":…,"record":{…}}` in JSON (the record
//! nested, so that a field of its own called `file` is not lost). Table rows (after an
//! aggregate or `sort`) come from no single input and are not tagged.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use logrill::exec::{Emitted, Event};
use logrill::sink::{Consumer, Flow, Sink, SinkError};
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

pub use crate::escape::escape_controls;
use crate::escape::needs_escape;

/// SGR bold and reset, for `--color`.
const BOLD: &[u8] = b"\x1b[1m";
const RESET: &[u8] = b"\x1b[0m";

/// Rows an aligned table buffers to size its columns (later rows use the same widths).
const ALIGN_ROWS: usize = 1000;

/// Records without a schema (JSON, logfmt) held to find their columns before the first is
/// written: enough for the names of most logs, few enough to keep memory small.
const HOLD_ROWS: usize = 1000;

/// The columns of records without a schema: the union of their names, first seen first.
#[derive(Debug, Default)]
struct Union {
    names: Vec<String>,
    index: HashMap<String, usize>,
    /// Rows held until the union is complete, packed in one buffer: each cell as its
    /// column number (u32), its length (u64) and its bytes (already rendered and escaped).
    /// One allocation for all of them rather than one per cell: about the size of the
    /// values plus 12 bytes a cell (a `Vec` per cell cost about 3 times as much).
    packed: Vec<u8>,
    /// Where each held row ends in `packed`.
    row_ends: Vec<usize>,
    /// Once streaming: how many names the last header written had.
    written: usize,
    /// Whether rows are written as they come (a live run, or past [`HOLD_ROWS`]).
    streaming: bool,
}

impl Union {
    fn column(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// Append a cell to the row being packed; its bytes are written by `fill`.
    fn pack(&mut self, column: usize, fill: impl FnOnce(&mut Vec<u8>)) {
        let column = u32::try_from(column).unwrap_or(u32::MAX);
        self.packed.extend(column.to_le_bytes());
        let len_at = self.packed.len();
        self.packed.extend([0; 8]);
        fill(&mut self.packed);
        let len = (self.packed.len() - len_at - 8) as u64;
        self.packed[len_at..len_at + 8].copy_from_slice(&len.to_le_bytes());
    }

    /// The packed row `packed[from..to]` as dense cells under the current names (the
    /// first value of a repeated name wins, as in JSON output).
    fn dense(&self, from: usize, to: usize) -> Vec<Vec<u8>> {
        let mut cells: Vec<Option<&[u8]>> = vec![None; self.names.len()];
        let mut at = from;
        while at + 12 <= to {
            let mut column = [0; 4];
            column.copy_from_slice(&self.packed[at..at + 4]);
            let mut len = [0; 8];
            len.copy_from_slice(&self.packed[at + 4..at + 12]);
            let column = u32::from_le_bytes(column) as usize;
            let len = usize::try_from(u64::from_le_bytes(len)).unwrap_or(usize::MAX);
            let end = (at + 12).saturating_add(len).min(to);
            if let Some(slot) = cells.get_mut(column).filter(|c| c.is_none()) {
                *slot = Some(&self.packed[at + 12..end]);
            }
            at = end;
        }
        cells
            .into_iter()
            .map(|c| c.map(<[u8]>::to_vec).unwrap_or_default())
            .collect()
    }
}

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
    /// Records without a schema: their columns, and their rows until the end.
    union: Option<Union>,
    /// Following (`-F`): rows are written as they come (see the module documentation).
    live: bool,
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
            union: None,
            live: false,
        }
    }

    /// Following: write rows as they come (a header again when new names appear), and
    /// an aligned table's rows at every [`flush`](Printer::flush).
    pub fn live(mut self) -> Self {
        self.live = true;
        self
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

    /// Flush what is buffered (the table being aligned stays, but in a live run).
    pub fn flush(&mut self) -> io::Result<()> {
        if self.live {
            self.flush_table()?;
        }
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
        self.flush_union()?;
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

    /// One row of cells in the current format (aligned rows wait for their widths).
    fn write_row(&mut self, cells: &[Vec<u8>]) -> io::Result<()> {
        match self.format {
            Format::Csv => write_csv(&mut self.out, cells),
            Format::Text if self.aligned() => {
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
            _ => write_tsv(&mut self.out, cells),
        }
    }

    /// A header line of `names` (in an aligned table: its first row, in bold if asked).
    fn write_header_now(&mut self, names: &[String]) -> io::Result<()> {
        if self.aligned() {
            self.flush_table()?;
            self.widths = None;
            self.header_next = self.color;
        }
        let cells: Vec<Vec<u8>> = names.iter().map(|n| n.as_bytes().to_vec()).collect();
        self.write_row(&cells)
    }

    /// The held rows of records without a schema, under the union of their names; the
    /// records that follow them are another table (a new header).
    fn flush_union(&mut self) -> io::Result<()> {
        let Some(mut union) = self.union.take() else {
            return Ok(());
        };
        self.write_held(&mut union)
    }

    /// Write the header and the rows held so far, and stream from now on.
    fn write_held(&mut self, union: &mut Union) -> io::Result<()> {
        if !union.streaming && !union.names.is_empty() {
            self.header_done = true;
            let names = std::mem::take(&mut union.names);
            self.write_header_now(&names)?;
            union.names = names;
            union.written = union.names.len();
        }
        union.streaming = true;
        let mut from = 0;
        for &to in &union.row_ends {
            let cells = union.dense(from, to);
            self.write_row(&cells)?;
            from = to;
        }
        union.row_ends.clear();
        union.packed.clear();
        Ok(())
    }

    /// A record without a schema: its cells go under the union of names (`tag`: the
    /// input's name in the first column).
    fn union_row(&mut self, tag: Option<&[u8]>, record: &Record<'_>) -> io::Result<()> {
        let aligned = self.aligned();
        let escape = self.escape;
        let live = self.live;
        let union = self.union.get_or_insert_with(|| {
            let mut u = Union {
                streaming: live,
                ..Union::default()
            };
            if tag.is_some() {
                // The input's name: a column of its own, not indexed by name, so that a
                // record's own `file` field stays in a column of its own too.
                u.names.push("file".to_string());
            }
            for name in &self.columns {
                u.column(name);
            }
            u
        });
        let from = union.packed.len();
        if let Some(name) = tag {
            union.pack(0, |out| out.extend_from_slice(name));
        }
        let scratch = &mut self.scratch;
        for (name, v) in record.iter() {
            let column = union.column(name);
            union.pack(column, |out| {
                scratch.clear();
                write_cell(v, aligned, scratch);
                if escape && needs_escape(scratch) {
                    escape_controls(scratch, out);
                } else {
                    out.extend_from_slice(scratch);
                }
            });
        }
        if !union.streaming {
            union.row_ends.push(union.packed.len());
            if union.row_ends.len() >= HOLD_ROWS {
                let mut held = self.union.take().unwrap_or_default();
                self.write_held(&mut held)?;
                self.union = Some(held);
            }
            return Ok(());
        }
        let cells = union.dense(from, union.packed.len());
        union.packed.clear();
        if union.names.len() > union.written {
            union.written = union.names.len();
            let names = union.names.clone();
            self.write_header_now(&names)?;
        }
        self.write_row(&cells)
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
    write_cell(v, aligned, &mut out);
    out
}

/// [`cell`], appended to `out`.
fn write_cell(v: &Value<'_>, aligned: bool, out: &mut Vec<u8>) {
    match v {
        Value::Null if aligned => out.push(b'-'),
        v => v.write_text(out),
    }
}

/// A line number in JSON: `null` when unknown (0: a line of a followed file whose start
/// was not read, or a value that stands for no line).
fn write_line_no(out: &mut impl Write, line: u64) -> io::Result<()> {
    if line == 0 {
        out.write_all(b"null")
    } else {
        write!(out, "{line}")
    }
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
    // Empty cells at the end (fields a record lacks) are not padded into trailing blanks.
    let row = &row[..row.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1)];
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

/// What the printer does with each kind of result (see the [`Sink`] below).
impl<W: Write> Printer<W> {
    // Always: into the engine's call of `send`, so a value costs one call (see `send`).
    #[inline(always)]
    pub(crate) fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
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
            self.out.write_all(b",\"line\":")?;
            write_line_no(&mut self.out, v.line)?;
            self.out.write_all(b",\"value\":")?;
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

    pub(crate) fn record(
        &mut self,
        input: &InputName,
        line: u64,
        record: &Record<'_>,
    ) -> io::Result<()> {
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
        // `-H`: records read from an input carry its name (table rows come from none).
        let tag = (self.with_filename && self.columns.is_empty()).then(|| input.to_string());
        if self.format == Format::Json {
            match tag {
                Some(name) => {
                    self.out.write_all(b"{\"file\":")?;
                    serde_json::to_writer(&mut self.out, &name)?;
                    self.out.write_all(b",\"line\":")?;
                    write_line_no(&mut self.out, line)?;
                    self.out.write_all(b",\"record\":")?;
                    serde_json::to_writer(&mut self.out, &record.to_json())?;
                    self.out.write_all(b"}\n")?;
                }
                None => {
                    serde_json::to_writer(&mut self.out, &record.to_json())?;
                    self.out.write_all(b"\n")?;
                }
            }
            return Ok(());
        }
        let mut tag = tag.map(String::into_bytes);
        if let Some(name) = tag.as_mut().filter(|n| self.escape && needs_escape(n)) {
            let mut e = Vec::new();
            escape_controls(name, &mut e);
            *name = e;
        }
        if record.schema().is_none() {
            return self.union_row(tag.as_deref(), record);
        }
        if self.union.is_some() {
            // Records of another shape after held ones: those first, then a new header.
            self.flush_union()?;
            self.header_done = false;
        }
        if !self.header_done {
            let mut names: Vec<String> = if self.columns.is_empty() {
                record.iter().map(|(n, _)| n.to_string()).collect()
            } else {
                self.columns.clone()
            };
            if tag.is_some() {
                names.insert(0, "file".to_string());
            }
            self.write_header(&names)?;
        }
        let aligned = self.aligned();
        let mut cells: Vec<Vec<u8>> = Vec::with_capacity(record.len() + 1);
        cells.extend(tag);
        cells.extend(record.values().iter().map(|v| cell(v, aligned)));
        if self.escape {
            for c in cells.iter_mut().filter(|c| needs_escape(c)) {
                let mut e = Vec::new();
                escape_controls(c, &mut e);
                *c = e;
            }
        }
        self.write_row(&cells)
    }

    pub(crate) fn columns(&mut self, names: &[String]) -> io::Result<()> {
        self.flush_union()?;
        self.columns = names.to_vec();
        self.header_done = false;
        self.widths = None;
        Ok(())
    }

    pub(crate) fn end_table(&mut self) -> io::Result<()> {
        if let (Some((width, ascii)), false) = (self.chart, self.columns.is_empty()) {
            let rows = std::mem::take(&mut self.chart_rows);
            let text = crate::chart::render(&self.columns, &rows, width, ascii);
            self.columns.clear();
            return self.out.write_all(text.as_bytes());
        }
        self.flush_union()?;
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

    pub(crate) fn aggregate(&mut self, name: &str, value: AggValue) -> io::Result<()> {
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

    pub(crate) fn branch(&mut self, index: usize, title: &str) -> io::Result<()> {
        self.flush_union()?;
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

impl<W: Write> Consumer for Printer<W> {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The engine's results, printed as they come.
impl<'a, W: Write> Sink<Event<'a>> for Printer<W> {
    /// A value, the event there is one of per line, is written here; the others (once
    /// per record or table) out of line, so that this stays as small as the `value`
    /// method the engine called before it pushed events.
    #[inline]
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        let written = match event {
            Event::Value(v) => self.value(v),
            other => self.other(other),
        };
        written.map_err(SinkError::Write)?;
        Ok(Flow::Continue)
    }
}

impl<W: Write> Printer<W> {
    #[inline(never)]
    fn other(&mut self, event: Event<'_>) -> io::Result<()> {
        match event {
            Event::Value(v) => self.value(v),
            Event::Record {
                input,
                line,
                record,
            } => self.record(input, line, record),
            Event::Columns(names) => self.columns(names),
            Event::EndTable => self.end_table(),
            Event::Aggregate { name, value } => self.aggregate(name, value),
            Event::Branch { index, title } => self.branch(index, title),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logrill::stage::parse::Schema;
    use std::borrow::Cow;
    use std::sync::Arc;

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

    fn json_rows(p: &mut Printer<Vec<u8>>) {
        let name = InputName::Path("a.log".into());
        for (i, fields) in [
            vec![("a", Value::Int(1))],
            vec![("bb", Value::Int(2))],
            vec![
                ("bb", Value::Int(3)),
                ("a", Value::Null),
                ("c", Value::Int(4)),
            ],
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = Record::new();
            for (k, v) in fields {
                r.push(Cow::Borrowed(k), v);
            }
            p.record(&name, i as u64 + 1, &r).unwrap();
        }
        p.finish().unwrap();
    }

    #[test]
    fn records_without_schema_aligned_under_the_union() {
        let mut p = printer(Format::Text, true, true);
        json_rows(&mut p);
        let out = String::from_utf8(p.out.into_inner().unwrap()).unwrap();
        // Absent: empty; null: `-` (as in any aligned table).
        assert_eq!(out, "a  bb  c\n1\n   2\n-  3   4\n");
    }

    #[test]
    fn records_without_schema_live_repeat_the_header_with_new_names() {
        let mut p = printer(Format::Csv, false, false)
            .live()
            .with_filename(true);
        json_rows(&mut p);
        let out = String::from_utf8(p.out.into_inner().unwrap()).unwrap();
        assert_eq!(
            out,
            "file,a\r\na.log,1\r\nfile,a,bb\r\na.log,,2\r\nfile,a,bb,c\r\na.log,,3,4\r\n"
        );
    }

    #[test]
    fn records_without_schema_stream_after_the_held_ones() {
        // The first HOLD_ROWS records are held to find the columns; the rest stream, and a
        // name first seen among them brings a header again.
        let mut p = printer(Format::Csv, false, false);
        let mut a = Record::new();
        a.push(Cow::Borrowed("a"), Value::Int(1));
        for i in 0..HOLD_ROWS {
            p.record(&InputName::Stdin, i as u64 + 1, &a).unwrap();
        }
        let held = p.out.get_ref().len() + p.out.buffer().len();
        assert!(held > HOLD_ROWS, "written once the hold was full");
        let mut b = Record::new();
        b.push(Cow::Borrowed("b"), Value::Int(2));
        p.record(&InputName::Stdin, 1001, &b).unwrap();
        p.record(&InputName::Stdin, 1002, &a).unwrap();
        p.finish().unwrap();
        let out = String::from_utf8(p.out.into_inner().unwrap()).unwrap();
        let expected = format!("a\r\n{}a,b\r\n,2\r\n1,\r\n", "1\r\n".repeat(HOLD_ROWS));
        assert_eq!(out, expected);
    }
}
