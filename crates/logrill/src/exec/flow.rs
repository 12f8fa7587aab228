//! What a step of a run answers: go on or stop ([`Flow`]), or why it ended early
//! ([`RunError`]). The operators (`chain`) and the input readers (`runner`) both speak it,
//! so neither needs the other to say so.

use std::io;

use crate::error::Error;

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Go,
    Stop,
}

/// Why reading ended early.
pub(crate) enum RunError {
    /// This input failed (read error, corrupt data, a `--strict` parse failure, the state
    /// limit): reported, and the run may go on with the next input.
    Input(Error),
    /// The output failed: the run stops.
    Output(io::Error),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Output(e)
    }
}
