//! A gzip file of several members on every core, on its first read, without an index.
//!
//! Many gzip files are several members back to back: BGZF (`bgzip`, members of at most
//! 64 KiB), `cat a.gz b.gz`, logs appended a compressed batch at a time, writers that close
//! a member at every flush. A member starts cold (an empty window, a byte boundary), so a
//! member start is a seek point that needs no index: the file can be cut there and each
//! range decoded on its own thread. What is not known without decoding is *where* members
//! start: the gzip header holds no compressed length (BGZF's `BC` extra field does, see
//! below).
//!
//! # Finding cuts
//!
//! The file is cut near every 1 MiB of compressed bytes (the spacing of an index's seek
//! points, [`super::record::MIN_SPACING`], for the same reasons: 5–10 MiB of log text,
//! enough ranges to keep many cores busy, each long enough that its start is lost in its
//! decoding time): from each nominal offset the bytes are scanned for the
//! next *candidate* member start, a plausible gzip header (`1f 8b 08`, no reserved flag,
//! a known `XFL` and `OS`, the whole header parsing, [`plausible_header`]). A BGZF header
//! also names its member's compressed size: a candidate that has one must be followed by
//! another header (or the file's end) at that distance. Scanning from each nominal offset
//! finds a BGZF member start within 64 KiB, so walking all of a BGZF file's headers (one
//! read each) is not needed. A file whose scan finds no candidate (one member, GNU gzip's
//! usual output) is read as before; the scan is what that file pays (bench/RESULTS.md).
//!
//! # Why a false candidate cannot change the output
//!
//! Compressed bytes can look like a header. A candidate is only *accepted* by the chain of
//! member ends: each range ([`MemberPiece`]) is decoded from its cut by a gzip decoder
//! ([`super::record::Recorder`], every member's CRC-32 and length checked by zlib) past the
//! next cut, until a member ends exactly *at* a cut. Range 0 starts at the file's start, a
//! true member start; a range that started at a true member start meets every true member
//! end, so if the next cut is true, the range ends there; if it ended a member past a cut,
//! that cut was false: its range is *absorbed* (the range before decodes on through it,
//! and reports how many ranges it absorbed). Whoever puts the ranges back in order
//! (`exec::parallel`) discards an absorbed range's values, errors and state unread. By
//! induction every accepted cut is a true member start, and the bytes handed on are those
//! of one decoder reading the file from its start.
//!
//! # Lines
//!
//! As for the chunks of an index ([`super::piece`]): a range starts after its first newline
//! (range 0 at its start), and runs through the first newline at or after its end,
//! decoding on from there (a few KiB) with the same decoder. Line numbers come from the
//! order of the ranges, counted by the reader that puts them back together.
//!
//! # What is recorded
//!
//! Nothing: a first read split at members stores no index (the recording decoder is never
//! run), and needs none: every read finds the cuts again (the scan costs far less than a
//! read, see docs/gzip-index.md). A read that cannot run in ranges (a pipeline such as
//! `head`) reads the file as one stream and records its index as before.

use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use super::cache::read_at_most;
use super::chunk::header_len;
use super::inflate::Stream;
use super::record::Recorder;
use crate::source::open::PreadFrom;

/// Bytes read at a time while scanning for a candidate.
const SCAN_BUF: usize = 256 * 1024;

/// The longest header accepted as a candidate (extra field, name and comment included).
const MAX_HEADER: usize = 4096;

/// Decoded bytes at a time while looking for the newline that ends a range.
const LINE_END_STEP: usize = 8 * 1024;

/// A multi-member gzip file and where it is cut: each cut the offset of a candidate member
/// header (the first is 0).
#[derive(Clone)]
pub struct MemberFile {
    shared: Arc<Shared>,
}

struct Shared {
    file: Arc<File>,
    cuts: Vec<u64>,
    counter: Option<Arc<AtomicU64>>,
}

