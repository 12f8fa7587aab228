//! `follow`: `tail -F` done right — the seed's `follow(thefile)` generator, for real logs.
//!
//! The seed's version seeks to the end, then loops on `readline()` with a `sleep(0.1)` when
//! there is nothing new, and prints "Shutting down" when the generator is closed. It loses
//! lines at every log rotation, delivers half lines, wakes ten times a second for nothing,
//! waits up to 100 ms to see a line, and can only be closed from its own thread. Here:
//!
//! * **Following by name**: a rotation (rename + create, delete + re-create, copy-truncate,
//!   truncation) is detected and the new file followed; the old one is read to its end
//!   first, so lines of one name come out in order, none lost where the bytes still exist,
//!   none repeated. See `docs/follow.md` for the guarantee of each rotation scheme.
//! * **Identity** = device + inode + a fingerprint of the first bytes
//!   ([`identity`]), so a new file that reuses an old inode is not taken for the old one.
//! * **Latency**: change notification (inotify, through `notify`) wakes the reader within
//!   milliseconds of a write; polling ([`Watch::Poll`]) where it does not work.
//! * **Whole lines only**: a last line without its newline is held until it is complete.
//! * **Several files** (and directories, with files that appear later) in one stream of
//!   lines, each tagged with the name it came from.
//! * **Checkpoints** ([`Follow::state`]): written atomically, periodically and at close; a
//!   restart goes on where the last run stopped, even after `kill -9`.
//! * **Closing** from any thread ([`CloseHandle`]) or a signal handler
//!   ([`CloseHandle::flag`]); [`Follower::close`] (and `Drop`) is the seed's
//!   `GeneratorExit`: the checkpoint is written and every file closed.
//!
//! ```no_run
//! use std::time::Duration;
//! use logrill::source::follow::{Follow, Next, Start};
//!
//! let mut lines = Follow::new()
//!     .path("/var/log/app.log")
//!     .start(Start::LastLines(10))
//!     .state("/var/tmp/app.follow")
//!     .open()?;
//! let closer = lines.close_handle(); // Send + Sync: give it to a Ctrl-C handler
//! loop {
//!     match lines.next_line_timeout(Duration::from_secs(1)) {
//!         Next::Line(line) => println!("{}: {}", line.name, String::from_utf8_lossy(line.bytes)),
//!         Next::Timeout => { /* print a running aggregate here */ }
//!         Next::Closed(_) => break,
//!     }
//! }
//! let report = lines.close()?;
//! eprintln!("closed {} files, checkpoint {:?}", report.files_closed, report.checkpoint);
//! # drop(closer);
//! # Ok::<(), logrill::source::follow::FollowError>(())
//! ```
//!
//! ## The item type
//! The main interface lends lines: [`Follower::next_line`] returns a [`Line`] that borrows
//! the follower's read buffer (`&InputName`, `&[u8]`), so following costs no allocation
//! per line, the same contract as [`LineReader::next_line`](crate::source::LineReader) and
//! what the executor's stages take. [`Follower::next_batch_timeout`] hands out every
//! complete line of one read at once, for stages that search a whole buffer in one pass.
//! For convenience (and `for` loops) a `Follower` is also an `Iterator` of owned
//! [`FollowLine`]s, one allocation per line.
//!
//! ## Processed, committed, checkpointed
//! A line counts as *processed* when the next one is asked for (or at [`Follower::commit`]
//! with [`Follow::auto_commit(false)`](Follow::auto_commit), for callers that buffer their
//! output). Checkpoints record processed lines only, so after a crash nothing is lost, and
//! what is read again is bounded by what was processed since the last checkpoint
//! ([`Follow::checkpoint_every`], 1 s by default). A clean close records everything handed
//! out: nothing is read twice after it.

mod checkpoint;
mod core;
mod discover;
mod error;
mod follower;
pub mod identity;
mod limits;
mod numbering;
mod reader;
mod watcher;

pub use checkpoint::{Entry as CheckpointEntry, StateFile};
pub use error::FollowError;
pub use follower::Follower;
pub use watcher::{CloseHandle, Watch, DEFAULT_POLL, FLAG_CHECK};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use follower::Step;

