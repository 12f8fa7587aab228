//! Partial results for the Spark route (`logrill.spark`): an executor runs a pipeline that
//! gathers (aggregates, tables, sort) over its share of the inputs and sends the state as
//! bytes ([`logrill::exec::PartialResult`]); the driver merges the bytes in input order
//! and finishes: the answer of one run over all the inputs.

use std::ffi::OsString;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use logrill::exec::partial::ChunkChecks;
use logrill::exec::{Options, PartialError, PartialResult};
use logrill::query::Plan;
use logrill::source::find::Find;
use logrill::source::gzindex::IndexCache;
use logrill::{Error, Files, InputName, Report};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{self, Text};
use crate::errors::problem;
use crate::inputs::RunOptions;

/// The plan of `text`, or the pipeline's [`crate::errors::QueryError`].
fn plan_of(text: &str) -> PyResult<Plan> {
    logrill::lang::query()
        .stage(text)
        .plan()
        .map_err(|e| crate::errors::query_error(&e))
}

/// The engine's options for one part: one thread (the parts are the parallelism).
fn options_of(o: &RunOptions) -> Options {
    let mut options = Options {
        threads: 1,
        strict: o.strict,
        ..Options::default()
    };
    if let Some(n) = o.state_limit {
        options.state_limit = n;
    }
    if let Some(n) = o.max_line_bytes {
        options.max_line_bytes = n;
    }
    options
}

fn to_py(e: PartialError) -> PyErr {
    match e {
        PartialError::Plan(e) => crate::errors::to_py(e),
        other => crate::errors::LogrillError::new_err(other.to_string()),
    }
}

/// `(bytes, errors)`: the partial result and the input problems (dicts of `path`, `line`,
/// `message`), to be sent to the driver.
fn part<'py>(
    py: Python<'py>,
    plan: &Plan,
    files: impl IntoIterator<Item = Result<logrill::source::Input, Error>> + Send,
    options: &Options,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    let (result, errors) = py.detach(|| {
        let mut errors = Vec::new();
        let r = PartialResult::run(plan, files, &mut |e| errors.push(e), options);
        (r.map(|r| r.to_bytes()), errors)
    });
    let bytes = result.map_err(to_py)?;
    let list = PyList::empty(py);
    for e in &errors {
        list.append(problem(py, e)?)?;
    }
    Ok((PyBytes::new(py, &bytes), list))
}

/// Run the gathering pipeline `text` over the files `paths` (each a file or a tree),
/// one after the other: `(partial result bytes, input problems)`.
#[pyfunction]
#[pyo3(signature = (paths, text, **options))]
pub fn partial<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    text: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    let o = RunOptions::from_kwargs(options)?;
    let plan = plan_of(text)?;
    let files = Files::found(Find::new(&paths));
    part(py, &plan, files, &options_of(&o))
}

/// [`partial`] of one input given as its bytes (read by Spark from a store the executor
/// cannot open), named `name` in errors; opened by its first bytes as a file is.
#[pyfunction]
#[pyo3(signature = (name, data, text, **options))]
pub fn partial_of_bytes<'py>(
    py: Python<'py>,
    name: String,
    data: Vec<u8>,
    text: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    let o = RunOptions::from_kwargs(options)?;
    let plan = plan_of(text)?;
    let input = logrill::source::open::open_reader(InputName::Path(name.into()), Cursor::new(data));
    part(py, &plan, [input], &options_of(&o))
}

/// [`partial`] of the piece of nominal byte range `[begin, end)` of the plain file `path`:
/// the library's pieces of one file (`logrill::source::pieces`, the rule that cuts a file
/// for parallel reading: each line in exactly one piece), read by the engine straight from
/// the file, no copy through Python.
#[pyfunction]
#[pyo3(signature = (path, begin, end, text, **options))]
pub fn partial_range<'py>(
    py: Python<'py>,
    path: PathBuf,
    begin: u64,
    end: u64,
    text: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>)> {
    use logrill::source::pieces::{Nominal, WholeFile};
    let o = RunOptions::from_kwargs(options)?;
    let plan = plan_of(text)?;
    let name = InputName::Path(path.clone());
    let input = std::fs::File::open(&path)
        .and_then(|f| {
            let whole = WholeFile::new(f, None);
            let size = whole.size()?;
            let end = (end < size).then_some(end);
            Ok(whole.piece(Nominal { start: begin, end }))
        })
        .map_err(|source| Error::Io {
            name: name.clone(),
            source,
        })
        .and_then(|piece| {
            let piece = std::io::BufReader::with_capacity(1 << 20, piece);
            logrill::source::open::open_reader(name, piece)
        });
    part(py, &plan, [input], &options_of(&o))
}

