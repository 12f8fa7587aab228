//! Partial results as bytes (`logrill::exec::PartialResult`): for every aggregate kind,
//! running each part of the inputs on its own, sending the state through bytes and merging
//! the parts in order gives exactly the answer of one run over all of them; bytes that are
//! corrupt, cut short or from another plan are errors, not panics.

use std::io::Write;
use std::path::PathBuf;

use logrill::exec::{Options, PartialError, PartialResult};
use logrill::source::find::Find;
use logrill::{Files, Results};

/// Combined-format logs in five files (one gzip, one bzip2), with ties for `top`, a `-`
/// size, times, and a file with no lines.
fn tree() -> (tempfile::TempDir, Vec<PathBuf>) {
    let d = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for f in 0..5u64 {
        let mut text = Vec::new();
        let lines = if f == 3 { 0 } else { 40 + f * 17 };
        for i in 0..lines {
            let host = format!("10.0.{}.{}", f % 2, (i * 7 + f) % 11);
            let status = [200, 404, 304, 500][(i % 4) as usize];
            let bytes = if i % 9 == 0 {
                "-".to_string()
            } else {
                ((i * 131 + f * 977) % 5000).to_string()
            };
            writeln!(
                text,
                "{host} - - [10/Oct/2000:13:{:02}:{:02} -0700] \"GET /p{}.html HTTP/1.0\" {status} {bytes} \"-\" \"agent {}\"",
                f * 10 + i / 60,
                i % 60,
                i % 6,
                i % 3,
            )
            .unwrap();
        }
        let p = d.path().join(format!("access-{f}.log"));
        let data = match f {
            1 => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), Default::default());
                e.write_all(&text).unwrap();
                e.finish().unwrap()
            }
            2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), Default::default());
                e.write_all(&text).unwrap();
                e.finish().unwrap()
            }
            _ => text,
        };
        std::fs::write(&p, data).unwrap();
        paths.push(p);
    }
    (d, paths)
}

/// What a run gave, comparable: the aggregate, the values, the columns and rows as JSON,
/// each `tee` branch's.
fn shape(r: &Results) -> String {
    let mut s = format!(
        "agg={:?} values={:?} columns={:?} rows={:?}",
        r.aggregate,
        r.values,
        r.columns,
        r.rows_json()
    );
    for b in &r.branches {
        s.push_str(&format!(" branch[{}]", shape(b)));
    }
    s
}

fn one_thread() -> Options {
    Options {
        threads: 1,
        ..Options::default()
    }
}

fn whole(text: &str, paths: &[PathBuf]) -> (String, u64, u64) {
    let r = Files::found(Find::new(paths))
        .lines()
        .stage(text)
        .threads(1)
        .run()
        .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    (shape(&r.value), r.skips.total(), r.unparsed)
}

/// Each file on its own, through bytes, merged in order; also merged from the bytes of
/// partial results that were themselves merges (a tree of merges, as a driver may do).
fn in_parts(text: &str, paths: &[PathBuf]) -> (String, u64, u64) {
    let plan = logrill::query::parse(text).unwrap();
    let bytes: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| {
            let files = Files::found(Find::new([p]));
            let part =
                PartialResult::run(&plan, files, &mut |e| panic!("{e}"), &one_thread()).unwrap();
            part.to_bytes()
        })
        .collect();
    // Left half merged and sent as bytes again, then the right half file by file.
    let mut left = PartialResult::empty(&plan).unwrap();
    for b in &bytes[..2] {
        left.merge(PartialResult::from_bytes(&plan, b).unwrap())
            .unwrap();
    }
    let mut total = PartialResult::from_bytes(&plan, &left.to_bytes()).unwrap();
    for b in &bytes[2..] {
        total
            .merge(PartialResult::from_bytes(&plan, b).unwrap())
            .unwrap();
    }
    let r = total.finish(&Options::default()).unwrap();
    (shape(&r.value), r.skips.total(), r.unparsed)
}

