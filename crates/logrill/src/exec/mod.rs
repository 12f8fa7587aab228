//! Running a [`Plan`] over inputs in batch mode.
//!
//! The executor pulls batches of complete lines from each input in turn (the seed's
//! `gen_cat`) and pushes each line through the compiled pipeline: [`chain`] compiles a
//! plan into the operators of `op`, one type each (line stages, `parse`, `where`,
//! `select`, `head`, and an end: values, the seed's aggregate, records, a table for groups
//! or `sort`, or `tee` branches), dispatched over closed enums. A batch run, each parallel
//! worker, and a [`live::Live`] run given a batch (follow mode, a `PlanSink` sent batches)
//! take a batch of lines to the plan through the one loop of `batch`: when the first
//! stage is a `grep`, each whole batch is searched in one pass and only the matching lines
//! go on (see [`Grep::matching_lines`]), with their line numbers.
//!
//! What a run gives goes out as [`Event`]s into a [`Sink`](crate::sink::Sink) of them
//! (see [`event`]): the one push abstraction of the crate, so any sink takes a plan's
//! output, and a sink that answers [`Flow::Stop`](crate::sink::Flow::Stop) ends the run
//! as `head` does.
//!
//! Problems with one input are handed to the caller's error handler and the run goes on
//! with the next input: nothing already read is lost. Only a failing *output* (a closed
//! pipe) ends the run early, returned as an `io::Error`.

mod batch;
mod chain;
pub mod event;
mod files;
mod flow;
pub mod live;
mod op;
mod parallel;
pub mod partial;
mod runner;
mod skips;
mod stats;
pub mod table;

pub use event::{output_error, values, Event, Events, Values};
pub use files::Files;
pub use live::{Live, LiveError, Pushed};
pub use partial::{PartialError, PartialResult};
pub use skips::{SkipExample, Skips};
pub use table::DEFAULT_STATE_LIMIT;

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::agg::AggValue;
use crate::error::{Error, InputName};
use crate::query::{Plan, StageSpec};
use crate::source::Input;
use crate::stage::parse::{Failures, Mismatch};
use crate::stage::Grep;

use chain::{Chain, CompileOptions, Stats};
use flow::{Flow, RunError};
use runner::Runner;

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

/// What a run did.
#[derive(Debug)]
pub struct Summary {
    /// The seed aggregate's result, for a pipeline that ends in one.
    pub aggregate: Option<AggValue>,
    /// How many values or records reached the end of the pipeline.
    pub values: u64,
    /// How many inputs failed (could not be opened, or failed while being read).
    pub failed_inputs: u64,
    /// Values skipped, by reason.
    pub skips: Skips,
    /// Lines `parse` could not read, by reason, with the first few.
    pub parse_failures: Failures,
    /// The same in words, a line each, for stderr (empty when every line parsed).
    pub parse_report: Vec<String>,
    /// Most lines did not parse ([`Failures::mostly_failed`]): the format is likely wrong,
    /// and this says which one the lines have. A run with a mismatch [`Summary::failed`].
    pub format_mismatch: Option<Mismatch>,
    /// Things worth telling the user (what `parse auto` chose).
    pub notes: Vec<String>,
    /// Fields the pipeline names that no record had, with a hint, a line each (after a
    /// JSON or logfmt `parse`, whose records name their own fields: see
    /// [`crate::query::names::Unseen`]). One close to a name that was seen is likely
    /// misspelled ([`Summary::failed`]); another may just not occur in these logs.
    pub unseen_fields: Vec<crate::query::names::UnseenField>,
    /// Whether a stage (`head`) ended the run before the inputs ended.
    pub stopped_early: bool,
    /// Whether the run was cancelled ([`Options::cancel`]): results are partial.
    pub interrupted: bool,
}

impl Summary {
    /// The seed aggregate's result, if the pipeline ends in one.
    pub fn result(&self) -> Option<AggValue> {
        self.aggregate
    }

    /// Whether the run went wrong, so that its exit status must say so: an input failed,
    /// most lines did not parse (the answer covers only the few that did), or a field the
    /// pipeline names was in no record and is close to one that was (misspelled).
    pub fn failed(&self) -> bool {
        self.failed_inputs > 0
            || self.format_mismatch.is_some()
            || self.unseen_fields.iter().any(|f| f.likely_typo)
    }
}

/// A plan compiled for one thread.
pub struct Compiled {
    /// A leading grep searched batch-wide.
    pub(crate) batch_grep: Option<Grep>,
    pub(crate) chain: Chain,
    /// The plan, kept while a `parse auto` waits for its sample: its field names are
    /// checked once the parser is chosen (see [`crate::query::names::check_resolved`]).
    pub(crate) auto_plan: Option<Plan>,
}

