//! Running a plan over lines that keep coming (follow mode): the push side of the engine.
//!
//! A [`Live`] run takes lines as the caller gets them ([`Live::push`]), can show its running
//! results at any moment without disturbing them ([`Live::snapshot`]), and gives its final
//! results when the caller closes it ([`Live::finish`]). The caller owns the waiting (a
//! follower, a socket, a channel), so the same engine serves `tail -F`, a message broker or
//! a test.

use std::io;

use super::chain::Stats;
use super::flow::{Flow, RunError};
use super::op::Item;
use super::{conclude, Compiled, Events, Options, Summary};
use crate::error::{Error, InputName};
use crate::query::Plan;

/// A plan running over pushed lines.
pub struct Live {
    compiled: Compiled,
    stats: Stats,
    failed: u64,
    stopped: bool,
    /// How many lines the last [`Live::push_batch`] walked, when it walked them all.
    walked: Option<u64>,
}

/// What pushing a line gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Go on.
    More,
    /// The pipeline wants no more lines (`head` reached its count).
    Done,
}

impl Live {
    /// Compile `plan` for a live run.
    pub fn new(plan: &Plan, options: &Options) -> Result<Live, Error> {
        Ok(Live {
            compiled: Compiled::with(plan, options)?,
            stats: Stats::new(options.state_limit),
            failed: 0,
            stopped: false,
            walked: None,
        })
    }

    /// Whether the pipeline has a `parse auto` still waiting for sample lines: give it
    /// some with [`Live::choose_format`] before pushing lines (pushed lines would find no
    /// parser).
    pub fn needs_format(&self) -> bool {
        self.compiled.needs_auto()
    }

    /// Choose the format of every `parse auto` from the first lines that came (up to
    /// [`super::runner::AUTO_SAMPLE`] of them are looked at), and check the fields the
    /// pipeline names against it. Returns what was chosen, a line each; an error ends the
    /// run (no format fits, or the pipeline names a field the format lacks).
    pub fn choose_format(&mut self, sample: &[&[u8]]) -> Result<Vec<String>, Error> {
        let n = sample.len().min(super::runner::AUTO_SAMPLE);
        self.compiled.resolve_auto(&sample[..n])
    }

    /// Push one line that came from `input` (`line_no` 0 when unknown). Values and
    /// records go to `output` at once. A problem with the line itself (a `--strict` parse
    /// failure, the state limit) is returned as [`LiveError::Input`]; a failing output as
    /// [`LiveError::Output`].
    ///
    /// The line is one line whatever it holds (see [`super::batch::one_line`]: a NATS
    /// message of JSON printed over several lines is one record): its line end (`\n`,
    /// `\r\n`) is trimmed as a reader trims it, and a leading `grep` decides as it does
    /// for a batch.
    pub fn push(
        &mut self,
        input: &InputName,
        line_no: u64,
        line: &[u8],
        output: &mut dyn Events,
    ) -> Result<Pushed, LiveError> {
        match super::batch::one_line(self.compiled.batch_grep.as_ref(), line) {
            Some(line) => self.push_line(input, line_no, line, output),
            None => Ok(Pushed::More),
        }
    }

    /// Push one line the batch loop let through.
    fn push_line(
        &mut self,
        input: &InputName,
        line_no: u64,
        line: &[u8],
        output: &mut dyn Events,
    ) -> Result<Pushed, LiveError> {
        if self.stopped {
            return Ok(Pushed::Done);
        }
        let mut ctx = super::chain::Ctx {
            input,
            line_no,
            output,
            stats: &mut self.stats,
        };
        match self.compiled.chain.push(&mut ctx, Item::line(line, None)) {
            Ok(Flow::Go) => Ok(Pushed::More),
            Ok(Flow::Stop) => {
                self.stopped = true;
                Ok(Pushed::Done)
            }
            Err(RunError::Input(e)) => {
                self.failed += 1;
                self.stats.input_failed(&e);
                Err(LiveError::Input(e))
            }
            Err(RunError::Output(e)) => Err(LiveError::Output(e)),
        }
    }

