//! One plain file on every core: its byte ranges, cut at line boundaries, read as inputs
//! of their own.
//!
//! A file is cut at nominal offsets, large pieces first and smaller ones towards the end
//! (see [`Split::sizes`]). Piece *k* covers the lines that *start* in its nominal range: it begins after the first newline at or after its nominal start
//! (piece 0 at byte 0) and ends with the first newline at or after its nominal end (the
//! last piece at the end of the file). Both rules look for the same newline at a shared
//! offset, so the pieces neither overlap nor leave a gap, and each piece finds its own
//! edges while it reads: nothing scans the file ahead of the workers. A line longer than a
//! piece leaves the pieces it covers empty.
//!
//! Each piece counts its lines from 1; the one who gathers the pieces' results in order
//! adds the line count of the pieces before (see `exec::parallel`), so every line number
//! comes out as a single reader would give it.
//!
//! Pieces are read with `pread` into the line reader's own buffer, never mapped: a file
//! truncated while mapped would kill the process with SIGBUS. A piece that finds the file
//! ended before its nominal end says the file shrank, naming it.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::source::gzindex::cache::read_at_most;

/// Smallest file split by default: below it, starting workers costs more than it gains.
pub const DEFAULT_MIN_FILE: u64 = 8 * 1024 * 1024;

/// Smallest piece chosen by default, the size of the last pieces of a file: small enough
/// that the worker finishing last keeps the other waiting for little (2 MiB is well under a
/// millisecond of reading), large enough that a piece's start-up (its reader, its
/// channel, its partial state merged by the emitter) is lost in its reading time.
pub const DEFAULT_MIN_PIECE: u64 = 2 * 1024 * 1024;

/// Largest piece chosen by default: few enough pieces for a big file that each piece's
/// values and state stay small.
pub const DEFAULT_MAX_PIECE: u64 = 64 * 1024 * 1024;

/// Bytes read at a time past a piece's nominal end, looking for the newline that ends it.
const TAIL_READ: usize = 16 * 1024;

/// When and how finely one plain file is split (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Files shorter than this are read whole.
    pub min_file: u64,
    /// Bytes of every piece; 0: sizes chosen from the file size and the threads, large
    /// first and smaller towards the end ([`Split::sizes`]).
    pub piece: u64,
    /// The smallest of those chosen sizes (the last pieces' size): [`DEFAULT_MIN_PIECE`].
    pub min_piece: u64,
}

impl Default for Split {
    fn default() -> Split {
        Split {
            min_file: DEFAULT_MIN_FILE,
            piece: 0,
            min_piece: DEFAULT_MIN_PIECE,
        }
    }
}

impl Split {
    /// The nominal sizes of the pieces of a file of `len` bytes read by `threads` workers,
    /// in file order (they add up to at least `len`). With [`Split::piece`] set, all of
    /// that size. Otherwise guided: each piece is the bytes left over `2 · threads`, within
    /// [`Split::min_piece`] and [`DEFAULT_MAX_PIECE`]. The first pieces are large (few
    /// pieces, and the first piece's state is taken whole by the emitter, never merged);
    /// the last ones are small, so that the workers run out of work within a small piece
    /// of each other: with equal pieces, the worker that took the last one works alone
    /// for up to a whole piece at the end (measured on 150 MB and 2 threads: pieces of
    /// 18.75 MB, about 5 ms of reading each, against a run of 35 ms).
    pub fn sizes(&self, len: u64, threads: usize) -> Vec<u64> {
        let mut sizes = Vec::new();
        let mut left = len;
        while left > 0 {
            let size = if self.piece > 0 {
                self.piece
            } else {
                let min = self.min_piece.clamp(1, DEFAULT_MAX_PIECE);
                (left / (2 * threads.max(1) as u64)).clamp(min, DEFAULT_MAX_PIECE)
            };
            sizes.push(size);
            left = left.saturating_sub(size);
        }
        sizes
    }

    /// The nominal ranges of a file of `len` bytes (the last one open-ended), or `None`
    /// when it is read whole (one thread, a short file, a single piece).
    pub fn ranges(&self, len: u64, threads: usize) -> Option<Vec<Nominal>> {
        if threads <= 1 || len < self.min_file {
            return None;
        }
        let sizes = self.sizes(len, threads);
        if sizes.len() <= 1 {
            return None;
        }
        let count = sizes.len();
        let mut start = 0;
        Some(
            sizes
                .into_iter()
                .enumerate()
                .map(|(k, size)| {
                    let range = Nominal {
                        start,
                        end: (k + 1 < count).then(|| start + size),
                    };
                    start += size;
                    range
                })
                .collect(),
        )
    }
}

/// A piece's nominal byte range: `end` is `None` for the last piece, read to the end of
/// the file as a whole file is (a file still growing is read as far as it goes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nominal {
    pub start: u64,
    pub end: Option<u64>,
}

/// A plain regular file that may be split: the handle pieces read with `pread`.
#[derive(Debug, Clone)]
pub struct WholeFile {
    pub(crate) file: Arc<File>,
    /// Where the bytes read are counted, for progress.
    pub(crate) counter: Option<Arc<AtomicU64>>,
}

