//! Shared by the `follow_*` tests and the soak (included with `#[path]`): a writer of
//! numbered lines that rotates its log in every way logrotate does, and the checker of
//! what a follower delivered against what was physically readable.
//!
//! Compiled on its own too (as an empty test target), hence the `allow`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a generation of the log ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// `mv app.log app.log.N; create app.log` (logrotate's default).
    Rename,
    /// `cp app.log app.log.N; truncate app.log` (logrotate's `copytruncate`).
    CopyTruncate,
    /// `rm app.log; create app.log`.
    DeleteRecreate,
    /// `truncate app.log` after the follower caught up.
    TruncateSynced,
    /// `truncate app.log` whenever: what the follower had not read yet is gone.
    TruncateRacing,
}

pub const ALL_SCHEMES: [Scheme; 5] = [
    Scheme::Rename,
    Scheme::CopyTruncate,
    Scheme::DeleteRecreate,
    Scheme::TruncateSynced,
    Scheme::TruncateRacing,
];

/// A small deterministic generator (xorshift64*), so runs can be replayed by seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The text of line `seq` of generation `gen`: the number twice (a torn or spliced line
/// cannot pass for a real one) and a padding of varying length.
pub fn line(seq: u64, gen: u64) -> String {
    let pad = "x".repeat((seq % 61) as usize);
    format!("{seq:010}|g{gen:06}|{seq:010}|{pad}\n")
}

/// Parse a delivered line back: `(seq, gen)`, or `None` for anything the writer did not
/// write.
pub fn parse(l: &[u8]) -> Option<(u64, u64)> {
    let s = std::str::from_utf8(l).ok()?;
    let mut parts = s.split('|');
    let a: u64 = parts.next()?.parse().ok()?;
    let g: u64 = parts.next()?.strip_prefix('g')?.parse().ok()?;
    let b: u64 = parts.next()?.parse().ok()?;
    let pad = parts.next()?;
    if a != b
        || parts.next().is_some()
        || pad.len() != (a % 61) as usize
        || pad.bytes().any(|c| c != b'x')
    {
        return None;
    }
    Some((a, g))
}

/// One generation of the log file: the lines written to it and how it ended.
#[derive(Debug, Clone)]
pub struct Gen {
    pub id: u64,
    pub first: u64,
    /// One past the last line written.
    pub end: u64,
    pub ended_by: Option<Scheme>,
}

/// Writes numbered lines to `path` and rotates it.
pub struct Writer {
    pub path: PathBuf,
    file: File,
    pub seq: u64,
    pub gens: Vec<Gen>,
    rotations: u64,
    pub rng: Rng,
}

impl Writer {
    pub fn new(path: &Path, seed: u64) -> Writer {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("create the log");
        Writer {
            path: path.to_path_buf(),
            file,
            seq: 0,
            gens: vec![Gen {
                id: 0,
                first: 0,
                end: 0,
                ended_by: None,
            }],
            rotations: 0,
            rng: Rng::new(seed),
        }
    }

    fn gen(&mut self) -> &mut Gen {
        self.gens.last_mut().expect("a generation")
    }

    /// The first line of the current generation.
    pub fn gen_first(&self) -> u64 {
        self.gens.last().map_or(0, |g| g.first)
    }

    /// Write `n` lines as fast as possible (one `write` each; now and then a line in two
    /// pieces, to exercise the holding of incomplete lines).
    pub fn burst(&mut self, n: u64) {
        for _ in 0..n {
            let gen = self.gen().id;
            let text = line(self.seq, gen);
            if self.rng.below(40) == 0 {
                let cut = 1 + self.rng.below(text.len() as u64 - 1) as usize;
                self.file.write_all(&text.as_bytes()[..cut]).expect("write");
                std::thread::yield_now();
                self.file.write_all(&text.as_bytes()[cut..]).expect("write");
            } else {
                self.file.write_all(text.as_bytes()).expect("write");
            }
            self.seq += 1;
            self.gen().end = self.seq;
        }
    }

    /// Rotate with `scheme`; `wait` is called first with the condition the scheme needs
    /// (see [`Writer::needs`]).
    pub fn rotate(&mut self, scheme: Scheme) {
        self.rotations += 1;
        let n = self.rotations;
        let old = self.path.with_extension(format!("log.{n}"));
        match scheme {
            Scheme::Rename => {
                fs::rename(&self.path, &old).expect("rename");
                self.reopen();
            }
            Scheme::CopyTruncate => {
                fs::copy(&self.path, &old).expect("copy");
                self.file.set_len(0).expect("truncate");
            }
            Scheme::DeleteRecreate => {
                fs::remove_file(&self.path).expect("delete");
                self.reopen();
            }
            Scheme::TruncateSynced | Scheme::TruncateRacing => {
                self.file.set_len(0).expect("truncate");
            }
        }
        self.gen().ended_by = Some(scheme);
        let id = self.gens.len() as u64;
        let seq = self.seq;
        self.gens.push(Gen {
            id,
            first: seq,
            end: seq,
            ended_by: None,
        });
    }

