//! `logrill -F`: following live files from the command line. The library's follower has
//! its own rotation torture and model tests (crates/logrill/tests/follow_*.rs); these
//! check the command: running aggregates, the final result at close, signals, `--state`.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logrill")
}

fn finish(child: Child) -> (String, String, Option<i32>) {
    let out = child.wait_with_output().expect("wait");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

fn term(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

#[test]
fn running_sum_through_rotation_then_final_result_on_idle() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "a 1\n");
    let child = spawn(&[
        "-F",
        "--from-start",
        "--every",
        "100ms",
        "--exit-on-idle",
        "1500ms",
        "field -1 | sum",
        log.to_str().unwrap(),
    ]);
    sleep(Duration::from_millis(400));
    append(&log, "b 2\nc 3\n");
    sleep(Duration::from_millis(300));
    fs::rename(&log, d.path().join("app.log.1")).unwrap();
    append(&log, "d 10\npartial 1000"); // the last line has no newline yet: held back
    let (out, err, code) = finish(child);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // Running results as they grew, then the final one: 16 (the partial line is not
    // counted).
    assert_eq!(lines.last(), Some(&"16"), "{out}");
    assert!(lines.contains(&"1"), "{out}");
    assert!(lines.contains(&"6"), "{out}");
    assert!(err.contains("closed (Idle)"), "{err}");
}

#[test]
fn sigterm_closes_cleanly_and_state_resumes_without_loss_or_repeat() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    let state = d.path().join("state.json");
    append(&log, "GET 1\nPOST 2\n");
    let args = |extra: &[&str]| {
        let mut a: Vec<String> = vec!["-F".into(), "--from-start".into(), "--state".into()];
        a.push(state.to_str().unwrap().into());
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("grep -v POST | field 2".into());
        a.push(log.to_str().unwrap().into());
        a
    };
    let a1 = args(&[]);
    let child = spawn(&a1.iter().map(String::as_str).collect::<Vec<_>>());
    sleep(Duration::from_millis(500));
    append(&log, "GET 3\n");
    sleep(Duration::from_millis(400));
    term(&child);
    let (out, err, code) = finish(child);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "1\n3\n");
    assert!(err.contains("closed (Requested)"), "{err}");
    assert!(state.exists());
    // Written while nobody followed: picked up on restart, nothing repeated.
    append(&log, "GET 4\nPOST 5\nGET 6\n");
    let a2 = args(&["--exit-on-idle", "800ms"]);
    let (out, err, code) = finish(spawn(&a2.iter().map(String::as_str).collect::<Vec<_>>()));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "4\n6\n");
}

#[test]
fn follow_needs_paths_and_from_start_needs_follow() {
    let out = Command::new(BIN).args(["-F", "count"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-F needs files"));
    let out = Command::new(BIN)
        .args(["--from-start", "count", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `parse auto` under `-F` chooses its format from the first lines that come (it chose
/// none, and every line was dropped without a word), and the fields named are checked
/// against it.
#[test]
fn parse_auto_chooses_its_format_when_following() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "{\"level\":\"info\"}\n{\"level\":\"error\"}\n");
    let p = log.to_str().unwrap();
    let (out, err, code) = finish(spawn(&[
        "-F",
        "--from-start",
        "--exit-on-idle",
        "300ms",
        "parse auto | count by level",
        p,
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "level\tcount\nerror\t1\ninfo\t1\n");
    assert!(err.contains("parse auto: chose json"), "{err}");

    let common = d.path().join("access.log");
    append(
        &common,
        "1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2\n",
    );
    let (out, err, code) = finish(spawn(&[
        "-F",
        "--from-start",
        "--exit-on-idle",
        "300ms",
        "parse auto | count by stauts",
        common.to_str().unwrap(),
    ]));
    assert_eq!((out.as_str(), code), ("", Some(2)), "{err}");
    assert!(
        err.contains("unknown field `stauts` (did you mean `status`?)"),
        "{err}"
    );
}

/// The `line` of each JSON object `logrill -F … --json 'grep GET' LOG` prints.
fn json_line_numbers(start: &[&str], log: &Path, before_end: impl FnOnce()) -> Vec<u64> {
    let mut args = vec!["-F"];
    args.extend_from_slice(start);
    args.extend(["--json", "grep GET", log.to_str().unwrap()]);
    let child = spawn(&args);
    before_end();
    let (out, err, code) = finish(child);
    assert_eq!(code, Some(0), "{err}");
    out.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["line"].as_u64())
        .map(|n| n.unwrap_or_else(|| panic!("no line number in {out}")))
        .collect()
}

#[test]
fn lines_carry_their_real_numbers_when_following_starts_past_the_start() {
    // Started at the end (or at the last N lines), the lines before were not read, yet the
    // numbers printed are the lines' numbers in the file, as `grep -n` would give them.
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("app.log");
    append(&log, "a GET\nb POST\nc GET\n");
    let from_end = json_line_numbers(&["--exit-on-idle", "1500ms"], &log, || {
        sleep(Duration::from_millis(500));
        append(&log, "d GET\ne POST\nf GET\n");
    });
    assert_eq!(from_end, [4, 6]);
    // The last two lines are `e POST` (5) and `f GET` (6).
    let last_two = json_line_numbers(&["-n", "2", "--exit-on-idle", "300ms"], &log, || {});
    assert_eq!(last_two, [6]);
}
