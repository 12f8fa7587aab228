//! The follower: the consumer's side of following — the chunk of lines being handed out,
//! the wait for more, closing.
//!
//! What the follower knows about its files ([`Core`]: streams, rotation, checkpoints) sits
//! behind a lock shared with a discovery thread ([`super::discover`]), which keeps finding
//! and opening files while the consumer is busy elsewhere. The lines themselves are read
//! into the follower's own buffer, so the lending API ([`Follower::next_line`]) hands out
//! slices of it without holding the lock, and handing out the lines of one read takes no
//! lock at all.
//!
//! A *stream* is a name followed: a path given as a file (followed by name, like `tail -F`),
//! or a file found in a followed directory. A stream has at most one *current* file (what
//! its path names now) and the older files that were rotated away from it and are still
//! being finished (*draining*, oldest first). Lines of one stream come out in the order of
//! its files: a newer file is read only when every older one has nothing more to give, so a
//! rename rotation never interleaves old and new lines.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::core::{Core, Filled, Owner, Retired};
use super::error::FollowError;
use super::identity::DevIno;
use super::numbering::Numbering;
use super::watcher::{CloseHandle, Shared};
use super::{CloseReason, CloseReport, Config, Notice, SourceSpec};
use crate::error::InputName;

/// What one step of the follower produced (indices only, so the lending API can borrow).
pub(super) enum Step {
    Line { from: usize, to: usize },
    Batch { from: usize, to: usize },
    Timeout,
    Closed(CloseReason),
}

/// A live stream of lines from followed files; see the [module documentation](super).
pub struct Follower {
    core: Arc<Mutex<Core>>,
    shared: Arc<Shared>,
    discoverer: Option<JoinHandle<()>>,
    exit_on_idle: Option<Duration>,

    chunk: Vec<u8>,
    chunk_pos: usize,
    chunk_end: usize,
    chunk_base: u64,
    chunk_name: Arc<InputName>,
    owner: Option<Owner>,
    /// The chunk is a final partial line: its end is not a line end.
    chunk_final: bool,
    /// The file the chunk came from (see [`super::Origin`]): kept beside the chunk, since
    /// the file's state sits behind the lock.
    chunk_id: Option<DevIno>,
    chunk_head: Vec<u8>,
    /// The number of the line at `chunk_pos` (0: unknown), and of the first line the last
    /// step handed out.
    chunk_line: u64,
    step_line: u64,
    numbering: Numbering,

    notices: VecDeque<Notice>,
    last_line: Instant,
    lines: u64,
    closed: Option<CloseReport>,
    close_error: Option<FollowError>,
}

