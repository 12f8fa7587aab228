//! The follower's state: streams of files, rotation, reading, checkpoints.
//!
//! A *stream* is a name followed: a path given as a file (followed by name, like `tail -F`),
//! or a file found in a followed directory. A stream has at most one *current* file (what
//! its path names now) and the older files that were rotated away from it and are still
//! being finished (*draining*, oldest first). Lines of one stream come out in the order of
//! its files: a newer file is read only when every older one has nothing more to give, so a
//! rename rotation never interleaves old and new lines.
//!
//! Every open file is also indexed by device + inode, so a file is never read twice at
//! once: in a directory followed with `app.log*`, `app.log` renamed to `app.log.1` is still
//! the file being read under its old name, and the stream of `app.log.1` only notes that it
//! is an alias.

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::checkpoint::{Entry, StateFile};
use super::error::FollowError;
use super::identity::{content_head, relate, DevIno, Fingerprint, HeadRelation};
use super::reader::{last_lines_start, Read, Reader};
use super::watcher::{Shared, Watch, Watches, DEFAULT_POLL};
use super::{Config, Notice, SourceSpec, Start};
use crate::error::InputName;
use crate::source::Codec;

mod budget;
mod restart;

use budget::Parked;

/// How many older files (rotated away, not finished yet) one stream holds open at most.
/// Past half of it, older files are closed as soon as they have nothing more to read, grace
/// period or not; past all of it (a consumer stuck through more rotations than this), the
/// oldest is given up with a [`Notice::GaveUp`], so a burst of rotations cannot exhaust
/// descriptors.
pub(super) const MAX_DRAINING: usize = 16;
/// How many finished files are remembered (to recognise them, or compressed copies of them,
/// and not read them again).
const MAX_KNOWN: usize = 1024;
/// How many notices wait for [`Follower::take_notices`](super::Follower::take_notices); older ones are dropped.
const MAX_NOTICES: usize = 1024;
/// With change notification, the safety-net pass over everything (missed events, NFS,
/// parent directories that do not exist yet).
const SAFETY_TICK: Duration = Duration::from_secs(1);
/// While older files are being finished (writes to a deleted or moved-away file send no
/// event to the directory's watch).
const DRAIN_TICK: Duration = Duration::from_millis(100);
/// A directory is listed again on a create/delete/rename event, or at least this often.
const DIR_TICK: Duration = Duration::from_secs(1);
/// While lines keep coming, change events are looked at no more often than this.
const BUSY_RESCAN: Duration = Duration::from_millis(5);

/// A copy of a file next to it (copy-truncate's, perhaps compressed since), open.
struct Copy {
    path: PathBuf,
    file: File,
    id: DevIno,
    compressed: bool,
}

/// A file that was read to its end and closed.
#[derive(Debug, Clone)]
struct Known {
    name: PathBuf,
    id: DevIno,
    fp: Fingerprint,
    /// Where it was closed: its end.
    end: u64,
    committed: u64,
    delivered: u64,
    /// Given up with bytes unread, and the notice saying so not yet taken: until it is,
    /// the checkpoint keeps the file `live` (a restart reads the rest) rather than `done`
    /// (never looked at again), so a crash between the two cannot lose lines unsaid.
    unsaid: bool,
    /// The file it is a copy of (see [`Reader::copy_of`]).
    copy_of: Option<DevIno>,
    /// The offset of its line 1 (see [`Reader::line_origin`]): a file entered by binary
    /// search that comes back goes on numbering as before.
    line_origin: u64,
}

/// A name followed.
#[derive(Debug)]
struct Stream {
    name: Arc<InputName>,
    path: PathBuf,
    /// Found in a followed directory (dropped when it is gone and finished).
    from_dir: bool,
    /// At start-up, with no checkpoint for it: the start position applies.
    fresh: bool,
    current: Option<Reader>,
    draining: VecDeque<Reader>,
    /// The file at `path` is read through another stream.
    alias: Option<DevIno>,
    /// The file at `path` is deliberately not read (a copy, a compressed file), until its
    /// size changes.
    ignored: Option<(DevIno, u64)>,
    /// A problem with `path` was reported (reported once until it changes).
    reported: Option<String>,
    /// Found by listing its directory, not yet opened: announced once, when it is.
    appeared: bool,
    /// Its current file, closed to stay within the open-file budget while it is idle:
    /// reopened (by path, identity checked) when it changes.
    parked: Option<Parked>,
    /// The file last said to be left alone (compressed, a copy): said once per file, not
    /// again each time it grows while it is being written.
    noticed_ignored: Option<DevIno>,
    /// When the name was last looked at (the time taken before looking) and still named
    /// its current file: generations created after it and rotated away before the next
    /// look are looked for when that look finds a new file (see
    /// [`Core::missed_generations`]).
    seen_at: Option<SystemTime>,
}

impl Stream {
    fn new(path: PathBuf, from_dir: bool) -> Stream {
        Stream {
            name: Arc::new(InputName::Path(path.clone())),
            path,
            from_dir,
            fresh: true,
            current: None,
            draining: VecDeque::new(),
            alias: None,
            ignored: None,
            reported: None,
            appeared: false,
            noticed_ignored: None,
            parked: None,
            seen_at: None,
        }
    }

    fn readers(&self) -> impl Iterator<Item = &Reader> {
        self.draining.iter().chain(self.current.iter())
    }

    fn readers_mut(&mut self) -> impl Iterator<Item = &mut Reader> {
        self.draining.iter_mut().chain(self.current.iter_mut())
    }

    fn is_idle(&self) -> bool {
        self.current.is_none() && self.draining.is_empty() && self.parked.is_none()
    }
}

/// Which reader the lines in the chunk belong to. The serial number identifies it; the
/// stream index is only where it was when the chunk was read (the discovery thread may
/// have dropped streams since), tried first because it is almost always still right.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner {
    stream: usize,
    serial: u64,
}

impl Owner {
    /// The reader's serial number: unique within a follower.
    pub(super) fn serial(self) -> u64 {
        self.serial
    }
}

/// Complete lines read into the caller's chunk by [`Core::fill`] or
/// [`Core::retire_finished`]: `chunk[..end]`, the first byte at file offset `base`.
#[derive(Debug, Clone)]
pub(super) struct Filled {
    pub base: u64,
    pub end: usize,
    pub name: Arc<InputName>,
    pub owner: Owner,
    /// A final partial line: its end is not a line end.
    pub last: bool,
}

