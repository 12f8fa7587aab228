//! A run's results are events pushed into a sink (issue 15: one push abstraction): any
//! library sink takes a plan's output, a plan sink's output feeds another sink, and a sink
//! that answers `Stop` ends the run as `head` does.

use std::io::Write;

use logrill::exec::Event;
use logrill::lang::query;
use logrill::sink::{self, Consumer, Flow, SendLine, Sink};
use logrill::{find, Format};

/// `n` combined-format lines in `dir/access-log`, every third without a byte count (`-`),
/// status 404 on every fifth.
fn write_log(dir: &std::path::Path, n: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for i in 0..n {
        let bytes = if i % 3 == 0 {
            "-".to_string()
        } else {
            i.to_string()
        };
        let status = if i % 5 == 0 { 404 } else { 200 };
        lines.push(format!(
            "192.0.2.{} - - [01/Jan/2023:00:00:{:02} +0000] \"GET /p{i} HTTP/1.0\" {status} {bytes} \"-\" \"curl\"",
            i % 7,
            i % 60
        ));
    }
    let mut f = std::fs::File::create(dir.join("access-log")).unwrap();
    for l in &lines {
        writeln!(f, "{l}").unwrap();
    }
    lines
}

/// An event as text, owned: what the tests compare.
fn describe(e: Event<'_>) -> String {
    match e {
        Event::Value(v) => format!("{}:{}", v.line, String::from_utf8_lossy(v.value)),
        Event::Record { line, record, .. } => format!("{line}:{}", record.to_json()),
        Event::Columns(names) => format!("columns {names:?}"),
        Event::EndTable => "end".to_string(),
        Event::Aggregate { name, value } => format!("{name}={value:?}"),
        Event::Branch { index, title } => format!("branch {index} {title}"),
    }
}

/// A sink of events that keeps their descriptions and answers `Stop` at the `n`th.
struct First {
    kept: Vec<String>,
    n: usize,
}

fn first(n: usize) -> First {
    First {
        kept: Vec::new(),
        n,
    }
}

impl Consumer for First {
    type Output = Vec<String>;
    fn close(self) -> Result<Vec<String>, sink::SinkError> {
        Ok(self.kept)
    }
}

