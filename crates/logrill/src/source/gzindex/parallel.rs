//! Reading through an index: chunks between seek points decoded on several threads,
//! handed out in file order, every member's CRC-32 and length still checked.
//!
//! Chunk *i* runs from seek point *i* to seek point *i + 1* (the last to the end of the
//! file). A worker reads the chunk's compressed bytes with `pread`, primes a raw inflate with
//! the point's unused bits and window, and decodes exactly the chunk's output length; if a
//! member ends inside the chunk it checks nothing itself but notes the trailer, parses the
//! next member's header and goes on. Each chunk comes back as its bytes plus *pieces*: the
//! CRC-32 of each stretch between member ends. The reader folds the pieces into the running
//! CRC of the current member (`crc32fast`'s `combine`, which needs only each piece's CRC and
//! length) and compares it with the stored trailer at every member end, before handing out
//! the chunk holding that end.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use super::cache::read_at_most;
use super::format::{unpack_window, Index};
use super::inflate::Stream;

/// A stretch of a chunk's output up to a member end or the chunk's end.
pub(crate) struct Piece {
    crc: crc32fast::Hasher,
    len: u64,
    /// Stored CRC-32 and length (mod 2³²) of the member this piece ends, if it ends one.
    trailer: Option<(u32, u32)>,
}

impl Piece {
    /// The piece as plain numbers (its CRC-32, its length, the trailer of the member it
    /// ends), to be checked elsewhere: the chunks of one file read on several machines.
    pub(crate) fn to_parts(&self) -> (u32, u64, Option<(u32, u32)>) {
        (self.crc.clone().finalize(), self.len, self.trailer)
    }

    /// The piece [`Piece::to_parts`] gave.
    pub(crate) fn from_parts(crc: u32, len: u64, trailer: Option<(u32, u32)>) -> Piece {
        Piece {
            crc: crc32fast::Hasher::new_with_initial_len(crc, len),
            len,
            trailer,
        }
    }
}

struct Chunk {
    /// The chunk's bytes are `data[..len]`; the buffer is recycled (see [`Spare`]).
    data: Vec<u8>,
    len: usize,
    pieces: Vec<Piece>,
}

/// Buffers handed back by the reader for the workers to fill again: fresh memory is slow to
/// touch (page faults, about 2 GB/s here), a recycled buffer is not.
type Spare = Arc<Mutex<Vec<Vec<u8>>>>;

type Job = (usize, SyncSender<io::Result<Chunk>>);

/// What the chunk workers share: the file (read with `pread`), its index, the counter of
/// compressed bytes.
type Shared = Arc<(File, Index, Option<Arc<AtomicU64>>, Spare)>;

/// An indexed gzip file whose chunks may be read one by one, each as a piece of the file
/// (see [`crate::source::pieces`]): decoded and processed by one worker.
#[derive(Clone)]
pub struct IndexedFile {
    shared: Shared,
}

impl IndexedFile {
    /// How many chunks (seek points) the file has.
    pub fn chunks(&self) -> usize {
        self.shared.1.points.len()
    }

    /// Chunk `i`, decoded: its bytes and the CRC pieces to check them with
    /// ([`MemberCheck`]).
    /// The buffer is a recycled one when there is one ([`IndexedFile::recycle`]).
    pub(crate) fn decode(&self, i: usize) -> io::Result<(Vec<u8>, Vec<Piece>)> {
        let (file, index, counter, spare) = &*self.shared;
        let buf = spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        let mut c = decode_chunk(file, index, i, counter.as_deref(), buf, false)?;
        c.data.truncate(c.len);
        Ok((c.data, c.pieces))
    }

    /// Give a decoded chunk's buffer back, to be filled again: fresh memory is slow to
    /// touch (see [`Spare`]).
    pub(crate) fn recycle(&self, buf: Vec<u8>) {
        if buf.capacity() > 0 {
            if let Ok(mut s) = self.shared.3.lock() {
                if s.len() < 8 {
                    s.push(buf);
                }
            }
        }
    }

    /// The start of chunk `i`, decoded up to and with its first newline (`true`), or the
    /// whole chunk if it has none (`false`): the end of a line that started in a chunk
    /// before. Nothing is checked here: the chunk's own piece checks its CRC.
    pub(crate) fn line_end(&self, i: usize) -> io::Result<(Vec<u8>, bool)> {
        let (file, index, _, _) = &*self.shared;
        let mut c = decode_chunk(file, index, i, None, Vec::new(), true)?;
        c.data.truncate(c.len);
        match memchr::memchr(b'\n', &c.data) {
            Some(nl) => {
                c.data.truncate(nl + 1);
                Ok((c.data, true))
            }
            None => Ok((c.data, false)),
        }
    }
}

