//! End-to-end tests of the `logrill` binary.
//!
//! Every expected number comes from outside logrill: the truth `logrill-testgen` recorded
//! while generating the data (`examples/logs/TRUTH.json`, [`LineGen`]), or totals this file
//! computes from the bytes it writes itself. None of it reads `/work/shared`.

use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use logrill_testgen::{
    compress, corrupt, gzip_members, to_crlf, truncate, without_final_newline, Codec, LineGen,
    LogText,
};
use serde_json::Value;
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// What a run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8 here")
    }

    /// The bare number an aggregate printed (exactly one line).
    fn number(&self) -> i128 {
        let out = self.out();
        assert!(out.ends_with('\n') && out.lines().count() == 1, "{self:?}");
        out.trim_end()
            .parse()
            .unwrap_or_else(|e| panic!("not an integer: {out:?} ({e}); {self:?}"))
    }

    /// The stderr lines that report a problem with an input (not the skip summary).
    fn problems(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with("logrill: skipped "))
            .collect()
    }
}

fn run_with(args: &[&OsStr], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args).timeout(Duration::from_secs(120));
    // An empty stdin when none is given, so a test never waits on the terminal.
    cmd.write_stdin(stdin.unwrap_or_default());
    let out = cmd.output().expect("run logrill");
    Run {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `logrill ARGS...` with an empty stdin.
macro_rules! logrill {
    ($($arg:expr),* $(,)?) => {
        run_with(&[$(AsRef::<OsStr>::as_ref(&$arg)),*], None)
    };
}

/// Run `logrill ARGS...` with `input` on stdin.
macro_rules! logrill_stdin {
    ($input:expr; $($arg:expr),* $(,)?) => {
        run_with(&[$(AsRef::<OsStr>::as_ref(&$arg)),*], Some($input))
    };
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample_dir() -> PathBuf {
    repo_root().join("examples/logs")
}

fn sample_truth() -> Value {
    let text = fs::read_to_string(sample_dir().join("TRUTH.json")).expect("TRUTH.json");
    serde_json::from_str(&text).expect("TRUTH.json parses")
}

fn int(v: &Value, key: &str) -> i128 {
    i128::from(
        v[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} missing in {v}")),
    )
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, data).unwrap();
    p
}

/// Lines of `text` as the tests count them: split on `\n`, the last one counted even without
/// a final newline.
fn lines_of(text: &[u8]) -> Vec<&[u8]> {
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    body.split(|&b| b == b'\n').collect()
}

/// Values as logrill prints them: each followed by `\n`.
fn as_output(values: &[&[u8]]) -> Vec<u8> {
    values.iter().flat_map(|v| [*v, b"\n"].concat()).collect()
}

/// The last whitespace-separated field (Python's `line.rsplit(None, 1)[-1]`).
fn last_field(line: &[u8]) -> Option<&[u8]> {
    line.split(|b| b" \t\r\x0b\x0c".contains(b))
        .rfind(|f| !f.is_empty())
}

fn as_int(f: &[u8]) -> Option<i128> {
    std::str::from_utf8(f).ok()?.parse().ok()
}

/// Sum of the integer last fields of the first `n` lines of `text`.
fn last_field_sum(text: &[u8], n: usize) -> i128 {
    lines_of(text)
        .into_iter()
        .take(n)
        .filter_map(last_field)
        .filter_map(as_int)
        .sum()
}

fn text(seed: u64, lines: usize) -> LogText {
    LineGen::new(seed).text(lines)
}

/// The `N` of "after line N" in the stderr line about `path`.
fn lines_before_damage(run: &Run, path: &Path, codec: &str) -> usize {
    let prefix = format!(
        "logrill: {}: {codec} data corrupt or truncated after line ",
        path.display()
    );
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in stderr:\n{}", run.stderr));
    let rest = &line[prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    assert!(rest[digits.len()..].starts_with(": "), "{line}");
    digits.parse().unwrap()
}

// ---------------------------------------------------------------------------------------
// The sample tree against its recorded truth
// ---------------------------------------------------------------------------------------

#[test]
fn sample_tree_totals_match_truth() {
    let t = sample_truth();
    let dir = sample_dir();
    let g = "access-log*";

    let r = logrill!("field -1 | sum", dir, "-g", g);
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.number(), int(&t, "total_bytes"));
    // The '-' byte counts and the malformed lines were skipped and counted, in one line.
    let missing = int(&t, "empty_lines");
    let nan = int(&t, "dash_lines") + int(&t, "malformed_lines") - missing;
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with(&format!("logrill: skipped {} values: ", nan + missing)),
        "{}",
        r.stderr
    );
    assert!(r
        .stderr
        .contains(&format!("{nan} not a number (first: \"-\" at ")));
    assert!(r
        .stderr
        .contains(&format!("{missing} had no such field (first: ")));

    let r = logrill!("grep robots.txt | field -1 | sum", dir, "-g", g);
    assert_eq!(
        (r.code, r.number()),
        (Some(0), int(&t, "pattern_bytes")),
        "{r:?}"
    );

    let r = logrill!("count", dir, "-g", g);
    assert_eq!((r.code, r.number()), (Some(0), int(&t, "lines")), "{r:?}");
    assert_eq!(r.stderr, "");

    let r = logrill!("grep -F robots.txt | count", dir, "-g", g);
    assert_eq!(r.number(), int(&t, "pattern_lines"));

    let r = logrill!("field -1 | min", dir, "-g", g, "-q");
    assert_eq!((r.number(), r.stderr.as_str()), (int(&t, "min_bytes"), ""));
    let r = logrill!("field -1 | max", dir, "-g", g, "-q");
    assert_eq!(r.number(), int(&t, "max_bytes"));

    let r = logrill!("field -1 | avg", dir, "-g", g, "-q");
    let numeric = int(&t, "lines") - int(&t, "malformed_lines") - int(&t, "dash_lines");
    let want = int(&t, "total_bytes") as f64 / numeric as f64;
    let got: f64 = r.out().trim().parse().unwrap();
    assert!((got - want).abs() <= want * 1e-12, "avg {got} != {want}");

    // Several aggregates of the value (a table before `parse`), on one thread and on all.
    let fields = int(&t, "lines") - int(&t, "empty_lines");
    let want = format!("count\tsum\n{fields}\t{}\n", int(&t, "total_bytes"));
    for j in ["1", "4"] {
        let r = logrill!("field -1 | count, sum", dir, "-g", g, "-q", "-j", j);
        assert_eq!((r.code, r.out()), (Some(0), want.clone()), "-j {j}");
    }
}

