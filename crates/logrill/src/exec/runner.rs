//! Pushing the lines of one input through the compiled stages into the terminal.

use std::io;

use crate::agg::{parse_number, Aggregate};
use crate::error::{Error, InputName};
use crate::source::{Batch, Input, LineReader};
use crate::stage::{Grep, SkipReason, Step};

use super::{Compiled, Emitted, Output, Skips};

/// Whether to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Go,
    Stop,
}

/// The per-run state the lines are pushed into.
pub(super) struct Runner<'o> {
    compiled: Compiled,
    pub(super) aggregate: Option<Aggregate>,
    needs_numbers: bool,
    pub(super) output: &'o mut dyn Output,
    pub(super) values: u64,
    pub(super) skips: Skips,
}

impl<'o> Runner<'o> {
    pub(super) fn new(compiled: Compiled, output: &'o mut dyn Output) -> Runner<'o> {
        let (aggregate, needs_numbers) = match compiled.terminal {
            crate::query::Terminal::Values => (None, false),
            crate::query::Terminal::Aggregate(kind) => {
                (Some(Aggregate::new(kind)), kind.needs_numbers())
            }
        };
        Runner {
            compiled,
            aggregate,
            needs_numbers,
            output,
            values: 0,
            skips: Skips::default(),
        }
    }

    /// Give back the compiled stages and what this runner gathered.
    pub(super) fn finish(self) -> (Compiled, Option<Aggregate>, u64, Skips) {
        (self.compiled, self.aggregate, self.values, self.skips)
    }

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
                        None => self
                            .skips
                            .add(SkipReason::NotANumber, input, line_no, value),
                    }
                }
            }
        }
        Ok(if last { Flow::Stop } else { Flow::Go })
    }

    /// Read one input to its end (or until a stage stops). Read errors are returned as
    /// library errors, after every complete line before them was pushed.
    pub(super) fn input(&mut self, input: Input) -> Result<Flow, RunError> {
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

    fn grep_batch(&mut self, grep: &Grep, name: &InputName, batch: Batch<'_>) -> io::Result<Flow> {
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
pub(super) enum RunError {
    Input(Error),
    Output(io::Error),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Output(e)
    }
}
