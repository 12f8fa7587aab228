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
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

pub(crate) use super::chunk::Piece;
use super::chunk::{ChunkDecoder, Pools, Shared, Want};
use super::format::Index;

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
    /// The chunk's bytes (the buffer is recycled, see [`Pools`]).
    data: Vec<u8>,
    pieces: Vec<Piece>,
}

type Job = (usize, SyncSender<io::Result<Chunk>>);

/// An indexed gzip file whose chunks may be read one by one, each as a piece of the file
/// (see [`crate::source::pieces`] and [`super::piece::ChunkPiece`]): decoded and processed
/// by one worker.
#[derive(Clone)]
pub struct IndexedFile {
    shared: Arc<Shared>,
}

impl IndexedFile {
    /// The file `file` described by `index`, counting compressed bytes into `counter`.
    pub(crate) fn new(file: File, index: Index, counter: Option<Arc<AtomicU64>>) -> IndexedFile {
        IndexedFile {
            shared: Arc::new(Shared {
                file,
                index,
                counter,
                pools: Pools::default(),
            }),
        }
    }

    /// How many chunks (seek points) the file has.
    pub fn chunks(&self) -> usize {
        self.shared.index.points.len()
    }

    /// The gzip member (counted from 0) seek point `i` lies in.
    pub(crate) fn member_at(&self, i: usize) -> u64 {
        self.shared.index.points.get(i).map_or(0, |p| p.member)
    }

    /// A decoder of chunk `i` (see [`ChunkDecoder`]); with [`Want::Start`], the compressed
    /// bytes it reads are counted into `counted`.
    pub(crate) fn decoder(
        &self,
        i: usize,
        want: Want,
        counted: Option<Arc<AtomicU64>>,
    ) -> io::Result<ChunkDecoder> {
        ChunkDecoder::new(&self.shared, i, want, counted)
    }

    /// Chunk `i`, decoded whole: its bytes and the CRC pieces to check them with.
    #[cfg(test)]
    pub(crate) fn decode(&self, i: usize) -> io::Result<(Vec<u8>, Vec<Piece>)> {
        let c = decode_chunk(&self.shared, i, Vec::new())?;
        Ok((c.data, c.pieces))
    }
}

/// The running CRC-32 and length of the current gzip member, checked at every member end
/// against its trailer: chunk after chunk, in file order.
pub(crate) struct MemberCheck {
    member: u64,
    crc: crc32fast::Hasher,
    len: u64,
    /// The current member was entered in its middle: its CRC cannot be checked.
    unchecked: bool,
}

impl Default for MemberCheck {
    fn default() -> MemberCheck {
        MemberCheck {
            member: 0,
            crc: crc32fast::Hasher::new(),
            len: 0,
            unchecked: false,
        }
    }
}

impl MemberCheck {
    /// For chunks read from a seek point on, inside member `member` (counted from 0): that
    /// member's end is not checked (its start was never decoded), every later one is.
    pub(crate) fn from_inside(member: u64) -> MemberCheck {
        MemberCheck {
            member,
            unchecked: true,
            ..MemberCheck::default()
        }
    }

