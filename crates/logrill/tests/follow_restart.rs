//! Kill -9 and restart: a follower with a state file runs in a child process (this test
//! binary, re-run on the ignored test `follower_child`), writing every line it gets to its
//! own output file before asking for the next. The parent writes numbered lines, rotates
//! (also while no follower runs), and kills the child with SIGKILL at random moments, then
//! starts a new one. At the end:
//!
//! * **lost = 0**: every line written was delivered by some run;
//! * **duplicates are bounded**: a run starts at most where the killed run's last
//!   checkpoint was, so it repeats at most the lines the killed run processed since its
//!   last checkpoint (the child writes a `#CKPT` marker after each explicit checkpoint;
//!   periodic checkpoints in between only make the overlap smaller);
//! * every run delivers in order, and no run skips a line the previous run did not reach.
//!
//! Deleted files are the exception to "lost = 0" (a killed follower's descriptor dies with
//! it, and with it the only way to the file's unread lines), so the writer here deletes a
//! generation only after a follower read all of it. Generations created and renamed away
//! while no follower runs are not: the restarted follower finds them next to the name.
//! See `docs/follow.md`.

#[path = "follow_support.rs"]
mod support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, Next, Start};
use support::{parse, wait_until, Rng, Scheme, Writer};

const CHILD_ENV: &str = "LOGRILL_FOLLOW_CHILD_DIR";
const CHECKPOINT_EVERY_LINES: u64 = 250;

/// The follower process. Does nothing unless started by the parent.
#[test]
#[ignore = "run by follow_restart's parent test"]
fn follower_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let run: u32 = std::env::var("LOGRILL_FOLLOW_RUN")
        .unwrap()
        .parse()
        .unwrap();
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("out.{run}")))
        .unwrap();
    let mut f = Follow::new()
        .file(dir.join("app.log"))
        .start(Start::Beginning)
        .state(dir.join("state"))
        .checkpoint_every(Duration::from_millis(20))
        .rotate_grace(Duration::from_millis(30))
        // If the parent dies, do not linger.
        .exit_on_idle(Some(Duration::from_secs(20)))
        .open()
        .unwrap();
    let mut notes = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("notices.{run}")))
        .unwrap();
    let mut n = 0u64;
    loop {
        for note in f.take_notices() {
            writeln!(notes, "after {n}: {note}").unwrap();
            if std::env::var_os("RESTART_DEBUG").is_some() {
                writeln!(out, "#N {note}").unwrap();
            }
        }
        match f.next_line_timeout(Duration::from_millis(100)) {
            Next::Line(l) => {
                let mut buf = l.bytes.to_vec();
                buf.push(b'\n');
                // One write(2) per line, no buffering: "processed" before the next call.
                out.write_all(&buf).unwrap();
                n += 1;
                if n.is_multiple_of(CHECKPOINT_EVERY_LINES) {
                    f.checkpoint().unwrap();
                    out.write_all(b"#CKPT\n").unwrap();
                }
            }
            Next::Timeout => {}
            Next::Closed(_) => break,
        }
    }
}

struct Runs {
    dir: PathBuf,
    child: Option<Child>,
    run: u32,
    /// Bytes of the current run's output already parsed, and its highest line.
    seen: u64,
    top: Option<u64>,
}

