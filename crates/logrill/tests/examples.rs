//! The examples in `examples/`, run and checked against numbers known independently of
//! logrill: the ground truth `logrill-testgen` records while it *writes* a log tree (it
//! never reads the files back), and hand-worked outputs for the small ones.
//!
//! Each example keeps its work in a `run(out, ...)` function (its `main` only parses
//! arguments), so it is included here as a module and run on a generated tree, and its
//! printed output is checked too.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use logrill::AggValue;
use logrill_testgen::{generate, Options, Truth};

// `main` of each example is not called here: it only parses arguments.
#[allow(dead_code)]
#[path = "../examples/broadcast.rs"]
mod broadcast;
#[allow(dead_code)]
#[path = "../examples/bytes_total.rs"]
mod bytes_total;
#[allow(dead_code)]
#[path = "../examples/countdown.rs"]
mod countdown;
#[allow(dead_code)]
#[path = "../examples/find_grep_pipeline.rs"]
mod find_grep_pipeline;
#[allow(dead_code)]
#[path = "../examples/follow_close.rs"]
mod follow_close;
#[allow(dead_code)]
#[path = "../examples/follow_close_thread.rs"]
mod follow_close_thread;
#[allow(dead_code)]
#[path = "../examples/grep_coroutine.rs"]
mod grep_coroutine;
#[allow(dead_code)]
#[path = "../examples/push_vs_pull.rs"]
mod push_vs_pull;
#[allow(dead_code)]
#[path = "../examples/threaded_consumer.rs"]
mod threaded_consumer;

/// A generated tree (every codec, two sites), made once for all tests.
fn tree() -> &'static (PathBuf, Truth) {
    static TREE: OnceLock<(PathBuf, Truth)> = OnceLock::new();
    TREE.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("logrill-examples-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let opts = Options {
            mb: 0.6,
            sites: 2,
            seed: 20_260_101,
            ..Options::default()
        };
        let truth = generate(&dir, &opts).expect("the tree is generated");
        (dir, truth)
    })
}

fn int(n: u64) -> AggValue {
    AggValue::Int(i128::from(n))
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("the examples print UTF-8")
}

#[test]
fn countdown_iterator_and_generator_count_down_alike() {
    let mut out = Vec::new();
    countdown::run(&mut out, 5).unwrap();
    assert_eq!(
        text(out),
        "iterator: 5 4 3 2 1\ngenerator: 5 4 3 2 1\nby hand: Some(2) Some(1) None\n"
    );
    assert_eq!(
        countdown::Countdown::new(3).collect::<Vec<_>>(),
        countdown::countdown(3).collect::<Vec<_>>()
    );
    assert_eq!(countdown::countdown(0).next(), None);
}

#[test]
fn bytes_total_imperative_and_pipeline_equal_the_truth_for_each_file() {
    let (dir, truth) = tree();
    assert!(truth.files.len() >= 6);
    for file in &truth.files {
        let path = dir.join(&file.path);
        let mut out = Vec::new();
        let (by_loop, by_pipeline) = bytes_total::run(&mut out, &path).unwrap();
        let want = file.counts.total_bytes;
        assert_eq!(by_loop, i128::from(want), "{}", file.path);
        assert_eq!(by_pipeline, int(want), "{}", file.path);
        assert!(text(out).contains(&format!("imperative: Total {want}\n")));
    }
}

#[test]
fn find_grep_pipeline_layers_and_chain_equal_the_truth() {
    let (dir, truth) = tree();
    let mut out = Vec::new();
    let (layers, chain) = find_grep_pipeline::run(&mut out, dir, "robots.txt").unwrap();
    assert_eq!(layers, int(truth.pattern_bytes));
    assert_eq!(chain, int(truth.pattern_bytes));
    let out = text(out);
    assert!(
        out.starts_with(&format!("{} files", truth.files.len())),
        "{out}"
    );
}

#[test]
fn grep_coroutine_prints_what_the_seed_prints() {
    let mut out = Vec::new();
    let counts = grep_coroutine::run(&mut out).unwrap();
    assert_eq!(counts, (2, 2));
    assert_eq!(
        text(out),
        "-- by hand\n\
         Looking for python\n\
         python generators rock!\n\
         We're gonna need a bigger boat; python is bigger\n\
         Going away. Goodbye\n\
         -- from the library: grep + writer\n\
         python generators rock!\n\
         We're gonna need a bigger boat; python is bigger\n\
         matched 2 and 2\n"
    );
}

