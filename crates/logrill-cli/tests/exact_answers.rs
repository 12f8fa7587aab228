//! Questions whose answer used to look right and was not: sums past the 128-bit range,
//! quoted dates, deeply nested expressions (a crash). Each printed a plausible wrong answer
//! (or aborted) before.

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

fn run_stdin(pipeline: &str, input: &str) -> (String, String, i32) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .arg(pipeline)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run logrill");
    // A query refused before any input is read ends the process first: its stdin is
    // then closed, and the write's broken pipe is expected (the answer is in stderr).
    let wrote = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    if let Err(e) = wrote {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write: {e}");
    }
    let out = child.wait_with_output().expect("wait");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn sums_past_128_bits_stay_exact_or_show_they_are_not() {
    let max = i128::MAX.to_string();
    // i128::MAX + 1 - 1: past the range on the way, exact at the end.
    let (out, err, code) = run_stdin("sum", &format!("{max}\n1\n-1\n"));
    assert_eq!(
        (out.as_str(), code),
        (format!("{max}\n").as_str(), 0),
        "{err}"
    );
    // Ending past it: a float, with an exponent (its digits are not all known).
    let (out, _, _) = run_stdin("sum", &format!("{max}\n1\n"));
    assert_eq!(out, "1.7014118346046923e38\n");
    // Integers past 64 bits are read exactly.
    let (out, _, _) = run_stdin("sum", "18446744073709551616\n18446744073709551616\n");
    assert_eq!(out, "36893488147419103232\n");
    // Records: a logfmt value past 64 bits.
    let (out, _, _) = run_stdin("parse logfmt | sum a", &format!("a={max}\na=1\na=-1\n"));
    assert_eq!(out.lines().last(), Some(max.as_str()));
    // A float of 2^53 or more never prints as if it were an exact integer.
    let (out, _, _) = run_stdin("max", "1e20\n3\n");
    assert_eq!(out, "1e20\n");
}

/// Lines at 23:00 on the 27th and 01:00 on the 28th, in a −06:00 log: 05:00 and 07:00 UTC
/// on the 28th.
const DAY_EDGE: &str = "\
1.1.1.1 - - [27/Feb/2008:23:00:00 -0600] \"GET /a HTTP/1.0\" 200 1
1.1.1.1 - - [28/Feb/2008:01:00:00 -0600] \"GET /b HTTP/1.0\" 200 1
1.1.1.1 - - [27/Feb/2008:12:00:00 -0600] \"GET /c HTTP/1.0\" 200 1
";

#[test]
fn quoted_dates_are_times_and_a_bare_date_is_utc_midnight() {
    for lit in ["2008-02-28", "\"2008-02-28\"", "'2008-02-28'"] {
        let (out, err, code) = run_stdin(
            &format!("parse common | where time >= {lit} | count"),
            DAY_EDGE,
        );
        // Midnight UTC on the 28th is 18:00 on the 27th in the log's zone: the 23:00 and
        // 01:00 lines are after it, the 12:00 one before.
        assert_eq!((out.as_str(), code), ("2\n", 0), "{lit}: {err}");
    }
    // An offset makes it the log's own midnight.
    let (out, _, _) = run_stdin(
        "parse common | where time >= \"2008-02-28T00:00:00-06:00\" | count",
        DAY_EDGE,
    );
    assert_eq!(out, "1\n");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let parens = format!(
        "parse common | where {}status{} | count",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let nots = format!(
        "parse common | where {}status | count",
        "not ".repeat(20_000)
    );
    let negs = format!(
        "parse common | where {}status > 1 | count",
        "- ".repeat(20_000)
    );
    let tees = format!(
        "parse common | {}count{}",
        "tee (".repeat(3000),
        ")".repeat(3000)
    );
    // A flat chain is as deep as it is long (`a + b + c` is `(a + b) + c`).
    let sums = format!(
        "parse common | where status{} > 0 | count",
        " + 1".repeat(20_000)
    );
    for (pipeline, bound) in [
        (parens, "100"),
        (nots, "1000"),
        (negs, "1000"),
        (tees, "100"),
        (sums, "1000"),
    ] {
        let (out, err, code) = run_stdin(&pipeline, DAY_EDGE);
        assert_eq!(code, 2, "{}", &err[..err.len().min(300)]);
        assert_eq!(out, "");
        let said = err.lines().next().unwrap_or("");
        assert!(
            said.contains(&format!("nested more than {bound} deep")),
            "{said}"
        );
    }
    // Long `or` lists (generated queries) are built balanced: fine.
    let statuses: Vec<String> = (0..5000).map(|s| format!("status == {s}")).collect();
    let ors = format!("parse common | where {} | count", statuses.join(" or "));
    let (out, err, code) = run_stdin(&ors, DAY_EDGE);
    assert_eq!((out.as_str(), code), ("3\n", 0), "{err}");
    // 100 levels are fine.
    let ok = format!(
        "parse common | where {}status{} == 200 | count",
        "(".repeat(99),
        ")".repeat(99)
    );
    let (out, err, code) = run_stdin(&ok, DAY_EDGE);
    assert_eq!((out.as_str(), code), ("3\n", 0), "{err}");
}

#[test]
fn a_limit_of_zero_is_refused_not_taken_as_one() {
    for option in ["--max-state", "--max-line-bytes"] {
        let out = Command::new(BIN)
            .args([option, "0", "count"])
            .stdin(Stdio::null())
            .output()
            .expect("run logrill");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!(
                "invalid value '0' for '{option} <N>': must be at least 1"
            )),
            "{err}"
        );
    }
}
