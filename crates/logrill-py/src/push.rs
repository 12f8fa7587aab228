//! The push side for Python: a whole pipeline as a coroutine-style sink (`send`, `close`),
//! the course's `g.send(line)` and `g.close()`. It runs on the engine's push entry
//! ([`logrill::sink::PlanSink`]), so every stage works here, as in follow mode.

use std::sync::Mutex;

use logrill::exec::Options;
use logrill::sink::{Consumer, Flow, PlanSink, SendLine};
use logrill::InputName;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::convert::{self, Text};
use crate::errors::{to_py, LogrillError};

/// A pipeline that lines are sent into. `send` answers whether more are wanted (False
/// after a `head` has all it needs); `close` returns `(results, report)` as `run` does.
#[pyclass(module = "logrill._native")]
pub struct Sink {
    inner: Mutex<Option<PlanSink>>,
    text: Text,
}

fn line_bytes<'a>(line: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(b) = line.cast::<PyBytes>() {
        return Ok(std::borrow::Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(s) = line.cast::<PyString>() {
        // Lines read with surrogateescape go back to their bytes.
        let b = s.call_method1("encode", ("utf-8", "surrogateescape"))?;
        let b = b.cast::<PyBytes>()?;
        return Ok(std::borrow::Cow::Owned(b.as_bytes().to_vec()));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "a line is bytes or str, not {}",
        line.get_type().name()?
    )))
}

/// Lines taken from a Python iterable before they are sent (see [`Sink::send_all`]).
const SEND_CHUNK: usize = 1024;

fn closed() -> PyErr {
    LogrillError::new_err("this sink is closed")
}

fn failed(e: logrill::sink::SinkError) -> PyErr {
    LogrillError::new_err(e.to_string())
}

#[pymethods]
impl Sink {
    #[new]
    #[pyo3(signature = (text, *, text_as="str", strict=false, state_limit=None))]
    fn new(text: &str, text_as: &str, strict: bool, state_limit: Option<usize>) -> PyResult<Sink> {
        let mut options = Options {
            strict,
            ..Options::default()
        };
        if let Some(n) = state_limit {
            options.state_limit = n;
        }
        let sink = logrill::lang::query()
            .stage(text)
            .sink_with(&options)
            .map_err(to_py)?;
        Ok(Sink {
            inner: Mutex::new(Some(sink)),
            text: Text::from_name(text_as)?,
        })
    }

    /// Name the input the next lines come from (for errors; line numbers start again).
    fn input(&self, name: &str) -> PyResult<()> {
        let mut g = self.inner.lock().map_err(|_| closed())?;
        let s = g.as_mut().ok_or_else(closed)?;
        s.input(InputName::Path(name.into()));
        Ok(())
    }

    /// Send one line (bytes, or str). Returns whether more lines are wanted.
    fn send(&self, line: &Bound<'_, PyAny>) -> PyResult<bool> {
        let bytes = line_bytes(line)?;
        let mut g = self.inner.lock().map_err(|_| closed())?;
        let s = g.as_mut().ok_or_else(closed)?;
        let flow = s.send_line(&bytes[..]).map_err(failed)?;
        Ok(flow == Flow::Continue)
    }

    /// Send every line of a Python iterable (a file, a generator, a list); stops early
    /// when no more are wanted. Returns whether more lines are wanted. Lines are taken from
    /// the iterable a chunk at a time with the sink unlocked (the iterable runs Python code,
    /// which may itself look at this sink, e.g. `snapshot()`), then sent.
    fn send_all(&self, lines: &Bound<'_, PyAny>) -> PyResult<bool> {
        let mut it = lines.try_iter()?;
        let mut chunk: Vec<Vec<u8>> = Vec::with_capacity(SEND_CHUNK);
        loop {
            chunk.clear();
            for line in it.by_ref().take(SEND_CHUNK) {
                let line = line?;
                let bytes = line_bytes(&line)?;
                // A file iterated in Python keeps its line ends: a line is what is before it.
                let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
                let body = body.strip_suffix(b"\r").unwrap_or(body);
                chunk.push(body.to_vec());
            }
            if chunk.is_empty() {
                return Ok(true);
            }
            let mut g = self.inner.lock().map_err(|_| closed())?;
            let s = g.as_mut().ok_or_else(closed)?;
            for line in &chunk {
                if s.send_line(line).map_err(failed)? == Flow::Stop {
                    return Ok(false);
                }
            }
        }
    }

    /// The results so far (aggregates, tables), leaving the run going.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut g = self.inner.lock().map_err(|_| closed())?;
        let s = g.as_mut().ok_or_else(closed)?;
        convert::results(py, &s.snapshot(), self.text)
    }

    /// End: the final `(results, report)`. Sending after this is an error.
    fn close<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
        let sink = self.inner.lock().map_err(|_| closed())?.take();
        let sink = sink.ok_or_else(closed)?;
        let r = sink.close().map_err(failed)?;
        Ok((
            convert::results(py, &r.value, self.text)?,
            crate::run::report(py, &r)?,
        ))
    }
}
