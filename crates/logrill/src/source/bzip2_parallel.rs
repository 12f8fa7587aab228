//! Block-parallel bzip2 decoding: one large `.bz2` file uses every core.
//!
//! bzip2 cuts its input into blocks of at most 900 kB and compresses each one on its own;
//! only a 32-bit CRC ties them together. Decoding is the slowest of our codecs (the `bzip2`
//! crate's pure-Rust libbz2 does about 60 MB/s on this machine), so a single large file is
//! decoded here as `lbzip2` does it: find the blocks, decode several at once, and hand the
//! bytes out in order.
//!
//! # Why our own, and not a crate
//!
//! Two crates do this; neither fits (tried 2026-11 on a 100 MB log file, see
//! `bench/RESULTS.md`):
//!
//! * `lbzip2` 0.5 reads 100 MB of *compressed* input per step and keeps that step's whole
//!   output in memory: 204 MB peak RSS for a 9 MB file (a 2 GB file would need about 1 GB per
//!   step). A truncated or corrupt file gives an error and *no* output, not the 33 or 45 MB
//!   before the damage. Its worker pool is a process-wide one from another crate (no thread
//!   count per reader), its decoder has 15 `unsafe` sites, and its licence adds the
//!   `bzip2-1.0.6` term, all for a second block decoder next to the one we already ship.
//! * `parallel_bzip2_decoder` 0.2 needs the whole compressed file in memory or mapped (no
//!   `Read` source, so no standard input) and pulls in `bzip2` 0.4 with the C libbz2. Worse,
//!   it treats a block that ends early as success and checks no stream CRC: a truncated file
//!   and a file with a corrupt byte both decoded *without any error*, silently missing their
//!   tails. A false block magic inside compressed data would split a good block in two.
//!
//! # How
//!
//! The reading thread (the caller's) reads the compressed input in 256 kB pieces and scans
//! it, bit by bit, for the two 48-bit markers: block magic `0x314159265359` and end-of-stream
//! magic `0x177245385090`. The stretch between two consecutive matches is a *segment*; a
//! segment that starts with a block magic is re-wrapped as a complete one-block stream
//! (`BZh<level>`, the block's bits shifted to a byte boundary, an end-of-stream marker, and a
//! stream CRC equal to the block's stored CRC) and decoded by a worker thread with the same
//! libbz2 (`bzip2::Decompress`) the sequential decoder uses. That decoder checks the block
//! CRC, so a block comes out only once it is verified; the reader then folds each CRC into the
//! stream CRC and checks it against the one stored after the end-of-stream marker, parses the
//! header of the next stream (`cat a.bz2 b.bz2`), and hands out the blocks in file order.
//!
//! A match can also occur *inside* compressed data by chance (2⁻⁴⁸ per bit position and
//! marker). Such a false match cuts a block in two; the first half then fails to decode after
//! the decoder read into the synthetic trailer, and the reader retries with the next segment
//! appended, until the block decodes and its CRC holds, or the decoder fails on genuine bits,
//! or the span exceeds the largest possible compressed block (2.5 MB). A segment that starts
//! at a false match is never used: the next segment is taken only where the previous verified
//! block ended. (libbz2 reads up to 8 bytes ahead, so "read into the trailer" is sometimes
//! true of a genuine error too; that costs one needless retry, never a wrong answer.)
//!
//! Nothing here switches to the sequential decoder half-way: the bytes already read cannot be
//! read again, and there is no need, since every block goes through the same libbz2 decoder
//! and every check it makes is made. The sequential `bzip2::read::MultiBzDecoder` is used when
//! one thread is asked for or none can be started; a worker that dies has its blocks decoded on
//! the reading thread, and so has a block the scanner guessed the wrong block size for.
//!
//! # What you get
//!
//! * Output identical to `bzip2::read::MultiBzDecoder` for every valid file, multi-stream
//!   files and streams of different block sizes included.
//! * Only verified data: a block is handed out after its CRC matched. Corrupt input gives an
//!   [`io::ErrorKind::InvalidData`] error, truncated input [`io::ErrorKind::UnexpectedEof`],
//!   both *after* every block before the damage (the sequential decoder also hands out the
//!   bytes of a corrupt block before it notices the CRC mismatch; this one does not).
//!   Garbage after the last stream is an error, as it is for the sequential decoder.
//! * Bounded memory, whatever the file size: at most `window` segments in flight (4 per
//!   thread, fewer when blocks decode to a lot, so that about 32 MB of decoded output are
//!   pending), each at most 2.5 MB compressed and 46 MB decoded (a block of one repeated
//!   byte), plus 3.6 MB of decoder state per thread. For log text: 20 MB peak RSS, against
//!   8 MB for the sequential decoder, for a 100 MB file and for a 1 GB one alike.
//! * The cost: one extra copy of the compressed bytes (the bit shift), a scan of them (a table
//!   lookup per byte), and a thread hop per block. A segment is decoded by one worker at a
//!   time, so a file of one block is no faster; on two cores a large file decodes 1.8–2.0×
//!   as fast, for 6–9% more CPU in all (`bench/RESULTS.md`).
//!
//! Use it for *one* large file on otherwise idle cores. When many files are decoded at once,
//! one thread per file already uses every core; and on a busy machine the workers are
//! time-sliced with other processes, thrash each other's caches, and spend up to twice the
//! CPU: measured at load 2–7 on two cores, it was 0.5–0.75× the speed of the sequential
//! decoder.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use bzip2::{Decompress, Status};

/// Block header magic (the digits of π), 48 bits at any bit offset.
const BLOCK_MAGIC: u64 = 0x3141_5926_5359;
/// End-of-stream magic (the digits of √π), 48 bits at any bit offset.
const EOS_MAGIC: u64 = 0x1772_4538_5090;
const MAGIC_BITS: u64 = 48;
const MAGIC_MASK: u64 = (1 << MAGIC_BITS) - 1;
/// `BZh` and the level digit.
const HEADER_BITS: u64 = 32;
/// Marker plus a 32-bit CRC, for blocks and for the end of a stream.
const MARKER_AND_CRC_BITS: u64 = MAGIC_BITS + 32;

/// An upper bound on one compressed block: at most 900 001 symbols of at most 20 bits, plus
/// tables (about 2.3 MB). No segment of a valid file is longer.
const MAX_SEGMENT_BITS: u64 = 2_621_440 * 8;
/// An upper bound on one decoded block: 900 000 bytes of run-length code expand at most
/// 259/5 times (46.6 MB).
const MAX_BLOCK_OUTPUT: usize = 48 << 20;
/// How much compressed input is read at a time.
const READ_CHUNK: usize = 256 * 1024;
/// More threads than this are not started, whatever is asked.
const MAX_THREADS: usize = 64;
/// Failed decodes of a block, one segment longer each time, before a binary search.
const LINEAR_RETRIES: usize = 4;
/// Segments in flight per thread.
const WINDOW_PER_THREAD: usize = 4;
/// Decoded bytes the window aims to keep pending (it shrinks when blocks are large).
const OUTPUT_BUDGET: usize = 32 << 20;
/// Output buffers larger than this are freed rather than reused.
const POOL_MAX_CAPACITY: usize = 4 << 20;

