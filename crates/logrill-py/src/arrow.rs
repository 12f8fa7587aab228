//! Tables for pyarrow, pandas and polars without a copy per value: the library builds an
//! Arrow record batch from the rows ([`logrill::arrow`], the rule the command line's
//! Parquet output follows), and it is handed over through the Arrow C stream interface
//! (`__arrow_c_stream__`, a PyCapsule): `pyarrow.table(obj)` takes the buffers as they
//! are.

use std::sync::Mutex;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator};
use logrill::Record;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::errors::LogrillError;

/// One table, exported once through the Arrow C stream interface.
#[pyclass(module = "logrill._native")]
pub struct ArrowTable {
    batch: Mutex<Option<RecordBatch>>,
}

impl ArrowTable {
    /// The rows under `columns` (the table's columns, or every field in first-seen order).
    pub fn of(columns: &[String], rows: &[Record<'_>]) -> PyResult<ArrowTable> {
        let mut names = columns.to_vec();
        if names.is_empty() {
            for r in rows {
                for (n, _) in r.iter() {
                    if !names.iter().any(|m| m == n) {
                        names.push(n.to_string());
                    }
                }
            }
        }
        let batch = logrill::arrow::record_batch(&names, rows)
            .map_err(|e| LogrillError::new_err(format!("arrow: {e}")))?;
        Ok(ArrowTable {
            batch: Mutex::new(Some(batch)),
        })
    }
}

#[pymethods]
impl ArrowTable {
    /// The Arrow PyCapsule interface: a stream of the one record batch. A requested schema
    /// is not honoured (the table's own is given), as the protocol allows.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batch = self
            .batch
            .lock()
            .map_err(|_| LogrillError::new_err("internal lock poisoned"))?
            .take()
            .ok_or_else(|| LogrillError::new_err("this table was already exported"))?;
        let schema = batch.schema();
        let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        // The consumer moves the stream out (and marks it released); the capsule drops
        // what is left, releasing the stream only if nobody took it.
        PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }
}
