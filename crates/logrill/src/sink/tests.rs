//! Unit tests of the sink layer: every combinator, checked against values worked out here.

use std::io::{self, Cursor, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::agg::{AggKind, AggValue, Aggregate, Number};
use crate::source::LineReader;

/// A sink that keeps what it gets, stops after `limit` items, and fails if it is sent
/// anything after it said Stop (the contract every driver and combinator must keep).
struct Strict {
    got: Vec<Vec<u8>>,
    limit: usize,
    skips: SkipCounts,
    closed: Option<Arc<AtomicBool>>,
}

fn strict(limit: usize) -> Strict {
    Strict {
        got: Vec::new(),
        limit,
        skips: SkipCounts::default(),
        closed: None,
    }
}

impl Consumer for Strict {
    type Output = (Vec<Vec<u8>>, SkipCounts);

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.skips.add(reason, n);
    }

    fn close(self) -> Result<Self::Output, SinkError> {
        if let Some(c) = &self.closed {
            c.store(true, Ordering::SeqCst);
        }
        Ok((self.got, self.skips))
    }
}

impl<'a> Sink<&'a [u8]> for Strict {
    fn send(&mut self, item: &'a [u8]) -> Result<Flow, SinkError> {
        if self.got.len() >= self.limit {
            return Err(SinkError::Invalid("sent after Stop".into()));
        }
        self.got.push(item.to_vec());
        Ok(if self.got.len() == self.limit {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

fn v(items: &[&str]) -> Vec<Vec<u8>> {
    items.iter().map(|s| s.as_bytes().to_vec()).collect()
}

const LOG: &str = "\
h1 - - [t] \"GET /robots.txt HTTP/1.0\" 200 120
h2 - - [t] \"GET /index.html HTTP/1.0\" 200 9999
h3 - - [t] \"GET /robots.txt HTTP/1.0\" 304 -

h4 - - [t] \"GET /robots.txt HTTP/1.0\" 404 80
h5 - - [t] \"GET /missing HTTP/1.0\" 404 7
";

fn lines_of(text: &str) -> Vec<&[u8]> {
    text.lines().map(str::as_bytes).collect()
}

// --- trait, Flow, SkipCounts ------------------------------------------------------------------

#[test]
fn skip_counts_add_merge_total() {
    let mut a = SkipCounts::default();
    a.add(SkipReason::NotANumber, 2);
    a.add(SkipReason::NoSuchField, 0);
    let mut b = SkipCounts::default();
    b.add(SkipReason::NoSuchField, 3);
    b.add(SkipReason::NotANumber, 1);
    a.merge(&b);
    assert_eq!(a.count(SkipReason::NotANumber), 3);
    assert_eq!(a.count(SkipReason::NoSuchField), 3);
    assert_eq!(a.total(), 6);
    assert_eq!(a.iter().count(), 2);
    assert!(Flow::Stop.is_stop() && !Flow::Continue.is_stop());
}

// --- filter / map / filter_map / map_output / from_fn / collect --------------------------------

#[test]
fn filter_passes_only_what_the_predicate_accepts() {
    let out = lines_of(LOG)
        .into_iter()
        .feed(filter(|l: &&[u8]| l.ends_with(b" 404 80"), collect_lines()))
        .unwrap();
    assert_eq!(out, v(&["h4 - - [t] \"GET /robots.txt HTTP/1.0\" 404 80"]));
}

#[test]
fn map_and_filter_map_transform_items() {
    let lens = lines_of(LOG)
        .into_iter()
        .feed(map(|l: &[u8]| l.len() as i64, sum()))
        .unwrap();
    let want: usize = LOG.lines().map(str::len).sum();
    assert_eq!(lens.value, AggValue::Int(want as i128));

    let statuses = lines_of(LOG)
        .into_iter()
        .feed(filter_map(
            |l: &[u8]| crate::stage::field::whitespace_field(l, -2).map(<[u8]>::to_vec),
            collect(),
        ))
        .unwrap();
    assert_eq!(statuses, v(&["200", "200", "304", "404", "404"]));
}

#[test]
fn map_output_changes_only_the_output() {
    let n = (1..=4)
        .map(i64::from)
        .feed(map_output(sum(), |a: Aggregated| a.value.to_string()))
        .unwrap();
    assert_eq!(n, "10");
}

#[test]
fn from_fn_can_stop_and_feed_stops_pulling() {
    let mut seen = Vec::new();
    let mut pulled = 0;
    let flow = (1..=100)
        .inspect(|_| pulled += 1)
        .feed_into(&mut from_fn(|x: i32| {
            seen.push(x);
            if x == 3 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }))
        .unwrap();
    assert_eq!(flow, Flow::Stop);
    assert_eq!(seen, vec![1, 2, 3]);
    // Push drives pull: nothing past the Stop was even produced.
    assert_eq!(pulled, 3);
}

// --- stages as sinks ----------------------------------------------------------------------------

#[test]
fn field_takes_the_field_and_counts_missing_ones_downstream() {
    let (got, skips) = lines_of(LOG)
        .into_iter()
        .feed(field(-1, strict(usize::MAX)).unwrap())
        .unwrap();
    assert_eq!(got, v(&["120", "9999", "-", "80", "7"]));
    assert_eq!(skips.count(SkipReason::NoSuchField), 1); // the empty line

    let got = [&b"a,,b"[..], b"c"]
        .into_iter()
        .feed(field_by(2, b",", collect_lines()).unwrap())
        .unwrap();
    assert_eq!(got, v(&[""]));

    assert!(matches!(field(0, count()), Err(SinkError::Invalid(_))));
    assert!(matches!(
        field_by(1, b"", count()),
        Err(SinkError::Invalid(_))
    ));
}

#[test]
fn head_stops_after_n_and_the_driver_stops_reading() {
    let mut pulled = 0;
    let got = lines_of(LOG)
        .into_iter()
        .inspect(|_| pulled += 1)
        .feed(head(2, strict(usize::MAX)))
        .unwrap()
        .0;
    assert_eq!(got.len(), 2);
    assert_eq!(pulled, 2);
    // head(0) wants nothing at all.
    let mut h = head(0, collect_lines());
    assert_eq!(h.send(&b"x"[..]).unwrap(), Flow::Stop);
    assert!(h.close().unwrap().is_empty());
}

#[test]
fn grep_by_line_and_by_batch_agree() {
    for pat in ["robots", "^h[24]", "404", "-$", "nothing", "^$"] {
        let by_line = lines_of(LOG)
            .into_iter()
            .feed(grep(pat, collect_lines()).unwrap())
            .unwrap();
        let mut by_batch = grep(pat, collect_lines()).unwrap();
        // A tiny buffer: many batches, lines cut across reads.
        LineReader::with_capacity(16, Cursor::new(LOG))
            .feed_batches(&mut by_batch)
            .unwrap();
        let by_batch = by_batch.close().unwrap();
        let want: Vec<Vec<u8>> = LOG
            .lines()
            .filter(|l| regex::Regex::new(pat).unwrap().is_match(l))
            .map(|l| l.as_bytes().to_vec())
            .collect();
        assert_eq!(by_line, want, "{pat} by line");
        assert_eq!(by_batch, want, "{pat} by batch");
    }
    assert!(matches!(grep("(", count()), Err(SinkError::Pattern(_))));
}

#[test]
fn grep_on_a_batch_stops_when_its_inner_sink_stops() {
    let mut g = grep("robots", strict(2)).unwrap();
    let flow = LineReader::new(Cursor::new(LOG))
        .feed_batches(&mut g)
        .unwrap();
    assert_eq!(flow, Flow::Stop);
    let (got, _) = g.close().unwrap();
    assert_eq!(got.len(), 2);
    assert!(got[1].starts_with(b"h3"));
}

#[test]
fn inverted_grep_on_a_batch_goes_line_by_line() {
    let g = crate::stage::Grep::new(
        "robots",
        crate::stage::GrepOptions {
            invert: true,
            ..Default::default()
        },
    )
    .unwrap();
    let mut s = grep_with(g, collect_lines());
    LineReader::new(Cursor::new(LOG))
        .feed_batches(&mut s)
        .unwrap();
    let got = s.close().unwrap();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|l| !l.windows(6).any(|w| w == b"robots")));
}

#[test]
fn parse_sends_numbers_and_counts_the_rest() {
    let values = [&b"12"[..], b"-", b" 1.5\r", b"x", b"-7"];
    let nums = values.into_iter().feed(parse(collect())).unwrap();
    assert_eq!(
        nums,
        vec![Number::Int(12), Number::Float(1.5), Number::Int(-7)]
    );

    let total = values.into_iter().feed(parse(sum())).unwrap();
    assert_eq!(total.value, AggValue::Float(6.5));
    assert_eq!(total.skips.count(SkipReason::NotANumber), 2);
}

#[test]
fn stage_runs_any_pull_stage() {
    let got = lines_of(LOG)
        .into_iter()
        .feed(stage(
            crate::stage::Field::new(1).unwrap(),
            head(3, collect_lines()),
        ))
        .unwrap();
    assert_eq!(got, v(&["h1", "h2", "h3"]));
}

// --- aggregates ---------------------------------------------------------------------------------

#[test]
fn aggregates_equal_the_library_aggregate() {
    let values: [&[u8]; 6] = [b"5", b"-", b"17", b"-3", b"2.5", b"9007199254740993"];
    for kind in [
        AggKind::Count,
        AggKind::Sum,
        AggKind::Min,
        AggKind::Max,
        AggKind::Avg,
    ] {
        let mut want = Aggregate::new(kind);
        for x in values {
            want.add_item();
            if let Some(n) = crate::agg::parse_number(x) {
                want.add(n);
            }
        }
        let got = values.into_iter().feed(aggregate(kind)).unwrap();
        assert_eq!(got.value, want.value(), "{kind:?}");
        let nan = if kind == AggKind::Count { 0 } else { 1 };
        assert_eq!(got.skips.count(SkipReason::NotANumber), nan, "{kind:?}");
    }
    // Exact integers: no float rounding of 2^53 + 1.
    let exact = [9007199254740993i64, 1].into_iter().feed(sum()).unwrap();
    assert_eq!(exact.value, AggValue::Int(9007199254740994));
    // A running value before close.
    let mut s = sum();
    let _ = Sink::<i64>::send(&mut s, 40).unwrap();
    let _ = Sink::<Number>::send(&mut s, Number::Int(2)).unwrap();
    assert_eq!(s.value(), AggValue::Int(42));
    assert_eq!(min().value(), AggValue::Null);
}

#[test]
fn the_seeds_pipeline_pushed_gives_the_seeds_total() {
    // 120 + 80 for robots.txt; the '-' is skipped and counted.
    let mut chain = grep("robots.txt", field(-1, sum()).unwrap()).unwrap();
    LineReader::new(Cursor::new(LOG))
        .feed_batches(&mut chain)
        .unwrap();
    let total = chain.close().unwrap();
    assert_eq!(total.value, AggValue::Int(200));
    assert_eq!(total.skips.count(SkipReason::NotANumber), 1);

    // Without grep: the empty line has no field, the '-' is not a number.
    let mut all = lines(field(-1, sum()).unwrap());
    LineReader::new(Cursor::new(LOG))
        .feed_batches(&mut all)
        .unwrap();
    let all = all.close().unwrap();
    assert_eq!(all.value, AggValue::Int(120 + 9999 + 80 + 7));
    assert_eq!(all.skips.count(SkipReason::NoSuchField), 1);
    assert_eq!(all.skips.count(SkipReason::NotANumber), 1);
}

// --- writers --------------------------------------------------------------------------------------

#[test]
fn writer_writes_lines_and_close_returns_the_writer() {
    let out = lines_of(LOG)
        .into_iter()
        .feed(grep("404", writer(Vec::new())).unwrap())
        .unwrap();
    assert_eq!(out.lines, 2);
    assert_eq!(
        String::from_utf8(out.writer).unwrap(),
        "h4 - - [t] \"GET /robots.txt HTTP/1.0\" 404 80\nh5 - - [t] \"GET /missing HTTP/1.0\" 404 7\n"
    );
}

/// A writer that fails every write, as a closed pipe does.
#[derive(Debug)]
struct Broken;

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

#[test]
fn a_failing_writer_is_an_error_value() {
    // Buffered: the error comes at close (the flush).
    let mut w = writer(Broken);
    let _ = w.send(&b"x"[..]).unwrap();
    match w.close() {
        Err(SinkError::Write(e)) => assert_eq!(e.kind(), io::ErrorKind::BrokenPipe),
        other => panic!("expected a write error, got {other:?}"),
    }
    // A line longer than the buffer goes straight to the writer: the error comes at send.
    let long = vec![b'x'; 64 * 1024];
    let mut w = writer(Broken);
    assert!(matches!(w.send(&long[..]), Err(SinkError::Write(_))));
}

#[test]
fn a_writer_dropped_without_close_still_flushes() {
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let buf = Shared::default();
    let mut w = writer(buf.clone());
    let _ = w.send(&b"kept"[..]).unwrap();
    assert!(buf.0.lock().unwrap().is_empty(), "still buffered");
    drop(w);
    assert_eq!(&buf.0.lock().unwrap()[..], b"kept\n");
}

// --- broadcast -------------------------------------------------------------------------------------

#[test]
fn broadcast_branches_stop_independently() {
    let mut b = broadcast((strict(1), strict(3), collect_lines()));
    let items = lines_of(LOG);
    for (i, line) in items.iter().enumerate() {
        assert_eq!(b.send(line).unwrap(), Flow::Continue, "item {i}");
        let want_live = [false, i < 2, true];
        for (k, want) in want_live.iter().enumerate() {
            assert_eq!(b.is_live(k), *want, "branch {k} after item {i}");
        }
    }
    let ((first, _), (three, _), all) = b.close().unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(three.len(), 3);
    assert_eq!(all.len(), items.len());
}

#[test]
fn broadcast_stops_when_every_branch_has() {
    let mut pulled = 0;
    let mut b = broadcast(vec![strict(2), strict(4)]);
    let flow = (0..100)
        .inspect(|_| pulled += 1)
        .map(|_| &b"x"[..])
        .feed_into(&mut b)
        .unwrap();
    assert_eq!(flow, Flow::Stop);
    assert_eq!(pulled, 4);
    assert_eq!(b.live_count(), 0);
    let outs = b.close().unwrap();
    assert_eq!(outs[0].0.len(), 2);
    assert_eq!(outs[1].0.len(), 4);
    // No branch at all: stop at once.
    let mut none = broadcast(Vec::<Strict>::new());
    assert_eq!(none.send(&b"x"[..]).unwrap(), Flow::Stop);
}

#[test]
fn broadcast_forwards_skips_and_batches() {
    let mut b = broadcast((
        grep("robots", field(-1, sum()).unwrap()).unwrap(),
        lines(field(-1, count()).unwrap()),
    ));
    LineReader::with_capacity(32, Cursor::new(LOG))
        .feed_batches(&mut b)
        .unwrap();
    b.skipped(SkipReason::NotANumber, 10);
    let (robots, counted) = b.close().unwrap();
    assert_eq!(robots.value, AggValue::Int(200));
    assert_eq!(robots.skips.count(SkipReason::NotANumber), 11);
    assert_eq!(counted.value, AggValue::Int(5));
    assert_eq!(counted.skips.count(SkipReason::NoSuchField), 1);
}

#[test]
fn broadcast_of_boxed_branches_of_different_types() {
    let branches: Vec<BoxLineSink<'_, String>> = vec![
        boxed_lines(map_output(count(), |a: Aggregated| {
            format!("count {}", a.value)
        })),
        boxed_lines(map_output(
            grep("404", collect_lines()).unwrap(),
            |l: Vec<Vec<u8>>| format!("404s {}", l.len()),
        )),
        boxed_lines(map_output(
            head(1, writer(Vec::new())),
            |w: Written<Vec<u8>>| String::from_utf8_lossy(&w.writer).into_owned(),
        )),
    ];
    let outs = lines_of(LOG).into_iter().feed(broadcast(branches)).unwrap();
    assert_eq!(
        outs,
        vec![
            "count 6".to_string(),
            "404s 2".to_string(),
            "h1 - - [t] \"GET /robots.txt HTTP/1.0\" 200 120\n".to_string()
        ]
    );
    // A boxed sink of one lifetime works too.
    let b: BoxSink<'_, i64, Aggregated> = boxed(sum());
    assert_eq!(
        [1i64, 2].into_iter().feed(b).unwrap().value,
        AggValue::Int(3)
    );
}

#[test]
fn broadcast_closes_every_branch_even_when_one_fails() {
    let closed = Arc::new(AtomicBool::new(false));
    let mut ok = strict(10);
    ok.closed = Some(Arc::clone(&closed));
    let mut b = broadcast((writer(Broken), ok));
    let _ = b.send(&b"x"[..]).unwrap();
    assert!(matches!(b.close(), Err(SinkError::Write(_))));
    assert!(closed.load(Ordering::SeqCst), "the other branch was closed");
}

#[test]
fn broadcast_error_in_a_branch_is_returned() {
    let long = vec![b'x'; 64 * 1024];
    let mut b = broadcast((collect_lines(), writer(Broken)));
    assert!(matches!(b.send(&long[..]), Err(SinkError::Write(_))));
}

// --- threads ---------------------------------------------------------------------------------------

#[test]
fn threaded_block_delivers_everything_in_order() {
    let mut t = threaded_lines(collect_lines(), 4, Backpressure::Block).unwrap();
    let lines: Vec<String> = (0..10_000).map(|i| format!("line {i}")).collect();
    for l in &lines {
        assert_eq!(t.send(l.as_bytes()).unwrap(), Flow::Continue);
    }
    let out = t.close().unwrap();
    assert_eq!(out.dropped, 0);
    assert_eq!(out.output.len(), lines.len());
    assert!(out
        .output
        .iter()
        .zip(&lines)
        .all(|(a, b)| a == b.as_bytes()));
}

/// A consumer that reports each item it starts on and then waits for permission.
struct Gated {
    started: mpsc::Sender<u64>,
    go: Arc<Mutex<mpsc::Receiver<()>>>,
    got: Vec<u64>,
}

impl Consumer for Gated {
    type Output = Vec<u64>;