/// Every file of the sample, one codec each, named on the command line: its own totals.
#[test]
fn sample_files_each_codec() {
    let t = sample_truth();
    let files = t["per_file"].as_array().unwrap();
    let mut codecs = std::collections::BTreeSet::new();
    for f in files {
        let path = sample_dir().join(f["path"].as_str().unwrap());
        codecs.insert(f["codec"].as_str().unwrap().to_string());
        let r = logrill!("field -1 | sum", path, "-q");
        assert_eq!(
            (r.code, r.number()),
            (Some(0), int(f, "total_bytes")),
            "{f}"
        );
        let r = logrill!("count", path);
        assert_eq!(r.number(), int(f, "lines"), "{f}");
    }
    assert_eq!(codecs.len(), 5, "{codecs:?}");
}

#[test]
fn glob_keeps_files_by_name_and_skips_decoys() {
    let t = sample_truth();
    let dir = sample_dir();
    let truth_json = fs::read(dir.join("TRUTH.json")).unwrap();
    let truth_json_lines = lines_of(&truth_json).len() as i128;
    let truth_json_pattern = lines_of(&truth_json)
        .iter()
        .filter(|l| l.windows(10).any(|w| w == b"robots.txt"))
        .count() as i128;
    let (lines, decoys) = (int(&t, "lines"), int(&t, "decoy_lines"));

    // No glob: every file, decoys and TRUTH.json included.
    let r = logrill!("count", dir);
    assert_eq!(r.number(), lines + decoys + truth_json_lines);
    let r = logrill!("grep robots.txt | count", dir);
    assert_eq!(
        r.number(),
        int(&t, "pattern_lines") + int(&t, "decoy_pattern_lines") + truth_json_pattern
    );

    // The decoys alone, by two globs.
    let r = logrill!("count", dir, "-g", "error-log", "--glob", "notes.txt");
    assert_eq!(r.number(), decoys);

    // Globs pick by name: only the gzip and zstd files.
    let per_file = t["per_file"].as_array().unwrap();
    let want: i128 = per_file
        .iter()
        .filter(|f| matches!(f["codec"].as_str(), Some("gzip" | "zstd")))
        .map(|f| int(f, "lines"))
        .sum();
    let r = logrill!("count", dir, "-g", "*.gz", "-g", "*.zst");
    assert_eq!(r.number(), want);

    // A file named directly is read whatever the globs say.
    let notes = dir.join("www/site0/notes.txt");
    let r = logrill!("field -1 | sum", notes, "-g", "access-log*");
    assert_eq!((r.code, r.number()), (Some(0), 999_999_999));
}

// ---------------------------------------------------------------------------------------
// Codecs, stdin, line ends, bytes
// ---------------------------------------------------------------------------------------

