//! What the command prints and says, checked end to end: tables of records whose fields
//! are named per record (JSON, logfmt), `-H` on records, line numbers under `-F`,
//! diagnostics that survive a closed stderr and cannot drive a terminal, counts in words,
//! the commands in `--help`, and follow notices printed when they happen.
//!
//! Every expected output is written out here from the input this file writes.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::sleep;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8 here")
    }
    fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "code {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            String::from_utf8_lossy(&self.stdout),
            self.err()
        )
    }
}

/// Run logrill in `dir` with `stdin`.
fn run_in(dir: &Path, args: &[&OsStr], stdin: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logrill");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

macro_rules! logrill {
    ($dir:expr, $stdin:expr; $($arg:expr),* $(,)?) => {
        run_in($dir, &[$(AsRef::<OsStr>::as_ref(&$arg)),*], $stdin)
    };
}

const JSON: &str = "{\"a\":1}\n{\"b\":2}\n{\"b\":3,\"a\":4,\"c\":\"x\"}\n";

// ---------------------------------------------------------------------------------------
// Tables of JSON and logfmt records: the union of their names, each value under its own
// ---------------------------------------------------------------------------------------

#[test]
fn json_records_are_printed_under_the_union_of_their_names() {
    let d = tempfile::tempdir().unwrap();
    let r = logrill!(d.path(), JSON.as_bytes(); "parse json");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "a\tb\tc\n1\t\t\n\t2\t\n4\t3\tx\n", "{r:?}");
    let r = logrill!(d.path(), JSON.as_bytes(); "--csv", "parse json");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "a,b,c\r\n1,,\r\n,2,\r\n4,3,x\r\n", "{r:?}");
    // JSON output names every key already: unchanged.
    let r = logrill!(d.path(), JSON.as_bytes(); "--json", "parse json");
    assert_eq!(
        r.out(),
        "{\"a\":1}\n{\"b\":2}\n{\"b\":3,\"a\":4,\"c\":\"x\"}\n",
        "{r:?}"
    );
}

#[test]
fn logfmt_and_sorted_records_too() {
    let d = tempfile::tempdir().unwrap();
    // A name repeated in one record: the first value, as `--json` shows it.
    let r = logrill!(d.path(), b"a=1\nb=2 a=3\na=5 a=6\n"; "parse logfmt");
    assert_eq!(r.out(), "a\tb\n1\t\n3\t2\n5\t\n", "{r:?}");
    let r = logrill!(d.path(), b"a=5 a=6\n"; "--json", "parse logfmt");
    assert_eq!(r.out(), "{\"a\":5}\n", "{r:?}");
    // Sorted rows: the first record read names the first columns, the rest follow.
    let input = b"{\"a\":2,\"b\":\"x\"}\n{\"a\":1,\"c\":\"y\"}\n";
    let r = logrill!(d.path(), input; "parse json | sort a");
    assert_eq!(r.out(), "a\tb\tc\n1\t\ty\n2\tx\t\n", "{r:?}");
}

#[test]
fn json_records_stream_after_the_first_thousand_with_a_new_header_for_new_names() {
    let d = tempfile::tempdir().unwrap();
    // 1500 records; the 1201st brings a name the first thousand did not have.
    let mut input = String::new();
    let mut expected = String::from("a\n");
    for n in 1..=1500 {
        if n == 1201 {
            input.push_str(&format!("{{\"a\":{n},\"z\":\"new\"}}\n"));
            expected.push_str(&format!("a\tz\n{n}\tnew\n"));
        } else if n > 1201 {
            input.push_str(&format!("{{\"a\":{n}}}\n"));
            expected.push_str(&format!("{n}\t\n"));
        } else {
            input.push_str(&format!("{{\"a\":{n}}}\n"));
            expected.push_str(&format!("{n}\n"));
        }
    }
    let r = logrill!(d.path(), input.as_bytes(); "parse json");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), expected);
    // What is held is bounded by the hold, not by --max-state (which bounds aggregates).
    let r = logrill!(d.path(), JSON.as_bytes(); "--max-state", "2", "parse json");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "a\tb\tc\n1\t\t\n\t2\t\n4\t3\tx\n", "{r:?}");
}

// ---------------------------------------------------------------------------------------
// -H on records
// ---------------------------------------------------------------------------------------

