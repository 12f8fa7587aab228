//! Every stage of the pipeline language, run three ways on the same inputs: pulled by the
//! library's builder ([`logrill::Pipeline`]), pushed into the library's sink (a batch at a
//! time by [`logrill::sink::run_pushed`], and a line at a time), and through the `logrill`
//! binary with the text the builder wrote. All must give the same answer; where it is cheap the answer is also
//! checked against truth the test computes itself from what it wrote (the generator below
//! keeps every entry as it writes the lines, and never reads them back).
//!
//! It lives in the CLI's package because only here does cargo build the binary for a test.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use logrill::agg::AggKind;
use logrill::lang::{query, Column};
use logrill::query::Terminal;
use logrill::sink::{Consumer, FeedLines};
use logrill::source::LineReader;
use logrill::stage::GrepOptions;
use logrill::{col, find, lit, Agg, Format, Query, Results};
use serde_json::{json, Value as Json};

/// One request, as written.
#[derive(Debug, Clone)]
struct Entry {
    host: String,
    path: String,
    status: i64,
    bytes: Option<i64>,
}

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/robots.txt",
    "/ply/ply-3.4.tar.gz",
    "/images/logo.png",
    "/Search",
    "/missing.php",
];
const STATUSES: &[i64] = &[200, 200, 200, 304, 404, 500, 301];

/// Deterministic entries (a small LCG: the test needs no randomness crate).
fn entries(n: usize, seed: u64) -> Vec<Entry> {
    let mut x = seed;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    (0..n)
        .map(|_| {
            let status = STATUSES[next(STATUSES.len() as u64) as usize];
            let bytes = (next(10) != 0).then(|| next(100_000) as i64);
            Entry {
                host: format!("10.0.{}.{}", next(3), next(12)),
                path: PATHS[next(PATHS.len() as u64) as usize].to_string(),
                status,
                bytes,
            }
        })
        .collect()
}

fn common(e: &Entry, i: usize) -> String {
    let bytes = e.bytes.map_or("-".to_string(), |b| b.to_string());
    format!(
        "{} - - [01/Jan/2023:00:{:02}:{:02} +0000] \"GET {} HTTP/1.1\" {} {bytes}",
        e.host,
        (i / 60) % 60,
        i % 60,
        e.path,
        e.status
    )
}

/// Writes entry `i` as a line of one format.
type WriteLine = fn(&Entry, usize) -> String;

/// The data set: the same entries written in each format, two files a format.
struct Data {
    root: tempfile::TempDir,
    entries: Vec<Entry>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let all = entries(900, 15);
        let halves = [&all[..500], &all[500..]];
        let writers: [(&str, WriteLine); 4] = [
            ("common", common),
            ("combined", |e, i| {
                format!(
                    "{} \"http://ref/{}\" \"agent {}\"",
                    common(e, i),
                    i % 3,
                    i % 2
                )
            }),
            ("json", |e, _| {
                json!({"host": e.host, "path": e.path, "status": e.status, "bytes": e.bytes})
                    .to_string()
            }),
            ("logfmt", |e, _| {
                let bytes = e.bytes.map_or(String::new(), |b| format!(" bytes={b}"));
                format!("host={} path={} status={}{bytes}", e.host, e.path, e.status)
            }),
        ];
        for (name, write) in writers {
            let dir = root.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            let mut i = 0;
            for (n, half) in halves.iter().enumerate() {
                let mut f = std::fs::File::create(dir.join(format!("part-{n}.log"))).unwrap();
                for e in *half {
                    writeln!(f, "{}", write(e, i)).unwrap();
                    i += 1;
                }
            }
        }
        Data { root, entries: all }
    })
}

fn dir(format: &str) -> PathBuf {
    data().root.path().join(format)
}

/// An answer in one shape for all three ways.
#[derive(Debug, PartialEq)]
struct Answer {
    values: Vec<String>,
    aggregate: Option<Json>,
    rows: Vec<Json>,
    branches: Vec<Answer>,
}

