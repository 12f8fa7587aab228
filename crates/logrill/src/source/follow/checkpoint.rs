//! Checkpoints: where each followed file was processed up to, saved so that a restart goes
//! on from there.
//!
//! ## Format
//! A small text file, one entry per file, so a person can read (and, in an emergency, edit)
//! it:
//!
//! ```text
//! logrill-follow-state 2
//! live 2049 1315231 1024 9c1e0a3b6f0d24a1 5237 - /var/log/app.log
//! done 2049 1315230 1024 0b8a4e6d7c1f9e22 88120 2049:1315228 /var/log/app.log
//! ```
//!
//! Fields: `live` (still being read) or `done` (read to its end and closed: kept only so the
//! file, or a compressed copy of it, is recognised and not read again), device, inode,
//! fingerprint length and FNV-1a hash (see [`identity`](super::identity)), the offset right
//! after the last line processed, the device and inode of the file this one is a copy of
//! (copy-truncate's copy: its lines keep that file's identity across restarts, so message
//! ids stay the same) or `-`, and the name it was followed under (bytes outside printable
//! ASCII, spaces and `%` written as `%XX`). Entries of one name are in reading order: older
//! generations (rotated, still being finished) first. While no entry is a copy, the file
//! is written as version 1 (the same without the copy field, and the first line
//! `logrill-follow-state 1`), which older logrill versions read too.
//!
//! ## Atomicity
//! The state is written to `FILE.tmp`, `fsync`ed, renamed over `FILE`, and the directory is
//! `fsync`ed, so after a crash (of the process or of the machine) `FILE` is either the
//! previous state or the new one, never a mixture. A leftover `FILE.tmp` is an interrupted
//! write and is ignored: the rename never happened, so `FILE` is the last complete state.
//! (Vector prefers the temporary file when it finds one; an interrupted write can leave it
//! incomplete, so here it is not trusted.)
//!
//! ## One follower per state file
//! Two followers saving to one file would overwrite each other's progress (and after a
//! crash of one, its files would be resumed from the other's offsets). A follower holds an
//! exclusive advisory lock (`flock`) on `FILE.lock` for its whole life; a second one fails
//! to start with [`FollowError::StateLocked`]. The lock is on a file of its own because
//! `FILE` is replaced at every save. The kernel releases it when the process ends, however
//! it ends, so a `kill -9` leaves nothing to clean up (the empty `FILE.lock` stays).

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use super::error::FollowError;
use super::identity::{DevIno, Fingerprint};

const MAGIC: &str = "logrill-follow-state 2";
/// The format without the copy field: written while no entry is a copy.
const MAGIC_V1: &str = "logrill-follow-state 1";

/// One file's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name it is followed under.
    pub name: PathBuf,
    /// Device and inode when it was last seen.
    pub id: DevIno,
    /// Fingerprint of its first bytes.
    pub fp: Fingerprint,
    /// Offset right after the last line processed.
    pub offset: u64,
    /// Read to its end and closed.
    pub done: bool,
    /// The file this one is a copy of (see `Reader::copy_of`), whose identity its lines
    /// keep.
    pub copy_of: Option<DevIno>,
}

/// The state file: loads once, then saves only when the content changed.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    tmp: PathBuf,
    last: Option<String>,
    /// `FILE.lock`, locked while this follower runs.
    lock: Option<File>,
}

