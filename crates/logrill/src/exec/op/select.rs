//! `select`: makes a new record of the columns it names, from the record at hand.

use std::sync::Arc;

use crate::query::Column;
use crate::record::{Record, Schema};

/// One `select` step.
pub(crate) struct Select {
    columns: Vec<Column>,
    schema: Arc<Schema>,
    /// The output record, emptied for each line (its allocation kept).
    spare: Record<'static>,
}

impl Select {
    pub fn new(columns: Vec<Column>) -> Select {
        Select {
            schema: Arc::new(Schema::new(
                columns.iter().map(|c| c.name.clone()).collect(),
            )),
            columns,
            spare: Record::new(),
        }
    }

    /// The record of the selected columns of `r` (give it back with [`Select::give_back`]
    /// when done, to keep its allocation).
    #[inline]
    pub fn project<'a>(&mut self, r: &Record<'a>) -> Record<'a> {
        let mut out: Record<'a> = std::mem::take(&mut self.spare).recycle();
        let slots = out.begin_fixed(&self.schema);
        for (slot, c) in slots.iter_mut().zip(self.columns.iter()) {
            *slot = c.expr.eval(r);
        }
        out
    }

    #[inline]
    pub fn give_back(&mut self, out: Record<'_>) {
        self.spare = out.recycle();
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The schema of the records made.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Bind the columns' fields to the slots of records of `schema` (those coming in).
    pub fn bind(&mut self, schema: Option<&Arc<Schema>>) {
        self.columns.iter_mut().for_each(|c| c.expr.bind(schema));
    }
}