#[test]
fn with_filename_keeps_a_records_own_file_field() {
    let d = tempfile::tempdir().unwrap();
    fs::write(
        d.path().join("a.log"),
        "{\"file\":\"x.c\",\"msg\":\"hi\"}\n",
    )
    .unwrap();
    let r = logrill!(d.path(), b""; "-H", "parse json", "a.log");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.out(), "file\tfile\tmsg\na.log\tx.c\thi\n", "{r:?}");
}

#[test]
fn with_filename_tags_records_with_their_file() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("one.log"), "{\"a\":1}\n").unwrap();
    fs::write(d.path().join("two.log"), "{\"b\":2}\n{\"a\":3}\n").unwrap();
    let r = logrill!(d.path(), b""; "-H", "-j1", "parse json", "one.log", "two.log");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        r.out(),
        "file\ta\tb\none.log\t1\t\ntwo.log\t\t2\ntwo.log\t3\t\n",
        "{r:?}"
    );
    let r = logrill!(d.path(), b""; "-H", "--json", "parse json", "one.log", "two.log");
    assert_eq!(
        r.out(),
        "{\"file\":\"one.log\",\"line\":1,\"record\":{\"a\":1}}\n\
         {\"file\":\"two.log\",\"line\":1,\"record\":{\"b\":2}}\n\
         {\"file\":\"two.log\",\"line\":2,\"record\":{\"a\":3}}\n",
        "{r:?}"
    );
    // A fixed schema: the file column first.
    let r = logrill!(d.path(), b"";
        "-H", "--csv", "parse regex '(?P<k>[a-z])'", "one.log");
    assert_eq!(r.out(), "file,k\r\none.log,a\r\n", "{r:?}");
    // Table rows come from no one file: not tagged.
    let r = logrill!(d.path(), b""; "-H", "parse json | count by a", "two.log");
    assert_eq!(r.out(), "a\tcount\n\t1\n3\t1\n", "{r:?}");
}

// ---------------------------------------------------------------------------------------
// -F: line numbers, -H, notices when they happen
// ---------------------------------------------------------------------------------------

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logrill")
}

fn finish(child: Child) -> Run {
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

#[test]
fn follow_json_has_line_numbers_where_they_are_known() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "a 1\nb 2\n");
    let child = spawn_in(
        d.path(),
        &[
            "-F",
            "--from-start",
            "--exit-on-idle",
            "1500ms",
            "--json",
            "field 1",
            "app.log",
        ],
    );
    sleep(Duration::from_millis(600));
    append(&log, "c 3\n");
    let r = finish(child);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        r.out(),
        "{\"file\":\"app.log\",\"line\":1,\"value\":\"a\"}\n\
         {\"file\":\"app.log\",\"line\":2,\"value\":\"b\"}\n\
         {\"file\":\"app.log\",\"line\":3,\"value\":\"c\"}\n",
        "{r:?}"
    );
    // From the end, the lines before were not read, yet they are counted: `d` is line 4
    // (it was `null`, unknown, before issue 15).
    let child = spawn_in(
        d.path(),
        &[
            "-F",
            "--exit-on-idle",
            "1500ms",
            "--json",
            "field 1",
            "app.log",
        ],
    );
    sleep(Duration::from_millis(600));
    append(&log, "d 4\n");
    let r = finish(child);
    assert_eq!(
        r.out(),
        "{\"file\":\"app.log\",\"line\":4,\"value\":\"d\"}\n",
        "{r:?}"
    );
}

#[test]
fn follow_tags_records_and_repeats_the_header_when_names_appear() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "{\"a\":1}\n");
    let child = spawn_in(
        d.path(),
        &[
            "-F",
            "--from-start",
            "--exit-on-idle",
            "1500ms",
            "-H",
            "parse json",
            "app.log",
        ],
    );
    sleep(Duration::from_millis(600));
    append(&log, "{\"b\":2,\"a\":3}\n");
    let r = finish(child);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        r.out(),
        "file\ta\napp.log\t1\nfile\ta\tb\napp.log\t3\t2\n",
        "{r:?}"
    );
}

