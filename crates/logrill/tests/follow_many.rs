//! Many files, few descriptors (issue 13, item 12): a directory of more files than the
//! process may open, followed with the default options. A child process (this test binary,
//! re-run on the ignored test `many_files_child`) lowers its own descriptor limit, hard and
//! soft, creates the files, follows the directory, appends to every file and reports what
//! it got; the parent checks it: every line, no "Too many open files", one notice.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use logrill::source::follow::{Follow, Next, Notice, Watch};

const CHILD_ENV: &str = "LOGRILL_MANY_FILES_DIR";
const LIMIT: u64 = 128;
const FILES: u64 = 400;
const ROUNDS: u64 = 3;

/// The follower process. Does nothing unless started by the parent.
#[test]
#[ignore = "run by many_files_under_a_low_descriptor_limit_lose_nothing"]
fn many_files_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let lim = libc::rlimit {
        rlim_cur: LIMIT,
        rlim_max: LIMIT,
    };
    // SAFETY: `setrlimit` only reads the `rlimit` it is given.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    let name = |k: u64| dir.join(format!("c{k:04}.log"));
    for k in 0..FILES {
        // Each its own first line (files that start alike are taken for copies).
        fs::write(name(k), format!("container {k} started\n")).unwrap();
    }
    let watch = match std::env::var("LOGRILL_MANY_POLL") {
        Ok(_) => Watch::Poll(Duration::from_millis(20)),
        Err(_) => Watch::Auto,
    };
    let mut f = Follow::new().path(&dir).watch(watch).open().unwrap();
    let mut got = Vec::new();
    for round in 0..ROUNDS {
        for k in 0..FILES {
            let mut w = OpenOptions::new().append(true).open(name(k)).unwrap();
            writeln!(w, "{}", round * FILES + k).unwrap();
        }
        while let Next::Line(l) = f.next_line_timeout(Duration::from_millis(500)) {
            got.push(String::from_utf8_lossy(l.bytes).into_owned());
        }
    }
    let notices: Vec<Notice> = f.take_notices().collect();
    f.close().unwrap();
    let mut out = String::new();
    for l in &got {
        out.push_str(&format!("line {l}\n"));
    }
    for n in &notices {
        out.push_str(&format!("notice {n}\n"));
    }
    fs::write(dir.join("report"), out).unwrap();
}

fn run_child(poll: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "many_files_child",
        "--test-threads=1",
        "-q",
    ])
    .env(CHILD_ENV, tmp.path());
    if poll {
        cmd.env("LOGRILL_MANY_POLL", "1");
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "the child failed: {status}");
    let report = fs::read_to_string(tmp.path().join("report")).unwrap();
    let mut seqs: Vec<u64> = report
        .lines()
        .filter_map(|l| l.strip_prefix("line "))
        .map(|l| l.parse().unwrap())
        .collect();
    seqs.sort_unstable();
    let notices: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("notice "))
        .collect();
    assert_eq!(
        seqs,
        (0..ROUNDS * FILES).collect::<Vec<_>>(),
        "poll {poll}: {} of {} lines; {notices:?}",
        seqs.len(),
        ROUNDS * FILES
    );
    assert!(
        !notices.iter().any(|n| n.contains("Too many open files")),
        "{notices:?}"
    );
    let said: Vec<&&str> = notices
        .iter()
        .filter(|n| n.contains("watched without an open descriptor"))
        .collect();
    assert_eq!(said.len(), 1, "{notices:?}");
}

#[test]
fn many_files_under_a_low_descriptor_limit_lose_nothing() {
    run_child(false);
    run_child(true);
}
