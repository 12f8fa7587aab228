//! The discovery thread: files are found and opened while the consumer is busy.
//!
//! A consumer that does not ask for lines — output blocked on a slow pipe, a broker that
//! does not answer, a process stopped with `SIGSTOP` — used to stop the follower from
//! looking at its files at all. Two rename rotations in that time and the generation in
//! between was never opened: its name was taken by the next one before anyone looked, and
//! its lines were lost although they were still on disk under `app.log.1`.
//!
//! So looking is not the consumer's job alone. This thread wakes on every change event (at
//! most every [`MIN_GAP`] after a create, rename or delete, [`DATA_GAP`] after writes) and
//! at every tick, and — when the consumer has not looked
//! recently itself — runs the same pass the consumer runs ([`Core::rescan`]): a rotated
//! file is moved to its stream's older files, the new one is opened and held, new files of
//! followed directories are opened, truncations are matched with their copies. An open
//! descriptor keeps a renamed or deleted file readable, so the consumer later reads every
//! generation in order. It also writes due checkpoints (which only record what the
//! consumer processed), so a crash while the consumer is stuck leaves the opened
//! generations known to the next run.
//!
//! What it never does is read lines: that, and the order of lines, stays the consumer's.
//! The number of older files held per name is bounded (see `MAX_DRAINING` in `core`); past
//! it the oldest unread one is given up, with a [`Notice::GaveUp`](super::Notice::GaveUp).

use std::io;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::core::Core;
use super::watcher::Shared;

/// The least time between two passes of this thread (and since the consumer's last one)
/// after a file was created, renamed or deleted: a rotation is to be seen at once.
const MIN_GAP: Duration = Duration::from_millis(10);

/// The same after writes only (a busy writer sends an event per write, and a pass over
/// thousands of files costs a `stat` each): truncations are still seen within this.
const DATA_GAP: Duration = Duration::from_millis(50);

/// Start the thread. It ends when the follower closes (or is dropped).
pub(super) fn spawn(core: &Arc<Mutex<Core>>, shared: &Arc<Shared>) -> io::Result<JoinHandle<()>> {
    let core = Arc::downgrade(core);
    let shared = shared.clone();
    std::thread::Builder::new()
        .name("logrill-follow".into())
        .spawn(move || run(core, shared))
}

fn run(core: Weak<Mutex<Core>>, shared: Arc<Shared>) {
    let mut pending = false;
    let mut timeout = MIN_GAP;
    loop {
        shared.sleep_discover(timeout);
        if shared.is_closed() {
            return;
        }
        pending |= shared.take_discover();
        let Some(core) = core.upgrade() else { return };
        let mut c = core.lock().unwrap_or_else(|e| e.into_inner());
        if c.closed {
            return;
        }
        let now = Instant::now();
        let since = now.saturating_duration_since(c.last_rescan);
        let tick = c.tick;
        let gap = if shared.has_structure() {
            MIN_GAP
        } else {
            DATA_GAP
        };
        if (pending && since >= gap) || since >= tick {
            pending = false;
            c.rescan(now);
            c.maybe_checkpoint(now);
            timeout = tick;
        } else if pending {
            timeout = gap - since;
        } else {
            timeout = tick - since;
        }
    }
}
