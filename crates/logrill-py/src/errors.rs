//! Python exceptions: a wrong pipeline is a `QueryError` (with the column), a run that
//! could not start (a bad glob, a state limit of 0) a `LogrillError`. Input problems met
//! while running do not raise here: they come back as a list (file, line, message) with
//! the results, and the Python side raises `InputErrors` after every line was delivered
//! (the partial result attached), so nothing already read is lost.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

pyo3::create_exception!(
    logrill,
    LogrillError,
    PyException,
    "Something logrill was asked to do cannot be done."
);
pyo3::create_exception!(
    logrill,
    QueryError,
    LogrillError,
    "The pipeline is wrong: `column` (1-based) says where, `text` what it was."
);

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LogrillError", m.py().get_type::<LogrillError>())?;
    m.add("QueryError", m.py().get_type::<QueryError>())?;
    Ok(())
}

/// A [`QueryError`] for `e`.
pub fn query_error(e: &logrill::query::QueryError) -> PyErr {
    let err = QueryError::new_err(format!("{e}"));
    Python::attach(|py| {
        let value = err.value(py);
        let _ = value.setattr("column", e.column);
        let _ = value.setattr("text", e.text.as_str());
    });
    err
}

/// Any library error raised as a Python exception (a query error as [`QueryError`]).
pub fn to_py(e: logrill::Error) -> PyErr {
    match e {
        logrill::Error::Query(q) => query_error(&q),
        other => LogrillError::new_err(other.to_string()),
    }
}

/// An input problem as a dict: `path` (None for standard input), `line` (where the
/// error has one), `message` (the whole text, naming the file).
pub fn problem<'py>(py: Python<'py>, e: &logrill::Error) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let path = match e.input() {
        // As the user gave it: a name that is not UTF-8 comes back as `os.fsdecode` makes it.
        Some(logrill::InputName::Path(p)) => Some(p.as_os_str().to_owned()),
        _ => None,
    };
    let line = match e {
        logrill::Error::Decode { line, .. } | logrill::Error::Parse { line, .. } => Some(*line),
        _ => None,
    };
    d.set_item("path", path)?;
    d.set_item("line", line)?;
    d.set_item("message", e.to_string())?;
    Ok(d)
}