    fn close(self) -> Result<Vec<u64>, SinkError> {
        Ok(self.got)
    }
}

impl Sink<u64> for Gated {
    fn send(&mut self, item: u64) -> Result<Flow, SinkError> {
        let _ = self.started.send(item);
        let gate = self.go.lock().map_err(|_| SinkError::Disconnected)?;
        gate.recv().map_err(|_| SinkError::Disconnected)?;
        self.got.push(item);
        Ok(Flow::Continue)
    }
}

#[test]
fn threaded_drop_newest_counts_exactly_what_a_blocked_consumer_missed() {
    let capacity = 3;
    let (started_tx, started) = mpsc::channel();
    let (go, go_rx) = mpsc::channel();
    let consumer = Gated {
        started: started_tx,
        go: Arc::new(Mutex::new(go_rx)),
        got: Vec::new(),
    };
    let mut t = threaded(consumer, capacity, Backpressure::DropNewest).unwrap();
    // Item 0: the consumer takes it and blocks on it.
    assert_eq!(t.send(0).unwrap(), Flow::Continue);
    assert_eq!(started.recv_timeout(Duration::from_secs(10)).unwrap(), 0);
    // `capacity` more fit in the channel; the next 7 are dropped, each counted.
    for i in 1..=(capacity as u64 + 7) {
        assert_eq!(t.send(i).unwrap(), Flow::Continue);
    }
    assert_eq!(t.dropped(), 7);
    // Let the consumer run to the end.
    for _ in 0..=capacity {
        go.send(()).unwrap();
    }
    let out = t.close().unwrap();
    assert_eq!(out.dropped, 7);
    assert_eq!(out.output, vec![0, 1, 2, 3]);
}

#[test]
fn threaded_consumer_stop_reaches_the_producer() {
    let mut t = threaded_lines(head(3, collect_lines()), 1, Backpressure::Block).unwrap();
    let mut sent = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert!(std::time::Instant::now() < deadline, "Stop never arrived");
        sent += 1;
        if t.send(&b"x"[..]).unwrap().is_stop() {
            break;
        }
    }
    assert!(sent > 3);
    let out = t.close().unwrap();
    assert_eq!(out.output.len(), 3);
}