/// What [`Core::retire_finished`] did.
pub(super) enum Retired {
    /// Nothing to close.
    Nothing,
    /// Something changed (a truncated older file replaced by its copy): read again.
    Again,
    /// A finished file's last, incomplete line, to hand out before it is closed.
    Partial(Filled),
}

/// What closing found.
pub(super) struct Shut {
    pub files: usize,
    pub held: usize,
    pub checkpoint: Result<Option<PathBuf>, FollowError>,
}

/// Everything a follower knows about its files, behind one lock shared by the consumer
/// (which reads lines) and the discovery thread (which finds and opens files while the
/// consumer is busy elsewhere): see [`super::discover`].
pub(super) struct Core {
    cfg: Config,
    sources: Vec<SourceSpec>,
    streams: Vec<Stream>,
    shared: Arc<Shared>,
    watches: Watches,
    pub(super) tick: Duration,
    known: VecDeque<Known>,
    state: Option<StateFile>,
    serial: u64,
    scratch: Vec<u8>,
    rr: usize,

    notices: VecDeque<Notice>,
    notices_dropped: u64,
    pub(super) last_rescan: Instant,
    next_tick: Instant,
    next_dir_scan: Instant,
    next_checkpoint: Instant,
    /// Closed (or abandoned): the discovery thread stops.
    pub(super) closed: bool,
    /// How many files may be open at once (see [`super::limits`]).
    max_open: usize,
    /// The notice that files are watched without a descriptor was given.
    parking_said: bool,
    /// A closed file changed but there was no room to reopen it: look again as soon as
    /// the open files have been read (then idle ones can be closed).
    pub(super) parked_waiting: bool,
    /// A file was opened or replaced since the last checkpoint: write one now, not at the
    /// next interval (a file first opened after the last checkpoint and rotated away while
    /// no follower runs would otherwise be unknown to the next run).
    files_changed: bool,
}

impl Core {
    pub(super) fn open(
        cfg: Config,
        specs: Vec<SourceSpec>,
        shared: Arc<Shared>,
    ) -> Result<Core, FollowError> {
        if specs.is_empty() {
            return Err(FollowError::NoSources);
        }
        // Globs are compiled once here so that a bad one is reported before anything runs.
        if !cfg.globs.is_empty() {
            crate::source::Find::new(Vec::<PathBuf>::new())
                .globs(cfg.globs.iter().cloned())
                .walk()?;
        }
        let (watches, fallback) = Watches::new(cfg.watch, &shared).map_err(FollowError::Watch)?;
        let tick = match cfg.watch {
            Watch::Poll(d) if !d.is_zero() => d,
            Watch::Poll(_) => DEFAULT_POLL,
            _ if watches.notifying() => SAFETY_TICK,
            _ => DEFAULT_POLL,
        };
        let mut state = cfg.state.as_ref().map(StateFile::new);
        let saved = match state.as_mut() {
            Some(s) => {
                s.lock()?;
                s.load()?
            }
            None => Vec::new(),
        };
        let max_open = cfg.max_open.unwrap_or_else(super::limits::default_max_open);
        let now = Instant::now();
        let mut f = Core {
            sources: specs
                .into_iter()
                .map(|s| match s {
                    SourceSpec::Path(p) if p.is_dir() => SourceSpec::Dir(p),
                    SourceSpec::Path(p) => SourceSpec::File(p),
                    other => other,
                })
                .collect(),
            cfg,
            streams: Vec::new(),
            shared,
            watches,
            tick,
            known: VecDeque::new(),
            state,
            serial: 0,
            scratch: Vec::new(),
            rr: 0,
            notices: VecDeque::new(),
            notices_dropped: 0,
            last_rescan: now,
            next_tick: now,
            next_dir_scan: now,
            next_checkpoint: now,
            closed: false,
            max_open,
            parking_said: false,
            parked_waiting: false,
            files_changed: false,
        };
        if let Some(msg) = fallback {
            f.notice(Notice::Polling { reason: msg });
        }
        f.start(saved)?;
        Ok(f)
    }

    /// Whether change notification (rather than polling) is in use.
    pub(super) fn is_notifying(&self) -> bool {
        self.watches.notifying()
    }

    /// Move the notices gathered so far to `out` (with a note of any that were dropped).
    pub(super) fn take_notices(&mut self, out: &mut VecDeque<Notice>) {
        if self.notices_dropped > 0 {
            let n = self.notices_dropped;
            self.notices_dropped = 0;
            self.notices.push_back(Notice::Dropped { count: n });
        }
        out.append(&mut self.notices);
        for k in &mut self.known {
            k.unsaid = false;
        }
    }

    /// Every line handed out so far counts as processed.
    pub(super) fn commit(&mut self) {
        for s in &mut self.streams {
            for r in s.readers_mut() {
                r.committed = r.delivered;
            }
            if let Some(p) = s.parked.as_mut() {
                p.committed = p.delivered;
            }
        }
        for k in &mut self.known {
            k.committed = k.delivered;
        }
    }

    /// Write the checkpoint now (when there is a state file and something changed).
    pub(super) fn checkpoint(&mut self) -> Result<bool, FollowError> {
        let entries = self.entries();
        match self.state.as_mut() {
            Some(s) => s.save(&entries),
            None => Ok(false),
        }
    }

