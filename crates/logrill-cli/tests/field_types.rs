//! A field whose kind is known before reading (a format's fields, a `select` column, an
//! aggregate's column) used where it cannot be is refused before any line is read, with a
//! caret under the field. Each refused command here answered `0` with exit 0 before (a
//! string in `sum` was skipped line by line; `where path > 3` kept nothing).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

const COMBINED: &str =
    "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 500 2326 \"-\" \"curl\"\n\
10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] \"GET /b HTTP/1.0\" 200 10 \"-\" \"curl\"\n";

fn run(pipeline: &str, input: &str) -> (String, String, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log");
    std::fs::write(&path, input).expect("write");
    let out = Command::new(BIN)
        .arg(pipeline)
        .arg(&path)
        .output()
        .expect("run logrill");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `pipeline` is refused: exit 2, nothing printed, `message` in the first line, and the
/// caret under `name` in the pipeline line above it.
fn refused(pipeline: &str, name: &str, message: &str) {
    let (out, err, code) = run(pipeline, COMBINED);
    assert_eq!(code, 2, "{pipeline}: {err}");
    assert_eq!(out, "", "{pipeline}: nothing is printed");
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].contains(message), "{pipeline}: {err}");
    let caret = lines[2].find('^').expect("caret");
    assert!(lines[1][caret..].starts_with(name), "{err}");
}

#[test]
fn strings_where_numbers_are_needed_are_refused_at_the_field() {
    refused(
        "parse combined | sum path",
        "path",
        "`path` is a string here, and sum needs numbers",
    );
    refused(
        "parse combined | avg host by status",
        "host",
        "`host` is a string here, and avg needs numbers",
    );
    refused(
        "parse combined | where path > 3 | count",
        "path",
        "`path` is a string here, compared with a number",
    );
    refused(
        "parse combined | where status > 3 and 1 < method | count",
        "method",
        "`method` is a string here, compared with a number",
    );
    refused(
        "parse combined | where bytes + agent > 3 | count",
        "agent",
        "`agent` is a string here, and arithmetic needs numbers",
    );
    // The kind goes on through `select … as` and an aggregate's columns.
    refused(
        "parse combined | select path as page | sum page",
        "page",
        "`page` is a string here",
    );
    refused(
        "parse combined | min path as p by host | sum p",
        "p",
        "`p` is a string here",
    );
    // And through the format `parse auto` chose.
    refused(
        "parse auto | sum path",
        "path",
        "`path` is a string here, and sum needs numbers",
    );
}

#[test]
fn numbers_and_unknown_kinds_still_give_the_answer() {
    for (pipeline, want) in [
        ("parse combined | sum bytes", "2336\n"),
        ("parse combined | where status > 300 | count", "1\n"),
        ("parse combined | where path == '/b' | count", "1\n"),
        (
            "parse combined | count by path | where count > 0 | count",
            "2\n",
        ),
        ("parse combined | min path", "min_path\n/a.gif\n"),
        // A regex group is a number or a string line by line: not refused.
        (
            r"parse regex '\x22 (?P<st>\S+) (?P<n>\d+) ' | sum n",
            "2336\n",
        ),
    ] {
        let (out, err, code) = run(pipeline, COMBINED);
        assert_eq!((out.as_str(), code), (want, 0), "{pipeline}: {err}");
    }
    // JSON names its own fields: a string there is skipped line by line, as before.
    let (out, err, code) = run("parse json | sum path", "{\"path\":\"/a\"}\n{\"path\":3}\n");
    assert_eq!((out.as_str(), code), ("3\n", 0), "{err}");
    assert!(err.contains("1 not a number"), "{err}");
}

/// Headers, cookies, notes and environment variables hold what the site puts there, often
/// numbers (a response time, a length): they are summed and compared as before, not
/// refused as strings (review: `%{X-Time}o` was refused).
#[test]
fn configured_fields_that_hold_numbers_are_not_refused() {
    let format =
        r#"parse "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %{X-Time}o""#;
    let log =
        "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a HTTP/1.0\" 200 5 \"-\" \"curl\" 130\n\
10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] \"GET /b HTTP/1.0\" 200 5 \"-\" \"curl\" 70\n";
    let (out, err, code) = run(&format!("{format} | sum sent_http_x_time"), log);
    assert_eq!((out.trim(), code), ("200", 0), "{err}");
    let (out, err, code) = run(
        &format!("{format} | where sent_http_x_time > 100 | count"),
        log,
    );
    assert_eq!((out.trim(), code), ("1", 0), "{err}");
    // The named headers are text, as before.
    let (_, err, code) = run(&format!("{format} | sum agent"), log);
    assert_eq!(code, 2, "{err}");
}
