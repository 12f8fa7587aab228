//! Gathering a pipeline's results as tables, through the library's [`Output`].

use logrill::exec::Event;
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::stage::parse::{Record, Value};
use logrill::AggValue;

/// One result table: its columns and rows. A lone aggregate (`count`) is a table of one
/// row and one column.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The pipeline of the `tee` branch it came from (empty outside `tee`).
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value<'static>>>,
}

impl Table {
    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value of column `name` in row `row` (null when absent).
    pub fn get(&self, row: usize, name: &str) -> Value<'static> {
        self.column(name)
            .and_then(|c| self.rows.get(row).and_then(|r| r.get(c)))
            .cloned()
            .unwrap_or(Value::Null)
    }

    fn record(&mut self, record: &Record<'_>) {
        if self.columns.is_empty() {
            self.columns = record.iter().map(|(n, _)| n.to_string()).collect();
        }
        self.rows.push(
            record
                .values()
                .iter()
                .map(|v| v.clone().into_owned())
                .collect(),
        );
    }

    fn aggregate(&mut self, name: &str, value: AggValue) {
        self.columns = vec![name.to_string()];
        self.rows = vec![vec![agg_value(value)]];
    }
}

/// An aggregate's result as a value (a sum beyond 64 bits as its digits, as tables do).
pub fn agg_value(value: AggValue) -> Value<'static> {
    match value {
        AggValue::Int(i) => match i64::try_from(i) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Str(i.to_string().into_bytes().into()),
        },
        AggValue::Float(x) => Value::Float(x),
        AggValue::Null => Value::Null,
    }
}

/// Collects the table of a pipeline that ends in one (values are ignored).
impl Consumer for Table {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Table {
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        match event {
            Event::Record { record, .. } => Table::record(self, record),
            Event::Columns(names) => self.columns = names.to_vec(),
            Event::Aggregate { name, value } => Table::aggregate(self, name, value),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

/// Collects the tables of the branches of a `tee`, in branch order.
#[derive(Debug, Default)]
pub struct Branches {
    pub tables: Vec<Table>,
}

impl Branches {
    fn current(&mut self) -> &mut Table {
        if self.tables.is_empty() {
            self.tables.push(Table::default());
        }
        let last = self.tables.len() - 1;
        &mut self.tables[last]
    }
}

impl Consumer for Branches {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Branches {
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        match event {
            Event::Record { record, .. } => self.current().record(record),
            Event::Columns(names) => self.current().columns = names.to_vec(),
            Event::Aggregate { name, value } => self.current().aggregate(name, value),
            Event::Branch { index, title } => {
                // Branches come in order; an index past the end starts the next one.
                while self.tables.len() <= index {
                    self.tables.push(Table::default());
                }
                self.tables[index].title = title.to_string();
                // Later results go to this branch: it is the last (branches arrive in
                // order), so `current` is this one.
                self.tables.truncate(index + 1);
            }
            Event::Value(_) | Event::EndTable => {}
        }
        Ok(Flow::Continue)
    }
}