/// A reader of the decompressed bytes of the bzip2 data in `inner` (every stream, as
/// `cat a.bz2 b.bz2` makes), decoded block-parallel on `threads` worker threads.
///
/// `threads == 0` means one per available core; `threads == 1` (or a machine where no thread
/// can be started) gives the sequential `bzip2::read::MultiBzDecoder`. Nothing is read from
/// `inner` until the first `read`.
///
/// Errors of the returned reader: [`io::ErrorKind::InvalidData`] for corrupt data (a bad
/// header, a block or stream CRC mismatch, garbage after the last stream),
/// [`io::ErrorKind::UnexpectedEof`] for truncated data, and whatever `inner` returns; each
/// comes after every verified block before the damage. The sequential decoder (for
/// `threads == 1`) reports corrupt data as [`io::ErrorKind::InvalidInput`].
pub fn reader<R: Read + Send + 'static>(
    inner: R,
    threads: usize,
) -> io::Result<Box<dyn Read + Send>> {
    let threads = match threads {
        0 => thread::available_parallelism().map_or(1, |n| n.get()),
        n => n.min(MAX_THREADS),
    };
    if threads <= 1 {
        return Ok(Box::new(bzip2::read::MultiBzDecoder::new(inner)));
    }
    match ParallelDecoder::new(inner, threads) {
        Ok(decoder) => Ok(Box::new(decoder)),
        Err(inner) => Ok(Box::new(bzip2::read::MultiBzDecoder::new(inner))),
    }
}

/// The reader behind [`reader`] for more than one thread.
struct ParallelDecoder<R> {
    scanner: Scanner<R>,
    /// Segments in file order, each with the receiver of its worker's result.
    pending: VecDeque<Pending>,
    threads: usize,
    /// The current limit on `pending`.
    window: usize,
    /// `None` once failed (the workers then stop).
    jobs: Option<Sender<Job>>,
    pool: Arc<Pool>,
    /// The block being handed out.
    out: Vec<u8>,
    out_pos: usize,
    started: bool,
    finished: bool,
    failed: Option<(io::ErrorKind, String)>,
    /// Bit offset where the next marker must be.
    expected: u64,
    /// Block size level (1–9) of the current stream.
    level: u8,
    /// Stream CRC of the blocks so far in the current stream.
    combined_crc: u32,
    /// Scratch for decoding on this thread (retries, level mismatches).
    scratch: Vec<u8>,
}

struct Pending {
    seg: Arc<Segment>,
    /// The worker's verdict; `None` for end-of-stream segments and when no worker took it.
    result: Option<Receiver<BlockResult>>,
}

struct Job {
    seg: Arc<Segment>,
    level: u8,
    reply: SyncSender<BlockResult>,
}

type BlockResult = Result<Vec<u8>, Fail>;

/// Why a segment did not decode.
#[derive(Debug)]
struct Fail {
    /// The decoder had read into the synthetic trailer, so the segment may just be too short
    /// (a false marker match cut it); `false` when it failed on genuine bits.
    retry: bool,
    /// The block's bytes had started to come out: its end was reached (the inverse BWT needs
    /// all of a block), so a longer segment cannot help.
    produced: bool,
    message: &'static str,
}

impl Fail {
    fn new(retry: bool, out: &[u8], message: &'static str) -> Fail {
        Fail {
            retry,
            produced: !out.is_empty(),
            message,
        }
    }

    /// Whether a longer segment might decode.
    fn may_be_short(&self) -> bool {
        self.retry && !self.produced
    }
}

/// Reusable output buffers, shared with the workers.
struct Pool {
    buffers: Mutex<Vec<Vec<u8>>>,
    max: usize,
}

impl Pool {
    fn take(&self) -> Vec<u8> {
        self.buffers
            .lock()
            .ok()
            .and_then(|mut b| b.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > POOL_MAX_CAPACITY {
            return;
        }
        buf.clear();
        if let Ok(mut b) = self.buffers.lock() {
            if b.len() < self.max {
                b.push(buf);
            }
        }
    }
}

impl<R: Read> ParallelDecoder<R> {
    /// Start the workers; gives `inner` back if not even one thread could be started.
    fn new(inner: R, threads: usize) -> Result<Self, R> {
        let max_window = threads * WINDOW_PER_THREAD;
        let pool = Arc::new(Pool {
            buffers: Mutex::new(Vec::new()),
            max: max_window + threads,
        });
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let mut started = 0;
        for i in 0..threads {
            let rx = Arc::clone(&rx);
            let pool = Arc::clone(&pool);
            let spawned = thread::Builder::new()
                .name(format!("bzip2-{i}"))
                .spawn(move || worker(&rx, &pool));
            if spawned.is_ok() {
                started += 1;
            }
        }
        if started == 0 {
            return Err(inner);
        }
        Ok(ParallelDecoder {
            scanner: Scanner::new(inner),
            pending: VecDeque::new(),
            threads: started,
            window: started * WINDOW_PER_THREAD,
            jobs: Some(tx),
            pool,
            out: Vec::new(),
            out_pos: 0,
            started: false,
            finished: false,
            failed: None,
            expected: HEADER_BITS,
            level: 9,
            combined_crc: 0,
            scratch: Vec::new(),
        })
    }

    /// Read and check the first stream header.
    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        self.scanner.fill_to(4);
        if let Some(e) = self.scanner.error.take() {
            return Err(e);
        }
        let head = &self.scanner.buf[..self.scanner.buf.len().min(4)];
        let level = parse_header(head, "not a bzip2 stream (no BZh header)")?;
        self.level = level;
        self.scanner.level = level;
        self.expected = HEADER_BITS;
        Ok(())
    }

    /// Queue segments (and their jobs) until the window is full or the input ends.
    fn top_up(&mut self) {
        while self.pending.len() < self.window {
            let Some(seg) = self.scanner.next_segment() else {
                break;
            };
            let seg = Arc::new(seg);
            let mut result = None;
            if seg.kind() == Kind::Block {
                if let Some(jobs) = &self.jobs {
                    let (reply, rx) = mpsc::sync_channel(1);
                    let job = Job {
                        seg: Arc::clone(&seg),
                        level: seg.level,
                        reply,
                    };
                    if jobs.send(job).is_ok() {
                        result = Some(rx);
                    }
                }
            }
            self.pending.push_back(Pending { seg, result });
        }
    }

