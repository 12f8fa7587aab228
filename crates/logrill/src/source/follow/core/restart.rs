//! Restart: finding each checkpointed file again (at its name, renamed, copied,
//! compressed), and the generations that were created and rotated away while no follower
//! ran.

use super::*;

/// A generation found at restart that no follower has seen.
struct Unseen {
    path: PathBuf,
    file: File,
    id: DevIno,
    mtime: SystemTime,
    /// When it was created, where the file system says.
    born: Option<SystemTime>,
    compressed: bool,
    len: u64,
    head: Vec<u8>,
}

impl Core {
    /// Find the file of a checkpoint entry: at its name, or among its siblings (renamed
    /// by a rotation, left as a copy by copy-truncate, compressed since), and go on from
    /// its offset. Returns where it was found, if it was, and its modification time.
    pub(super) fn restore(&mut self, i: usize, e: &Entry) -> Option<(PathBuf, SystemTime)> {
        if e.done {
            self.remember_entry(e);
            return None;
        }
        let path = self.streams[i].path.clone();
        let mut candidates = vec![path.clone()];
        candidates.extend(siblings(&path));
        let mut copy: Option<(PathBuf, File, DevIno, SystemTime)> = None;
        let mut compressed: Option<(PathBuf, File, DevIno, SystemTime)> = None;
        for c in candidates {
            let Ok(meta) = fs::metadata(&c) else { continue };
            if !meta.is_file() {
                continue;
            }
            let id = DevIno::of(&meta);
            if self.is_open(id) {
                continue;
            }
            let Ok(file) = File::open(&c) else { continue };
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let mut head = vec![0; (e.fp.len as usize).max(crate::source::open::MAGIC_LEN)];
            let got =
                crate::source::follow::identity::read_full_at(&file, &mut head, 0).unwrap_or(0);
            head.truncate(got);
            if crate::source::detect(&head) != Codec::Plain {
                // Its offsets are decoded ones: its size on disk says nothing about them.
                // A copy is recognised by content only: an empty fingerprint matches
                // anything and recognises nothing.
                if compressed.is_none() && e.fp.len > 0 {
                    if let Ok((_, content)) = content_head(&c) {
                        if e.fp.matches(&content) {
                            compressed = Some((c, file, id, mtime));
                        }
                    }
                }
                continue;
            }
            if meta.len() < e.offset || !e.fp.matches(&head) {
                continue;
            }
            if id == e.id {
                let at_name = c == path;
                self.attach(i, c.clone(), file, id, e.offset, at_name, false);
                if let Some(original) = e.copy_of {
                    self.copied_from(i, id, original);
                }
                return Some((c, mtime));
            }
            if copy.is_none() && e.fp.len > 0 {
                copy = Some((c, file, id, mtime));
            }
        }
        if let Some((c, file, id, mtime)) = copy {
            self.attach(i, c.clone(), file, id, e.offset, false, true);
            self.copied_from(i, id, e.copy_of.unwrap_or(e.id));
            Some((c, mtime))
        } else if let Some((c, file, id, mtime)) = compressed {
            self.attach_decoded(i, c.clone(), file, id, e.offset);
            self.copied_from(i, id, e.copy_of.unwrap_or(e.id));
            Some((c, mtime))
        } else {
            self.notice(Notice::Lost {
                name: e.name.clone(),
                offset: e.offset,
            });
            None
        }
    }

