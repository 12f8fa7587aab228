//! Group keys short enough to be held in the table's slots and long ones in its arena,
//! mixed, through the command line: the counts by key against counts made here without
//! logrill, on one thread and two, one file (read in pieces) and three.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

/// A key of `a`s and `b`s: up to 10 bytes (held inline), or 10 fixed bytes and more (in
/// the arena, keys that differ only past the inline length).
fn key(x: u64) -> String {
    let bits = |n: u64, from: u64| {
        (0..n)
            .map(|i| if (from >> i) & 1 == 1 { 'b' } else { 'a' })
            .collect::<String>()
    };
    if x.is_multiple_of(2) {
        bits((x >> 1) % 11, x >> 5)
    } else {
        format!("abcdefghij{}", bits(1 + (x >> 1) % 20, x >> 6))
    }
}

/// Lines `s="KEY" n=N v=V` (about 5 MB: more than one piece of a file at `-j2`), and the
/// truth: count and sum of `v` by `s`, count by `s, n`.
#[allow(clippy::type_complexity)]
fn lines() -> (
    String,
    BTreeMap<String, (u64, u64)>,
    BTreeMap<(String, u64), u64>,
) {
    let mut text = String::new();
    let mut by_s = BTreeMap::new();
    let mut by_sn = BTreeMap::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    while text.len() < 5 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (s, n, v) = (key(x), x % 3, x % 1000);
        writeln!(text, "s=\"{s}\" n={n} v={v}").unwrap();
        let e = by_s.entry(s.clone()).or_insert((0, 0));
        e.0 += 1;
        e.1 += v;
        *by_sn.entry((s, n)).or_insert(0) += 1;
    }
    (text, by_s, by_sn)
}

fn run(pipeline: &str, j: &str, files: &[std::path::PathBuf]) -> String {
    let out = Command::new(BIN)
        .args(["-q", "-j", j, pipeline])
        .args(files)
        .output()
        .expect("run logrill");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn counts_by_short_and_long_keys_are_exact_on_one_thread_and_two() {
    let (text, by_s, by_sn) = lines();
    // Both kinds of key, many of each, and short keys of every length up to the inline one.
    assert!(by_s.keys().filter(|k| k.len() <= 10).count() > 1000);
    assert!(by_s.keys().filter(|k| k.len() > 10).count() > 1000);
    assert!(by_s.contains_key(""));

    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("one.log");
    std::fs::write(&one, &text).unwrap();
    let all: Vec<&str> = text.lines().collect();
    let third = all.len() / 3;
    let three: Vec<_> = [&all[..third], &all[third..2 * third], &all[2 * third..]]
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let p = d.path().join(format!("part-{i}.log"));
            std::fs::write(&p, part.join("\n") + "\n").unwrap();
            p
        })
        .collect();

    // Strings order by their bytes, as a BTreeMap of Strings does.
    let mut want_s = String::from("s\tcount\tsum_v\n");
    for (s, (n, v)) in &by_s {
        writeln!(want_s, "{s}\t{n}\t{v}").unwrap();
    }
    let mut want_sn = String::from("s\tn\tcount\n");
    for ((s, n), c) in &by_sn {
        writeln!(want_sn, "{s}\t{n}\t{c}").unwrap();
    }
    for files in [vec![one.clone()], three] {
        for j in ["1", "2"] {
            let got = run("parse logfmt | count, sum v by s", j, &files);
            assert!(got == want_s, "by s, -j{j}, {} file(s)", files.len());
            let got = run("parse logfmt | count by s, n", j, &files);
            assert!(got == want_sn, "by s, n, -j{j}, {} file(s)", files.len());
        }
    }
}
