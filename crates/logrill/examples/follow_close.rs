//! Seed idea: **killing a generator** — `follow(thefile)` is closed with `close()`, and its
//! `except GeneratorExit:` clean-up prints "Shutting down":
//!
//! ```text
//! def follow(thefile):
//!     thefile.seek(0, 2)               # go to the end of the file
//!     try:
//!         while True:
//!             line = thefile.readline()
//!             if not line:
//!                 time.sleep(0.1)      # sleep briefly
//!                 continue
//!             yield line
//!     except GeneratorExit:
//!         print "Shutting down"
//! ```
//!
//! [`logrill::source::follow`] is that generator for real logs (rotation, whole lines only,
//! woken by change notification instead of a 0.1 s poll). Here a "web server" thread
//! appends to a log, the follower hands out the lines as they are written, and after a few
//! the consumer calls `close()`: the follower's clean-up runs (files closed, a checkpoint
//! written when one is configured) and reports what it did — the "Shutting down" message.
//! Dropping the follower without `close()` runs the same clean-up.
//!
//! Run: `cargo run -p logrill --example follow_close [-- N]` (N lines, default 5).

use std::error::Error;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use logrill::source::follow::{CloseReport, Follow, Start};

/// A line of the pretend web server.
pub fn server_line(i: u64) -> String {
    format!(
        "192.0.2.{} - - [24/Nov/2026:10:00:{:02} +0000] \"GET /page/{i} HTTP/1.1\" 200 {}",
        i % 250 + 1,
        i % 60,
        100 + i
    )
}

/// Append `n` lines to `path`, one every `pause`.
fn serve(path: &Path, n: u64, pause: Duration) -> io::Result<()> {
    let mut log = OpenOptions::new().append(true).open(path)?;
    for i in 1..=n {
        writeln!(log, "{}", server_line(i))?;
        std::thread::sleep(pause);
    }
    Ok(())
}

/// Follow a log while it is written; close after `take` lines. Returns the lines seen and
/// what closing reported.
pub fn run(out: &mut dyn Write, take: u64) -> Result<(Vec<String>, CloseReport), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("access-log");
    std::fs::write(&path, "")?;
    // From the beginning, so no line the server writes before following starts is missed.
    let mut lines = Follow::new().path(&path).start(Start::Beginning).open()?;
    let server = {
        let path = path.clone();
        // It writes more than we will read: closing does not wait for the writer.
        std::thread::spawn(move || serve(&path, take + 20, Duration::from_millis(5)))
    };

    let mut seen = Vec::new();
    while let Some(line) = lines.next_line() {
        let text = String::from_utf8_lossy(line.bytes).into_owned();
        writeln!(out, "{text}")?;
        seen.push(text);
        if seen.len() as u64 == take {
            break;
        }
    }
    // g.close(): the clean-up runs now, on this thread, and says what it did.
    let report = lines.close()?;
    writeln!(out, "Shutting down: {report}")?;

    server.join().map_err(|_| "the server thread panicked")??;
    Ok((seen, report))
}

fn main() -> Result<(), Box<dyn Error>> {
    let take = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 5,
    };
    run(&mut io::stdout().lock(), take)?;
    Ok(())
}