use crate::error::InputName;
use crate::source::Codec;

/// Follow one file (or directory) with the defaults: by name, from its end, change
/// notification, no state file. [`Follow`] has the options.
pub fn follow(path: impl AsRef<Path>) -> Result<Follower, FollowError> {
    Follow::new().path(path).open()
}

/// Follow several files and directories in one stream of lines (see [`follow`]).
pub fn follow_many<P: AsRef<Path>>(
    paths: impl IntoIterator<Item = P>,
) -> Result<Follower, FollowError> {
    Follow::new().paths(paths).open()
}

/// Where following starts in the files that exist when it starts (files that appear later
/// are always read from their start; a file with a checkpoint goes on from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Start {
    /// At the end, like `tail -f`: only new lines.
    #[default]
    End,
    /// At the beginning (`--from-start`): the whole file, then what is appended — "batch
    /// then follow".
    Beginning,
    /// The last N lines, then what is appended (`-n N`).
    LastLines(u64),
}

/// A path to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceSpec {
    /// A directory if it is one when following starts, otherwise a file.
    Path(PathBuf),
    /// A file, followed by name (it may not exist yet).
    File(PathBuf),
    /// A directory: every file in it (recursively) whose name matches the globs, including
    /// files that appear later.
    Dir(PathBuf),
}

/// The options (see [`Follow`]).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub globs: Vec<String>,
    pub start: Start,
    pub watch: Watch,
    pub state: Option<PathBuf>,
    pub checkpoint_every: Duration,
    pub rotate_grace: Duration,
    pub exit_on_idle: Option<Duration>,
    pub auto_commit: bool,
    pub max_line: usize,
    /// The open-file budget (`None`: from the descriptor limit, see [`limits`]).
    pub max_open: Option<usize>,
    /// With [`Start::Beginning`]: enter files by binary search at `since` (see
    /// [`Follow::since_seek`]).
    pub since_seek: Option<SinceSeek>,
}

/// Where `--from-start --since` enters followed files, and what it counts.
#[derive(Debug, Clone)]
pub(crate) struct SinceSeek {
    pub range: crate::source::TimeRange,
    pub counters: Arc<crate::source::RangeCounters>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            globs: Vec::new(),
            start: Start::End,
            watch: Watch::Auto,
            state: None,
            checkpoint_every: Duration::from_secs(1),
            rotate_grace: Duration::from_secs(5),
            exit_on_idle: None,
            auto_commit: true,
            max_line: 8 * 1024 * 1024,
            max_open: None,
            since_seek: None,
        }
    }
}

/// The builder of a [`Follower`]: what to follow and how. Each method maps to one
/// command-line option.
#[derive(Debug, Clone, Default)]
pub struct Follow {
    cfg: Config,
    sources: Vec<SourceSpec>,
}

impl Follow {
    /// Nothing to follow yet, default options.
    pub fn new() -> Follow {
        Follow::default()
    }

    /// Follow `path`: a directory (if it is one now) with its files matching the globs, or
    /// else a file, by name (`PATH...`).
    pub fn path(mut self, path: impl AsRef<Path>) -> Follow {
        self.sources
            .push(SourceSpec::Path(path.as_ref().to_path_buf()));
        self
    }

    /// Several paths (see [`Follow::path`]).
    pub fn paths<P: AsRef<Path>>(mut self, paths: impl IntoIterator<Item = P>) -> Follow {
        for p in paths {
            self = self.path(p);
        }
        self
    }

    /// Follow a file by name, even if it does not exist yet or a directory of that name
    /// exists (it is waited for).
    pub fn file(mut self, path: impl AsRef<Path>) -> Follow {
        self.sources
            .push(SourceSpec::File(path.as_ref().to_path_buf()));
        self
    }

    /// Follow a directory: its files (recursively) whose name matches the globs, and
    /// those that appear later.
    pub fn dir(mut self, path: impl AsRef<Path>) -> Follow {
        self.sources
            .push(SourceSpec::Dir(path.as_ref().to_path_buf()));
        self
    }

