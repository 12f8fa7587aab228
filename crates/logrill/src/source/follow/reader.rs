//! One open file being read: position, the incomplete last line, and the checks that its
//! bytes still belong to the file that was opened.
//!
//! Reads are positional (`pread` at our own offset), so nothing depends on the descriptor's
//! file position, and the same code reads a file that is being appended to, one that was
//! renamed away and one that was deleted but is still open.
//!
//! ## The truncation race, closed
//! Copy-truncate and plain truncation keep the inode and throw the bytes away. If a writer
//! then writes past our offset before we look, the size alone no longer shows the
//! truncation, and a naive reader would deliver the middle of the new content. Here every
//! read is followed by a comparison of the file's first bytes with the ones we know
//! ([`Head::still_matches`]); a read is kept only if the head still matches *after* it, so
//! it cannot have come from new content (truncation cannot be undone, and new content with
//! the very same first KiB is the one case no reader can tell apart).

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use memchr::memrchr;

use super::identity::{DevIno, Head};
use crate::error::InputName;

/// How much one read asks for.
pub const CHUNK: usize = 256 * 1024;

/// What a read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Complete lines: `chunk[..end]`, whose first byte is at file offset `base`.
    Lines { base: u64, end: usize },
    /// New bytes, but no line end yet (they are held).
    Partial,
    /// Nothing new.
    Eof,
    /// The file's first bytes changed or it shrank below what was read: truncated (and
    /// perhaps rewritten). The read was discarded.
    Truncated,
    /// Its first bytes are compressed data (a file rewritten in place by `gzip`, say):
    /// not lines. The read was discarded.
    Compressed(crate::source::Codec),
}

/// A followed file, open.
#[derive(Debug)]
pub struct Reader {
    /// A serial number, unique within a follower.
    pub serial: u64,
    /// The name its lines are given.
    pub name: Arc<InputName>,
    /// Where it was found (it may have been renamed since).
    pub path: PathBuf,
    pub file: File,
    pub id: DevIno,
    pub head: Head,
    /// File offset of the next byte to read.
    pub read_pos: u64,
    /// Bytes read after the last line end: a line not complete yet.
    pub partial: Vec<u8>,
    /// Offset right after the last line handed out.
    pub delivered: u64,
    /// Offset right after the last line processed (what a checkpoint records).
    pub committed: u64,
    /// When it last grew (or was rotated away): the grace period counts from here.
    pub last_growth: Instant,
    /// Read to the end once and then closed (a copy left by copy-truncate): no grace.
    pub finite: bool,
    /// The last read found nothing new.
    pub at_eof: bool,
    /// A compressed generation (found at restart, or the compressed copy of a truncated
    /// file): read through its decoder, from its start up to `read_pos`, then on. Such a
    /// file does not grow, so it is always [`finite`](Reader::finite).
    pub decoded: Option<Decoded>,
    /// The file this one is a copy of (copy-truncate's copy, perhaps compressed since):
    /// its lines are that file's lines at the same offsets, so they are named by that
    /// file's identity ([`Origin`](super::Origin)); a line read again from the copy after
    /// a restart is then known as the line already sent (a message id stays the same).
    pub copy_of: Option<DevIno>,
    /// The offset of the line numbered 1: 0, or where `--from-start --since` entered the
    /// file by binary search (the lines before were never read, so never counted; see
    /// [`super::numbering`]).
    pub line_origin: u64,
}

/// The decoder of a compressed file and how many decoded bytes it has given.
pub struct Decoded {
    input: crate::source::Input,
    pos: u64,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoded")
            .field("codec", &self.input.codec())
            .field("pos", &self.pos)
            .finish()
    }
}

/// A decoder of the whole of `file` (its compression detected from its first bytes).
fn decoder(path: &std::path::Path, file: &File) -> io::Result<crate::source::Input> {
    let src = crate::source::open::PreadFrom {
        file: file.try_clone()?,
        at: 0,
        counter: None,
    };
    crate::source::open::open_reader(InputName::Path(path.to_path_buf()), src)
        .map_err(io::Error::other)
}

impl Reader {
    /// A reader of `file` starting at `pos` (its head is read from the file).
    pub fn open(
        serial: u64,
        name: Arc<InputName>,
        path: PathBuf,
        file: File,
        id: DevIno,
        pos: u64,
    ) -> io::Result<Reader> {
        let head = Head::read(&file)?;
        Ok(Reader::at(serial, name, path, file, id, head, pos))
    }

    /// A reader of plain `file` with `head` known, at `pos`, nothing read yet.
    fn at(
        serial: u64,
        name: Arc<InputName>,
        path: PathBuf,
        file: File,
        id: DevIno,
        head: Head,
        pos: u64,
    ) -> Reader {
        Reader {
            serial,
            name,
            path,
            file,
            id,
            head,
            read_pos: pos,
            partial: Vec::new(),
            delivered: pos,
            committed: pos,
            last_growth: Instant::now(),
            finite: false,
            at_eof: false,
            decoded: None,
            copy_of: None,
            line_origin: 0,
        }
    }