impl MemberFile {
    /// Cut the gzip file `file` (`size` bytes) at candidate member starts about `spacing`
    /// compressed bytes apart; `None` when no cut was found (one member, or members too far
    /// apart to give two ranges). Compressed bytes decoded later are counted in `counter`.
    pub(crate) fn find(
        file: &File,
        size: u64,
        spacing: u64,
        counter: Option<Arc<AtomicU64>>,
    ) -> io::Result<Option<MemberFile>> {
        let cuts = find_cuts(file, size, spacing.max(1))?;
        if cuts.len() < 2 {
            return Ok(None);
        }
        Ok(Some(MemberFile {
            shared: Arc::new(Shared {
                file: Arc::new(file.try_clone()?),
                cuts,
                counter,
            }),
        }))
    }

    /// How many ranges the file is cut into.
    pub fn ranges(&self) -> usize {
        self.shared.cuts.len()
    }

    /// The file offsets of the cuts (candidate member headers, the first at 0).
    pub fn cuts(&self) -> &[u64] {
        &self.shared.cuts
    }
}

/// The offsets of candidate member starts, the first at or after each multiple of
/// `spacing` (0 included), in order.
pub(super) fn find_cuts(file: &File, size: u64, spacing: u64) -> io::Result<Vec<u64>> {
    let mut cuts = vec![0];
    let finder = memchr::memmem::Finder::new(&[0x1f, 0x8b, 0x08]);
    let mut buf = vec![0u8; SCAN_BUF];
    let mut header = vec![0u8; MAX_HEADER];
    let mut nominal = spacing;
    while nominal < size {
        let Some(c) = next_candidate(file, nominal, &finder, &mut buf, &mut header)? else {
            break;
        };
        cuts.push(c);
        nominal = (c / spacing + 1) * spacing;
    }
    Ok(cuts)
}

/// The first candidate member start at or after `from`.
fn next_candidate(
    file: &File,
    from: u64,
    finder: &memchr::memmem::Finder<'_>,
    buf: &mut [u8],
    header: &mut [u8],
) -> io::Result<Option<u64>> {
    let mut at = from;
    loop {
        let n = read_at_most(file, buf, at)?;
        if n < 3 {
            return Ok(None);
        }
        for hit in finder.find_iter(&buf[..n]) {
            let c = at + hit as u64;
            let got = read_at_most(file, header, c)?;
            if plausible_header(file, c, &header[..got])? {
                return Ok(Some(c));
            }
        }
        // The last two bytes again: a header cut by the buffer's end.
        at += n as u64 - 2;
    }
}

/// Whether the bytes at `at` (`b`, up to [`MAX_HEADER`] of them) look like the header of a
/// gzip member: magic and method, no reserved flag, a known `XFL` and `OS`, the whole
/// header present; a BGZF header's member size must lead to another header or the end.
pub(crate) fn plausible_header(file: &File, at: u64, b: &[u8]) -> io::Result<bool> {
    if b.len() < 18 || b[..3] != [0x1f, 0x8b, 0x08] {
        return Ok(false);
    }
    let (flags, xfl, os) = (b[3], b[8], b[9]);
    if flags & 0xe0 != 0 || !matches!(xfl, 0 | 2 | 4) || !(os <= 13 || os == 255) {
        return Ok(false);
    }
    let Ok(Some(len)) = header_len(b) else {
        return Ok(false);
    };
    if len > b.len() {
        return Ok(false);
    }
    if let Some(bsize) = bgzf_block_size(b) {
        let next = at + bsize + 1;
        let mut magic = [0u8; 3];
        let got = read_at_most(file, &mut magic, next)?;
        return Ok(got == 0 || (got == 3 && magic == [0x1f, 0x8b, 0x08]));
    }
    Ok(true)
}

/// The `BSIZE` of a BGZF header (its member's compressed size less one), from the `BC`
/// subfield of the extra field (SAM specification, section 4.1).
fn bgzf_block_size(b: &[u8]) -> Option<u64> {
    if b[3] & 4 == 0 {
        return None;
    }
    let xlen = usize::from(u16::from_le_bytes([b[10], b[11]]));
    let mut extra = b.get(12..12 + xlen)?;
    while extra.len() >= 4 {
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let data = extra.get(4..4 + len)?;
        if extra[..2] == *b"BC" && len == 2 {
            return Some(u64::from(u16::from_le_bytes([data[0], data[1]])));
        }
        extra = &extra[4 + len..];
    }
    None
}

