//! Reading an indexed gzip file from one of its seek points instead of its start: how
//! `--since` enters a `.gz` file (see [`crate::source::timerange`]), and how a chunk piece
//! finds the end of its last line ([`super::piece`]).
//!
//! * [`Starts`] decodes from a seek point onwards a few KiB at a time (its compressed bytes
//!   are read 16 KiB at a time), checking nothing: for a glance at the lines after a point
//!   (a binary search over points reads one line's time after each point it probes).
//! * [`FromPoint`] decodes from a seek point to the end of the file, whole chunks one after
//!   another, and hands out what follows the first newline at or after the point (the line
//!   the point falls in is dropped, as the search's probe skipped it: it lies before the
//!   line whose time the probe read). Every member that starts after the point has its CRC-32 and
//!   length checked as in a full read; the member the point falls in cannot be (its start is
//!   never decoded, and the index holds no CRC of it), so only its length past the point is
//!   decoded without a check.

use std::io::{self, Read};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::chunk::{ChunkDecoder, Want};
use super::parallel::{IndexedFile, MemberCheck};

/// The decoded bytes of an indexed file from seek point `next` on, up to seek point `end`
/// (exclusive; the file's end if there are no more points), unchecked: see the module docs.
pub(crate) struct Starts {
    file: IndexedFile,
    next: usize,
    end: usize,
    current: Option<ChunkDecoder>,
    counted: Option<Arc<AtomicU64>>,
}

impl Starts {
    /// From point `from` up to point `end`, counting compressed bytes into `counted`.
    pub(crate) fn new(
        file: IndexedFile,
        from: usize,
        end: usize,
        counted: Option<Arc<AtomicU64>>,
    ) -> Starts {
        let end = end.min(file.chunks());
        Starts {
            file,
            next: from,
            end,
            current: None,
            counted,
        }
    }
}

impl Read for Starts {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(d) = self.current.as_mut() {
                let n = d.fill(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                self.current = None;
            }
            if self.next >= self.end {
                return Ok(0);
            }
            self.current = Some(
                self.file
                    .decoder(self.next, Want::Start, self.counted.clone())?,
            );
            self.next += 1;
        }
    }
}

/// The lines of an indexed file after the first newline at or after seek point `from` (all
/// of it from point 0), to the file's end; see the module docs.
pub struct FromPoint {
    file: IndexedFile,
    next: usize,
    current: Option<ChunkDecoder>,
    /// Still dropping the partial line the point falls in.
    in_first_line: bool,
    check: MemberCheck,
    failed: bool,
}

impl FromPoint {
    /// From seek point `from` (0: the whole file, every member checked).
    pub(crate) fn new(file: IndexedFile, from: usize) -> FromPoint {
        FromPoint {
            next: from,
            current: None,
            in_first_line: from > 0,
            check: if from > 0 {
                MemberCheck::from_inside(file.member_at(from))
            } else {
                MemberCheck::default()
            },
            failed: false,
            file,
        }
    }

    fn decode(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(d) = self.current.as_mut() {
                let n = d.fill(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                let pieces = d.take_pieces();
                self.current = None;
                self.check.fold(pieces)?;
            }
            if self.next >= self.file.chunks() {
                return Ok(0);
            }
            self.current = Some(self.file.decoder(self.next, Want::Whole, None)?);
            self.next += 1;
        }
    }
}

impl Read for FromPoint {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || self.failed {
            return Ok(0);
        }
        loop {
            let n = match self.decode(buf) {
                Ok(n) => n,
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            };
            if !self.in_first_line || n == 0 {
                return Ok(n);
            }
            if let Some(nl) = memchr::memchr(b'\n', &buf[..n]) {
                self.in_first_line = false;
                buf.copy_within(nl + 1..n, 0);
                if n > nl + 1 {
                    return Ok(n - nl - 1);
                }
            }
        }
    }
}