    fn next_pending(&mut self) -> Option<Pending> {
        self.top_up();
        self.pending.pop_front()
    }

    /// The error for "the input ended (or failed) where more was needed".
    fn no_more(&mut self, what: &str) -> io::Error {
        self.scanner
            .error
            .take()
            .unwrap_or_else(|| truncated(format!("bzip2 data truncated ({what})")))
    }

    /// The next verified block's bytes, or `None` after the last stream.
    fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        if !self.started {
            self.start()?;
        }
        loop {
            let Some(p) = self.next_pending() else {
                return Err(self.no_more("no end-of-stream marker"));
            };
            if p.seg.start != self.expected {
                return Err(corrupt(format!(
                    "bzip2 data corrupt: no block header at byte {}",
                    self.expected / 8
                )));
            }
            let p = if p.seg.bits() < MAGIC_BITS && !p.seg.at_eof {
                // A false match inside this marker cut it short: join the pieces.
                let mut span = Segment::clone(&p.seg);
                while span.bits() < MAGIC_BITS && !span.at_eof {
                    let Some(next) = self.next_pending() else {
                        return Err(self.no_more("in a marker"));
                    };
                    span.append(&next.seg);
                }
                Pending {
                    seg: Arc::new(span),
                    result: None,
                }
            } else {
                p
            };
            match p.seg.kind() {
                Kind::Block => return self.block(p).map(Some),
                Kind::EndOfStream => {
                    if self.end_of_stream(&p.seg)? {
                        return Ok(None);
                    }
                }
                Kind::Other if p.seg.at_eof && p.seg.bits() < MAGIC_BITS => {
                    return Err(truncated(format!(
                        "bzip2 data truncated at byte {}",
                        self.expected / 8
                    )));
                }
                Kind::Other => {
                    return Err(corrupt(format!(
                        "bzip2 data corrupt: no block header at byte {}",
                        self.expected / 8
                    )));
                }
            }
        }
    }

    /// Decode a segment here, on the reading thread.
    fn decode_here(&mut self, seg: &Segment) -> BlockResult {
        let out = self.pool.take();
        decode_segment(seg, self.level, &mut self.scratch, out)
    }

    /// A block that the reader has verified: fold its CRC into the stream's.
    fn accept(&mut self, seg: &Segment) {
        let crc = seg.bits_at(seg.start + MAGIC_BITS, 32).unwrap_or(0) as u32;
        self.combined_crc = self.combined_crc.rotate_left(1) ^ crc;
        self.expected = seg.end;
    }

    fn block(&mut self, p: Pending) -> io::Result<Vec<u8>> {
        let seg = p.seg;
        let result = match p.result {
            Some(rx) if seg.level == self.level => match rx.recv() {
                Ok(r) => r,
                // The worker is gone: decode here.
                Err(_) => self.decode_here(&seg),
            },
            // Decoded for another block size than this stream's (or not at all): again here.
            _ => self.decode_here(&seg),
        };
        match result {
            Ok(out) => {
                self.accept(&seg);
                Ok(out)
            }
            Err(_) if seg.at_eof => self.decode_truncated(Segment::clone(&seg)),
            Err(f) if !f.may_be_short() => Err(corrupt_at(f.message, seg.start)),
            Err(_) => self.retry_longer(Segment::clone(&seg)),
        }
    }

    /// The block starting at `span` did not fit in it (a false marker match cut it short):
    /// append segments until it decodes.
    ///
    /// One segment at a time first, which settles the rare real case (one false match) with
    /// one more decode. After [`LINEAR_RETRIES`], take every segment up to the largest
    /// possible block and binary-search them: a decode that ends at or after the block's true
    /// end has produced output (or failed on genuine bits), one that ends before it has not.
    /// Input made to hold many false matches therefore costs a few decodes per block, not
    /// one per match.
    fn retry_longer(&mut self, mut span: Segment) -> io::Result<Vec<u8>> {
        for _ in 0..LINEAR_RETRIES {
            if span.at_eof {
                return self.decode_truncated(span);
            }
            let Some(next) = self.next_pending() else {
                return Err(self.no_more("in a block"));
            };
            span.append(&next.seg);
            if span.bits() > MAX_SEGMENT_BITS {
                return Err(corrupt_at("bad block (no valid end)", span.start));
            }
            match self.decode_here(&span) {
                Ok(out) => {
                    self.accept(&span);
                    return Ok(out);
                }
                Err(_) if span.at_eof => return self.decode_truncated(span),
                Err(f) if !f.may_be_short() => return Err(corrupt_at(f.message, span.start)),
                Err(_) => {}
            }
        }
        let mut taken = Vec::new();
        while !span.at_eof && span.bits() <= MAX_SEGMENT_BITS {
            let Some(next) = self.next_pending() else {
                break;
            };
            span.append(&next.seg);
            taken.push(next);
        }
        // The smallest `i` for which the span up to `taken[i]`'s end is long enough. The end
        // of the input is no marker: it is left to `decode_truncated`.
        let ends_at_marker = taken.len() - usize::from(span.at_eof && !taken.is_empty());
        let (mut lo, mut hi) = (0, ends_at_marker);
        let mut found = None;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let piece = span.truncated(taken[mid].seg.end);
            match self.decode_here(&piece) {
                Err(f) if f.may_be_short() => lo = mid + 1,
                result => {
                    found = Some((mid, piece, result));
                    hi = mid;
                }
            }
        }
        match found {
            Some((i, piece, result)) if i == lo => {
                // The segments after this block are still to be read, with their results.
                for p in taken.drain(i + 1..).rev() {
                    self.pending.push_front(p);
                }
                match result {
                    Ok(out) => {
                        self.accept(&piece);
                        Ok(out)
                    }
                    Err(f) => Err(corrupt_at(f.message, piece.start)),
                }
            }
            _ if span.at_eof => self.decode_truncated(span),
            _ if span.bits() > MAX_SEGMENT_BITS => {
                Err(corrupt_at("bad block (no valid end)", span.start))
            }
            _ => Err(self.no_more("in a block")),
        }
    }

    /// The last segment of the input does not decode as a block. If the input was cut inside
    /// the marker of the *next* block, the last bits are the start of a magic: without them
    /// the block may be whole, and is handed out before the error.
    fn decode_truncated(&mut self, span: Segment) -> io::Result<Vec<u8>> {
        for cut in (1..MAGIC_BITS).rev() {
            if span.bits() <= cut + MARKER_AND_CRC_BITS {
                continue;
            }
            let tail = span.bits_at(span.end - cut, cut as u32).unwrap_or(u64::MAX);
            let prefix_of = |magic: u64| magic >> (MAGIC_BITS - cut) == tail;
            if !prefix_of(BLOCK_MAGIC) && !prefix_of(EOS_MAGIC) {
                continue;
            }
            let shorter = span.truncated(span.end - cut);
            if let Ok(out) = self.decode_here(&shorter) {
                // The next call finds nothing at `expected` and reports the truncation.
                self.accept(&shorter);
                return Ok(out);
            }
        }
        Err(truncated(format!(
            "bzip2 data truncated in the block at byte {}",
            span.start / 8
        )))
    }

    /// Check an end-of-stream marker and what follows it. `Ok(true)`: the input ends here.
    fn end_of_stream(&mut self, seg: &Segment) -> io::Result<bool> {
        let crc_end = seg.start + MARKER_AND_CRC_BITS;
        let next_header = crc_end.div_ceil(8) * 8;
        let next_marker = next_header + HEADER_BITS;
        let mut span = seg.clone();
        while span.end < next_marker && !span.at_eof {
            let Some(next) = self.next_pending() else {
                return Err(self.no_more("after an end-of-stream marker"));
            };
            span.append(&next.seg);
        }
        if span.end < crc_end {
            return Err(truncated(
                "bzip2 data truncated in an end-of-stream marker".into(),
            ));
        }
        let stored = span.bits_at(seg.start + MAGIC_BITS, 32).unwrap_or(0) as u32;
        if stored != self.combined_crc {
            return Err(corrupt(format!(
                "bzip2 data corrupt: stream CRC mismatch at byte {}",
                seg.start / 8
            )));
        }
        if span.end <= next_header {
            // `span` reaches the end of the input, which is byte-aligned: a clean end.
            return Ok(true);
        }
        let header: Vec<u8> = (0..4)
            .map_while(|i| span.bits_at(next_header + 8 * i, 8).map(|b| b as u8))
            .collect();
        let level = parse_header(&header, "trailing garbage after bzip2 stream")?;
        if span.end > next_marker {
            return Err(if span.at_eof && span.end - next_marker < MAGIC_BITS {
                truncated("bzip2 data truncated after a stream header".into())
            } else {
                corrupt(format!(
                    "bzip2 data corrupt: no block header at byte {}",
                    next_marker / 8
                ))
            });
        }
        self.expected = next_marker;
        self.level = level;
        self.combined_crc = 0;
        Ok(false)
    }

    /// Stop the workers and drop what is in flight.
    fn shut_down(&mut self) {
        self.jobs = None;
        self.pending.clear();
    }

    /// Shrink the window when blocks decode to a lot, so pending output stays near
    /// [`OUTPUT_BUDGET`].
    fn adapt_window(&mut self, block_len: usize) {
        let by_budget = OUTPUT_BUDGET / block_len.max(1);
        self.window = by_budget.clamp(self.threads + 1, self.threads * WINDOW_PER_THREAD);
    }
}

