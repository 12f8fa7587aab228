//! Group keys of every kind through the whole engine, against counts this test computes
//! itself: the table's fast paths (a one-column key made straight into its slot, short
//! keys compared and hashed as words, long ones compared by words in the arena) must give
//! exactly the groups of the typed key encoding.
//!
//! The keys are JSON values of every type written in one column, interleaved: `200`,
//! `"200"` and `200.0` are three groups; `null` and a missing key are one; strings of
//! every length around the inline limit (10 bytes of string), strings that differ only in
//! their last byte, IPv4 hosts (over the limit), escaped strings (owned, not borrowed
//! from the line). Each is read with one thread, with two, and with the file cut into
//! small pieces whose tables are merged.

use std::collections::BTreeMap;
use std::path::Path;

use logrill::exec::{run_with, Event, Options};
use logrill::sink::{Consumer, Flow, Sink, SinkError};
use logrill::source::pieces::Split;
use logrill::source::Find;
use logrill::Files;

/// The rows of a table, as JSON objects.
#[derive(Default)]
struct Rows(Vec<serde_json::Value>);

impl Consumer for Rows {
    type Output = ();
    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Rows {
    fn send(&mut self, e: Event<'a>) -> Result<Flow, SinkError> {
        if let Event::Record { record, .. } = e {
            self.0.push(record.to_json());
        }
        Ok(Flow::Continue)
    }
}

fn run(text: &str, path: &Path, threads: usize, split: Split) -> Vec<serde_json::Value> {
    let plan = logrill::query::parse(text).unwrap();
    let mut rows = Rows::default();
    let mut errors = Vec::new();
    run_with(
        &plan,
        Files::found(Find::new([path.to_path_buf()])),
        &mut rows,
        &mut |e| errors.push(e.to_string()),
        &Options {
            threads,
            split,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    rows.0
}

/// The keys, as JSON text (`None`: the member is left out).
fn keys() -> Vec<Option<String>> {
    let mut keys: Vec<Option<String>> = [
        "200",
        "\"200\"",
        "200.0",
        "null",
        "true",
        "false",
        "0",
        "-1",
        "9223372036854775807",
        "\"\"",
        "\"\\u0000\"",
        "\"a\\\"b\"",
        "\"192.168.100.200\"",
        "\"192.168.100.201\"",
        "\"10.0.0.1\"",
    ]
    .iter()
    .map(|k| Some(k.to_string()))
    .collect();
    keys.push(None);
    let letters = "abcdefghijklmnop";
    for n in 1..=14 {
        for last in ["x", "y"] {
            keys.push(Some(format!("\"{}{last}\"", &letters[..n - 1])));
        }
    }
    keys
}

/// A key as the table prints it: the JSON value (a missing key is null).
fn printed(key: &Option<String>) -> String {
    match key {
        Some(k) => serde_json::from_str::<serde_json::Value>(k)
            .unwrap()
            .to_string(),
        None => "null".into(),
    }
}

/// Lines whose key `k` takes the keys in a pseudo-random order (so that types change from
/// line to line), with `j` a small integer and `x` a number to sum; and the truth: count and
/// sum of `x` by printed key, and by (key, j).
type Truth = BTreeMap<String, (i64, i64)>;

fn write_log(path: &Path, lines: usize) -> (Truth, Truth) {
    let keys = keys();
    let mut by_k = Truth::new();
    let mut by_kj = Truth::new();
    let mut text = String::new();
    let mut s: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..lines {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        // Every key at least once, then at random.
        let key = &keys[if i < keys.len() {
            i
        } else {
            (s % keys.len() as u64) as usize
        }];
        let j = (s >> 20) % 3;
        let x = (s >> 30) % 1000;
        let member = key
            .as_ref()
            .map_or(String::new(), |k| format!("\"k\":{k},"));
        text.push_str(&format!("{{{member}\"j\":{j},\"x\":{x}}}\n"));
        let e = by_k.entry(printed(key)).or_default();
        e.0 += 1;
        e.1 += x as i64;
        let e = by_kj.entry(format!("{} {j}", printed(key))).or_default();
        e.0 += 1;
        e.1 += x as i64;
    }
    std::fs::write(path, text).unwrap();
    (by_k, by_kj)
}

/// The table's rows as the truth's map: key (and `j`) to (count, sum).
fn tally(rows: &[serde_json::Value], with_j: bool) -> Truth {
    let mut out = Truth::new();
    for r in rows {
        let k = r["k"].to_string();
        let key = if with_j { format!("{k} {}", r["j"]) } else { k };
        let count = r["count"].as_i64().unwrap();
        let sum = r["sum_x"].as_i64().unwrap();
        assert!(out.insert(key, (count, sum)).is_none(), "a key twice: {r}");
    }
    out
}

#[test]
fn every_kind_of_key_is_its_own_group_whatever_the_threads_and_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.jsonl");
    let (by_k, by_kj) = write_log(&path, 30_000);
    // Pieces of 16 KiB: dozens of tables, merged.
    let pieces = Split {
        min_file: 0,
        piece: 16 << 10,
        min_piece: 16 << 10,
    };
    for (text, truth, with_j) in [
        ("parse json | count, sum x by k", &by_k, false),
        ("parse json | count, sum x by k, j", &by_kj, true),
    ] {
        let one = run(text, &path, 1, Split::default());
        assert_eq!(&tally(&one, with_j), truth, "{text}");
        let two = run(text, &path, 2, Split::default());
        assert_eq!(two, one, "{text} with two threads");
        let cut = run(text, &path, 2, pieces);
        assert_eq!(cut, one, "{text} in pieces");
    }
    // `200`, `"200"` and `200.0` are three groups; null and missing are one.
    for k in ["200", "\"200\"", "200.0", "null"] {
        assert!(by_k.contains_key(k), "{k}");
    }
    assert_eq!(by_k.len(), keys().len() - 1);
}

/// `sort … | head N` right after a table takes only its first N rows from the table
/// (the other rows are never made): the answer must be the first N rows of the same sort
/// without `head`, which sorts every row, ties (many: `j` has three values) in the table's
/// own key order, whatever N, the sort keys and their directions, and the threads.
#[test]
fn sort_then_head_after_a_table_is_the_first_rows_of_the_whole_sort() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.jsonl");
    let (_, by_kj) = write_log(&path, 6_000);
    let groups = by_kj.len();
    // Every sort for the tables by `k` and `j`; `sort count > 0` is all ties.
    let with_j = [
        "sort count desc",
        "sort j",
        "sort j desc",
        "sort j, count desc",
        "sort sum_x, k desc",
        "sort k",
        "sort count > 0",
    ];
    let tables = [
        ("parse json | count, sum x by k, j", &with_j[..]),
        ("parse json | count by j, k", &with_j[..4]),
        ("parse json | count, sum x by k", &with_j[4..]),
    ];
    for (table, sorts) in tables {
        for sort in sorts {
            let whole = run(&format!("{table} | {sort}"), &path, 1, Split::default());
            assert!(!whole.is_empty(), "{table} | {sort}");
            for n in [1, 3, 64, 65, groups + 5] {
                let text = format!("{table} | {sort} | head {n}");
                let want = &whole[..n.min(whole.len())];
                for threads in [1, 2] {
                    let got = run(&text, &path, threads, Split::default());
                    assert_eq!(got, want, "{text} with {threads} threads");
                }
            }
        }
    }
}