impl StateFile {
    /// A state file at `path` (not read yet).
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        let path = path.into();
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        StateFile {
            path,
            tmp: PathBuf::from(tmp),
            last: None,
            lock: None,
        }
    }

    /// Take the exclusive lock of this state file (`FILE.lock`) for as long as this value
    /// lives: another follower using the same state file is an error, not a silent
    /// overwrite of each other's checkpoints.
    pub fn lock(&mut self) -> Result<(), FollowError> {
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| FollowError::io(&lock_path, e))?;
        // `File::try_lock`: Rust 1.89, within `rust-version`.
        let locked = file.try_lock();
        match locked {
            Ok(()) => {
                self.lock = Some(file);
                Ok(())
            }
            Err(fs::TryLockError::WouldBlock) => Err(FollowError::StateLocked {
                path: self.path.clone(),
            }),
            Err(fs::TryLockError::Error(e)) => Err(FollowError::io(&lock_path, e)),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// When it was last written (`None` if it does not exist).
    pub fn modified(&self) -> Option<std::time::SystemTime> {
        fs::metadata(&self.path).and_then(|m| m.modified()).ok()
    }

    /// The saved entries; none when the file does not exist yet.
    pub fn load(&mut self) -> Result<Vec<Entry>, FollowError> {
        // An interrupted write: the rename did not happen, `path` is the last good state.
        let _ = fs::remove_file(&self.tmp);
        let text = match fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(FollowError::io(&self.path, e)),
        };
        let entries = decode(&text).map_err(|(line, message)| FollowError::BadState {
            path: self.path.clone(),
            line,
            message,
        })?;
        self.last = Some(String::from_utf8_lossy(&text).into_owned());
        Ok(entries)
    }

    /// Save `entries` atomically. Returns whether anything was written (nothing is when
    /// the content did not change since the last save).
    pub fn save(&mut self, entries: &[Entry]) -> Result<bool, FollowError> {
        let text = encode(entries);
        if self.last.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        self.write_atomically(text.as_bytes())
            .map_err(|e| FollowError::io(&self.path, e))?;
        self.last = Some(text);
        Ok(true)
    }

    fn write_atomically(&self, bytes: &[u8]) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&self.tmp, &self.path)?;
        // Make the rename itself durable.
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// The text of a state file: version 1 while no entry is a copy (so a state file can go
/// back to an older logrill), version 2 with the copy field once one is.
pub fn encode(entries: &[Entry]) -> String {
    let with_copy = entries.iter().any(|e| e.copy_of.is_some());
    let mut s = String::with_capacity(64 + entries.len() * 96);
    s.push_str(if with_copy { MAGIC } else { MAGIC_V1 });
    s.push('\n');
    for e in entries {
        s.push_str(if e.done { "done" } else { "live" });
        s.push_str(&format!(
            " {} {} {} {:016x} {} ",
            e.id.dev, e.id.ino, e.fp.len, e.fp.hash, e.offset
        ));
        match (with_copy, e.copy_of) {
            (false, _) => {}
            (true, Some(of)) => s.push_str(&format!("{}:{} ", of.dev, of.ino)),
            (true, None) => s.push_str("- "),
        }
        escape_into(e.name.as_os_str().as_bytes(), &mut s);
        s.push('\n');
    }
    s
}

/// Parse the text of a state file; errors carry the 1-based line.
pub fn decode(text: &[u8]) -> Result<Vec<Entry>, (usize, String)> {
    let mut lines = text.split(|&b| b == b'\n');
    let with_copy = match lines.next() {
        Some(first) if first == MAGIC.as_bytes() => true,
        Some(first) if first == MAGIC_V1.as_bytes() => false,
        _ => return Err((1, format!("the first line is not {MAGIC:?}"))),
    };
    let mut entries = Vec::new();
    for (i, line) in lines.enumerate() {
        let no = i + 2;
        if line.is_empty() {
            continue;
        }
        let bad = |what: &str| (no, format!("bad {what}"));
        let mut parts = line.splitn(if with_copy { 8 } else { 7 }, |&b| b == b' ');
        let mut field = |what: &str| parts.next().ok_or_else(|| bad(what));
        let done = match field("status")? {
            b"live" => false,
            b"done" => true,
            _ => return Err(bad("status (live or done)")),
        };
        let num = |b: &[u8], what: &str, radix: u32| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|s| u64::from_str_radix(s, radix).ok())
                .ok_or_else(|| bad(what))
        };
        let dev = num(field("device")?, "device", 10)?;
        let ino = num(field("inode")?, "inode", 10)?;
        let fp_len = num(field("fingerprint length")?, "fingerprint length", 10)?;
        let fp_hash = num(field("fingerprint")?, "fingerprint", 16)?;
        let offset = num(field("offset")?, "offset", 10)?;
        let copy_of = match with_copy {
            false => None,
            true => match field("copy")? {
                b"-" => None,
                b => {
                    let mut it = b.splitn(2, |&c| c == b':');
                    let dev = num(it.next().unwrap_or_default(), "copy device", 10)?;
                    let ino = num(it.next().ok_or_else(|| bad("copy"))?, "copy inode", 10)?;
                    Some(DevIno { dev, ino })
                }
            },
        };
        let name = unescape(field("name")?).ok_or_else(|| bad("name"))?;
        if name.is_empty() || fp_len > super::identity::HEAD_MAX as u64 {
            return Err(bad("entry"));
        }
        entries.push(Entry {
            name: PathBuf::from(OsString::from_vec(name)),
            id: DevIno { dev, ino },
            fp: Fingerprint {
                len: fp_len as u32,
                hash: fp_hash,
            },
            offset,
            done,
            copy_of,
        });
    }
    Ok(entries)
}