impl<R: Read> Read for ParallelDecoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if let Some((kind, message)) = &self.failed {
                return Err(io::Error::new(*kind, message.clone()));
            }
            if self.finished {
                return Ok(0);
            }
            match self.next_block() {
                Ok(Some(block)) => {
                    self.adapt_window(block.len());
                    let old = std::mem::replace(&mut self.out, block);
                    self.pool.give(old);
                    self.out_pos = 0;
                }
                Ok(None) => {
                    self.finished = true;
                    self.shut_down();
                }
                Err(e) => {
                    self.failed = Some((e.kind(), e.to_string()));
                    self.shut_down();
                    return Err(e);
                }
            }
        }
    }
}

/// A worker: decode jobs until the reader is dropped.
fn worker(jobs: &Mutex<Receiver<Job>>, pool: &Pool) {
    let mut scratch = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => match rx.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        let out = pool.take();
        let result = panic::catch_unwind(AssertUnwindSafe(|| {
            decode_segment(&job.seg, job.level, &mut scratch, out)
        }))
        .unwrap_or(Err(Fail {
            retry: false,
            produced: false,
            message: "bzip2 decoder panicked",
        }));
        // The reader may have moved on (a retry, an error, or dropped): nothing to do then.
        let _ = job.reply.send(result);
    }
}

/// Decode one segment as a one-block stream: `Ok` only if it is exactly one block whose
/// CRC matches.
fn decode_segment(seg: &Segment, level: u8, stream: &mut Vec<u8>, mut out: Vec<u8>) -> BlockResult {
    let data_end = synthesize(seg, level, stream);
    out.clear();
    let mut decoder = Decompress::new(false);
    loop {
        if out.capacity() - out.len() < 64 * 1024 {
            if out.len() >= MAX_BLOCK_OUTPUT {
                return Err(Fail::new(
                    false,
                    &out,
                    "block decodes to more than a block can hold",
                ));
            }
            out.reserve(out.len().max(1 << 20));
        }
        let (in_before, out_before) = (decoder.total_in(), decoder.total_out());
        let input = usize::try_from(in_before)
            .ok()
            .and_then(|i| stream.get(i..))
            .unwrap_or(&[]);
        match decoder.decompress_vec(input, &mut out) {
            Ok(Status::StreamEnd) => {
                return if decoder.total_in() == stream.len() as u64 {
                    Ok(out)
                } else {
                    Err(Fail::new(false, &out, "block ends before the next marker"))
                };
            }
            Ok(Status::MemNeeded) => return Err(Fail::new(false, &out, "out of memory")),
            Ok(_) => {
                if decoder.total_in() == in_before && decoder.total_out() == out_before {
                    // All input used and no end: the block runs on past this segment.
                    return Err(Fail::new(true, &out, "block runs past its segment"));
                }
            }
            Err(_) => return Err(Fail::new(decoder.total_in() > data_end, &out, "bad block")),
        }
    }
}