/// The gzip index directory: `dir` if given, else `$LOGRILL_INDEX_DIR`, else the user's
/// cache directory (the command line's rule, see docs/gzip-index.md).
fn index_dir_or_default(dir: Option<PathBuf>) -> PyResult<PathBuf> {
    let dir = dir.or_else(|| {
        IndexCache::dir_from_env(
            std::env::var_os("LOGRILL_INDEX_DIR"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )
    });
    dir.ok_or_else(|| {
        crate::errors::LogrillError::new_err(
            "no gzip index directory: give index_dir, or set LOGRILL_INDEX_DIR or HOME",
        )
    })
}

/// `(chunks, index directory)`: how many indexed chunks the gzip file `path` has, if a
/// current index of it lies in the index directory (`index_dir`, else the command line's
/// default), else `(None, directory)`: then the file is one part. A file that cannot be
/// opened is a `LogrillError`.
#[pyfunction]
#[pyo3(signature = (path, index_dir=None))]
pub fn gzip_chunks(
    py: Python<'_>,
    path: PathBuf,
    index_dir: Option<PathBuf>,
) -> PyResult<(Option<usize>, OsString)> {
    let dir = index_dir_or_default(index_dir)?;
    let cache = Arc::new(IndexCache::new(&dir));
    let n = py
        .detach(|| logrill::exec::partial::gzip_chunks(Path::new(&path), &cache))
        .map_err(crate::errors::to_py)?;
    // A `str` (not a `pathlib.Path`: it goes into the tasks' JSON), undecodable bytes
    // as surrogates, so that `partial_gzip` finds the same directory.
    Ok((n, dir.into_os_string()))
}

/// [`partial`] of the lines that start in chunks `first..last` of the indexed gzip file
/// `path` (its index in `index_dir`): `(partial bytes, input problems, CRC checks)`, the
/// last for [`check_gzip`] once every part of the file is back.
#[pyfunction]
#[pyo3(signature = (path, first, last, text, index_dir=None, **options))]
#[allow(clippy::too_many_arguments)]
pub fn partial_gzip<'py>(
    py: Python<'py>,
    path: PathBuf,
    first: usize,
    last: usize,
    text: &str,
    index_dir: Option<PathBuf>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyList>, Bound<'py, PyBytes>)> {
    let o = RunOptions::from_kwargs(options)?;
    let plan = plan_of(text)?;
    let cache = Arc::new(IndexCache::new(index_dir_or_default(index_dir)?));
    let options = options_of(&o);
    let (result, errors) = py.detach(|| {
        let mut errors = Vec::new();
        let r = PartialResult::run_gzip_chunks(
            &plan,
            Path::new(&path),
            &cache,
            first..last,
            &mut |e| errors.push(e),
            &options,
        );
        (r.map(|(r, c)| (r.to_bytes(), c.to_bytes())), errors)
    });
    let (bytes, checks) = result.map_err(to_py)?;
    let list = PyList::empty(py);
    for e in &errors {
        list.append(problem(py, e)?)?;
    }
    Ok((PyBytes::new(py, &bytes), list, PyBytes::new(py, &checks)))
}