/// Each codec, in a file whose name says nothing (or lies) about it: found by magic bytes.
#[test]
fn every_codec_by_magic_bytes() {
    let dir = TempDir::new().unwrap();
    let names = [
        (Codec::Plain, "plain.gz"),
        (Codec::Gzip, "gzip.log"),
        (Codec::Bzip2, "bzip2.zst"),
        (Codec::Xz, "xz"),
        (Codec::Zstd, "zstd.bz2"),
    ];
    let (mut all_total, mut all_lines) = (0i128, 0i128);
    for (i, (codec, name)) in names.into_iter().enumerate() {
        let t = text(100 + i as u64, 4000);
        let path = write(dir.path(), name, &compress(codec, &t.bytes).unwrap());
        let r = logrill!("field -1 | sum", path);
        assert_eq!(r.code, Some(0), "{codec:?} {r:?}");
        assert_eq!(r.number(), i128::from(t.counts.total_bytes), "{codec:?}");
        let r = logrill!("count", path);
        assert_eq!(r.number(), i128::from(t.counts.lines), "{codec:?}");
        let r = logrill!("grep robots.txt | field -1 | sum", path);
        assert_eq!(r.number(), i128::from(t.counts.pattern_bytes), "{codec:?}");
        all_total += i128::from(t.counts.total_bytes);
        all_lines += i128::from(t.counts.lines);
    }
    let r = logrill!("field -1 | sum", dir.path(), "-q");
    assert_eq!(r.number(), all_total);
    let r = logrill!("count", dir.path());
    assert_eq!(r.number(), all_lines);
}

/// `cat a.gz b.gz > ab.gz` (and the same for every codec): every member is read.
#[test]
fn concatenated_members_and_streams() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (text(7, 3000), text(8, 2000));
    let total = i128::from(a.counts.total_bytes + b.counts.total_bytes);
    let lines = i128::from(a.counts.lines + b.counts.lines);

    let ab = write(
        dir.path(),
        "ab.gz",
        &gzip_members(&[&a.bytes, &b.bytes]).unwrap(),
    );
    let r = logrill!("field -1 | sum", ab, "-q");
    assert_eq!((r.code, r.number()), (Some(0), total), "{r:?}");
    let r = logrill!("count", ab);
    assert_eq!(r.number(), lines);

    for codec in [Codec::Bzip2, Codec::Xz, Codec::Zstd] {
        let mut data = compress(codec, &a.bytes).unwrap();
        data.extend(compress(codec, &b.bytes).unwrap());
        let p = write(dir.path(), &format!("ab.{}", codec.name()), &data);
        let r = logrill!("count", p);
        assert_eq!(r.number(), lines, "{codec:?}");
        let r = logrill!("field -1 | sum", p, "-q");
        assert_eq!(r.number(), total, "{codec:?}");
    }
}

#[test]
fn stdin_plain_and_compressed() {
    let t = text(21, 5000);
    let total = i128::from(t.counts.total_bytes);

    // No PATH: stdin.
    let r = logrill_stdin!(t.bytes.clone(); "field -1 | sum", "-q");
    assert_eq!((r.code, r.number()), (Some(0), total), "{r:?}");
    // `-`: stdin, compressed.
    let r = logrill_stdin!(compress(Codec::Gzip, &t.bytes).unwrap(); "field -1 | sum", "-q", "-");
    assert_eq!((r.code, r.number()), (Some(0), total), "{r:?}");
    let r = logrill_stdin!(compress(Codec::Zstd, &t.bytes).unwrap(); "count", "-");
    assert_eq!(r.number(), i128::from(t.counts.lines));

    // stdin among files.
    let dir = TempDir::new().unwrap();
    let u = text(22, 1000);
    let f = write(dir.path(), "u.xz", &compress(Codec::Xz, &u.bytes).unwrap());
    let r = logrill_stdin!(t.bytes.clone(); "count", f, "-");
    assert_eq!(r.number(), i128::from(t.counts.lines + u.counts.lines));

    // The skip report names stdin.
    let r = logrill_stdin!(b"a 1\nb -\nc 2\n".to_vec(); "field -1 | sum");
    assert_eq!(r.number(), 3);
    assert_eq!(
        r.stderr,
        "logrill: skipped 1 value: 1 not a number (first: \"-\" at <stdin>:2)\n"
    );
}

/// CRLF line ends: the `\r` is not part of the line, for grep and for output.
#[test]
fn crlf_lines() {
    let t = LineGen::new(31).malformed_rate(0.0).text(3000);
    let crlf = to_crlf(&t.bytes);
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "crlf.log", &crlf);
    let pz = write(
        dir.path(),
        "crlf.log.gz",
        &compress(Codec::Gzip, &crlf).unwrap(),
    );
    for path in [&p, &pz] {
        let r = logrill!("field -1 | sum", path, "-q");
        assert_eq!(r.number(), i128::from(t.counts.total_bytes));
        let r = logrill!("count", path);
        assert_eq!(r.number(), i128::from(t.counts.lines));
        // `$` matches at the end of the line, before the (dropped) `\r`.
        let r = logrill!("grep ' -$' | count", path);
        assert_eq!(r.number(), i128::from(t.counts.dash_lines));
    }
    // Values come out without `\r`.
    let r = logrill!("field -1 | head 50", p);
    let want: Vec<u8> = lines_of(&t.bytes)
        .into_iter()
        .take(50)
        .flat_map(|l| [last_field(l).unwrap(), b"\n"].concat())
        .collect();
    assert_eq!(r.stdout, want);
    let r = logrill!("head 3", p);
    assert_eq!(r.stdout, as_output(&lines_of(&t.bytes)[..3]));
}

