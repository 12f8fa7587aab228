//! Running a pipeline for Python: all at once ([`run`]: the aggregate, the table, the
//! values), or lazily ([`Batches`]: the engine on a thread of its own, a few batches
//! ahead, the caller taking a list of lines or of dicts at a time).

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use logrill::exec::Event;
use logrill::{AggValue, Error, InputName, Record, Report, Results};
use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{self, Text};
use crate::errors::problem;
use crate::inputs::{pipeline, RunOptions};

/// Values or records handed to Python at a time: enough that the channel costs nothing
/// per line, few enough that the first ones come at once.
const BATCH: usize = 2048;
/// Batches the engine may run ahead of the caller.
const AHEAD: usize = 4;

/// The report of a run (without its results) as a dict: `errors` (each a dict of `path`,
/// `line`, `message`), `skipped` (values no stage could use), `unparsed`, `interrupted`.
pub fn report<'py, T>(py: Python<'py>, r: &Report<T>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let errors = PyList::empty(py);
    for e in &r.errors {
        errors.append(problem(py, e)?)?;
    }
    d.set_item("errors", errors)?;
    d.set_item("skipped", r.skips.total())?;
    d.set_item("unparsed", r.unparsed)?;
    d.set_item("interrupted", r.interrupted)?;
    Ok(d)
}

/// Run the pipeline to the end with the GIL let go.
fn run_to_end(
    py: Python<'_>,
    roots: &[PathBuf],
    globs: &[String],
    text: &str,
    options: &RunOptions,
) -> PyResult<Report<Results>> {
    let p = pipeline(roots, globs, text, options, None)?;
    let done: Result<Report<Results>, Error> = py.detach(move || p.run());
    done.map_err(crate::errors::to_py)
}

/// Run the pipeline `text` over the files under `roots` matching `globs` and return
/// `(results, report)` as dicts (see [`convert::results`] and [`report`]). The GIL is
/// released while the engine runs.
#[pyfunction]
#[pyo3(signature = (roots, globs, text, *, text_as="str", **options))]
pub fn run<'py>(
    py: Python<'py>,
    roots: Vec<PathBuf>,
    globs: Vec<String>,
    text: &str,
    text_as: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let kind = Text::from_name(text_as)?;
    let options = RunOptions::from_kwargs(options)?;
    let r = run_to_end(py, &roots, &globs, text, &options)?;
    Ok((convert::results(py, &r.value, kind)?, report(py, &r)?))
}

/// [`run`], with the rows (records or table rows) as an [`ArrowTable`] instead of dicts:
/// `(table, report)`. The values of a pipeline that ends in values are not in it.
#[pyfunction]
#[pyo3(signature = (roots, globs, text, **options))]
pub fn run_arrow<'py>(
    py: Python<'py>,
    roots: Vec<PathBuf>,
    globs: Vec<String>,
    text: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(crate::arrow::ArrowTable, Bound<'py, PyDict>)> {
    let options = RunOptions::from_kwargs(options)?;
    let r = run_to_end(py, &roots, &globs, text, &options)?;
    let table = crate::arrow::ArrowTable::of(&r.value.columns, &r.value.rows)?;
    Ok((table, report(py, &r)?))
}