/// The running CRC-32 and length of the current gzip member, checked at every member end
/// against its trailer: chunk after chunk, in file order.
pub(crate) struct MemberCheck {
    member: u64,
    crc: crc32fast::Hasher,
    len: u64,
}

impl Default for MemberCheck {
    fn default() -> MemberCheck {
        MemberCheck {
            member: 0,
            crc: crc32fast::Hasher::new(),
            len: 0,
        }
    }
}

impl MemberCheck {
    /// Fold a chunk's pieces in, checking every member that ends in it.
    pub(crate) fn fold(&mut self, pieces: Vec<Piece>) -> io::Result<()> {
        for p in pieces {
            self.crc.combine(&p.crc);
            self.len += p.len;
            if let Some((crc, len)) = p.trailer {
                let got = std::mem::take(&mut self.crc).finalize();
                if got != crc {
                    return Err(bad(format!(
                        "gzip member {}: CRC-32 mismatch (stored {crc:08x}, data {got:08x})",
                        self.member + 1
                    )));
                }
                if self.len as u32 != len {
                    return Err(bad(format!(
                        "gzip member {}: length mismatch (stored {len}, data {})",
                        self.member + 1,
                        self.len as u32
                    )));
                }
                self.member += 1;
                self.len = 0;
            }
        }
        Ok(())
    }
}

/// Decompressed bytes of an indexed gzip file, decoded `threads` chunks at a time.
pub(crate) struct IndexedReader {
    jobs: Option<mpsc::Sender<Job>>,
    pending: VecDeque<Receiver<io::Result<Chunk>>>,
    next_job: usize,
    chunks: usize,
    in_flight: usize,
    current: Vec<u8>,
    current_len: usize,
    at: usize,
    spare: Spare,
    check: MemberCheck,
    failed: bool,
    /// For reading the file in pieces instead ([`IndexedReader::pieces`]).
    shared: Shared,
}

impl IndexedReader {
    /// Start `threads` workers over `file` (read with `pread`, so they share it), counting
    /// compressed bytes into `counter` if given.
    pub fn new(
        file: File,
        index: Index,
        threads: usize,
        counter: Option<Arc<AtomicU64>>,
    ) -> io::Result<IndexedReader> {
        let chunks = index.points.len();
        let spare: Spare = Arc::default();
        let shared: Shared = Arc::new((file, index, counter, Arc::clone(&spare)));
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = threads.clamp(1, chunks.max(1));
        for _ in 0..threads {
            let rx = Arc::clone(&rx);
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("logrill-gzchunk".into())
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, reply)) = job else { return };
                    let (file, index, counter, spare) = &*shared;
                    let buf = spare
                        .lock()
                        .ok()
                        .and_then(|mut s| s.pop())
                        .unwrap_or_default();
                    let _ =
                        reply.send(decode_chunk(file, index, i, counter.as_deref(), buf, false));
                })?;
        }
        // Chunks are dispatched at the first read: a file read in pieces never reads here.
        Ok(IndexedReader {
            jobs: Some(tx),
            pending: VecDeque::new(),
            next_job: 0,
            chunks,
            // Two chunks per worker: one decoding, one decoded and waiting.
            in_flight: 2 * threads,
            current: Vec::new(),
            current_len: 0,
            at: 0,
            spare,
            check: MemberCheck::default(),
            failed: false,
            shared,
        })
    }

    /// The file, to be read chunk by chunk as pieces instead.
    pub fn pieces(&self) -> IndexedFile {
        IndexedFile {
            shared: Arc::clone(&self.shared),
        }
    }

    fn dispatch(&mut self) {
        while self.pending.len() < self.in_flight && self.next_job < self.chunks {
            let (tx, rx) = mpsc::sync_channel(1);
            if let Some(jobs) = &self.jobs {
                if jobs.send((self.next_job, tx)).is_err() {
                    return;
                }
            }
            self.pending.push_back(rx);
            self.next_job += 1;
        }
    }
}