fn escape_into(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%' {
            let hex = std::str::from_utf8(s.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &[u8], done: bool) -> Entry {
        Entry {
            name: PathBuf::from(OsString::from_vec(name.to_vec())),
            id: DevIno { dev: 2049, ino: 77 },
            fp: Fingerprint {
                len: 1024,
                hash: 0xdead_beef_0123_4567,
            },
            offset: 5237,
            done,
            copy_of: None,
        }
    }

    #[test]
    fn round_trip_with_odd_names() {
        let mut copy = entry(b"/var/log/app.log", false);
        copy.copy_of = Some(DevIno { dev: 2049, ino: 76 });
        let entries = vec![
            entry(b"/var/log/app.log", false),
            entry(b"/tmp/with space/%odd\n\xff", true),
            copy,
        ];
        let text = encode(&entries);
        assert!(text.starts_with(MAGIC));
        assert_eq!(decode(text.as_bytes()).unwrap(), entries);
        // Without a copy, version 1, which an older logrill reads too.
        let text = encode(&entries[..2]);
        assert!(text.starts_with(MAGIC_V1), "{text}");
        assert_eq!(decode(text.as_bytes()).unwrap(), &entries[..2]);
    }

    /// A state file written before the copy field is read as it was meant.
    #[test]
    fn reads_version_1() {
        let v1 = b"logrill-follow-state 1\nlive 2049 77 1024 deadbeef01234567 5237 /a%20b\n";
        assert_eq!(decode(v1).unwrap(), vec![entry(b"/a b", false)]);
    }

    #[test]
    fn rejects_foreign_files() {
        assert_eq!(decode(b"{\"version\":1}").unwrap_err().0, 1);
        let bad = format!("{MAGIC}\nlive 1 2 3 zz 5 - /x\n");
        assert_eq!(decode(bad.as_bytes()).unwrap_err().0, 2);
        let bad = format!("{MAGIC}\nlive 1 2 3 4 5 7 /x\n");
        assert_eq!(decode(bad.as_bytes()).unwrap_err().0, 2);
    }

    #[test]
    fn a_second_user_of_a_state_file_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let mut first = StateFile::new(&p);
        first.lock().unwrap();
        let mut second = StateFile::new(&p);
        let err = second.lock().unwrap_err();
        assert!(matches!(&err, FollowError::StateLocked { path } if *path == p));
        drop(first);
        second.lock().unwrap();
    }

    #[test]
    fn save_is_atomic_and_skips_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state");
        let mut sf = StateFile::new(&p);
        assert!(sf.load().unwrap().is_empty());
        let entries = vec![entry(b"/a", false)];
        assert!(sf.save(&entries).unwrap());
        assert!(!sf.save(&entries).unwrap());
        assert!(!dir.path().join("state.tmp").exists());
        // A leftover temporary file (an interrupted write) is not trusted.
        fs::write(dir.path().join("state.tmp"), b"garbage").unwrap();
        let mut again = StateFile::new(&p);
        assert_eq!(again.load().unwrap(), entries);
        assert!(!dir.path().join("state.tmp").exists());
    }
}
