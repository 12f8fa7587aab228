//! Property tests (proptest):
//!
//! * `LineReader` over random bytes, with random buffer sizes and random read sizes (and
//!   interrupted reads), gives exactly the lines of a naive split, with the right line
//!   numbers; with a line limit, exactly the short lines, and the numbers of the long ones;
//! * a run with one thread gives exactly what a run with several gives, over random sets
//!   of plain, gzip and broken files, for several pipelines (values, the seed's
//!   aggregates, `parse` with groups, sorting, distinct);
//! * aggregates (`agg::Aggregate`) and tables (`exec::table::Table`) built over the parts
//!   of a split input and merged in order equal those built over the whole input.
//!
//! The case counts are kept small enough for the whole file to run in a few seconds.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use logrill::agg::Number;
use logrill::agg::{AggKind, Aggregate};
use logrill::exec::table::Table;
use logrill::exec::{run_with, Event, Options};
use logrill::query::StageSpec;
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::source::{Find, LineReader};
use logrill::stage::parse::{Parser, Record};
use logrill::Files;
use logrill_testgen::{compress, truncate, Codec};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// LineReader
// ---------------------------------------------------------------------------------------

/// A reader that hands out its data in pieces of the given sizes, in turn; a size of 0 is
/// an `Interrupted` error (which readers must retry).
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        if size == 0 {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = size.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn chunked(data: &[u8], sizes: &[usize]) -> Chunked {
    // Never only interruptions: that would be a reader that never makes progress.
    let mut sizes = sizes.to_vec();
    if sizes.iter().all(|&s| s == 0) {
        sizes.push(1);
    }
    Chunked {
        data: data.to_vec(),
        pos: 0,
        sizes,
        turn: 0,
    }
}

/// The lines of `data` the simple way: split at `\n`, drop one `\r` before it, a final
/// line without `\n` counts, nothing after a final `\n`.
fn naive_lines(data: &[u8]) -> Vec<Vec<u8>> {
    if data.is_empty() {
        return Vec::new();
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect()
}

/// Bytes rich in line ends and `\r`, with NUL and invalid UTF-8.
fn line_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            4 => Just(b'\n'),
            2 => Just(b'\r'),
            6 => Just(b'a'),
            1 => Just(0u8),
            1 => Just(0xffu8),
            2 => any::<u8>(),
        ],
        0..max,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn line_reader_batches_equal_a_naive_split(
        data in line_bytes(1500),
        cap in 1usize..300,
        sizes in prop::collection::vec(0usize..400, 1..6),
    ) {
        let mut r = LineReader::with_capacity(cap, chunked(&data, &sizes));
        let mut got = Vec::new();
        let mut next_number = 1;
        while let Some(b) = r.next_batch().unwrap() {
            prop_assert_eq!(b.first_line(), next_number);
            prop_assert!(!b.is_empty());
            next_number += b.len();
            let lines: Vec<Vec<u8>> = b.lines().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(lines.len() as u64, b.len());
            got.extend(lines);
        }
        prop_assert!(r.next_batch().unwrap().is_none());
        prop_assert_eq!(r.lines_read(), got.len() as u64);
        prop_assert_eq!(got, naive_lines(&data));
        prop_assert!(r.take_too_long().is_empty());
    }

    #[test]
    fn line_reader_lines_equal_a_naive_split(
        data in line_bytes(1000),
        cap in 1usize..100,
        sizes in prop::collection::vec(0usize..200, 1..6),
    ) {
        let mut r = LineReader::with_capacity(cap, chunked(&data, &sizes));
        let mut got = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            got.push(l.to_vec());
        }
        prop_assert_eq!(r.lines_read(), got.len() as u64);
        prop_assert_eq!(got, naive_lines(&data));
    }

    /// With a line limit, clearly short lines are read and clearly long ones skipped, with
    /// their numbers reported. (Lines near the limit are left to the example tests.)
    #[test]
    fn line_reader_skips_exactly_the_long_lines(
        max in 8usize..64,
        cap_div in 1usize..8,
        lines in prop::collection::vec((any::<bool>(), 0usize..1000, line_bytes(4)), 0..40),
        final_newline in any::<bool>(),
        sizes in prop::collection::vec(1usize..300, 1..6),
    ) {
        let cap = (max / cap_div).max(1);
        let mut data = Vec::new();
        let mut kept = Vec::new();
        let mut skipped = Vec::new();
        for (i, (long, len, tail)) in lines.iter().enumerate() {
            let line: Vec<u8> = if *long {
                // Longer than the limit and than any buffer the reader may have.
                let mut l = vec![b'x'; 2 * max + cap + len];
                l.extend(tail.iter().filter(|&&b| b != b'\n' && b != b'\r'));
                skipped.push(i as u64 + 1);
                l
            } else {
                let short: Vec<u8> = tail.iter().copied().filter(|&b| b != b'\n').collect();
                let l = short[..short.len().min(max / 2)].to_vec();
                // The reader drops one `\r` before the line end (and at the very end).
                let seen = l.strip_suffix(b"\r").unwrap_or(&l).to_vec();
                // A last line with no byte and no newline is no line at all.
                let is_line = !l.is_empty() || i + 1 < lines.len() || final_newline;
                if is_line {
                    kept.push((i as u64 + 1, seen));
                }
                l
            };
            data.extend(&line);
            if i + 1 < lines.len() || final_newline {
                data.push(b'\n');
            }
        }
        let mut r = LineReader::with_capacity(cap, chunked(&data, &sizes)).max_line_bytes(max);
        let mut got = Vec::new();
        while let Some(b) = r.next_batch().unwrap() {
            let first = b.first_line();
            for (i, l) in b.lines().enumerate() {
                got.push((first + i as u64, l.to_vec()));
            }
        }
        prop_assert_eq!(got, kept);
        prop_assert_eq!(r.take_too_long(), skipped);
    }
}