#[test]
fn no_final_newline() {
    let dir = TempDir::new().unwrap();
    let t = LineGen::new(41).malformed_rate(0.0).text(1000);
    let mut data = t.bytes.clone();
    data.extend_from_slice(
        b"198.51.100.9 - - [01/Jan/2023:00:00:00 +0000] \"GET / HTTP/1.0\" 200 777",
    );
    let total = i128::from(t.counts.total_bytes) + 777;
    let lines = i128::from(t.counts.lines) + 1;
    let plain = write(dir.path(), "nofinal.log", &data);
    let gz = write(
        dir.path(),
        "nofinal.gz",
        &compress(Codec::Gzip, &data).unwrap(),
    );
    let crlf = without_final_newline(&to_crlf(&data));
    let crlf = write(
        dir.path(),
        "nofinal-crlf.bz2",
        &compress(Codec::Bzip2, &crlf).unwrap(),
    );
    for p in [&plain, &gz, &crlf] {
        let r = logrill!("field -1 | sum", p, "-q");
        assert_eq!(r.number(), total, "{p:?}");
        let r = logrill!("count", p);
        assert_eq!(r.number(), lines, "{p:?}");
    }
    // The last line is a whole line of output, and the next file starts on a new line.
    let other = write(dir.path(), "other.log", b"next 1\n");
    let r = logrill!("grep -F '200 777' | field -1", plain);
    assert_eq!(r.stdout, b"777\n");
    let r = logrill!("head 1", write(dir.path(), "x", b"only"), other);
    assert_eq!(r.stdout, b"only\n");
    let r = logrill!("field 1", write(dir.path(), "y", b"first 1"), other);
    assert_eq!(r.stdout, b"first\nnext\n");
}

/// Bytes that are not UTF-8 go through as they are.
#[test]
fn non_utf8_bytes_pass_through() {
    let dir = TempDir::new().unwrap();
    let data = b"caf\xe9 \xff\xfe 12\nok \x00nul 5\nplain text 7\n\x80\x81 \xc3\x28 -\n";
    let p = write(dir.path(), "bin.log", data);
    let r = logrill!("grep -v plain", p);
    assert_eq!(r.code, Some(0));
    assert_eq!(
        r.stdout,
        b"caf\xe9 \xff\xfe 12\nok \x00nul 5\n\x80\x81 \xc3\x28 -\n"
    );
    let r = logrill!("field 2", p);
    assert_eq!(r.stdout, b"\xff\xfe\n\x00nul\ntext\n\xc3\x28\n");
    let r = logrill!("field -1 | sum", p);
    assert_eq!(r.number(), 24);
    // The same, compressed, through stdin.
    let r = logrill_stdin!(compress(Codec::Xz, data).unwrap(); "grep -F caf", "-");
    assert_eq!(r.stdout, b"caf\xe9 \xff\xfe 12\n");
    // JSON must be UTF-8: the value is still given, line numbers are right.
    let r = logrill!("--json", "grep -F nul", p);
    let v: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v["line"], 2);
    assert!(v["value"].as_str().unwrap().ends_with("nul 5"));
}

#[test]
fn exact_integers() {
    let r = logrill_stdin!(b"a 9007199254740993\nb 1\n".to_vec(); "field -1 | sum");
    assert_eq!(r.out(), "9007199254740994\n");
    let r = logrill_stdin!(b"a 9007199254740993\nb 1\n".to_vec(); "field -1 | max");
    assert_eq!(r.out(), "9007199254740993\n");
    let r = logrill_stdin!(b"a 9223372036854775807\nb 9223372036854775807\n".to_vec(); "field -1 | sum");
    assert_eq!(r.out(), "18446744073709551614\n");
}

// ---------------------------------------------------------------------------------------
// Problems with inputs
// ---------------------------------------------------------------------------------------

