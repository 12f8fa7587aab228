//! Waking the follower: change notification (inotify through `notify`), polling, and closing
//! from another thread.
//!
//! ## Events are hints, `stat` is the truth
//! inotify tells *that* something changed in a directory, quickly (a few microseconds after
//! the write), but its events can be merged, can overflow, and say nothing about a file
//! renamed to another directory or about writes to a file already deleted. So an event here
//! only wakes the follower; what changed is then found out with `stat`/`fstat`/`pread`,
//! exactly as a polling pass would. Both modes run the same code: polling is inotify with
//! every event replaced by a timer tick, and inotify mode keeps a slow tick as a safety net
//! (for missed events, NFS, directories that do not exist yet).
//!
//! What is watched: the *directory* of every file followed by name (so its creation, a
//! rename over it and its deletion are seen, and files that do not exist yet need nothing
//! special), and every followed directory, recursively.
//!
//! ## One place to sleep
//! The follower sleeps on one condition variable, woken by a change event, by
//! [`CloseHandle::close`] from any thread, or by its own timeout (the caller's deadline, the
//! next tick, the end of a grace period). A signal handler cannot take a lock, so it gets a
//! plain flag instead ([`CloseHandle::flag`]), which a sleeping follower looks at every
//! [`FLAG_CHECK`] at the latest.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::identity::DevIno;

/// How often a sleeping follower looks at the close flag that a signal handler may set.
pub const FLAG_CHECK: Duration = Duration::from_millis(100);

/// The state shared between a follower, its change-notification thread and its close
/// handles.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Something changed (any event).
    dirty: AtomicBool,
    /// Something changed in a directory's entries (create, delete, rename): worth listing
    /// the followed directories again.
    structure: AtomicBool,
    /// Something changed, for the discovery thread (which must not take the consumer's
    /// `dirty`: the consumer reads at once when it is set).
    discover: AtomicBool,
    /// Close requested. An `Arc` of its own so that it can be handed to a signal handler.
    closed: Arc<AtomicBool>,
    lock: Mutex<()>,
    cv: Condvar,
}

impl Shared {
    pub(super) fn new() -> Arc<Shared> {
        Arc::new(Shared::default())
    }

    /// Wake the follower because something changed.
    pub(super) fn wake(&self, structure: bool) {
        if structure {
            self.structure.store(true, Ordering::Release);
        }
        self.dirty.store(true, Ordering::Release);
        self.discover.store(true, Ordering::Release);
        self.notify();
    }

    fn notify(&self) {
        // Taking the lock orders this notification after a sleeper's check of the flags,
        // so a wake-up is never lost between the check and the sleep.
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.cv.notify_all();
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.notify();
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether a change was signalled since the last call (and forget it).
    pub(super) fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Whether a change of directory entries was signalled since the last call.
    pub(super) fn take_structure(&self) -> bool {
        self.structure.swap(false, Ordering::AcqRel)
    }

    /// Whether a change is pending (without forgetting it).
    pub(super) fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Whether a change of directory entries is pending (without forgetting it).
    pub(super) fn has_structure(&self) -> bool {
        self.structure.load(Ordering::Acquire)
    }

    /// Whether a change was signalled since the discovery thread last asked.
    pub(super) fn take_discover(&self) -> bool {
        self.discover.swap(false, Ordering::AcqRel)
    }

    /// The discovery thread's sleep: until a change, a close, or `timeout` (capped at
    /// [`FLAG_CHECK`]).
    pub(super) fn sleep_discover(&self, timeout: Duration) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.discover.load(Ordering::Acquire) || self.is_closed() {
            return;
        }
        let _ = self
            .cv
            .wait_timeout(guard, timeout.min(FLAG_CHECK))
            .unwrap_or_else(|e| e.into_inner());
    }

    /// Sleep until woken or `timeout` (capped at [`FLAG_CHECK`]) has passed.
    pub(super) fn sleep(&self, timeout: Duration) {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.dirty.load(Ordering::Acquire) || self.is_closed() {
            return;
        }
        let _ = self
            .cv
            .wait_timeout(guard, timeout.min(FLAG_CHECK))
            .unwrap_or_else(|e| e.into_inner());
    }
}

/// Closes a follower from anywhere: another thread, a Ctrl-C handler thread, or (through
/// [`CloseHandle::flag`]) a signal handler.
///
/// Closing is a request: the follower notices it at once if it is waiting for lines (or
/// before it hands out the next line), runs its clean-up on its own thread — checkpoint
/// written, descriptors closed — and from then on reports that it is closed. This removes
/// the seed's limitation that `close()` works only from the generator's own thread, without
/// the user-provided semaphore it suggests: the handle *is* that semaphore.
#[derive(Debug, Clone)]
pub struct CloseHandle {
    pub(super) shared: Arc<Shared>,
}