/// Where a [`MemberPiece`] says how many ranges after it it absorbed (their cuts were no
/// member starts); `None` until it ended its range (a read stopped early).
pub(crate) type AbsorbedSlot = Arc<Mutex<Option<usize>>>;

/// The lines that start in range `k` of a [`MemberFile`] (see the module docs).
pub struct MemberPiece {
    file: MemberFile,
    k: usize,
    /// The next cut the range may end at.
    next_cut: usize,
    decoder: Recorder<PreadFrom<Arc<File>>>,
    phase: Phase,
    absorbed: AbsorbedSlot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Decoding up to the first newline (dropped: the range before has it).
    Head,
    /// Handing the range's bytes out.
    Body,
    /// Past the range's end, through the first newline.
    Tail,
    Done,
}

impl MemberPiece {
    /// Range `k` of `file`, and where it will say how many ranges it absorbed.
    pub(crate) fn new(file: MemberFile, k: usize) -> io::Result<(MemberPiece, AbsorbedSlot)> {
        let start = file.shared.cuts.get(k).copied().unwrap_or(u64::MAX);
        let stream = Stream::gzip().map_err(io::Error::other)?;
        let input = PreadFrom {
            file: Arc::clone(&file.shared.file),
            at: start,
            counter: file.shared.counter.clone(),
        };
        let absorbed = AbsorbedSlot::default();
        let piece = MemberPiece {
            decoder: Recorder::from_member(input, stream, start),
            next_cut: k + 1,
            k,
            file,
            phase: if k == 0 { Phase::Body } else { Phase::Head },
            absorbed: Arc::clone(&absorbed),
        };
        Ok((piece, absorbed))
    }

    /// A member ended at `end` (`None`: the file ended): whether the range ends here, and
    /// if so, note how many cuts it passed.
    fn range_ends(&mut self, end: Option<u64>) -> bool {
        let cuts = &self.file.shared.cuts;
        let ends = match end {
            Some(p) => {
                while cuts.get(self.next_cut).is_some_and(|&c| c < p) {
                    self.next_cut += 1;
                }
                cuts.get(self.next_cut) == Some(&p)
            }
            None => {
                self.next_cut = cuts.len();
                true
            }
        };
        if ends {
            if let Ok(mut slot) = self.absorbed.lock() {
                *slot = Some(self.next_cut - self.k - 1);
            }
        }
        ends
    }
}

impl Read for MemberPiece {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.phase {
                Phase::Done => return Ok(0),
                Phase::Tail => {
                    let step = buf.len().min(LINE_END_STEP);
                    let p = self.decoder.step(&mut buf[..step])?;
                    if p.produced == 0 && self.decoder.finished() {
                        self.phase = Phase::Done;
                        return Ok(0);
                    }
                    if let Some(nl) = memchr::memchr(b'\n', &buf[..p.produced]) {
                        self.phase = Phase::Done;
                        return Ok(nl + 1);
                    }
                    if p.produced > 0 {
                        return Ok(p.produced);
                    }
                }
                Phase::Head | Phase::Body => {
                    let p = self.decoder.step(buf)?;
                    let eof = p.produced == 0 && self.decoder.finished();
                    let mut from = 0;
                    if self.phase == Phase::Head {
                        match memchr::memchr(b'\n', &buf[..p.produced]) {
                            Some(nl) => {
                                from = nl + 1;
                                self.phase = Phase::Body;
                            }
                            None => from = p.produced,
                        }
                    }
                    if (p.member_end.is_some() || eof) && self.range_ends(p.member_end) {
                        // The range ends: a range that holds a line start goes on to its
                        // end; one that holds none (still in its head) is done.
                        self.phase = match self.phase {
                            Phase::Body if !eof => Phase::Tail,
                            _ => Phase::Done,
                        };
                    }
                    if p.produced > from {
                        buf.copy_within(from..p.produced, 0);
                        return Ok(p.produced - from);
                    }
                    if eof {
                        self.phase = Phase::Done;
                    }
                }
            }
        }
    }
}