impl WholeFile {
    /// `file` (a plain regular file), the bytes its readers read counted in `counter`.
    pub fn new(file: File, counter: Option<Arc<AtomicU64>>) -> WholeFile {
        WholeFile {
            file: Arc::new(file),
            counter,
        }
    }

    /// Its length now.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// A reader of the lines of the piece of nominal range `range` (see the module docs).
    pub fn piece(&self, range: Nominal) -> PieceReader {
        PieceReader {
            file: Arc::clone(&self.file),
            counter: self.counter.clone(),
            pos: range.start,
            end: range.end,
            state: if range.start == 0 {
                State::Body
            } else {
                State::Head
            },
        }
    }
}

impl WholeFile {
    /// A reader of the file from byte `at` (a line start) to its end: where a time range
    /// begins (see [`crate::source::timerange`]), or the sample of `parse auto`.
    pub fn from_offset(&self, at: u64) -> PieceReader {
        PieceReader {
            file: Arc::clone(&self.file),
            counter: self.counter.clone(),
            pos: at,
            end: None,
            state: State::Body,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Skipping the line that started in the piece before.
    Head,
    /// Before the nominal end.
    Body,
    /// Past the nominal end, up to and with the next newline.
    Tail,
    Done,
}

/// The bytes of one piece of a file (see [`WholeFile::piece`]).
pub struct PieceReader {
    file: Arc<File>,
    counter: Option<Arc<AtomicU64>>,
    pos: u64,
    end: Option<u64>,
    state: State,
}

impl PieceReader {
    fn pread(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at_most(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }

    /// Step past the first newline at or after the nominal start. `false`: the file ended
    /// first (the line belongs to the piece before, and this piece is empty).
    fn skip_head(&mut self) -> io::Result<bool> {
        let mut scratch = vec![0u8; 64 * 1024];
        loop {
            let at = self.pos;
            let n = read_at_most(&self.file, &mut scratch, at)?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(nl) = memchr::memchr(b'\n', &scratch[..n]) {
                self.pos = at + nl as u64 + 1;
                return Ok(true);
            }
            self.pos = at + n as u64;
        }
    }

    fn shrank(&self, expected: u64) -> io::Error {
        let now = self.file.metadata().map(|m| m.len()).unwrap_or(self.pos);
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "truncated while being read (to {now} bytes; a piece read in parallel \
                 expected at least {expected}); the rest of the file is not read"
            ),
        )
    }
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Head => {
                    if self.skip_head()? {
                        self.state = State::Body;
                    } else {
                        self.state = State::Done;
                    }
                    // A piece whose first line starts past its nominal end holds no line
                    // of its own start: the piece before read it.
                    if let Some(end) = self.end {
                        if self.pos > end {
                            self.state = State::Done;
                        }
                    }
                }
                State::Body => match self.end {
                    None => {
                        let n = self.pread(buf)?;
                        if n == 0 {
                            self.state = State::Done;
                        }
                        return Ok(n);
                    }
                    Some(end) if self.pos >= end => self.state = State::Tail,
                    Some(end) => {
                        let want = buf.len().min((end - self.pos) as usize);
                        let n = self.pread(&mut buf[..want])?;
                        if n == 0 {
                            self.state = State::Done;
                            return Err(self.shrank(end));
                        }
                        return Ok(n);
                    }
                },
                State::Tail => {
                    // The rest of a line: read a little at a time, not a whole buffer of
                    // the next piece's bytes.
                    let at = self.pos;
                    let want = buf.len().min(TAIL_READ);
                    let n = self.pread(&mut buf[..want])?;
                    match memchr::memchr(b'\n', &buf[..n]) {
                        Some(nl) => {
                            self.pos = at + nl as u64 + 1;
                            self.state = State::Done;
                            return Ok(nl + 1);
                        }
                        None => {
                            if n == 0 {
                                self.state = State::Done;
                            }
                            return Ok(n);
                        }
                    }
                }
            }
        }
    }
}

