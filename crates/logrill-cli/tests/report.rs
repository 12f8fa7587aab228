//! End to end: the numbers of `logrill report` equal what the command line's aggregates
//! say on the same logs (and, for the sample tree, the generator's ground truth), and the
//! page is self-contained, with charts and their tables.
//!
//! The report is made by calling the report module's `run` (the module is compiled into
//! this test), so the test does not depend on how the subcommand is wired; the aggregates
//! come from the `logrill` binary.

// The report module is compiled in here whole; the test uses part of it.
#![allow(dead_code, unused_imports)]

#[path = "../src/report/mod.rs"]
mod report;
// What the report module uses of the command line: its diagnostics on stderr.
#[path = "../src/diag.rs"]
mod diag;
#[path = "../src/escape.rs"]
mod escape;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `logrill --json -q PIPELINE PATH… [-g GLOB]`: every JSON line.
fn cli(pipeline: &str, paths: &[&Path], glob: Option<&str>) -> Vec<Value> {
    let mut cmd = Command::new(BIN);
    cmd.arg("--json").arg("-q").arg(pipeline).args(paths);
    if let Some(g) = glob {
        cmd.args(["-g", g]);
    }
    let out = cmd.output().expect("run logrill");
    assert!(
        out.status.success(),
        "{pipeline}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The one number of a lone aggregate (`{"count":N}`).
fn scalar(pipeline: &str, paths: &[&Path], glob: Option<&str>) -> Value {
    let rows = cli(pipeline, paths, glob);
    assert_eq!(rows.len(), 1, "{pipeline}: {rows:?}");
    rows[0]
        .as_object()
        .and_then(|o| o.values().next().cloned())
        .unwrap_or(Value::Null)
}

/// Make the report and return the page and its numbers (the JSON it embeds).
fn make_report(paths: &[PathBuf], glob: Option<&str>, format: &str, out: &Path) -> (String, Value) {
    let args = report::ReportArgs {
        paths: paths.to_vec(),
        globs: glob.map(|g| vec![g.to_string()]).unwrap_or_default(),
        format: format.to_string(),
        output: Some(out.to_path_buf()),
        follow: false,
        every: std::time::Duration::from_secs(10),
        serve: None,
        serve_any: false,
        top: 10,
        rounds: None,
    };
    let code = report::run(&args).expect("report runs");
    assert_eq!(code, 0);
    let page = std::fs::read_to_string(out).expect("the report was written");
    let start = page
        .find("<script type=\"application/json\" id=\"logrill-data\">")
        .expect("the data block")
        + "<script type=\"application/json\" id=\"logrill-data\">".len();
    let end = start + page[start..].find("</script>").expect("its end");
    let data = serde_json::from_str(&page[start..end]).expect("the data is JSON");
    (page, data)
}

/// Rows of a ranked report table as CLI `top` rows (`{"path": …, "count": …}`).
fn as_top(rows: &Value, column: &str) -> Vec<Value> {
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|r| serde_json::json!({ column: r["value"], "count": r["count"] }))
        .collect()
}

fn self_contained(page: &str) {
    // Nothing is fetched: no reference of any kind (URLs from the logs are text, never
    // links), and a CSP that forbids requests anyway.
    for bad in [
        "src=", "href=", "<link", "@import", "url(", "<iframe", "<img", "<object", "<embed",
    ] {
        assert!(!page.contains(bad), "the page contains {bad:?}");
    }
    assert!(page.contains("Content-Security-Policy\" content=\"default-src 'none'"));
    assert!(page.contains("<svg") && page.contains("role=\"img\""));
    assert!(page.contains("<table>"));
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
}

#[test]
fn sample_tree_report_equals_the_cli_and_the_truth() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = repo().join("examples/logs");
    let out = dir.path().join("report.html");
    let glob = Some("access-log*");
    let (page, data) = make_report(std::slice::from_ref(&logs), glob, "common", &out);
    self_contained(&page);
    let p = [logs.as_path()];
    let s = &data["summary"];

    assert_eq!(s["requests"], scalar("parse common | count", &p, glob));
    assert_eq!(
        s["hosts"],
        scalar("parse common | count_distinct host", &p, glob)
    );
    assert_eq!(s["bytes"], scalar("parse common | sum bytes", &p, glob));
    assert_eq!(s["first"], scalar("parse common | min time", &p, glob));
    assert_eq!(s["last"], scalar("parse common | max time", &p, glob));
    assert_eq!(
        data["status"],
        Value::Array(cli(
            "parse common | count, sum bytes as bytes by status",
            &p,
            glob
        ))
    );
    assert_eq!(
        as_top(&data["top_paths"], "path"),
        cli("parse common | top 10 path", &p, glob)
    );
    assert_eq!(
        as_top(&data["top_404"], "path"),
        cli("parse common | where status == 404 | top 10 path", &p, glob)
    );
    assert_eq!(
        as_top(&data["top_hosts"], "host"),
        cli("parse common | top 10 host", &p, glob)
    );
    // The common format has no referer, agent or response time.
    assert_eq!(data["top_referers"], serde_json::json!([]));
    assert_eq!(data["top_agents"], serde_json::json!([]));
    assert_eq!(data["durations"]["requests"], 0);

    // Over time, in the buckets the report chose: requests, bytes and 5xx per bucket.
    let width = data["bucket"].as_str().expect("a bucket width");
    let per_bucket = |pipeline: &str, column: &str| -> Vec<(Value, Value)> {
        cli(pipeline, &p, glob)
            .into_iter()
            .map(|r| (r["time"].clone(), r[column].clone()))
            .collect()
    };
    let report_column = |column: &str| -> Vec<(Value, Value)> {
        data["over_time"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| (r["time"].clone(), r[column].clone()))
            .collect()
    };
    assert_eq!(
        report_column("requests"),
        per_bucket(
            &format!("parse common | count by bucket(time, {width}) as time"),
            "count"
        )
    );
    assert_eq!(
        report_column("bytes"),
        per_bucket(
            &format!("parse common | sum bytes by bucket(time, {width}) as time"),
            "sum_bytes"
        )
    );
    let nonzero_5xx: Vec<_> = report_column("status_5xx")
        .into_iter()
        .filter(|(_, n)| n.as_i64() != Some(0))
        .collect();
    assert_eq!(
        nonzero_5xx,
        per_bucket(
            &format!("parse common | where status >= 500 | count by bucket(time, {width}) as time"),
            "count"
        )
    );

    // The generator's ground truth: status counts of every access log, and the lines
    // that are not log lines are the lines that did not parse.
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(logs.join("TRUTH.json")).expect("TRUTH.json"),
    )
    .expect("JSON");
    let mut statuses = std::collections::BTreeMap::<i64, i64>::new();
    let (mut lines, mut bad) = (0, 0);
    for f in truth["per_file"].as_array().expect("per_file") {
        for (k, v) in f["status_counts"].as_object().expect("status_counts") {
            *statuses.entry(k.parse().expect("a status")).or_default() += v.as_i64().unwrap_or(0);
        }
        lines += f["lines"].as_i64().unwrap_or(0);
        // (The generator's malformed lines include its empty line.)
        bad += f["malformed_lines"].as_i64().unwrap_or(0);
    }
    let report_statuses: std::collections::BTreeMap<i64, i64> = data["status"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["status"].as_i64().unwrap_or(-1),
                r["count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(report_statuses, statuses);
    assert_eq!(s["requests"].as_i64(), Some(lines - bad));
    assert_eq!(data["unparsed"].as_i64(), Some(bad));

    // The numbers are on the page as text, too.
    let requests = s["requests"].as_i64().unwrap_or(0);
    assert!(page.contains(&report::html::group(&requests.to_string())));
    for (status, n) in &statuses {
        assert!(page.contains(&format!(
            "<th scope=\"row\">{status}</th><td class=\"n\">{}</td>",
            report::html::group(&n.to_string())
        )));
    }
}

/// The format of [`timed_log`]: combined with `%D`.
const TIMED_FORMAT: &str = r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i" %D"#;

/// A combined log with response times (`%D`, microseconds), written here.
fn timed_log(dir: &Path) -> PathBuf {
    let mut text = String::new();
    let paths = [
        "/",
        "/a",
        "/b",
        "/a",
        "/c",
        "/a",
        "/missing",
        "/b",
        "/a",
        "/x<script>",
    ];
    for i in 0..500u64 {
        let path = paths[(i * 7 % 10) as usize];
        let status = if path == "/missing" {
            404
        } else if i % 50 == 0 {
            503
        } else {
            200
        };
        let bytes = if i % 9 == 0 {
            "-".to_string()
        } else {
            (100 + i * 13 % 5000).to_string()
        };
        let (min, sec) = (i / 60 % 60, i % 60);
        let hour = i / 3600 + 10;
        text.push_str(&format!(
            "10.0.0.{} - - [02/Mar/2024:{hour:02}:{min:02}:{sec:02} +0100] \"GET {path} HTTP/1.1\" {status} {bytes} \
             \"https://ref{}.example/\" \"agent/{}\" {}\n",
            i % 13,
            i % 4,
            i % 5,
            1000 + (i * 7919) % 250_000
        ));
    }
    text.push_str("this line is not a log line\n");
    let p = dir.join("timed.log");
    std::fs::write(&p, text).expect("write the log");
    p
}

#[test]
fn response_times_referers_and_agents_equal_the_cli() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = timed_log(dir.path());
    let format = TIMED_FORMAT;
    let out = dir.path().join("r.html");
    let (page, data) = make_report(std::slice::from_ref(&log), None, format, &out);
    self_contained(&page);
    let p = [log.as_path()];
    let q = |rest: &str| format!("parse {} | {rest}", report::data::quote(format));
    let d = &data["durations"];
    assert_eq!(d["requests"], 500);
    for pct in ["p50", "p90", "p95", "p99"] {
        assert_eq!(
            d[pct],
            scalar(&q(&format!("{pct} duration")), &p, None),
            "{pct}"
        );
    }
    assert_eq!(d["max"], scalar(&q("max duration"), &p, None));
    assert_eq!(
        as_top(&data["top_referers"], "referer"),
        cli(&q("top 10 referer"), &p, None)
    );
    assert_eq!(
        as_top(&data["top_agents"], "agent"),
        cli(&q("top 10 agent"), &p, None)
    );
    assert_eq!(data["unparsed"], 1);
    assert_eq!(
        data["summary"]["no_bytes"],
        scalar(&q("where bytes is null | count"), &p, None)
    );
    // Text from the log is escaped on the page, and cannot close the data block.
    assert!(page.contains("/x&lt;script&gt;"));
    assert!(!page.contains("/x<script>"));
    // 500 requests over 8 minutes: per-minute buckets.
    assert_eq!(data["bucket"], "1m");
    assert_eq!(data["over_time"].as_array().map(Vec::len), Some(9));
}