    fn notice(&mut self, n: Notice) {
        if self.notices.len() >= MAX_NOTICES {
            self.notices.pop_front();
            self.notices_dropped += 1;
        }
        self.notices.push_back(n);
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    // ----- start-up -------------------------------------------------------------------

    fn start(&mut self, saved: Vec<Entry>) -> Result<(), FollowError> {
        // Streams: every file source, every file in every directory source, and every
        // checkpointed name inside a directory source (it may have been rotated away).
        let sources = self.sources.clone();
        for s in &sources {
            match s {
                SourceSpec::File(p) | SourceSpec::Path(p) => self.add_stream(p.clone(), false),
                SourceSpec::Dir(d) => {
                    for p in self.list_dir(d) {
                        self.add_stream(p, true);
                    }
                    for e in &saved {
                        if e.name.starts_with(d) && self.matches_globs(&e.name) {
                            self.add_stream(e.name.clone(), true);
                        }
                    }
                }
            }
        }
        // Resume from the checkpoint first, so that aliases are recognised afterwards. A
        // stream whose checkpointed file is no longer at its name was rotated while no
        // follower ran: what was written since, in generations nobody saw, is found next.
        let saved_at = self.state.as_ref().and_then(|s| s.modified());
        // Per stream: whether its newest checkpointed file is no longer at its name, and
        // the oldest time a generation nobody saw can have (the last save, or the last
        // write to the oldest checkpointed file still being read, if earlier).
        let mut rotated: Vec<(usize, bool, SystemTime)> = Vec::new();
        for e in &saved {
            if let Some(i) = self.streams.iter().position(|s| s.path == e.name) {
                self.streams[i].fresh = false;
                let live = !e.done;
                let found = self.restore(i, e);
                if !live {
                    continue;
                }
                let k = match rotated.iter().position(|r| r.0 == i) {
                    Some(k) => k,
                    None => {
                        let t = saved_at.unwrap_or(SystemTime::UNIX_EPOCH);
                        rotated.push((i, false, t));
                        rotated.len() - 1
                    }
                };
                // The newest checkpointed file of the name decides (older ones first).
                match found {
                    Some((at, _)) if at == e.name => rotated[k].1 = false,
                    Some((_, mtime)) => {
                        rotated[k].1 = true;
                        rotated[k].2 = rotated[k].2.min(mtime);
                    }
                    None => rotated[k].1 = true,
                }
            } else if e.done {
                self.remember_entry(e);
            }
        }
        for (i, _, since) in rotated.into_iter().filter(|r| r.1) {
            self.unseen_generations(i, since);
        }
        // Names followed for the first time: what is already rotated next to them is old.
        for i in 0..self.streams.len() {
            let s = &self.streams[i];
            if s.fresh && !s.from_dir {
                self.remember_existing(i);
            }
        }
        self.ensure_watches()?;
        let now = Instant::now();
        for i in 0..self.streams.len() {
            self.check_stream(i, now);
        }
        for s in &mut self.streams {
            s.fresh = false;
        }
        self.say_parking();
        self.last_rescan = now;
        self.next_tick = now + self.tick;
        self.next_dir_scan = now + DIR_TICK.max(self.tick);
        self.next_checkpoint = now + self.cfg.checkpoint_every;
        self.files_changed = true;
        Ok(())
    }

    fn add_stream(&mut self, path: PathBuf, from_dir: bool) {
        if !self.streams.iter().any(|s| s.path == path) {
            self.streams.push(Stream::new(path, from_dir));
        }
    }

    fn matches_globs(&self, path: &Path) -> bool {
        if self.cfg.globs.is_empty() {
            return true;
        }
        let Some(name) = path.file_name() else {
            return false;
        };
        // Reuse `find`'s glob semantics on a one-entry "walk" would be heavy; a glob here is
        // compiled by globset exactly as `find` does.
        globset_match(&self.cfg.globs, Path::new(name))
    }

    fn list_dir(&mut self, dir: &Path) -> Vec<PathBuf> {
        let find = crate::source::Find::new([dir]).globs(self.cfg.globs.iter().cloned());
        let mut out = Vec::new();
        for item in find {
            match item {
                Ok(p) => out.push(p),
                Err(e) => {
                    let msg = e.to_string();
                    self.notice(Notice::Unreadable {
                        name: dir.to_path_buf(),
                        message: msg,
                    });
                }
            }
        }
        out
    }

    fn remember_entry(&mut self, e: &Entry) {
        self.remember(Known {
            name: e.name.clone(),
            id: e.id,
            fp: e.fp,
            end: e.offset,
            committed: e.offset,
            delivered: e.offset,
            unsaid: false,
            copy_of: e.copy_of,
            line_origin: 0,
        });
    }

    fn remember(&mut self, k: Known) {
        if self.known.len() >= MAX_KNOWN {
            self.known.pop_front();
        }
        self.known.push_back(k);
    }

    // ----- watching and rescanning ------------------------------------------------------

    fn ensure_watches(&mut self) -> Result<(), FollowError> {
        let mut dirs: Vec<(PathBuf, bool)> = Vec::new();
        for s in &self.sources {
            match s {
                SourceSpec::Dir(d) => dirs.push((d.clone(), true)),
                SourceSpec::File(p) | SourceSpec::Path(p) => {
                    dirs.push((parent_dir(p), false));
                }
            }
        }
        for (d, rec) in dirs {
            match self.watches.ensure(&d, rec) {
                Ok(None) => {}
                Ok(Some(msg)) => {
                    self.tick = match self.cfg.watch {
                        Watch::Poll(t) if !t.is_zero() => t,
                        _ => DEFAULT_POLL,
                    };
                    self.notice(Notice::Polling { reason: msg });
                }
                Err(msg) => return Err(FollowError::Watch(msg)),
            }
        }
        Ok(())
    }

    pub(super) fn rescan(&mut self, now: Instant) {
        self.last_rescan = now;
        let has_draining = self.streams.iter().any(|s| !s.draining.is_empty());
        self.next_tick = now
            + if has_draining {
                self.tick.min(DRAIN_TICK)
            } else {
                self.tick
            };
        let structure = self.shared.take_structure();
        if structure || now >= self.next_dir_scan {
            self.next_dir_scan = now + DIR_TICK.max(self.tick);
            let _ = self.ensure_watches();
            let dirs: Vec<PathBuf> = self
                .sources
                .iter()
                .filter_map(|s| match s {
                    SourceSpec::Dir(d) => Some(d.clone()),
                    _ => None,
                })
                .collect();
            for d in dirs {
                for p in self.list_dir(&d) {
                    if !self.streams.iter().any(|s| s.path == p) {
                        let mut s = Stream::new(p, true);
                        s.fresh = false;
                        s.appeared = true;
                        self.streams.push(s);
                    }
                }
            }
        }
        for i in 0..self.streams.len() {
            self.check_stream(i, now);
        }
        self.say_parking();
        // Forget directory streams whose file is gone and finished.
        let before = self.streams.len();
        self.streams
            .retain(|s| !(s.from_dir && s.is_idle() && s.alias.is_none() && !s.path.exists()));
        if self.streams.len() != before {
            self.rr = 0;
        }
    }

    /// Look at one stream's path: rotated, truncated, gone, appeared?
    fn check_stream(&mut self, i: usize, now: Instant) {
        // Older files that shrank are finished: a copy-truncate of a rotated file is not
        // a rotation scheme, and their remaining bytes are gone anyway.
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut shrunk = Vec::new();
        for r in self.streams[i].draining.iter() {
            if let Ok(m) = r.file.metadata() {
                if r.truncated(m.len(), &mut scratch).unwrap_or(false) {
                    shrunk.push(r.serial);
                }
            }
        }
        for serial in shrunk {
            self.on_truncated(i, Some(serial));
        }

        let path = self.streams[i].path.clone();
        let looked_at = SystemTime::now();
        let looked = fs::metadata(&path).ok();
        if self.streams[i].parked.is_some() && self.look_at_parked(i, looked.as_ref()) {
            self.scratch = scratch;
            return;
        }
        let meta = match fs::metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(_) => {
                self.path_gone(i, now, Some("not a regular file".into()));
                self.scratch = scratch;
                return;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.path_gone(i, now, None);
                self.scratch = scratch;
                return;
            }
            Err(e) => {
                self.path_gone(i, now, Some(e.to_string()));
                self.scratch = scratch;
                return;
            }
        };
        let id = DevIno::of(&meta);
        let s = &mut self.streams[i];
        if let Some(cur) = s.current.as_mut() {
            if cur.id == id {
                s.seen_at = Some(looked_at);
                match cur.truncated(meta.len(), &mut scratch) {
                    // Its first bytes are learnt as soon as they are written, read or not:
                    // a consumer that lags far behind would otherwise know nothing of a
                    // generation that copy-truncate replaces before it read a byte of it
                    // (and could neither see that truncation nor find its copy).
                    Ok(false) => cur.learn_head(meta.len()),
                    Ok(true) => self.on_truncated(i, None),
                    Err(e) => {
                        let msg = e.to_string();
                        self.report(i, msg);
                    }
                }
                self.scratch = scratch;
                return;
            }
        }
        self.scratch = scratch;
        if s.alias == Some(id) && self.is_open(id) {
            return;
        }
        let s = &mut self.streams[i];
        if s.ignored == Some((id, meta.len())) {
            return;
        }
        s.alias = None;
        s.ignored = None;
        s.reported = None;
        let seen_at = s.seen_at.take();
        if let Some(mut cur) = s.current.take() {
            cur.last_growth = now;
            // The later of the last look and the old file's last change: what was written
            // before that is not a generation nobody saw.
            let since = cur
                .file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .into_iter()
                .chain(seen_at)
                .max();
            let name = s.path.clone();
            self.notice(Notice::Rotated { name });
            self.hold_older(i, cur);
            // Only where the file system says when files were created: see there.
            if let (Some(since), Some(_), Ok(born)) = (since, seen_at, meta.created()) {
                self.missed_generations(i, since, born);
            }
        }
        self.adopt(i, &path, &meta, id);
        let s = &mut self.streams[i];
        if s.current.as_ref().is_some_and(|c| c.id == id) {
            s.seen_at = Some(looked_at);
        }
    }

