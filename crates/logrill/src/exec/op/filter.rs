//! `where`: keeps the records its condition holds for.

use std::sync::Arc;

use crate::query::expr::Expr;
use crate::record::{Record, Schema};

/// One `where` step.
pub(crate) struct Filter {
    condition: Expr,
}

impl Filter {
    pub fn new(condition: Expr) -> Filter {
        Filter { condition }
    }

    /// Whether the record goes on (a value that is no record never does).
    #[inline]
    pub fn keeps(&self, record: Option<&Record<'_>>) -> bool {
        record.is_some_and(|r| self.condition.test(r))
    }

    /// The condition, for the fields it reads.
    pub fn condition(&self) -> &Expr {
        &self.condition
    }

    /// Bind the condition's fields to the slots of records of `schema`.
    pub fn bind(&mut self, schema: Option<&Arc<Schema>>) {
        self.condition.bind(schema);
    }
}
