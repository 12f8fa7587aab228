//! What a Python pipeline reads, and how: files found under roots by globs (or the files
//! named), and the run options of the Rust builder.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use logrill::source::find::Find;
use logrill::{Files, Pipeline};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::to_py;

/// Run options, as the Python keyword arguments give them.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub threads: Option<usize>,
    pub strict: bool,
    pub state_limit: Option<usize>,
    pub max_line_bytes: Option<usize>,
}

impl RunOptions {
    /// From keyword arguments `threads`, `strict`, `state_limit`, `max_line_bytes`; any
    /// other name is a `TypeError`, as for a Python function.
    pub fn from_kwargs(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<RunOptions> {
        let mut o = RunOptions::default();
        let Some(kwargs) = kwargs else { return Ok(o) };
        for (k, v) in kwargs.iter() {
            let name: String = k.extract()?;
            match name.as_str() {
                "threads" => o.threads = v.extract()?,
                "strict" => o.strict = v.extract()?,
                "state_limit" => o.state_limit = v.extract()?,
                "max_line_bytes" => o.max_line_bytes = v.extract()?,
                other => {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "unexpected run option {other:?} (threads, strict, state_limit, max_line_bytes)"
                    )))
                }
            }
        }
        Ok(o)
    }
}

/// The pipeline `text` over the files under `roots` whose names match `globs` (every file
/// when there are none; a root that is a file is read as it is), with `options`.
pub fn pipeline(
    roots: &[PathBuf],
    globs: &[String],
    text: &str,
    options: &RunOptions,
    cancel: Option<Arc<AtomicBool>>,
) -> PyResult<Pipeline> {
    let find = Find::new(roots).globs(globs.iter().cloned());
    let files = Files::try_found(find).map_err(to_py)?;
    let mut p = files.lines();
    if !text.trim().is_empty() {
        p = p.stage(text);
    }
    p = p.strict(options.strict);
    if let Some(n) = options.threads {
        p = p.threads(n.max(1));
    }
    if let Some(n) = options.state_limit {
        p = p.state_limit(n);
    }
    if let Some(n) = options.max_line_bytes {
        p = p.max_line_bytes(n);
    }
    if let Some(c) = cancel {
        p = p.cancel(c);
    }
    // A wrong pipeline fails here, before anything is read.
    p.plan().map_err(|e| crate::errors::query_error(&e))?;
    Ok(p)
}