fn from_results(r: &Results) -> Answer {
    Answer {
        values: r
            .values
            .iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect(),
        aggregate: r.aggregate.map(|a| {
            let text = a.to_string();
            if text.is_empty() {
                Json::Null
            } else {
                serde_json::from_str(&text).unwrap()
            }
        }),
        rows: r.rows_json(),
        branches: r.branches.iter().map(from_results).collect(),
    }
}

fn from_cli(terminal: Terminal, stdout: &str) -> Answer {
    let objects: Vec<serde_json::Map<String, Json>> = stdout
        .lines()
        .map(|l| match serde_json::from_str(l).unwrap() {
            Json::Object(o) => o,
            other => panic!("not an object: {other}"),
        })
        .collect();
    let mut answer = Answer {
        values: Vec::new(),
        aggregate: None,
        rows: Vec::new(),
        branches: Vec::new(),
    };
    match terminal {
        Terminal::Values => {
            answer.values = objects
                .iter()
                .map(|o| o["value"].as_str().unwrap().to_string())
                .collect()
        }
        Terminal::Aggregate(_) => {
            assert_eq!(objects.len(), 1, "{stdout}");
            answer.aggregate = objects[0].values().next().cloned();
        }
        Terminal::Rows => answer.rows = objects.into_iter().map(Json::Object).collect(),
        Terminal::Branches => {
            for mut o in objects {
                o.remove("branch");
                o.remove("pipeline");
                let rows = match o.remove("rows") {
                    Some(Json::Array(rows)) => rows,
                    _ => vec![Json::Object(o)],
                };
                answer.branches.push(Answer {
                    values: Vec::new(),
                    aggregate: None,
                    rows,
                    branches: Vec::new(),
                });
            }
        }
    }
    answer
}

/// Run `q` over the files of `format` pulled, pushed and by the binary; assert the three
/// agree, and return the answer.
fn three_ways(format: &str, q: Query) -> Answer {
    let text = q.text();
    let plan = q.plan().unwrap_or_else(|e| panic!("{e}"));
    let files = || find(dir(format)).open();

    let pulled = logrill::Pipeline::new(files())
        .query(&q)
        .threads(2)
        .run()
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    assert!(pulled.errors.is_empty(), "{text}: {:?}", pulled.errors);
    let pulled = from_results(&pulled.value);

    let pushed = logrill::sink::run_pushed(&q, files()).unwrap();
    assert!(pushed.errors.is_empty(), "{text}: {:?}", pushed.errors);
    let pushed = from_results(&pushed.value);

    // Pushed a line at a time (each line one pushed item in the engine).
    let mut sink = q.sink().unwrap();
    for input in files() {
        let input = input.unwrap();
        sink.input(input.name().clone());
        LineReader::new(input).feed_lines(&mut sink).unwrap();
    }
    let one_by_one = sink.close().unwrap();
    assert!(
        one_by_one.errors.is_empty(),
        "{text}: {:?}",
        one_by_one.errors
    );
    let one_by_one = from_results(&one_by_one.value);

    let out = Command::new(env!("CARGO_BIN_EXE_logrill"))
        .arg(&text)
        .arg(dir(format))
        .args(["--json", "-q"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{text}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli = from_cli(plan.terminal, &String::from_utf8(out.stdout).unwrap());

    assert_eq!(pulled, pushed, "pull vs push: {text}");
    assert_eq!(pulled, one_by_one, "pull vs push line by line: {text}");
    assert_eq!(pulled, cli, "pull vs CLI: {text}");
    pulled
}

fn lines(format: &str) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir(format))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn entries_all() -> &'static [Entry] {
    &data().entries
}

fn column_of(a: &Answer, name: &str) -> Vec<Json> {
    a.rows.iter().map(|r| r[name].clone()).collect()
}

/// `count by KEY` as the test computes it: key → count, as JSON rows' values.
fn counts_by<K: Ord + Clone>(key: impl Fn(&Entry) -> K) -> BTreeMap<K, i64> {
    let mut m = BTreeMap::new();
    for e in entries_all() {
        *m.entry(key(e)).or_insert(0) += 1;
    }
    m
}