#[test]
fn threaded_passes_skips_on_at_close() {
    let mut t = threaded_lines(field(-1, sum()).unwrap(), 8, Backpressure::Block).unwrap();
    for l in lines_of(LOG) {
        let _ = t.send(l).unwrap();
    }
    t.skipped(SkipReason::NoSuchField, 5);
    let out = t.close().unwrap().output;
    assert_eq!(out.value, AggValue::Int(120 + 9999 + 80 + 7));
    assert_eq!(out.skips.count(SkipReason::NoSuchField), 6);
    assert_eq!(out.skips.count(SkipReason::NotANumber), 1);
}

#[test]
fn threaded_consumer_error_comes_back_to_the_producer() {
    let long = vec![b'x'; 64 * 1024];
    let mut t = threaded_lines(writer(Broken), 1, Backpressure::Block).unwrap();
    let mut result = Ok(Flow::Continue);
    for _ in 0..1000 {
        result = t.send(&long[..]);
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(result, Err(SinkError::Write(_))), "{result:?}");
    assert!(matches!(t.close(), Err(SinkError::Disconnected)));
}

#[test]
fn threaded_consumer_panic_is_an_error_value() {
    let t = threaded(
        from_fn(|x: u32| {
            if x == 2 {
                panic!("consumer bug at {x}");
            }
            Flow::Continue
        }),
        4,
        Backpressure::Block,
    )
    .unwrap();
    match (0..3u32).feed(t) {
        Err(SinkError::Panicked(msg)) => assert_eq!(msg, "consumer bug at 2"),
        other => panic!("expected a panic error, got {other:?}"),
    }
}