/// Write `seg` into `stream` as a complete one-block bzip2 stream. Returns the index of the
/// first byte that holds bits of the synthetic trailer: a decoder that failed before reading
/// it failed on the segment's own bits.
fn synthesize(seg: &Segment, level: u8, stream: &mut Vec<u8>) -> u64 {
    stream.clear();
    stream.extend_from_slice(&[b'B', b'Z', b'h', b'0' + level]);
    let nbits = seg.bits();
    let nbytes = nbits.div_ceil(8) as usize;
    let shift = (seg.start % 8) as u32;
    stream.reserve(nbytes + 12);
    if shift == 0 {
        stream.extend(seg.bytes.iter().take(nbytes));
    } else {
        let next = seg.bytes.iter().skip(1).chain(std::iter::once(&0));
        stream.extend(
            seg.bytes
                .iter()
                .zip(next)
                .take(nbytes)
                .map(|(&a, &b)| (a << shift) | (b >> (8 - shift))),
        );
    }
    let rem = (nbits % 8) as u32;
    if rem != 0 {
        if let Some(last) = stream.last_mut() {
            *last &= 0xFF << (8 - rem);
        }
    }
    let crc = seg.bits_at(seg.start + MAGIC_BITS, 32).unwrap_or(0);
    let mut pos = HEADER_BITS + nbits;
    put_bits(stream, &mut pos, EOS_MAGIC, MAGIC_BITS as u32);
    put_bits(stream, &mut pos, crc, 32);
    (HEADER_BITS + nbits) / 8
}

/// Append `n` bits of `value` (most significant first) at bit `pos` of `buf`, whose last
/// byte may be partly used.
fn put_bits(buf: &mut Vec<u8>, pos: &mut u64, value: u64, n: u32) {
    for i in (0..n).rev() {
        let byte = (*pos / 8) as usize;
        if byte >= buf.len() {
            buf.push(0);
        }
        if (value >> i) & 1 == 1 {
            if let Some(b) = buf.get_mut(byte) {
                *b |= 0x80 >> (*pos % 8);
            }
        }
        *pos += 1;
    }
}

/// `BZh1`..`BZh9` → the level; a prefix of it → truncated; anything else → `what`.
fn parse_header(head: &[u8], what: &str) -> io::Result<u8> {
    match head {
        [b'B', b'Z', b'h', d @ b'1'..=b'9', ..] => Ok(d - b'0'),
        _ if head.len() < 4 && b"BZh".starts_with(&head[..head.len().min(3)]) => Err(truncated(
            "bzip2 data truncated in the stream header".into(),
        )),
        _ => Err(corrupt(what.to_string())),
    }
}

fn corrupt(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

fn corrupt_at(what: &str, bit: u64) -> io::Error {
    corrupt(format!("bzip2 data corrupt: {what} at byte {}", bit / 8))
}

fn truncated(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, message)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    EndOfStream,
    Other,
}

/// The bits `[start, end)` of the input (bit offsets from its first byte), with the bytes
/// that hold them.
#[derive(Debug, Clone)]
struct Segment {
    start: u64,
    end: u64,
    /// Input bytes `start / 8 .. end.div_ceil(8)`.
    bytes: Vec<u8>,
    /// The block size level the scanner expects this segment's stream to have.
    level: u8,
    /// `end` is the end of the input.
    at_eof: bool,
}

impl Segment {
    fn bits(&self) -> u64 {
        self.end - self.start
    }

    /// `n` (≤ 64) bits at bit offset `pos`, if they are all inside the segment.
    fn bits_at(&self, pos: u64, n: u32) -> Option<u64> {
        if n > 64 || pos < self.start || pos + u64::from(n) > self.end {
            return None;
        }
        let first = self.start / 8;
        let mut v = 0u64;
        for p in pos..pos + u64::from(n) {
            let byte = self.bytes.get((p / 8 - first) as usize)?;
            v = (v << 1) | u64::from((byte >> (7 - p % 8)) & 1);
        }
        Some(v)
    }

    fn kind(&self) -> Kind {
        match self.bits_at(self.start, MAGIC_BITS as u32) {
            Some(BLOCK_MAGIC) => Kind::Block,
            Some(EOS_MAGIC) => Kind::EndOfStream,
            _ => Kind::Other,
        }
    }

    /// Extend by `next`, which starts where this one ends.
    fn append(&mut self, next: &Segment) {
        debug_assert_eq!(self.end, next.start);
        let keep = (self.end / 8 - self.start / 8) as usize;
        self.bytes.truncate(keep);
        self.bytes.extend_from_slice(&next.bytes);
        self.end = next.end;
        self.at_eof = next.at_eof;
    }

    /// The first bits, up to `end`.
    fn truncated(&self, end: u64) -> Segment {
        let keep = (end.div_ceil(8) - self.start / 8) as usize;
        Segment {
            start: self.start,
            end,
            bytes: self.bytes[..keep.min(self.bytes.len())].to_vec(),
            level: self.level,
            at_eof: false,
        }
    }
}

/// Bytes `i + 1` and `i + 2` of every 8-byte window in which a marker starts at bit
/// `8 i + s`, `s < 8`, lie wholly inside the marker: this 64 K-bit set of their possible
/// values rejects almost every position with one lookup.
static FILTER: [u64; 1024] = build_filter();

const fn build_filter() -> [u64; 1024] {
    let mut t = [0u64; 1024];
    let magics = [BLOCK_MAGIC, EOS_MAGIC];
    let mut m = 0;
    while m < magics.len() {
        let mut s = 0;
        while s < 8 {
            let v = ((magics[m] >> (24 + s)) & 0xFFFF) as usize;
            t[v >> 6] |= 1 << (v & 63);
            s += 1;
        }
        m += 1;
    }
    t
}

/// Reads the compressed input and cuts it into segments at every marker match.
struct Scanner<R> {
    inner: R,
    /// Input bytes from `base` on.
    buf: Vec<u8>,
    base: u64,
    /// The next byte whose 8-byte window is to be scanned.
    scan: u64,
    eof: bool,
    /// A read error, or an over-long segment; reported once the segments before it are used.
    error: Option<io::Error>,
    /// Marker matches not yet cut, in bit offsets.
    matches: VecDeque<u64>,
    /// Start of the segment being formed; `None` when the input is used up.
    cur: Option<u64>,
    /// Level of the current stream, as far as the scanner can tell.
    level: u8,
    /// Where reads land before they are appended to `buf`.
    chunk: Vec<u8>,
    /// Tests only: (false) matches to report at these bit offsets, ascending.
    fake: VecDeque<u64>,
}

impl<R: Read> Scanner<R> {
    fn new(inner: R) -> Self {
        Scanner {
            inner,
            buf: Vec::new(),
            chunk: Vec::new(),
            base: 0,
            scan: HEADER_BITS / 8,
            eof: false,
            error: None,
            matches: VecDeque::new(),
            cur: Some(HEADER_BITS),
            level: 9,
            fake: VecDeque::new(),
        }
    }

    fn end_bits(&self) -> u64 {
        (self.base + self.buf.len() as u64) * 8
    }

    /// Read until `n` bytes from the start are buffered (or the input ends).
    fn fill_to(&mut self, n: u64) {
        while !self.eof && self.error.is_none() && self.base + (self.buf.len() as u64) < n {
            self.fill();
        }
    }