    /// In directories, follow only files whose name matches `glob` (`-g`; several keep a
    /// file that matches any). Same syntax as [`Find::glob`](crate::source::Find::glob).
    pub fn glob(mut self, glob: impl Into<String>) -> Follow {
        self.cfg.globs.push(glob.into());
        self
    }

    /// Several globs (see [`Follow::glob`]).
    pub fn globs<S: Into<String>>(mut self, globs: impl IntoIterator<Item = S>) -> Follow {
        self.cfg.globs.extend(globs.into_iter().map(Into::into));
        self
    }

    /// Where to start in the files that exist now (default: their end).
    pub fn start(mut self, start: Start) -> Follow {
        self.cfg.start = start;
        self
    }

    /// How changes are noticed (default: change notification, polling where unavailable).
    pub fn watch(mut self, watch: Watch) -> Follow {
        self.cfg.watch = watch;
        self
    }

    /// Keep checkpoints in `file` (`--state FILE`): read at start to resume, written
    /// atomically every [`checkpoint_every`](Follow::checkpoint_every) and at close.
    pub fn state(mut self, file: impl AsRef<Path>) -> Follow {
        self.cfg.state = Some(file.as_ref().to_path_buf());
        self
    }

    /// How often checkpoints are written (default 1 s; only when something changed). After
    /// a crash, the lines processed since the last checkpoint are read again: this bounds
    /// the duplicates.
    pub fn checkpoint_every(mut self, every: Duration) -> Follow {
        self.cfg.checkpoint_every = every;
        self
    }

    /// How long a rotated-away file is kept open after it stopped growing (default 5 s):
    /// a writer that has not reopened its log yet still writes to it.
    pub fn rotate_grace(mut self, grace: Duration) -> Follow {
        self.cfg.rotate_grace = grace;
        self
    }

    /// With [`Start::Beginning`] (`-F --from-start --since X`): enter each plain file that
    /// exists when following starts (and has no checkpoint) at the first line that may be
    /// at or after `range.since`, found by the same binary search over line starts as a
    /// batch read of the range ([`timerange::follow_start`]), rather than reading it from
    /// its start; then follow it as usual. A file whose lines are not sorted by time (to
    /// within `range.margin`), or whose times are not recognised, is read from its start.
    /// Lines are not filtered here (a [`timerange::LiveRange`] does that): lines before
    /// `since` within the margin are still handed out. What the search read and skipped is
    /// added to `counters`. Line numbers count from the line a file was entered at.
    ///
    /// [`timerange::follow_start`]: crate::source::timerange::follow_start
    /// [`timerange::LiveRange`]: crate::source::timerange::LiveRange
    pub fn since_seek(
        mut self,
        range: crate::source::TimeRange,
        counters: Arc<crate::source::RangeCounters>,
    ) -> Follow {
        self.cfg.since_seek = Some(SinceSeek { range, counters });
        self
    }

    /// Close by itself when no line came for `idle` (`--exit-on-idle`).
    pub fn exit_on_idle(mut self, idle: Option<Duration>) -> Follow {
        self.cfg.exit_on_idle = idle;
        self
    }

    /// Whether a line counts as processed when the next one is asked for (default), or
    /// only at [`Follower::commit`] (for callers that buffer output: commit after each
    /// flush, so a checkpoint never records lines whose output was lost in a crash).
    pub fn auto_commit(mut self, auto: bool) -> Follow {
        self.cfg.auto_commit = auto;
        self
    }

    /// The longest line held while waiting for its end (default 8 MiB); a longer one is
    /// handed out in pieces of this size, so memory stays bounded.
    pub fn max_line(mut self, bytes: usize) -> Follow {
        self.cfg.max_line = bytes.max(1);
        self
    }

    /// How many files may be open at once (default: the process's descriptor limit, raised
    /// to its hard maximum at start, less 64 for everything else). Past it, followed files
    /// that are idle (read to their end) are closed, and reopened — by path, their
    /// identity checked — when they change; a [`Notice::Parked`] says so once.
    pub fn max_open_files(mut self, files: usize) -> Follow {
        self.cfg.max_open = Some(files.max(1));
        self
    }

