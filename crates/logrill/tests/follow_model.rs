//! Model-based test (after Vector's `file_watcher/tests/experiment.rs`): proptest draws a
//! sequence of actions — write lines, write half a line, finish it, rotate by rename, copy-
//! truncate, truncate, delete (and re-create), let the follower read, close and restart it
//! with its state file — and runs them against the file system and a real follower in the
//! same thread. A model of the log says, after each read, which lines *must* have come out,
//! which *may* have (their file was destroyed or renamed away before the follower could have
//! known it), and that nothing else did, nothing twice, and in order.
//!
//! Because the follower reads only when the test asks it to, the interleaving is decided by
//! the action sequence, and a failure shrinks to a short, replayable sequence.

#[path = "follow_support.rs"]
mod support;

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use logrill::source::follow::{Follow, Follower, Next, Start, Watch};
use proptest::prelude::*;
use support::{line, parse};

#[derive(Debug, Clone)]
enum Action {
    Write(u8),
    WriteHalf,
    FinishHalf,
    Rename,
    CopyTruncate,
    Truncate,
    Delete,
    Create,
    Read,
    Restart,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (1u8..20).prop_map(Action::Write),
        1 => Just(Action::WriteHalf),
        1 => Just(Action::FinishHalf),
        2 => Just(Action::Rename),
        2 => Just(Action::CopyTruncate),
        2 => Just(Action::Truncate),
        1 => Just(Action::Delete),
        1 => Just(Action::Create),
        5 => Just(Action::Read),
        1 => Just(Action::Restart),
    ]
}

/// The model: lines of the file now at the path, and the lines already written anywhere.
struct Model {
    dir: PathBuf,
    path: PathBuf,
    state: PathBuf,
    file: Option<File>,
    seq: u64,
    gen: u64,
    /// Lines that must come out (not yet seen).
    must: BTreeSet<u64>,
    /// Lines that may come out or not.
    may: BTreeSet<u64>,
    /// Lines of the current file not yet seen, in order.
    current: Vec<u64>,
    /// The follower has the current file open (it looked while the file was there).
    seen: bool,
    /// ... and knows some of its content (it read some bytes of it): only then can it tell
    /// that the file was truncated, and find the copy copy-truncate left.
    opened: bool,
    /// Something was written to the current file.
    written: bool,
    /// Half of line `seq` written, not finished: (seq, the first half, the rest).
    half: Option<(u64, String, String)>,
    /// Halves never finished (their file was rotated): the follower hands them out as its
    /// last line when it finishes the file.
    halves: Vec<(u64, String)>,
    /// Unseen lines of deleted files: readable only while the follower keeps them open.
    deleted: Vec<u64>,
    delivered: Vec<u64>,
    rotations: u64,
}

impl Model {
    fn new(dir: &Path) -> Model {
        let path = dir.join("app.log");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        Model {
            dir: dir.to_path_buf(),
            state: dir.join("state"),
            path,
            file: Some(file),
            seq: 0,
            gen: 0,
            must: BTreeSet::new(),
            may: BTreeSet::new(),
            current: Vec::new(),
            seen: true,
            opened: false,
            written: false,
            half: None,
            halves: Vec::new(),
            deleted: Vec::new(),
            delivered: Vec::new(),
            rotations: 0,
        }
    }

    fn write_line(&mut self, whole: bool) {
        let Some(f) = self.file.as_mut() else { return };
        let text = line(self.seq, self.gen);
        self.written = true;
        if whole {
            f.write_all(text.as_bytes()).unwrap();
            self.must.insert(self.seq);
            self.current.push(self.seq);
        } else {
            let cut = text.len() / 2;
            f.write_all(&text.as_bytes()[..cut]).unwrap();
            self.half = Some((self.seq, text[..cut].to_string(), text[cut..].to_string()));
        }
        self.seq += 1;
    }

    fn finish_half(&mut self) {
        if let (Some((seq, _, rest)), Some(f)) = (self.half.take(), self.file.as_mut()) {
            f.write_all(rest.as_bytes()).unwrap();
            self.must.insert(seq);
            self.current.push(seq);
        }
    }

    /// The current file's unseen lines become "may" (destroyed, or renamed/deleted before
    /// the follower could have opened it).
    fn forfeit_current(&mut self) {
        for s in self.current.drain(..) {
            self.must.remove(&s);
            self.may.insert(s);
        }
        if let Some((seq, first, _)) = self.half.take() {
            self.may.insert(seq);
            self.halves.push((seq, first));
        }
    }

