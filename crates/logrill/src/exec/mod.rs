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
mod skips;

pub use files::Files;
pub use skips::{SkipExample, Skips};

use std::io;

use crate::agg::{parse_number, AggValue, Aggregate};
use crate::error::{Error, InputName};
use crate::query::{Plan, StageSpec, Terminal};
use crate::source::{Input, LineReader};
use crate::stage::{Field, Grep, Head, SkipReason, Stage, Step};

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
    batch_grep: Option<Grep>,
    stages: Vec<Box<dyn Stage>>,
    terminal: Terminal,
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

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    Stop,
}

/// The per-run state the lines are pushed into.
struct Runner<'o> {
    compiled: Compiled,
    aggregate: Option<Aggregate>,
    needs_numbers: bool,
    output: &'o mut dyn Output,
    values: u64,
    skips: Skips,
}

impl Runner<'_> {
    #[inline]
    fn push(&mut self, input: &InputName, line_no: u64, line: &[u8]) -> io::Result<Flow> {
        let mut value = line;
        let mut last = false;
        for stage in self.compiled.stages.iter_mut() {
            match stage.apply(value) {
                Step::Pass(v) => value = v,
                Step::Last(v) => {
                    value = v;
                    last = true;
                }
                Step::Drop => return Ok(Flow::Go),
                Step::Skip(reason) => {
                    self.skips.add(reason, input, line_no, value);
                    return Ok(Flow::Go);
                }
                Step::Stop => return Ok(Flow::Stop),
            }
        }
        self.values += 1;
        match &mut self.aggregate {
            None => self.output.value(Emitted {
                input,
                line: line_no,
                value,
            })?,
            Some(agg) => {
                agg.add_item();
                if self.needs_numbers {
                    match parse_number(value) {
                        Some(n) => agg.add(n),
                        None => self.skips.add(SkipReason::NotANumber, input, line_no, value),
                    }
                }
            }
        }
        Ok(if last { Flow::Stop } else { Flow::Go })
    }

    /// Read one input to its end (or until a stage stops). Read errors are returned as
    /// library errors, after every complete line before them was pushed.
    fn input(&mut self, input: Input) -> Result<Flow, RunError> {
        let name = input.name().clone();
        let mut reader = LineReader::new(input);
        loop {
            let batch = match reader.next_batch() {
                Ok(Some(b)) => b,
                Ok(None) => return Ok(Flow::Go),
                Err(e) => {
                    let lines = reader.lines_read();
                    return Err(RunError::Input(reader.get_ref().read_error(e, lines)));
                }
            };
            let flow = match self.compiled.batch_grep.take() {
                Some(grep) => {
                    let flow = self.grep_batch(&grep, &name, batch);
                    self.compiled.batch_grep = Some(grep);
                    flow?
                }
                None => {
                    let mut flow = Flow::Go;
                    for (i, line) in batch.lines().enumerate() {
                        flow = self.push(&name, batch.first_line() + i as u64, line)?;
                        if flow == Flow::Stop {
                            break;
                        }
                    }
                    flow
                }
            };
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
    }

    fn grep_batch(
        &mut self,
        grep: &Grep,
        name: &InputName,
        batch: crate::source::Batch<'_>,
    ) -> io::Result<Flow> {
        let bytes = batch.as_bytes();
        let mut line_no = batch.first_line();
        let mut counted_to = 0;
        let mut flow = Ok(Flow::Go);
        grep.matching_lines(bytes, |start, line| {
            line_no += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count() as u64;
            counted_to = start;
            flow = self.push(name, line_no, line);
            matches!(flow, Ok(Flow::Go))
        });
        flow
    }
}

/// Why reading one input ended early.
enum RunError {
    Input(Error),
    Output(io::Error),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Output(e)
    }
}

/// Run `plan` over `files`. Each input problem is passed to `on_error` and the run goes
/// on; values go to `output`. Returns what was done, or the output's error if the output
/// failed (the run then stops at once).
pub fn run(
    plan: &Plan,
    files: impl IntoIterator<Item = Result<Input, Error>>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
) -> Result<Summary, RunFailure> {
    let compiled = Compiled::new(plan).map_err(RunFailure::Plan)?;
    run_compiled(compiled, files, output, on_error).map_err(RunFailure::Output)
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

/// Run an already compiled plan (see [`run`]).
pub fn run_compiled(
    compiled: Compiled,
    files: impl IntoIterator<Item = Result<Input, Error>>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
) -> io::Result<Summary> {
    let (aggregate, needs_numbers) = match compiled.terminal {
        Terminal::Values => (None, false),
        Terminal::Aggregate(kind) => (Some(Aggregate::new(kind)), kind.needs_numbers()),
    };
    let mut runner = Runner {
        compiled,
        aggregate,
        needs_numbers,
        output,
        values: 0,
        skips: Skips::default(),
    };
    let mut failed_inputs = 0;
    let mut stopped_early = false;
    for file in files {
        let input = match file {
            Ok(input) => input,
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
