//! `--since` / `--until` over a rotated tree (plain and gzip generations, Apache-like
//! disorder): the lines kept are exactly those whose time is in range (ground truth from
//! the generator, not from logrill's parser), equal to `where time >= … and time < …` over
//! the whole input, and the generations outside the range are not read.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use logrill::exec::{run_with, Event, Options};
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::source::timerange::parse_bound;
use logrill::source::{Find, TimeRange};
use logrill::Files;

/// 2026-12-01T00:00:00Z in seconds (Python: `datetime(2026,12,1,tzinfo=utc).timestamp()`).
const DAY0: i64 = 1_796_083_200;
/// `[dd/Mon/yyyy:HH:MM:SS +0100]` for unix seconds `t` (written at +01:00, so the
/// comparison must use the instant, not the text).
fn apache_time(t: i64) -> String {
    logrill_testgen::apache_time(t, 3600)
}

struct Gen {
    path: PathBuf,
    /// (time in seconds, the line's unique id).
    lines: Vec<(i64, u64)>,
}

/// Six generations of six hours each, oldest first in time: access.log.5.gz … .2.gz,
/// access.log.1, access.log; lines stamped up to 40 s before they are written.
fn tree() -> (tempfile::TempDir, Vec<Gen>) {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "access.log.5.gz",
        "access.log.4.gz",
        "access.log.3.gz",
        "access.log.2.gz",
        "access.log.1",
        "access.log",
    ];
    let mut gens = Vec::new();
    let mut id = 0u64;
    for (g, name) in names.iter().enumerate() {
        let start = DAY0 + g as i64 * 6 * 3600;
        let mut text = String::new();
        let mut lines = Vec::new();
        if g == 4 {
            text.push_str("garbage first line without a time\n");
        }
        for i in 0..(6 * 3600 / 3) {
            let written = start + i * 3;
            let t = written - (i * 7919 % 41);
            id += 1;
            text.push_str(&format!(
                "10.1.{}.{} - - [{}] \"GET /item/{id} HTTP/1.1\" {} {}\n",
                id % 200,
                id % 250,
                apache_time(t),
                [200, 304, 404, 500][(id % 4) as usize],
                id * 13 % 9000
            ));
            lines.push((t, id));
        }
        let path = dir.path().join(name);
        if name.ends_with(".gz") {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
            e.write_all(text.as_bytes()).unwrap();
            std::fs::write(&path, e.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&path, text).unwrap();
        }
        // As logrotate leaves them: last written at the end of their span (but .2.gz
        // was copied without keeping its mtime: now).
        if g != 3 {
            set_mtime(&path, start + 6 * 3600);
        }
        gens.push(Gen { path, lines });
    }
    (dir, gens)
}