    /// The next segment, or `None` at the end of the input (or after an error).
    fn next_segment(&mut self) -> Option<Segment> {
        loop {
            let cur = self.cur?;
            if let Some(p) = self.matches.pop_front() {
                if p <= cur {
                    continue;
                }
                self.cur = Some(p);
                return Some(self.cut(cur, p, false));
            }
            if self.eof {
                self.cur = None;
                let end = self.end_bits();
                return (end > cur).then(|| self.cut(cur, end, true));
            }
            if self.error.is_some() {
                self.cur = None;
                return None;
            }
            if self.scan * 8 > cur + MAX_SEGMENT_BITS + 64 {
                self.error = Some(corrupt(format!(
                    "bzip2 data corrupt: no block boundary within {} bytes after byte {}",
                    MAX_SEGMENT_BITS / 8,
                    cur / 8
                )));
                self.cur = None;
                return None;
            }
            self.fill();
        }
    }

    /// Copy out `[start, end)` and drop what is no longer needed.
    fn cut(&mut self, start: u64, end: u64, at_eof: bool) -> Segment {
        let from = (start / 8 - self.base) as usize;
        let to = ((end.div_ceil(8) - self.base) as usize).min(self.buf.len());
        let seg = Segment {
            start,
            end,
            bytes: self.buf.get(from..to).unwrap_or(&[]).to_vec(),
            level: self.level,
            at_eof,
        };
        if seg.kind() == Kind::EndOfStream {
            // A new stream may follow: note its level for the segments after it.
            let header = (seg.start + MARKER_AND_CRC_BITS).div_ceil(8) * 8;
            if seg.end == header + HEADER_BITS {
                let bytes: Vec<u8> = (0..4)
                    .filter_map(|i| seg.bits_at(header + 8 * i, 8).map(|b| b as u8))
                    .collect();
                if let Ok(level) = parse_header(&bytes, "") {
                    self.level = level;
                }
            }
        }
        let done = (end / 8 - self.base) as usize;
        if done >= READ_CHUNK {
            self.buf.drain(..done.min(self.buf.len()));
            self.base += done as u64;
        }
        seg
    }

    /// Read one chunk and scan it.
    fn fill(&mut self) {
        if self.eof || self.error.is_some() {
            return;
        }
        self.chunk.resize(READ_CHUNK, 0);
        loop {
            match self.inner.read(&mut self.chunk) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&self.chunk[..n.min(READ_CHUNK)]);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
        self.scan_buffer();
    }

    /// Record every marker match that the buffered bytes show.
    fn scan_buffer(&mut self) {
        let end = self.base + self.buf.len() as u64;
        // Windows wholly inside the buffer.
        while self.scan + 8 <= end {
            let i = (self.scan - self.base) as usize;
            let mut w = [0u8; 8];
            w.copy_from_slice(&self.buf[i..i + 8]);
            let key = (usize::from(w[1]) << 8) | usize::from(w[2]);
            if !self.fake.is_empty() || (FILTER[key >> 6] >> (key & 63)) & 1 == 1 {
                self.match_window(u64::from_be_bytes(w), u64::MAX);
            }
            self.scan += 1;
        }
        // At the end of the input, the last windows, padded with zeros.
        if self.eof {
            let end_bits = end * 8;
            while self.scan < end {
                let i = (self.scan - self.base) as usize;
                let mut w = [0u8; 8];
                for (d, s) in w.iter_mut().zip(&self.buf[i..]) {
                    *d = *s;
                }
                self.match_window(u64::from_be_bytes(w), end_bits);
                self.scan += 1;
            }
        }
    }