const PIPELINES: &[&str] = &[
    // The seed's aggregates of the current value.
    "field 10 | count",
    "field 10 | sum",
    "field 10 | min",
    "field 10 | max",
    "field 10 | avg",
    // Aggregates of records, alone, by groups, and every kind.
    "parse combined | count",
    "parse combined | count by status",
    "parse auto | count by status",
    "parse combined | count status >= 500 as errors, sum bytes by host",
    "parse combined | min bytes, max bytes, avg bytes, min time, max time by status",
    "parse combined | distinct host",
    "parse combined | distinct path by status",
    "parse combined | count_distinct host, count_distinct path by status",
    "parse combined | p50 bytes, p99 bytes, percentile(bytes, 37) by status",
    "parse combined | top 3 host",
    "parse combined | top 2 agent by status",
    "parse combined | first path, last path, first time, last host by status",
    "parse combined | sum bytes by host | sort sum_bytes desc | head 3",
    // A plan that ends in sort keeps records; ties keep input order.
    "parse combined | where status == 404 | sort bytes desc",
    "tee (field 10 | sum) (parse combined | count by status) (parse combined | top 2 host)",
];

#[test]
fn parts_through_bytes_equal_the_whole_run_for_every_aggregate() {
    let (_d, paths) = tree();
    for text in PIPELINES {
        let want = whole(text, &paths);
        // Something to compare: an aggregate or rows.
        assert!(
            want.0.contains("agg=Some(") || !want.0.contains("rows=[]"),
            "{text}: {want:?}"
        );
        assert_eq!(want.2, 0, "{text}: every line parses");
        assert_eq!(in_parts(text, &paths), want, "{text}");
    }
}

