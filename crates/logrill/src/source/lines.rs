//! `lines`: big buffers of complete lines out of any reader.
//!
//! The seed's `for line in file` allocates a string per line and decodes it as text. Here a
//! line is a `&[u8]` borrowed from one reusable buffer (invalid UTF-8 is data, not an
//! error), and the unit of work is a [`Batch`]: every complete line the last read brought
//! in, so later stages can search the whole batch in one pass (as ripgrep does).
//!
//! Line ends: `\n` ends a line and is not part of it; a `\r` right before it is dropped too
//! (CRLF files); the last line counts even without a final newline.
//!
//! Errors: complete lines already read are always delivered before a read error is
//! returned, so a truncated file gives everything up to the damage. The incomplete line at
//! the point of damage is dropped.

use std::io::{self, Read};

use memchr::{memchr, memrchr};

use super::line_ends::Lines;

/// Initial (and usual) buffer size. A longer line grows the buffer to fit it.
pub const DEFAULT_CAPACITY: usize = 256 * 1024;

/// Longest line kept by default (see [`LineReader::max_line_bytes`]).
pub const DEFAULT_MAX_LINE: usize = 64 * 1024 * 1024;

/// Reads batches of complete lines from `R`, reusing one buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out.
    start: usize,
    /// End of the bytes read.
    end: usize,
    eof: bool,
    /// Lines handed out (or skipped as too long) so far.
    lines: u64,
    /// A line longer than this is skipped, not buffered.
    max_line: usize,
    /// Inside a too-long line: discarding bytes up to its end.
    skipping: bool,
    /// Numbers of the lines skipped as too long, not yet taken.
    too_long: Vec<u64>,
    /// `buf[start..searched]` is known to hold no newline: a long line arriving in small
    /// reads is searched once, not again from its start after every read.
    searched: usize,
    /// Where in `buf` the last batch handed out lies, its lines not yet added to `lines`:
    /// counted when the reader next moves on, unless its consumer said how many it walked
    /// ([`LineReader::walked`]), which spares a second pass over the batch's bytes.
    uncounted: Option<std::ops::Range<usize>>,
    /// The count the consumer of the last batch gave.
    told: Option<u64>,
}