    /// A reader of the compressed `file`, going on at decoded offset `pos`. Its head is
    /// the head of its decoded content, so it is recognised as the file it is a
    /// compressed copy of.
    pub fn open_decoded(
        serial: u64,
        name: Arc<InputName>,
        path: PathBuf,
        file: File,
        id: DevIno,
        pos: u64,
    ) -> io::Result<Reader> {
        let mut head = vec![0; super::identity::HEAD_MAX];
        let mut first = decoder(&path, &file)?;
        let got = crate::source::open::read_full(&mut first, &mut head)?;
        head.truncate(got);
        let input = decoder(&path, &file)?;
        let head = Head::from_bytes(&head);
        Ok(Reader {
            finite: true,
            decoded: Some(Decoded { input, pos: 0 }),
            ..Reader::at(serial, name, path, file, id, head, pos)
        })
    }

    /// Extend the known head with the file's first bytes written since (up to
    /// `HEAD_MAX`; the file is `size` bytes now), if they continue it. Bytes that do not
    /// are left for the truncation check to find.
    pub fn learn_head(&mut self, size: u64) {
        let have = self.head.len();
        if self.decoded.is_some() || have >= super::identity::HEAD_MAX || size <= have as u64 {
            return;
        }
        if let Ok(now) = Head::read(&self.file) {
            if now.bytes().starts_with(self.head.bytes()) {
                self.head = now;
            }
        }
    }

    /// The file's size now (`None` if it cannot be looked at).
    pub fn size(&self) -> Option<u64> {
        match self.decoded {
            // The decoded size is not known before the end.
            Some(_) => None,
            None => self.file.metadata().ok().map(|m| m.len()),
        }
    }

    /// Start again at offset 0 (after a truncation): what was held is dropped.
    pub fn restart(&mut self) -> io::Result<()> {
        self.head = Head::read(&self.file)?;
        self.read_pos = 0;
        self.line_origin = 0;
        self.partial.clear();
        self.delivered = 0;
        self.committed = 0;
        self.at_eof = false;
        self.last_growth = Instant::now();
        Ok(())
    }

    /// Whether the file was truncated (or rewritten from its start) under us.
    pub fn truncated(&self, size: u64, scratch: &mut Vec<u8>) -> io::Result<bool> {
        if self.decoded.is_some() {
            // Its offsets are decoded ones; a compressed file is written once.
            return Ok(false);
        }
        Ok(size < self.read_pos || !self.head.still_matches(&self.file, scratch)?)
    }

    /// Read the next bytes into `chunk`, the held partial line in front. On
    /// [`Read::Lines`], `chunk[..end]` holds complete lines, each ending in `\n`; the rest
    /// is held again. A held line longer than `max_line` is handed out as it is (without a
    /// line end), so memory stays bounded.
    ///
    /// `chunk` is a scratch buffer whose *length* is its usable size: it only ever grows,
    /// and is never cleared, because zeroing 256 KiB for every small append would cost far
    /// more than the read.
    pub fn read(
        &mut self,
        chunk: &mut Vec<u8>,
        max_line: usize,
        scratch: &mut Vec<u8>,
    ) -> io::Result<Read> {
        let held = self.partial.len();
        if chunk.len() < held + CHUNK {
            chunk.resize(held + CHUNK, 0);
        }
        chunk[..held].copy_from_slice(&self.partial);
        if let Some(d) = self.decoded.as_mut() {
            let n = read_decoded(d, self.read_pos, &mut chunk[held..held + CHUNK])?;
            return Ok(self.took(chunk, held, n, max_line));
        }
        let n = loop {
            match std::os::unix::fs::FileExt::read_at(
                &self.file,
                &mut chunk[held..held + CHUNK],
                self.read_pos,
            ) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.at_eof = true;
            return Ok(Read::Eof);
        }
        // Checked after the read: see the module documentation. (Also at offset 0: the
        // head was read when the file was opened, and a truncation since then means these
        // bytes are new content.)
        if !self.head.still_matches(&self.file, scratch)? {
            return Ok(Read::Truncated);
        }
        if self.read_pos == 0 && held == 0 {
            let codec = crate::source::detect(&chunk[..n.min(crate::source::open::MAGIC_LEN)]);
            if codec != crate::source::Codec::Plain {
                return Ok(Read::Compressed(codec));
            }
        }
        Ok(self.took(chunk, held, n, max_line))
    }