    /// Keep `r` (rotated away from stream `i`) open until it is finished, within
    /// [`MAX_DRAINING`]: past it, a finished older file is closed, or else the oldest is
    /// given up and the loss said.
    fn hold_older(&mut self, i: usize, r: Reader) {
        let s = &mut self.streams[i];
        s.draining.push_back(r);
        if s.draining.len() <= MAX_DRAINING {
            return;
        }
        let done = s
            .draining
            .iter()
            .position(|r| r.at_eof && r.partial.is_empty() && r.size() == Some(r.read_pos));
        let name = s.path.clone();
        if let Some(k) = done {
            if let Some(r) = s.draining.remove(k) {
                let path = r.path.clone();
                self.notice(Notice::Finished { name, path });
                self.retire(r);
            }
            return;
        }
        if let Some(r) = s.draining.pop_front() {
            let unread =
                r.size().unwrap_or(r.read_pos).saturating_sub(r.read_pos) + r.partial.len() as u64;
            self.notice(Notice::GaveUp {
                path: where_now(&name, &r),
                name,
                unread,
                limit: MAX_DRAINING,
            });
            self.retire(r);
            if let Some(k) = self.known.back_mut() {
                k.unsaid = unread > 0;
            }
        }
    }

    fn report(&mut self, i: usize, msg: String) {
        let s = &mut self.streams[i];
        if s.reported.as_deref() != Some(msg.as_str()) {
            s.reported = Some(msg.clone());
            let name = s.path.clone();
            self.notice(Notice::Unreadable { name, message: msg });
        }
    }

    /// The path names nothing readable now: its file (if any) is finished as an older
    /// file, and the name is waited for.
    fn path_gone(&mut self, i: usize, now: Instant, problem: Option<String>) {
        let s = &mut self.streams[i];
        s.alias = None;
        s.ignored = None;
        if let Some(mut cur) = s.current.take() {
            cur.last_growth = now;
            let name = s.path.clone();
            self.notice(Notice::Gone { name });
            self.hold_older(i, cur);
        }
        match problem {
            Some(msg) => self.report(i, msg),
            None => {
                let s = &mut self.streams[i];
                if s.reported.is_none() && !s.from_dir {
                    s.reported = Some(String::from("missing"));
                    let name = s.path.clone();
                    self.notice(Notice::Missing { name });
                }
            }
        }
    }

    /// Whether the file `id` is being read (open, or parked without its descriptor).
    fn is_open(&self, id: DevIno) -> bool {
        self.streams.iter().any(|s| {
            s.readers().any(|r| r.id == id) || s.parked.as_ref().is_some_and(|p| p.id == id)
        })
    }