impl<R: Read> LineReader<R> {
    /// A reader with the default buffer size.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A reader with a buffer of `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        LineReader {
            inner,
            buf: vec![0; capacity.max(1)],
            start: 0,
            end: 0,
            eof: false,
            lines: 0,
            max_line: DEFAULT_MAX_LINE,
            skipping: false,
            too_long: Vec::new(),
            searched: 0,
            uncounted: None,
            told: None,
        }
    }

    /// Skip lines longer than `max` bytes instead of buffering them (memory stays within
    /// about `max` plus the buffer). Skipped lines still count in line numbers; their
    /// numbers are handed out by [`LineReader::take_too_long`].
    pub fn max_line_bytes(mut self, max: usize) -> Self {
        self.max_line = max.max(1);
        // The buffer never holds more than a longest line and its newline, so a longer
        // line is always found out, however small the limit.
        if self.buf.len() > self.max_line + 1 && self.end == 0 {
            self.buf.truncate(self.max_line + 1);
        }
        self
    }

    /// The numbers of lines skipped as too long since the last call.
    pub fn take_too_long(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.too_long)
    }

    /// How many lines have been handed out.
    pub fn lines_read(&self) -> u64 {
        match &self.uncounted {
            Some(range) => {
                self.lines
                    + self
                        .told
                        .unwrap_or_else(|| count_lines(&self.buf[range.clone()]))
            }
            None => self.lines,
        }
    }

    /// The consumer of the last batch walked every one of its lines and counted `lines`:
    /// the reader takes that number instead of counting the batch's line ends in a pass of
    /// its own. Only for a count of every line ([`Batch::len`]); a wrong one would shift
    /// every later line number (debug builds check it).
    pub(crate) fn walked(&mut self, lines: u64) {
        if self.uncounted.is_some() {
            self.told = Some(lines);
        }
    }

    /// Add the last batch's lines to the count, before anything reads or numbers lines.
    #[inline]
    fn settle(&mut self) {
        let Some(range) = self.uncounted.take() else {
            return;
        };
        let n = match self.told.take() {
            Some(n) => {
                debug_assert_eq!(
                    n,
                    count_lines(&self.buf[range]),
                    "a batch's lines miscounted"
                );
                n
            }
            None => count_lines(&self.buf[range]),
        };
        self.lines += n;
    }

    /// The underlying reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The next batch of complete lines, `None` at the end.
    pub fn next_batch(&mut self) -> io::Result<Option<Batch<'_>>> {
        self.settle();
        loop {
            let from_here = self.searched.max(self.start);
            if let Some(last_nl) = memrchr(b'\n', &self.buf[from_here..self.end]) {
                let from = self.start;
                self.start = from_here + last_nl + 1;
                self.searched = self.start;
                return Ok(Some(self.hand_out(from, self.start)));
            }
            self.searched = self.end;
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                // The final line, without a newline.
                let from = self.start;
                self.start = self.end;
                return Ok(Some(self.hand_out(from, self.end)));
            }
            self.fill()?;
        }
    }

    /// The next line, without its line end; `None` at the end. A lending iterator: the
    /// line borrows the reader's buffer until the next call.
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        self.settle();
        loop {
            let from_here = self.searched.max(self.start);
            if let Some(nl) = memchr(b'\n', &self.buf[from_here..self.end]) {
                let from = self.start;
                self.start = from_here + nl + 1;
                self.searched = self.start;
                self.lines += 1;
                return Ok(Some(trim_line_end(&self.buf[from..self.start])));
            }
            self.searched = self.end;
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let from = self.start;
                self.start = self.end;
                self.lines += 1;
                return Ok(Some(trim_line_end(&self.buf[from..self.end])));
            }
            self.fill()?;
        }
    }

    /// Call `f` with every line, in order, until it returns `false` or the input ends.
    pub fn for_each_line(&mut self, mut f: impl FnMut(&[u8]) -> bool) -> io::Result<()> {
        while let Some(batch) = self.next_batch()? {
            for line in batch.lines() {
                if !f(line) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The batch `buf[from..to]`, its lines counted later (see [`LineReader::settle`]).
    fn hand_out(&mut self, from: usize, to: usize) -> Batch<'_> {
        self.uncounted = Some(from..to);
        self.told = None;
        Batch {
            bytes: &self.buf[from..to],
            first_line: self.lines + 1,
        }
    }

    /// Read more bytes after the pending ones: move them to the front, grow the buffer if a
    /// single line fills it, then read once.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.searched = self.searched.saturating_sub(self.start);
            self.start = 0;
        }
        // A line of exactly `max_line` bytes is read (it fits with its `\n`); a full buffer
        // without a newline is longer.
        if self.end - self.start > self.max_line {
            // A line without end past the limit: drop what is buffered of it, and the
            // rest of it as it comes.
            self.skipping = true;
            self.start = 0;
            self.end = 0;
            self.searched = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min((self.max_line + 1).max(self.buf.len() + 1));
            self.buf.resize(grown, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    if self.skipping {
                        self.end_skipped_line();
                    }
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    if self.skipping {
                        match memchr(b'\n', &self.buf[..self.end]) {
                            Some(nl) => {
                                self.start = nl + 1;
                                self.searched = self.start;
                                self.end_skipped_line();
                            }
                            None => {
                                self.end = 0;
                                continue;
                            }
                        }
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Drop the incomplete line: it is cut at the damage.
                    self.start = self.end;
                    self.eof = true;
                    return Err(e);
                }
            }
        }
    }
}

impl<R> LineReader<R> {
    fn end_skipped_line(&mut self) {
        self.skipping = false;
        self.lines += 1;
        self.too_long.push(self.lines);
    }
}