impl Read for IndexedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.next_job == 0 {
            self.dispatch();
        }
        while self.at == self.current_len {
            if self.failed {
                return Ok(0);
            }
            let Some(rx) = self.pending.pop_front() else {
                return Ok(0);
            };
            let chunk = rx
                .recv()
                .map_err(|_| io::Error::other("gzip chunk worker stopped"))
                .and_then(|c| c);
            self.dispatch();
            let checked = chunk.and_then(|mut c| {
                let pieces = std::mem::take(&mut c.pieces);
                self.check.fold(pieces).map(|()| c)
            });
            let chunk = match checked {
                Ok(c) => c,
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            };
            let used = std::mem::replace(&mut self.current, chunk.data);
            if used.capacity() > 0 {
                if let Ok(mut s) = self.spare.lock() {
                    s.push(used);
                }
            }
            self.current_len = chunk.len;
            self.at = 0;
        }
        let n = out.len().min(self.current_len - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Drop for IndexedReader {
    fn drop(&mut self) {
        // Closing the job channel ends the workers once their current chunk is done.
        self.jobs = None;
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Bytes decoded at a time when only the end of a line is wanted.
const LINE_END_STEP: usize = 8 * 1024;

/// Decode chunk `i` of `index` from `file` (with `line_end`, only up to its first newline).
fn decode_chunk(
    file: &File,
    index: &Index,
    i: usize,
    counter: Option<&AtomicU64>,
    mut data: Vec<u8>,
    line_end: bool,
) -> io::Result<Chunk> {
    let p = &index.points[i];
    let next = index.points.get(i + 1);
    let last = next.is_none();
    let end_in = next.map_or(index.identity.size, |n| n.input);
    let target_out = next.map_or(index.total_out, |n| n.out);
    let target_member = next.map_or(index.members, |n| n.member);
    let start = p.input - u64::from(p.bits > 0);
    let mut input = vec![0u8; (end_in - start) as usize];
    let got = read_at_most(file, &mut input, start)?;
    if let Some(c) = counter {
        c.fetch_add(got as u64, Ordering::Relaxed);
    }
    if got < input.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "gzip data ends early (file truncated)",
        ));
    }
    let mut s = Stream::raw().map_err(io::Error::other)?;
    let mut pos = 0;
    if p.bits > 0 {
        s.prime(p.bits, input[0] >> (8 - p.bits))
            .map_err(io::Error::other)?;
        pos = 1;
    }
    let window = unpack_window(&p.window, p.window_len).map_err(bad)?;
    s.set_window(&window).map_err(bad)?;
    let len = (target_out - p.out) as usize;
    // For the end of a line, the buffer grows as it is filled (a few KiB, not the chunk).
    if data.len() < len && !line_end {
        data.resize(len, 0);
    }
    let mut produced = 0;
    let mut piece_start = 0;
    let mut member = p.member;
    let mut pieces = Vec::new();
    let mut crc = crc32fast::Hasher::new();
    loop {
        if produced == len && member == target_member && !last {
            break;
        }
        // For the end of a line only: a little at a time, up to the first newline.
        let upto = if line_end {
            len.min(produced + LINE_END_STEP)
        } else {
            len
        };
        if data.len() < upto {
            data.resize(upto, 0);
        }
        let step = s
            .inflate(&input[pos..], &mut data[produced..upto], false)
            .map_err(bad)?;
        crc.update(&data[produced..produced + step.produced]);
        if line_end && memchr::memchr(b'\n', &data[produced..produced + step.produced]).is_some() {
            produced += step.produced;
            return Ok(Chunk {
                data,
                len: produced,
                pieces: Vec::new(),
            });
        }
        produced += step.produced;
        pos += step.consumed;
        if step.end {
            let t = input
                .get(pos..pos + 8)
                .ok_or_else(|| bad("gzip trailer missing".into()))?;
            let stored_crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
            let stored_len = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
            pos += 8;
            pieces.push(Piece {
                crc: std::mem::take(&mut crc),
                len: (produced - piece_start) as u64,
                trailer: Some((stored_crc, stored_len)),
            });
            piece_start = produced;
            member += 1;
            if last && pos == input.len() {
                if member != index.members || produced != len {
                    return Err(bad("gzip index does not match the file".into()));
                }
                break;
            }
            pos += header_len(&input[pos..])?;
            s.reset().map_err(io::Error::other)?;
            continue;
        }
        if step.consumed == 0 && step.produced == 0 {
            return Err(if pos == input.len() {
                io::Error::new(io::ErrorKind::UnexpectedEof, "gzip data ends early")
            } else {
                bad("gzip index does not match the file".into())
            });
        }
    }
    pieces.push(Piece {
        crc,
        len: (produced - piece_start) as u64,
        trailer: None,
    });
    Ok(Chunk { data, len, pieces })
}

/// The length of the gzip member header at the start of `b`.
fn header_len(b: &[u8]) -> io::Result<usize> {
    let short = || bad("gzip header cut short".into());
    if b.len() < 10 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8 {
        return Err(bad("not a gzip member header after a member".into()));
    }
    let flags = b[3];
    let mut at = 10;
    if flags & 4 != 0 {
        let x = b.get(at..at + 2).ok_or_else(short)?;
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    for flag in [8, 16] {
        if flags & flag != 0 {
            let rest = b.get(at..).ok_or_else(short)?;
            at += memchr::memchr(0, rest).ok_or_else(short)? + 1;
        }
    }
    if flags & 2 != 0 {
        at += 2;
    }
    if at > b.len() {
        return Err(short());
    }
    Ok(at)
}
