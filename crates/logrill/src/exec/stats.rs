//! What every operator of a run may report to, and where the value at hand came from.
//!
//! [`Stats`] gathers the counters of a run (values out, lines skipped and why, parse
//! failures, notes) and holds the one rule for an input's error; [`Ctx`] is what an
//! operator is handed with each value: the input and line it came from, the output and the
//! counters.

use crate::error::{Error, InputName};
use crate::query::names::Unseen;
use crate::stage::parse::Failures;

use super::flow::{Flow, RunError};
use super::{Events, Skips};

/// Counters shared by everything a run pushes.
#[derive(Debug)]
pub(crate) struct Stats {
    pub values: u64,
    pub skips: Skips,
    pub failures: Failures,
    pub state_limit: usize,
    /// What `parse auto` chose, to be reported.
    pub notes: Vec<String>,
    /// A table went past the state limit: its results are incomplete.
    pub over_limit: bool,
    /// Fields named after a JSON or logfmt `parse` that no record has had yet.
    pub unseen: Unseen,
}

impl Stats {
    pub fn new(state_limit: usize) -> Stats {
        Stats {
            values: 0,
            skips: Skips::default(),
            failures: Failures::default(),
            state_limit,
            notes: Vec::new(),
            over_limit: false,
            unseen: Unseen::default(),
        }
    }

    /// Whether `size` groups or values held (after adding one) pass the state limit (an
    /// error that ends the run: see [`Stats::input_failed`]). Checked after adding, as the
    /// parallel merge checks its merged state: a record that lands in a group already
    /// held never fails the run.
    pub fn within_limit(&self, size: usize) -> Result<(), RunError> {
        crate::agg::check_state_limit(size, self.state_limit)
            .map_err(|e| RunError::Input(Error::State(e)))
    }

    /// The one rule for an error of an input, whichever driver read it: the error is
    /// counted by the caller and reported; one that ends the run (the state limit, a
    /// pipeline found wrong while running) marks the run, so its partial results are not
    /// printed as the answer, and says stop.
    pub fn input_failed(&mut self, e: &Error) -> Flow {
        if e.ends_run() {
            self.over_limit = true;
            Flow::Stop
        } else {
            Flow::Go
        }
    }
}

/// Where the value at hand comes from.
pub(crate) struct Ctx<'c> {
    pub input: &'c InputName,
    pub line_no: u64,
    pub output: &'c mut dyn Events,
    pub stats: &'c mut Stats,
}