    /// Push the complete lines of one read (`bytes`: lines ending in `\n`, the last perhaps
    /// not, as a follower's batch holds them), the first numbered `first_line` (0: unknown).
    /// A leading `grep` searches the whole read in one pass, as a batch run does, so only
    /// the lines it keeps cost a step each. Before each line that reaches the pipeline,
    /// `at_line(output, start, len)` says where it is in `bytes` (a sink that names each
    /// record by its place uses it). A problem with a line goes to `on_error` and the rest
    /// of the read goes on, unless the problem ends the run; then, as when the pipeline
    /// wants no more lines, the answer is [`Pushed::Done`]. A failing output is returned.
    pub fn push_batch<O: Events>(
        &mut self,
        input: &InputName,
        first_line: u64,
        bytes: &[u8],
        output: &mut O,
        mut at_line: impl FnMut(&mut O, usize, usize),
        on_error: &mut dyn FnMut(Error),
    ) -> io::Result<Pushed> {
        if bytes.is_empty() {
            self.walked = Some(0);
            return Ok(Pushed::More);
        }
        let mut result = Ok(Pushed::More);
        // The leading grep, if any, is lent to the batch loop while the plan runs.
        let grep = self.compiled.batch_grep.take();
        self.walked =
            super::batch::each_line(grep.as_ref(), bytes, first_line, |line_no, start, line| {
                at_line(output, start, line.len());
                match self.push_line(input, line_no, line, output) {
                    Ok(Pushed::More) => true,
                    Ok(Pushed::Done) => {
                        result = Ok(Pushed::Done);
                        false
                    }
                    Err(LiveError::Input(e)) => {
                        let ends_run = e.ends_run();
                        on_error(e);
                        if ends_run {
                            result = Ok(Pushed::Done);
                        }
                        !ends_run
                    }
                    Err(LiveError::Output(e)) => {
                        result = Err(e);
                        false
                    }
                }
            });
        self.compiled.batch_grep = grep;
        result
    }

    /// How many lines the last [`Live::push_batch`] walked: every line of its bytes, or
    /// `None` when it did not walk them all (a leading `grep`, a stop), so that a caller
    /// numbering lines need not count them again.
    pub fn walked_lines(&self) -> Option<u64> {
        self.walked
    }

    /// Write the running results (aggregates, tables) to `output`, leaving the run as it
    /// is. Pipelines that end in values or records have nothing to show here: their output
    /// went out as it came.
    pub fn snapshot(&mut self, output: &mut dyn Events) -> io::Result<()> {
        // Rows pushed through a table's follow-on stages are not input: count them apart.
        let mut scratch = Stats::new(self.stats.state_limit);
        match self.compiled.chain.snapshot(output, &mut scratch) {
            Ok(_) | Err(RunError::Input(_)) => Ok(()),
            Err(RunError::Output(e)) => Err(e),
        }
    }

    /// Whether the pipeline has running results to show (it ends in an aggregate, a
    /// table or `tee`).
    pub fn has_snapshot(&self) -> bool {
        self.compiled.chain.gathers()
    }

    /// Close the run: final results to `output`, and what was done.
    pub fn finish(
        self,
        output: &mut dyn Events,
        on_error: &mut dyn FnMut(Error),
    ) -> io::Result<Summary> {
        conclude(
            self.compiled,
            self.stats,
            output,
            on_error,
            self.failed,
            self.stopped,
        )
    }
}