// ---------------------------------------------------------------------------------------
// One thread equals several
// ---------------------------------------------------------------------------------------

/// Everything a run put out, as text, in order.
#[derive(Default)]
struct Log(Vec<String>);

impl Consumer for Log {
    type Output = ();
    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Log {
    fn send(&mut self, e: Event<'a>) -> Result<Flow, SinkError> {
        self.0.push(match e {
            Event::Value(v) => format!(
                "value {}:{} {:?}",
                v.input,
                v.line,
                String::from_utf8_lossy(v.value)
            ),
            Event::Record {
                input,
                line,
                record,
            } => format!("record {input}:{line} {}", record.to_json()),
            Event::Columns(names) => format!("columns {names:?}"),
            Event::EndTable => "end table".into(),
            Event::Aggregate { name, value } => format!("aggregate {name} {value:?}"),
            Event::Branch { index, title } => format!("branch {index} {title}"),
        });
        Ok(Flow::Continue)
    }
}

/// A random file: its lines, how it is stored.
#[derive(Debug, Clone)]
struct FileSpec {
    lines: Vec<(u8, u8, Option<i64>)>,
    codec: u8,
}

fn file_spec() -> impl Strategy<Value = FileSpec> {
    (
        prop::collection::vec(
            (
                0u8..6,
                0u8..9,
                prop::option::weighted(0.85, -50i64..100_000),
            ),
            0..300,
        ),
        0u8..10,
    )
        .prop_map(|(lines, codec)| FileSpec { lines, codec })
}

/// Write the files: 0-5 plain, 6-7 gzip, 8 gzip cut short, 9 missing.
fn write_files(dir: &std::path::Path, specs: &[FileSpec]) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let mut text = Vec::new();
        for (host, path, bytes) in &spec.lines {
            let bytes = bytes.map_or("-".to_string(), |b| b.to_string());
            writeln!(text, "host{host} GET /p{path} {bytes}").unwrap();
        }
        let p = dir.join(format!("f{i:02}.log"));
        match spec.codec {
            0..=5 => std::fs::write(&p, &text).unwrap(),
            6 | 7 => std::fs::write(&p, compress(Codec::Gzip, &text).unwrap()).unwrap(),
            8 => {
                let gz = compress(Codec::Gzip, &text).unwrap();
                std::fs::write(&p, truncate(&gz, gz.len() * 2 / 3)).unwrap()
            }
            _ => {} // missing
        }
        paths.push(p);
    }
    paths
}

/// Run `text` over `paths` with `threads`: the output, the errors, and the summary's
/// figures, as text.
fn run_text(text: &str, paths: &[PathBuf], threads: usize) -> (Vec<String>, Vec<String>, String) {
    let plan = logrill::query::parse(text).unwrap();
    let mut out = Log::default();
    let mut errors = Vec::new();
    let s = run_with(
        &plan,
        Files::found(Find::new(paths)),
        &mut out,
        &mut |e| errors.push(e.to_string()),
        &Options {
            threads,
            ..Options::default()
        },
    )
    .unwrap();
    let summary = format!(
        "aggregate {:?} values {} failed {} skips {:?} parse failures {:?} report {:?}",
        s.aggregate, s.values, s.failed_inputs, s.skips, s.parse_failures, s.parse_report
    );
    (out.0, errors, summary)
}

