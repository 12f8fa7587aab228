//! Where indexes are kept: one directory, one file per gzip file, bounded in size.
//!
//! An index is named after the device and inode of the file it describes
//! (`<device>-<inode>.lgzi`, in hex), so a rotated file (`access.log.1.gz` renamed to
//! `access.log.2.gz`) keeps its index, and read-only log directories need no write access.
//! Inside, the file's [`Identity`] (size, mtime, device, inode, and a CRC of its first and
//! last 64 KiB) must equal the file's current one, or the index is *stale*: ignored, and
//! replaced when the file is next read to its end. A damaged index (bad checksum, points out
//! of order) is ignored with a notice (see [`IndexCache::take_notices`]); reading goes on
//! without it, sequentially. After each store, the oldest indexes (by modification time) are
//! removed until the directory holds at most [`IndexCache::max_bytes`].

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::format::{Identity, Index};

/// Bytes at each end of the file that go into the fingerprint.
const FINGERPRINT_SPAN: u64 = 64 * 1024;

/// The default bound on the directory's size.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Files smaller than this (compressed) get no index when read: they decode in a few
/// milliseconds anyway, and would give one or two chunks.
pub const DEFAULT_MIN_SIZE: u64 = 4 * 1024 * 1024;

/// A directory of gzip indexes.
#[derive(Debug)]
pub struct IndexCache {
    dir: PathBuf,
    max_bytes: u64,
    min_size: u64,
    spacing: u64,
    budget: u64,
    notices: Mutex<Vec<String>>,
}

impl IndexCache {
    /// Indexes kept in `dir` (created when the first one is stored).
    pub fn new(dir: impl Into<PathBuf>) -> IndexCache {
        IndexCache {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            min_size: DEFAULT_MIN_SIZE,
            spacing: super::record::MIN_SPACING,
            budget: super::record::BUDGET,
            notices: Mutex::new(Vec::new()),
        }
    }

    /// The conventional place: `$XDG_CACHE_HOME/logrill/gzindex`, else
    /// `$HOME/.cache/logrill/gzindex`. The caller passes the environment's values (the
    /// library reads no environment itself).
    pub fn default_dir(
        xdg_cache_home: Option<std::ffi::OsString>,
        home: Option<std::ffi::OsString>,
    ) -> Option<PathBuf> {
        let base = match xdg_cache_home.filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x),
            None => PathBuf::from(home.filter(|v| !v.is_empty())?).join(".cache"),
        };
        Some(base.join("logrill").join("gzindex"))
    }

    /// The index directory when none is given: `$LOGRILL_INDEX_DIR` if set, else
    /// [`IndexCache::default_dir`]. The command line and the Python package both use this
    /// rule; the caller passes the three environment values.
    pub fn dir_from_env(
        logrill_index_dir: Option<std::ffi::OsString>,
        xdg_cache_home: Option<std::ffi::OsString>,
        home: Option<std::ffi::OsString>,
    ) -> Option<PathBuf> {
        match logrill_index_dir.filter(|v| !v.is_empty()) {
            Some(d) => Some(PathBuf::from(d)),
            None => IndexCache::default_dir(xdg_cache_home, home),
        }
    }

    /// Bound the directory to `n` bytes (oldest indexes removed first).
    pub fn max_bytes(mut self, n: u64) -> IndexCache {
        self.max_bytes = n;
        self
    }

    /// Record an index while reading only files of at least `n` compressed bytes.
    pub fn min_size(mut self, n: u64) -> IndexCache {
        self.min_size = n;
        self
    }

    /// Seek points at least `n` compressed bytes apart (default
    /// [`super::record::MIN_SPACING`]; the 1% budget still holds). Small values are for tests.
    pub fn spacing(mut self, n: u64) -> IndexCache {
        self.spacing = n.max(1);
        self
    }

    /// Let an index weigh at most 1/`n` of its gzip file (default [`super::record::BUDGET`],
    /// 100: 1%). Small values are for tests.
    pub fn budget(mut self, n: u64) -> IndexCache {
        self.budget = n;
        self
    }

    pub(crate) fn spacing_rule(&self) -> super::record::Spacing {
        super::record::Spacing {
            min: self.spacing,
            budget: self.budget,
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn min_compressed(&self) -> u64 {
        self.min_size
    }

    /// Where the index of a file with this identity lives.
    pub fn path_for(&self, id: &Identity) -> PathBuf {
        self.dir
            .join(format!("{:x}-{:x}.lgzi", id.device, id.inode))
    }

    /// What happened that the user may want to know (damaged indexes ignored, indexes that
    /// could not be stored), taken out.
    pub fn take_notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    pub(crate) fn notice(&self, text: String) {
        if let Ok(mut n) = self.notices.lock() {
            n.push(text);
        }
    }

    /// The index of the open file `file` (named `name` in notices), if one is stored and
    /// still matches it.
    pub(crate) fn load(&self, file: &File, name: &Path) -> Option<(Identity, Option<Index>)> {
        let id = identity(file).ok()?;
        let path = self.path_for(&id);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(_) => return Some((id, None)),
        };
        match Index::decode(&bytes) {
            Ok(index) if index.identity == id => Some((id, Some(index))),
            // Stale: the file changed (or the inode was reused). Replaced on the next read.
            Ok(_) => Some((id, None)),
            Err(why) => {
                self.notice(format!(
                    "{}: gzip index {} ignored ({why}); reading without it",
                    name.display(),
                    path.display()
                ));
                Some((id, None))
            }
        }
    }

    /// Store an index (atomically: written aside, then renamed), then trim the directory.
    pub fn store(&self, index: &Index) -> io::Result<PathBuf> {
        fs::create_dir_all(&self.dir)?;
        let path = self.path_for(&index.identity);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let write = || -> io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&index.encode())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        self.trim(&path)?;
        Ok(path)
    }

    /// Remove the oldest indexes until the directory is within its bound; `keep` stays.
    fn trim(&self, keep: &Path) -> io::Result<()> {
        let mut entries: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
        for e in fs::read_dir(&self.dir)? {
            let e = e?;
            let p = e.path();
            if p.extension().is_none_or(|x| x != "lgzi") {
                continue;
            }
            let m = e.metadata()?;
            entries.push((m.modified()?, m.len(), p));
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort();
        for (_, len, p) in entries {
            if total <= self.max_bytes {
                break;
            }
            if p != keep && fs::remove_file(&p).is_ok() {
                total -= len;
            }
        }
        Ok(())
    }
}

/// The identity of an open file now.
pub(crate) fn identity(file: &File) -> io::Result<Identity> {
    let meta = file.metadata()?;
    let (device, inode) = dev_ino(&meta);
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(io::Error::other)?;
    let size = meta.len();
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; FINGERPRINT_SPAN as usize];
    let head = read_at_most(file, &mut buf, 0)?;
    h.update(&buf[..head]);
    let tail_start = size.saturating_sub(FINGERPRINT_SPAN).max(head as u64);
    let tail = read_at_most(file, &mut buf, tail_start)?;
    h.update(&buf[..tail]);
    Ok(Identity {
        size,
        mtime_secs: mtime.as_secs() as i64,
        mtime_nanos: mtime.subsec_nanos(),
        device,
        inode,
        fingerprint: h.finalize(),
    })
}

#[cfg(unix)]
fn dev_ino(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn dev_ino(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// Read from `at` until `buf` is full or the file ends.
pub(crate) fn read_at_most(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match read_at(file, &mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}