/// The lines in `bytes`: its line ends, and one more for a last line without one.
fn count_lines(bytes: &[u8]) -> u64 {
    let n = memchr::memchr_iter(b'\n', bytes).count() as u64;
    match bytes.last() {
        Some(&b'\n') | None => n,
        Some(_) => n + 1,
    }
}

/// Strip the `\n` and a `\r` before it.
#[inline]
pub fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A run of complete lines, borrowed from a [`LineReader`]'s buffer.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    bytes: &'a [u8],
    first_line: u64,
}

impl<'a> Batch<'a> {
    /// The raw bytes, line ends included (the last line may lack its `\n`).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The 1-based number of the first line in the input.
    pub fn first_line(&self) -> u64 {
        self.first_line
    }

    /// How many lines the batch holds (counted on each call).
    pub fn len(&self) -> u64 {
        count_lines(self.bytes)
    }

    /// Whether the batch holds no line (never true for a batch a reader hands out).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The lines, without line ends.
    pub fn lines(&self) -> BatchLines<'a> {
        BatchLines {
            lines: Lines::new(self.bytes),
        }
    }

    /// The line containing byte offset `at` of [`Batch::as_bytes`], with its range.
    pub fn line_at(&self, at: usize) -> (std::ops::Range<usize>, &'a [u8]) {
        let start = memrchr(b'\n', &self.bytes[..at]).map_or(0, |i| i + 1);
        let end = memchr(b'\n', &self.bytes[at..]).map_or(self.bytes.len(), |i| at + i + 1);
        (start..end, trim_line_end(&self.bytes[start..end]))
    }
}

/// Iterator over the lines of a [`Batch`]: the batch loop's own split
/// ([`super::line_ends::Lines`]), without the lines' starts.
#[derive(Debug, Clone)]
pub struct BatchLines<'a> {
    lines: Lines<'a>,
}

