//! Values of the engine as Python values: integers exact (an aggregate's 128-bit sum is a
//! Python int), strings as `str` (invalid UTF-8 kept with `surrogateescape`, so
//! `s.encode(errors="surrogateescape")` gives the bytes back) or as `bytes` on request,
//! times as aware `datetime`s with the offset they were written with.

use logrill::agg::AggValue;
use logrill::{Record, Results, Timestamp, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

/// How strings come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// `str`, undecodable bytes as lone surrogates (`surrogateescape`).
    Str,
    /// `bytes`, as read.
    Bytes,
}

impl Text {
    pub fn from_name(name: &str) -> PyResult<Text> {
        match name {
            "str" => Ok(Text::Str),
            "bytes" => Ok(Text::Bytes),
            other => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "text must be 'str' or 'bytes', not {other:?}"
            ))),
        }
    }

    /// `bytes` as a Python object of this kind.
    pub fn bytes<'py>(self, py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Text::Bytes => Ok(PyBytes::new(py, bytes).into_any()),
            Text::Str => match std::str::from_utf8(bytes) {
                Ok(s) => Ok(PyString::new(py, s).into_any()),
                Err(_) => surrogateescape(py, bytes),
            },
        }
    }
}

fn surrogateescape<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    PyBytes::new(py, bytes).call_method1("decode", ("utf-8", "surrogateescape"))
}

pub fn agg<'py>(py: Python<'py>, v: &AggValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        AggValue::Int(i) => i.into_pyobject(py)?.into_any(),
        AggValue::Float(x) => x.into_pyobject(py)?.into_any(),
        AggValue::Null => py.None().into_bound(py),
    })
}

pub fn value<'py>(py: Python<'py>, v: &Value<'_>, text: Text) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(x) => x.into_pyobject(py)?.into_any(),
        Value::Str(s) => text.bytes(py, s)?,
        Value::Time(t) => time(py, t)?,
    })
}

/// An aware `datetime` (microseconds, the offset the log wrote).
fn time<'py>(py: Python<'py>, t: &Timestamp) -> PyResult<Bound<'py, PyAny>> {
    let dt = py.import("datetime")?;
    let offset = t.offset_seconds().unwrap_or(0);
    let tz = dt
        .getattr("timezone")?
        .call1((dt.getattr("timedelta")?.call1((0, offset))?,))?;
    let micros = t.unix_micros();
    let epoch = dt.getattr("datetime")?.call1((
        1970,
        1,
        1,
        0,
        0,
        0,
        0,
        dt.getattr("timezone")?.getattr("utc")?,
    ))?;
    let delta = dt.getattr("timedelta")?.call1((
        0,
        micros.div_euclid(1_000_000),
        micros.rem_euclid(1_000_000),
    ))?;
    epoch
        .call_method1("__add__", (delta,))?
        .call_method1("astimezone", (tz,))
}

/// A record as a dict, its fields in order.
pub fn record<'py>(py: Python<'py>, r: &Record<'_>, text: Text) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (name, v) in r.iter() {
        // A name twice (a JSON object may repeat a key): the first, as the engine's
        // look-up by name (`where`, `select`, Arrow) takes it.
        if !d.contains(name)? {
            d.set_item(name, value(py, v, text)?)?;
        }
    }
    Ok(d)
}

/// Everything a run gave, as a dict: `values` (list), `aggregate`, `columns`, `rows`
/// (list of dicts), `branches` (the same, per `tee` branch).
pub fn results<'py>(py: Python<'py>, r: &Results, text: Text) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let values = PyList::empty(py);
    for v in &r.values {
        values.append(text.bytes(py, v)?)?;
    }
    d.set_item("values", values)?;
    d.set_item(
        "aggregate",
        match &r.aggregate {
            Some(a) => agg(py, a)?,
            None => py.None().into_bound(py),
        },
    )?;
    d.set_item("columns", r.columns.clone())?;
    let rows = PyList::empty(py);
    for row in &r.rows {
        rows.append(record(py, row, text)?)?;
    }
    d.set_item("rows", rows)?;
    let branches = PyList::empty(py);
    for b in &r.branches {
        branches.append(results(py, b, text)?)?;
    }
    d.set_item("branches", branches)?;
    Ok(d)
}