    fn new_generation(&mut self, reopen: bool) {
        // A half line never finished: handed out as the file's last line, or lost.
        if let Some((seq, first, _)) = self.half.take() {
            self.may.insert(seq);
            self.halves.push((seq, first));
        }
        self.gen += 1;
        self.current.clear();
        self.seen = false;
        self.opened = false;
        self.written = false;
        if reopen {
            self.file = Some(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path)
                    .unwrap(),
            );
        }
    }

    fn apply(&mut self, a: &Action) {
        match a {
            Action::Write(n) => {
                // A writer finishes its line before starting the next.
                self.finish_half();
                for _ in 0..*n {
                    self.write_line(true);
                }
            }
            Action::WriteHalf if self.half.is_none() => self.write_line(false),
            Action::WriteHalf => {}
            Action::FinishHalf => self.finish_half(),
            Action::Rename if self.file.is_some() => {
                self.rotations += 1;
                let to = self.dir.join(format!("app.log.{}", self.rotations));
                fs::rename(&self.path, to).unwrap();
                if !self.seen {
                    self.forfeit_current();
                }
                self.new_generation(true);
            }
            Action::CopyTruncate if self.file.is_some() => {
                self.rotations += 1;
                let to = self.dir.join(format!("app.log.{}", self.rotations));
                fs::copy(&self.path, &to).unwrap();
                if let Some(f) = &self.file {
                    f.set_len(0).unwrap();
                }
                // At a restart, generations are put in order by modification time, ties
                // by inode number (docs/follow.md): a copy and writes to the truncated
                // file within one tick of the file system's clock (a few ms) cannot be
                // told apart, and the copy, the newer inode, would come after them. Real
                // writers are not that quick after a copy-truncate: let the clock tick.
                wait_for_tick(&self.dir, &to);
                if !self.opened {
                    self.forfeit_current();
                }
                self.new_generation(false);
            }
            Action::Truncate if self.file.is_some() => {
                if let Some(f) = &self.file {
                    f.set_len(0).unwrap();
                }
                self.forfeit_current();
                self.new_generation(false);
            }
            Action::Delete if self.file.is_some() => {
                fs::remove_file(&self.path).unwrap();
                if !self.seen {
                    self.forfeit_current();
                }
                self.deleted.extend(self.current.iter().copied());
                self.new_generation(false);
                self.file = None;
            }
            Action::Create if self.file.is_none() => self.new_generation(true),
            _ => {}
        }
    }

    /// Read until every "must" line came out, then a little more: check each line.
    fn read(&mut self, f: &mut Follower) -> Result<(), String> {
        let end = Instant::now() + Duration::from_secs(3);
        // Long enough for a rescan (and the polling interval) to see a new file.
        let mut quiet_until = Instant::now() + Duration::from_millis(30);
        loop {
            let now = Instant::now();
            if now >= end {
                return Err(format!("timed out; still expected {:?}", self.must));
            }
            let deadline = if self.must.is_empty() {
                quiet_until
            } else {
                end
            };
            match f.next_line_until(Some(deadline)) {
                Next::Line(l) => {
                    if std::env::var_os("MODEL_DEBUG").is_some() {
                        eprintln!("got {:?} at {}", String::from_utf8_lossy(l.bytes), l.offset);
                    }
                    let seq = match parse(l.bytes) {
                        Some((seq, _)) => seq,
                        None => self
                            .halves
                            .iter()
                            .find(|(_, h)| h.as_bytes() == l.bytes)
                            .map(|(s, _)| *s)
                            .ok_or_else(|| {
                                format!("garbage {:?}", String::from_utf8_lossy(l.bytes))
                            })?,
                    };
                    if let Some(&last) = self.delivered.last() {
                        if seq <= last {
                            return Err(format!("{seq} after {last}"));
                        }
                    }
                    if !self.must.remove(&seq) && !self.may.remove(&seq) {
                        return Err(format!("{seq} was not expected"));
                    }
                    // Everything before it that was optional is now out of reach.
                    self.may.retain(|&s| s > seq);
                    self.delivered.push(seq);
                    self.current.retain(|&s| s != seq);
                    quiet_until = Instant::now() + Duration::from_millis(30);
                }
                Next::Timeout if self.must.is_empty() => break,
                Next::Timeout => {}
                Next::Closed(r) => return Err(format!("closed: {r:?}")),
            }
        }
        // The follower has looked at the path by now: a file there is open, and if
        // anything was written to it, the follower read it.
        if self.file.is_some() {
            self.seen = true;
            self.opened |= self.written;
        }
        Ok(())
    }

    /// A close: deleted files are closed too, and with them go their unread lines.
    fn closed(&mut self) {
        for s in self.deleted.drain(..) {
            if self.must.remove(&s) {
                self.may.insert(s);
            }
        }
    }

    /// A start: the file at the path is opened.
    fn started(&mut self) {
        if self.file.is_some() {
            self.seen = true;
            self.opened |= self.written;
        }
    }
}