    /// Start following. Fails when nothing was given, a glob is bad, the state file cannot
    /// be read (or is not one), or [`Watch::Notify`] was asked for and is unavailable.
    pub fn open(self) -> Result<Follower, FollowError> {
        Follower::open(self.cfg, self.sources)
    }
}

/// A line, lent by [`Follower::next_line`]: valid until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The name it came from (for `-H`): the path followed, or the file found in a
    /// followed directory. Lines of a rotated-away file keep the name they were written
    /// under.
    pub name: &'a InputName,
    /// The line, without its line end (`\n`, or `\r\n`).
    pub bytes: &'a [u8],
    /// Its byte offset in its file.
    pub offset: u64,
    /// Its number in its file (1 for the first line; 0 when unknown: a line of a
    /// compressed generation read from past its start).
    pub line: u64,
}

/// Complete lines from one read of one file, lent by [`Follower::next_batch_timeout`].
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// The name they came from.
    pub name: &'a InputName,
    /// One or more lines, each ending in `\n` except perhaps the last (a file's final line
    /// that never got one).
    pub bytes: &'a [u8],
    /// The byte offset of the first in its file.
    pub offset: u64,
    /// The number of the first in its file (1 for the file's first line; 0 when unknown,
    /// see [`Line::line`]).
    pub line: u64,
    /// Which file it is, beyond its name (`None` only if the file is no longer tracked).
    pub origin: Option<Origin<'a>>,
}

/// The file a [`Batch`] was read from, told apart from every other file with the same name
/// or the same lines: a consumer that must name each line uniquely and stably (a message id
/// that survives restarts, say) builds it from this and the line's byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    /// Device and inode of the open file (exact while it is followed; kept by a rename).
    pub id: identity::DevIno,
    /// The file's first bytes as read so far (at most [`identity::HEAD_MAX`]): they cover
    /// every byte up to the end of the batch, or the whole `HEAD_MAX`. Two files that get
    /// the same inode number one after the other differ here unless their starts are equal.
    pub head: &'a [u8],
}

impl<'a> Batch<'a> {
    /// The lines, without their line ends.
    pub fn lines(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let bytes = self.bytes;
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        body.split(|&b| b == b'\n').map(trim_cr)
    }
}

/// An owned line, from the `Iterator` implementation of [`Follower`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowLine {
    /// The name it came from (shared by every line of that name).
    pub name: Arc<InputName>,
    /// The line, without its line end.
    pub line: Vec<u8>,
    /// Its byte offset in its file.
    pub offset: u64,
}

/// What waiting for the next line gave.
#[derive(Debug)]
pub enum Next<'a> {
    /// A line.
    Line(Line<'a>),
    /// The time given passed without a line (time to print a running aggregate).
    Timeout,
    /// Closed: no more lines will come.
    Closed(CloseReason),
}

/// What waiting for the next batch gave.
#[derive(Debug)]
pub enum NextBatch<'a> {
    /// Complete lines.
    Batch(Batch<'a>),
    /// The time given passed without a line.
    Timeout,
    /// Closed: no more lines will come.
    Closed(CloseReason),
}

/// Why a follower closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CloseReason {
    /// [`Follower::close`] was called.
    #[default]
    Closed,
    /// A [`CloseHandle`] (or its flag) asked for it.
    Requested,
    /// No line came for the `exit_on_idle` duration.
    Idle,
    /// The follower was dropped.
    Dropped,
}

/// What closing did (the seed's "Shutting down").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloseReport {
    /// Why it closed.
    pub reason: CloseReason,
    /// Lines handed out over its life (however they were handed out: one by one or in
    /// batches).
    pub lines: u64,
    /// Files that were open and were closed.
    pub files_closed: usize,
    /// Files that ended in a line without its newline yet: not handed out, and (with a
    /// state file) read again, complete, next time.
    pub partial_lines_held: usize,
    /// The state file written, if any.
    pub checkpoint: Option<PathBuf>,
}