#[test]
fn follow_rewrites_the_report_when_the_log_grows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = timed_log(dir.path());
    let out = dir.path().join("live.html");
    let args = report::ReportArgs {
        paths: vec![log.clone()],
        globs: Vec::new(),
        format: TIMED_FORMAT.into(),
        output: Some(out.clone()),
        follow: true,
        every: std::time::Duration::from_millis(200),
        serve: None,
        serve_any: false,
        top: 5,
        rounds: Some(15),
    };
    let follower = std::thread::spawn(move || report::run(&args).map_err(|e| e.to_string()));
    // Wait for the first report, then add ten requests to the log.
    let requests = |out: &Path| -> Option<i64> {
        let page = std::fs::read_to_string(out).ok()?;
        let start = page.find("id=\"logrill-data\">")? + "id=\"logrill-data\">".len();
        let end = start + page[start..].find("</script>")?;
        let data: Value = serde_json::from_str(&page[start..end]).ok()?;
        data["summary"]["requests"].as_i64()
    };
    for _ in 0..100 {
        if requests(&out).is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(requests(&out), Some(500));
    let mut more = String::new();
    for i in 0..10 {
        more.push_str(&format!(
            "10.0.0.1 - - [02/Mar/2024:10:09:{i:02} +0100] \"GET /new HTTP/1.1\" 200 10 \"-\" \"a\" 100\n"
        ));
    }
    let mut text = std::fs::read_to_string(&log).expect("the log");
    text.push_str(&more);
    std::fs::write(&log, text).expect("append");
    let result = follower.join().expect("the follower");
    assert_eq!(result, Ok(0));
    assert_eq!(requests(&out), Some(510));
    let page = std::fs::read_to_string(&out).expect("written");
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"1\">"));
    // Only the log and the report are in the directory: no temporary file is left.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn bad_arguments_are_refused_before_reading() {
    let base = report::ReportArgs {
        paths: vec![repo().join("examples/logs")],
        globs: Vec::new(),
        format: "common".into(),
        output: None,
        follow: false,
        every: std::time::Duration::from_secs(1),
        serve: None,
        serve_any: false,
        top: 10,
        rounds: Some(1),
    };
    // No output.
    assert!(report::run(&base).is_err());
    // A bad format.
    let mut a = base.clone();
    a.output = Some(std::env::temp_dir().join("never-written.html"));
    a.format = "no-such-format".into();
    let e = report::run(&a).expect_err("a bad format");
    assert!(e.to_string().contains("no-such-format"), "{e}");
    // Serving beyond loopback.
    let mut a = base.clone();
    a.serve = Some("0.0.0.0:0".parse().expect("an address"));
    let e = report::run(&a).expect_err("not loopback");
    assert!(e.to_string().contains("loopback"), "{e}");
    // Following standard input.
    let mut a = base;
    a.paths = Vec::new();
    a.follow = true;
    a.output = Some(std::env::temp_dir().join("never-written.html"));
    assert!(report::run(&a).is_err());
}