#[test]
fn grep_keeps_matching_lines() {
    let a = three_ways("common", query().grep("robots.txt"));
    let truth: Vec<String> = lines("common")
        .into_iter()
        .filter(|l| l.contains("robots.txt"))
        .collect();
    assert!(!truth.is_empty());
    assert_eq!(a.values, truth);
}

#[test]
fn grep_with_flags() {
    let opts = GrepOptions {
        ignore_case: true,
        invert: true,
        fixed: true,
    };
    let a = three_ways("common", query().grep_with("/search", opts));
    let truth: Vec<String> = lines("common")
        .into_iter()
        .filter(|l| !l.to_lowercase().contains("/search"))
        .collect();
    assert_eq!(a.values, truth);
}

#[test]
fn field_takes_a_field() {
    let a = three_ways("common", query().grep("ply-").field(7));
    let truth: Vec<String> = entries_all()
        .iter()
        .filter(|e| e.path.contains("ply-"))
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(a.values, truth);
    let a = three_ways("logfmt", query().field_by(2, "status="));
    assert_eq!(a.values.len(), entries_all().len());
    assert_eq!(
        a.values[0].split(' ').next().unwrap(),
        entries_all()[0].status.to_string()
    );
}

#[test]
fn head_stops_after_n() {
    let a = three_ways("common", query().head(7));
    assert_eq!(a.values, lines("common")[..7].to_vec());
    let a = three_ways("common", query().parse(Format::Common).head(3));
    assert_eq!(a.rows.len(), 3);
    assert_eq!(a.rows[2]["host"], json!(entries_all()[2].host));
}

#[test]
fn the_seeds_aggregates_of_the_current_value() {
    let bytes: Vec<i64> = entries_all().iter().filter_map(|e| e.bytes).collect();
    let sum: i64 = bytes.iter().sum();
    let expect = [
        (AggKind::Sum, json!(sum)),
        (AggKind::Count, json!(entries_all().len())),
        (AggKind::Min, json!(bytes.iter().min().unwrap())),
        (AggKind::Max, json!(bytes.iter().max().unwrap())),
    ];
    for (kind, truth) in expect {
        let a = three_ways("common", query().field(-1).aggregate([Agg::of_value(kind)]));
        assert_eq!(a.aggregate, Some(truth), "{kind:?}");
    }
    let a = three_ways(
        "common",
        query().field(-1).aggregate([Agg::of_value(AggKind::Avg)]),
    );
    let avg = a.aggregate.unwrap().as_f64().unwrap();
    assert!((avg - sum as f64 / bytes.len() as f64).abs() < 1e-6);
}

