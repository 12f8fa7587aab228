//! One chunk of an indexed gzip file (seek point *i* to seek point *i + 1*), decoded a
//! buffer at a time into whatever buffer the caller gives.
//!
//! Every way of reading through an index goes through here: the [`super::parallel`]
//! reader decodes whole chunks on its workers, a chunk *piece* ([`super::piece`]) decodes
//! straight into the line reader's buffer, and a `--since` search decodes a few KiB after
//! a seek point to read a line's time. Decoding into the caller's buffer matters: a chunk
//! is 8–12 MiB of log text, and decoding it into a buffer of its own and copying that into
//! the line reader's costs a pass over memory that no cache holds (measured: the pieces
//! cost 1.33× the CPU of the sequential read before, see bench/RESULTS.md).
//!
//! What a chunk start costs is kept small and reused: the compressed bytes are read with
//! one `pread` into a recycled buffer (or a few KiB at a time when only a line's end or
//! time is wanted), and the inflate state (zlib's 7 KiB state and 32 KiB window) is taken
//! from a pool and reset rather than allocated, so a new chunk touches no fresh memory.
//!
//! A member that ends inside the chunk is not checked here: its CRC-32 and length are
//! passed on as [`Piece`]s, which the reader of the chunks folds in file order
//! ([`super::parallel::MemberCheck`]).

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::cache::read_at_most;
use super::format::{unpack_window, Index};
use super::inflate::Stream;

/// A stretch of a chunk's output up to a member end or the chunk's end.
pub(crate) struct Piece {
    pub(super) crc: crc32fast::Hasher,
    pub(super) len: u64,
    /// Stored CRC-32 and length (mod 2³²) of the member this piece ends, if it ends one.
    pub(super) trailer: Option<(u32, u32)>,
}

/// Things the decoders of one file hand back to be used again: fresh memory is slow to
/// touch (page faults, about 2 GB/s here), a recycled buffer is not.
#[derive(Default)]
pub(crate) struct Pools {
    /// Buffers of compressed bytes.
    inputs: Mutex<Vec<Vec<u8>>>,
    /// Inflate states.
    streams: Mutex<Vec<Stream>>,
    /// Whole decoded chunks (the threaded reader's).
    pub(super) outputs: Mutex<Vec<Vec<u8>>>,
}

/// At most this many of each thing are kept: a few per thread.
const POOL_MAX: usize = 8;

impl Pools {
    fn take<T>(pool: &Mutex<Vec<T>>) -> Option<T> {
        pool.lock().ok().and_then(|mut p| p.pop())
    }

    fn give<T>(pool: &Mutex<Vec<T>>, item: T) {
        if let Ok(mut p) = pool.lock() {
            if p.len() < POOL_MAX {
                p.push(item);
            }
        }
    }

    /// A buffer for a decoded chunk, recycled if one was given back.
    pub(super) fn output(&self) -> Vec<u8> {
        Pools::take(&self.outputs).unwrap_or_default()
    }

    /// Give a decoded chunk's buffer back.
    pub(super) fn give_output(&self, buf: Vec<u8>) {
        if buf.capacity() > 0 {
            Pools::give(&self.outputs, buf);
        }
    }
}

/// What the chunk decoders of one file share: the file (read with `pread`), its index,
/// the counter of compressed bytes read, and the pools.
pub(crate) struct Shared {
    pub(super) file: std::fs::File,
    pub(super) index: Index,
    pub(super) counter: Option<Arc<AtomicU64>>,
    pub(super) pools: Pools,
}

/// How much of a chunk is wanted: decides how its compressed bytes are read and whether
/// its output is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// All of it, CRC pieces kept: its compressed bytes in one `pread`, counted.
    Whole,
    /// Its start only (the end of a line that began before it, a line's time): compressed
    /// bytes read 4 KiB at a time, not checked (whoever reads the chunk whole
    /// checks it), counted only into `counted`, if given.
    Start,
}

impl Want {
    /// Compressed bytes read at a time for [`Want::Start`]: 20–40 KiB of log text, enough
    /// for a line's end or a line's time.
    const STEP: usize = 4 * 1024;
}

