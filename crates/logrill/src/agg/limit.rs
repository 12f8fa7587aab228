//! The bound on aggregate state: groups plus the values kept by `distinct`,
//! `count_distinct`, percentiles, `top` and sort buffers count against it, and a run that
//! reaches it stops with [`StateLimitError`] rather than exhausting memory.

/// Default limit on table state (groups and kept values).
pub const DEFAULT_STATE_LIMIT: usize = 10_000_000;

/// The state grew past its limit.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the pipeline keeps more than {} in memory (raise --max-state, or aggregate by fewer distinct keys)",
    crate::plural(.limit, "group or value", "groups or values")
)]
pub struct StateLimitError {
    pub limit: usize,
}

/// The one rule of the bound: keeping `kept` groups or values is an error when that is more
/// than `limit`. Asked after adding (by a table, and by the merge of parallel parts), so
/// a record that lands in a group already held never fails a run.
pub fn check(kept: usize, limit: usize) -> Result<(), StateLimitError> {
    if kept > limit {
        Err(StateLimitError { limit })
    } else {
        Ok(())
    }
}