impl<'e> Sink<Event<'e>> for First {
    fn send(&mut self, e: Event<'e>) -> Result<Flow, sink::SinkError> {
        self.kept.push(describe(e));
        Ok(if self.kept.len() >= self.n {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

fn files(paths: Vec<std::path::PathBuf>) -> logrill::Files {
    logrill::Files::found(logrill::source::Find::new(&paths))
}

/// A sink answering `Stop` after three values gives what `head 3` gives, on one thread
/// and on several (the parallel emitter stops too), and the run's problems (a missing
/// input) are still reported.
#[test]
fn a_sink_that_stops_ends_the_run_as_head_does() {
    let dir = tempfile::tempdir().unwrap();
    let lines = write_log(dir.path(), 50);
    let missing = dir.path().join("missing.log");
    let paths = || vec![missing.clone(), dir.path().join("access-log")];
    for threads in [1, 2] {
        let report = logrill::Pipeline::new(files(paths()))
            .threads(threads)
            .field(1)
            .run_into(first(3))
            .unwrap();
        let want: Vec<String> = lines[..3]
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{}:{}", i + 1, l.split(' ').next().unwrap()))
            .collect();
        assert_eq!(report.value, want, "{threads} threads");
        assert_eq!(
            report.errors.len(),
            1,
            "the missing input, {threads} threads"
        );
    }
}

/// `for_each` stopped early keeps what the run met before the stop: the skipped values
/// and the failed inputs (before, a stop was an output error and its report had no skips).
#[test]
fn for_each_that_stops_keeps_the_skips_and_errors_met_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("short.log");
    std::fs::write(&path, "a 1\nb\nc 3\nd\ne 5\nf 6\n").unwrap();
    let mut given = Vec::new();
    let report = logrill::Pipeline::new(files(vec![dir.path().join("missing.log"), path]))
        .threads(1)
        .field(2)
        .for_each(|_, line, v| {
            given.push((line, String::from_utf8_lossy(v).into_owned()));
            given.len() < 3
        })
        .unwrap();
    assert_eq!(given, [(1, "1".into()), (3, "3".into()), (5, "5".into())]);
    assert_eq!(report.value, 3);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    // Lines 2 and 4 have no field 2; line 6 was never reached.
    assert_eq!(report.skips.total(), 2, "{:?}", report.skips);
}

/// Any library sink takes a plan's output: a `broadcast` of two, each mapping events to
/// owned items into a `collect`.
#[test]
fn library_sinks_take_a_plans_output() {
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), 40);
    let run = || {
        find(dir.path())
            .open()
            .lines()
            .parse(Format::Combined)
            .count_by("status")
    };
    let both = sink::broadcast((
        sink::map(describe, sink::collect()),
        sink::map(
            |e: Event<'_>| matches!(e, Event::Record { .. }),
            sink::collect(),
        ),
    ));
    let report = run().run_into(both).unwrap();
    let (described, records) = report.value;
    assert_eq!(
        described,
        [
            "columns [\"status\", \"count\"]",
            "1:{\"status\":200,\"count\":32}",
            "2:{\"status\":404,\"count\":8}",
            "end"
        ]
    );
    assert_eq!(records, [false, true, true, false]);
    // The same rows as the pull side's own collector.
    let rows = run().rows().unwrap().value;
    assert_eq!(rows.len(), 2);
}

/// A plan sink's output feeds another sink, and its stop stops the plan sink.
#[test]
fn a_plan_sinks_output_feeds_another_sink() {
    let q = query().grep("a").field(2);
    let mut s = q.sink_into(first(2)).unwrap();
    assert_eq!(s.send_line("a 1").unwrap(), Flow::Continue);
    assert_eq!(s.send_line("b 2").unwrap(), Flow::Continue);
    assert_eq!(s.send_line("a 3").unwrap(), Flow::Stop);
    let report = s.close().unwrap();
    assert_eq!(report.value, ["1:1", "3:3"]);
}

/// One line sent to a plan sink is one line to the engine (issue 15): the leading grep
/// decides on it as on a batch, its line end is trimmed as a reader trims it (it used to
/// stay in the value), and its number is its place among the lines sent.
#[test]
fn a_line_sent_to_a_plan_sink_is_one_line() {
    let mut s = query().grep("GET").sink_into(first(10)).unwrap();
    for line in ["GET /a\r\n", "POST /b\n", "GET /c"] {
        assert_eq!(s.send_line(line).unwrap(), Flow::Continue);
    }
    assert_eq!(s.close().unwrap().value, ["1:GET /a", "3:GET /c"]);
}

/// Line numbers past the first batch of lines: the reader takes the batch loop's count of
/// each batch's lines instead of counting them again, so a miscount would shift every
/// later number. A file of several batches (the reader's buffer is 256 KiB), some lines
/// ending in `\r\n`, the last without a line end: every value carries the number it has
/// in the file.
#[test]
fn line_numbers_hold_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.log");
    let n: usize = 40_000;
    let mut text = String::new();
    for i in 0..n {
        let end = match i {
            _ if i == n - 1 => "",
            _ if i.is_multiple_of(7) => "\r\n",
            _ => "\n",
        };
        text.push_str(&format!("id{i} {}{end}", "x".repeat(i % 23)));
    }
    assert!(text.len() > 3 * 256 * 1024, "several batches");
    std::fs::write(&path, &text).unwrap();
    let report = logrill::Pipeline::new(files(vec![path]))
        .threads(1)
        .field(1)
        .run_into(first(usize::MAX))
        .unwrap();
    let want: Vec<String> = (0..n).map(|i| format!("{}:id{i}", i + 1)).collect();
    assert_eq!(report.value.len(), want.len());
    assert_eq!(report.value, want);
}