/// Chunk `i` of an indexed file, being decoded.
pub(crate) struct ChunkDecoder {
    shared: Arc<Shared>,
    want: Want,
    /// Where the compressed bytes read for [`Want::Start`] are counted.
    counted: Option<Arc<AtomicU64>>,
    stream: Option<Stream>,
    /// Compressed bytes read; `input[pos..]` not yet given to inflate.
    input: Vec<u8>,
    pos: usize,
    /// File offsets: the next compressed byte to read, and the chunk's end.
    in_next: u64,
    in_end: u64,
    /// Decoded bytes wanted (the chunk's length) and so far.
    len: u64,
    produced: u64,
    /// The member being decoded, and the one the chunk ends in.
    member: u64,
    target_member: u64,
    last: bool,
    crc: crc32fast::Hasher,
    piece_start: u64,
    pieces: Vec<Piece>,
    done: bool,
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

impl ChunkDecoder {
    /// Start decoding chunk `i` of the file `shared` describes.
    pub(crate) fn new(
        shared: &Arc<Shared>,
        i: usize,
        want: Want,
        counted: Option<Arc<AtomicU64>>,
    ) -> io::Result<ChunkDecoder> {
        let index = &shared.index;
        let p = index
            .points
            .get(i)
            .ok_or_else(|| bad("gzip index: no such chunk"))?;
        let next = index.points.get(i + 1);
        let start = p.input - u64::from(p.bits > 0);
        let in_end = next.map_or(index.identity.size, |n| n.input);
        let mut stream = match Pools::take(&shared.pools.streams) {
            Some(mut s) => {
                s.reset().map_err(io::Error::other)?;
                s
            }
            None => Stream::raw().map_err(io::Error::other)?,
        };
        let window = unpack_window(&p.window, p.window_len).map_err(|e| bad(&e))?;
        let mut input = Pools::take(&shared.pools.inputs).unwrap_or_default();
        input.clear();
        let mut d = ChunkDecoder {
            shared: Arc::clone(shared),
            want,
            counted,
            stream: None,
            input,
            pos: 0,
            in_next: start,
            in_end,
            len: next.map_or(index.total_out, |n| n.out) - p.out,
            produced: 0,
            member: p.member,
            target_member: next.map_or(index.members, |n| n.member),
            last: next.is_none(),
            crc: crc32fast::Hasher::new(),
            piece_start: 0,
            pieces: Vec::new(),
            done: false,
        };
        if p.bits > 0 {
            d.need(1)?;
            let first = d.input.first().copied().unwrap_or(0);
            stream
                .prime(p.bits, first >> (8 - p.bits))
                .map_err(io::Error::other)?;
            d.pos = 1;
        }
        stream.set_window(&window).map_err(|e| bad(&e))?;
        d.stream = Some(stream);
        Ok(d)
    }

