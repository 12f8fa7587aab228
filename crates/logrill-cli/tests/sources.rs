//! End-to-end tests of where lines come from: the order in which a directory's files are
//! read (rotated logs oldest first), directories where the globs keep nothing, and
//! compressed files recognised by their magic bytes (zstd behind a skippable frame).
//!
//! The expected outputs are written here from the files this test creates: each line
//! holds its own sequence number, so the right order is known without logrill.

use std::fs;
use std::path::Path;
use std::process::Command;

use logrill_testgen::{compress, Codec};

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

/// What a run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn logrill(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let out = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run logrill");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `line N` for N in `range`, one per line.
fn numbered(range: std::ops::RangeInclusive<u32>) -> Vec<u8> {
    range
        .map(|n| format!("line {n}\n"))
        .collect::<String>()
        .into_bytes()
}

fn put(dir: &Path, name: &str, codec: Codec, data: &[u8]) {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, compress(codec, data).unwrap()).unwrap();
}

/// Two rotation families as logrotate leaves them: numbered (`compress` +
/// `delaycompress`, one copy compressed without the suffix) and dated (`dateext`), each
/// file holding the next run of sequence numbers, oldest first. Written newest first.
fn rotated_tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let web = d.path().join("web");
    put(&web, "access.log", Codec::Plain, &numbered(13..=15));
    put(&web, "access.log.1", Codec::Plain, &numbered(10..=12));
    put(&web, "access.log.2", Codec::Zstd, &numbered(7..=9));
    put(&web, "access.log.3.gz", Codec::Gzip, &numbered(4..=6));
    put(&web, "access.log.10.bz2", Codec::Bzip2, &numbered(1..=3));
    let api = d.path().join("web/z-api");
    put(&api, "access.log", Codec::Plain, &numbered(22..=24));
    put(
        &api,
        "access.log-20261202",
        Codec::Plain,
        &numbered(19..=21),
    );
    put(
        &api,
        "access.log-2026-12-01.xz",
        Codec::Xz,
        &numbered(16..=18),
    );
    put(&api, "notes.txt", Codec::Plain, b"not a log\n");
    d
}

fn expected(range: std::ops::RangeInclusive<u32>) -> String {
    String::from_utf8(numbered(range)).unwrap()
}

#[test]
fn rotated_logs_are_read_oldest_first() {
    let d = rotated_tree();
    let web = d.path().join("web");
    // Every thread count gives the same order.
    for threads in ["1", "4"] {
        let r = logrill(&[&"-j", &threads, &"grep line", &web, &"-g", &"access.log*"]);
        assert_eq!(r.code, Some(0), "{r:?}");
        assert_eq!(r.stdout, expected(1..=24), "-j {threads}");
    }
    let r = logrill(&[&"head 4", &web, &"-g", &"access.log*"]);
    assert_eq!(r.stdout, expected(1..=4), "{r:?}");
    let parse = "parse regex '^line (?P<n>[0-9]+)$'";
    let r = logrill(&[&format!("{parse} | first n"), &web, &"-g", &"access.log*"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "1\n"), "{r:?}");
    let r = logrill(&[&format!("{parse} | last n"), &web, &"-g", &"access.log*"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "24\n"), "{r:?}");
    // The dated family alone: by ascending date, the live file last.
    let r = logrill(&[
        &format!("{parse} | first n"),
        &web.join("z-api"),
        &"-g",
        &"access*",
    ]);
    assert_eq!(r.stdout, "16\n", "{r:?}");
}

#[test]
fn numbers_in_names_sort_numerically() {
    let d = tempfile::tempdir().unwrap();
    for (name, n) in [("part-10.log", 3), ("part-2.log", 2), ("part-1.log", 1)] {
        put(d.path(), name, Codec::Plain, &numbered(n..=n));
    }
    let r = logrill(&[&"field 2", &d.path()]);
    assert_eq!(r.stdout, "1\n2\n3\n", "{r:?}");
}

#[test]
fn a_directory_where_no_file_matches_warns_and_exits_1() {
    let d = rotated_tree();
    let web = d.path().join("web");
    let shown = web.display();
    // An aggregate still prints its answer, but the run says why it is empty.
    let r = logrill(&[&"count", &web, &"-g", &"acess.log*"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert_eq!(r.stdout, "0\n");
    assert_eq!(
        r.stderr,
        format!("logrill: warning: {shown}: no file matches -g 'acess.log*' (of 9 files there)\n")
    );
    // A filter: nothing printed, the same warning and status.
    let r = logrill(&[&"grep line", &web, &"-g", &"*.gzz", &"-g", &"web/*"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(1), ""), "{r:?}");
    assert_eq!(
        r.stderr,
        format!(
            "logrill: warning: {shown}: no file matches -g '*.gzz' -g 'web/*' \
             (of 9 files there; globs match file names, not paths)\n"
        )
    );
    // One directory of two kept nothing: warned about, but the run read logs: status 0.
    let empty = d.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let r = logrill(&[&"count", &empty, &web, &"-g", &"access.log*"]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "24\n"), "{r:?}");
    assert_eq!(
        r.stderr,
        format!("logrill: warning: {}: no file in it\n", empty.display())
    );
    // A path that does not exist is still an error of its own (status 2).
    let r = logrill(&[&"count", &d.path().join("missing"), &"-g", &"x*"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(!r.stderr.contains("warning"), "{r:?}");
}

/// What `pzstd` writes: every zstd frame behind a skippable frame (magic `0x184D2A50`)
/// holding the frame's size.
fn pzstd_like(chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        let frame = compress(Codec::Zstd, chunk).unwrap();
        out.extend_from_slice(&[0x50, 0x2a, 0x4d, 0x18]);
        out.extend_from_slice(&4u32.to_le_bytes());
        out.extend_from_slice(&u32::try_from(frame.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

#[test]
fn pzstd_files_are_read_as_zstd() {
    let d = tempfile::tempdir().unwrap();
    let chunks = [
        numbered(1..=40_000),
        numbered(40_001..=90_000),
        numbered(90_001..=100_000),
    ];
    let path = d.path().join("app.log.zst");
    fs::write(&path, pzstd_like(&chunks)).unwrap();
    let r = logrill(&[&"count", &path]);
    assert_eq!((r.code, r.stdout.as_str()), (Some(0), "100000\n"), "{r:?}");
    let r = logrill(&[&"field 2 | sum", &path]);
    assert_eq!(
        r.stdout,
        format!("{}\n", (1..=100_000u64).sum::<u64>()),
        "{r:?}"
    );
}

#[cfg(feature = "columnar")]
#[test]
fn output_to_parquet_warns_too_when_no_file_matches() {
    let d = rotated_tree();
    let web = d.path().join("web");
    let out = d.path().join("out.parquet");
    let r = logrill(&[
        &"--output",
        &"parquet",
        &out,
        &"grep line",
        &web,
        &"-g",
        &"nope*",
    ]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr.contains(&format!(
            "logrill: warning: {}: no file matches -g 'nope*' (of 9 files there)\n",
            web.display()
        )),
        "{r:?}"
    );
}