    /// A file at a stream's path that no reader has: read it (from where?), or note that
    /// it is read elsewhere, or leave it alone (compressed, a copy of a file being read).
    fn adopt(&mut self, i: usize, path: &Path, meta: &fs::Metadata, id: DevIno) {
        if self.is_open(id) {
            self.streams[i].alias = Some(id);
            return;
        }
        let size = meta.len();
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.report(i, e.to_string());
                return;
            }
        };
        // The name may have been given to another file since it was looked at (a rotation
        // in between): that one is not `id`, and is adopted at the next look, as itself —
        // taken as `id`, it would be read again from its start when that look finds the
        // name's file is not `id`.
        if file.metadata().map(|m| DevIno::of(&m)).ok() != Some(id) {
            return;
        }
        let mut magic = [0u8; crate::source::open::MAGIC_LEN];
        let n = super::identity::read_full_at(&file, &mut magic, 0).unwrap_or(0);
        let codec = crate::source::detect(&magic[..n]);
        if codec != Codec::Plain {
            self.streams[i].ignored = Some((id, size));
            if !self.first_notice_of(i, id) {
                return;
            }
            let known = content_head(path)
                .ok()
                .and_then(|(_, head)| self.known_content(&head));
            match known {
                Some(of) => self.notice(Notice::Recognised {
                    name: of,
                    path: path.to_path_buf(),
                }),
                None => self.notice(Notice::SkippedCompressed {
                    path: path.to_path_buf(),
                    codec,
                }),
            }
            return;
        }
        let serial = self.next_serial();
        let name = self.streams[i].name.clone();
        let mut r = match Reader::open(serial, name, path.to_path_buf(), file, id, 0) {
            Ok(r) => r,
            Err(e) => {
                self.report(i, e.to_string());
                return;
            }
        };
        // A finished file that came back (renamed into view): go on from where it ended.
        if let Some(k) = self
            .known
            .iter()
            .position(|k| k.id == id && k.fp.matches(r.head.bytes()) && size >= k.end)
        {
            if let Some(k) = self.known.remove(k) {
                r.read_pos = k.end;
                r.delivered = k.delivered;
                r.committed = k.committed;
                r.copy_of = k.copy_of;
                r.line_origin = k.line_origin;
                self.streams[i].current = Some(r);
                return;
            }
        }
        if self.streams[i].from_dir {
            // A copy of a file being read (copy-truncate's copy, perhaps still being
            // written) or of a finished one: not new lines.
            let copy_of = self.streams.iter().find_map(|s| {
                s.readers().find_map(|o| {
                    let rel = relate(r.head.bytes(), o.head.bytes());
                    let copy = !o.head.bytes().is_empty()
                        && (rel == HeadRelation::Covers || rel == HeadRelation::PrefixOf);
                    copy.then(|| s.path.clone())
                })
            });
            let copy_of = copy_of.or_else(|| {
                self.known
                    .iter()
                    .find(|k| k.fp.len > 0 && k.fp.matches(r.head.bytes()))
                    .map(|k| k.name.clone())
            });
            if let Some(of) = copy_of {
                if self.first_notice_of(i, id) {
                    self.notice(Notice::Recognised {
                        name: of,
                        path: path.to_path_buf(),
                    });
                }
                self.streams[i].ignored = Some((id, size));
                return;
            }
        }
        let s = &self.streams[i];
        let start = if s.fresh {
            self.cfg.start
        } else {
            Start::Beginning
        };
        let pos = match (start, &self.cfg.since_seek) {
            // `--from-start --since`: a file there at the start, without a checkpoint, is
            // entered where a batch read of the range would start (not after a restart from
            // a checkpoint, which goes on where it was, nor in a file that appears later).
            (Start::Beginning, Some(seek)) if s.fresh => {
                let at = crate::source::timerange::follow_start(
                    &r.file,
                    size,
                    &seek.range,
                    &seek.counters,
                );
                r.line_origin = at;
                at
            }
            (Start::Beginning, _) => 0,
            (Start::End, _) => size,
            (Start::LastLines(n), _) => last_lines_start(&r.file, size, n).unwrap_or(0),
        };
        r.read_pos = pos;
        r.delivered = pos;
        r.committed = pos;
        self.files_changed = true;
        // Announced once: a file found in a directory as new, a followed name as having
        // appeared (again).
        let name = path.to_path_buf();
        match (s.fresh, s.appeared) {
            (true, _) => {}
            (false, true) => self.notice(Notice::Appeared { name }),
            (false, false) => self.notice(Notice::Following { name }),
        }
        let s = &mut self.streams[i];
        s.appeared = false;
        s.current = Some(r);
        self.keep_budget(i);
    }

    /// Whether the file `id` at stream `i`'s path is to be announced as left alone: only
    /// the first time (a file being written, compressed, changes size at every look).
    fn first_notice_of(&mut self, i: usize, id: DevIno) -> bool {
        let s = &mut self.streams[i];
        s.appeared = false;
        s.noticed_ignored.replace(id) != Some(id)
    }

    /// The name of a known (finished or open) file whose content starts like `head`.
    fn known_content(&self, head: &[u8]) -> Option<PathBuf> {
        for s in &self.streams {
            for r in s.readers() {
                if !r.head.bytes().is_empty()
                    && relate(head, r.head.bytes()) == HeadRelation::Covers
                {
                    return Some(s.path.clone());
                }
            }
        }
        self.known
            .iter()
            .find(|k| k.fp.len > 0 && k.fp.matches(head))
            .map(|k| k.name.clone())
    }

    /// A file of stream `i` (its current file, or the older one with `serial`) was
    /// truncated. If copy-truncate left a copy next to it (same first bytes, at least as
    /// long as what was read; plain, or compressed by a `compress` that ran before we
    /// looked), the rest is read from the copy, in its place. Then the current file starts
    /// again at 0; an older file is finished.
    fn on_truncated(&mut self, i: usize, serial: Option<u64>) {
        let path = self.streams[i].path.clone();
        let s = &self.streams[i];
        let at = match serial {
            None if s.current.is_none() => return,
            None => None,
            Some(k) => match s.draining.iter().position(|r| r.serial == k) {
                Some(at) => Some(at),
                None => return,
            },
        };
        let found = {
            let r = match at {
                None => s.current.as_ref(),
                Some(at) => s.draining.get(at),
            };
            match r {
                Some(r) => self.find_copy(&path, r),
                None => return,
            }
        };
        let new_serial = self.next_serial();
        self.files_changed = true;
        let s = &mut self.streams[i];
        let Some(r) = (match at {
            None => s.current.as_mut(),
            Some(at) => s.draining.get_mut(at),
        }) else {
            return;
        };
        // The copy goes on with the same bytes at the same offsets: it takes the serial
        // of the reader it replaces, so lines of it still being handed out are recorded
        // in the right place; the restarted file gets a new one.
        let mut problem = None;
        let copy = found.and_then(|c| {
            let opened = if c.compressed {
                Reader::open_decoded(r.serial, r.name.clone(), c.path.clone(), c.file, c.id, 0)
            } else {
                Reader::open(r.serial, r.name.clone(), c.path.clone(), c.file, c.id, 0)
            };
            match opened {
                Ok(mut copy) => {
                    copy.head = r.head.clone();
                    copy.read_pos = r.read_pos;
                    copy.partial = std::mem::take(&mut r.partial);
                    copy.delivered = r.delivered;
                    copy.committed = r.committed;
                    copy.finite = true;
                    copy.copy_of = Some(r.copy_of.unwrap_or(r.id));
                    copy.line_origin = r.line_origin;
                    Some(copy)
                }
                Err(e) => {
                    problem = Some(format!("{}: {e}", c.path.display()));
                    None
                }
            }
        });
        r.serial = new_serial;
        let copy_path = copy.as_ref().map(|c| c.path.clone());
        match at {
            None => {
                if let Some(copy) = copy {
                    s.draining.push_back(copy);
                }
                if let Some(r) = s.current.as_mut() {
                    if let Err(e) = r.restart() {
                        problem = Some(e.to_string());
                    }
                }
            }
            Some(at) => {
                let old = match copy {
                    Some(copy) => {
                        // Its lines go on in the copy, which carries its offsets: the
                        // old file is done with (a restart must not read them again).
                        let mut old = std::mem::replace(&mut s.draining[at], copy);
                        old.delivered = old.read_pos;
                        old.committed = old.read_pos;
                        Some(old)
                    }
                    None => s.draining.remove(at),
                };
                if let Some(old) = old {
                    self.retire(old);
                }
            }
        }
        self.notice(Notice::Truncated {
            name: path,
            copy: copy_path,
        });
        if let Some(msg) = problem {
            self.report(i, msg);
        }
    }

    /// A file next to `path` that is a copy of `r`'s file as far as it was read: same
    /// first bytes, at least as long, not open already. The newest plain one if there are
    /// several; a compressed one (whose decoded start matches) only if there is none.
    fn find_copy(&self, path: &Path, r: &Reader) -> Option<Copy> {
        if r.head.bytes().is_empty() {
            return None;
        }
        let mut found: Option<(Copy, std::time::SystemTime)> = None;
        let mut compressed: Option<Copy> = None;
        let mut buf = Vec::new();
        for c in siblings(path) {
            let Ok(meta) = fs::metadata(&c) else { continue };
            let id = DevIno::of(&meta);
            if !meta.is_file() || id == r.id || self.is_open(id) {
                continue;
            }
            let Ok(file) = File::open(&c) else { continue };
            let mut magic = [0u8; crate::source::open::MAGIC_LEN];
            let n = super::identity::read_full_at(&file, &mut magic, 0).unwrap_or(0);
            if crate::source::detect(&magic[..n]) != Codec::Plain {
                if compressed.is_none()
                    && content_head(&c)
                        .is_ok_and(|(_, h)| relate(&h, r.head.bytes()) == HeadRelation::Covers)
                {
                    compressed = Some(Copy {
                        path: c,
                        file,
                        id,
                        compressed: true,
                    });
                }
                continue;
            }
            if meta.len() < r.read_pos || !r.head.still_matches(&file, &mut buf).unwrap_or(false) {
                continue;
            }
            let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            if found.as_ref().is_none_or(|f| mtime > f.1) {
                let copy = Copy {
                    path: c,
                    file,
                    id,
                    compressed: false,
                };
                found = Some((copy, mtime));
            }
        }
        found.map(|f| f.0).or(compressed)
    }

    // ----- reading ----------------------------------------------------------------------

    /// [`Self::fill`], then a checkpoint at once if a file was opened or replaced (so that
    /// a restart knows it); whether lines were read.
    pub(super) fn fill_then_checkpoint(
        &mut self,
        now: Instant,
        chunk: &mut Vec<u8>,
    ) -> Option<Filled> {
        let read = self.fill(chunk);
        if read.is_some() && self.files_changed {
            self.maybe_checkpoint(now);
        }
        read
    }

    /// The identity of the file a chunk was read from (device and inode, and its first
    /// bytes as read so far), while that file is still tracked.
    pub(super) fn origin(&self, o: Owner) -> Option<(DevIno, &[u8])> {
        // A copy's lines are named by the file it copies (see `Reader::copy_of`).
        self.reader(o)
            .map(|r| (r.copy_of.unwrap_or(r.id), r.head.bytes()))
    }

    /// The plain (not decoded) file a chunk was read from, opened anew, to count the lines
    /// before the chunk outside the lock (see [`super::numbering`]).
    /// The plain file of `o` (to count its lines in) and the offset of its line 1
    /// ([`Reader::line_origin`]); `None` for a decoded one.
    pub(super) fn plain_file(&self, o: Owner) -> Option<(std::fs::File, u64)> {
        let r = self.reader(o)?;
        if r.decoded.is_some() {
            return None;
        }
        Some((r.file.try_clone().ok()?, r.line_origin))
    }

    fn reader(&self, o: Owner) -> Option<&Reader> {
        self.streams
            .get(o.stream)?
            .readers()
            .find(|r| r.serial == o.serial)
    }

    /// Read the next chunk of complete lines from some stream. Streams take turns; within
    /// a stream, older files first.
    fn fill(&mut self, chunk: &mut Vec<u8>) -> Option<Filled> {
        let n = self.streams.len();
        let mut scratch = std::mem::take(&mut self.scratch);
        let max_line = self.cfg.max_line.max(1);
        let mut got = None;
        'streams: for k in 0..n {
            let si = (self.rr + k) % n;
            let mut slot = 0;
            loop {
                let s = &mut self.streams[si];
                let n_draining = s.draining.len();
                let r = if slot < s.draining.len() {
                    &mut s.draining[slot]
                } else if slot == s.draining.len() {
                    match s.current.as_mut() {
                        Some(r) => r,
                        None => break,
                    }
                } else {
                    break;
                };
                let head_was_empty = r.head.is_empty();
                let read = r.read(chunk, max_line, &mut scratch);
                if head_was_empty && !r.head.is_empty() {
                    // Its first bytes are known now: checkpoint them before any of its
                    // lines goes out, so that after a crash it can be told apart from
                    // what replaced it (and its copy found).
                    self.files_changed = true;
                }
                match read {
                    Ok(Read::Lines { base, end }) => {
                        got = Some(Filled {
                            base,
                            end,
                            name: r.name.clone(),
                            owner: Owner {
                                stream: si,
                                serial: r.serial,
                            },
                            last: false,
                        });
                        self.rr = (si + 1) % n;
                        break 'streams;
                    }
                    Ok(Read::Partial) => continue,
                    Ok(Read::Eof) => {
                        // An older file that ends in an incomplete line: its writer may still
                        // finish it, so the newer files of this stream wait (at most the
                        // grace period, then it is handed out as it is) to keep lines in
                        // order.
                        if slot < n_draining {
                            if !r.partial.is_empty() {
                                break;
                            }
                            // Truncated since (copy-truncate, then renamed away before anyone
                            // looked)? Then its copy has the rest, which comes before anything
                            // newer.
                            if !r.finite {
                                let size = r.file.metadata().map(|m| m.len()).unwrap_or(0);
                                if r.truncated(size, &mut scratch).unwrap_or(false) {
                                    let serial = r.serial;
                                    self.on_truncated(si, Some(serial));
                                    continue;
                                }
                            }
                        }
                        slot += 1;
                    }
                    Ok(Read::Truncated) => {
                        let serial = s.draining.get(slot).map(|r| r.serial);
                        self.on_truncated(si, serial);
                    }
                    Ok(Read::Compressed(codec)) => {
                        // Rewritten in place as compressed data (or a new file that is
                        // compressed): its bytes are not lines. Said, and left alone
                        // until it changes.
                        let r = if slot < n_draining {
                            s.draining.remove(slot)
                        } else {
                            s.current.take()
                        };
                        if let Some(r) = r {
                            let size = r.size().unwrap_or(0);
                            if slot >= n_draining {
                                s.ignored = Some((r.id, size));
                            }
                            if self.first_notice_of(si, r.id) {
                                self.notice(Notice::SkippedCompressed {
                                    path: r.path.clone(),
                                    codec,
                                });
                            }
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        let is_current = slot == s.draining.len();
                        if is_current {
                            // Dropped; the next pass opens the path again.
                            s.current = None;
                        } else {
                            s.draining.remove(slot);
                        }
                        self.report(si, msg);
                    }
                }
            }
        }
        self.scratch = scratch;
        got
    }

    /// Close the older files that are finished: nothing more to read, and quiet for the
    /// grace period (or a copy, or too many). A held partial line is handed out first, as
    /// their last line: no writer will complete it now.
    pub(super) fn retire_finished(&mut self, now: Instant, chunk: &mut Vec<u8>) -> Retired {
        let grace = self.cfg.rotate_grace;
        for si in 0..self.streams.len() {
            let s = &mut self.streams[si];
            let crowded = s.draining.len() > MAX_DRAINING / 2;
            let Some(k) = s.draining.iter().position(|r| {
                r.at_eof && (r.finite || crowded || now.duration_since(r.last_growth) >= grace)
            }) else {
                continue;
            };
            let r = &mut s.draining[k];
            // Truncated since it was last read (copy-truncate, then rotated away before
            // anyone looked)? Then its copy has the rest.
            if !r.finite {
                let size = r.file.metadata().map(|m| m.len()).unwrap_or(0);
                if r.truncated(size, &mut self.scratch).unwrap_or(false) {
                    let serial = r.serial;
                    self.on_truncated(si, Some(serial));
                    return Retired::Again;
                }
            }
            let r = &mut self.streams[si].draining[k];
            if let Some((base, len)) = r.take_partial(chunk) {
                return Retired::Partial(Filled {
                    base,
                    end: len,
                    name: r.name.clone(),
                    owner: Owner {
                        stream: si,
                        serial: r.serial,
                    },
                    last: true,
                });
            }
            let s = &mut self.streams[si];
            if let Some(r) = s.draining.remove(k) {
                let name = s.path.clone();
                let path = r.path.clone();
                self.notice(Notice::Finished { name, path });
                self.retire(r);
            }
        }
        Retired::Nothing
    }

    fn retire(&mut self, r: Reader) {
        self.remember(Known {
            name: match &*r.name {
                InputName::Path(p) => p.clone(),
                InputName::Stdin => PathBuf::from("-"),
            },
            id: r.id,
            fp: r.head.fingerprint(),
            end: r.read_pos,
            committed: r.committed,
            delivered: r.delivered,
            unsaid: false,
            copy_of: r.copy_of,
            line_origin: r.line_origin,
        });
    }

    /// The reader that `o` names, wherever it is now.
    fn owner_mut(&mut self, o: Owner) -> Option<&mut Reader> {
        let hinted = self
            .streams
            .get(o.stream)
            .is_some_and(|s| s.readers().any(|r| r.serial == o.serial));
        let streams = if hinted {
            &mut self.streams[o.stream..=o.stream]
        } else {
            &mut self.streams[..]
        };
        streams
            .iter_mut()
            .flat_map(|s| s.readers_mut())
            .find(|r| r.serial == o.serial)
    }

    /// Record that the lines of `o`'s file up to offset `upto` were handed out (and,
    /// auto-committing, processed).
    pub(super) fn settle(&mut self, o: Owner, upto: u64) {
        let auto = self.cfg.auto_commit;
        if let Some(r) = self.owner_mut(o) {
            r.delivered = r.delivered.max(upto);
            if auto {
                r.committed = r.delivered;
            }
        }
    }

    /// The first thing each pass of the consumer does: look at what changed when an
    /// event came (at most every [`BUSY_RESCAN`] while lines keep coming) or the tick is
    /// due, and write a due checkpoint.
    pub(super) fn look(&mut self, now: Instant) {
        let dirty = self.shared.is_dirty();
        if (dirty && now.duration_since(self.last_rescan) >= BUSY_RESCAN) || now >= self.next_tick {
            self.shared.take_dirty();
            self.rescan(now);
        }
        self.maybe_checkpoint(now);
    }

    /// When the consumer should wake up at the latest if nothing happens: the next tick,
    /// checkpoint or end of a grace period.
    pub(super) fn wake_at(&self) -> Instant {
        let mut wake = self.next_tick.min(self.next_checkpoint_due());
        if let Some(g) = self.next_grace_end() {
            wake = wake.min(g);
        }
        wake
    }

    /// Write the checkpoint when it is due, or at once when files were opened or replaced
    /// (before their first line is handed out, so that a crash in the middle of it leaves
    /// them known to the next run).
    pub(super) fn maybe_checkpoint(&mut self, now: Instant) {
        if self.state.is_none() || !(self.files_changed || now >= self.next_checkpoint) {
            return;
        }
        self.files_changed = false;
        self.next_checkpoint = now + self.cfg.checkpoint_every;
        if let Err(e) = self.checkpoint() {
            self.notice(Notice::CheckpointFailed {
                message: e.to_string(),
            });
        }
    }

    fn next_checkpoint_due(&self) -> Instant {
        if self.state.is_some() {
            self.next_checkpoint
        } else {
            self.next_tick + Duration::from_secs(3600)
        }
    }

    fn next_grace_end(&self) -> Option<Instant> {
        self.streams
            .iter()
            .flat_map(|s| s.draining.iter())
            .filter(|r| r.at_eof && !r.finite)
            .map(|r| r.last_growth + self.cfg.rotate_grace)
            .min()
    }

    /// The checkpoint entries: files given up whose notice was not taken yet (still
    /// `live`: a restart after a crash reads their rest); per stream, older files first,
    /// then the current one; then the finished files.
    fn entries(&self) -> Vec<Entry> {
        let known = |k: &Known| Entry {
            name: k.name.clone(),
            id: k.id,
            fp: k.fp,
            offset: k.committed,
            done: k.committed >= k.end && !k.unsaid,
            copy_of: k.copy_of,
        };
        // Given up, not yet said: the oldest files of their names, so first (reading order).
        let mut out: Vec<Entry> = self.known.iter().filter(|k| k.unsaid).map(known).collect();
        for s in &self.streams {
            for r in s.readers() {
                // A deleted file read and processed to its end: nothing left to find. Not if
                // it was truncated first (copy-truncate, then deleted): the rest is in the
                // copy, which a restart must look for.
                let gone = r.at_eof
                    && r.committed == r.read_pos
                    && r.file.metadata().is_ok_and(|m| {
                        m.nlink() == 0 && !r.truncated(m.len(), &mut Vec::new()).unwrap_or(true)
                    });
                out.push(Entry {
                    name: s.path.clone(),
                    id: r.id,
                    fp: r.head.fingerprint(),
                    offset: r.committed,
                    done: gone,
                    copy_of: r.copy_of,
                });
            }
        }
        for s in &self.streams {
            if let Some(p) = &s.parked {
                out.push(Entry {
                    name: s.path.clone(),
                    id: p.id,
                    fp: p.head.fingerprint(),
                    offset: p.committed,
                    done: false,
                    copy_of: p.copy_of,
                });
            }
        }
        out.extend(self.known.iter().filter(|k| !k.unsaid).map(known));
        out
    }

    /// Clean up: checkpoint (every line handed out counts as processed now), close every
    /// file, stop change notification and the discovery thread.
    pub(super) fn shut(&mut self) -> Shut {
        self.commit();
        let checkpoint = match self.state.is_some() {
            true => self
                .checkpoint()
                .map(|_| self.state.as_ref().map(|s| s.path().to_path_buf())),
            false => Ok(None),
        };
        let mut files = 0;
        let mut held = 0;
        for s in self.streams.drain(..) {
            for r in s.draining.into_iter().chain(s.current) {
                files += 1;
                if !r.partial.is_empty() {
                    held += 1;
                }
            }
        }
        self.closed = true;
        // Its lock is released with it: another follower may take the state file over.
        self.state = None;
        self.shared.close();
        self.watches.stop();
        Shut {
            files,
            held,
            checkpoint,
        }
    }

    /// Stop without any clean-up, as a crash would (tests): no checkpoint is written from
    /// now on, the discovery thread stops.
    #[cfg(test)]
    pub(super) fn abandon(&mut self) {
        self.closed = true;
        self.state = None;
        self.shared.close();
    }

    /// How many streams are followed (for `Debug`).
    pub(super) fn stream_count(&self) -> usize {
        self.streams.len()
    }
}