    fn reopen(&mut self) {
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .expect("re-create the log");
    }

    /// Where generation `g`'s lines live: for the checker's "physically recoverable".
    pub fn gen_of(&self, seq: u64) -> Option<&Gen> {
        let k = self.gens.partition_point(|g| g.end <= seq);
        self.gens.get(k).filter(|g| g.first <= seq && seq < g.end)
    }
}

/// What a scheme needs before it rotates, for its lines to be readable at all:
/// * `Opened`: the follower has the current generation open (it delivered one of its
///   lines). A follower by name cannot know a file it never saw: a generation created and
///   renamed away or deleted between two looks is invisible to any `tail -F`.
/// * `CaughtUp`: the follower delivered everything (a truncation without a copy destroys
///   what was not read).
/// * `Nothing`: the scheme is allowed to destroy unread lines (racing truncation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Opened,
    CaughtUp,
    Nothing,
}

pub fn needs(scheme: Scheme) -> Need {
    match scheme {
        Scheme::Rename | Scheme::CopyTruncate | Scheme::DeleteRecreate => Need::Opened,
        Scheme::TruncateSynced => Need::CaughtUp,
        Scheme::TruncateRacing => Need::Nothing,
    }
}

/// Progress shared by a follower thread: one past the highest line number delivered.
#[derive(Debug, Default)]
pub struct Progress {
    pub next: AtomicU64,
}

impl Progress {
    pub fn saw(&self, seq: u64) {
        self.next.fetch_max(seq + 1, Ordering::AcqRel);
    }
    pub fn get(&self) -> u64 {
        self.next.load(Ordering::Acquire)
    }
}

/// Wait until `cond` holds (polling every 200 µs), at most `limit`; whether it held.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while !cond() {
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    true
}

/// Wait for what `scheme` needs; panics (a test failure) when the follower is stuck.
pub fn wait_for_scheme(w: &Writer, scheme: Scheme, progress: &Progress) {
    let ok = match needs(scheme) {
        Need::Opened => {
            let first = w.gen_first();
            // An empty generation has nothing to show: the follower cannot prove it
            // opened it, so write one line first (the caller does) or accept it.
            wait_until(Duration::from_secs(20), || {
                w.seq == first || progress.get() > first
            })
        }
        Need::CaughtUp => wait_until(Duration::from_secs(20), || progress.get() >= w.seq),
        Need::Nothing => true,
    };
    assert!(
        ok,
        "follower stuck before {scheme:?} at line {}",
        progress.get()
    );
}

/// What the checker found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub delivered: u64,
    pub lost_allowed: u64,
    pub per_scheme: BTreeMap<String, u64>,
}

/// Check delivered line numbers (in delivery order) against the writer's history:
/// every line exactly once and in order, except that a generation ended by a racing
/// truncation may miss a suffix (what the follower had not read when it was destroyed).
pub fn check(w: &Writer, delivered: &[u64]) -> Result<Verdict, String> {
    let mut v = Verdict::default();
    for pair in delivered.windows(2) {
        if pair[1] <= pair[0] {
            return Err(format!(
                "out of order or repeated: {} ({:?}) after {} ({:?}); previous generation {:?}",
                pair[1],
                w.gen_of(pair[1]),
                pair[0],
                w.gen_of(pair[0]),
                w.gen_of(pair[1])
                    .and_then(|g| w.gens.get((g.id as usize).wrapping_sub(1)))
            ));
        }
    }
    let mut i = 0;
    for g in &w.gens {
        let start = i;
        while i < delivered.len() && delivered[i] < g.end {
            if delivered[i] < g.first {
                return Err(format!(
                    "line {} delivered in the wrong place",
                    delivered[i]
                ));
            }
            i += 1;
        }
        let got = &delivered[start..i];
        let expected = g.end - g.first;
        // In order and without repeats (checked above), so a prefix is `first..first+n`.
        let prefix = got
            .iter()
            .enumerate()
            .all(|(k, &s)| s == g.first + k as u64);
        let complete = got.len() as u64 == expected && prefix;
        *v.per_scheme.entry(format!("{:?}", g.ended_by)).or_default() += 1;
        match g.ended_by {
            Some(Scheme::TruncateRacing) if prefix => {
                v.lost_allowed += expected - got.len() as u64;
            }
            _ if complete => {}
            _ => {
                let missing: Vec<u64> = (g.first..g.end)
                    .filter(|s| !got.contains(s))
                    .take(10)
                    .collect();
                return Err(format!(
                    "generation {} ({:?}, lines {}..{}): {} of {} delivered; missing {:?}...",
                    g.id,
                    g.ended_by,
                    g.first,
                    g.end,
                    got.len(),
                    expected,
                    missing
                ));
            }
        }
    }
    if i != delivered.len() {
        return Err(format!("line {} was never written", delivered[i]));
    }
    v.delivered = delivered.len() as u64;
    Ok(v)
}