/// A corrupt .gz and a truncated .bz2 among good files: each named once on stderr, exit 2,
/// and the good files (and what came before the damage) fully counted.
#[test]
fn corrupt_and_truncated_among_good_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let good = [text(51, 3000), text(52, 3000), text(53, 3000)];
    let g0 = write(d, "a-good.log", &good[0].bytes);
    let g1 = write(
        d,
        "b-good.xz",
        &compress(Codec::Xz, &good[1].bytes).unwrap(),
    );
    // Lines of the corrupt file never match the grep, so garbage decoded before the
    // damage is detected cannot change the grep's total.
    let bad = LineGen::new(54).without_pattern().text(20_000);
    let gz = compress(Codec::Gzip, &bad.bytes).unwrap();
    let bad_gz = write(d, "c-bad.gz", &corrupt(&gz, gz.len() / 2, 64));
    let cut = LineGen::new(55).without_pattern().text(20_000);
    let bz = compress(Codec::Bzip2, &cut.bytes).unwrap();
    let cut_bz2 = write(d, "d-cut.bz2", &truncate(&bz, bz.len() * 2 / 3));
    let g2 = write(
        d,
        "e-good.zst",
        &compress(Codec::Zstd, &good[2].bytes).unwrap(),
    );

    let good_pattern: i128 = good
        .iter()
        .map(|t| i128::from(t.counts.pattern_bytes))
        .sum();
    let good_lines: i128 = good.iter().map(|t| i128::from(t.counts.lines)).sum();
    let inputs = [&g0, &g1, &bad_gz, &cut_bz2, &g2];

    let r = logrill!(
        "grep robots.txt | field -1 | sum",
        inputs[0],
        inputs[1],
        inputs[2],
        inputs[3],
        inputs[4]
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.number(), good_pattern);
    let problems = r.problems();
    assert_eq!(problems.len(), 2, "one line per bad input: {problems:?}");
    let n_gz = lines_before_damage(&r, &bad_gz, "gzip");
    let n_bz = lines_before_damage(&r, &cut_bz2, "bzip2");
    assert!(n_gz < bad.counts.lines as usize, "{n_gz}");
    assert!(n_bz < cut.counts.lines as usize, "{n_bz}");

    // The lines before the damage count; the same file order through a directory walk.
    let r = logrill!("count", d);
    assert_eq!(r.code, Some(2), "{r:?}");
    let n_gz = lines_before_damage(&r, &d.join("c-bad.gz"), "gzip");
    let n_bz = lines_before_damage(&r, &d.join("d-cut.bz2"), "bzip2");
    assert_eq!(r.number(), good_lines + n_gz as i128 + n_bz as i128);

    // The same with `head` in the pipeline (which reads the inputs one after another).
    let r = logrill!("head 1000000 | count", g0, bad_gz, g1);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.problems().len(), 1, "{r:?}");
    let n = lines_before_damage(&r, &bad_gz, "gzip");
    let want = i128::from(good[0].counts.lines + good[1].counts.lines) + n as i128;
    assert_eq!(r.number(), want);

    // A truncated file holds a prefix of the text: the sum is the good files' plus that of
    // exactly the first N lines of the cut one.
    let good_total: i128 = good.iter().map(|t| i128::from(t.counts.total_bytes)).sum();
    let r = logrill!("field -1 | sum", g0, cut_bz2, g1, g2, "-q");
    assert_eq!(r.code, Some(2), "{r:?}");
    let n = lines_before_damage(&r, &cut_bz2, "bzip2");
    assert_eq!(r.number(), good_total + last_field_sum(&cut.bytes, n));
}

/// Each codec cut short: error names the file, and exactly the lines before the cut count.
#[test]
fn truncated_files_of_every_codec() {
    let dir = TempDir::new().unwrap();
    let good = text(60, 2000);
    let g = write(dir.path(), "good.log", &good.bytes);
    for (i, codec) in [Codec::Gzip, Codec::Bzip2, Codec::Xz, Codec::Zstd]
        .into_iter()
        .enumerate()
    {
        // Big enough for bzip2 to have several blocks.
        let t = LineGen::new(61 + i as u64).text(30_000);
        let packed = compress(codec, &t.bytes).unwrap();
        let p = write(
            dir.path(),
            &format!("cut.{}", codec.name()),
            &truncate(&packed, packed.len() * 3 / 4),
        );
        let r = logrill!("field -1 | sum", p, g, "-q");
        assert_eq!(r.code, Some(2), "{codec:?} {r:?}");
        assert_eq!(r.problems().len(), 1, "{codec:?} {r:?}");
        let n = lines_before_damage(&r, &p, codec.name());
        assert!(n < t.counts.lines as usize, "{codec:?} {n}");
        let want = last_field_sum(&t.bytes, n) + i128::from(good.counts.total_bytes);
        assert_eq!(r.number(), want, "{codec:?} n={n}");
    }
}

/// A gzip file missing only its 8-byte trailer: every line came out before the damage.
#[test]
fn gzip_without_trailer_keeps_every_line() {
    let dir = TempDir::new().unwrap();
    let t = text(70, 5000);
    let gz = compress(Codec::Gzip, &t.bytes).unwrap();
    let p = write(dir.path(), "notrailer.gz", &truncate(&gz, gz.len() - 8));
    let r = logrill!("count", p);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(lines_before_damage(&r, &p, "gzip"), t.counts.lines as usize);
    assert_eq!(r.number(), i128::from(t.counts.lines));
}