/// The directory a path is in (`.` for a bare file name).
fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where the file `r` reads is now: where it was opened, or renamed next to `name` (as
/// rotation does); where it was opened if neither (moved elsewhere, or deleted).
fn where_now(name: &Path, r: &Reader) -> PathBuf {
    let is_it = |p: &Path| fs::metadata(p).is_ok_and(|m| DevIno::of(&m) == r.id);
    if is_it(&r.path) {
        return r.path.clone();
    }
    siblings(name)
        .into_iter()
        .find(|p| is_it(p))
        .unwrap_or_else(|| r.path.clone())
}

/// The rotated copies of `path` beside it (`app.log.1`, `app.log-20261204.gz`), by the
/// one rule [`crate::source::rotation`] gives for what a rotated name is.
fn rotated_siblings(path: &Path) -> Vec<PathBuf> {
    crate::source::rotation::rotated_siblings(path).unwrap_or_default()
}

/// Files next to `path` whose name starts with its name (`app.log.1`, `app.log-2024.gz`):
/// where rotation schemes put older files. Sorted, for a reproducible choice.
fn siblings(path: &Path) -> Vec<PathBuf> {
    let Some(base) = path.file_name() else {
        return Vec::new();
    };
    let base = base.as_bytes();
    let dir = parent_dir(path);
    let Ok(rd) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.as_bytes();
            n.len() > base.len() && n.starts_with(base)
        })
        .map(|e| {
            if path.parent().is_some_and(|p| !p.as_os_str().is_empty()) {
                e.path()
            } else {
                PathBuf::from(e.file_name())
            }
        })
        .collect();
    out.sort();
    out
}

fn globset_match(globs: &[String], name: &Path) -> bool {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        match globset::GlobBuilder::new(g)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
        {
            Ok(glob) => {
                b.add(glob);
            }
            Err(_) => return false,
        }
    }
    b.build().map(|s| s.is_match(name)).unwrap_or(false)
}
