//! Latency from a write to the line coming out of the follower: the seed slept 0.1 s when
//! there was nothing new; here change notification wakes the follower.
//!
//! * `latency_is_milliseconds` (CI): a short run, with a generous bound (a loaded CI
//!   machine), that still fails if anything falls back to sleeping 0.1 s.
//! * `latency_benchmark` (ignored): the figures for `bench/RESULTS.md`, run by
//!   `bench/follow_latency.sh` (release build): median, p90, p99 and max over paced writes,
//!   with change notification and with polling.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, Next, Watch};

/// Write `n` lines, one every `gap`, and measure each one's way through the follower.
fn measure(watch: Watch, n: usize, gap: Duration) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    std::fs::write(&path, "").unwrap();
    let mut f = Follow::new().path(&path).watch(watch).open().unwrap();
    let sent: Arc<Mutex<Vec<Instant>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let s = sent.clone();
    let p = path.clone();
    let writer = std::thread::spawn(move || {
        let mut file = OpenOptions::new().append(true).open(&p).unwrap();
        for i in 0..n {
            std::thread::sleep(gap);
            let line = format!("{i}\n");
            s.lock().unwrap().push(Instant::now());
            file.write_all(line.as_bytes()).unwrap();
        }
    });
    let mut lat = Vec::with_capacity(n);
    while lat.len() < n {
        match f.next_line_timeout(Duration::from_secs(10)) {
            Next::Line(l) => {
                let now = Instant::now();
                let i: usize = std::str::from_utf8(l.bytes).unwrap().parse().unwrap();
                let t = sent.lock().unwrap()[i];
                lat.push(now - t);
            }
            other => panic!("{other:?} after {} lines", lat.len()),
        }
    }
    writer.join().unwrap();
    lat.sort();
    lat
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k]
}

fn report(what: &str, lat: &[Duration]) -> String {
    format!(
        "{what}: n={} median={:.3} ms p90={:.3} ms p99={:.3} ms max={:.3} ms",
        lat.len(),
        pct(lat, 0.5).as_secs_f64() * 1e3,
        pct(lat, 0.9).as_secs_f64() * 1e3,
        pct(lat, 0.99).as_secs_f64() * 1e3,
        lat.last().unwrap().as_secs_f64() * 1e3,
    )
}

#[test]
fn latency_is_milliseconds() {
    let lat = measure(Watch::Auto, 100, Duration::from_millis(3));
    eprintln!("{}", report("notify", &lat));
    // The seed's sleep(0.1) would put the median near 50 ms; inotify puts it well under 1.
    assert!(
        pct(&lat, 0.5) < Duration::from_millis(20),
        "{}",
        report("notify", &lat)
    );
}

#[test]
#[ignore = "benchmark: bench/follow_latency.sh"]
fn latency_benchmark() {
    let n = std::env::var("LOGRILL_LATENCY_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let gap = Duration::from_millis(2);
    println!(
        "{}",
        report("notify (inotify)", &measure(Watch::Auto, n, gap))
    );
    println!(
        "{}",
        report(
            "poll every 10 ms",
            &measure(Watch::Poll(Duration::from_millis(10)), n / 3, gap)
        )
    );
    println!(
        "{}",
        report(
            "poll every 100 ms",
            &measure(Watch::Poll(Duration::from_millis(100)), n / 10, gap)
        )
    );
}