    /// Stream `i`'s reader of file `copy` (if it was opened) reads a copy of `original`.
    fn copied_from(&mut self, i: usize, copy: DevIno, original: DevIno) {
        if let Some(r) = self.streams[i].draining.iter_mut().find(|r| r.id == copy) {
            r.copy_of = Some(original);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn attach(
        &mut self,
        i: usize,
        path: PathBuf,
        file: File,
        id: DevIno,
        offset: u64,
        current: bool,
        finite: bool,
    ) {
        let serial = self.next_serial();
        let name = self.streams[i].name.clone();
        let opened = Reader::open(serial, name, path.clone(), file, id, offset).map(|mut r| {
            r.finite = finite;
            r
        });
        self.take_reader(i, path, offset, opened, current);
    }

    /// [`Self::attach`] for a compressed file: read through its decoder from decoded
    /// offset `offset`, as an older file of stream `i`.
    pub(super) fn attach_decoded(
        &mut self,
        i: usize,
        path: PathBuf,
        file: File,
        id: DevIno,
        offset: u64,
    ) {
        let serial = self.next_serial();
        let name = self.streams[i].name.clone();
        let opened = Reader::open_decoded(serial, name, path.clone(), file, id, offset);
        self.take_reader(i, path, offset, opened, false);
    }

    /// A reader of stream `i` resumed at `offset`: said, then made the current file (if
    /// `current` and there is none) or held as an older one; a reader that could not be
    /// opened is said too.
    fn take_reader(
        &mut self,
        i: usize,
        path: PathBuf,
        offset: u64,
        opened: std::io::Result<Reader>,
        current: bool,
    ) {
        match opened {
            Ok(r) => {
                self.notice(Notice::Resumed {
                    name: self.streams[i].path.clone(),
                    path,
                    offset,
                });
                let s = &mut self.streams[i];
                if current && s.current.is_none() {
                    s.current = Some(r);
                } else {
                    self.hold_older(i, r);
                }
            }
            Err(e) => self.notice(Notice::Unreadable {
                name: path,
                message: e.to_string(),
            }),
        }
    }

    /// The rotated files next to stream `i`'s name when it is first followed: remembered
    /// (by content) as known, so that none of them is ever taken for a generation nobody
    /// saw — not even once compressed later (`delaycompress` compresses `app.log.1` at the
    /// next rotation, with a new time).
    pub(super) fn remember_existing(&mut self, i: usize) {
        let path = self.streams[i].path.clone();
        for c in rotated_siblings(&path) {
            let Ok(meta) = fs::metadata(&c) else { continue };
            let Ok((_, head)) = content_head(&c) else {
                continue;
            };
            if !meta.is_file() || head.is_empty() || self.known_content(&head).is_some() {
                continue;
            }
            self.remember(Known {
                name: path.clone(),
                id: DevIno::of(&meta),
                fp: Fingerprint::of(&head),
                end: 0,
                committed: 0,
                delivered: 0,
                unsaid: false,
                copy_of: None,
                line_origin: 0,
            });
        }
    }

    /// After a restart that found the checkpointed file of stream `i` renamed away (or not
    /// at all): the generations of its name that were created *and* rotated away while no
    /// follower ran. They sit next to it under rotated names (`.1`, `.N`, `-DATE`, perhaps
    /// compressed), were written after `since` (the last save of the checkpoint, or the
    /// last write to the oldest checkpointed file, if earlier), and are not a file (or a
    /// copy of a file) already known. Each is read from its start, in time order among
    /// the checkpointed files, before the file now at the name.
    pub(super) fn unseen_generations(&mut self, i: usize, since: SystemTime) {
        let mut found = self.unseen_siblings(i, since);
        // Oldest first. Times are often coarser than a burst of rotations (a few ms); files
        // created one after another mostly get increasing inode numbers, a better guess
        // than names (`.1` is the newest in one scheme, the oldest in another).
        found.sort_by_key(|u| (u.mtime, u.id.ino));
        for u in found {
            let before = self.streams[i].draining.len();
            let key = (u.mtime, u.id.ino);
            self.attach_unseen(i, u);
            // Among the checkpointed older files, in time order: before the first plain
            // one written later (a compressed file's time is when it was compressed, which
            // says nothing of its lines, so those keep their checkpoint order).
            let s = &mut self.streams[i];
            if s.draining.len() == before + 1 {
                let later = s.draining.iter().position(|r| {
                    r.decoded.is_none()
                        && r.file
                            .metadata()
                            .and_then(|m| m.modified())
                            .is_ok_and(|t| t > key.0)
                });
                if let Some(k) = later {
                    if let Some(r) = s.draining.pop_back() {
                        s.draining.insert(k, r);
                    }
                }
            }
        }
    }

    /// While following: the name of stream `i` now holds a new file, and its previous one
    /// (already among its older files) was last seen at the name at `since` — the later of
    /// the last look at the name and that file's last modification. Generations created
    /// and rotated away in between (two rotations while logrill itself was stopped, so
    /// that not even the discovery thread looked) are under rotated names now: each is
    /// read from its start, oldest first, after that previous file and before the new one.
    ///
    /// Only what is certainly such a generation: written strictly after `since` (a file
    /// written before it was there when the name was last looked at, so it is not one of
    /// its generations nobody saw; and a writer moves to a new generation after the old
    /// one's last line), created strictly before the new file at the name was (`new_born`:
    /// each such generation held the name before it; a copy-truncate copy of the new file
    /// is created after it; not asked of a compressed one, created when it was
    /// compressed). Files written in the same tick are put in order by inode number, as
    /// at a restart: a guess (inodes are mostly handed out in increasing order), but
    /// reading them in a guessed order beats not reading them.
    pub(super) fn missed_generations(&mut self, i: usize, since: SystemTime, new_born: SystemTime) {
        let mut found = self.unseen_siblings(i, since);
        // A compressed generation was created when it was compressed: after the new file
        // (logrotate compresses after it creates the new file), so it is not held to that.
        found.retain(|u| u.compressed || u.born.is_some_and(|b| b < new_born));
        found.sort_by_key(|u| (u.mtime, u.id.ino));
        for u in found {
            self.attach_unseen(i, u);
        }
    }

    /// A generation nobody saw, read from its start as an older file of stream `i`
    /// (through its decoder if compressed).
    fn attach_unseen(&mut self, i: usize, u: Unseen) {
        if u.compressed {
            self.attach_decoded(i, u.path, u.file, u.id, 0);
        } else {
            self.attach(i, u.path, u.file, u.id, 0, false, false);
        }
    }

    /// The generation that [`Self::unseen_generations`] (at restart) and
    /// [`Self::missed_generations`] (while following) look for: a file under a rotated name
    /// of stream `i`, written strictly after `since`, not open, not empty, not a file (or a
    /// copy of a file) known by its first bytes, not a copy of what the name holds now; one
    /// of each generation found twice (the plain one preferred: a compressed file whose
    /// plain original is still there may be half written; once the compressor removed
    /// the original, it is whole).
    fn unseen_siblings(&self, i: usize, since: SystemTime) -> Vec<Unseen> {
        let path = &self.streams[i].path;
        let live_head = File::open(path)
            .ok()
            .and_then(|f| crate::source::follow::identity::Head::read(&f).ok());
        let mut found: Vec<Unseen> = Vec::new();
        for c in rotated_siblings(path) {
            let Ok(meta) = fs::metadata(&c) else { continue };
            let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let id = DevIno::of(&meta);
            // Strictly newer: file times are coarse (often 4 ms), and copy-truncate's copy,
            // made in the same tick as the last write to the checkpointed file, is older
            // content, not a newer generation.
            if !meta.is_file() || mtime <= since || self.is_open(id) {
                continue;
            }
            let Ok((codec, head)) = content_head(&c) else {
                continue;
            };
            // Empty: nothing to read. Known: read already, or being read.
            if head.is_empty() || self.known_content(&head).is_some() {
                continue;
            }
            // A copy of what the name holds now (copy-truncate's copy is found otherwise).
            if live_head
                .as_ref()
                .is_some_and(|l| !l.is_empty() && relate(&head, l.bytes()) != HeadRelation::Differs)
            {
                continue;
            }
            let Ok(file) = File::open(&c) else { continue };
            let u = Unseen {
                path: c,
                file,
                id,
                mtime,
                born: meta.created().ok(),
                compressed: codec != Codec::Plain,
                len: meta.len(),
                head,
            };
            // The same generation twice (`app.log.1` and its compressed `app.log.1.gz`,
            // or a compressed file being written): read one, the plain one if any.
            match found
                .iter()
                .position(|f| relate(&f.head, &u.head) != HeadRelation::Differs)
            {
                Some(k) => {
                    let better = (found[k].compressed && !u.compressed)
                        || (found[k].compressed == u.compressed && u.len > found[k].len);
                    if better {
                        found[k] = u;
                    }
                }
                None => found.push(u),
            }
        }
        found
    }
}
