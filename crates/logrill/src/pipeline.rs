//! The library's front door: the seed's pipeline, stage for stage, as builder calls.
//!
//! Each call adds a stage to a [`Plan`] (the same plan the `logrill` command line builds
//! from text), and the terminal call runs it with [`crate::exec`], so the library and the
//! CLI share one engine.

use crate::agg::{AggKind, AggValue};
use crate::error::{Error, InputName};
use crate::exec::{self, Emitted, Files, RunFailure, Skips};
use crate::query::{Plan, StageSpec, Terminal};
use crate::stage::GrepOptions;

/// A pipeline being built over some inputs. Start one with
/// `find(dir).glob(..).open().lines()`, or [`Pipeline::new`].
pub struct Pipeline {
    files: Files,
    stages: Vec<StageSpec>,
}

/// The outcome of a pipeline: its result, and every input problem met on the way (the
/// other inputs were still read).
#[derive(Debug)]
pub struct Report<T> {
    /// The aggregate's result, or the collected values.
    pub value: T,
    /// Inputs that could not be opened or read to the end, in the order met.
    pub errors: Vec<Error>,
    /// Values skipped (no such field, not a number), by reason.
    pub skips: Skips,
}

impl Pipeline {
    /// A pipeline over `files`, with no stage yet.
    pub fn new(files: Files) -> Pipeline {
        Pipeline {
            files,
            stages: Vec::new(),
        }
    }

    /// Add stages written in the pipeline language (`"grep x | field -1"`); the text may
    /// not end in an aggregate (call one of the terminal methods instead).
    pub fn stages(mut self, text: &str) -> Result<Pipeline, Error> {
        let plan = crate::query::parse(text)?;
        if plan.terminal != Terminal::Values {
            return Err(Error::Query(crate::query::QueryError::new(
                text,
                1,
                "only line stages here (grep, field, head); end with .sum() or another terminal call",
            )));
        }
        self.stages.extend(plan.stages);
        Ok(self)
    }

    /// Keep the lines a regular expression matches (the seed's `gen_grep`).
    pub fn grep(self, pattern: &str) -> Pipeline {
        self.grep_with(pattern, GrepOptions::default())
    }

    /// `grep` with options (`-i`, `-v`, `-F`).
    pub fn grep_with(mut self, pattern: &str, options: GrepOptions) -> Pipeline {
        self.stages.push(StageSpec::Grep {
            pattern: pattern.to_string(),
            options,
        });
        self
    }

    /// Take the `index`-th whitespace-separated field (1-based, negative from the end:
    /// `field(-1)` is the seed's `line.rsplit(None, 1)[1]`).
    pub fn field(mut self, index: i64) -> Pipeline {
        self.stages.push(StageSpec::Field {
            index,
            delimiter: None,
        });
        self
    }

    /// Take the `index`-th field between occurrences of `delimiter`.
    pub fn field_by(mut self, index: i64, delimiter: &str) -> Pipeline {
        self.stages.push(StageSpec::Field {
            index,
            delimiter: Some(delimiter.to_string()),
        });
        self
    }

    /// Keep the first `n` values, then stop reading.
    pub fn head(mut self, n: u64) -> Pipeline {
        self.stages.push(StageSpec::Head(n));
        self
    }

    /// Sum the values (non-numbers such as `-` are skipped and counted).
    pub fn sum(self) -> Result<Report<AggValue>, Error> {
        self.aggregate(AggKind::Sum)
    }

    /// Count the values.
    pub fn count(self) -> Result<Report<AggValue>, Error> {
        self.aggregate(AggKind::Count)
    }

    /// The smallest value.
    pub fn min(self) -> Result<Report<AggValue>, Error> {
        self.aggregate(AggKind::Min)
    }

    /// The largest value.
    pub fn max(self) -> Result<Report<AggValue>, Error> {
        self.aggregate(AggKind::Max)
    }

    /// The mean of the values.
    pub fn avg(self) -> Result<Report<AggValue>, Error> {
        self.aggregate(AggKind::Avg)
    }

    /// Run with an aggregate at the end.
    pub fn aggregate(self, kind: AggKind) -> Result<Report<AggValue>, Error> {
        let mut stages = self.stages;
        stages.push(StageSpec::Aggregate {
            aggregates: vec![crate::query::AggCall {
                function: crate::query::AggFn::Simple(kind),
                arg: None,
                name: kind.name().to_string(),
            }],
            by: Vec::new(),
        });
        let plan = Plan::from_stages(stages)?;
        let mut errors = Vec::new();
        let mut nothing = |_: Emitted<'_>| Ok(());
        let summary = run(&plan, self.files, &mut nothing, &mut errors)?;
        Ok(Report {
            value: summary.result().unwrap_or(AggValue::Null),
            errors,
            skips: summary.skips,
        })
    }

    /// Call `f(input, line_number, value)` for every value that comes out, until it
    /// returns `false`. Returns how many values `f` was given.
    pub fn for_each(
        self,
        mut f: impl FnMut(&InputName, u64, &[u8]) -> bool,
    ) -> Result<Report<u64>, Error> {
        let plan = Plan::from_stages(self.stages)?;
        let mut errors = Vec::new();
        let stop = std::io::ErrorKind::Interrupted;
        let mut out = |e: Emitted<'_>| {
            if f(e.input, e.line, e.value) {
                Ok(())
            } else {
                Err(std::io::Error::from(stop))
            }
        };
        let summary = match exec::run(&plan, self.files, &mut out, &mut |e| errors.push(e)) {
            Ok(s) => (s.values, s.skips),
            Err(RunFailure::Plan(e)) => return Err(e),
            // `f` asked to stop: everything up to it was delivered.
            Err(RunFailure::Output(_)) => (u64::MAX, Skips::default()),
        };
        Ok(Report {
            value: summary.0,
            errors,
            skips: summary.1,
        })
    }

    /// Collect every value that comes out (each line or field as owned bytes).
    pub fn collect(self) -> Result<Report<Vec<Vec<u8>>>, Error> {
        let mut values = Vec::new();
        let report = self.for_each(|_, _, v| {
            values.push(v.to_vec());
            true
        })?;
        Ok(Report {
            value: values,
            errors: report.errors,
            skips: report.skips,
        })
    }
}

fn run(
    plan: &Plan,
    files: Files,
    out: &mut dyn exec::Output,
    errors: &mut Vec<Error>,
) -> Result<exec::Summary, Error> {
    exec::run(plan, files, out, &mut |e| errors.push(e)).map_err(|e| match e {
        RunFailure::Plan(e) => e,
        RunFailure::Output(source) => Error::Io {
            name: InputName::Stdin,
            source,
        },
    })
}