impl fmt::Display for CloseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "closed ({:?}): {}, {} closed",
            self.reason,
            plural(self.lines, "line", "lines"),
            plural(self.files_closed as u64, "file", "files"),
        )?;
        if self.partial_lines_held > 0 {
            write!(
                f,
                ", {} held back",
                plural(
                    self.partial_lines_held as u64,
                    "incomplete line",
                    "incomplete lines"
                )
            )?;
        }
        if let Some(p) = &self.checkpoint {
            write!(f, ", checkpoint written to {}", p.display())?;
        }
        Ok(())
    }
}

/// Something that happened to a followed file. None of these stops following; a
/// command-line tool prints them on stderr (as `tail -F` does) and goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A followed file does not exist (yet): it is waited for.
    Missing { name: PathBuf },
    /// A followed name appeared (or a file replaced it) and is followed from its start.
    Following { name: PathBuf },
    /// A new file appeared in a followed directory.
    Appeared { name: PathBuf },
    /// The file behind a name was replaced (renamed away, deleted and re-created): the old
    /// one is finished first, then the new one followed.
    Rotated { name: PathBuf },
    /// The name no longer exists: its file is finished, the name waited for.
    Gone { name: PathBuf },
    /// A file shrank or was rewritten from its start: read again from 0. When a copy with
    /// the same start was found next to it (copy-truncate), the rest of what was not read
    /// yet was read from the copy.
    Truncated {
        name: PathBuf,
        copy: Option<PathBuf>,
    },
    /// An older file was read to its end and closed.
    Finished { name: PathBuf, path: PathBuf },
    /// A file is a copy of (or a compressed copy of) the file followed as `name`, so it is
    /// not read again. (A compressed copy with lines not read yet is read through its
    /// decoder instead: see [`Notice::Resumed`].)
    Recognised { name: PathBuf, path: PathBuf },
    /// A compressed file in a followed directory that is not a copy of a known file: not
    /// followed (compressed files do not grow; read them in batch mode).
    SkippedCompressed { path: PathBuf, codec: Codec },
    /// Resumed from the checkpoint.
    Resumed {
        name: PathBuf,
        path: PathBuf,
        offset: u64,
    },
    /// The checkpointed file of `name` was not found (neither under its name nor renamed or
    /// copied next to it): its lines after `offset` could not be read.
    Lost { name: PathBuf, offset: u64 },
    /// More older files of `name` were waiting to be read than a follower holds open
    /// (`limit`, while the consumer did not ask for lines): the oldest, `path`, was closed
    /// with `unread` bytes not read.
    GaveUp {
        name: PathBuf,
        path: PathBuf,
        unread: u64,
        limit: usize,
    },
    /// A file or directory cannot be read now; it is tried again.
    Unreadable { name: PathBuf, message: String },
    /// Change notification is not available; polling instead.
    Polling { reason: String },
    /// Writing the checkpoint failed; it is tried again at the next interval.
    CheckpointFailed { message: String },
    /// Notices were dropped because nobody took them.
    Dropped { count: u64 },
    /// More files are followed than may be open at once (`limit`): `files` idle ones are
    /// watched without a descriptor and reopened when they change. Said once.
    Parked { files: usize, limit: usize },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Missing { name } => {
                write!(f, "{}: no such file; waiting for it", name.display())
            }
            Notice::Following { name } => {
                write!(f, "{}: has appeared; following new file", name.display())
            }
            Notice::Appeared { name } => write!(f, "{}: new file; following it", name.display()),
            Notice::Rotated { name } => write!(
                f,
                "{}: has been replaced; finishing the old file, following the new one",
                name.display()
            ),
            Notice::Gone { name } => write!(
                f,
                "{}: has become inaccessible; finishing it",
                name.display()
            ),
            Notice::Truncated { name, copy: None } => write!(
                f,
                "{}: file truncated; reading from the start",
                name.display()
            ),
            Notice::Truncated {
                name,
                copy: Some(c),
            } => write!(
                f,
                "{}: file truncated; finished reading from its copy {}",
                name.display(),
                c.display()
            ),
            Notice::Finished { name, path } => write!(
                f,
                "{}: finished older file {}",
                name.display(),
                path.display()
            ),
            Notice::Recognised { name, path } => write!(
                f,
                "{}: copy of {}; not read again",
                path.display(),
                name.display()
            ),
            Notice::SkippedCompressed { path, codec } => {
                write!(f, "{}: {codec} compressed; not followed", path.display())
            }
            Notice::Resumed { name, path, offset } if name == path => {
                write!(f, "{}: resuming at byte {offset}", name.display())
            }
            Notice::Resumed { name, path, offset } => write!(
                f,
                "{}: resuming at byte {offset} of {}",
                name.display(),
                path.display()
            ),
            Notice::Lost { name, offset } => write!(
                f,
                "{}: checkpointed file not found; lines after byte {offset} lost",
                name.display()
            ),
            Notice::GaveUp {
                name,
                path,
                unread,
                limit,
            } => write!(
                f,
                "{}: more than {limit} older files waiting to be read; gave up {} with {unread} bytes unread",
                name.display(),
                path.display()
            ),
            Notice::Unreadable { name, message } => write!(f, "{}: {message}", name.display()),
            Notice::Polling { reason } => f.write_str(reason),
            Notice::CheckpointFailed { message } => write!(f, "writing the checkpoint: {message}"),
            Notice::Dropped { count } => write!(f, "{count} notices dropped"),
            Notice::Parked { files, limit } => write!(
                f,
                "{} watched without an open descriptor (at most {limit} files are kept open); each is reopened when it changes",
                plural(*files as u64, "file", "files")
            ),
        }
    }
}