/// What a recording follower delivered: line numbers in order, and its notices (with how
/// many lines had come out when each was given).
pub type Recording = (Vec<u64>, Vec<(usize, String)>);

/// A follower on its own thread that records every line number it delivers.
pub struct Recorder {
    pub handle: logrill::source::follow::CloseHandle,
    pub progress: Arc<Progress>,
    thread: std::thread::JoinHandle<Result<Recording, String>>,
}

impl Recorder {
    pub fn start(mut f: logrill::source::follow::Follower, expect_name: PathBuf) -> Recorder {
        use logrill::source::follow::Next;
        let handle = f.close_handle();
        let progress = Arc::new(Progress::default());
        let p = progress.clone();
        let thread = std::thread::spawn(move || {
            let mut seqs = Vec::new();
            let mut notes = Vec::new();
            loop {
                for n in f.take_notices() {
                    notes.push((seqs.len(), n.to_string()));
                }
                match f.next_line_timeout(Duration::from_millis(200)) {
                    Next::Line(l) => {
                        let Some((seq, _)) = parse(l.bytes) else {
                            return Err(format!(
                                "garbage line {:?} after {:?}",
                                String::from_utf8_lossy(l.bytes),
                                seqs.last()
                            ));
                        };
                        if *l.name != logrill::InputName::Path(expect_name.clone()) {
                            return Err(format!("line tagged {} instead", l.name));
                        }
                        seqs.push(seq);
                        p.saw(seq);
                    }
                    Next::Timeout => {}
                    Next::Closed(_) => break,
                }
            }
            f.close().map_err(|e| e.to_string())?;
            Ok((seqs, notes))
        });
        Recorder {
            handle,
            progress,
            thread,
        }
    }

    /// Close the follower and get what it delivered.
    pub fn finish(self) -> Result<Recording, String> {
        self.handle.close();
        self.thread
            .join()
            .map_err(|_| "the follower thread panicked".to_string())?
    }
}

/// Drive a writer for `rotations` rotations (schemes drawn from `schemes`), with a
/// follower recording on its own thread; then check. Returns the verdict and how long the
/// writing took.
pub fn torture(
    follow: logrill::source::follow::Follow,
    dir: &Path,
    seed: u64,
    rotations: u64,
    max_burst: u64,
    schemes: &[Scheme],
) -> (Verdict, Duration, u64) {
    let path = dir.join("app.log");
    let mut w = Writer::new(&path, seed);
    let f = follow.file(&path).open().expect("start following");
    let rec = Recorder::start(f, path.clone());
    let started = Instant::now();
    for _ in 0..rotations {
        let n = 1 + w.rng.below(max_burst);
        w.burst(n);
        let scheme = schemes[w.rng.below(schemes.len() as u64) as usize];
        wait_for_scheme(&w, scheme, &rec.progress);
        w.rotate(scheme);
    }
    let n = 1 + w.rng.below(max_burst);
    w.burst(n);
    let took = started.elapsed();
    let all = w.seq;
    let caught_up = wait_until(Duration::from_secs(30), || rec.progress.get() >= all);
    let (delivered, notes) = rec.finish().expect("the follower ran");
    assert!(
        caught_up,
        "the follower did not catch up: {} of {all}",
        delivered.len()
    );
    match check(&w, &delivered) {
        Ok(v) => (v, took, all),
        Err(e) => {
            let at = delivered
                .windows(2)
                .position(|p| p[1] <= p[0])
                .unwrap_or(delivered.len());
            let near: Vec<&(usize, String)> = notes
                .iter()
                .filter(|(k, _)| k + 100 >= at && *k <= at + 20)
                .collect();
            panic!("seed {seed}: {e}\nnotices near line #{at}: {near:#?}")
        }
    }
}
