//! A whole pipeline as one sink: the push twin of [`Pipeline`](crate::Pipeline).
//!
//! [`Query::sink`] compiles a pipeline (built with the stage methods of [`Pipeline`](crate::Pipeline)
//! calls, or from text) into a [`PlanSink`]: send it lines, batches of lines, and close it
//! to get the same [`Results`] the pull side gives. It runs on the engine's push entry
//! ([`exec::Live`]), the one follow mode uses, so every stage of the language works here:
//! `parse`, `where`, aggregates with `by`, `sort`, `tee`, ... It is an ordinary line sink,
//! so it composes with the others (`sink::grep(.., plan_sink)`, [`broadcast`](super::broadcast),
//! [`threaded_lines`](super::threaded_lines)), and [`PlanSink::snapshot`] shows the running
//! results at any moment (what `-F` prints every second).
//!
//! What the pipeline gives goes to a sink of [`Event`]s: by default a collector of
//! [`Results`]; with [`Query::sink_into`], any other (a printer, a [`broadcast`](super::broadcast)
//! of two, a [`threaded`](super::threaded) one, a `sink::map(.., sink::collect())`), which
//! is closed with the plan sink and whose result the report holds. Where that sink answers
//! [`Flow::Stop`], the plan sink stops as it does after `head`.

use super::{Batch, Consumer, Flow, Sink, SinkError};
use crate::error::{Error, InputName};
use crate::exec::{Event, Live, LiveError, Options, Pushed};
use crate::lang::Query;
use crate::results::{Collector, Report, Results};
use crate::source::{Input, LineReader};

/// How many lines a `parse auto` looks at to choose its format (the engine's sample).
const AUTO_SAMPLE: usize = 20;

/// A compiled pipeline that lines are pushed into, its results going on to `O` (see the
/// module docs).
pub struct PlanSink<O = Collector> {
    live: Live,
    out: O,
    input: InputName,
    line: u64,
    errors: Vec<Error>,
    /// Lines kept while a `parse auto` waits for its sample, each with the input and line
    /// number it came with (the sample may span inputs).
    sample: Option<Vec<(InputName, u64, Vec<u8>)>>,
    stopped: bool,
}

impl Query {
    /// This pipeline as a sink, run with the default [`Options`] (see [`PlanSink`]).
    pub fn sink(&self) -> Result<PlanSink, Error> {
        self.sink_with(&Options::default())
    }

    /// This pipeline as a sink, with options (`strict`, `state_limit`).
    pub fn sink_with(&self, options: &Options) -> Result<PlanSink, Error> {
        let plan = self.plan()?;
        self.sink_into_with(Collector::for_plan(&plan), options)
    }

    /// This pipeline as a sink whose results go on, as [`Event`]s, into `out` (see the
    /// module docs): the push twin of [`Pipeline::run_into`](crate::Pipeline::run_into).
    pub fn sink_into<O>(&self, out: O) -> Result<PlanSink<O>, Error>
    where
        O: for<'e> Sink<Event<'e>>,
    {
        self.sink_into_with(out, &Options::default())
    }

    /// [`Query::sink_into`] with options.
    pub fn sink_into_with<O>(&self, out: O, options: &Options) -> Result<PlanSink<O>, Error>
    where
        O: for<'e> Sink<Event<'e>>,
    {
        let plan = self.plan()?;
        let live = Live::new(&plan, options)?;
        let sample = live.needs_format().then(Vec::new);
        Ok(PlanSink {
            live,
            out,
            input: InputName::Stdin,
            line: 0,
            errors: Vec::new(),
            sample,
            stopped: false,
        })
    }
}

impl PlanSink {
    /// The running results (aggregates, tables), leaving the run as it is. Values and
    /// records sent so far are in it too.
    pub fn snapshot(&mut self) -> Results {
        let mut now = self.out.empty_like();
        now.results.values.clone_from(&self.out.results.values);
        now.results.rows.clone_from(&self.out.results.rows);
        // A collector never fails.
        let _ = self.live.snapshot(&mut now);
        now.results
    }
}

impl<O: for<'e> Sink<Event<'e>>> PlanSink<O> {
    /// Name the input the next lines come from (for error messages and line numbers,
    /// which start again at 1).
    pub fn input(&mut self, name: InputName) {
        self.input = name;
        self.line = 0;
    }

    fn push(&mut self, line: &[u8]) -> Result<Flow, SinkError> {
        if self.stopped {
            return Ok(Flow::Stop);
        }
        self.line += 1;
        if let Some(sample) = &mut self.sample {
            sample.push((self.input.clone(), self.line, line.to_vec()));
            if sample.len() < AUTO_SAMPLE {
                return Ok(Flow::Continue);
            }
            return self.choose_format();
        }
        self.push_numbered(line)
    }