    /// The chunk's decoded length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Read more compressed bytes, so that at least `n` are ready past `pos` (fewer at the
    /// chunk's end). Whole chunks are read in one go.
    fn need(&mut self, n: usize) -> io::Result<()> {
        if self.input.len() - self.pos >= n || self.in_next >= self.in_end {
            return Ok(());
        }
        self.input.drain(..self.pos);
        self.pos = 0;
        let left = (self.in_end - self.in_next) as usize;
        let step = match self.want {
            Want::Whole => left,
            Want::Start => left.min(Want::STEP.max(n)),
        };
        let have = self.input.len();
        self.input.resize(have + step, 0);
        let got = read_at_most(&self.shared.file, &mut self.input[have..], self.in_next)?;
        self.input.truncate(have + got);
        self.in_next += got as u64;
        let counter = match self.want {
            Want::Whole => self.shared.counter.as_deref(),
            Want::Start => self.counted.as_deref(),
        };
        if let Some(c) = counter {
            c.fetch_add(got as u64, Ordering::Relaxed);
        }
        if got < step {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "gzip data ends early (file truncated)",
            ));
        }
        Ok(())
    }

    /// Decode the next bytes of the chunk into `out`: how many, 0 at the chunk's end (or
    /// when `out` is empty before it). Once all the chunk's bytes are out, an empty `out`
    /// finishes it (the end of a member that ends with it, the CRC pieces).
    pub(crate) fn fill(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() && self.produced < self.len {
            return Ok(0);
        }
        loop {
            if self.done {
                return Ok(0);
            }
            if self.produced == self.len && self.member == self.target_member && !self.last {
                self.end_piece(None);
                self.done = true;
                return Ok(0);
            }
            let room = out.len().min((self.len - self.produced) as usize);
            if self.pos == self.input.len() {
                self.need(1)?;
            }
            let Some(stream) = self.stream.as_mut() else {
                return Ok(0);
            };
            let step = stream
                .inflate(&self.input[self.pos..], &mut out[..room], false)
                .map_err(|e| bad(&e))?;
            let made = &out[..step.produced];
            if self.want == Want::Whole {
                self.crc.update(made);
            }
            self.produced += step.produced as u64;
            self.pos += step.consumed;
            if step.end {
                self.member_end()?;
                if step.produced > 0 {
                    return Ok(step.produced);
                }
                continue;
            }
            if step.produced > 0 {
                return Ok(step.produced);
            }
            if step.consumed == 0 {
                return Err(
                    if self.pos == self.input.len() && self.in_next >= self.in_end {
                        io::Error::new(io::ErrorKind::UnexpectedEof, "gzip data ends early")
                    } else {
                        bad("gzip index does not match the file")
                    },
                );
            }
        }
    }

    /// A member ended: note its trailer, and start the next one (its header skipped).
    fn member_end(&mut self) -> io::Result<()> {
        self.need(8)?;
        let t = self
            .input
            .get(self.pos..self.pos + 8)
            .ok_or_else(|| bad("gzip trailer missing"))?;
        let stored_crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let stored_len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        self.pos += 8;
        self.end_piece(Some((stored_crc, stored_len)));
        self.member += 1;
        if self.last && self.pos == self.input.len() && self.in_next >= self.in_end {
            if self.member != self.shared.index.members || self.produced != self.len {
                return Err(bad("gzip index does not match the file"));
            }
            self.done = true;
            return Ok(());
        }
        // The next member's header, read further while it is cut short.
        let mut want = 64;
        let header = loop {
            self.need(want)?;
            match header_len(&self.input[self.pos..])? {
                Some(n) => break n,
                None if self.in_next < self.in_end => want = 2 * (self.input.len() - self.pos),
                None => return Err(bad("gzip header cut short")),
            }
        };
        self.pos += header;
        if let Some(s) = self.stream.as_mut() {
            s.reset().map_err(io::Error::other)?;
        }
        Ok(())
    }

    fn end_piece(&mut self, trailer: Option<(u32, u32)>) {
        self.pieces.push(Piece {
            crc: std::mem::take(&mut self.crc),
            len: self.produced - self.piece_start,
            trailer,
        });
        self.piece_start = self.produced;
    }

    /// The CRC pieces of the chunk (once [`ChunkDecoder::fill`] said it ended).
    pub(crate) fn take_pieces(&mut self) -> Vec<Piece> {
        std::mem::take(&mut self.pieces)
    }
}

impl Drop for ChunkDecoder {
    fn drop(&mut self) {
        let pools = &self.shared.pools;
        if let Some(s) = self.stream.take() {
            Pools::give(&pools.streams, s);
        }
        let input = std::mem::take(&mut self.input);
        if input.capacity() > 0 {
            Pools::give(&pools.inputs, input);
        }
    }
}

/// The length of the gzip member header at the start of `b`; `None` if `b` ends inside it.
pub(super) fn header_len(b: &[u8]) -> io::Result<Option<usize>> {
    if b.len() < 10 {
        return Ok(None);
    }
    if b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 {
        return Err(bad("not a gzip member header after a member"));
    }
    let flags = b[3];
    let mut at = 10;
    if flags & 4 != 0 {
        let Some(x) = b.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            let Some(rest) = b.get(at..) else {
                return Ok(None);
            };
            let Some(nul) = memchr::memchr(0, rest) else {
                return Ok(None);
            };
            at += nul + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    Ok((at <= b.len()).then_some(at))
}