const PIPELINES: &[&str] = &[
    "grep p1 | field -1 | sum",
    "field 4",
    "grep -v host2",
    "field -1 | max",
    "field -1 | avg",
    "grep -F /p3 | count",
    "parse regex '^(?P<host>\\S+) (?P<m>\\S+) (?P<path>\\S+) (?P<bytes>\\S+)$' | count, sum bytes, min bytes, max bytes, avg bytes by path",
    "parse regex '^(?P<host>\\S+) \\S+ (?P<path>\\S+) (?P<bytes>\\S+)$' | count by host | sort count desc, host",
    "parse regex '^(?P<host>\\S+) \\S+ (?P<path>\\S+) (?P<bytes>\\S+)$' | where bytes > 50000 | distinct path",
    "parse regex '^(?P<host>\\S+) \\S+ (?P<path>\\S+) (?P<bytes>\\S+)$' | p50 bytes, count_distinct path, first path, last path by host",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn one_thread_equals_several(
        specs in prop::collection::vec(file_spec(), 1..7),
        threads in 2usize..5,
    ) {
        let d = tempfile::tempdir().unwrap();
        let paths = write_files(d.path(), &specs);
        for text in PIPELINES {
            let one = run_text(text, &paths, 1);
            let many = run_text(text, &paths, threads);
            prop_assert_eq!(&one.0, &many.0, "output of {} with {} threads", text, threads);
            prop_assert_eq!(&one.1, &many.1, "errors of {}", text);
            prop_assert_eq!(&one.2, &many.2, "summary of {}", text);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Merged aggregates equal unsplit ones
// ---------------------------------------------------------------------------------------

/// Cut `items` into parts at the given points (taken modulo its length, sorted).
fn split<'a, T>(items: &'a [T], cuts: &[usize]) -> Vec<&'a [T]> {
    let mut at: Vec<usize> = cuts
        .iter()
        .map(|c| {
            if items.is_empty() {
                0
            } else {
                c % (items.len() + 1)
            }
        })
        .collect();
    at.sort_unstable();
    let mut parts = Vec::new();
    let mut from = 0;
    for a in at {
        parts.push(&items[from..a]);
        from = a;
    }
    parts.push(&items[from..]);
    parts
}

fn number() -> impl Strategy<Value = Number> {
    prop_oneof![
        4 => any::<i64>().prop_map(Number::Int),
        1 => (-1e6f64..1e6).prop_map(Number::Float),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn merged_aggregates_equal_unsplit(
        // Any 128-bit integers: their sums pass the 128-bit range on the way and back,
        // which must not change the merged result.
        ints in prop::collection::vec(any::<i128>(), 0..200),
        mixed in prop::collection::vec(number(), 0..200),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
    ) {
        for kind in [AggKind::Count, AggKind::Sum, AggKind::Min, AggKind::Max, AggKind::Avg] {
            // Sums of floats depend on the order of additions: those kinds get integers,
            // as text (so that those past 64 bits are read exactly).
            let texts: Vec<String> = if matches!(kind, AggKind::Sum | AggKind::Avg) {
                ints.iter().map(i128::to_string).collect()
            } else {
                mixed.iter().map(|n| match n {
                    Number::Int(i) => i.to_string(),
                    Number::Float(x) => format!("{x:?}"),
                }).collect()
            };
            let feed = |agg: &mut Aggregate, part: &[String]| {
                for t in part {
                    agg.add_item();
                    prop_assert!(agg.add_text(t.as_bytes()), "{}", t);
                }
                Ok(())
            };
            let mut whole = Aggregate::new(kind);
            feed(&mut whole, &texts)?;
            let mut merged = Aggregate::new(kind);
            for part in split(&texts, &cuts) {
                let mut a = Aggregate::new(kind);
                feed(&mut a, part)?;
                merged.merge(&a);
            }
            prop_assert_eq!(merged.value(), whole.value(), "{:?}", kind);
        }
    }

    #[test]
    fn merged_tables_equal_unsplit(
        lines in prop::collection::vec((0u8..8, prop::option::weighted(0.9, -1000i64..1000), 0u8..5), 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
        which in 0usize..5,
    ) {
        let queries = [
            "count, sum b, min b, max b, avg b, count_distinct w, p90 b, first w, last w by h",
            "count, sum b",
            "distinct w by h",
            "top 3 w",
            "percentile(b, 25) as q, count b > 0 as positive, max w by h, w",
        ];
        let text = format!(
            "parse regex '^(?P<h>\\S+) (?P<b>\\S+) (?P<w>\\S+)$' | {}",
            queries[which]
        );
        let plan = logrill::query::parse(&text).unwrap();
        let Some(StageSpec::Aggregate { aggregates, by }) = plan.stages.get(1).cloned() else {
            panic!("no aggregate stage in {text}");
        };
        let texts: Vec<Vec<u8>> = lines
            .iter()
            .map(|(h, b, w)| {
                let b = b.map_or("-".to_string(), |b| b.to_string());
                format!("h{h} {b} w{w}").into_bytes()
            })
            .collect();
        let mut parser = Parser::regex(r"^(?P<h>\S+) (?P<b>\S+) (?P<w>\S+)$").unwrap();
        let fill = |table: &mut Table, part: &[Vec<u8>], parser: &mut Parser| {
            for line in part {
                let mut rec = Record::new();
                parser.parse(line, &mut rec).unwrap();
                table.add(&rec);
            }
        };
        let mut whole = Table::groups(aggregates.clone(), by.clone());
        fill(&mut whole, &texts, &mut parser);
        let mut merged = whole.empty_like();
        for part in split(&texts, &cuts) {
            let mut t = whole.empty_like();
            fill(&mut t, part, &mut parser);
            merged.merge(t);
        }
        let show = |t: Table| {
            let (schema, rows) = t.rows();
            let rows: Vec<String> = rows.iter().map(|r| r.to_json().to_string()).collect();
            (schema.names().to_vec(), rows)
        };
        prop_assert_eq!(show(merged), show(whole), "{}", text);
    }
}
