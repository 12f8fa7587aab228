//! Which file is which: device + inode, and a fingerprint of the first bytes.
//!
//! A path names a file only for a moment: logrotate renames it, `rm` + re-create gives the
//! name to a new file, copy-truncate keeps the file but throws its bytes away. Neither half of
//! the usual identities is enough on its own:
//!
//! * **device + inode** is exact *while a descriptor is open* (the kernel cannot reuse the
//!   inode of a file someone still holds), but once the old file is closed and deleted, the
//!   next file created may get the same inode number — Vector's issue #23076 was exactly that,
//!   a new log mistaken for the old one and its start skipped;
//! * **a checksum of the first line(s)** survives renames and compression, but two files
//!   that start with the same header collide, and a file shorter than the fingerprint has
//!   none (Vector #2890, #23619: lines lost and duplicated around short files).
//!
//! So an identity here is both: `(dev, ino)` *and* a [`Fingerprint`] of the first
//! `min(size, HEAD_MAX)` bytes, checked against the size and the offset that was read. The
//! fingerprint always covers at least every byte that was read when fewer than `HEAD_MAX`
//! were, so a file that was rewritten in the part already read is never taken for the old
//! one, however short it is. While a file is followed its head bytes are kept in memory
//! ([`Head`]), which makes the live check an exact comparison rather than a hash.
//!
//! Compressed files (a rotated `app.log.1` that became `app.log.1.gz`) have a different
//! inode and different bytes; their *content* fingerprint (of the decompressed head) is what
//! lets them be recognised as a file already read.

use std::fs::{File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::source::{open::detect, Codec};

/// How many leading bytes identify a file. One KiB covers the first few lines of any log
/// (timestamps make them unique) and costs one small `pread` to check.
pub const HEAD_MAX: usize = 1024;

/// Device and inode number: exact while a descriptor on the file is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DevIno {
    /// The device (`st_dev`).
    pub dev: u64,
    /// The inode number (`st_ino`).
    pub ino: u64,
}

