//! Running a [`Plan`] over inputs in batch mode.
//!
//! The executor pulls batches of complete lines from each input in turn (the seed's
//! `gen_cat`) and pushes each line through the compiled stages into the terminal: an output
//! for values, or an aggregate. When the first stage is a `grep`, it searches each whole
//! batch in one pass and only the matching lines go on (see [`Grep::matching_lines`]).
//!
//! Problems with one input are handed to the caller's error handler and the run goes on
//! with the next input: nothing already read is lost. Only a failing *output* (a closed
//! pipe) ends the run early, returned as an `io::Error`.

mod files;
mod parallel;
mod runner;
mod skips;

pub use files::Files;
pub use skips::{SkipExample, Skips};

use std::io;

use crate::agg::{AggValue, Aggregate};
use crate::error::{Error, InputName};
use crate::query::{Plan, StageSpec, Terminal};
use crate::source::Input;
use crate::stage::{Field, Grep, Head, Stage};

use runner::{Flow, RunError, Runner};

/// A value that comes out of a pipeline ending in values.
#[derive(Debug, Clone, Copy)]
pub struct Emitted<'a> {
    /// The input it came from.
    pub input: &'a InputName,
    /// Its line number in that input (1-based).
    pub line: u64,
    /// The value: the line, or what the stages made of it.
    pub value: &'a [u8],
}

/// Where the values of a pipeline that ends in values go.
pub trait Output {
    /// One value. An error (such as a closed pipe) ends the run.
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()>;
}

impl<F: FnMut(Emitted<'_>) -> io::Result<()>> Output for F {
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
        self(v)
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The aggregate's state, for a pipeline that ends in one.
    pub aggregate: Option<Aggregate>,
    /// How many values reached the output (or the aggregate).
    pub values: u64,
    /// How many inputs failed (could not be opened, or failed while being read).
    pub failed_inputs: u64,
    /// Values skipped, by reason.
    pub skips: Skips,
    /// Whether a stage (`head`) ended the run before the inputs ended.
    pub stopped_early: bool,
}

impl Summary {
    /// The aggregate's result, if the pipeline ends in one.
    pub fn result(&self) -> Option<AggValue> {
        self.aggregate.as_ref().map(Aggregate::value)
    }
}

/// A plan compiled into stages.
pub struct Compiled {
    /// A leading grep searched batch-wide.
    pub(crate) batch_grep: Option<Grep>,
    pub(crate) stages: Vec<Box<dyn Stage>>,
    pub(crate) terminal: Terminal,
}