#[test]
fn sums_stay_exact_past_2_to_the_53() {
    let d = tempfile::tempdir().unwrap();
    // Independent truth: line i of file f holds 2^53 + 1 + 10 f + i.
    let mut want: u128 = 0;
    let mut paths = Vec::new();
    for f in 0..3u64 {
        let mut text = String::new();
        for i in 0..10u64 {
            let n = 9_007_199_254_740_993u64 + 10 * f + i;
            want += n as u128;
            text.push_str(&format!("x {n}\n"));
        }
        let p = d.path().join(format!("n{f}.txt"));
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let (got, _, _) = in_parts("field -1 | sum", &paths);
    assert!(got.starts_with(&format!("agg=Some(Int({want}))")), "{got}");
    assert_eq!(got, whole("field -1 | sum", &paths).0);
}

/// Times written without an offset come back as written, not at an offset of −23:59:59
/// (review: the reader clamped the "no offset" mark into an offset).
#[test]
fn times_without_an_offset_survive_the_bytes() {
    let d = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for f in 0..2 {
        let p = d.path().join(format!("app{f}.log"));
        let text = format!("2026-12-01 10:00:0{f} info\n2026-12-01 11:00:0{f} warn\n");
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    // A calendar time without `%z` is local: kept without an offset.
    let local = r#"parse "%{%Y-%m-%d %H:%M:%S}t %m""#;
    for tail in [
        "first time, last time, min time, max time",
        "count by time",
        "distinct time",
        "sort time",
    ] {
        let text = &format!("{local} | {tail}");
        let (got, _, _) = in_parts(text, &paths);
        assert!(got.contains("2026-12-01T10:00:00"), "{text}: {got}");
        assert!(!got.contains("null"), "{text}: {got}");
        assert!(!got.contains("23:59"), "{text}: {got}");
        assert_eq!(got, whole(text, &paths).0, "{text}");
    }
}

#[test]
fn corrupt_bytes_are_errors_not_panics() {
    let (_d, paths) = tree();
    for text in PIPELINES {
        let plan = logrill::query::parse(text).unwrap();
        let files = Files::found(Find::new(&paths[..1]));
        let good = PartialResult::run(&plan, files, &mut |_| {}, &one_thread())
            .unwrap()
            .to_bytes();
        // Every cut is an error.
        for cut in 0..good.len() {
            assert!(
                PartialResult::from_bytes(&plan, &good[..cut]).is_err(),
                "{text}: cut at {cut}"
            );
        }
        // Flipped bytes: an error or a state, never a panic.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x5a;
            let _ = PartialResult::from_bytes(&plan, &bad);
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(PartialResult::from_bytes(&plan, &longer).is_err());
    }
}

#[test]
fn another_plan_or_version_is_refused() {
    let (_d, paths) = tree();
    let plan = logrill::query::parse("parse combined | count by status").unwrap();
    let other = logrill::query::parse("parse combined | count by host").unwrap();
    let files = Files::found(Find::new(&paths));
    let bytes = PartialResult::run(&plan, files, &mut |_| {}, &one_thread())
        .unwrap()
        .to_bytes();
    assert!(matches!(
        PartialResult::from_bytes(&other, &bytes),
        Err(PartialError::OtherPlan)
    ));
    let mut newer = bytes.clone();
    newer[4] = 99;
    let e = PartialResult::from_bytes(&plan, &newer).unwrap_err();
    assert!(e.to_string().contains("version 99"), "{e}");
    let mut a = PartialResult::empty(&plan).unwrap();
    assert!(matches!(
        a.merge(PartialResult::empty(&other).unwrap()),
        Err(PartialError::OtherPlan)
    ));
    // `head` before an aggregate counts the first lines of the whole input (review: parts
    // each took their own first lines), and before records the same.
    for text in [
        "parse combined | head 100 | count",
        "head 3",
        "tee (head 2 | count) (count)",
    ] {
        let plan = logrill::query::parse(text).unwrap();
        assert!(
            matches!(PartialResult::empty(&plan), Err(PartialError::Ordered)),
            "{text}"
        );
    }
    // A pipeline that streams values has nothing to merge.
    let lines = logrill::query::parse("grep GET").unwrap();
    assert!(matches!(
        PartialResult::empty(&lines),
        Err(PartialError::NotMergeable)
    ));
}

#[test]
fn input_errors_go_to_the_caller_and_the_rest_is_read() {
    let (d, mut paths) = tree();
    paths.insert(1, d.path().join("missing.log"));
    let plan = logrill::query::parse("parse combined | count").unwrap();
    let mut errors = Vec::new();
    let files = Files::found(Find::new(&paths));
    let part = PartialResult::run(
        &plan,
        files,
        &mut |e| errors.push(e.to_string()),
        &one_thread(),
    )
    .unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("missing.log"), "{errors:?}");
    let r = part.finish(&Options::default()).unwrap();
    paths.remove(1);
    assert_eq!(shape(&r.value), whole("parse combined | count", &paths).0);
}

/// Many groups, each in several parts, sent in the table's own (hash) order, not sorted
/// by key: merged in order they give every group's exact sum, and a `sort … | head` over
/// them keeps the one-machine order of ties (group key order, then input order).
#[test]
fn many_groups_across_parts_merge_exactly_with_ties_in_the_sort() {
    let d = tempfile::tempdir().unwrap();
    let hosts = 7000u64;
    // Independent truth: host h gets (h % 5) + 1 bytes on each of its lines; part f holds
    // the hosts h with h % 3 != f, so every host is in two of the three parts.
    let mut want = std::collections::BTreeMap::new();
    let mut paths = Vec::new();
    for f in 0..3u64 {
        let mut text = String::new();
        for h in (0..hosts).filter(|h| h % 3 != f) {
            let b = h % 5 + 1;
            *want.entry(format!("h{h:05}")).or_insert(0u64) += b;
            text.push_str(&format!("h{h:05} {b}\n"));
        }
        let p = d.path().join(format!("part{f}.log"));
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let sums = "parse regex '(?P<host>\\S+) (?P<b>\\d+)' | sum b by host";
    let (got, _, _) = in_parts(sums, &paths);
    assert_eq!(got, whole(sums, &paths).0);
    let rows: Vec<String> = want
        .iter()
        .map(|(h, s)| format!("Object {{\"host\": String(\"{h}\"), \"sum_b\": Number({s})}}"))
        .collect();
    assert!(
        got.contains(&format!("rows=[{}]", rows.join(", "))),
        "{got}"
    );
    // Ties: 1400 hosts share each sum; the first 5 of the highest are the lowest keys.
    let top = format!("{sums} | sort sum_b desc | head 5");
    let (got, _, _) = in_parts(&top, &paths);
    assert_eq!(got, whole(&top, &paths).0);
    let mut best: Vec<(&String, &u64)> = want.iter().collect();
    best.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (h, _) in &best[..5] {
        assert!(got.contains(&format!("String(\"{h}\")")), "{h} in {got}");
    }
}