impl DevIno {
    /// The identity in `meta`.
    pub fn of(meta: &Metadata) -> DevIno {
        DevIno {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// A hash of a file's first `len` bytes (`len <= HEAD_MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// How many bytes the hash covers.
    pub len: u32,
    /// FNV-1a (64 bits) of those bytes. Not cryptographic: it tells apart log files, which
    /// are not chosen to collide.
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes` (all of them; the caller keeps them within `HEAD_MAX`).
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint {
            len: bytes.len() as u32,
            hash: fnv1a64(bytes),
        }
    }

    /// Whether `head` (a file's first bytes, as many as it has up to `HEAD_MAX`) starts
    /// with the bytes this fingerprint was taken of.
    pub fn matches(&self, head: &[u8]) -> bool {
        let len = self.len as usize;
        head.len() >= len && fnv1a64(&head[..len]) == self.hash
    }
}

/// FNV-1a, 64 bits: small, dependency-free and good enough to tell files apart.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The first bytes of a followed file, kept while it is followed (at most `HEAD_MAX`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    bytes: Vec<u8>,
}

impl Head {
    /// Read the first `min(size, HEAD_MAX)` bytes of `file`.
    pub fn read(file: &File) -> io::Result<Head> {
        let mut bytes = vec![0; HEAD_MAX];
        let n = read_full_at(file, &mut bytes, 0)?;
        bytes.truncate(n);
        Ok(Head { bytes })
    }

    /// A head made of these bytes (used when a file is read from its start).
    pub fn from_bytes(bytes: &[u8]) -> Head {
        Head {
            bytes: bytes[..bytes.len().min(HEAD_MAX)].to_vec(),
        }
    }

    /// The head bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many bytes it holds.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether it holds nothing (the file was empty when it was read).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The fingerprint of what it holds.
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.bytes)
    }

    /// `data` was read at file offset `at`: keep whatever of it extends the head. Bytes that
    /// do not continue the head exactly (a gap) are ignored, so the head stays a true prefix.
    pub fn extend(&mut self, at: u64, data: &[u8]) {
        let have = self.bytes.len() as u64;
        if have >= HEAD_MAX as u64 || at > have || at + data.len() as u64 <= have {
            return;
        }
        let skip = (have - at) as usize;
        let room = HEAD_MAX - self.bytes.len();
        let take = (data.len() - skip).min(room);
        self.bytes.extend_from_slice(&data[skip..skip + take]);
    }

    /// Whether `file` still starts with these bytes. One `pread` of at most `HEAD_MAX` bytes;
    /// a file now shorter than the head does not match (it was truncated).
    pub fn still_matches(&self, file: &File, scratch: &mut Vec<u8>) -> io::Result<bool> {
        if self.bytes.is_empty() {
            return Ok(true);
        }
        scratch.resize(self.bytes.len(), 0);
        let n = read_full_at(file, scratch, 0)?;
        Ok(n == self.bytes.len() && scratch[..n] == self.bytes[..])
    }
}

/// `pread` until `buf` is full or the end of the file; returns the bytes read. (The
/// positioned read the gzip index and the pieces of a file use, kept here under its
/// public name.)
pub fn read_full_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    crate::source::gzindex::cache::read_at_most(file, buf, at)
}

/// The first `HEAD_MAX` bytes of a file's *content* — decompressed if it is compressed —
/// and its codec. For recognising a rotated file that was compressed meanwhile.
pub fn content_head(path: &Path) -> io::Result<(Codec, Vec<u8>)> {
    let file = File::open(path)?;
    let mut magic = [0u8; crate::source::open::MAGIC_LEN];
    let n = read_full_at(&file, &mut magic, 0)?;
    let codec = detect(&magic[..n]);
    let mut head = vec![0; HEAD_MAX];
    let got = if codec == Codec::Plain {
        read_full_at(&file, &mut head, 0)?
    } else {
        drop(file);
        let mut input = crate::source::open(path).map_err(io::Error::other)?;
        // A compressed file still being written (or damaged) has no usable head: an error.
        crate::source::open::read_full(&mut input, &mut head)?
    };
    head.truncate(got);
    Ok((codec, head))
}

/// How a candidate file's head relates to a known head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRelation {
    /// The candidate starts with every byte of the known head: same content so far.
    Covers,
    /// The candidate is shorter but is a prefix of the known head: it may be a copy still
    /// being written, or a new file that happens to start the same way. Undecided.
    PrefixOf,
    /// The bytes differ: another file.
    Differs,
}

/// Compare a candidate's first bytes with a known head.
pub fn relate(candidate: &[u8], known: &[u8]) -> HeadRelation {
    if candidate.len() >= known.len() {
        if candidate[..known.len()] == *known {
            HeadRelation::Covers
        } else {
            HeadRelation::Differs
        }
    } else if known[..candidate.len()] == *candidate {
        HeadRelation::PrefixOf
    } else {
        HeadRelation::Differs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn head_extends_only_contiguously() {
        let mut h = Head::default();
        h.extend(0, b"abc");
        h.extend(5, b"zzz"); // a gap: ignored
        assert_eq!(h.bytes(), b"abc");
        h.extend(1, b"bcdef"); // overlaps, extends
        assert_eq!(h.bytes(), b"abcdef");
        let big = vec![b'x'; 3000];
        h.extend(6, &big);
        assert_eq!(h.len(), HEAD_MAX);
    }

    #[test]
    fn fingerprint_matches_prefix_only() {
        let fp = Fingerprint::of(b"hello\n");
        assert!(fp.matches(b"hello\nworld\n"));
        assert!(!fp.matches(b"hell"));
        assert!(!fp.matches(b"jello\nworld\n"));
    }

    #[test]
    fn relation() {
        assert_eq!(relate(b"abcdef", b"abc"), HeadRelation::Covers);
        assert_eq!(relate(b"ab", b"abc"), HeadRelation::PrefixOf);
        assert_eq!(relate(b"abd", b"abc"), HeadRelation::Differs);
        assert_eq!(relate(b"", b"abc"), HeadRelation::PrefixOf);
    }

    #[test]
    fn still_matches_detects_rewrite_and_shrink() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"first line\nsecond\n").unwrap();
        let f = File::open(&p).unwrap();
        let head = Head::read(&f).unwrap();
        let mut scratch = Vec::new();
        assert!(head.still_matches(&f, &mut scratch).unwrap());
        std::fs::write(&p, b"first line\n").unwrap(); // shorter: truncated
        assert!(!head.still_matches(&f, &mut scratch).unwrap());
        std::fs::write(&p, b"other line\nsecond\nthird\n").unwrap();
        assert!(!head.still_matches(&f, &mut scratch).unwrap());
    }

    #[test]
    fn content_head_of_gzip_is_decompressed() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.log.1");
        let gz = dir.path().join("a.log.1.gz");
        std::fs::write(&plain, b"line one\nline two\n").unwrap();
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"line one\nline two\n").unwrap();
        enc.finish().unwrap();
        let (c1, h1) = content_head(&plain).unwrap();
        let (c2, h2) = content_head(&gz).unwrap();
        assert_eq!(c1, Codec::Plain);
        assert_eq!(c2, Codec::Gzip);
        assert_eq!(h1, h2);
    }
}