    fn push_numbered(&mut self, line: &[u8]) -> Result<Flow, SinkError> {
        match self.live.push(&self.input, self.line, line, &mut self.out) {
            Ok(Pushed::More) => Ok(Flow::Continue),
            Ok(Pushed::Done) => {
                self.stopped = true;
                Ok(Flow::Stop)
            }
            Err(LiveError::Input(e)) => {
                let ends = e.ends_run();
                self.errors.push(e);
                if ends {
                    self.stopped = true;
                    Ok(Flow::Stop)
                } else {
                    Ok(Flow::Continue)
                }
            }
            Err(LiveError::Output(e)) => Err(SinkError::Write(e)),
        }
    }

    /// Choose the `parse auto` format from the kept lines, then push them.
    fn choose_format(&mut self) -> Result<Flow, SinkError> {
        let Some(sample) = self.sample.take() else {
            return Ok(Flow::Continue);
        };
        let lines: Vec<&[u8]> = sample.iter().map(|(_, _, l)| l.as_slice()).collect();
        self.live.choose_format(&lines)?;
        // Each kept line is pushed under the input and number it came with; then the
        // input at hand goes on where it was.
        let (input, line) = (self.input.clone(), self.line);
        for (name, number, text) in &sample {
            self.input = name.clone();
            self.line = *number;
            if self.push_numbered(text)?.is_stop() {
                (self.input, self.line) = (input, line);
                return Ok(Flow::Stop);
            }
        }
        (self.input, self.line) = (input, line);
        Ok(Flow::Continue)
    }
}

impl<O: for<'e> Sink<Event<'e>>> Consumer for PlanSink<O> {
    type Output = Report<O::Output>;

    /// Final results: aggregates and tables complete, and every problem met.
    fn close(mut self) -> Result<Report<O::Output>, SinkError> {
        if self.sample.as_ref().is_some_and(|s| !s.is_empty()) {
            self.choose_format()?;
        }
        let mut errors = std::mem::take(&mut self.errors);
        let mut out = self.out;
        let summary = self
            .live
            .finish(&mut out, &mut |e| errors.push(e))
            .map_err(SinkError::Write)?;
        Ok(Report::from_summary(out.close()?, errors, summary))
    }
}

impl<'a, O: for<'e> Sink<Event<'e>>> Sink<&'a [u8]> for PlanSink<O> {
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        self.push(line)
    }
}

impl<'a, O: for<'e> Sink<Event<'e>>> Sink<Batch<'a>> for PlanSink<O> {
    /// A whole batch goes through the engine's batch loop (a leading `grep` searches it in
    /// one pass), unless `parse auto` still waits for its sample.
    fn send(&mut self, batch: Batch<'a>) -> Result<Flow, SinkError> {
        if self.stopped {
            return Ok(Flow::Stop);
        }
        if self.sample.is_none() {
            let first = self.line + 1;
            let errors = &mut self.errors;
            let pushed = self.live.push_batch(
                &self.input,
                first,
                batch.as_bytes(),
                &mut self.out,
                |_, _, _| {},
                &mut |e| errors.push(e),
            );
            // The batch loop's own count when it walked every line, else counted here.
            self.line += self.live.walked_lines().unwrap_or_else(|| batch.len());
            if pushed.map_err(SinkError::Write)? == Pushed::Done {
                self.stopped = true;
                return Ok(Flow::Stop);
            }
            return Ok(Flow::Continue);
        }
        for line in batch.lines() {
            if self.push(line)?.is_stop() {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

/// Run `query` over `inputs` by pushing: each input's lines are sent into one
/// [`PlanSink`] (named, numbered from 1); an input that cannot be opened or read to the end
/// is kept in the report (the lines before the damage were sent) and the next input is
/// read. The push twin of [`Pipeline::run`](crate::Pipeline::run).
pub fn run_pushed(
    query: &Query,
    inputs: impl IntoIterator<Item = Result<Input, Error>>,
) -> Result<Report<Results>, SinkError> {
    let mut sink = query.sink()?;
    let mut failed = Vec::new();
    'inputs: for input in inputs {
        let input = match input {
            Ok(i) => i,
            Err(e) => {
                failed.push(e);
                continue;
            }
        };
        sink.input(input.name().clone());
        let mut reader = LineReader::new(input);
        loop {
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    if sink.send(batch)?.is_stop() {
                        break 'inputs;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let lines = reader.lines_read();
                    failed.push(reader.get_ref().read_error(e, lines));
                    break;
                }
            }
        }
    }
    let mut report = sink.close()?;
    failed.append(&mut report.errors);
    report.errors = failed;
    Ok(report)
}