/// A piece of an indexed gzip file: the lines that start in one chunk between two seek
/// points, decoded by the worker that reads the piece (the same rules as for a plain file;
/// see [`crate::source::gzindex::piece`]).
pub use crate::source::gzindex::piece::ChunkPiece;
pub(crate) use crate::source::gzindex::piece::CrcSlot;

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(text: &[u8]) -> (tempfile::NamedTempFile, WholeFile) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, text).unwrap();
        let file = Arc::new(File::open(f.path()).unwrap());
        (
            f,
            WholeFile {
                file,
                counter: None,
            },
        )
    }

    fn pieces(text: &[u8], size: u64) -> Vec<Vec<u8>> {
        let (_f, w) = whole(text);
        let split = Split {
            min_file: 0,
            piece: size,
            ..Split::default()
        };
        split
            .ranges(text.len() as u64, 2)
            .unwrap()
            .into_iter()
            .map(|r| {
                let mut out = Vec::new();
                w.piece(r).read_to_end(&mut out).unwrap();
                out
            })
            .collect()
    }

    #[test]
    fn pieces_put_together_give_the_file_each_line_once() {
        let text: Vec<u8> = (0..500)
            .flat_map(|i| format!("line {i} {}\n", "x".repeat(i % 37)).into_bytes())
            .chain(b"no newline at the end".iter().copied())
            .collect();
        for size in [1, 2, 7, 64, 100, 1000] {
            let parts = pieces(&text, size);
            assert_eq!(parts.concat(), text, "piece size {size}");
            // Every piece but the one holding the last line ends with a newline.
            let last = parts.iter().rposition(|p| !p.is_empty()).unwrap();
            for p in &parts[..last] {
                assert!(p.is_empty() || p.ends_with(b"\n"), "piece size {size}");
            }
        }
    }

    #[test]
    fn guided_sizes_shrink_towards_the_end_and_cover_the_file() {
        let split = Split::default();
        for (len, threads) in [
            (150_000_000u64, 2),
            (553_000_000, 2),
            (9 << 20, 2),
            (1 << 33, 8),
        ] {
            let sizes = split.sizes(len, threads);
            assert!(sizes.iter().sum::<u64>() >= len, "{len}");
            assert!(
                sizes.iter().sum::<u64>() - sizes[sizes.len() - 1] < len,
                "{len}"
            );
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{len}: {sizes:?}");
            assert!(sizes
                .iter()
                .all(|&s| (DEFAULT_MIN_PIECE..=DEFAULT_MAX_PIECE).contains(&s)));
            // The last pieces are the smallest: the workers end within one of each other.
            assert_eq!(
                sizes[sizes.len() - 1],
                DEFAULT_MIN_PIECE,
                "{len}: {sizes:?}"
            );
            let ranges = split.ranges(len, threads).unwrap();
            assert_eq!(ranges.len(), sizes.len());
            assert_eq!(ranges[0].start, 0);
            assert!(ranges.windows(2).all(|w| w[0].end == Some(w[1].start)));
            assert_eq!(ranges[ranges.len() - 1].end, None);
        }
        // 150 MB on two threads: the first piece a quarter of the file, about 14 pieces.
        let sizes = split.sizes(150_000_000, 2);
        assert_eq!(sizes[0], 150_000_000 / 4);
        assert!((10..=20).contains(&sizes.len()), "{sizes:?}");
        // One thread, or a file under the minimum: read whole.
        assert_eq!(split.ranges(150_000_000, 1), None);
        assert_eq!(split.ranges(DEFAULT_MIN_FILE - 1, 2), None);
    }

    #[test]
    fn a_boundary_on_a_newline_and_a_line_longer_than_a_piece() {
        // The nominal boundary 3 is the newline of "abc\n": it ends the first piece, and
        // the second starts after it.
        let text = b"abc\ndef\n0123456789012345678901234567890123456789\nend\n";
        let parts = pieces(text, 3);
        assert_eq!(parts[0], b"abc\n");
        assert_eq!(parts[1], b"def\n");
        assert_eq!(parts.concat(), text);
        // The long line is read by the piece it starts in; those it covers are empty.
        assert!(parts.iter().filter(|p| p.is_empty()).count() >= 10);
        assert!(parts.contains(&b"0123456789012345678901234567890123456789\n".to_vec()));
    }

    #[test]
    fn a_file_that_shrank_is_an_error() {
        let text = b"one\ntwo\nthree\nfour\n".repeat(10);
        let (f, w) = whole(&text);
        let mut r = w.piece(Nominal {
            start: 40,
            end: Some(120),
        });
        f.as_file().set_len(60).unwrap();
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).unwrap_err();
        assert!(e.to_string().contains("truncated"), "{e}");
    }

    #[test]
    fn chunk_pieces_put_together_give_the_text_each_line_once() {
        // Lines of 1 to 4 bytes: many chunks end exactly on a newline (the line starting
        // at the next chunk belongs to the piece before, as for a plain file).
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut text = Vec::new();
        for _ in 0..400_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            text.extend_from_slice(format!("{:x}\n", x % (1 << (4 * (x % 4 + 1)))).as_bytes());
        }
        let d = tempfile::tempdir().unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        std::io::Write::write_all(&mut e, &text).unwrap();
        let gz = d.path().join("short.gz");
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let cache = Arc::new(
            crate::source::gzindex::IndexCache::new(d.path().join("cache"))
                .min_size(0)
                .spacing(2 * 1024)
                .budget(1),
        );
        let open = || crate::source::open_with_index(&gz, None, 2, Some(&cache)).unwrap();
        std::io::copy(&mut open(), &mut std::io::sink()).unwrap();
        let input = open();
        let file = input.indexed().unwrap();
        assert!(file.chunks() > 8, "{} chunks", file.chunks());
        let mut whole = Vec::new();
        let mut on_newline = 0;
        for k in 0..file.chunks() {
            let (data, _) = file.decode(k).unwrap();
            on_newline += usize::from(data.ends_with(b"\n"));
            let (mut piece, _) = ChunkPiece::new(file.clone(), k);
            piece.read_to_end(&mut whole).unwrap();
        }
        assert!(on_newline > 0, "no chunk ends on a newline");
        assert!(whole == text, "the pieces are not the text");
    }
}
