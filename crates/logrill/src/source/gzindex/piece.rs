//! A chunk of an indexed gzip file read as a *piece* of the file (see
//! [`crate::source::pieces`]): the lines that start in chunk `k`, decoded by the worker that
//! reads the piece, straight into the buffer it reads into.
//!
//! The same rules as for a plain file: the piece starts after the first newline of the
//! chunk (chunk 0 at its start) and runs through the first newline at or after the chunk's
//! end, decoded from the start of the chunks after as far as it takes (a few KiB). A chunk
//! without a newline lies inside a line that started before: its piece is empty (but the
//! chunk is still decoded whole, for its CRC). The chunk's CRC pieces are left in a
//! [`CrcSlot`] for whoever puts the pieces back in order
//! ([`super::parallel::MemberCheck`]).
//!
//! Nothing is decoded ahead into a buffer of the chunk's size: each `read` inflates into
//! the caller's buffer (the line reader's, 256 KiB, which stays in cache while its lines
//! are processed). See [`super::chunk`] for why.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use super::chunk::{ChunkDecoder, Piece as CrcPiece, Want};
use super::parallel::IndexedFile;
use super::seek::Starts;

/// Where a chunk piece leaves its chunk's CRC pieces once decoded.
pub(crate) type CrcSlot = Arc<Mutex<Option<Vec<CrcPiece>>>>;

/// Decoded bytes at a time while looking for the newline that ends a piece.
const LINE_END_STEP: usize = 8 * 1024;

/// Lines that start in one chunk of an indexed gzip file (see the module docs).
pub struct ChunkPiece {
    file: IndexedFile,
    k: usize,
    phase: Phase,
    check: CrcSlot,
}

enum Phase {
    /// Not started.
    Start,
    /// Decoding chunk `k` up to its first newline (dropped: the piece before has it).
    Head(ChunkDecoder),
    /// Decoding the rest of chunk `k`, handed out as it comes.
    Body(ChunkDecoder),
    /// Decoding the chunks after, handed out through their first newline.
    Tail(Starts),
    Done,
}

impl ChunkPiece {
    /// Chunk `k` of `file`, and where its CRC pieces will be left.
    pub(crate) fn new(file: IndexedFile, k: usize) -> (ChunkPiece, CrcSlot) {
        let check = CrcSlot::default();
        let piece = ChunkPiece {
            file,
            k,
            phase: Phase::Start,
            check: Arc::clone(&check),
        };
        (piece, check)
    }

    /// Chunk `k` decoded whole: leave its CRC pieces, then go on to the line's end.
    fn chunk_done(&mut self, mut d: ChunkDecoder, owns: bool) {
        if let Ok(mut slot) = self.check.lock() {
            *slot = Some(d.take_pieces());
        }
        drop(d);
        // Through the first newline at or after the chunk's end, even when the chunk ends
        // with a newline: the line that starts exactly at the next chunk is this piece's
        // (the next piece starts after that newline), as for a plain file.
        self.phase = if owns {
            Phase::Tail(Starts::new(self.file.clone(), self.k + 1, usize::MAX, None))
        } else {
            Phase::Done
        };
    }
}

impl Read for ChunkPiece {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.phase, Phase::Done) {
                Phase::Start => {
                    let d = self.file.decoder(self.k, Want::Whole, None)?;
                    self.phase = if self.k == 0 {
                        Phase::Body(d)
                    } else {
                        Phase::Head(d)
                    };
                }
                Phase::Head(mut d) => {
                    let n = d.fill(buf)?;
                    if n == 0 {
                        // No newline in the whole chunk: inside a line that began before.
                        self.chunk_done(d, false);
                        continue;
                    }
                    match memchr::memchr(b'\n', &buf[..n]) {
                        Some(nl) => {
                            buf.copy_within(nl + 1..n, 0);
                            self.phase = Phase::Body(d);
                            if n > nl + 1 {
                                return Ok(n - nl - 1);
                            }
                        }
                        None => self.phase = Phase::Head(d),
                    }
                }
                Phase::Body(mut d) => {
                    let n = d.fill(buf)?;
                    if n > 0 {
                        self.phase = Phase::Body(d);
                        return Ok(n);
                    }
                    self.chunk_done(d, true);
                }
                Phase::Tail(mut rest) => {
                    let step = buf.len().min(LINE_END_STEP);
                    let n = rest.read(&mut buf[..step])?;
                    match memchr::memchr(b'\n', &buf[..n]) {
                        Some(nl) => return Ok(nl + 1),
                        None if n == 0 => return Ok(0),
                        None => {
                            self.phase = Phase::Tail(rest);
                            return Ok(n);
                        }
                    }
                }
                Phase::Done => return Ok(0),
            }
        }
    }
}