#[test]
fn parse_each_format_reads_every_entry() {
    let n = entries_all().len() as i64;
    let formats = [
        ("common", Format::Common),
        ("combined", Format::Combined),
        ("json", Format::Json),
        ("logfmt", Format::Logfmt),
        ("combined", Format::Auto),
        ("json", Format::Auto),
        (
            "common",
            Format::Apache(r#"%h %l %u %t "%r" %>s %b"#.into()),
        ),
        (
            "common",
            Format::NginxFormat(
                r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#
                    .into(),
            ),
        ),
        (
            "common",
            Format::Regex(r"^(?P<host>\S+) .* (?P<status>\d+) (?P<bytes>\S+)$".into()),
        ),
    ];
    for (dir, format) in formats {
        let a = three_ways(
            dir,
            query()
                .parse(format.clone())
                .filter(col("status").eq(404))
                .aggregate([Agg::count()]),
        );
        let truth = entries_all().iter().filter(|e| e.status == 404).count() as i64;
        assert_eq!(column_of(&a, "count"), vec![json!(truth)], "{format:?}");
        let a = three_ways(dir, query().parse(format.clone()).aggregate([Agg::count()]));
        assert_eq!(column_of(&a, "count"), vec![json!(n)], "{format:?}");
    }
}

#[test]
fn parse_combined_presets_of_other_servers_agree_three_ways() {
    // nginx's default format is Apache's combined: same lines, same answer.
    let a = three_ways("combined", query().parse(Format::Nginx).count_by("status"));
    let b = three_ways(
        "combined",
        query().parse(Format::Combined).count_by("status"),
    );
    assert_eq!(a.rows.len(), b.rows.len());
}

#[test]
fn where_filters_records() {
    let cond = col("status")
        .ge(400)
        .and(col("path").matches(r"\.php$").not())
        .or(col("bytes").is_null());
    let a = three_ways(
        "common",
        query().parse(Format::Common).filter(cond).select(["host"]),
    );
    let truth: Vec<Json> = entries_all()
        .iter()
        .filter(|e| (e.status >= 400 && !e.path.ends_with(".php")) || e.bytes.is_none())
        .map(|e| json!({"host": e.host}))
        .collect();
    assert_eq!(a.rows, truth);
    let a = three_ways(
        "json",
        query()
            .parse(Format::Json)
            .filter(col("status").is_in([301, 304]))
            .aggregate([Agg::count()]),
    );
    let truth = entries_all()
        .iter()
        .filter(|e| [301, 304].contains(&e.status))
        .count();
    assert_eq!(column_of(&a, "count"), vec![json!(truth)]);
}

#[test]
fn select_computes_columns() {
    let a = three_ways(
        "common",
        query()
            .parse(Format::Common)
            .filter(col("bytes").is_not_null())
            .select([
                Column::from("path"),
                col("bytes").div(1000).named("kb"),
                col("path").upper().length().named("n"),
                col("time").hour().named("h"),
            ])
            .head(50),
    );
    assert_eq!(a.rows.len(), 50);
    let first = entries_all().iter().find(|e| e.bytes.is_some()).unwrap();
    assert_eq!(a.rows[0]["path"], json!(first.path));
    assert_eq!(a.rows[0]["n"], json!(first.path.len()));
}

#[test]
fn sort_orders_rows() {
    let a = three_ways(
        "common",
        query()
            .parse(Format::Common)
            .count_by("path")
            .sort([col("count").desc(), col("path").asc()]),
    );
    let mut truth: Vec<(i64, String)> = counts_by(|e| e.path.clone())
        .into_iter()
        .map(|(p, c)| (-c, p))
        .collect();
    truth.sort();
    let truth: Vec<Json> = truth
        .into_iter()
        .map(|(c, p)| json!({"path": p, "count": -c}))
        .collect();
    assert_eq!(a.rows, truth);
}

#[test]
fn aggregates_by_groups() {
    let a = three_ways(
        "common",
        query()
            .parse(Format::Common)
            .aggregate_by(
                [
                    Agg::count(),
                    Agg::sum("bytes"),
                    Agg::min("bytes"),
                    Agg::max("bytes").named("largest"),
                    Agg::avg("bytes"),
                ],
                ["status"],
            )
            .sort(["status"]),
    );
    let counts = counts_by(|e| e.status);
    assert_eq!(
        column_of(&a, "status"),
        counts.keys().map(|s| json!(s)).collect::<Vec<_>>()
    );
    assert_eq!(
        column_of(&a, "count"),
        counts.values().map(|c| json!(c)).collect::<Vec<_>>()
    );
    // The bytes of each status's entries, folded by `f`.
    let per_status = |f: &dyn Fn(Vec<i64>) -> Json| -> Vec<Json> {
        counts
            .keys()
            .map(|s| {
                let bytes = entries_all().iter().filter(|e| e.status == *s);
                f(bytes.filter_map(|e| e.bytes).collect())
            })
            .collect()
    };
    let largest = per_status(&|b| json!(b.into_iter().max()));
    assert_eq!(column_of(&a, "largest"), largest);
    let sums = per_status(&|b| json!(b.into_iter().sum::<i64>()));
    assert_eq!(column_of(&a, "sum_bytes"), sums);
}

#[test]
fn distinct_and_count_distinct() {
    let a = three_ways(
        "logfmt",
        query()
            .parse(Format::Logfmt)
            .aggregate([Agg::count_distinct("host"), Agg::distinct("path")]),
    );
    let hosts: BTreeSet<&str> = entries_all().iter().map(|e| e.host.as_str()).collect();
    assert_eq!(
        column_of(&a, "count_distinct_host"),
        vec![json!(hosts.len())]
    );
    let paths: BTreeSet<&str> = entries_all().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        column_of(&a, "distinct_path"),
        vec![json!(paths.into_iter().collect::<Vec<_>>().join(", "))]
    );
}

