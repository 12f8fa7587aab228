//! Records as Arrow columns: one rule for every Arrow consumer (the command line's
//! Parquet and Arrow IPC files, the Python package's `pyarrow` tables).
//!
//! **Types.** A column's type is decided from its values:
//!
//! | values seen in the column (nulls aside) | column type |
//! |---|---|
//! | only integers | `Int64` |
//! | integers and floats, or only floats | `Float64` |
//! | only booleans | `Boolean` |
//! | only times | `Timestamp(Microsecond, "+00:00")` (the instant in UTC; the offset it was written with is dropped) |
//! | only strings, all UTF-8 | `Utf8` |
//! | only strings, some not UTF-8 | `Binary` (the bytes as they are) |
//! | a mix of the above | `Utf8` (each value as logrill prints it; `Binary` if some string is not UTF-8) |
//! | nothing but nulls | `Utf8` (all null) |
//!
//! A value that does not fit its column's type (when the type was decided from earlier
//! values) is converted where nothing is lost (an integer into a `Float64` column,
//! anything into a `Utf8` or `Binary` column as text; a non-UTF-8 string into a `Utf8`
//! column as lossy UTF-8) and otherwise null; [`column`] counts both.

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};

use crate::record::{Record, Value};

/// The time zone of timestamp columns.
pub const UTC: &str = "+00:00";

/// The type of a column from its values (see the module documentation).
pub fn column_type<'a, 'v: 'a>(values: impl Iterator<Item = &'a Value<'v>>) -> DataType {
    let (mut int, mut float, mut boolean, mut time, mut text, mut binary) =
        (false, false, false, false, false, false);
    for v in values {
        match v {
            Value::Null => {}
            Value::Int(_) => int = true,
            Value::Float(_) => float = true,
            Value::Bool(_) => boolean = true,
            Value::Time(_) => time = true,
            Value::Str(s) => {
                text = true;
                binary |= std::str::from_utf8(s).is_err();
            }
        }
    }
    let kinds = [int || float, boolean, time, text]
        .iter()
        .filter(|&&k| k)
        .count();
    match () {
        _ if kinds == 1 && float => DataType::Float64,
        _ if kinds == 1 && int => DataType::Int64,
        _ if kinds == 1 && boolean => DataType::Boolean,
        _ if kinds == 1 && time => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
        _ if binary => DataType::Binary,
        _ => DataType::Utf8,
    }
}

fn as_text(v: &Value<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    v.write_text(&mut out);
    out
}

/// An Arrow array of `data_type` from `len` values; returns it with how many values were
/// nulled (they do not fit the type) and how many converted (to text, or an integer to a
/// float) — counts a writer reports, never silently.
pub fn column<'a, 'v: 'a>(
    data_type: &DataType,
    values: impl Iterator<Item = &'a Value<'v>>,
    len: usize,
) -> (ArrayRef, u64, u64) {
    let (mut nulled, mut converted) = (0u64, 0u64);
    let array: ArrayRef = match data_type {
        DataType::Int64 => {
            let mut b = Int64Builder::with_capacity(len);
            for v in values {
                match v {
                    Value::Int(i) => b.append_value(*i),
                    Value::Null => b.append_null(),
                    _ => {
                        nulled += 1;
                        b.append_null()
                    }
                }
            }
            Arc::new(b.finish())
        }
        DataType::Float64 => {
            let mut b = Float64Builder::with_capacity(len);
            for v in values {
                match v {
                    Value::Float(x) => b.append_value(*x),
                    Value::Int(i) => {
                        converted += 1;
                        b.append_value(*i as f64)
                    }
                    Value::Null => b.append_null(),
                    _ => {
                        nulled += 1;
                        b.append_null()
                    }
                }
            }
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(len);
            for v in values {
                match v {
                    Value::Bool(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    _ => {
                        nulled += 1;
                        b.append_null()
                    }
                }
            }
            Arc::new(b.finish())
        }
        DataType::Timestamp(..) => {
            let mut b = TimestampMicrosecondBuilder::with_capacity(len).with_timezone(UTC);
            for v in values {
                match v {
                    Value::Time(t) => b.append_value(t.unix_micros()),
                    Value::Null => b.append_null(),
                    _ => {
                        nulled += 1;
                        b.append_null()
                    }
                }
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(len, len * 16);
            for v in values {
                match v {
                    Value::Str(s) => b.append_value(s),
                    Value::Null => b.append_null(),
                    v => {
                        converted += 1;
                        b.append_value(as_text(v))
                    }
                }
            }
            Arc::new(b.finish())
        }
        _ => {
            let mut b = StringBuilder::with_capacity(len, len * 16);
            for v in values {
                match v {
                    Value::Str(s) => match std::str::from_utf8(s) {
                        Ok(s) => b.append_value(s),
                        Err(_) => {
                            converted += 1;
                            b.append_value(String::from_utf8_lossy(s))
                        }
                    },
                    Value::Null => b.append_null(),
                    v => {
                        converted += 1;
                        b.append_value(String::from_utf8_lossy(&as_text(v)))
                    }
                }
            }
            Arc::new(b.finish())
        }
    };
    (array, nulled, converted)
}

/// The rows as one record batch: a column per name in `columns` (a row without the field
/// has a null there), each typed from all its values (see the module documentation).
pub fn record_batch(columns: &[String], rows: &[Record<'_>]) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays = Vec::with_capacity(columns.len());
    for name in columns {
        let values: Vec<&Value<'_>> = rows
            .iter()
            .map(|r| r.get_by_name(name).unwrap_or(&Value::Null))
            .collect();
        let data_type = column_type(values.iter().copied());
        let (array, _, _) = column(&data_type, values.iter().copied(), rows.len());
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    RecordBatch::try_new_with_options(
        schema,
        arrays,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Timestamp;
    use arrow_array::{Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray};

    fn row(fields: Vec<(&'static str, Value<'static>)>) -> Record<'static> {
        let mut r = Record::new();
        for (n, v) in fields {
            r.push(n.into(), v);
        }
        r
    }

    #[test]
    fn columns_are_typed_from_their_values_and_missing_fields_are_null() {
        let rows = vec![
            row(vec![
                ("n", Value::Int(1)),
                ("x", Value::Int(2)),
                ("s", Value::borrowed(b"a")),
            ]),
            row(vec![("n", Value::Int(3)), ("x", Value::Float(0.5))]),
            row(vec![
                ("n", Value::Null),
                ("t", Value::Time(Timestamp::from_unix_micros(7, 3600))),
            ]),
        ];
        let cols: Vec<String> = ["n", "x", "s", "t"].iter().map(|s| s.to_string()).collect();
        let b = record_batch(&cols, &rows).unwrap();
        assert_eq!(b.num_rows(), 3);
        let n = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!((n.value(0), n.value(1), n.is_null(2)), (1, 3, true));
        let x = b.column(1).as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!((x.value(0), x.value(1), x.is_null(2)), (2.0, 0.5, true));
        let s = b.column(2).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((s.value(0), s.null_count()), ("a", 2));
        let t = b
            .column(3)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        assert_eq!((t.value(2), t.null_count()), (7, 2));
    }

    #[test]
    fn a_mixed_column_is_text() {
        let rows = vec![
            row(vec![("v", Value::Int(1))]),
            row(vec![("v", Value::borrowed(b"x"))]),
        ];
        let b = record_batch(&["v".to_string()], &rows).unwrap();
        let v = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((v.value(0), v.value(1)), ("1", "x"));
    }
}
