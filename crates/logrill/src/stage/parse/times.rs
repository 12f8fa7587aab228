//! Where a log format keeps its time, for time ranges (`--since`, `--until`).
//!
//! The source layer skips files and seeks inside them by time, but knows nothing of log
//! formats: it asks a [`FormatTimes`] for a reader of each line's time, and this module is
//! the one the parsers provide. [`TimeRange::new`] is defined here for that reason: a
//! range made with it reads times by the format `parse auto` recognises.

use crate::record::order::time_of_text;
use crate::record::{FieldKey, Record, Timestamp, Value};
use crate::source::timerange::{TimeRange, TimeReader, DEFAULT_MARGIN_MICROS};

use super::Parser;

/// Field names holding a line's time, in order of preference.
const TIME_FIELDS: [&str; 4] = ["time", "timestamp", "ts", "@timestamp"];

impl TimeRange {
    /// A range from the bounds, with the default margin, reading times by the format the
    /// file's first lines have ([`line_times`]).
    pub fn new(since: Option<i64>, until: Option<i64>) -> TimeRange {
        TimeRange {
            since,
            until,
            margin: DEFAULT_MARGIN_MICROS,
            format_times: Some(line_times),
        }
    }
}

/// A reader of each line's time for lines like `sample`: the format `parse auto`
/// recognises in it, reading the first of `time`, `timestamp`, `ts`, `@timestamp` that a
/// line of the sample has. `None` when no format is recognised or none has a time.
pub fn line_times(sample: &[&[u8]]) -> Option<Box<dyn TimeReader>> {
    let (parser, _) = Parser::auto(sample).ok()?;
    for name in TIME_FIELDS {
        let mut p = parser.clone();
        let key = p.resolve(name);
        p.project(std::slice::from_ref(&key));
        let mut reader = ParsedTimes {
            parser: p,
            key,
            name,
            rec: Some(Record::new()),
        };
        if sample.iter().any(|l| reader.time(l).is_some()) {
            return Some(Box::new(reader));
        }
    }
    None
}

/// The time field `name` of lines read by `parser`.
struct ParsedTimes {
    parser: Parser,
    key: FieldKey,
    name: &'static str,
    /// Kept from line to line (emptied), so that reading a time allocates nothing.
    rec: Option<Record<'static>>,
}

impl TimeReader for ParsedTimes {
    fn time(&mut self, line: &[u8]) -> Option<Timestamp> {
        let mut rec: Record<'_> = self.rec.take().unwrap_or_default().recycle();
        let t = match self.parser.parse(line, &mut rec) {
            Ok(()) => rec.get(&self.key).and_then(value_time),
            Err(_) => None,
        };
        self.rec = Some(rec.recycle());
        t
    }

    fn describe(&self) -> (&str, &str) {
        (self.parser.name(), self.name)
    }
}

/// A value as an instant: a time, or a string holding one (JSON writes times as strings).
fn value_time(v: &Value<'_>) -> Option<Timestamp> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Str(s) => time_of_text(s),
        _ => None,
    }
}
