//! The columnar writer: an [`Output`] that turns records into Arrow record batches and
//! writes them as Parquet (or Arrow IPC) files, one row group at a time.
//!
//! **Schema.** Columns are the record fields in the order they are first seen. Their
//! types are decided once, from the first row group (`row_group_rows` records, 65 536 by
//! default), which is held in memory until then, by the library's rule
//! ([`logrill::arrow`]: integers `Int64`, floats `Float64`, times `Timestamp` in UTC,
//! strings `Utf8` or `Binary`, a mix `Utf8`). Once the schema is fixed (it is written in
//! every file's footer), a later value that does not fit its column is converted where
//! nothing is lost and otherwise written as **null**; and a field first seen after the
//! first row group is dropped. Both are counted and reported on stderr at the end, never
//! silent. Null (`-` in Apache logs) is a null.
//!
//! **Memory.** At most `row_group_rows` rows are held per partition, and at most
//! `4 × row_group_rows` across partitions (the largest partition is written out when that
//! is reached): memory is bounded whatever the input size.
//!
//! **Partitions.** With `--partition-by day|hour`, FILE is a directory laid out as Hive
//! does (`date=2023-10-01/part-00000.parquet`, or `date=2023-10-01/hour=13/…`), keyed by
//! the first time column, in UTC; a record whose time is null goes to
//! `date=__HIVE_DEFAULT_PARTITION__`. At most `max_open` files are open at once: the least
//! recently used is closed, and a partition reopened later gets a new `part-NNNNN` file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use logrill::arrow::{column as build, column_type as infer};
use logrill::exec::{Emitted, Event};
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::stage::parse::{Record, Timestamp, Value};
use logrill::AggValue;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

/// Rows per row group (and per Arrow IPC batch) unless told otherwise.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 64 * 1024;
/// Files open at once with `--partition-by`.
pub const DEFAULT_MAX_OPEN: usize = 16;
/// The directory of records without a time, as Hive names it.
pub const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// The file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    /// Arrow IPC file format (Feather v2), zstd-compressed buffers.
    Arrow,
}

impl Format {
    pub fn parse(text: &str) -> Result<Format, String> {
        match text {
            "parquet" => Ok(Format::Parquet),
            "arrow" | "ipc" | "feather" => Ok(Format::Arrow),
            _ => Err(format!(
                "unknown output format `{text}` (formats: parquet, arrow)"
            )),
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }
}

/// How records are split into directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Day,
    Hour,
}

impl Partition {
    pub fn parse(text: &str) -> Result<Partition, String> {
        match text {
            "day" => Ok(Partition::Day),
            "hour" => Ok(Partition::Hour),
            _ => Err(format!("`{text}`: partition by `day` or `hour`")),
        }
    }
}

/// What to write, and where.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    /// The file, or with `partition` the top directory.
    pub path: PathBuf,
    pub partition: Option<Partition>,
    pub row_group_rows: usize,
    pub max_open: usize,
}

/// What was written.
#[derive(Debug, Default, Clone)]
pub struct Written {
    pub rows: u64,
    pub row_groups: u64,
    pub files: Vec<PathBuf>,
    /// Per column: values that did not fit the column's type and became null.
    pub nulled: Vec<(String, u64)>,
    /// Values converted to text or float to fit their column.
    pub converted: u64,
    /// Fields first seen after the schema was fixed, with how many values were dropped.
    pub dropped_fields: Vec<(String, u64)>,
}

type Row = Vec<Value<'static>>;

enum FileSink {
    Parquet(Box<ArrowWriter<BufWriter<File>>>),
    Arrow(Box<arrow_ipc::writer::FileWriter<BufWriter<File>>>),
}

struct Part {
    rows: Vec<Row>,
    sink: Option<FileSink>,
    next_file: u32,
    last_used: u64,
}