impl Compiled {
    /// Compile a plan. Fails on what the parser does not check itself when a plan is built
    /// by hand (a bad regex, field 0).
    pub fn new(plan: &Plan) -> Result<Compiled, Error> {
        Compiled::with(plan, &Options::default())
    }

    fn with(plan: &Plan, options: &Options) -> Result<Compiled, Error> {
        // A leading grep of lines is searched batch-wide (not with -v: that finds lines
        // that do *not* match).
        let lead = match plan.stages.first() {
            Some(StageSpec::Grep { pattern, options }) if !options.invert => {
                Some(Grep::new(pattern, *options).map_err(|e| {
                    Error::Query(crate::query::QueryError {
                        text: String::new(),
                        column: 0,
                        message: format!("bad regular expression: {e}"),
                    })
                })?)
            }
            _ => None,
        };
        let mut chain_plan = plan.clone();
        if lead.is_some() {
            chain_plan.stages.remove(0);
        }
        let chain = Chain::for_plan(
            &chain_plan,
            CompileOptions {
                strict: options.strict,
            },
        )?;
        let auto_plan = chain.needs_auto().then(|| plan.clone());
        Ok(Compiled {
            batch_grep: lead,
            auto_plan,
            chain,
        })
    }
}

impl Compiled {
    /// Whether a `parse auto` (in `tee` branches too) still waits for sample lines.
    pub fn needs_auto(&self) -> bool {
        self.chain.needs_auto()
    }

    /// Choose the parser of every `parse auto` from `sample` (the first lines read), then
    /// check the fields the pipeline names against the chosen formats (see
    /// [`crate::query::names::check_resolved`]). Returns what was chosen, a line each.
    pub fn resolve_auto(&mut self, sample: &[&[u8]]) -> Result<Vec<String>, Error> {
        let chosen = self.chain.resolve_auto(sample)?;
        if let Some(plan) = self.auto_plan.take() {
            let fields: Vec<_> = self
                .chain
                .parsers()
                .iter()
                .map(|p| crate::query::names::Fields::of_parser(p))
                .collect();
            crate::query::names::check_resolved(&plan, &fields)?;
        }
        Ok(chosen)
    }
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads for reading files in parallel (1: everything on the calling thread).
    pub threads: usize,
    /// Make the first line `parse` cannot read an error of its input.
    pub strict: bool,
    /// Most groups and kept values a pipeline may hold (see [`table`]).
    pub state_limit: usize,
    /// Longest line read; a longer one is skipped and counted (see
    /// [`crate::source::LineReader::max_line_bytes`]).
    pub max_line_bytes: usize,
    /// Set from elsewhere (a signal handler, another thread) to stop reading: the run
    /// ends after the batch at hand, with what it gathered so far (marked
    /// [`Summary::interrupted`]).
    pub cancel: Option<Arc<AtomicBool>>,
    /// When one plain file is read in pieces by several threads (see
    /// [`crate::source::pieces`]).
    pub split: crate::source::pieces::Split,
}

impl Default for Options {
    /// As many threads as the machine has cores.
    fn default() -> Options {
        Options {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            strict: false,
            state_limit: DEFAULT_STATE_LIMIT,
            max_line_bytes: crate::source::lines::DEFAULT_MAX_LINE,
            cancel: None,
            split: crate::source::pieces::Split::default(),
        }
    }
}

/// Run `plan` over `files` with the default [`Options`]. Each input problem is passed to
/// `on_error` and the run goes on; results go to `output` (any sink of [`Event`]s, as
/// `&mut sink`). Returns what was done, or the
/// output's error if the output failed (the run then stops at once).
pub fn run(
    plan: &Plan,
    files: impl IntoIterator<Item = Result<Input, Error>, IntoIter: Send>,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
) -> Result<Summary, RunFailure> {
    run_with(plan, files, output, on_error, &Options::default())
}