#[test]
fn follow_notices_are_printed_when_they_happen() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "a 1\n");
    let mut child = spawn_in(d.path(), &["-F", "field 1", "app.log"]);
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    sleep(Duration::from_millis(600));
    fs::remove_file(&log).unwrap();
    // The notice comes while logrill still runs, though no line follows it.
    let until = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while Instant::now() < until {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => seen.push(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if seen
            .iter()
            .any(|l| l.contains("app.log: has become inaccessible"))
        {
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(
        seen.iter()
            .any(|l| l == "logrill: app.log: has become inaccessible; finishing it"),
        "seen before exit: {seen:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Diagnostics
// ---------------------------------------------------------------------------------------

const COMBINED: &str =
    "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326 \"-\" \"x\"\n";

#[test]
fn a_closed_stderr_is_no_panic() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("a.log");
    fs::write(&log, format!("{COMBINED}{COMBINED}not a log line\n")).unwrap();
    let mut child = Command::new(BIN)
        .args(["parse combined | count", "a.log"])
        .current_dir(d.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take()); // as `2>&1 | head -1` does once it has its line
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(out, "2\n");
    assert_eq!(status.code(), Some(141), "not a panic (101)");
}

#[test]
fn file_names_and_log_bytes_are_escaped_on_stderr() {
    let d = tempfile::tempdir().unwrap();
    let evil = OsStr::from_bytes(b"\x1b]0;PWNED\x07.gz");
    fs::write(d.path().join(evil), b"\x1f\x8b\x08\x00garbage, not deflate").unwrap();
    let red = OsStr::from_bytes(b"\x1b[31mred.log");
    fs::write(d.path().join(red), b"a 5\nb \x1b[2J\n").unwrap();
    let r = logrill!(d.path(), b""; "field -1 | sum", evil, red);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.out(), "5\n", "{r:?}");
    assert!(
        !r.stderr.iter().any(|&b| b == 0x1b || b == 0x07),
        "raw control bytes on stderr: {r:?}"
    );
    let err = r.err();
    assert!(err.contains("logrill: \\x1b]0;PWNED\\x07.gz: "), "{err}");
    assert!(err.contains("logrill: skipped 1 value: "), "{err}");
    assert!(err.contains(" at \\x1b[31mred.log:2)\n"), "{err}");
}

#[test]
fn an_error_and_its_cause_are_said_once() {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("dir")).unwrap();
    fs::write(d.path().join("f.log"), "x\n").unwrap();
    let r = logrill!(d.path(), b"";
        "-F", "--exit-on-idle", "100ms", "--state", "dir", "count", "f.log");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(
        r.err().matches("Is a directory").count(),
        1,
        "said once: {r:?}"
    );
}

#[test]
fn counts_of_one_are_singular() {
    let d = tempfile::tempdir().unwrap();
    let r = logrill!(d.path(), b"{\"a\":1}\n{\"a\":2}\n";
        "--max-state", "1", "parse json | count by a");
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(
        r.err()
            .contains("the pipeline keeps more than 1 group or value in memory"),
        "{r:?}"
    );
    let r = logrill!(d.path(), b"x 1\ny -\n"; "field 2 | sum");
    assert_eq!(
        r.err(),
        "logrill: skipped 1 value: 1 not a number (first: \"-\" at <stdin>:2)\n"
    );
    fs::write(
        d.path().join("access.log"),
        format!("{COMBINED}{COMBINED}not a log line\n"),
    )
    .unwrap();
    let r = logrill!(d.path(), b"";
        "report", "--format", "combined", "-o", "r.html", "access.log");
    assert!(
        r.err()
            .contains("logrill: 1 line did not parse (the report lists why)"),
        "{r:?}"
    );
}

#[cfg(feature = "columnar")]
#[test]
fn columnar_summary_is_singular_for_one() {
    let d = tempfile::tempdir().unwrap();
    let r = logrill!(d.path(), b"{\"a\":1}\n";
        "--output", "parquet", "x.parquet", "parse json");
    assert_eq!(r.code, Some(0), "{r:?}");
    assert!(
        r.err()
            .contains("wrote 1 row in 1 row group to 1 file under x.parquet"),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------

#[test]
fn help_and_man_page_list_the_commands_and_what_quiet_hides() {
    let d = tempfile::tempdir().unwrap();
    let long = logrill!(d.path(), b""; "--help").out();
    let man = logrill!(d.path(), b""; "man").out();
    for text in [&long, &man] {
        for command in ["logrill report", "logrill completions", "logrill man"] {
            assert!(text.contains(command), "{command} missing in:\n{text}");
        }
        assert!(text.contains("COMMANDS"), "{text}");
    }
    let short = logrill!(d.path(), b""; "-h").out();
    assert!(short.contains("logrill report"), "{short}");
    assert!(
        long.contains("unparsed") && long.contains("notices"),
        "-q says what it hides: {long}"
    );
}