#[test]
fn missing_path_is_named_and_the_others_counted() {
    let dir = TempDir::new().unwrap();
    let (a, b) = (text(80, 1500), text(81, 1500));
    let pa = write(dir.path(), "a.log", &a.bytes);
    let pb = write(
        dir.path(),
        "b.gz",
        &compress(Codec::Gzip, &b.bytes).unwrap(),
    );
    let missing = dir.path().join("no-such-file.log");
    let r = logrill!("count", pa, missing, pb);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.number(), i128::from(a.counts.lines + b.counts.lines));
    let problems = r.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(&format!("logrill: {}: ", missing.display())),
        "{problems:?}"
    );
    // A missing directory root too, with a filter pipeline that still prints what it found.
    let r = logrill!(
        "grep -F robots.txt | field -1 | head 1",
        missing,
        pa,
        "-g",
        "*.log"
    );
    assert_eq!(r.code, Some(2), "{r:?}");
    assert_eq!(r.stdout.iter().filter(|&&b| b == b'\n').count(), 1);
}

#[test]
fn empty_inputs() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let empty = write(d, "empty.log", b"");
    let empty_gz = write(d, "empty.log.gz", &compress(Codec::Gzip, b"").unwrap());
    let zero_gz = write(d, "zero-bytes.gz", b"");
    let t = text(90, 500);
    let good = write(d, "good.log", &t.bytes);

    for p in [&empty, &empty_gz, &zero_gz] {
        let r = logrill!("count", p);
        assert_eq!((r.code, r.out().as_str()), (Some(0), "0\n"), "{p:?} {r:?}");
        assert_eq!(r.stderr, "");
        // A filter that lets nothing through: exit 1.
        let r = logrill!("grep .", p);
        assert_eq!((r.code, r.stdout.len()), (Some(1), 0), "{p:?} {r:?}");
        // The minimum of no numbers: an empty line.
        let r = logrill!("field -1 | min", p);
        assert_eq!((r.code, r.out().as_str()), (Some(0), "\n"), "{p:?} {r:?}");
    }
    let r = logrill!("count", empty, empty_gz, good, zero_gz);
    assert_eq!((r.code, r.number()), (Some(0), i128::from(t.counts.lines)));
    let r = logrill_stdin!(Vec::new(); "count");
    assert_eq!(r.out(), "0\n");
    let r = logrill_stdin!(compress(Codec::Bzip2, b"").unwrap(); "count", "-");
    assert_eq!((r.code, r.out().as_str()), (Some(0), "0\n"), "{r:?}");
}

// ---------------------------------------------------------------------------------------
// Stages and exit codes
// ---------------------------------------------------------------------------------------

#[test]
fn head_takes_the_first_values() {
    let t = text(100, 2000);
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "a.log", &t.bytes);
    let lines = lines_of(&t.bytes);

    let r = logrill!("head 3", p);
    let want = as_output(&lines[..3]);
    assert_eq!((r.code, &r.stdout), (Some(0), &want));

    let r = logrill!("head 7 | count", p);
    assert_eq!(r.number(), 7);

    let pattern: Vec<&[u8]> = lines
        .iter()
        .copied()
        .filter(|l| l.windows(10).any(|w| w == b"robots.txt"))
        .collect();
    let r = logrill!("grep robots.txt | head 2 | field -1", p);
    let want: Vec<u8> = pattern[..2]
        .iter()
        .flat_map(|l| [last_field(l).unwrap(), b"\n"].concat())
        .collect();
    assert_eq!(r.stdout, want);

    let r = logrill!("head 10 | field -1 | sum", p, "-q");
    assert_eq!(r.number(), last_field_sum(&t.bytes, 10));
}

/// `head N` stops reading: with an input that never ends, logrill still exits.
#[test]
fn head_stops_early_on_an_endless_input() {
    let mut child = StdCommand::new(BIN)
        .arg("head 5")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let t = text(110, 20);
    stdin.write_all(&t.bytes).unwrap();
    stdin.flush().unwrap();
    // Stdin stays open: logrill must not wait for its end.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    assert!(status.is_some(), "logrill kept reading after head 5");
    assert_eq!(status.unwrap().code(), Some(0));
    let want = as_output(&lines_of(&t.bytes)[..5]);
    assert_eq!(out, want);
}