#[test]
fn percentiles() {
    let a = three_ways(
        "common",
        query().parse(Format::Common).aggregate([
            Agg::p50("bytes"),
            Agg::p90("bytes"),
            Agg::p95("bytes"),
            Agg::p99("bytes"),
            Agg::percentile("bytes", 25.0).named("q1"),
        ]),
    );
    let mut bytes: Vec<i64> = entries_all().iter().filter_map(|e| e.bytes).collect();
    bytes.sort();
    // Nearest rank: the smallest value with at least q% of the values at or below it.
    let rank = |q: f64| bytes[((q / 100.0 * bytes.len() as f64).ceil() as usize).max(1) - 1];
    assert_eq!(column_of(&a, "p50_bytes"), vec![json!(rank(50.0))]);
    assert_eq!(column_of(&a, "p99_bytes"), vec![json!(rank(99.0))]);
    assert_eq!(column_of(&a, "q1"), vec![json!(rank(25.0))]);
}

#[test]
fn top_first_last() {
    let a = three_ways(
        "json",
        query().parse(Format::Json).aggregate_by(
            [Agg::top(2, "path"), Agg::first("host"), Agg::last("host")],
            ["status"],
        ),
    );
    assert_eq!(a.rows.len(), counts_by(|e| e.status).len());
    // The first row is the first status met; its first and last hosts as written.
    let s = entries_all()[0].status;
    let of_s: Vec<&Entry> = entries_all().iter().filter(|e| e.status == s).collect();
    assert_eq!(a.rows[0]["first_host"], json!(of_s[0].host));
    assert_eq!(a.rows[0]["last_host"], json!(of_s[of_s.len() - 1].host));
}

#[test]
fn group_by_expressions_and_time_buckets() {
    let a = three_ways(
        "common",
        query()
            .parse(Format::Common)
            .aggregate_by([Agg::count()], [col("time").bucket("10m").named("t")])
            .sort(["t"]),
    );
    let mut truth = BTreeMap::new();
    for i in 0..entries_all().len() {
        *truth.entry(((i / 60) % 60) / 10).or_insert(0) += 1;
    }
    assert_eq!(
        column_of(&a, "count"),
        truth.values().map(|c| json!(c)).collect::<Vec<_>>()
    );
    let a = three_ways(
        "common",
        query()
            .parse(Format::Common)
            .aggregate_by([Agg::count()], [col("path").lower().named("p")]),
    );
    assert_eq!(a.rows.len(), counts_by(|e| e.path.to_lowercase()).len());
}

#[test]
fn tee_runs_branches_in_one_pass() {
    let a = three_ways(
        "common",
        query().parse(Format::Common).tee([
            query().count_by("status").sort(["status"]),
            query()
                .filter(col("path").eq(lit("/robots.txt")))
                .aggregate([Agg::sum("bytes")]),
        ]),
    );
    assert_eq!(a.branches.len(), 2);
    assert_eq!(
        column_of(&a.branches[0], "count"),
        counts_by(|e| e.status)
            .values()
            .map(|c| json!(c))
            .collect::<Vec<_>>()
    );
    let robots: i64 = entries_all()
        .iter()
        .filter(|e| e.path == "/robots.txt")
        .filter_map(|e| e.bytes)
        .sum();
    assert_eq!(column_of(&a.branches[1], "sum_bytes"), vec![json!(robots)]);
}

#[test]
fn the_text_the_builder_writes_is_the_pipeline_language() {
    let q = query()
        .grep("GET")
        .parse(Format::Common)
        .filter(col("status").eq(404))
        .count_by("path");
    assert_eq!(
        q.text(),
        "grep 'GET' | parse common | where (status == 404) | count by path"
    );
}