/// Records in, Parquet or Arrow files out. Call [`ColumnarWriter::finish`] at the end.
pub struct ColumnarWriter {
    options: Options,
    names: Vec<String>,
    index: HashMap<String, usize>,
    schema: Option<SchemaRef>,
    /// Rows held until the schema is fixed.
    pending: Vec<Row>,
    time_column: Option<usize>,
    parts: HashMap<String, Part>,
    buffered: usize,
    open: usize,
    tick: u64,
    written: Written,
    nulled: Vec<u64>,
    dropped: HashMap<String, u64>,
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

impl ColumnarWriter {
    /// Check the destination; nothing is created until the first row group is written.
    pub fn new(options: Options) -> io::Result<ColumnarWriter> {
        if options.partition.is_some() {
            if let Ok(mut entries) = fs::read_dir(&options.path) {
                if entries.next().is_some() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{}: directory is not empty (partitioned output needs a new or empty directory)",
                            options.path.display()
                        ),
                    ));
                }
            }
        }
        Ok(ColumnarWriter {
            options: Options {
                row_group_rows: options.row_group_rows.max(1),
                max_open: options.max_open.max(1),
                ..options
            },
            names: Vec::new(),
            index: HashMap::new(),
            schema: None,
            pending: Vec::new(),
            time_column: None,
            parts: HashMap::new(),
            buffered: 0,
            open: 0,
            tick: 0,
            written: Written::default(),
            nulled: Vec::new(),
            dropped: HashMap::new(),
        })
    }

    fn column(&mut self, name: &str) -> Option<usize> {
        if let Some(&i) = self.index.get(name) {
            return Some(i);
        }
        if self.schema.is_some() {
            *self.dropped.entry(name.to_string()).or_default() += 1;
            return None;
        }
        let i = self.names.len();
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        Some(i)
    }

    fn push_row<S: AsRef<str>>(
        &mut self,
        fields: impl IntoIterator<Item = (S, Value<'static>)>,
    ) -> io::Result<()> {
        let mut row: Row = vec![Value::Null; self.names.len()];
        for (name, value) in fields {
            if let Some(i) = self.column(name.as_ref()) {
                if i >= row.len() {
                    row.resize(i + 1, Value::Null);
                }
                row[i] = value;
            }
        }
        if self.schema.is_none() {
            self.pending.push(row);
            if self.pending.len() >= self.options.row_group_rows {
                self.fix_schema()?;
            }
            Ok(())
        } else {
            self.route(row)
        }
    }

    /// Decide the column types from the rows held so far, then send those rows on.
    fn fix_schema(&mut self) -> io::Result<()> {
        let mut fields = Vec::with_capacity(self.names.len());
        for (i, name) in self.names.iter().enumerate() {
            let data_type = infer(
                self.pending
                    .iter()
                    .map(|r| r.get(i).unwrap_or(&Value::Null)),
            );
            fields.push(Field::new(name, data_type, true));
        }
        self.time_column = fields
            .iter()
            .position(|f| matches!(f.data_type(), DataType::Timestamp(..)));
        if self.options.partition.is_some() && self.time_column.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--partition-by needs a field holding times (such as the `time` of `parse combined`); the records have none",
            ));
        }
        self.nulled = vec![0; fields.len()];
        self.schema = Some(Arc::new(Schema::new(fields)));
        for row in std::mem::take(&mut self.pending) {
            self.route(row)?;
        }
        Ok(())
    }

    fn partition_of(&self, row: &Row) -> String {
        let Some(partition) = self.options.partition else {
            return String::new();
        };
        let time = self
            .time_column
            .and_then(|i| row.get(i))
            .and_then(Value::as_time);
        let Some(t) = time else {
            return format!("date={NULL_PARTITION}");
        };
        let (y, m, d, h, ..) = Timestamp::from_unix_micros(t.unix_micros(), 0).civil();
        match partition {
            Partition::Day => format!("date={y:04}-{m:02}-{d:02}"),
            Partition::Hour => format!("date={y:04}-{m:02}-{d:02}/hour={h:02}"),
        }
    }

    fn route(&mut self, row: Row) -> io::Result<()> {
        let key = self.partition_of(&row);
        let part = self.parts.entry(key.clone()).or_insert_with(|| Part {
            rows: Vec::new(),
            sink: None,
            next_file: 0,
            last_used: 0,
        });
        part.rows.push(row);
        let full = part.rows.len() >= self.options.row_group_rows;
        self.buffered += 1;
        if full {
            self.write_part(&key)?;
        } else if self.buffered >= 4 * self.options.row_group_rows {
            let largest = self
                .parts
                .iter()
                .max_by_key(|(_, p)| p.rows.len())
                .map(|(k, _)| k.clone());
            if let Some(k) = largest {
                self.write_part(&k)?;
            }
        }
        Ok(())
    }

    /// Write the rows a partition holds as one row group (opening its file if needed).
    fn write_part(&mut self, key: &str) -> io::Result<()> {
        let rows = match self.parts.get_mut(key) {
            Some(p) if !p.rows.is_empty() => std::mem::take(&mut p.rows),
            _ => return Ok(()),
        };
        self.buffered -= rows.len();
        let batch = self.batch(&rows)?;
        let needs_open = self.parts.get(key).is_some_and(|p| p.sink.is_none());
        if needs_open {
            if self.open >= self.options.max_open {
                self.close_least_recent()?;
            }
            let sink = self.open_file(key)?;
            let part = self.parts.get_mut(key).expect("partition");
            part.sink = Some(sink);
            part.next_file += 1;
            self.open += 1;
        }
        self.tick += 1;
        let part = self.parts.get_mut(key).expect("partition");
        part.last_used = self.tick;
        match part.sink.as_mut().expect("open sink") {
            FileSink::Parquet(w) => {
                w.write(&batch).map_err(other)?;
                // End the row group here: memory stays bounded by one group.
                w.flush().map_err(other)?;
            }
            FileSink::Arrow(w) => w.write(&batch).map_err(other)?,
        }
        self.written.rows += rows.len() as u64;
        self.written.row_groups += 1;
        Ok(())
    }

    fn close_least_recent(&mut self) -> io::Result<()> {
        let victim = self
            .parts
            .iter()
            .filter(|(_, p)| p.sink.is_some())
            .min_by_key(|(_, p)| p.last_used)
            .map(|(k, _)| k.clone());
        if let Some(k) = victim {
            self.write_part(&k)?;
            if let Some(sink) = self.parts.get_mut(&k).and_then(|p| p.sink.take()) {
                close(sink)?;
                self.open -= 1;
            }
        }
        Ok(())
    }

    fn open_file(&mut self, key: &str) -> io::Result<FileSink> {
        let path = if self.options.partition.is_some() {
            let next = self.parts.get(key).map_or(0, |p| p.next_file);
            let dir = self.options.path.join(key);
            fs::create_dir_all(&dir)?;
            dir.join(format!(
                "part-{next:05}.{}",
                self.options.format.extension()
            ))
        } else {
            self.options.path.clone()
        };
        let file = BufWriter::with_capacity(1 << 20, create(&path)?);
        let schema = self.schema.clone().expect("schema fixed before writing");
        let sink = match self.options.format {
            Format::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::default()))
                    .set_max_row_group_row_count(Some(self.options.row_group_rows))
                    .set_created_by(format!("logrill {}", env!("CARGO_PKG_VERSION")))
                    .build();
                FileSink::Parquet(Box::new(
                    ArrowWriter::try_new(file, schema, Some(props)).map_err(other)?,
                ))
            }
            Format::Arrow => {
                let options = arrow_ipc::writer::IpcWriteOptions::default()
                    .try_with_compression(Some(arrow_ipc::CompressionType::ZSTD))
                    .map_err(other)?;
                FileSink::Arrow(Box::new(
                    arrow_ipc::writer::FileWriter::try_new_with_options(file, &schema, options)
                        .map_err(other)?,
                ))
            }
        };
        self.written.files.push(path);
        Ok(sink)
    }

    /// One Arrow record batch from rows, converting or nulling values that do not fit.
    fn batch(&mut self, rows: &[Row]) -> io::Result<RecordBatch> {
        let schema = self.schema.clone().expect("schema fixed");
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (i, field) in schema.fields().iter().enumerate() {
            let values = rows.iter().map(|r| r.get(i).unwrap_or(&Value::Null));
            let (array, nulled, converted) = build(field.data_type(), values, rows.len());
            self.nulled[i] += nulled;
            self.written.converted += converted;
            columns.push(array);
        }
        RecordBatch::try_new(schema, columns).map_err(other)
    }

    /// Write what is held, close every file, and say what was written.
    pub fn finish(mut self) -> io::Result<Written> {
        if self.schema.is_none() {
            if self.pending.is_empty() {
                return Ok(self.written);
            }
            self.fix_schema()?;
        }
        let mut keys: Vec<String> = self.parts.keys().cloned().collect();
        keys.sort();
        for k in &keys {
            self.write_part(k)?;
        }
        for k in &keys {
            if let Some(sink) = self.parts.get_mut(k).and_then(|p| p.sink.take()) {
                close(sink)?;
            }
        }
        let schema = self.schema.clone().expect("schema");
        self.written.nulled = schema
            .fields()
            .iter()
            .zip(&self.nulled)
            .filter(|(_, &n)| n > 0)
            .map(|(f, &n)| (f.name().clone(), n))
            .collect();
        let mut dropped: Vec<(String, u64)> = self.dropped.into_iter().collect();
        dropped.sort();
        self.written.dropped_fields = dropped;
        Ok(self.written)
    }
}