#[test]
fn exit_codes_for_no_match() {
    let t = text(120, 1000);
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "a.log", &t.bytes);
    // A pure filter with no output: 1.
    let r = logrill!("grep no-such-thing-anywhere", p);
    assert_eq!(
        (r.code, r.stdout.len(), r.stderr.as_str()),
        (Some(1), 0, "")
    );
    let r = logrill!("grep no-such-thing-anywhere | field -1", p);
    assert_eq!(r.code, Some(1));
    // An aggregate always has a result: 0.
    let r = logrill!("grep no-such-thing-anywhere | count", p);
    assert_eq!((r.code, r.out().as_str()), (Some(0), "0\n"));
    let r = logrill!("grep no-such-thing-anywhere | field -1 | min", p);
    assert_eq!((r.code, r.out().as_str()), (Some(0), "\n"));
    // A filter with output: 0; -v and -i.
    let r = logrill!("grep -i ROBOTS.TXT | count", p);
    assert_eq!(r.number(), i128::from(t.counts.pattern_lines));
    let r = logrill!("grep -v -F robots.txt | count", p);
    assert_eq!(
        r.number(),
        i128::from(t.counts.lines - t.counts.pattern_lines)
    );
}

#[test]
fn pipeline_syntax_error() {
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "a.log", b"x 1\n");
    let missing = dir.path().join("missing.log");
    // `fild` starts at column 19.
    let r = logrill!("grep robots.txt | fild -1", p, missing);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("pipeline error at column 19"),
        "{}",
        r.stderr
    );
    // Nothing was read: the missing file is not reported.
    assert!(!r.stderr.contains("missing.log"), "{}", r.stderr);

    for bad in ["head", "field 0", "sum | count", "grep", "grep 'open"] {
        let r = logrill!(bad, p);
        assert_eq!(r.code, Some(2), "{bad:?} {r:?}");
        assert!(r.stdout.is_empty(), "{bad:?}");
        assert!(
            r.stderr.contains("pipeline error at column "),
            "{bad:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn skip_report_and_quiet() {
    let t = LineGen::new(130).malformed_rate(0.0).text(3000);
    let dir = TempDir::new().unwrap();
    let p = write(dir.path(), "a.log", &t.bytes);
    let first_dash = lines_of(&t.bytes)
        .iter()
        .position(|l| last_field(l) == Some(b"-"))
        .unwrap()
        + 1;
    let r = logrill!("field -1 | sum", p);
    assert_eq!(r.number(), i128::from(t.counts.total_bytes));
    let n = t.counts.dash_lines;
    assert_eq!(
        r.stderr,
        format!(
            "logrill: skipped {n} values: {n} not a number (first: \"-\" at {}:{first_dash})\n",
            p.display()
        )
    );
    let r = logrill!("field -1 | sum", p, "-q");
    assert_eq!(r.stderr, "");
    // Fields that are missing are counted as such.
    let r = logrill_stdin!(b"a 1\n\nb -\nc\n".to_vec(); "field 2 | sum");
    assert_eq!(r.number(), 1);
    assert!(
        r.stderr.starts_with("logrill: skipped 3 values: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("2 had no such field (first: \"\" at <stdin>:2)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("1 not a number (first: \"-\" at <stdin>:3)"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1);
}

#[test]
fn json_output() {
    let t = text(140, 2000);
    let dir = TempDir::new().unwrap();
    let p = write(
        dir.path(),
        "a.log.gz",
        &compress(Codec::Gzip, &t.bytes).unwrap(),
    );
    let lines = lines_of(&t.bytes);
    let wanted: Vec<(usize, &[u8])> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.windows(10).any(|w| w == b"robots.txt"))
        .take(3)
        .map(|(i, l)| (i + 1, *l))
        .collect();

    let r = logrill!("--json", "grep robots.txt | head 3", p);
    assert_eq!(r.code, Some(0), "{r:?}");
    let out = r.out();
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3);
    for (row, (n, line)) in rows.iter().zip(&wanted) {
        let v: Value = serde_json::from_str(row).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["file", "line", "value"],
            "{row}"
        );
        assert_eq!(v["file"], p.display().to_string());
        assert_eq!(v["line"], *n as u64);
        assert_eq!(v["value"].as_str().unwrap().as_bytes(), *line);
    }

    let r = logrill!("--json", "field -1 | sum", p, "-q");
    let v: Value = serde_json::from_str(r.out().trim_end()).unwrap();
    assert_eq!(v, serde_json::json!({ "sum": t.counts.total_bytes }));
    assert_eq!(r.out().lines().count(), 1);
    let r = logrill!("count", "--json", p);
    let v: Value = serde_json::from_str(r.out().trim_end()).unwrap();
    assert_eq!(v, serde_json::json!({ "count": t.counts.lines }));
    let r = logrill!("--json", "field -1 | max", p, "-q");
    let v: Value = serde_json::from_str(r.out().trim_end()).unwrap();
    assert_eq!(v, serde_json::json!({ "max": t.counts.max_bytes }));

    let r = logrill_stdin!(b"a 1\nb 2\n".to_vec(); "--json", "field 1");
    assert_eq!(
        r.out(),
        "{\"file\":\"<stdin>\",\"line\":1,\"value\":\"a\"}\n{\"file\":\"<stdin>\",\"line\":2,\"value\":\"b\"}\n"
    );
}

/// `logrill ... | head -1`: the reader goes away; logrill ends quietly.
#[test]
fn closed_stdout_ends_quietly() {
    let dir = TempDir::new().unwrap();
    let t = LineGen::new(150).text(200_000); // ~20 MB of output, far more than a pipe holds
    let p = write(dir.path(), "big.log", &t.bytes);
    let mut child = StdCommand::new(BIN)
        .arg("grep HTTP")
        .arg(&p)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    assert_eq!(&first[..], &t.bytes[..100]);
    drop(stdout);
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("logrill did not end after its output was closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "", "no message for a closed pipe");
    assert_ne!(out.status.code(), Some(101), "panicked");
    assert_ne!(
        out.status.code(),
        Some(2),
        "a closed pipe is not an input failure"
    );
}

// ---------------------------------------------------------------------------------------
// Real logs (examples/real-logs, see its NOTICE.md)
// ---------------------------------------------------------------------------------------

#[test]
fn real_logs() {
    let real = repo_root().join("examples/real-logs");
    let apache = real.join("elastic-examples/apache_logs");
    let data = fs::read(&apache).unwrap();
    let lines = lines_of(&data);
    assert_eq!(lines.len(), 10_000);
    let r = logrill!("count", apache);
    assert_eq!(r.number(), 10_000);

    // %b is the 10th whitespace field of every line of this file; 669 are '-'.
    let tenth: Vec<&[u8]> = lines
        .iter()
        .map(|l| {
            l.split(|b| b.is_ascii_whitespace())
                .filter(|f| !f.is_empty())
                .nth(9)
                .unwrap()
        })
        .collect();
    let sum: i128 = tenth.iter().filter_map(|f| as_int(f)).sum();
    let dashes = tenth.iter().filter(|f| *f == b"-").count();
    assert_eq!(dashes, 669);
    let r = logrill!("field 10 | sum", apache);
    assert_eq!((r.code, r.number()), (Some(0), sum));
    assert!(
        r.stderr.starts_with(&format!(
            "logrill: skipped {} values: ",
            10_000 - tenth.iter().filter(|f| as_int(f).is_some()).count()
        )),
        "{}",
        r.stderr
    );

    let r = logrill!("grep -F '\" 404 ' | count", apache);
    let want = lines
        .iter()
        .filter(|l| l.windows(6).any(|w| w == b"\" 404 "))
        .count();
    assert_eq!(r.number(), want as i128);

    // The deliberately bad line of the vhost_combined sample.
    let vhost = real.join("jwodder-apachelogs/vhost_combined.log");
    let r = logrill!("grep -v -F 'Bad line' | count", vhost);
    assert_eq!(r.number(), 6);

    // Every *.log fixture, one without a final newline among them.
    let mut want = 0;
    for sub in [
        "elastic-beats-fixtures/apache-access",
        "elastic-beats-fixtures/nginx-access",
        "jwodder-apachelogs",
    ] {
        for e in fs::read_dir(real.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension() == Some(OsStr::new("log")) {
                want += lines_of(&fs::read(&p).unwrap()).len();
            }
        }
    }
    let r = logrill!("count", real, "-g", "*.log");
    assert_eq!((r.code, r.number()), (Some(0), want as i128));
}

/// A pattern that matches the empty string counts only real lines, in a file (searched
/// batch-wide) and on stdin, and whether or not the input ends with a newline.
#[test]
fn empty_matches_count_real_lines_only() {
    let dir = TempDir::new().unwrap();
    for (text, empty_lines, all_lines) in [
        (&b"a\n\nb\n"[..], 1, 3),
        (b"a\n\nb", 1, 3),
        (b"\n\n", 2, 2),
        (b"x\n", 0, 1),
    ] {
        let f = write(dir.path(), "t.log", text);
        assert_eq!(
            logrill!("grep '^$' | count", f).number(),
            empty_lines,
            "{text:?}"
        );
        assert_eq!(
            logrill!("grep '' | count", f).number(),
            all_lines,
            "{text:?}"
        );
        assert_eq!(
            logrill_stdin!(text.to_vec(); "grep '^$' | count").number(),
            empty_lines,
            "{text:?}"
        );
    }
}

/// Ctrl-C in batch mode: reading stops, the partial aggregate is printed and marked as
/// partial on stderr, and the exit status is 130.
#[test]
fn sigint_prints_the_partial_result_and_exits_130() {
    let mut child = StdCommand::new(BIN)
        .arg("field -1 | sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start logrill");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"a 1\nb 2\nc 39\n").expect("write");
    stdin.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    let status = StdCommand::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(100));
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(out.stdout, b"42\n");
    assert!(stderr.contains("partial"), "{stderr}");
}
