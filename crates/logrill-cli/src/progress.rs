//! A progress bar on stderr for long batch runs: bytes read of the total, rate, ETA.
//!
//! Shown only when stderr is a terminal and `-q` is not given, and only once a run has
//! lasted [`DELAY`], so quick runs never flash a bar. The library counts the bytes read
//! from each file (compressed sizes for compressed files, so they add up to the total of
//! the file sizes); a thread here turns the count into a bar.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logrill::source::Find;

/// How long a run goes before the bar appears.
const DELAY: Duration = Duration::from_millis(700);
/// How often the bar is redrawn.
const TICK: Duration = Duration::from_millis(150);

/// A running progress display; [`Progress::finish`] removes it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    bar: Arc<OnceLock<ProgressBar>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Start watching `counter` against the total size of what `find` yields.
    pub fn start(find: Find, counter: Arc<AtomicU64>) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let bar = Arc::new(OnceLock::new());
        let (flag, slot) = (stop.clone(), bar.clone());
        let thread = std::thread::Builder::new()
            .name("logrill-progress".into())
            .spawn(move || show(find, counter, flag, slot))
            .ok();
        Progress { stop, bar, thread }
    }

    /// Print a message on stderr without tearing the bar.
    pub fn eprintln(&self, message: &str) {
        match self.bar.get() {
            Some(bar) => bar.suspend(|| crate::diag::write_raw(message)),
            None => crate::diag::write_raw(message),
        }
    }

    /// Remove the bar (before results or messages are printed).
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn show(
    find: Find,
    counter: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    slot: Arc<OnceLock<ProgressBar>>,
) {
    let started = Instant::now();
    // The total: a second walk of the tree, off the main thread, with sizes from metadata.
    let total: u64 = find
        .into_iter()
        .filter_map(Result::ok)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    while started.elapsed() < DELAY {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(TICK.min(DELAY));
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    let bar = slot.get_or_init(|| bar);
    while !stop.load(Ordering::Relaxed) {
        bar.set_position(counter.load(Ordering::Relaxed).min(total));
        std::thread::sleep(TICK);
    }
    bar.finish_and_clear();
}
