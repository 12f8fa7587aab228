//! `logrill._native`: the Rust side of the Python package.
//!
//! The Python side (`python/logrill/__init__.py`) writes a pipeline as the typed calls of
//! the seed (`find(dir).glob(..).open().lines().grep(..).field(-1).sum()`) and hands the
//! pipeline *text* and the inputs to the functions here, the way the Rust builder
//! ([`logrill::lang`]) does: one compiler, so the Python chain, the Rust chain and the
//! command line make the same plan and report the same errors.
//!
//! Everything that reads files runs with the GIL released; results cross into Python in
//! batches (a list of lines or of dicts per batch), so the per-line cost is the creation
//! of the Python object and little else.

mod arrow;
mod convert;
mod errors;
mod follow;
mod inputs;
mod partial;
mod push;
mod run;
mod schema;

use pyo3::prelude::*;

/// The module the Python package imports as `logrill._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(quote, m)?)?;
    m.add_function(wrap_pyfunction!(field_name, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::run_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_of_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_range, m)?)?;
    m.add_function(wrap_pyfunction!(partial::gzip_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_gzip, m)?)?;
    m.add_function(wrap_pyfunction!(partial::check_gzip, m)?)?;
    m.add_function(wrap_pyfunction!(partial::finish, m)?)?;
    m.add_function(wrap_pyfunction!(partial::mergeable, m)?)?;
    m.add_function(wrap_pyfunction!(partial::found, m)?)?;
    m.add_function(wrap_pyfunction!(schema::record_fields, m)?)?;
    m.add_class::<arrow::ArrowTable>()?;
    m.add_class::<run::Batches>()?;
    m.add_class::<push::Sink>()?;
    m.add_class::<follow::Follower>()?;
    Ok(())
}

/// `s` as one word of the pipeline language, read back exactly (the Rust builder's rule).
#[pyfunction]
fn quote(s: &str) -> String {
    logrill::lang::quote(s)
}

/// `name` as a field name in an expression (backquoted where it is a keyword or odd).
#[pyfunction]
fn field_name(name: &str) -> String {
    logrill::lang::field_name(name)
}

/// Compile `text` and raise [`errors::QueryError`] (with the column) if it is wrong:
/// lets the Python builder fail where the pipeline is written, before anything is read.
#[pyfunction]
fn check(text: &str) -> PyResult<()> {
    logrill::lang::query()
        .stage(text)
        .plan()
        .map(|_| ())
        .map_err(|e| errors::query_error(&e))
}