impl Follower {
    pub(super) fn open(cfg: Config, specs: Vec<SourceSpec>) -> Result<Follower, FollowError> {
        let shared = Shared::new();
        let exit_on_idle = cfg.exit_on_idle;
        let core = Arc::new(Mutex::new(Core::open(cfg, specs, shared.clone())?));
        let discoverer = super::discover::spawn(&core, &shared).map_err(|e| {
            let path = std::path::PathBuf::from("(discovery thread)");
            FollowError::io(path, e)
        })?;
        Ok(Follower {
            core,
            shared,
            discoverer: Some(discoverer),
            exit_on_idle,
            chunk: Vec::new(),
            chunk_pos: 0,
            chunk_end: 0,
            chunk_base: 0,
            chunk_name: Arc::new(InputName::Stdin),
            owner: None,
            chunk_final: false,
            chunk_id: None,
            chunk_head: Vec::new(),
            chunk_line: 0,
            step_line: 0,
            numbering: Numbering::default(),
            notices: VecDeque::new(),
            last_line: Instant::now(),
            lines: 0,
            closed: None,
            close_error: None,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic while the lock was held left the state as it was at some point: going on
        // with it is better than losing every line.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A handle that closes this follower from any thread.
    pub fn close_handle(&self) -> CloseHandle {
        CloseHandle {
            shared: self.shared.clone(),
        }
    }

    /// Whether change notification (rather than polling) is in use.
    pub fn is_notifying(&self) -> bool {
        self.lock().is_notifying()
    }

    /// Problems and events since the last call (files appearing, rotated, truncated,
    /// unreadable...), oldest first. Following goes on whatever they say; a command-line
    /// tool prints them on stderr like `tail -F` does.
    pub fn take_notices(&mut self) -> std::collections::vec_deque::Drain<'_, Notice> {
        if self.closed.is_none() {
            let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
            core.take_notices(&mut self.notices);
        }
        self.notices.drain(..)
    }

    /// Every line handed out so far has been processed (its output written): checkpoints
    /// may now record it. Only needed with [`Follow::auto_commit(false)`]; by default a line
    /// counts as processed when the next one is asked for.
    ///
    /// [`Follow::auto_commit(false)`]: super::Follow::auto_commit
    pub fn commit(&mut self) {
        self.settle();
        self.lock().commit();
    }

    /// Write the checkpoint now (when there is a state file and something changed).
    pub fn checkpoint(&mut self) -> Result<bool, FollowError> {
        self.settle();
        self.lock().checkpoint()
    }

    /// Close: the checkpoint is written (every line handed out counts as processed: flush
    /// your output first), every file is closed, change notification stops. Idempotent:
    /// later calls return the same report. The seed's `GeneratorExit`, run by the follower
    /// itself, also when it is dropped or closed through a [`CloseHandle`].
    pub fn close(&mut self) -> Result<CloseReport, FollowError> {
        self.finish(CloseReason::Closed);
        match self.close_error.take() {
            Some(e) => Err(e),
            None => Ok(self.closed.clone().unwrap_or_default()),
        }
    }

    /// Whether it is closed.
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    /// Stop as a crash would: no checkpoint, nothing closed cleanly (tests of restarts).
    #[cfg(test)]
    pub(super) fn crash(self) {
        self.lock().abandon();
        std::mem::forget(self);
    }

    pub(super) fn chunk_bytes(&self, from: usize, to: usize) -> (&InputName, &[u8], u64) {
        (
            &self.chunk_name,
            &self.chunk[from..to],
            self.chunk_base + from as u64,
        )
    }

    /// The number of the first line the last step handed out (0: unknown).
    pub(super) fn step_line(&self) -> u64 {
        self.step_line
    }

    pub(super) fn chunk_name(&self) -> &Arc<InputName> {
        &self.chunk_name
    }

    /// The identity of the file the chunk was read from.
    pub(super) fn chunk_origin(&self) -> Option<super::Origin<'_>> {
        Some(super::Origin {
            id: self.chunk_id?,
            head: &self.chunk_head,
        })
    }

    /// Record in the state how far the chunk was handed out. Done when the chunk is used
    /// up and before a commit or checkpoint, not for every line: a checkpoint written in
    /// between by the discovery thread only lags behind (lines read again after a crash),
    /// it never runs ahead.
    fn settle(&mut self) {
        let Some(o) = self.owner else { return };
        let upto = self.chunk_base + self.chunk_pos as u64;
        if self.chunk_pos >= self.chunk_end {
            self.owner = None;
        }
        self.core
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .settle(o, upto);
    }

    /// Take the chunk `f`; `file`: its plain file and the offset of its line 1, to number
    /// its lines if need be.
    fn take_chunk(&mut self, f: Filled, file: Option<(std::fs::File, u64)>) {
        self.chunk_line = self.numbering.start(
            f.owner.serial(),
            f.base,
            file.as_ref().map(|(f, origin)| (f, *origin)),
        );
        self.chunk_pos = 0;
        self.chunk_end = f.end;
        self.chunk_base = f.base;
        self.chunk_final = f.last;
        self.chunk_name = f.name;
        self.owner = Some(f.owner);
    }

    // ----- the main loop ----------------------------------------------------------------

    pub(super) fn step(&mut self, deadline: Option<Instant>, batch: bool) -> Step {
        if let Some(r) = &self.closed {
            return Step::Closed(r.reason);
        }
        loop {
            if self.shared.is_closed() {
                self.finish(CloseReason::Requested);
                return Step::Closed(CloseReason::Requested);
            }
            if self.chunk_pos < self.chunk_end {
                let from = self.chunk_pos;
                let to = if batch || self.chunk_final {
                    self.chunk_end
                } else {
                    match memchr::memchr(b'\n', &self.chunk[from..self.chunk_end]) {
                        Some(k) => from + k + 1,
                        None => self.chunk_end,
                    }
                };
                self.chunk_pos = to;
                let lines = count_lines(&self.chunk[from..to]);
                self.lines += lines;
                self.step_line = self.chunk_line;
                if self.chunk_line > 0 {
                    self.chunk_line += lines;
                }
                // Remembered where the next chunk of the file can start: at this one's end.
                if let (Some(o), true) = (self.owner, to == self.chunk_end) {
                    let end = self.chunk_base + to as u64;
                    self.numbering.note(o.serial(), end, self.chunk_line);
                }
                self.last_line = Instant::now();
                return if batch {
                    Step::Batch { from, to }
                } else {
                    Step::Line { from, to }
                };
            }
            // The chunk is used up: record it, then read more (or wait) under the lock.
            let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(o) = self.owner.take() {
                core.settle(o, self.chunk_base + self.chunk_pos as u64);
            }
            let now = Instant::now();
            core.look(now);
            if let Some(f) = core.fill_then_checkpoint(now, &mut self.chunk) {
                keep_origin(&core, &f, &mut self.chunk_id, &mut self.chunk_head);
                let file = core.plain_file(f.owner);
                drop(core);
                self.take_chunk(f, file);
                continue;
            }
            match core.retire_finished(now, &mut self.chunk) {
                Retired::Partial(f) => {
                    keep_origin(&core, &f, &mut self.chunk_id, &mut self.chunk_head);
                    let file = core.plain_file(f.owner);
                    drop(core);
                    self.take_chunk(f, file);
                    continue;
                }
                Retired::Again => continue,
                Retired::Nothing => {}
            }
            if self.shared.take_dirty() || std::mem::take(&mut core.parked_waiting) {
                // Changed while reading (or closed files changed and the open ones are
                // read now, so some can make room): look again before sleeping.
                core.rescan(now);
                core.maybe_checkpoint(now);
                if let Some(f) = core.fill_then_checkpoint(now, &mut self.chunk) {
                    keep_origin(&core, &f, &mut self.chunk_id, &mut self.chunk_head);
                    let file = core.plain_file(f.owner);
                    drop(core);
                    self.take_chunk(f, file);
                    continue;
                }
            }
            let mut wake = core.wake_at();
            drop(core);
            if let Some(idle) = self.exit_on_idle {
                if now.duration_since(self.last_line) >= idle {
                    self.finish(CloseReason::Idle);
                    return Step::Closed(CloseReason::Idle);
                }
                wake = wake.min(self.last_line + idle);
            }
            if let Some(d) = deadline {
                if now >= d {
                    return Step::Timeout;
                }
                wake = wake.min(d);
            }
            self.shared.sleep(wake.saturating_duration_since(now));
            if self.shared.take_dirty() {
                // Woken by an event: read at once (the latency that matters).
                self.lock().rescan(Instant::now());
            }
        }
    }

    /// Clean up: checkpoint, close every file, stop the discovery thread. Idempotent.
    pub(super) fn finish(&mut self, reason: CloseReason) {
        if self.closed.is_some() {
            return;
        }
        // Every line handed out counts as processed now.
        self.settle();
        let shut = {
            let mut core = self.core.lock().unwrap_or_else(|e| e.into_inner());
            // The notices are taken after the last checkpoint: a file given up whose
            // notice nobody has taken yet stays `live` in it (the caller may never say it).
            let shut = core.shut();
            core.take_notices(&mut self.notices);
            shut
        };
        if let Some(t) = self.discoverer.take() {
            let _ = t.join();
        }
        let checkpoint = match shut.checkpoint {
            Ok(c) => c,
            Err(e) => {
                self.close_error = Some(e);
                None
            }
        };
        self.chunk_pos = 0;
        self.chunk_end = 0;
        self.owner = None;
        self.closed = Some(CloseReport {
            reason,
            lines: self.lines,
            files_closed: shut.files,
            partial_lines_held: shut.held,
            checkpoint,
        });
    }
}

/// How many lines `bytes` holds: its line ends, and a last line without one.
fn count_lines(bytes: &[u8]) -> u64 {
    let ends = memchr::memchr_iter(b'\n', bytes).count() as u64;
    ends + u64::from(bytes.last().is_some_and(|&b| b != b'\n'))
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.finish(CloseReason::Dropped);
    }
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (streams, notifying) = match self.core.try_lock() {
            Ok(c) => (Some(c.stream_count()), Some(c.is_notifying())),
            Err(_) => (None, None),
        };
        f.debug_struct("Follower")
            .field("streams", &streams)
            .field("notifying", &notifying)
            .field("lines", &self.lines)
            .field("closed", &self.closed)
            .finish()
    }
}

/// Copy the identity of the file `f` was read from (see [`Follower::chunk_origin`]),
/// reusing the buffer.
fn keep_origin(core: &Core, f: &Filled, id: &mut Option<DevIno>, head: &mut Vec<u8>) {
    head.clear();
    *id = core.origin(f.owner).map(|(i, bytes)| {
        head.extend_from_slice(bytes);
        i
    });
}
