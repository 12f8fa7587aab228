//! The open-file budget: past it, idle files are closed ("parked") and reopened by path,
//! their identity checked, when they change. See the `limits` module for the budget
//! itself and why.

use super::*;

/// A stream's current file without its descriptor: everything needed to reopen it where
/// it was and to be sure it is the same file.
#[derive(Debug)]
pub(super) struct Parked {
    pub(super) serial: u64,
    pub(super) name: Arc<InputName>,
    pub(super) path: PathBuf,
    pub(super) id: DevIno,
    pub(super) head: crate::source::follow::identity::Head,
    /// Where reading goes on (its size when it was closed, unless it was closed for want
    /// of room before it was read).
    pub(super) read_pos: u64,
    pub(super) delivered: u64,
    pub(super) committed: u64,
    /// Its modification time when it was closed: a rewrite to the same size changes it.
    pub(super) mtime: Option<SystemTime>,
    /// The file it is a copy of (see `Reader::copy_of`), kept across the closing.
    pub(super) copy_of: Option<DevIno>,
    /// The offset of its line 1 (see `Reader::line_origin`), kept across the closing.
    pub(super) line_origin: u64,
}

impl Core {
    /// Descriptors held by readers (a decoded one holds two: the file and its decoder's).
    pub(super) fn open_count(&self) -> usize {
        self.streams
            .iter()
            .flat_map(|s| s.readers())
            .map(|r| 1 + usize::from(r.decoded.is_some()))
            .sum()
    }

    /// Make room for one more open file, closing (parking) the current file that has been
    /// idle longest, in a stream other than `except`, if need be. Only a file read to its
    /// end and handed out entirely is parked. Whether there is room now.
    pub(super) fn make_room(&mut self, except: usize) -> bool {
        if self.open_count() < self.max_open {
            return true;
        }
        let victim = self
            .streams
            .iter()
            .enumerate()
            .filter(|(k, s)| *k != except && s.parked.is_none())
            .filter_map(|(k, s)| {
                let r = s.current.as_ref()?;
                let idle = r.decoded.is_none()
                    && r.partial.is_empty()
                    && r.delivered == r.read_pos
                    && r.size() == Some(r.read_pos);
                idle.then_some((k, r.last_growth))
            })
            .min_by_key(|(_, t)| *t)
            .map(|(k, _)| k);
        match victim {
            Some(k) => {
                self.park(k);
                true
            }
            None => false,
        }
    }

    /// Close stream `k`'s current file, keeping what is needed to reopen it.
    pub(super) fn park(&mut self, k: usize) {
        let s = &mut self.streams[k];
        if let Some(r) = s.current.take() {
            let mtime = r.file.metadata().and_then(|m| m.modified()).ok();
            s.parked = Some(Parked {
                serial: r.serial,
                name: r.name,
                path: r.path,
                id: r.id,
                head: r.head,
                read_pos: r.read_pos,
                delivered: r.delivered,
                committed: r.committed,
                mtime,
                copy_of: r.copy_of,
                line_origin: r.line_origin,
            });
        }
    }

    /// Stream `i`'s file is parked and `meta` is what its path names now. Reopen it if it
    /// changed (and there is room); if it was renamed or deleted while parked, read what it
    /// got since from where it went, as an older file. Whether the path is settled (no
    /// further look needed this pass).
    pub(super) fn look_at_parked(&mut self, i: usize, meta: Option<&fs::Metadata>) -> bool {
        let Some(p) = self.streams[i].parked.as_ref() else {
            return false;
        };
        let (pid, read_pos, mtime) = (p.id, p.read_pos, p.mtime);
        if let Some(m) = meta.filter(|m| DevIno::of(m) == pid) {
            let changed = m.len() != read_pos || m.modified().ok() != mtime;
            if !changed {
                return true;
            }
            // Once there was no room in a pass, there is none for the others either (until
            // the consumer has read the open files and takes the flag).
            if self.parked_waiting || !self.make_room(i) {
                self.parked_waiting = true;
                return true;
            }
            let path = self.streams[i].path.clone();
            match File::open(&path) {
                Ok(file) if file.metadata().is_ok_and(|m| DevIno::of(&m) == pid) => {
                    self.unpark(i, file, true);
                }
                // Replaced between the two looks: the next pass sees the new file.
                Ok(_) | Err(_) => {}
            }
            return true;
        }
        // Renamed away or deleted while closed: whatever it got since is where it went.
        let name = self.streams[i].path.clone();
        let found = siblings(&name).into_iter().find_map(|c| {
            let m = fs::metadata(&c).ok()?;
            (DevIno::of(&m) == pid && m.len() > read_pos)
                .then(|| File::open(&c).ok())
                .flatten()
        });
        match found {
            Some(file) => self.unpark(i, file, false),
            None => {
                if let Some(p) = self.streams[i].parked.take() {
                    self.remember(Known {
                        name: name.clone(),
                        id: p.id,
                        fp: p.head.fingerprint(),
                        end: p.read_pos,
                        committed: p.committed,
                        delivered: p.delivered,
                        unsaid: false,
                        copy_of: p.copy_of,
                        line_origin: p.line_origin,
                    });
                }
            }
        }
        false
    }

    /// Give stream `i`'s parked file its descriptor back: as its current file, or as an
    /// older one (it was rotated away while closed).
    pub(super) fn unpark(&mut self, i: usize, file: File, current: bool) {
        let Some(p) = self.streams[i].parked.take() else {
            return;
        };
        let r = Reader {
            serial: p.serial,
            name: p.name,
            path: p.path,
            file,
            id: p.id,
            head: p.head,
            read_pos: p.read_pos,
            partial: Vec::new(),
            delivered: p.delivered,
            committed: p.committed,
            last_growth: Instant::now(),
            finite: false,
            at_eof: false,
            decoded: None,
            copy_of: p.copy_of,
            line_origin: p.line_origin,
        };
        if current {
            self.streams[i].current = Some(r);
        } else {
            self.hold_older(i, r);
        }
    }

    /// Say once that files are watched without a descriptor, and how many.
    pub(super) fn say_parking(&mut self) {
        if self.parking_said {
            return;
        }
        let parked = self.streams.iter().filter(|s| s.parked.is_some()).count();
        if parked > 0 {
            self.parking_said = true;
            self.notice(Notice::Parked {
                files: parked,
                limit: self.max_open,
            });
        }
    }

    /// Back within the open-file budget after stream `i` opened a file: close the file idle
    /// longest elsewhere, or else this one (nothing of it was handed out yet): it waits,
    /// closed, for room, and is reopened where it was once the open files were read.
    pub(super) fn keep_budget(&mut self, i: usize) {
        if self.open_count() <= self.max_open || self.make_room(i) {
            return;
        }
        let r = self.streams[i].current.as_ref();
        if r.is_some_and(|r| r.delivered == r.read_pos && r.partial.is_empty()) {
            self.park(i);
            self.parked_waiting = true;
        }
    }
}