/// Wait until a file written now gets a later modification time than `after`'s.
fn wait_for_tick(dir: &Path, after: &Path) {
    let then = fs::metadata(after).unwrap().modified().unwrap();
    let probe = dir.join("tick.probe");
    loop {
        fs::write(&probe, b"").unwrap();
        if fs::metadata(&probe).unwrap().modified().unwrap() > then {
            fs::remove_file(&probe).unwrap();
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn open(m: &Model, poll: bool) -> Follower {
    Follow::new()
        .file(&m.path)
        .start(Start::Beginning)
        .state(&m.state)
        .rotate_grace(Duration::from_millis(20))
        .watch(if poll {
            Watch::Poll(Duration::from_millis(5))
        } else {
            Watch::Auto
        })
        .open()
        .unwrap()
}

fn run(actions: &[Action], poll: bool) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Model::new(dir.path());
    let mut f = open(&m, poll);
    for a in actions {
        match a {
            Action::Read => m.read(&mut f)?,
            Action::Restart => {
                // A clean close and a restart from the state file: nothing may repeat (the
                // order check would catch it) and nothing readable may be lost.
                f.close().map_err(|e| e.to_string())?;
                m.closed();
                f = open(&m, poll);
                m.started();
            }
            _ => m.apply(a),
        }
    }
    m.finish_half();
    m.read(&mut f)?;
    f.close().map_err(|e| e.to_string())?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        max_shrink_iters: 60,
        failure_persistence: None,
        .. ProptestConfig::default()
    })]

    #[test]
    fn follower_matches_model(actions in prop::collection::vec(action(), 1..40), poll in any::<bool>()) {
        let r = run(&actions, poll);
        prop_assert!(r.is_ok(), "{}", r.unwrap_err());
    }
}

#[test]
fn model_regressions() {
    use Action::*;
    // Truncated before the follower read the first line of the new content.
    run(&[Write(3), Read, Truncate, Write(2), Read], false).unwrap();
    // Copy-truncate with unread lines, then a restart.
    run(
        &[
            Write(3),
            Read,
            Write(4),
            CopyTruncate,
            Write(1),
            Restart,
            Read,
        ],
        true,
    )
    .unwrap();
    // Generations rotated away before the follower was asked for a line, then a restart:
    // those the discovery thread opened come back from the checkpoint, the others are
    // found next to the name, and all come out in order.
    run(
        &[
            Write(1),
            Rename,
            Write(1),
            Rename,
            Write(1),
            Rename,
            Restart,
        ],
        false,
    )
    .unwrap();
    // Copy-truncate, then the file deleted, then a restart: the deleted file was read to
    // its end, but it had been truncated first, so the copy has the rest.
    run(
        &[Write(1), Read, Write(1), CopyTruncate, Delete, Restart],
        false,
    )
    .unwrap();
    // A half line, copy-truncated, then renamed away, then a restart: the half line is
    // handed out once, from the copy; the old file it came from is done with.
    run(
        &[WriteHalf, Read, CopyTruncate, Rename, Read, Restart],
        false,
    )
    .unwrap();
    // Copy-truncate (the clock ticks), more lines, the file renamed away (and the new
    // one deleted), then a restart: the copy's line comes before the renamed file's.
    run(
        &[Read, Write(1), CopyTruncate, Write(1), Rename, Restart],
        false,
    )
    .unwrap();
    run(
        &[
            Read,
            Write(1),
            CopyTruncate,
            Write(11),
            Rename,
            Delete,
            Restart,
        ],
        true,
    )
    .unwrap();
    // A half line across a rename.
    run(&[Write(1), Read, WriteHalf, Rename, Write(2), Read], false).unwrap();
    // Delete without re-create, then create.
    run(
        &[
            Write(2),
            Read,
            Write(2),
            Delete,
            Read,
            Create,
            Write(1),
            Read,
        ],
        false,
    )
    .unwrap();
}