/// Set the modification time of `path` to unix second `secs`.
fn set_mtime(path: &std::path::Path, secs: i64) {
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

#[derive(Default)]
struct Collect {
    values: Vec<String>,
    rows: Vec<String>,
}

impl Consumer for Collect {
    type Output = ();
    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Collect {
    fn send(&mut self, e: Event<'a>) -> Result<Flow, SinkError> {
        match e {
            Event::Value(v) => self
                .values
                .push(String::from_utf8_lossy(v.value).into_owned()),
            Event::Record { record, .. } => self.rows.push(
                record
                    .iter()
                    .map(|(n, v)| format!("{n}={v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => {}
        }
        Ok(Flow::Continue)
    }
}

fn run(text: &str, gens: &[Gen], range: Option<TimeRange>, threads: usize) -> Collect {
    let paths: Vec<_> = gens.iter().map(|g| g.path.clone()).collect();
    let mut files = Files::found(Find::new(&paths));
    if let Some(r) = range {
        files = files.with_time_range(r);
    }
    run_files(text, files, threads)
}

/// The pipeline `text` over `files` on `threads` threads; no error expected.
fn run_files(text: &str, files: Files, threads: usize) -> Collect {
    let plan = logrill::query::parse(text).unwrap();
    let mut out = Collect::default();
    let mut errors = Vec::new();
    run_with(
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
    assert!(errors.is_empty(), "{errors:?}");
    out
}

#[test]
fn ranges_keep_exactly_the_lines_in_range_and_skip_generations_outside() {
    let (_d, gens) = tree();
    let margin = 60;
    let cases = [
        ("2026-12-01T13:30", "2026-12-01T20:00"),
        ("2026-12-01T05:59:50Z", "2026-12-01T06:00:10Z"),
        ("2026-12-02T00:00:00+01:00", "2026-12-02"),
        ("2026-11-30", "2026-12-01T00:00:30"),
        ("2026-12-01T35:00", "2026-12-03"),
    ];
    for (since, until) in cases {
        let (Ok(s), Ok(u)) = (parse_bound(since, 0), parse_bound(until, 0)) else {
            // 35:00 is not a time: the error is the expected outcome.
            assert!(since.contains("35:00"));
            continue;
        };
        let mut range = TimeRange::new(Some(s), Some(u));
        range.margin = margin * 1_000_000;
        let (s, u) = (s / 1_000_000, u / 1_000_000);
        // Ground truth: the ids of the lines in range, in input order.
        let expected: Vec<String> = gens
            .iter()
            .flat_map(|g| g.lines.iter())
            .filter(|(t, _)| (s..u).contains(t))
            .map(|(_, id)| format!("/item/{id}"))
            .collect();
        for threads in [1, 2] {
            let paths: Vec<_> = gens.iter().map(|g| g.path.clone()).collect();
            let files = Files::found(Find::new(&paths)).with_time_range(range);
            let counters = files.range_counters().unwrap();
            let out = run_files("field 7", files, threads);
            assert_eq!(out.values, expected, "{since}..{until} -j{threads}");
            // Generations that cannot hold a line in range are not read: a generation's
            // span is [first - margin, last + margin] (for .2.gz, copied, up to now).
            let skippable = gens
                .iter()
                .enumerate()
                .filter(|(g, gen)| {
                    let first = gen.lines.iter().map(|l| l.0).next().unwrap_or(0);
                    let last_plain = gen.lines.last().map_or(0, |l| l.0);
                    let last = match g {
                        3 => i64::MAX / 2,
                        0..=2 => DAY0 + (*g as i64 + 1) * 6 * 3600,
                        _ => last_plain,
                    };
                    first - margin >= u || last + margin < s
                })
                .count() as u64;
            assert_eq!(
                counters.files_skipped.load(Ordering::Relaxed),
                skippable,
                "{since}..{until}"
            );
            assert!(skippable > 0 || since.starts_with("2026-11"), "{since}");
        }
        // The same as `where` over the whole input, through parse and a table.
        let at = |secs: i64| logrill::Timestamp::from_unix_micros(secs * 1_000_000, 0);
        let plain_where = format!(
            "parse common | where time >= \"{}\" and time < \"{}\" | count, sum bytes by status",
            at(s),
            at(u)
        );
        let whole = run(&plain_where, &gens, None, 1);
        let ranged = run(
            "parse common | count, sum bytes by status",
            &gens,
            Some(range),
            2,
        );
        assert_eq!(ranged.rows, whole.rows, "{since}..{until}");
        assert!(!whole.rows.is_empty() || expected.is_empty());
    }
}

/// One gzip file of two days, a line a second (stamped up to 40 s before it is written),
/// in `members` gzip members, with its index built (a seek point every 16 KiB compressed):
/// the file, its lines (time, id) and its decoded size.
fn indexed_gz(
    dir: &std::path::Path,
    members: usize,
) -> (
    PathBuf,
    Vec<(i64, u64)>,
    u64,
    std::sync::Arc<logrill::source::gzindex::IndexCache>,
) {
    let mut lines = Vec::new();
    let mut texts = vec![String::new(); members];
    let n = 2 * 86_400;
    for i in 0..n {
        let t = DAY0 + i - (i * 7919 % 41);
        let id = i as u64 + 1;
        texts[(i * members as i64 / n) as usize].push_str(&format!(
            "10.1.{}.{} - - [{}] \"GET /item/{id} HTTP/1.1\" 200 {}\n",
            id % 200,
            id % 250,
            apache_time(t),
            id * 13 % 9000
        ));
        lines.push((t, id));
    }
    let mut gz = Vec::new();
    for text in &texts {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
        e.write_all(text.as_bytes()).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let path = dir.join("access.log.1.gz");
    std::fs::write(&path, gz).unwrap();
    set_mtime(&path, DAY0 + n);
    let cache = std::sync::Arc::new(
        logrill::source::gzindex::IndexCache::new(dir.join("index"))
            .min_size(0)
            .spacing(16 * 1024)
            .budget(1),
    );
    let built = logrill::source::gzindex::build(&path, &cache).unwrap();
    assert!(built.points > 50, "{} points", built.points);
    let decoded = texts.iter().map(|t| t.len() as u64).sum();
    (path, lines, decoded, cache)
}

/// What `field 7` gives over `path` in `range` (its index used if `cache` is given), and
/// the counters: (compressed bytes read, bytes decoded, files entered through an index).
fn ranged_gz(
    path: &std::path::Path,
    range: TimeRange,
    cache: Option<&std::sync::Arc<logrill::source::gzindex::IndexCache>>,
    threads: usize,
) -> (Vec<String>, u64, u64, u64) {
    let mut files = Files::found(Find::new([path])).with_time_range(range);
    if let Some(c) = cache {
        files = files.with_gz_index(c.clone());
    }
    let counters = files.range_counters().unwrap();
    let out = run_files("field 7", files, threads);
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    (
        out.values,
        get(&counters.bytes_read),
        get(&counters.bytes_decoded),
        get(&counters.files_seeked),
    )
}

/// `--since` through a gzip index: the lines kept are exactly those in range (ground truth
/// from the generator), the same as without the index, and far fewer bytes are read and
/// decoded; in a file of several members too (that later members are still checked is
/// tested in the gzindex module).
#[test]
fn since_enters_a_gzip_file_through_its_index() {
    for members in [1, 3] {
        let d = tempfile::tempdir().unwrap();
        let (path, lines, decoded, cache) = indexed_gz(d.path(), members);
        let compressed = std::fs::metadata(&path).unwrap().len();
        let h = 3600;
        let cases = [
            (DAY0 + 46 * h, None),
            (DAY0 + 30 * h + 17, Some(DAY0 + 31 * h)),
            (DAY0 + 24 * h - 20, None),
            (DAY0 + 100, Some(DAY0 + 2 * h)),
            (DAY0 - 5 * h, Some(DAY0 + 60)),
        ];
        for (since, until) in cases {
            let mut range =
                TimeRange::new(Some(since * 1_000_000), until.map(|u: i64| u * 1_000_000));
            range.margin = 60 * 1_000_000;
            let expected: Vec<String> = lines
                .iter()
                .filter(|(t, _)| *t >= since && until.is_none_or(|u| *t < u))
                .map(|(_, id)| format!("/item/{id}"))
                .collect();
            assert!(!expected.is_empty());
            let (plain, _, plain_decoded, plain_seeked) = ranged_gz(&path, range, None, 1);
            assert_eq!(
                plain, expected,
                "{members} members, since {since}, no index"
            );
            assert_eq!(plain_seeked, 0);
            for threads in [1, 2] {
                let (got, read, dec, seeked) = ranged_gz(&path, range, Some(&cache), threads);
                let case = format!("{members} members, since {since}, -j{threads}");
                assert_eq!(got, expected, "{case}");
                // Searched when the file's first line is before the target (since less
                // the margin); else read from the start.
                assert_eq!(seeked, u64::from(since - 60 > DAY0), "{case}");
                if since < DAY0 + 3600 {
                    // Near the start the search finds the first point (its probes cost
                    // a few KiB more than reading from the start).
                    continue;
                }
                // What is decoded: the lines from the seek point on (to `until`), and a few
                // KiB per probe; the seek point is at most a chunk (16 KiB compressed) and
                // the margin before the target.
                let wanted = lines.iter().filter(|(t, _)| *t >= since - 120).count() as u64;
                let after = decoded * wanted / lines.len() as u64;
                if until.is_none() {
                    assert!(
                        dec < after + decoded / 20,
                        "{case}: decoded {dec} of {decoded}"
                    );
                    assert!(
                        read < compressed * wanted / lines.len() as u64 + compressed / 20,
                        "{case}: read {read} of {compressed}"
                    );
                }
                assert!(dec < plain_decoded, "{case}: {dec} against {plain_decoded}");
            }
        }
        // The last two hours of 48: under a tenth of the file read and decoded.
        let range = TimeRange::new(Some((DAY0 + 46 * 3600) * 1_000_000), None);
        let (_, read, dec, _) = ranged_gz(&path, range, Some(&cache), 2);
        assert!(read * 10 < compressed, "read {read} of {compressed}");
        assert!(dec * 10 < decoded, "decoded {dec} of {decoded}");
    }
}