/// Run `plan` over `files` (see [`run`]) with explicit [`Options`].
///
/// With more than one thread, files are read in parallel, each by one worker (a large plain
/// file in pieces, see [`Options::split`]), and results are delivered exactly as a
/// single-threaded run would: values in input order, errors in input order, aggregates and
/// tables merged in input order. Pipelines whose result depends on the order of all lines
/// (`head` before an aggregate) or stream records (also inside `tee`) run on one thread; so
/// does `parse auto`, unless its first input is a plain file read in pieces.
pub fn run_with(
    plan: &Plan,
    files: impl IntoIterator<Item = Result<Input, Error>, IntoIter: Send>,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
    options: &Options,
) -> Result<Summary, RunFailure> {
    let mut compiled = Compiled::with(plan, options).map_err(RunFailure::Plan)?;
    let mut files = files.into_iter();
    // `parse auto` may choose before the run (see `parallel::resolve_auto_ahead`).
    let mut first = None;
    let mut auto = None;
    if options.threads > 1 && compiled.needs_auto() {
        first = files.next();
        if let Some(Ok(input)) = &first {
            auto = parallel::resolve_auto_ahead(plan, &mut compiled, input, options);
        }
    }
    let files = first.into_iter().chain(files);
    let sequential = options.threads <= 1 || !compiled.chain.parallel_safe();
    let result = if sequential {
        run_sequential(compiled, files, output, on_error, options)
    } else {
        parallel::run(plan, compiled, files, output, on_error, options, auto).map(|mut s| {
            s.interrupted = cancelled(&options.cancel);
            s
        })
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

/// The end of a run: the chain's end-of-input work, and the summary.
fn conclude(
    mut compiled: Compiled,
    mut stats: Stats,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
    mut failed_inputs: u64,
    stopped_early: bool,
) -> io::Result<Summary> {
    // A table cut short by the state limit is not printed as if it were the answer.
    let finish = if stats.over_limit {
        Ok(Flow::Go)
    } else {
        compiled.chain.finish(output, &mut stats)
    };
    let mut stopped_early = stopped_early;
    match finish {
        Ok(Flow::Go) => {}
        // The output wants no more: as when a stage stops the run.
        Ok(Flow::Stop) => stopped_early = true,
        Err(RunError::Output(e)) => return Err(e),
        Err(RunError::Input(e)) => {
            failed_inputs += 1;
            on_error(e);
        }
    }
    // Failures are described by the parser that met them; when `tee` branches parse
    // with different formats, only their number is given.
    let parsers = compiled.chain.parsers();
    let mut format_mismatch = None;
    let parse_report = match parsers.split_first() {
        Some((first, rest)) if rest.iter().all(|p| p.name() == first.name()) => {
            format_mismatch = stats.failures.mismatch(first);
            stats.failures.report(first)
        }
        Some(_) if !stats.failures.is_empty() => vec![format!(
            "parse: {} not parsed (by the parsers of several tee branches)",
            crate::plural(stats.failures.total(), "line", "lines")
        )],
        _ => Vec::new(),
    };
    Ok(Summary {
        interrupted: false,
        parse_report,
        format_mismatch,
        aggregate: compiled.chain.seed_result(),
        values: stats.values,
        failed_inputs,
        skips: stats.skips,
        parse_failures: stats.failures,
        unseen_fields: stats.unseen.report(),
        notes: stats.notes,
        stopped_early,
    })
}

fn run_sequential(
    compiled: Compiled,
    files: impl Iterator<Item = Result<Input, Error>>,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
    options: &Options,
) -> io::Result<Summary> {
    let mut runner = Runner::new(compiled, output, Stats::new(options.state_limit));
    runner.max_line = options.max_line_bytes;
    runner.cancel = options.cancel.clone();
    let mut failed_inputs = 0;
    let mut stopped_early = false;
    for file in files {
        if cancelled(&options.cancel) {
            break;
        }
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
                let flow = runner.stats.input_failed(&e);
                on_error(e);
                if flow == Flow::Stop {
                    break;
                }
            }
            Err(RunError::Output(e)) => return Err(e),
        }
    }
    let (compiled, stats) = runner.finish();
    let mut summary = conclude(
        compiled,
        stats,
        output,
        on_error,
        failed_inputs,
        stopped_early,
    )?;
    summary.interrupted = cancelled(&options.cancel);
    Ok(summary)
}

/// Whether a cancel flag is set.
pub(crate) fn cancelled(flag: &Option<Arc<AtomicBool>>) -> bool {
    flag.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Find;
    use std::io::Write;
    use values as values_of;

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
        let mut out = values_of(|e: Emitted<'_>| {
            values.push(format!(
                "{}:{}:{}",
                e.input,
                e.line,
                String::from_utf8_lossy(e.value)
            ));
            Ok(crate::sink::Flow::Continue)
        });
        let mut errors = Vec::new();
        let files = Files::found(Find::new(paths));
        let s = run_with(
            &plan,
            files,
            &mut out,
            &mut |e| errors.push(e.to_string()),
            &Options {
                threads,
                ..Options::default()
            },
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
        let mut out = values(|_: Emitted<'_>| {
            n += 1;
            if n == 100 {
                Err(io::Error::from(io::ErrorKind::BrokenPipe))
            } else {
                Ok(crate::sink::Flow::Continue)
            }
        });
        let r = run_with(
            &plan,
            Files::found(Find::new(&paths)),
            &mut out,
            &mut |_| {},
            &Options {
                threads: 2,
                ..Options::default()
            },
        );
        assert!(matches!(r, Err(RunFailure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe));
        assert_eq!(n, 100);
    }
}