fn create(path: &Path) -> io::Result<File> {
    File::create(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn close(sink: FileSink) -> io::Result<()> {
    match sink {
        FileSink::Parquet(w) => w.close().map(|_| ()).map_err(other),
        FileSink::Arrow(mut w) => w.finish().map_err(other),
    }
}

/// Each kind of result as rows (see the [`Sink`] below).
impl ColumnarWriter {
    /// A pipeline that ends in values: columns `file`, `line`, `value`.
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
        let file = Value::Str(v.input.to_string().into_bytes().into());
        let value = Value::Str(v.value.to_vec().into());
        self.push_row([
            ("file", file),
            ("line", Value::Int(v.line as i64)),
            ("value", value),
        ])
    }

    fn record(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.push_row(record.iter().map(|(n, v)| (n, v.clone().into_owned())))
    }

    fn columns(&mut self, names: &[String]) -> io::Result<()> {
        for n in names {
            if !self.index.contains_key(n) && self.schema.is_none() {
                self.column(n);
            }
        }
        Ok(())
    }

    /// A single aggregate (`sum`): one row, one column named after it.
    fn aggregate(&mut self, name: &str, value: AggValue) -> io::Result<()> {
        let v = match value {
            AggValue::Int(i) => match i64::try_from(i) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::Str(i.to_string().into_bytes().into()),
            },
            AggValue::Float(x) => Value::Float(x),
            AggValue::Null => Value::Null,
        };
        self.push_row([(name, v)])
    }

    fn branch(&mut self, _index: usize, _title: &str) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "`tee` results cannot be written as one table (run each branch on its own)",
        ))
    }
}

impl Consumer for ColumnarWriter {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for ColumnarWriter {
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        let written = match event {
            Event::Value(v) => self.value(v),
            Event::Record { record, .. } => self.record(record),
            Event::Columns(names) => self.columns(names),
            Event::Aggregate { name, value } => self.aggregate(name, value),
            Event::Branch { index, title } => self.branch(index, title),
            Event::EndTable => Ok(()),
        };
        written.map_err(SinkError::Write)?;
        Ok(Flow::Continue)
    }
}
