//! A misspelled field is an error with a hint (or, for formats whose records name their
//! own fields, a warning with the names seen and a failing exit status), never a plausible
//! empty answer with exit 0. Each command here printed an empty or zero answer with exit 0
//! before fields were checked.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

/// A combined-format line, written here, so the field names are the preset's.
const COMBINED: &str =
    "10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /a.gif HTTP/1.0\" 500 2326 \"-\" \"curl\"\n\
10.0.0.2 - - [10/Oct/2000:13:55:37 -0700] \"GET /b HTTP/1.0\" 200 10 \"-\" \"curl\"\n";

fn run(pipeline: &str, input: &str, extra: &[&str]) -> (String, String, i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("log");
    std::fs::write(&path, input).expect("write");
    let out = Command::new(BIN)
        .args(extra)
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

/// The error for `pipeline`: nothing printed, exit 2, a message naming the field, the
/// suggestion, and a caret under the column where the name stands.
fn refused(pipeline: &str, name: &str, suggestion: &str) {
    let (out, err, code) = run(pipeline, COMBINED, &[]);
    assert_eq!(code, 2, "{pipeline}: {err}");
    assert_eq!(out, "", "{pipeline}: nothing is printed");
    let first = err.lines().next().unwrap_or("");
    assert!(
        first.contains(&format!(
            "unknown field `{name}` (did you mean `{suggestion}`?)"
        )),
        "{pipeline}: {err}"
    );
    // The caret line points at the name in the pipeline line above it.
    let lines: Vec<&str> = err.lines().collect();
    let caret = lines[2].find('^').expect("caret");
    assert!(lines[1][caret..].starts_with(name), "{err}");
}

#[test]
fn misspelled_fields_of_a_known_format_are_refused() {
    refused("parse combined | count by stauts", "stauts", "status");
    refused(
        "parse combined | where stauts >= 500 | count",
        "stauts",
        "status",
    );
    refused("parse combined | top 10 url", "url", "path");
    refused(
        "parse combined | sum bytes by host | sort -sum",
        "sum",
        "sum_bytes",
    );
    refused(
        "parse combined | select path as page, bytes | where pgae == '/a.gif'",
        "pgae",
        "page",
    );
    refused(
        r#"parse "%h %l %u %t \"%r\" %>s %b" | sum bytes by hots"#,
        "hots",
        "host",
    );
    refused("parse nginx | count by stats", "stats", "status");
    refused("parse auto | count by stauts", "stauts", "status");
}

#[test]
fn right_fields_still_give_the_answer() {
    let (out, err, code) = run(
        "parse combined | sum bytes by host | sort sum_bytes desc",
        COMBINED,
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "host\tsum_bytes\n10.0.0.1\t2326\n10.0.0.2\t10\n");
    let (out, _, code) = run(
        "parse combined | where status >= 500 | count",
        COMBINED,
        &[],
    );
    assert_eq!((out.as_str(), code), ("1\n", 0));
}

const JSON: &str = "{\"level\":\"info\",\"service\":\"api\"}\n\
{\"level\":\"error\",\"service\":\"db\",\"status\":500}\n";

#[test]
fn a_json_field_no_record_had_is_reported_with_the_names_seen() {
    for threads in ["-j1", "-j2"] {
        let (out, err, code) = run(
            "parse json | where levle == 'error' | count",
            JSON,
            &[threads],
        );
        assert_eq!(out, "0\n", "the result is still printed");
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("field `levle` was in no record (did you mean `level`?); fields seen: level, service, status"),
            "{err}"
        );
    }
    // A field only some records have is no mistake.
    let (out, err, code) = run("parse json | where status >= 500 | count", JSON, &[]);
    assert_eq!((out.as_str(), err.as_str(), code), ("1\n", "", 0));
    // A field no record has, near no name that was seen, may just not occur in these logs
    // (no errors today): a note, exit 0; -q hides it.
    let (out, err, code) = run("parse json | where error is not null | count", JSON, &[]);
    assert_eq!((out.as_str(), code), ("0\n", 0), "{err}");
    assert_eq!(
        err,
        "logrill: field `error` was in no record; fields seen: level, service, status\n"
    );
    let (_, err, code) = run(
        "parse json | where error is not null | count",
        JSON,
        &["-q"],
    );
    assert_eq!((err.as_str(), code), ("", 0));
    // logfmt likewise.
    let (_, err, code) = run(
        "parse logfmt | count by lvl",
        "level=info msg=x\nlevel=warn msg=y\n",
        &["-q"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("field `lvl` was in no record"), "{err}");
}

#[test]
fn help_says_how_field_names_are_checked_and_what_a_bare_date_means() {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run logrill");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("Field names are checked before reading"),
        "{help}"
    );
    assert!(
        help.contains("a date, bare or quoted, is midnight UTC"),
        "{help}"
    );
}