#[test]
fn broadcast_feeds_every_consumer_and_one_stops_early() {
    let (dir, truth) = tree();
    let not_found = truth.status_counts.get(&404).copied().unwrap_or(0);
    assert!(not_found > broadcast::SHOW, "the tree has enough 404s");
    let mut out = Vec::new();
    let found = broadcast::run(&mut out, dir).unwrap();
    assert_eq!(found.not_found, int(not_found));
    assert_eq!(found.bytes, int(truth.total_bytes));
    // find_404 stopped after SHOW lines; the others read to the end.
    assert_eq!(found.shown, broadcast::SHOW);
    let out = text(out);
    let shown: Vec<&str> = out.lines().skip(1).take(broadcast::SHOW as usize).collect();
    assert!(
        shown
            .iter()
            .all(|l| l.split_whitespace().rev().nth(1) == Some("404")),
        "{out}"
    );
    assert!(out.ends_with(&format!(
        "404s: {not_found}\nTotal bytes: {}\n",
        truth.total_bytes
    )));
}

#[test]
fn threaded_consumer_blocks_exactly_and_drops_are_counted() {
    let (dir, truth) = tree();
    let mut out = Vec::new();
    let outcome = threaded_consumer::run(&mut out, dir).unwrap();
    assert_eq!(outcome.total, int(truth.pattern_bytes));
    // Whatever the timing, every match was either delivered or counted as dropped.
    assert_eq!(outcome.delivered + outcome.dropped, truth.pattern_lines);
    assert!(text(out).starts_with(&format!(
        "Block:      total {} (dropped 0)\n",
        truth.pattern_bytes
    )));
}

#[test]
fn push_and_pull_agree_with_the_truth() {
    let (dir, truth) = tree();
    let mut out = Vec::new();
    let totals = push_vs_pull::run(&mut out, dir).unwrap();
    assert_eq!(totals, [int(truth.pattern_bytes); 3]);
    assert_eq!(text(out).lines().count(), 3);
}

#[test]
fn follow_close_hands_out_the_lines_written_then_shuts_down() {
    let mut out = Vec::new();
    let (seen, report) = follow_close::run(&mut out, 5).unwrap();
    let written: Vec<String> = (1..=5).map(follow_close::server_line).collect();
    assert_eq!(seen, written);
    assert_eq!(report.lines, 5);
    assert_eq!(report.files_closed, 1);
    assert_eq!(report.reason, logrill::source::follow::CloseReason::Closed);
    let out = text(out);
    assert!(
        out.ends_with("Shutting down: closed (Closed): 5 lines, 1 file closed\n"),
        "{out}"
    );
}

#[test]
fn follow_closed_from_another_thread_ends_the_loop_and_keeps_the_total() {
    let n = 40;
    let mut out = Vec::new();
    let outcome = follow_close_thread::run(&mut out, n).unwrap();
    assert_eq!(outcome.lines, n);
    // 3 + 6 + ... + 39, worked out without logrill.
    assert_eq!(
        outcome.robots_bytes,
        int(follow_close_thread::expected_robots_bytes(n))
    );
    assert_eq!(follow_close_thread::expected_robots_bytes(n), 273);
    assert_eq!(
        outcome.report.reason,
        logrill::source::follow::CloseReason::Requested
    );
    assert_eq!(outcome.report.lines, n);
}

/// The committed sample tree the examples read by default, checked against its
/// `TRUTH.json` (written by the generator when the tree was made).
#[test]
fn the_default_sample_tree_gives_its_recorded_totals() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/logs");
    let Ok(json) = std::fs::read(root.join("TRUTH.json")) else {
        // The sample tree is part of the repository; a checkout without it skips this.
        eprintln!("no examples/logs/TRUTH.json: skipped");
        return;
    };
    let truth: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let field = |k: &str| {
        truth[k]
            .as_u64()
            .unwrap_or_else(|| panic!("TRUTH.json: {k}"))
    };

    let (layers, chain) = find_grep_pipeline::run(&mut Vec::new(), &root, "robots.txt").unwrap();
    assert_eq!(layers, int(field("pattern_bytes")));
    assert_eq!(chain, int(field("pattern_bytes")));

    let found = broadcast::run(&mut Vec::new(), &root).unwrap();
    assert_eq!(found.bytes, int(field("total_bytes")));
    assert_eq!(
        found.not_found,
        int(truth["status_counts"]["404"].as_u64().unwrap_or(0))
    );
}