impl CloseHandle {
    /// Ask the follower to close. Returns at once; idempotent.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Whether closing was asked for.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// The raw close flag. Storing `true` in it closes the follower like [`close`]
    /// (noticed within [`FLAG_CHECK`] when the follower is asleep). Storing to an atomic is
    /// async-signal-safe, so this is what to give a signal handler, e.g.
    /// `signal_hook::flag::register(SIGTERM, handle.flag())`.
    ///
    /// [`close`]: CloseHandle::close
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.shared.closed.clone()
    }
}

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Watch {
    /// Change notification (inotify) where it works, polling where it does not (the
    /// default).
    #[default]
    Auto,
    /// Change notification only: starting fails if it is unavailable.
    Notify,
    /// Polling only, every given interval (`--poll`): for file systems where change
    /// notification misses writes (NFS, some FUSE and container overlays).
    Poll(Duration),
}

/// The default interval of [`Watch::Poll`].
pub const DEFAULT_POLL: Duration = Duration::from_millis(100);

/// The directories being watched, and the watcher.
pub(super) struct Watches {
    watcher: Option<RecommendedWatcher>,
    /// Directory → its identity when the watch was added (a directory removed and created
    /// again is a new directory and needs a new watch: coreutils' inotify-dir-recreate).
    watched: HashMap<PathBuf, DevIno>,
    strict: bool,
}

impl Watches {
    /// Start change notification (or not, for polling). `Err` only for [`Watch::Notify`]
    /// when it is unavailable; for [`Watch::Auto`] the problem is returned as a message and
    /// polling is used.
    pub(super) fn new(
        mode: Watch,
        shared: &Arc<Shared>,
    ) -> Result<(Watches, Option<String>), String> {
        let none = |strict| Watches {
            watcher: None,
            watched: HashMap::new(),
            strict,
        };
        if let Watch::Poll(_) = mode {
            return Ok((none(false), None));
        }
        let sh = Arc::downgrade(shared);
        let handler = move |res: notify::Result<notify::Event>| {
            let Some(shared) = sh.upgrade() else { return };
            match res {
                Ok(ev) => match ev.kind {
                    // Our own opens and reads show up as access events: waking on them
                    // would make every read cause another.
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => shared.wake(false),
                    EventKind::Access(_) => {}
                    EventKind::Modify(notify::event::ModifyKind::Data(_))
                    | EventKind::Modify(notify::event::ModifyKind::Metadata(_)) => {
                        shared.wake(false)
                    }
                    _ => shared.wake(true),
                },
                // An overflow or a watch that went away: look at everything again.
                Err(_) => shared.wake(true),
            }
        };
        match notify::recommended_watcher(handler) {
            Ok(w) => Ok((
                Watches {
                    watcher: Some(w),
                    watched: HashMap::new(),
                    strict: mode == Watch::Notify,
                },
                None,
            )),
            Err(e) if mode == Watch::Notify => Err(e.to_string()),
            Err(e) => Ok((
                none(false),
                Some(format!("change notification unavailable ({e}), polling")),
            )),
        }
    }

    /// Stop change notification (at close).
    pub(super) fn stop(&mut self) {
        self.watcher = None;
        self.watched.clear();
    }

    /// Whether change notification is in use.
    pub(super) fn notifying(&self) -> bool {
        self.watcher.is_some()
    }

    /// Make sure `dir` is watched (if it exists). Returns a message when watching failed
    /// and the follower fell back to polling, or `Err` when polling is not allowed.
    pub(super) fn ensure(&mut self, dir: &Path, recursive: bool) -> Result<Option<String>, String> {
        let Some(w) = self.watcher.as_mut() else {
            return Ok(None);
        };
        let id = match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => DevIno::of(&m),
            // Not there (yet): the safety tick looks again.
            _ => {
                if self.watched.remove(dir).is_some() {
                    let _ = w.unwatch(dir);
                }
                return Ok(None);
            }
        };
        match self.watched.get(dir) {
            Some(old) if *old == id => return Ok(None),
            Some(_) => {
                let _ = w.unwatch(dir);
                self.watched.remove(dir);
            }
            None => {}
        }
        let mode = if recursive {
            RecursiveMode::Recursive
        } else {
            RecursiveMode::NonRecursive
        };
        match w.watch(dir, mode) {
            Ok(()) => {
                self.watched.insert(dir.to_path_buf(), id);
                Ok(None)
            }
            Err(e) if self.strict => Err(format!("{}: {e}", dir.display())),
            Err(e) => {
                // Typically the inotify watch limit: poll everything rather than half.
                self.watcher = None;
                self.watched.clear();
                Ok(Some(format!(
                    "cannot watch {} ({e}), polling",
                    dir.display()
                )))
            }
        }
    }
}