    /// The matches at bits `8 scan + s`, `s < 8`, in window `w`, that end by `limit`.
    fn match_window(&mut self, w: u64, limit: u64) {
        for s in 0..8u64 {
            let p = self.scan * 8 + s;
            let v = (w >> (16 - s)) & MAGIC_MASK;
            let real = (v == BLOCK_MAGIC || v == EOS_MAGIC) && p + MAGIC_BITS <= limit;
            while self.fake.front().is_some_and(|&f| f < p) {
                self.fake.pop_front();
            }
            let fake = self.fake.front() == Some(&p) && p < limit;
            if real || fake {
                self.matches.push_back(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bzip2::Compression;
    use std::io::Write;

    fn compress(data: &[u8], level: u32) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), Compression::new(level));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Log-like text, deterministic.
    fn text(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let mut out = Vec::with_capacity(len + 200);
        let paths = [
            "/index.html",
            "/robots.txt",
            "/img/logo.png",
            "/api/items",
            "/a.js",
        ];
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let line = format!(
                "10.{}.{}.{} - - [24/Nov/2026:04:{:02}:{:02} +0000] \"GET {}?id={} HTTP/1.1\" {} {}\n",
                x % 256,
                (x >> 8) % 256,
                (x >> 16) % 256,
                (x >> 24) % 60,
                (x >> 30) % 60,
                paths[((x >> 36) % 5) as usize],
                (x >> 40) % 100_000,
                [200, 200, 304, 404][((x >> 58) % 4) as usize],
                (x >> 20) % 50_000
            );
            out.extend_from_slice(line.as_bytes());
        }
        out.truncate(len);
        out
    }

    fn random(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// Read everything; the bytes before an error come with it.
    fn read_all(mut r: impl Read) -> (Vec<u8>, Option<io::Error>) {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 50_000];
        loop {
            match r.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn parallel(data: &[u8], threads: usize) -> (Vec<u8>, Option<io::Error>) {
        read_all(reader(io::Cursor::new(data.to_vec()), threads).unwrap())
    }

    fn sequential(data: &[u8]) -> (Vec<u8>, Option<io::Error>) {
        read_all(bzip2::read::MultiBzDecoder::new(data))
    }

    /// With false marker matches at these bit offsets.
    fn with_fake_matches(data: &[u8], mut at: Vec<u64>) -> (Vec<u8>, Option<io::Error>) {
        let Ok(mut d) = ParallelDecoder::new(io::Cursor::new(data.to_vec()), 2) else {
            panic!("no threads");
        };
        at.sort_unstable();
        at.dedup();
        d.scanner.fake = at.into();
        read_all(d)
    }

    fn decodes_to(data: &[u8], want: &[u8]) {
        let (got, err) = parallel(data, 2);
        assert!(err.is_none(), "error: {err:?}");
        assert!(
            got == want,
            "output differs ({} vs {} bytes)",
            got.len(),
            want.len()
        );
    }

    /// Bit offsets of the real block and end-of-stream markers (valid files only).
    fn markers(data: &[u8]) -> Vec<u64> {
        let mut s = Scanner::new(data);
        let mut out = vec![];
        while let Some(seg) = s.next_segment() {
            out.push(seg.start);
        }
        out
    }

    #[test]
    fn round_trip_text_and_random_of_several_sizes() {
        for &len in &[1usize, 100, 4_096, 99_999, 100_000, 100_001, 350_000] {
            for (name, data) in [("text", text(len, 7)), ("random", random(len, 9))] {
                for level in [1, 9] {
                    if level == 9 && len > 100_001 {
                        continue;
                    }
                    let z = compress(&data, level);
                    let (got, err) = parallel(&z, 2);
                    assert!(err.is_none(), "{name} {len} -{level}: {err:?}");
                    assert!(got == data, "{name} {len} -{level}: output differs");
                }
            }
        }
    }

    #[test]
    fn output_identical_to_the_sequential_decoder() {
        let data = text(1_000_000, 3);
        for level in [1, 3] {
            let z = compress(&data, level);
            assert!(markers(&z).len() > 3, "want several blocks");
            let (seq, e1) = sequential(&z);
            assert!(e1.is_none());
            for threads in [2, 3, 8] {
                let (par, e2) = parallel(&z, threads);
                assert!(e2.is_none(), "{e2:?}");
                assert!(par == seq, "-{level}, {threads} threads");
            }
        }
    }

    #[test]
    fn runs_of_one_byte_decode_to_large_blocks() {
        // A level-1 block of one repeated byte decodes to about 5 MB.
        let mut data = vec![b'a'; 5_500_000];
        data.extend_from_slice(&text(100_000, 5));
        data.extend(std::iter::repeat_n(0u8, 1_000_000));
        decodes_to(&compress(&data, 1), &data);
    }

    #[test]
    fn multi_stream_files_decode_every_stream() {
        let a = text(250_000, 1);
        let b = random(150_000, 2);
        let c = text(120_000, 4);
        let mut z = compress(&a, 1);
        z.extend(compress(b"", 9));
        z.extend(compress(&b, 9));
        z.extend(compress(&c, 2));
        z.extend(compress(b"x", 1));
        let mut want = a.clone();
        want.extend(&b);
        want.extend(&c);
        want.push(b'x');
        decodes_to(&z, &want);
        assert!(sequential(&z).0 == want);
    }

    #[test]
    fn empty_and_tiny_streams() {
        decodes_to(&compress(b"", 9), b"");
        decodes_to(&compress(b"x", 9), b"x");
        decodes_to(&compress(b"one line\n", 1), b"one line\n");
        let mut two_empty = compress(b"", 1);
        two_empty.extend(compress(b"", 9));
        decodes_to(&two_empty, b"");
    }

    #[test]
    fn false_marker_matches_are_skipped() {
        let mut data = text(250_000, 11);
        data.extend(random(60_000, 12));
        let mut z = compress(&data, 1);
        z.extend(compress(&text(20_000, 13), 9));
        data.extend(text(20_000, 13));
        let ms = markers(&z);
        let end = z.len() as u64 * 8;
        // Matches that are not markers: inside a marker, inside the block CRC, just after it,
        // in the middle of blocks, inside stream trailers and headers, in the last bits.
        let mut fakes = vec![end - 1, end - 9, end - 40];
        for (i, &m) in ms.iter().enumerate() {
            fakes.extend([m + 1, m + 5, m + 47, m + 60, m + 85, m + 130]);
            if let Some(&next) = ms.get(i + 1) {
                fakes.extend([(m + next) / 2, next - 1, next - 3]);
            }
        }
        let (got, err) = with_fake_matches(&z, fakes.clone());
        assert!(err.is_none(), "{err:?}");
        assert!(got == data, "output differs");
        // One at a time too, so that each is the first thing after a good block.
        for &f in fakes.iter().step_by(3) {
            let (got, err) = with_fake_matches(&z, vec![f]);
            assert!(err.is_none() && got == data, "fake at {f}: {err:?}");
        }
    }

    #[test]
    fn dense_false_matches_cost_a_binary_search_not_a_decode_each() {
        let mut data = text(200_000, 14);
        let mut z = compress(&data, 1);
        z.extend(compress(&random(150_000, 15), 1));
        data.extend(random(150_000, 15));
        let end = z.len() as u64 * 8;
        // A false match every 997 bits: about 500 in each block.
        let fakes: Vec<u64> = (1..end / 997).map(|i| i * 997).collect();
        let t = std::time::Instant::now();
        let (got, err) = with_fake_matches(&z, fakes);
        assert!(err.is_none(), "{err:?}");
        assert!(got == data, "output differs");
        // One decode per match would be about 1 000 block decodes (minutes in a debug build).
        assert!(t.elapsed().as_secs() < 60, "{:?}", t.elapsed());
    }

    #[test]
    fn truncated_input_gives_the_good_prefix_then_unexpected_eof() {
        let data = random(230_000, 21);
        let z = compress(&data, 1);
        let ms = markers(&z);
        assert!(ms.len() >= 4, "{ms:?}");
        // Cut around every marker (inside it, just before, just after) and inside blocks.
        let mut cuts: Vec<usize> = vec![1, 3, 4, 5, 10, z.len() - 1, z.len() - 5, z.len() - 10];
        for &m in &ms {
            let b = (m / 8) as usize;
            for d in [0, 1, 2, 5, 6, 7, 8, 11] {
                cuts.push(b.saturating_sub(d).max(1));
                cuts.push((b + d).min(z.len() - 1));
            }
            cuts.push(b + 5000);
        }
        cuts.retain(|&c| c > 0 && c < z.len());
        for cut in cuts {
            let part = &z[..cut];
            let (got, err) = parallel(part, 2);
            let err = err.unwrap_or_else(|| panic!("cut at {cut}: no error"));
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "cut at {cut}: {err}"
            );
            let (seq, seq_err) = sequential(part);
            assert!(seq_err.is_some());
            assert!(
                got == seq,
                "cut at {cut}: {} vs sequential {}",
                got.len(),
                seq.len()
            );
            assert!(data.starts_with(&got));
        }
        // A cut in the middle of the third block keeps the first two.
        let cut = ((ms[2] + ms[3]) / 16) as usize;
        let (got, _) = parallel(&z[..cut], 2);
        assert!(
            got.len() >= 190_000 && data.starts_with(&got),
            "{}",
            got.len()
        );
    }

    #[test]
    fn corrupt_middle_block_gives_the_blocks_before_then_invalid_data() {
        let data = text(600_000, 31);
        let z = compress(&data, 1);
        let ms = markers(&z);
        assert!(ms.len() >= 5, "{ms:?}");
        let mid = ((ms[2] + ms[3]) / 16) as usize;
        let mut bad = z.clone();
        bad[mid] ^= 0x24;
        let (got, err) = parallel(&bad, 2);
        let err = err.expect("an error");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        assert!(data.starts_with(&got));
        // The first two blocks, each a little under 100 000 bytes of input at level 1.
        assert!(got.len() >= 190_000, "{}", got.len());
        // Reading again repeats the error, never EOF.
        let mut r = reader(io::Cursor::new(bad), 2).unwrap();
        let _ = read_all(&mut r);
        assert!(r.read(&mut [0u8; 10]).is_err());
    }

    #[test]
    fn any_corrupt_byte_gives_an_error_or_the_right_output() {
        let data = text(150_000, 41);
        let mut z = compress(&data, 1);
        z.extend(compress(&text(1_000, 42), 9));
        let mut want = data.clone();
        want.extend(text(1_000, 42));
        let step = (z.len() / 70).max(1);
        for pos in (0..z.len()).step_by(step).chain(z.len() - 12..z.len()) {
            for flip in [0x01u8, 0xa5] {
                let mut bad = z.clone();
                bad[pos] ^= flip;
                let (got, err) = parallel(&bad, 2);
                match err {
                    None => assert!(got == want, "byte {pos} ^ {flip:#x}: wrong output"),
                    Some(e) => {
                        assert!(
                            want.starts_with(&got),
                            "byte {pos} ^ {flip:#x}: wrong prefix"
                        );
                        assert!(
                            matches!(
                                e.kind(),
                                io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof
                            ),
                            "byte {pos}: {e:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn not_bzip2_and_garbage_after_the_stream_are_errors() {
        let (_, e) = parallel(b"", 2);
        assert_eq!(e.unwrap().kind(), io::ErrorKind::UnexpectedEof);
        let (_, e) = parallel(b"BZ", 2);
        assert_eq!(e.unwrap().kind(), io::ErrorKind::UnexpectedEof);
        let (_, e) = parallel(b"BZh0aaaaaaaaaaaa", 2);
        assert_eq!(e.unwrap().kind(), io::ErrorKind::InvalidData);
        let (_, e) = parallel(b"hello world, not bzip2", 2);
        assert_eq!(e.unwrap().kind(), io::ErrorKind::InvalidData);

        let data = text(50_000, 51);
        for tail in [
            &b"\0"[..],
            b"\0\0\0\0\0\0\0\0\0\0",
            b"garbage!",
            b"BZh9\0\0\0\0\0\0\0\0",
        ] {
            let mut z = compress(&data, 9);
            z.extend_from_slice(tail);
            let (got, e) = parallel(&z, 2);
            assert!(got == data, "{tail:?}");
            assert!(e.is_some(), "{tail:?}");
            assert!(sequential(&z).1.is_some(), "{tail:?}");
        }
        // A valid header and then random bytes with no marker: an error, not a hang.
        let mut z = b"BZh9".to_vec();
        z.extend(random(3_000_000, 52));
        let (got, e) = parallel(&z, 2);
        assert!(got.is_empty() && e.is_some());
    }

    /// Reads a few bytes at a time, to cut the scanner's buffer at every place.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_of_the_input() {
        let data = text(220_000, 61);
        let mut z = compress(&data, 1);
        z.extend(compress(b"tail\n", 1));
        let z: &'static [u8] = Box::leak(z.into_boxed_slice());
        let (got, err) = read_all(reader(Trickle(z, 0), 2).unwrap());
        assert!(err.is_none(), "{err:?}");
        assert!(got[..data.len()] == data[..] && &got[data.len()..] == b"tail\n");
    }

    #[test]
    fn read_errors_of_the_input_are_passed_on_after_the_blocks_before() {
        struct FailAfter(io::Cursor<Vec<u8>>, u64);
        impl Read for FailAfter {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.position() >= self.1 {
                    return Err(io::Error::new(io::ErrorKind::PermissionDenied, "boom"));
                }
                let max = (self.1 - self.0.position()) as usize;
                let n = buf.len().min(max);
                self.0.read(&mut buf[..n])
            }
        }
        let data = random(500_000, 71);
        let z = compress(&data, 1);
        let at = z.len() as u64 * 3 / 4;
        let (got, err) = read_all(reader(FailAfter(io::Cursor::new(z), at), 2).unwrap());
        assert_eq!(err.unwrap().kind(), io::ErrorKind::PermissionDenied);
        assert!(
            data.starts_with(&got) && got.len() >= 200_000,
            "{}",
            got.len()
        );
    }

    #[test]
    fn one_thread_is_the_sequential_decoder_and_the_reader_is_send() {
        fn is_send<T: Send>(_: &T) {}
        let data = text(150_000, 81);
        let z = compress(&data, 1);
        let r = reader(io::Cursor::new(z.clone()), 1).unwrap();
        is_send(&r);
        assert!(read_all(r).0 == data);
        assert!(read_all(reader(io::Cursor::new(z), 0).unwrap()).0 == data);
    }

    #[test]
    fn synthesized_stream_of_a_whole_block_decodes() {
        let data = text(30_000, 91);
        let z = compress(&data, 9);
        let ms = markers(&z);
        assert_eq!(ms.len(), 2);
        let seg = Segment {
            start: ms[0],
            end: ms[1],
            bytes: z[(ms[0] / 8) as usize..(ms[1].div_ceil(8)) as usize].to_vec(),
            level: 9,
            at_eof: false,
        };
        let out = decode_segment(&seg, 9, &mut Vec::new(), Vec::new()).unwrap();
        assert!(out == data);
        // One bit short: the decoder runs into the synthetic trailer, so a retry is allowed.
        let short = seg.truncated(seg.end - 1);
        assert!(
            decode_segment(&short, 9, &mut Vec::new(), Vec::new())
                .unwrap_err()
                .retry
        );
    }

    /// Not a test: `LOGRILL_BZ2_BENCH=file.bz2 LOGRILL_BZ2_THREADS=n cargo test --release -p
    /// logrill bzip2_parallel::tests::bench -- --ignored --nocapture` decodes the file
    /// (`n = 1`: the sequential decoder) and prints the rate.
    #[test]
    #[ignore]
    fn bench() {
        let Ok(path) = std::env::var("LOGRILL_BZ2_BENCH") else {
            return;
        };
        let threads = std::env::var("LOGRILL_BZ2_THREADS")
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let file = std::fs::File::open(&path).unwrap();
        let t = std::time::Instant::now();
        let mut r = reader(file, threads).unwrap();
        let mut buf = vec![0u8; 128 * 1024];
        let mut n = 0u64;
        let mut error = None;
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "threads={threads} bytes={n} seconds={s:.3} MB/s={:.1} error={error:?}",
            n as f64 / s / 1e6
        );
    }
}