/// `1 line`, `2 lines`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    match line.strip_suffix(b"\n") {
        Some(l) => trim_cr(l),
        None => line,
    }
}

fn deadline(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

impl Follower {
    /// The next line, waiting as long as it takes; `None` once closed (by
    /// [`CloseHandle`], `exit_on_idle`, or [`close`](Follower::close)).
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        match self.next_line_until(None) {
            Next::Line(l) => Some(l),
            _ => None,
        }
    }

    /// The next line, waiting at most `timeout` (for periodic output such as `--every`).
    pub fn next_line_timeout(&mut self, timeout: Duration) -> Next<'_> {
        self.next_line_until(deadline(timeout))
    }

    /// The next line, waiting until `deadline` (`None`: for ever).
    pub fn next_line_until(&mut self, deadline: Option<Instant>) -> Next<'_> {
        match self.step(deadline, false) {
            Step::Line { from, to } | Step::Batch { from, to } => {
                let (name, bytes, offset) = self.chunk_bytes(from, to);
                Next::Line(Line {
                    name,
                    bytes: trim_line_end(bytes),
                    offset,
                    line: self.step_line(),
                })
            }
            Step::Timeout => Next::Timeout,
            Step::Closed(r) => Next::Closed(r),
        }
    }

    /// The complete lines of the next read, waiting at most `timeout`.
    pub fn next_batch_timeout(&mut self, timeout: Duration) -> NextBatch<'_> {
        self.next_batch_until(deadline(timeout))
    }

    /// The complete lines of the next read, waiting until `deadline` (`None`: for ever).
    pub fn next_batch_until(&mut self, deadline: Option<Instant>) -> NextBatch<'_> {
        match self.step(deadline, true) {
            Step::Line { from, to } | Step::Batch { from, to } => {
                let (name, bytes, offset) = self.chunk_bytes(from, to);
                NextBatch::Batch(Batch {
                    name,
                    bytes,
                    offset,
                    line: self.step_line(),
                    origin: self.chunk_origin(),
                })
            }
            Step::Timeout => NextBatch::Timeout,
            Step::Closed(r) => NextBatch::Closed(r),
        }
    }
}

impl Iterator for Follower {
    type Item = FollowLine;

    /// The next line as an owned value (one allocation); `None` once closed.
    fn next(&mut self) -> Option<FollowLine> {
        match self.step(None, false) {
            Step::Line { from, to } | Step::Batch { from, to } => {
                let name = self.chunk_name().clone();
                let (_, bytes, offset) = self.chunk_bytes(from, to);
                Some(FollowLine {
                    name,
                    line: trim_line_end(bytes).to_vec(),
                    offset,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
