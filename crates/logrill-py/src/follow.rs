//! Following live files for Python: `tail -F` through rotation and truncation as a
//! generator. Closing it (`close()`, `with`, or the garbage collector) closes the files
//! and writes the checkpoint — what the seed's `except GeneratorExit:` does.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, NextBatch, Start};
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::convert::Text;
use crate::errors::LogrillError;

/// How long the GIL is let go at a time while waiting for lines: Ctrl-C is noticed
/// within this.
const WAIT_SLICE: Duration = Duration::from_millis(100);

/// Lines of followed files, a batch (a list) at a time.
#[pyclass(module = "logrill._native")]
pub struct Follower {
    inner: Mutex<Option<logrill::source::follow::Follower>>,
    /// Notices taken at close, until asked for.
    held: Mutex<Vec<String>>,
    /// What closing said (kept: the iterator closes itself when the files end).
    report: Mutex<Option<String>>,
    text: Text,
}

fn failed(e: impl std::fmt::Display) -> PyErr {
    LogrillError::new_err(e.to_string())
}

#[pymethods]
impl Follower {
    #[new]
    #[pyo3(signature = (paths, *, state=None, from_start=false, last=None, exit_on_idle=None, text_as="str"))]
    fn new(
        paths: Vec<String>,
        state: Option<String>,
        from_start: bool,
        last: Option<u64>,
        exit_on_idle: Option<f64>,
        text_as: &str,
    ) -> PyResult<Follower> {
        let mut f = Follow::new().paths(&paths).start(match (from_start, last) {
            (true, _) => Start::Beginning,
            (false, Some(n)) => Start::LastLines(n),
            (false, None) => Start::End,
        });
        if let Some(s) = state {
            f = f.state(s);
        }
        if let Some(secs) = exit_on_idle {
            f = f.exit_on_idle(Some(Duration::from_secs_f64(secs.max(0.0))));
        }
        let follower = f.open().map_err(failed)?;
        Ok(Follower {
            inner: Mutex::new(Some(follower)),
            held: Mutex::new(Vec::new()),
            report: Mutex::new(None),
            text: Text::from_name(text_as)?,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next batch of lines; waits for them (Ctrl-C still works).
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        loop {
            let mut g = self.inner.lock().map_err(|_| failed("closed"))?;
            let Some(f) = g.as_mut() else {
                return Err(PyStopIteration::new_err(()));
            };
            let got: Option<Option<(Vec<u8>, Vec<usize>)>> =
                py.detach(
                    || match f.next_batch_until(Some(Instant::now() + WAIT_SLICE)) {
                        NextBatch::Batch(b) => {
                            let mut bytes = Vec::with_capacity(b.bytes.len());
                            let mut ends = Vec::new();
                            for l in b.lines() {
                                bytes.extend_from_slice(l);
                                ends.push(bytes.len());
                            }
                            Some(Some((bytes, ends)))
                        }
                        NextBatch::Timeout => Some(None),
                        NextBatch::Closed(_) => None,
                    },
                );
            drop(g);
            match got {
                Some(Some((bytes, ends))) => {
                    let list = PyList::empty(py);
                    let mut start = 0;
                    for end in ends {
                        list.append(self.text.bytes(py, &bytes[start..end])?)?;
                        start = end;
                    }
                    return Ok(list);
                }
                Some(None) => py.check_signals()?,
                None => {
                    self.close()?;
                    return Err(PyStopIteration::new_err(()));
                }
            }
        }
    }

    /// Notices so far (rotations, truncations, files given up, lines lost), as text;
    /// each is given once.
    fn notices(&self) -> PyResult<Vec<String>> {
        let mut out = std::mem::take(&mut *self.held.lock().map_err(|_| failed("closed"))?);
        let mut g = self.inner.lock().map_err(|_| failed("closed"))?;
        if let Some(f) = g.as_mut() {
            out.extend(f.take_notices().map(|n| n.to_string()));
        }
        Ok(out)
    }

    /// Close every file and write the checkpoint; returns what closing said. Closing
    /// twice does nothing. The notices until then stay for [`Self::notices`].
    fn close(&self) -> PyResult<Option<String>> {
        let f = self.inner.lock().map_err(|_| failed("closed"))?.take();
        let Some(mut f) = f else {
            return Ok(self.report.lock().map_err(|_| failed("closed"))?.clone());
        };
        let closed = f.close();
        let mut held = self.held.lock().map_err(|_| failed("closed"))?;
        held.extend(f.take_notices().map(|n| n.to_string()));
        let said = closed.map(|r| r.to_string()).map_err(failed)?;
        *self.report.lock().map_err(|_| failed("closed"))? = Some(said.clone());
        Ok(Some(said))
    }
}

impl Drop for Follower {
    /// The garbage collector closes too (the checkpoint is written).
    fn drop(&mut self) {
        if let Ok(mut g) = self.inner.lock() {
            if let Some(mut f) = g.take() {
                let _ = f.close();
            }
        }
    }
}