/// Why a pushed line could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The line (or the state it adds) is at fault; the run can go on.
    #[error(transparent)]
    Input(Error),
    /// The output failed.
    #[error("writing the output: {0}")]
    Output(io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Event;
    use crate::AggValue;

    #[derive(Default)]
    struct Collect {
        values: Vec<String>,
        lines: Vec<u64>,
        aggregates: Vec<(String, AggValue)>,
        rows: Vec<String>,
    }

    impl crate::sink::Consumer for Collect {
        type Output = ();
        fn close(self) -> Result<(), crate::sink::SinkError> {
            Ok(())
        }
    }

    impl<'a> crate::sink::Sink<Event<'a>> for Collect {
        fn send(&mut self, e: Event<'a>) -> Result<crate::sink::Flow, crate::sink::SinkError> {
            match e {
                Event::Value(v) => {
                    self.values
                        .push(String::from_utf8_lossy(v.value).into_owned());
                    self.lines.push(v.line);
                }
                Event::Aggregate { name, value } => self.aggregates.push((name.to_string(), value)),
                Event::Record { record, .. } => self.rows.push(record.to_json().to_string()),
                _ => {}
            }
            Ok(crate::sink::Flow::Continue)
        }
    }

    fn live(text: &str) -> Live {
        Live::new(&crate::query::parse(text).unwrap(), &Options::default()).unwrap()
    }

    #[test]
    fn values_go_out_as_they_come_and_head_stops() {
        let mut l = live("grep GET | field 2 | head 2");
        let mut out = Collect::default();
        let name = InputName::Stdin;
        let mut results = Vec::new();
        for line in ["GET /a", "POST /b", "GET /c", "GET /d"] {
            results.push(l.push(&name, 0, line.as_bytes(), &mut out).unwrap());
        }
        assert_eq!(out.values, ["/a", "/c"]);
        assert_eq!(
            results,
            [Pushed::More, Pushed::More, Pushed::Done, Pushed::Done]
        );
    }

    #[test]
    fn snapshots_show_running_results_without_disturbing_them() {
        let mut l = live("parse logfmt | count, sum ms by svc | sort svc");
        assert!(l.has_snapshot());
        let name = InputName::Stdin;
        let mut sink = Collect::default();
        for line in ["svc=a ms=5", "svc=b ms=7", "svc=a ms=1"] {
            l.push(&name, 0, line.as_bytes(), &mut sink).unwrap();
        }
        let mut first = Collect::default();
        l.snapshot(&mut first).unwrap();
        assert_eq!(
            first.rows,
            [
                r#"{"svc":"a","count":2,"sum_ms":6}"#,
                r#"{"svc":"b","count":1,"sum_ms":7}"#
            ]
        );
        l.push(&name, 0, b"svc=b ms=3", &mut sink).unwrap();
        let mut second = Collect::default();
        l.snapshot(&mut second).unwrap();
        assert_eq!(second.rows[1], r#"{"svc":"b","count":2,"sum_ms":10}"#);
        let mut last = Collect::default();
        let summary = l.finish(&mut last, &mut |_| {}).unwrap();
        assert_eq!(last.rows, second.rows);
        assert_eq!(summary.values, 4);
    }

    #[test]
    fn seed_aggregate_snapshot_and_finish() {
        let mut l = live("field -1 | sum");
        let name = InputName::Stdin;
        let mut sink = Collect::default();
        for line in ["a 1", "b 2", "c -"] {
            l.push(&name, 0, line.as_bytes(), &mut sink).unwrap();
        }
        let mut snap = Collect::default();
        l.snapshot(&mut snap).unwrap();
        assert_eq!(snap.aggregates, [("sum".to_string(), AggValue::Int(3))]);
        let mut fin = Collect::default();
        let s = l.finish(&mut fin, &mut |_| {}).unwrap();
        assert_eq!(fin.aggregates, snap.aggregates);
        assert_eq!(s.skips.total(), 1);
    }

    #[test]
    fn a_field_unknown_to_the_format_parse_auto_chose_points_at_its_column() {
        // Found after parsing (the format is chosen from the first lines), yet the error
        // still points at the stage's field in the pipeline text.
        let text = "parse auto | where stauts >= 500 | count";
        let mut l = live(text);
        assert!(l.needs_format());
        let line: &[u8] = br#"1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2"#;
        match l.choose_format(&[line]) {
            Err(Error::Query(e)) => {
                assert_eq!(e.column, text.find("stauts").unwrap() + 1, "{e}");
                assert!(e.message.contains("did you mean `status`?"), "{e}");
            }
            other => panic!("expected a pipeline error, got {other:?}"),
        }
    }

    #[test]
    fn a_batch_is_searched_whole_and_its_lines_keep_their_numbers() {
        let bytes = b"GET /a\nPOST /b\r\nGET /c\r\nGET";
        for (text, values, lines, starts) in [
            // The leading grep searches the batch in one pass; only kept lines step.
            (
                "grep GET | field 2",
                &["/a", "/c"][..],
                &[10, 12][..],
                &[0, 16][..],
            ),
            (
                "field 2",
                &["/a", "/b", "/c"][..],
                &[10, 11, 12][..],
                &[0, 7, 16][..],
            ),
        ] {
            let mut l = live(text);
            let mut out = Collect::default();
            let mut seen = Vec::new();
            let mut errors = Vec::new();
            let pushed = l
                .push_batch(
                    &InputName::Stdin,
                    10,
                    bytes,
                    &mut out,
                    |_, start, _| seen.push(start),
                    &mut |e| errors.push(e.to_string()),
                )
                .unwrap();
            assert_eq!(pushed, Pushed::More);
            assert_eq!(out.values, values, "{text}");
            assert_eq!(out.lines, lines, "{text}");
            // The last line (`GET`, no line end) reached the pipeline too (no field 2).
            assert_eq!(&seen[..seen.len() - 1], starts, "{text}");
            assert_eq!(seen.last(), Some(&24), "{text}");
            assert!(errors.is_empty());
            let summary = l.finish(&mut out, &mut |_| {}).unwrap();
            // `GET` (line 13) has no field 2: skipped, in both.
            assert_eq!(summary.skips.total(), 1, "{text}");
        }
    }

    /// A single pushed item is one line (issue 15): its line end is trimmed as a reader
    /// trims it, an empty line is a line, text holding a line end inside stays one line
    /// with the number given, and the leading grep decides on it.
    #[test]
    fn a_pushed_item_is_one_line() {
        for text in ["grep GET", "field 1"] {
            let mut l = live(text);
            let mut out = Collect::default();
            for (n, line) in [(7, &b"GET /a\r\n"[..]), (8, b""), (9, b"GET /b\nGET /c\n")] {
                assert_eq!(
                    l.push(&InputName::Stdin, n, line, &mut out).unwrap(),
                    Pushed::More
                );
            }
            // One pushed item is one line, also when it holds a line end inside.
            let want: &[&str] = match text {
                "grep GET" => &["GET /a", "GET /b\nGET /c"],
                _ => &["GET", "GET"],
            };
            assert_eq!(out.values, want, "{text}");
            assert_eq!(out.lines, [7, 9], "{text}");
            let summary = l.finish(&mut out, &mut |_| {}).unwrap();
            // `field 1` of the empty line 8: skipped, with its number.
            let empty = u64::from(text == "field 1");
            assert_eq!(summary.skips.total(), empty, "{text}");
        }
    }
}