    /// `n` new bytes were read into `chunk` after the `held` bytes of the partial line.
    fn took(&mut self, chunk: &mut [u8], held: usize, n: usize, max_line: usize) -> Read {
        if n == 0 {
            self.at_eof = true;
            return Read::Eof;
        }
        let valid = held + n;
        self.head.extend(self.read_pos, &chunk[held..valid]);
        let base = self.read_pos - held as u64;
        self.read_pos += n as u64;
        self.at_eof = n < CHUNK;
        self.last_growth = Instant::now();
        self.partial.clear();
        match memrchr(b'\n', &chunk[..valid]) {
            Some(k) => {
                self.partial.extend_from_slice(&chunk[k + 1..valid]);
                Read::Lines { base, end: k + 1 }
            }
            None if valid >= max_line => Read::Lines { base, end: valid },
            None => {
                self.partial.extend_from_slice(&chunk[..valid]);
                Read::Partial
            }
        }
    }

    /// Hand out the held partial line as a last line (the file is finished and it will
    /// never be completed): copied to the front of `chunk`; returns its base offset and
    /// length.
    pub fn take_partial(&mut self, chunk: &mut Vec<u8>) -> Option<(u64, usize)> {
        let len = self.partial.len();
        if len == 0 {
            return None;
        }
        if chunk.len() < len {
            chunk.resize(len, 0);
        }
        chunk[..len].copy_from_slice(&self.partial);
        self.partial.clear();
        Some((self.read_pos - len as u64, len))
    }
}

/// Read decoded bytes at decoded offset `at` into `buf` (skipping what comes before it:
/// a decoder reads forward only), as many as fit: fewer only at the end, so that a short
/// read means the end as it does for a plain file.
fn read_decoded(d: &mut Decoded, at: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let n = match io::Read::read(&mut d.input, &mut buf[got..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        let start = d.pos;
        d.pos += n as u64;
        if d.pos <= at {
            // Before the offset wanted: thrown away.
            continue;
        }
        let skip = at.saturating_sub(start) as usize;
        if skip > 0 {
            buf.copy_within(got + skip..got + n, got);
        }
        got += n - skip;
    }
    Ok(got)
}

/// The offset where the last `n` lines of `file` (of `size` bytes) start. A last line
/// without a line end counts as a line.
pub fn last_lines_start(file: &File, size: u64, n: u64) -> io::Result<u64> {
    if n == 0 {
        return Ok(size);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut end = size;
    // The final line end terminates the last line; it does not start one.
    let mut skip_final = true;
    let mut found = 0u64;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let len = (end - start) as usize;
        let got = super::identity::read_full_at(file, &mut buf[..len], start)?;
        let block = &buf[..got];
        let mut upto = block.len();
        if skip_final {
            skip_final = false;
            if block.last() == Some(&b'\n') {
                upto -= 1;
            }
        }
        let mut slice = &block[..upto];
        while let Some(k) = memrchr(b'\n', slice) {
            found += 1;
            if found == n {
                return Ok(start + k as u64 + 1);
            }
            slice = &slice[..k];
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"a\nbb\nccc\n").unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(last_lines_start(&f, 9, 0).unwrap(), 9);
        assert_eq!(last_lines_start(&f, 9, 1).unwrap(), 5);
        assert_eq!(last_lines_start(&f, 9, 2).unwrap(), 2);
        assert_eq!(last_lines_start(&f, 9, 3).unwrap(), 0);
        assert_eq!(last_lines_start(&f, 9, 10).unwrap(), 0);
        std::fs::write(&p, b"a\nbb\nccc").unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(last_lines_start(&f, 8, 1).unwrap(), 5);
        assert_eq!(last_lines_start(&f, 8, 2).unwrap(), 2);
    }

    #[test]
    fn read_holds_partial_and_detects_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"one\ntw").unwrap();
        let f = File::open(&p).unwrap();
        let id = DevIno::of(&f.metadata().unwrap());
        let name = Arc::new(InputName::Path(p.clone()));
        let mut r = Reader::open(0, name, p.clone(), f, id, 0).unwrap();
        let (mut chunk, mut scratch) = (Vec::new(), Vec::new());
        assert_eq!(
            r.read(&mut chunk, 1 << 20, &mut scratch).unwrap(),
            Read::Lines { base: 0, end: 4 }
        );
        assert_eq!(&chunk[..4], b"one\n");
        assert_eq!(r.partial, b"tw");
        assert_eq!(
            r.read(&mut chunk, 1 << 20, &mut scratch).unwrap(),
            Read::Eof
        );
        // Rewritten from the start, longer than what was read: a truncation all the same.
        std::fs::write(&p, b"ONE\ntwo\nthree\n").unwrap();
        assert_eq!(
            r.read(&mut chunk, 1 << 20, &mut scratch).unwrap(),
            Read::Truncated
        );
    }
}