impl<'a> Iterator for BatchLines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        self.lines.next().map(|(_, line)| line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A reader that hands out at most `step` bytes a call, then optionally fails.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        step: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                if self.fail_at_end {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "boom"));
                }
                return Ok(0);
            }
            let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn naive(data: &[u8]) -> Vec<Vec<u8>> {
        if data.is_empty() {
            return vec![];
        }
        let body = data.strip_suffix(b"\n").unwrap_or(data);
        body.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect()
    }

    fn by_batches(data: &[u8], cap: usize, step: usize) -> Vec<Vec<u8>> {
        let t = Trickle {
            data: data.to_vec(),
            pos: 0,
            step,
            fail_at_end: false,
        };
        let mut r = LineReader::with_capacity(cap, t);
        let mut out = Vec::new();
        let mut expected_first = 1;
        while let Some(b) = r.next_batch().unwrap() {
            assert_eq!(b.first_line(), expected_first);
            expected_first += b.len();
            out.extend(b.lines().map(<[u8]>::to_vec));
        }
        assert_eq!(r.lines_read(), out.len() as u64);
        out
    }

    #[test]
    fn lines_equal_a_naive_split_for_any_buffer_and_read_size() {
        let cases: Vec<&[u8]> = vec![
            b"",
            b"\n",
            b"a",
            b"a\n",
            b"a\nb",
            b"a\r\nb\r\n",
            b"\n\n\nx\n",
            b"\xff\xfe invalid utf8 \x00 nul\nnext\n",
            b"a long line that is longer than the small buffers used here\nshort\nend",
            b"cr only\r in the middle\r\n",
        ];
        for data in cases {
            for cap in [1, 2, 3, 7, 64, 4096] {
                for step in [1, 2, 5, 1000] {
                    assert_eq!(
                        by_batches(data, cap, step),
                        naive(data),
                        "data {data:?} cap {cap} step {step}"
                    );
                }
            }
        }
    }

    #[test]
    fn next_line_matches_batches() {
        let data = b"one\r\ntwo\n\nfour";
        let mut r = LineReader::with_capacity(2, Cursor::new(&data[..]));
        let mut got = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            got.push(l.to_vec());
        }
        assert_eq!(got, naive(data));
        assert_eq!(r.lines_read(), 4);
    }

    #[test]
    fn complete_lines_come_before_the_error_and_the_cut_line_is_dropped() {
        let t = Trickle {
            data: b"a\nb\ncut-in-the-mid".to_vec(),
            pos: 0,
            step: 3,
            fail_at_end: true,
        };
        let mut r = LineReader::with_capacity(4, t);
        let mut got = Vec::new();
        let err = loop {
            match r.next_batch() {
                Ok(Some(b)) => got.extend(b.lines().map(<[u8]>::to_vec)),
                Ok(None) => panic!("error lost"),
                Err(e) => break e,
            }
        };
        assert_eq!(got, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(err.to_string(), "boom");
        assert!(r.next_batch().unwrap().is_none());
    }

    #[test]
    fn too_long_lines_are_skipped_and_numbered() {
        let long = vec![b'x'; 1000];
        let mut data = b"a\n".to_vec();
        data.extend(&long);
        data.extend(b"\nb\n");
        data.extend(&long);
        data.extend(b"\nc\n");
        data.extend(&long); // no final newline
        for step in [1, 7, 100, 5000] {
            let t = Trickle {
                data: data.clone(),
                pos: 0,
                step,
                fail_at_end: false,
            };
            let mut r = LineReader::with_capacity(16, t).max_line_bytes(100);
            let mut got = Vec::new();
            let mut numbers = Vec::new();
            while let Some(b) = r.next_batch().unwrap() {
                let first = b.first_line();
                for (i, l) in b.lines().enumerate() {
                    got.push(l.to_vec());
                    numbers.push(first + i as u64);
                }
            }
            assert_eq!(
                got,
                vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()],
                "step {step}"
            );
            assert_eq!(numbers, vec![1, 3, 5], "step {step}");
            assert_eq!(r.take_too_long(), vec![2, 4, 6], "step {step}");
            assert!(r.buf.len() <= 128, "buffer grew to {}", r.buf.len());
        }
    }

    /// A consumer that says how many lines it walked spares the reader its count; the
    /// numbers are those the reader counts itself, and those of a naive split.
    #[test]
    fn a_walked_count_numbers_lines_as_the_readers_own() {
        let data = b"a\r\nb\n\nlonger line here\nx\ny\nlast";
        let want_total = naive(data).len() as u64;
        for cap in [1, 3, 8, 4096] {
            let numbers = |tell: bool| {
                let mut r = LineReader::with_capacity(cap, Cursor::new(&data[..]));
                let mut firsts = Vec::new();
                while let Some(b) = r.next_batch().unwrap() {
                    firsts.push(b.first_line());
                    let walked = b.lines().count() as u64;
                    // The batch not yet counted is in the lines read.
                    assert_eq!(r.lines_read(), firsts[firsts.len() - 1] - 1 + walked);
                    if tell {
                        r.walked(walked);
                    }
                }
                assert_eq!(r.lines_read(), want_total, "cap {cap}");
                firsts
            };
            assert_eq!(numbers(true), numbers(false), "cap {cap}");
        }
    }

    #[test]
    fn line_at_finds_the_surrounding_line() {
        let mut r = LineReader::new(Cursor::new(&b"ab\r\ncd\nef"[..]));
        let b = r.next_batch().unwrap().unwrap();
        assert_eq!(b.line_at(0).1, b"ab");
        assert_eq!(b.line_at(5).1, b"cd");
        assert_eq!(b.line_at(5).0, 4..7);
        assert_eq!(b.len(), 2);
        let b = r.next_batch().unwrap().unwrap();
        assert_eq!(b.line_at(1).1, b"ef");
    }
}