/// One batch from the engine's thread.
enum Msg {
    Values(Vec<u8>, Vec<usize>),
    Records(Vec<Record<'static>>),
    /// The run ended: its report, and the seed's aggregate if the pipeline ends in one.
    End(Report<()>, Option<AggValue>, Vec<String>),
    Failed(Error),
}

/// Sends what comes out in batches.
struct ToChannel {
    tx: SyncSender<Msg>,
    bytes: Vec<u8>,
    ends: Vec<usize>,
    records: Vec<Record<'static>>,
    aggregate: Option<AggValue>,
    columns: Vec<String>,
}

impl ToChannel {
    fn send(&mut self, m: Msg) -> io::Result<()> {
        self.tx
            .send(m)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.ends.is_empty() {
            let m = Msg::Values(
                std::mem::take(&mut self.bytes),
                std::mem::take(&mut self.ends),
            );
            self.send(m)?;
        }
        if !self.records.is_empty() {
            let m = Msg::Records(std::mem::take(&mut self.records));
            self.send(m)?;
        }
        Ok(())
    }
}

impl logrill::sink::Consumer for ToChannel {
    type Output = ();
    fn close(self) -> Result<(), logrill::sink::SinkError> {
        Ok(())
    }
}

impl<'a> logrill::sink::Sink<Event<'a>> for ToChannel {
    fn send(&mut self, event: Event<'a>) -> Result<logrill::sink::Flow, logrill::sink::SinkError> {
        match event {
            Event::Value(v) => {
                self.bytes.extend_from_slice(v.value);
                self.ends.push(self.bytes.len());
                if self.ends.len() >= BATCH {
                    self.flush().map_err(logrill::sink::SinkError::Write)?;
                }
            }
            Event::Record { record, .. } => {
                self.records.push(record.clone().into_owned());
                if self.records.len() >= BATCH {
                    self.flush().map_err(logrill::sink::SinkError::Write)?;
                }
            }
            Event::Columns(names) => self.columns = names.to_vec(),
            Event::Aggregate { value, .. } => self.aggregate = Some(value),
            Event::EndTable | Event::Branch { .. } => {}
        }
        Ok(logrill::sink::Flow::Continue)
    }
}

/// A pipeline's output, a batch (a list) at a time: `for batch in Batches(...)`. The
/// engine runs on a thread of its own, at most a few batches ahead; closing (or dropping)
/// the iterator stops it. After the last batch, [`Batches::report`] has the run's report,
/// its aggregate and table columns.
#[pyclass(module = "logrill._native")]
pub struct Batches {
    rx: Mutex<Option<Receiver<Msg>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    cancel: Arc<AtomicBool>,
    text: Text,
    end: Mutex<Option<Py<PyDict>>>,
}

#[pymethods]
impl Batches {
    #[new]
    #[pyo3(signature = (roots, globs, text, *, text_as="str", **options))]
    fn new(
        roots: Vec<PathBuf>,
        globs: Vec<String>,
        text: &str,
        text_as: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Batches> {
        let kind = Text::from_name(text_as)?;
        let options = RunOptions::from_kwargs(options)?;
        let cancel = Arc::new(AtomicBool::new(false));
        let p = pipeline(&roots, &globs, text, &options, Some(cancel.clone()))?;
        let (tx, rx) = sync_channel(AHEAD);
        let worker = std::thread::Builder::new()
            .name("logrill-py".into())
            .spawn(move || {
                let mut out = ToChannel {
                    tx,
                    bytes: Vec::new(),
                    ends: Vec::new(),
                    records: Vec::new(),
                    aggregate: None,
                    columns: Vec::new(),
                };
                let done = p.run_into(&mut out);
                let msg = match done.and_then(|r| {
                    out.flush().map(|()| r).map_err(|e| Error::Io {
                        name: InputName::Stdin,
                        source: e,
                    })
                }) {
                    Ok(r) => Msg::End(r, out.aggregate.take(), std::mem::take(&mut out.columns)),
                    Err(e) => Msg::Failed(e),
                };
                let _ = out.tx.send(msg);
            })
            .map_err(|e| crate::errors::LogrillError::new_err(e.to_string()))?;
        Ok(Batches {
            rx: Mutex::new(Some(rx)),
            worker: Mutex::new(Some(worker)),
            cancel,
            text: kind,
            end: Mutex::new(None),
        })
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // The receiver is taken out while waiting (with the GIL let go) and put back.
        let Some(rx) = self.rx.lock().map_err(|_| poisoned())?.take() else {
            return Err(PyStopIteration::new_err(()));
        };
        let (rx, msg) = py.detach(move || {
            let msg = rx.recv().ok();
            (rx, msg)
        });
        *self.rx.lock().map_err(|_| poisoned())? = Some(rx);
        match msg {
            Some(Msg::Values(bytes, ends)) => {
                let list = PyList::empty(py);
                let mut start = 0;
                for end in ends {
                    list.append(self.text.bytes(py, &bytes[start..end])?)?;
                    start = end;
                }
                Ok(list)
            }
            Some(Msg::Records(records)) => {
                let list = PyList::empty(py);
                for r in &records {
                    list.append(convert::record(py, r, self.text)?)?;
                }
                Ok(list)
            }
            Some(Msg::End(r, aggregate, columns)) => {
                let d = report(py, &r)?;
                match aggregate {
                    Some(a) => d.set_item("aggregate", convert::agg(py, &a)?)?,
                    None => d.set_item("aggregate", py.None())?,
                }
                d.set_item("columns", columns)?;
                *self.end.lock().map_err(|_| poisoned())? = Some(d.unbind());
                self.finish(py);
                Err(PyStopIteration::new_err(()))
            }
            Some(Msg::Failed(e)) => {
                self.finish(py);
                Err(crate::errors::to_py(e))
            }
            None => {
                self.finish(py);
                Err(PyStopIteration::new_err(()))
            }
        }
    }

    /// The run's report once every batch was taken (`None` before): `errors`, `skipped`,
    /// `unparsed`, `interrupted`, `aggregate`, `columns`.
    fn report(&self, py: Python<'_>) -> PyResult<Option<Py<PyDict>>> {
        Ok(self
            .end
            .lock()
            .map_err(|_| poisoned())?
            .as_ref()
            .map(|d| d.clone_ref(py)))
    }

    /// Stop the run (the seed's `close()` on a generator): nothing more is read.
    fn close(&self, py: Python<'_>) {
        self.finish(py);
    }
}

impl Batches {
    /// Stop the engine and wait for its thread, the GIL released.
    fn finish(&self, py: Python<'_>) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Ok(mut rx) = self.rx.lock() {
            rx.take();
        }
        let worker = self.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(w) = worker {
            py.detach(|| {
                let _ = w.join();
            });
        }
    }
}

impl Drop for Batches {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Ok(mut rx) = self.rx.lock() {
            rx.take();
        }
        // Not joined here: dropping may happen with the GIL held, and the thread ends
        // by itself at its next batch (the channel is gone) or at the cancel check.
    }
}

fn poisoned() -> PyErr {
    crate::errors::LogrillError::new_err("internal lock poisoned")
}
