//! Keys that mix numbers with strings that read as numbers (logfmt `k=12` and `k="12"`,
//! hex such as `"7f"`): `by` tables and `sort` must order them without panicking, in the
//! documented order (numbers numerically, then strings by their bytes), the same with one
//! thread and two. The expected rows are computed here, from the generated lines.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

/// A key as the test knows it: a logfmt integer or a quoted string.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum Key {
    Int(i64),
    Str(String),
}

impl Key {
    /// The documented output order: numbers before strings, numbers numerically,
    /// strings by their bytes.
    fn rank(&self) -> (u8, i64, &str) {
        match self {
            Key::Int(i) => (0, *i, ""),
            Key::Str(s) => (1, 0, s),
        }
    }

    fn json(&self) -> String {
        match self {
            Key::Int(i) => i.to_string(),
            Key::Str(s) => format!("\"{s}\""),
        }
    }
}

/// About 20 000 `k=…` lines, half integers, half quoted hex (mostly numeric-looking:
/// "12", "400"; some not: "7f", "1a2"), from a fixed LCG.
fn mixed_lines(n: usize) -> (String, Vec<Key>) {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    let mut text = String::new();
    let mut keys = Vec::new();
    for _ in 0..n {
        let v = next() % 4000;
        let key = if next() % 2 == 0 {
            Key::Int(v as i64)
        } else {
            Key::Str(format!("{v:x}"))
        };
        match &key {
            Key::Int(i) => text.push_str(&format!("k={i}\n")),
            Key::Str(s) => text.push_str(&format!("k=\"{s}\"\n")),
        }
        keys.push(key);
    }
    (text, keys)
}

fn logrill(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(BIN).args(args).output().expect("run logrill");
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn write(dir: &Path, text: &str) -> String {
    let path = dir.join("mixed.log");
    std::fs::write(&path, text).expect("write log");
    path.to_str().expect("utf-8 path").to_owned()
}

/// Run `query` on `file` with one thread and with two: no panic, exit 0, and the JSON
/// lines `expected` both times.
fn answers_alike(query: &str, file: &str, expected: &[String]) {
    for jobs in ["-j1", "-j2"] {
        let (out, err, code) = logrill(&[jobs, "--json", query, file]);
        assert!(!err.contains("panicked"), "{jobs} {query}: {err}");
        assert_eq!(code, 0, "{jobs} {query}: {err}");
        let got: Vec<&str> = out.lines().collect();
        assert_eq!(got, expected, "{jobs} {query}");
    }
}

/// The mixed log written into a fresh directory (kept alive by the first value), its path,
/// and its keys in the documented order.
fn mixed_log() -> (tempfile::TempDir, String, Vec<Key>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (text, mut keys) = mixed_lines(20_000);
    let file = write(dir.path(), &text);
    keys.sort_by(|a, b| a.rank().cmp(&b.rank()));
    (dir, file, keys)
}

/// `{"k":…}` for each key, as `--json` prints a record of one field `k`.
fn k_rows<'a>(keys: impl IntoIterator<Item = &'a Key>) -> Vec<String> {
    keys.into_iter()
        .map(|k| format!("{{\"k\":{}}}", k.json()))
        .collect()
}

#[test]
fn count_by_mixed_numeric_keys_is_ordered_and_does_not_panic() {
    let (_dir, file, keys) = mixed_log();
    let expected: Vec<String> = keys
        .chunk_by(|a, b| a == b)
        .map(|run| format!("{{\"k\":{},\"count\":{}}}", run[0].json(), run.len()))
        .collect();
    answers_alike("parse logfmt | count by k", &file, &expected);
}

#[test]
fn sort_of_mixed_numeric_keys_is_ordered_and_does_not_panic() {
    let (_dir, file, keys) = mixed_log();
    answers_alike("parse logfmt | sort k", &file, &k_rows(&keys));
}

#[test]
fn min_and_max_of_mixed_keys_follow_the_same_order() {
    let (_dir, file, keys) = mixed_log();
    let (min, max) = (&keys[0], &keys[keys.len() - 1]);
    let expected = [format!(
        "{{\"min_k\":{},\"max_k\":{}}}",
        min.json(),
        max.json()
    )];
    answers_alike("parse logfmt | min k, max k", &file, &expected);
}

#[test]
fn distinct_of_mixed_keys_follows_the_same_order() {
    let (_dir, file, mut keys) = mixed_log();
    keys.dedup();
    answers_alike("parse logfmt | distinct k", &file, &k_rows(&keys));
}