    /// Fold a chunk's pieces in, checking every member that ends in it.
    pub(crate) fn fold(&mut self, pieces: Vec<Piece>) -> io::Result<()> {
        for p in pieces {
            self.crc.combine(&p.crc);
            self.len += p.len;
            if let Some((crc, len)) = p.trailer {
                let got = std::mem::take(&mut self.crc).finalize();
                if std::mem::take(&mut self.unchecked) {
                    self.member += 1;
                    self.len = 0;
                    continue;
                }
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

    /// Every chunk of the file was folded in: the last one must end a member. Data past
    /// the last member end means the file's end was never read (parts planned against
    /// another index, or cut short), which the CRCs alone would not show.
    pub(crate) fn finish(&self) -> io::Result<()> {
        match self.len {
            0 => Ok(()),
            n => Err(bad(format!(
                "gzip member {}: its end was never read ({n} bytes of it were): the parts \
                 do not cover the whole file (its index changed since they were planned?)",
                self.member + 1
            ))),
        }
    }
}

/// Decompressed bytes of an indexed gzip file, decoded `threads` chunks at a time.
pub(crate) struct IndexedReader {
    file: IndexedFile,
    threads: usize,
    /// The workers' job queue, once they are started (at the first read: a file read in
    /// pieces instead never starts them).
    jobs: Option<mpsc::Sender<Job>>,
    started: bool,
    pending: VecDeque<Receiver<io::Result<Chunk>>>,
    next_job: usize,
    current: Vec<u8>,
    at: usize,
    check: MemberCheck,
    failed: bool,
}

impl IndexedReader {
    /// A reader of `file` (read with `pread`, so the workers share it) that will decode on
    /// `threads` workers, counting compressed bytes into `counter` if given.
    pub fn new(
        file: File,
        index: Index,
        threads: usize,
        counter: Option<Arc<AtomicU64>>,
    ) -> IndexedReader {
        let file = IndexedFile::new(file, index, counter);
        IndexedReader {
            threads: threads.clamp(1, file.chunks().max(1)),
            file,
            jobs: None,
            started: false,
            pending: VecDeque::new(),
            next_job: 0,
            current: Vec::new(),
            at: 0,
            check: MemberCheck::default(),
            failed: false,
        }
    }

    /// The file, to be read chunk by chunk as pieces instead.
    pub fn pieces(&self) -> IndexedFile {
        self.file.clone()
    }

    /// Start the workers.
    fn start(&mut self) -> io::Result<()> {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        // Workers started before one fails are used; they end when `tx` is dropped.
        self.jobs = Some(tx);
        for k in 0..self.threads {
            let rx = Arc::clone(&rx);
            let shared = Arc::clone(&self.file.shared);
            let spawned = std::thread::Builder::new()
                .name("logrill-gzchunk".into())
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    let Ok((i, reply)) = job else { return };
                    let buf = shared.pools.output();
                    let _ = reply.send(decode_chunk(&shared, i, buf));
                });
            if let Err(e) = spawned {
                if k == 0 {
                    self.jobs = None;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Keep two chunks per worker in flight: one decoding, one decoded and waiting.
    fn dispatch(&mut self) {
        while self.pending.len() < 2 * self.threads && self.next_job < self.file.chunks() {
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
        if !self.started {
            self.started = true;
            // Without workers (none could be started), chunks are decoded on this thread.
            // A failure after the first worker still leaves those started: they get the
            // chunks (not dispatching to them read the file as empty).
            let _ = self.start();
            if self.jobs.is_some() {
                self.dispatch();
            }
        }
        while self.at == self.current.len() {
            if self.failed {
                return Ok(0);
            }
            let chunk = if self.jobs.is_some() {
                let Some(rx) = self.pending.pop_front() else {
                    return Ok(0);
                };
                let chunk = rx
                    .recv()
                    .map_err(|_| io::Error::other("gzip chunk worker stopped"))
                    .and_then(|c| c);
                self.dispatch();
                chunk
            } else {
                // No worker could be started: decoded here, one chunk after another.
                if self.next_job == self.file.chunks() {
                    return Ok(0);
                }
                self.next_job += 1;
                let buf = self.file.shared.pools.output();
                decode_chunk(&self.file.shared, self.next_job - 1, buf)
            };
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
            self.file.shared.pools.give_output(used);
            self.at = 0;
        }
        let n = out.len().min(self.current.len() - self.at);
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

/// Decode chunk `i` whole into `data` (a recycled buffer, or an empty one).
fn decode_chunk(shared: &Arc<Shared>, i: usize, mut data: Vec<u8>) -> io::Result<Chunk> {
    let mut d = ChunkDecoder::new(shared, i, Want::Whole, None)?;
    let len = usize::try_from(d.len()).map_err(|_| bad("gzip chunk too large".into()))?;
    // Filled to the chunk's length: a recycled buffer of about that size is not written
    // twice (zeroes, then data) beyond what it lacks.
    data.resize(len, 0);
    let mut at = 0;
    while at < len {
        match d.fill(&mut data[at..])? {
            0 => return Err(bad("gzip index does not match the file".into())),
            n => at += n,
        }
    }
    // The end of the chunk (a member ending with it): nothing more to decode.
    if d.fill(&mut [])? != 0 {
        return Err(bad("gzip index does not match the file".into()));
    }
    Ok(Chunk {
        data,
        pieces: d.take_pieces(),
    })
}