/// Check the members of the gzip file read in parts by [`partial_gzip`], given every
/// part's CRC checks in file order: `None` if every member's CRC-32 and length match, else
/// the message.
#[pyfunction]
pub fn check_gzip(py: Python<'_>, checks: Vec<Vec<u8>>) -> PyResult<Option<String>> {
    let parts = checks
        .iter()
        .map(|b| ChunkChecks::from_bytes(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(to_py)?;
    Ok(py
        .detach(|| ChunkChecks::check(parts))
        .err()
        .map(|e| e.to_string()))
}

/// Merge the partial results `parts` (in input order) of the pipeline `text` and finish:
/// `(results, report)` as [`crate::run::run`] gives them; `errors` are the input problems
/// the parts met, put in the report.
#[pyfunction]
#[pyo3(signature = (text, parts, errors, *, text_as="str", **options))]
pub fn finish<'py>(
    py: Python<'py>,
    text: &str,
    parts: Vec<Vec<u8>>,
    errors: Bound<'py, PyList>,
    text_as: &str,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let kind = Text::from_name(text_as)?;
    let o = RunOptions::from_kwargs(options)?;
    let plan = plan_of(text)?;
    let options = options_of(&o);
    let done: Result<Report<logrill::Results>, PartialError> = py.detach(|| {
        let mut total = PartialResult::empty(&plan)?;
        merge_parts(&plan, &parts, &mut total)?;
        total.finish(&options)
    });
    let r = done.map_err(to_py)?;
    let report = crate::run::report(py, &r)?;
    let all = PyList::empty(py);
    for e in errors.iter() {
        all.append(e)?;
    }
    for e in report
        .get_item("errors")?
        .iter()
        .flat_map(|l| l.try_iter().ok())
        .flatten()
    {
        all.append(e?)?;
    }
    report.set_item("errors", all)?;
    Ok((convert::results(py, &r.value, kind)?, report))
}

/// Merges `parts` into `total`, in their order. Reading a part rebuilds its group table
/// (65 000 groups of two tasks took a third of the driver's time on one thread), so parts
/// are read as many at once as the machine has cores, while the executors are idle; a
/// round at a time, merged before the next is read, so a driver of many tasks each with a
/// large table holds one round of read parts besides the total, not every part at once.
fn merge_parts(
    plan: &Plan,
    parts: &[Vec<u8>],
    total: &mut PartialResult,
) -> Result<(), PartialError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    for round in parts.chunks(threads) {
        let read: Vec<Result<PartialResult, PartialError>> = match round {
            [one] => vec![PartialResult::from_bytes(plan, one)],
            _ => std::thread::scope(|scope| {
                let handles: Vec<_> = round
                    .iter()
                    .map(|b| scope.spawn(move || PartialResult::from_bytes(plan, b)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| {
                        // A reading thread cannot panic on bytes (every read is checked);
                        // should it, the part is an error, not a crash of the driver.
                        h.join().unwrap_or_else(|_| {
                            Err(PartialError::Wire(logrill::agg::WireError {
                                at: 0,
                                message: "reading a part failed".into(),
                            }))
                        })
                    })
                    .collect()
            }),
        };
        for part in read {
            total.merge(part?)?;
        }
    }
    Ok(())
}

/// Whether the pipeline `text` gathers one answer that parts can merge (else it streams
/// values or records); an error for a pipeline that cannot be run in parts at all (`head`
/// takes the first lines of the whole input).
#[pyfunction]
pub fn mergeable(text: &str) -> PyResult<bool> {
    let plan = plan_of(text)?;
    match PartialResult::empty(&plan) {
        Ok(_) => Ok(true),
        Err(PartialError::NotMergeable) => Ok(false),
        Err(e) => Err(to_py(e)),
    }
}

/// The files under `roots` whose names match `globs`, in the order a run reads them
/// (rotated copies oldest first), and the problems of the walk: how the Spark route
/// hands out files and keeps the one-machine order.
#[pyfunction]
pub fn found<'py>(
    py: Python<'py>,
    roots: Vec<PathBuf>,
    globs: Vec<String>,
) -> PyResult<(Vec<OsString>, Bound<'py, PyList>)> {
    let find = Find::new(&roots).globs(globs);
    let (paths, errors) = py.detach(|| {
        let mut paths = Vec::new();
        let mut errors = Vec::new();
        for p in find {
            match p {
                Ok(p) => paths.push(p.into_os_string()),
                Err(e) => errors.push(e),
            }
        }
        (paths, errors)
    });
    let list = PyList::empty(py);
    for e in &errors {
        list.append(problem(py, e)?)?;
    }
    Ok((paths, list))
}
