//! The first read: decode a gzip file sequentially and note seek points on the way.

use std::io::{self, Read};

use super::format::{pack_window, Point};
use super::inflate::Stream;

/// Least distance between two seek points, in compressed bytes.
pub const MIN_SPACING: u64 = 1024 * 1024;
/// The windows of an index weigh at most 1/`BUDGET` of the compressed file: a point whose
/// stored window is `w` bytes is taken only `BUDGET * w` compressed bytes or more after the
/// previous one.
pub const BUDGET: u64 = 100;

/// How far apart seek points are: at least `min` compressed bytes, and at least `budget`
/// times the stored size of the previous point's window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spacing {
    pub min: u64,
    pub budget: u64,
}

/// What the recorder found once it read the whole file without error.
pub(crate) struct Recorded {
    pub total_out: u64,
    pub members: u64,
    pub points: Vec<Point>,
}

/// Called once, when the whole file was read and every member's CRC checked.
pub(crate) type OnDone = Box<dyn FnOnce(Recorded) + Send>;

/// A gzip decoder (every member, CRC and length checked by zlib) that records seek points.
pub(crate) struct Recorder<R> {
    input: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    stream: Stream,
    /// Compressed bytes consumed by the decoder, from the start of the file.
    in_pos: u64,
    out_pos: u64,
    member: u64,
    /// Input consumed since the current member started (0: at its header).
    member_in: u64,
    points: Vec<Point>,
    next_point_at: u64,
    spacing: Spacing,
    window: Vec<u8>,
    finished: bool,
    on_done: Option<OnDone>,
}

const IN_BUF: usize = 128 * 1024;

impl<R: Read> Recorder<R> {
    /// Decode `input`, a whole gzip file from its first byte, with `stream` (a fresh
    /// [`Stream::gzip`]), points `spacing` apart.
    pub fn new(input: R, stream: Stream, spacing: Spacing, on_done: OnDone) -> Recorder<R> {
        Recorder {
            input,
            buf: vec![0; IN_BUF],
            start: 0,
            end: 0,
            eof: false,
            stream,
            in_pos: 0,
            out_pos: 0,
            member: 0,
            member_in: 0,
            points: Vec::new(),
            next_point_at: 0,
            spacing,
            window: Vec::with_capacity(super::format::WINDOW),
            finished: false,
            on_done: Some(on_done),
        }
    }

    /// Refill the input buffer if it is empty; false at the end of the input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.start < self.end {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        loop {
            match self.input.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// At a block boundary at or past `next_point_at`: take a seek point here if its window,
    /// stored, fits the budget of the distance since the previous point (the window is
    /// charged to the stretch before it, so the sum of windows never exceeds 1/`budget` of the
    /// file); otherwise try again once the distance covers this window.
    fn record(&mut self, bits: u8) {
        self.stream.window(&mut self.window);
        let packed = pack_window(&self.window);
        let last_in = self.points.last().map(|p| p.input);
        let due = |len: usize| {
            last_in.map_or(0, |l| {
                l + self.spacing.min.max(self.spacing.budget * len as u64)
            })
        };
        if self.in_pos < due(packed.len()) {
            self.next_point_at = due(packed.len());
            return;
        }
        self.points.push(Point {
            out: self.out_pos,
            input: self.in_pos,
            bits,
            member: self.member,
            window_len: self.window.len() as u32,
            window: packed,
        });
        // The next window is guessed to weigh what this one did.
        self.next_point_at = due(self.points.last().map_or(0, |p| p.window.len()));
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// What one [`Recorder::step`] did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Progress {
    /// Bytes written to the output.
    pub produced: usize,
    /// A member ended with these bytes: the file offset just after its trailer.
    pub member_end: Option<u64>,
}

impl<R: Read> Recorder<R> {
    /// Decode gzip members from `start`, the file offset of a member's header that `input`
    /// reads from, recording nothing: the decoder of a member-aligned piece of a file
    /// (see [`super::members`]), which needs to know where each member ends.
    pub fn from_member(input: R, stream: Stream, start: u64) -> Recorder<R> {
        let mut r = Recorder::new(
            input,
            stream,
            Spacing { min: 0, budget: 0 },
            Box::new(|_| {}),
        );
        r.in_pos = start;
        r.member_in = 0;
        r.next_point_at = u64::MAX;
        r.on_done = None;
        r
    }

    /// Whether the input ended right after a member (everything read, every CRC checked).
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Decode into `out` until some output is made, a member ends, or the input ends
    /// (then `produced` is 0 and [`Recorder::finished`] is true). Each member's CRC-32 and
    /// length are checked by zlib at its end.
    pub fn step(&mut self, out: &mut [u8]) -> io::Result<Progress> {
        if self.finished || out.is_empty() {
            return Ok(Progress {
                produced: 0,
                member_end: None,
            });
        }
        loop {
            if !self.fill()? {
                if self.member_in == 0 && self.member > 0 {
                    // The input ended right after a member: done.
                    self.finished = true;
                    if let Some(done) = self.on_done.take() {
                        done(Recorded {
                            total_out: self.out_pos,
                            members: self.member,
                            points: std::mem::take(&mut self.points),
                        });
                    }
                    return Ok(Progress {
                        produced: 0,
                        member_end: None,
                    });
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "gzip data ends early (file truncated)",
                ));
            }
            // Stop at block ends only once a point is due: between points the decoder runs
            // exactly as a plain one does.
            let due = self.in_pos >= self.next_point_at;
            let step = self
                .stream
                .inflate(&self.buf[self.start..self.end], out, due)
                .map_err(bad)?;
            self.start += step.consumed;
            self.in_pos += step.consumed as u64;
            self.member_in += step.consumed as u64;
            self.out_pos += step.produced as u64;
            if step.end {
                self.member += 1;
                self.member_in = 0;
                self.stream.reset().map_err(io::Error::other)?;
                return Ok(Progress {
                    produced: step.produced,
                    member_end: Some(self.in_pos),
                });
            } else if due && step.at_block_boundary() {
                self.record(step.unused_bits());
            }
            if step.produced > 0 {
                return Ok(Progress {
                    produced: step.produced,
                    member_end: None,
                });
            }
        }
    }
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let p = self.step(out)?;
            if p.produced > 0 || p.member_end.is_none() {
                return Ok(p.produced);
            }
        }
    }
}
