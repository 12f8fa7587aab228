//! Following live files for Python: `tail -F` through rotation and truncation as a
//! generator. Closing it (`close()`, `with`, or the garbage collector) closes the files
//! and writes the checkpoint — what the seed's `except GeneratorExit:` does.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, Next, Start};
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;

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
    /// `close()` was called while a `next()` was waiting with the follower: that
    /// `next()` closes it when it is back.
    close_requested: AtomicBool,
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
        paths: Vec<PathBuf>,
        state: Option<PathBuf>,
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
            let idle = Duration::try_from_secs_f64(secs).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "exit_on_idle must be a number of seconds from 0, not {secs}"
                ))
            })?;
            f = f.exit_on_idle(Some(idle));
        }
        let follower = f.open().map_err(failed)?;
        Ok(Follower {
            inner: Mutex::new(Some(follower)),
            held: Mutex::new(Vec::new()),
            report: Mutex::new(None),
            close_requested: AtomicBool::new(false),
            text: Text::from_name(text_as)?,
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The next line; waits for it (Ctrl-C still works). One line at a time, so that a
    /// line counts as handed out only once Python has it: closing after `next()` checkpoints
    /// exactly the lines taken. While waiting, the follower is out of its lock (and the GIL
    /// let go), so another thread's `notices()` or `close()` never waits on this one.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        loop {
            let Some(mut f) = self.inner.lock().map_err(|_| failed("closed"))?.take() else {
                return Err(PyStopIteration::new_err(()));
            };
            let (f_back, got) = py.detach(move || {
                let got = match f.next_line_until(Some(Instant::now() + WAIT_SLICE)) {
                    Next::Line(l) => Some(Some(l.bytes.to_vec())),
                    Next::Timeout => Some(None),
                    Next::Closed(_) => None,
                };
                (f, got)
            });
            *self.inner.lock().map_err(|_| failed("closed"))? = Some(f_back);
            if self.close_requested.load(Ordering::Relaxed) {
                self.close()?;
                return Err(PyStopIteration::new_err(()));
            }
            match got {
                Some(Some(line)) => return self.text.bytes(py, &line),
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
            // Closed already, or out with a waiting `next()`: that one closes it.
            self.close_requested.store(true, Ordering::Relaxed);
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