/// A sink that records whether it was closed, and whether it was dropped.
struct Tracked {
    closed: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
    got: Arc<AtomicU64>,
}

impl Consumer for Tracked {
    type Output = ();
    fn close(self) -> Result<(), SinkError> {
        self.closed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

impl Sink<u64> for Tracked {
    fn send(&mut self, _: u64) -> Result<Flow, SinkError> {
        self.got.fetch_add(1, Ordering::SeqCst);
        Ok(Flow::Continue)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn threaded_dropped_without_close_joins_its_thread_and_releases_the_sink() {
    let closed = Arc::new(AtomicBool::new(false));
    let dropped = Arc::new(AtomicBool::new(false));
    let got = Arc::new(AtomicU64::new(0));
    let mut t = threaded(
        Tracked {
            closed: Arc::clone(&closed),
            dropped: Arc::clone(&dropped),
            got: Arc::clone(&got),
        },
        16,
        Backpressure::Block,
    )
    .unwrap();
    for i in 0..5 {
        let _ = t.send(i).unwrap();
    }
    drop(t);
    // Drop returned only after the thread ended: the sink is gone, and was not closed.
    assert!(dropped.load(Ordering::SeqCst));
    assert!(!closed.load(Ordering::SeqCst));
    assert!(got.load(Ordering::SeqCst) <= 5);

    // Closed properly: closed, then dropped, every item seen.
    let closed2 = Arc::new(AtomicBool::new(false));
    let got2 = Arc::new(AtomicU64::new(0));
    let t = threaded(
        Tracked {
            closed: Arc::clone(&closed2),
            dropped: Arc::new(AtomicBool::new(false)),
            got: Arc::clone(&got2),
        },
        2,
        Backpressure::Block,
    )
    .unwrap();
    (0..100u64).feed(t).unwrap();
    assert!(closed2.load(Ordering::SeqCst));
    assert_eq!(got2.load(Ordering::SeqCst), 100);
}

#[test]
fn channel_turns_a_push_producer_into_an_iterator() {
    let (mut tx, rx) = channel::<Vec<u8>>(2);
    let producer = std::thread::spawn(move || {
        LineReader::new(Cursor::new(LOG)).feed_lines(&mut tx)?;
        tx.close()
    });
    let got: Vec<Vec<u8>> = rx.collect();
    assert_eq!(
        got,
        LOG.lines()
            .map(|l| l.as_bytes().to_vec())
            .collect::<Vec<_>>()
    );
    assert_eq!(producer.join().unwrap().unwrap(), 6);
}

#[test]
fn dropping_the_iterator_stops_the_sink() {
    let (mut tx, rx) = channel::<u32>(1);
    let producer = std::thread::spawn(move || (0..).feed_into(&mut tx));
    let first: Vec<u32> = rx.take(3).collect(); // `take` drops the receiver after 3
    assert_eq!(first, vec![0, 1, 2]);
    assert_eq!(producer.join().unwrap().unwrap(), Flow::Stop);
}

#[test]
fn stop_handle_stops_a_sink_from_another_thread() {
    let (sink, handle) = stoppable(count());
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let mut sink = sink;
        let mut n = 0u64;
        let flow = std::iter::from_fn(|| {
            n += 1;
            if n == 1000 {
                let _ = tx.send(());
            }
            Some(&b"x"[..])
        })
        .feed_into(&mut sink);
        (flow, sink.close())
    });
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(!handle.is_stopped());
    handle.stop();
    assert!(handle.is_stopped());
    let (flow, out) = worker.join().unwrap();
    assert_eq!(flow.unwrap(), Flow::Stop);
    let AggValue::Int(n) = out.unwrap().value else {
        panic!("count is an integer")
    };
    assert!(n >= 999, "counted {n}");
}

// --- drivers ---------------------------------------------------------------------------------------

/// A reader that yields `data` and then fails.
struct FailsAfter(Cursor<Vec<u8>>);

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(io::Error::new(io::ErrorKind::InvalidData, "disk on fire")),
            n => Ok(n),
        }
    }
}

