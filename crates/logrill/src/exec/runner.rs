//! Reading one input and pushing its lines through a compiled chain.

use crate::error::InputName;
use crate::record::Record;
use crate::source::{Input, LineReader};

use super::chain::{Ctx, Stats};
use super::flow::{Flow, RunError};
use super::op::Item;
use super::{Compiled, Events};

/// Lines of sample `parse auto` looks at.
pub const AUTO_SAMPLE: usize = 20;

pub(crate) struct Runner<'o> {
    pub compiled: Compiled,
    pub output: &'o mut dyn Events,
    pub stats: Stats,
    /// Longest line read.
    pub max_line: usize,
    /// Stop reading when set (see [`super::Options::cancel`]).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Lines of the last input read to its end (a piece's line count, see
    /// [`crate::source::pieces`]).
    pub lines: u64,
    /// The record `parse` fills, kept between batches (see [`Chain::push`]).
    scratch: Record<'static>,
}

impl<'o> Runner<'o> {
    pub(crate) fn new(compiled: Compiled, output: &'o mut dyn Events, stats: Stats) -> Runner<'o> {
        Runner {
            compiled,
            output,
            stats,
            max_line: crate::source::lines::DEFAULT_MAX_LINE,
            cancel: None,
            lines: 0,
            scratch: Record::new(),
        }
    }

    /// Give back the compiled plan (with its partial results) and the counters.
    pub(crate) fn finish(self) -> (Compiled, Stats) {
        (self.compiled, self.stats)
    }

    /// Read one input to its end (or until the pipeline stops). Read errors are returned
    /// after every complete line before them was pushed.
    pub(crate) fn input(&mut self, input: Input) -> Result<Flow, RunError> {
        let name = input.name().clone();
        let mut reader = LineReader::new(input).max_line_bytes(self.max_line);
        loop {
            if super::cancelled(&self.cancel) {
                return Ok(Flow::Stop);
            }
            let batch = match reader.next_batch() {
                Ok(Some(b)) => b,
                Ok(None) => {
                    self.lines = reader.lines_read();
                    note_too_long(&mut self.stats, &name, reader.take_too_long());
                    return Ok(Flow::Go);
                }
                Err(e) => {
                    let lines = reader.lines_read();
                    return Err(RunError::Input(reader.get_ref().read_error(e, lines)));
                }
            };
            if self.compiled.chain.needs_auto() {
                let sample: Vec<&[u8]> = batch.lines().take(AUTO_SAMPLE).collect();
                let chosen = self
                    .compiled
                    .resolve_auto(&sample)
                    .map_err(RunError::Input)?;
                self.stats.notes.extend(chosen);
            }
            let mut scratch = std::mem::take(&mut self.scratch).recycle();
            // The leading grep, if any, is lent to the batch loop while the plan runs.
            let grep = self.compiled.batch_grep.take();
            let mut flow = Ok(Flow::Go);
            let walked = super::batch::each_line(
                grep.as_ref(),
                batch.as_bytes(),
                batch.first_line(),
                // The common answer is checked where it was returned: copying every
                // line's whole result into `flow` first read back bytes just stored in
                // smaller pieces, a stall that was half of this loop's time.
                |line_no, _, line| match self.push(&name, line_no, line, &mut scratch) {
                    Ok(Flow::Go) => true,
                    other => {
                        flow = other;
                        false
                    }
                },
            );
            self.compiled.batch_grep = grep;
            self.scratch = scratch.recycle();
            if let Some(lines) = walked {
                reader.walked(lines);
            }
            if flow? == Flow::Stop {
                return Ok(Flow::Stop);
            }
            note_too_long(&mut self.stats, &name, reader.take_too_long());
        }
    }

    #[inline]
    fn push<'b>(
        &mut self,
        name: &InputName,
        line_no: u64,
        line: &'b [u8],
        scratch: &mut Record<'b>,
    ) -> Result<Flow, RunError> {
        let mut ctx = Ctx {
            input: name,
            line_no,
            output: &mut *self.output,
            stats: &mut self.stats,
        };
        self.compiled
            .chain
            .push(&mut ctx, Item::line(line, Some(scratch)))
    }
}

fn note_too_long(stats: &mut Stats, name: &InputName, lines: Vec<u64>) {
    for line in lines {
        stats
            .skips
            .add(crate::stage::SkipReason::LineTooLong, name, line, b"");
    }
}