impl Runs {
    fn spawn(&mut self) {
        self.run += 1;
        self.seen = 0;
        let exe = std::env::current_exe().unwrap();
        let child = Command::new(exe)
            .args([
                "--ignored",
                "--exact",
                "follower_child",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_ENV, &self.dir)
            .env("LOGRILL_FOLLOW_RUN", self.run.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }

    /// One past the highest line the current run delivered.
    fn progress(&mut self) -> u64 {
        let p = self.dir.join(format!("out.{}", self.run));
        let Ok(bytes) = fs::read(&p) else {
            return self.top.map_or(0, |t| t + 1);
        };
        let bytes = &bytes[self.seen as usize..];
        let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
            return self.top.map_or(0, |t| t + 1);
        };
        for l in bytes[..end].split(|&b| b == b'\n') {
            if let Some((seq, _)) = parse(l) {
                self.top = Some(self.top.map_or(seq, |t| t.max(seq)));
            }
        }
        self.seen += end as u64 + 1;
        self.top.map_or(0, |t| t + 1)
    }
}

fn wait_progress(runs: &mut Runs, at_least: u64) {
    let ok = wait_until(Duration::from_secs(30), || runs.progress() >= at_least);
    assert!(ok, "run {} stuck below line {at_least}", runs.run);
}

#[test]
fn kill_and_restart_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    // RESTART_DEBUG=1 keeps the files (outputs, notices, rotated logs) for a post-mortem.
    let root = match std::env::var_os("RESTART_DEBUG") {
        Some(_) => {
            let p = PathBuf::from(format!("/tmp/follow-restart-{}", std::process::id()));
            fs::create_dir_all(&p).unwrap();
            eprintln!("keeping {}", p.display());
            p
        }
        None => tmp.path().to_path_buf(),
    };
    let path = root.join("app.log");
    let seed = std::env::var("LOGRILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xdead_5eed);
    let mut w = Writer::new(&path, seed);
    let mut rng = Rng::new(seed ^ 0x77);
    let mut runs = Runs {
        dir: root.clone(),
        child: None,
        run: 0,
        seen: 0,
        top: None,
    };
    runs.spawn();
    let kills = 10;
    let started = Instant::now();
    for k in 0..kills {
        // A stretch of writing and rotating with a follower running.
        for _ in 0..(3 + rng.below(6)) {
            w.burst(1 + rng.below(400));
            let scheme = [
                Scheme::Rename,
                Scheme::CopyTruncate,
                Scheme::DeleteRecreate,
                Scheme::TruncateSynced,
            ][rng.below(4) as usize];
            match scheme {
                Scheme::Rename | Scheme::CopyTruncate => {
                    wait_progress(&mut runs, w.gen_first() + 1)
                }
                _ => wait_progress(&mut runs, w.seq),
            }
            if std::env::var_os("RESTART_DEBUG").is_some() {
                let progress = runs.progress();
                eprintln!(
                    "k {k} run {} rotate {scheme:?} gen {} ({}..{}) progress {progress}",
                    runs.run,
                    w.gens.len() - 1,
                    w.gen_first(),
                    w.seq,
                );
            }
            w.rotate(scheme);
        }
        w.burst(1 + rng.below(400));
        // Let it get somewhere, then kill it mid-flight.
        wait_progress(&mut runs, w.gen_first() + 1);
        std::thread::sleep(Duration::from_millis(rng.below(15)));
        runs.kill();
        // While nobody follows: more lines, and sometimes a rotation that keeps the
        // bytes (the restarted follower must find them by identity or by content), or
        // two renames: a generation created, written and rotated away while no follower
        // ran, which the restarted one must find next to the name (issue 13, item 2).
        w.burst(rng.below(300));
        if k % 3 == 1 {
            w.rotate(if k % 2 == 0 {
                Scheme::Rename
            } else {
                Scheme::CopyTruncate
            });
            w.burst(1 + rng.below(50));
        } else if k % 3 == 2 {
            for _ in 0..2 {
                w.rotate(Scheme::Rename);
                w.burst(1 + rng.below(50));
            }
        }
        runs.top = None;
        runs.spawn();
    }
    w.burst(1 + rng.below(100));
    wait_progress(&mut runs, w.seq);
    runs.kill();
    eprintln!(
        "{} lines, {} rotations, {kills} kills in {:?}",
        w.seq,
        w.gens.len() - 1,
        started.elapsed()
    );
    if std::env::var_os("RESTART_DEBUG").is_some() {
        for g in &w.gens {
            eprintln!("{g:?}");
        }
        for r in 1..=runs.run {
            let t =
                fs::read_to_string(root.as_path().join(format!("notices.{r}"))).unwrap_or_default();
            let o = fs::read_to_string(root.as_path().join(format!("out.{r}"))).unwrap_or_default();
            let first = o
                .lines()
                .find(|l| !l.starts_with('#'))
                .unwrap_or("")
                .get(..10)
                .unwrap_or("");
            let last = o
                .lines()
                .rev()
                .find(|l| !l.starts_with('#'))
                .unwrap_or("")
                .get(..10)
                .unwrap_or("");
            eprintln!("run {r}: {first}..{last}\n{t}");
        }
    }
    check_runs(root.as_path(), runs.run, w.seq);
}

/// Check the outputs of runs `1..=last` against lines `0..total`.
fn check_runs(dir: &Path, last: u32, total: u64) {
    let mut delivered = vec![0u32; total as usize];
    let mut prev_top: Option<u64> = None;
    let mut prev_since_ckpt = 0u64;
    let mut duplicates = 0u64;
    for run in 1..=last {
        let text = fs::read(dir.join(format!("out.{run}"))).unwrap_or_default();
        let mut first: Option<u64> = None;
        let mut top: Option<u64> = None;
        let mut since_ckpt = 0u64;
        let complete = match text.iter().rposition(|&b| b == b'\n') {
            Some(e) => &text[..e],
            None => &text[..0],
        };
        for l in complete.split(|&b| b == b'\n') {
            if l == b"#CKPT" {
                since_ckpt = 0;
                continue;
            }
            if l.starts_with(b"#") {
                continue;
            }
            let Some((seq, _)) = parse(l) else {
                panic!("run {run}: garbage {:?}", String::from_utf8_lossy(l));
            };
            assert!(seq < total, "run {run}: line {seq} never written");
            if let Some(t) = top {
                assert!(seq > t, "run {run}: {seq} after {t}");
            }
            first.get_or_insert(seq);
            top = Some(seq);
            since_ckpt += 1;
            delivered[seq as usize] += 1;
        }
        if let (Some(first), Some(pt)) = (first, prev_top) {
            // No gap: the new run starts at or before the line after the old run's last.
            assert!(
                first <= pt + 1,
                "run {run} starts at {first}, the previous one reached {pt}: lines lost\n{}\n{}",
                fs::read_to_string(dir.join(format!("notices.{}", run - 1))).unwrap_or_default(),
                fs::read_to_string(dir.join(format!("notices.{run}"))).unwrap_or_default(),
            );
            let overlap = (pt + 1).saturating_sub(first);
            // Lines after the killed run's last explicit checkpoint (plus the line being
            // written when it was killed) bound what is read again.
            assert!(
                overlap <= prev_since_ckpt + 1,
                "run {run} repeats {overlap} lines; the previous run had processed only \
                 {prev_since_ckpt} since its last checkpoint"
            );
            duplicates += overlap;
        }
        if top.is_some() {
            prev_top = top;
            prev_since_ckpt = since_ckpt;
        } else {
            prev_since_ckpt += since_ckpt;
        }
    }
    let lost: Vec<usize> = delivered
        .iter()
        .enumerate()
        .filter(|(_, &n)| n == 0)
        .map(|(i, _)| i)
        .take(20)
        .collect();
    assert!(lost.is_empty(), "lines never delivered: {lost:?}");
    eprintln!("{total} lines, {duplicates} delivered twice across {last} runs");
}