#[test]
fn feed_lines_and_feed_batches_agree_and_read_errors_come_after_the_lines() {
    let mut a = collect_lines();
    LineReader::with_capacity(8, Cursor::new(LOG))
        .feed_lines(&mut a)
        .unwrap();
    let mut b = lines(collect_lines());
    LineReader::with_capacity(8, Cursor::new(LOG))
        .feed_batches(&mut b)
        .unwrap();
    let (a, b) = (a.close().unwrap(), b.close().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.len(), 6);

    let mut c = collect_lines();
    let r = LineReader::with_capacity(4, FailsAfter(Cursor::new(b"one\ntwo\nthr".to_vec())))
        .feed_lines(&mut c);
    assert!(matches!(r, Err(SinkError::Read(_))));
    assert_eq!(c.close().unwrap(), v(&["one", "two"]));
}

#[test]
fn feed_inputs_reports_bad_inputs_and_reads_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    std::fs::write(&a, "x 1\ny 2\n").unwrap();
    std::fs::write(&b, "z 40\n").unwrap();
    let inputs = vec![
        crate::source::open(&a),
        crate::source::open(dir.path().join("missing")),
        crate::source::open(&b),
    ];
    let mut errors = Vec::new();
    let mut s = lines(field(-1, sum()).unwrap());
    let flow = feed_inputs(inputs, &mut s, |e| errors.push(e)).unwrap();
    assert_eq!(flow, Flow::Continue);
    assert_eq!(s.close().unwrap().value, AggValue::Int(43));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains("missing"));
}

#[test]
fn feed_inputs_stops_opening_inputs_when_the_sink_stops() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    std::fs::write(&a, "x\ny\n").unwrap();
    let mut opened = 0;
    let inputs = (0..5).map(|_| {
        opened += 1;
        crate::source::open(&a)
    });
    let mut s = lines(head(3, collect_lines()));
    let flow = feed_inputs(inputs, &mut s, |_| {}).unwrap();
    assert_eq!(flow, Flow::Stop);
    assert_eq!(opened, 2);
    assert_eq!(s.close().unwrap(), v(&["x", "y", "x"]));
}