/// The default `--format auto` on common and combined logs: the format is chosen before the
/// report's pipeline is built, so branches reading a field the chosen format lacks
/// (`referer` in common, `duration` in both) read it as null instead of stopping the run
/// with an unknown-field error (which made every report of such logs fail).
#[test]
fn auto_format_reports_common_and_combined_logs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let combined = repo().join("examples/real-logs/elastic-examples/apache_logs");
    // The same lines cut to the common format (the first ten fields).
    let common = dir.path().join("common.log");
    let text = std::fs::read_to_string(&combined).expect("the real log");
    let cut: String = text
        .lines()
        .map(|l| l.split(' ').take(10).collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    std::fs::write(&common, cut).expect("write");
    for (log, format) in [(&combined, "combined"), (&common, "common")] {
        let out = dir.path().join(format!("{format}.html"));
        let (_, data) = make_report(std::slice::from_ref(log), None, "auto", &out);
        let p = [log.as_path()];
        assert_eq!(
            data["summary"]["requests"],
            scalar(&format!("parse {format} | count"), &p, None),
            "{format}"
        );
        assert_eq!(data["durations"]["requests"], 0, "{format}");
        let notes = data["notes"].to_string();
        assert!(
            notes.contains(&format!("parse auto: chose {format}")),
            "{format}: {notes}"
        );
    }
}
