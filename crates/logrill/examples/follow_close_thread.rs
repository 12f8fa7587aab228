//! Seed idea: **closing a generator from another thread** — "calling close() is supported
//! only for generators in the same thread, otherwise a user-provided semaphore is needed".
//!
//! In logrill the follower gives out a [`CloseHandle`]: `Send + Sync`, cloneable, usable
//! from any thread (or, through its flag, a signal handler). It *is* the semaphore the seed
//! asks the user to provide. Asking to close wakes the follower if it is waiting for lines;
//! the clean-up then runs on the follower's own thread, and `next_line()` returns `None`.
//!
//! The lines are pushed, as they arrive, into a coroutine chain (`grep` → `field -1` →
//! `sum`) — a live running total, the pull source driving a push sink — and when the
//! follower has been closed from the other thread, the chain is closed for its result.
//!
//! Run: `cargo run -p logrill --example follow_close_thread [-- N]` (N lines, default 40).

use std::error::Error;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::sync::mpsc;
use std::time::Duration;

use logrill::sink::{self, prelude::*};
use logrill::source::follow::{CloseHandle, CloseReport, Follow, Start};
use logrill::AggValue;

/// What the run found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Lines the follower handed out.
    pub lines: u64,
    /// Bytes of the requests for `/robots.txt`, summed as the lines came.
    pub robots_bytes: AggValue,
    /// What closing reported.
    pub report: CloseReport,
}

/// The `i`-th line the pretend server writes; every third is for `/robots.txt`.
pub fn server_line(i: u64) -> String {
    let path = if i.is_multiple_of(3) {
        "/robots.txt"
    } else {
        "/index.html"
    };
    format!("192.0.2.7 - - [24/Nov/2026:10:00:00 +0000] \"GET {path} HTTP/1.1\" 200 {i}")
}

/// The bytes of the `/robots.txt` lines among the first `n`, worked out directly.
pub fn expected_robots_bytes(n: u64) -> u64 {
    (1..=n).filter(|i| i % 3 == 0).sum()
}

/// The other thread: waits until the reader has seen `n` lines, then closes the follower.
fn closer(handle: CloseHandle, seen: mpsc::Receiver<u64>, n: u64) {
    // Wait for the count (or for the reader to go away).
    while let Ok(count) = seen.recv() {
        if count >= n {
            break;
        }
    }
    handle.close();
}

/// Follow a log, pushing its lines into a running total; another thread closes it after
/// `n` lines.
pub fn run(out: &mut dyn Write, n: u64) -> Result<Outcome, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("access-log");
    std::fs::write(&path, "")?;
    let mut follower = Follow::new().path(&path).start(Start::Beginning).open()?;

    let (seen_tx, seen_rx) = mpsc::channel();
    let handle = follower.close_handle();
    let closing = std::thread::spawn(move || closer(handle, seen_rx, n));
    let writing = {
        let path = path.clone();
        std::thread::spawn(move || -> io::Result<()> {
            let mut log = OpenOptions::new().append(true).open(&path)?;
            for i in 1..=n {
                writeln!(log, "{}", server_line(i))?;
                if i % 10 == 0 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            Ok(())
        })
    };

    // Pull from the follower, push into the chain: one line at a time, no copies.
    let mut total = sink::grep("GET /robots.txt ", sink::field(-1, sink::sum())?)?;
    let mut count = 0u64;
    while let Some(line) = follower.next_line() {
        if total.send(line.bytes)?.is_stop() {
            break;
        }
        count += 1;
        // Tell the other thread; it decides when to close. (If it is gone, go on.)
        let _ = seen_tx.send(count);
    }
    // next_line() returned None: the close asked for by the other thread has happened.
    let report = follower.close()?;
    let robots_bytes = total.close()?.value;
    writeln!(
        out,
        "{count} lines; /robots.txt bytes so far: {robots_bytes}"
    )?;
    writeln!(out, "Shutting down: {report}")?;

    closing.join().map_err(|_| "the closing thread panicked")?;
    writing
        .join()
        .map_err(|_| "the writing thread panicked")??;
    Ok(Outcome {
        lines: count,
        robots_bytes,
        report,
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let n = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 40,
    };
    run(&mut io::stdout().lock(), n)?;
    Ok(())
}