impl Compiled {
    /// Compile a plan. Fails on what the parser does not check itself when a plan is built
    /// by hand (a bad regex, field 0).
    pub fn new(plan: &Plan) -> Result<Compiled, Error> {
        let bad = |message: String| {
            Error::Query(crate::query::QueryError {
                text: String::new(),
                column: 0,
                message,
            })
        };
        let mut stages: Vec<Box<dyn Stage>> = Vec::new();
        let mut batch_grep = None;
        for (i, spec) in plan.stages.iter().enumerate() {
            match spec {
                StageSpec::Grep { pattern, options } => {
                    let g = Grep::new(pattern, *options)
                        .map_err(|e| bad(format!("bad regular expression: {e}")))?;
                    if i == 0 && g.searches_batches() {
                        batch_grep = Some(g);
                    } else {
                        stages.push(Box::new(g));
                    }
                }
                StageSpec::Field { index, delimiter } => {
                    let f = match delimiter {
                        None => Field::new(*index),
                        Some(d) => Field::with_delimiter(*index, d.as_bytes()),
                    }
                    .ok_or_else(|| bad(format!("no field {index} (fields count from 1 or -1)")))?;
                    stages.push(Box::new(f));
                }
                StageSpec::Head(n) => stages.push(Box::new(Head::new(*n))),
            }
        }
        Ok(Compiled {
            batch_grep,
            stages,
            terminal: plan.terminal,
        })
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads for reading files in parallel (1: everything on the calling thread).
    pub threads: usize,
}

impl Default for Options {
    /// As many threads as the machine has cores.
    fn default() -> Options {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// Run `plan` over `files` with the default [`Options`]. Each input problem is passed to
/// `on_error` and the run goes on; values go to `output`. Returns what was done, or the
/// output's error if the output failed (the run then stops at once).
pub fn run(
    plan: &Plan,
    files: impl IntoIterator<Item = Result<Input, Error>, IntoIter: Send>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
) -> Result<Summary, RunFailure> {
    run_with(plan, files, output, on_error, &Options::default())
}

/// Run `plan` over `files` (see [`run`]) with explicit [`Options`].
///
/// With more than one thread, files are read in parallel, each by one worker, and results
/// are delivered exactly as a single-threaded run would: values in input order, errors in
/// input order, aggregates merged in input order. A plan whose stages keep state across
/// lines (`head`) runs on one thread, since its result depends on the order of all lines.
pub fn run_with(
    plan: &Plan,
    files: impl IntoIterator<Item = Result<Input, Error>, IntoIter: Send>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
    options: &Options,
) -> Result<Summary, RunFailure> {
    let compiled = Compiled::new(plan).map_err(RunFailure::Plan)?;
    let sequential =
        options.threads <= 1 || plan.stages.iter().any(|s| matches!(s, StageSpec::Head(_)));
    let files = files.into_iter();
    let result = if sequential {
        run_sequential(compiled, files, output, on_error)
    } else {
        parallel::run(plan, compiled, files, output, on_error, options)
    };
    result.map_err(RunFailure::Output)
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunFailure {
    /// The plan did not compile (nothing was read).
    #[error(transparent)]
    Plan(Error),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing the output: {0}")]
    Output(io::Error),
}

fn run_sequential(
    compiled: Compiled,
    files: impl Iterator<Item = Result<Input, Error>>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
) -> io::Result<Summary> {
    let mut runner = Runner::new(compiled, output);
    let mut failed_inputs = 0;
    let mut stopped_early = false;
    for file in files {
        let input = match file {
            Ok(input) => input.read_ahead(),
            Err(e) => {
                failed_inputs += 1;
                on_error(e);
                continue;
            }
        };
        match runner.input(input) {
            Ok(Flow::Go) => {}
            Ok(Flow::Stop) => {
                stopped_early = true;
                break;
            }
            Err(RunError::Input(e)) => {
                failed_inputs += 1;
                on_error(e);
            }
            Err(RunError::Output(e)) => return Err(e),
        }
    }
    Ok(Summary {
        aggregate: runner.aggregate,
        values: runner.values,
        failed_inputs,
        skips: runner.skips,
        stopped_early,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Find;
    use std::io::Write;

    /// A tree with plain and gzip files, one missing path and one corrupt file.
    fn tree() -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
        let d = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for f in 0..9 {
            let mut text = Vec::new();
            for i in 0..(700 * (f + 1)) {
                let bytes = if i % 17 == 0 {
                    "-".to_string()
                } else {
                    (i * f % 977).to_string()
                };
                writeln!(text, "host{f} GET /file{} {bytes}", i % 13).unwrap();
            }
            let p = d.path().join(format!("f{f}.log"));
            if f % 3 == 0 {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                e.write_all(&text).unwrap();
                let mut gz = e.finish().unwrap();
                if f == 6 {
                    gz.truncate(gz.len() * 2 / 3);
                }
                std::fs::write(&p, gz).unwrap();
            } else {
                std::fs::write(&p, text).unwrap();
            }
            paths.push(p);
        }
        paths.insert(4, d.path().join("missing.log"));
        (d, paths)
    }

    fn go(
        text: &str,
        paths: &[std::path::PathBuf],
        threads: usize,
    ) -> (Vec<String>, Summary, Vec<String>) {
        let plan = crate::query::parse(text).unwrap();
        let mut values = Vec::new();
        let mut out = |e: Emitted<'_>| {
            values.push(format!(
                "{}:{}:{}",
                e.input,
                e.line,
                String::from_utf8_lossy(e.value)
            ));
            Ok(())
        };
        let mut errors = Vec::new();
        let files = Files::found(Find::new(paths));
        let s = run_with(
            &plan,
            files,
            &mut out,
            &mut |e| errors.push(e.to_string()),
            &Options { threads },
        )
        .unwrap();
        (values, s, errors)
    }

    #[test]
    fn parallel_runs_equal_the_single_threaded_run() {
        let (_d, paths) = tree();
        for text in [
            "grep file1 | field -1",
            "field 3",
            "grep -v GET",
            "grep file1 | field -1 | sum",
            "field -1 | max",
            "field -1 | avg",
            "grep /file7 | count",
            "field 9 | count",
        ] {
            let (v1, s1, e1) = go(text, &paths, 1);
            for threads in [2, 3, 8] {
                let (v, s, e) = go(text, &paths, threads);
                assert_eq!(v, v1, "{text} with {threads} threads");
                assert_eq!(s.result(), s1.result(), "{text}");
                assert_eq!(s.values, s1.values, "{text}");
                assert_eq!(s.skips, s1.skips, "{text}");
                assert_eq!(s.failed_inputs, 2, "{text}");
                assert_eq!(e, e1, "{text}");
            }
        }
    }

    #[test]
    fn output_error_stops_a_parallel_run() {
        let (_d, paths) = tree();
        let plan = crate::query::parse("field 1").unwrap();
        let mut n = 0;
        let mut out = |_: Emitted<'_>| {
            n += 1;
            if n == 100 {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            } else {
                Ok(())
            }
        };
        let r = run_with(
            &plan,
            Files::found(Find::new(&paths)),
            &mut out,
            &mut |_| {},
            &Options { threads: 2 },
        );
        assert!(matches!(r, Err(RunFailure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe));
        assert_eq!(n, 100);
    }
}
