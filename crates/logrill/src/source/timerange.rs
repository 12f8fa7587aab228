//! Time ranges (`--since` / `--until`): read only the part of the logs a time range needs.
//!
//! "The last hour of a 20 GB log" should read the last hour, not 20 GB. Three steps, each
//! safe on its own, together exact:
//!
//! 1. **Whole files** whose time span lies outside the range are not opened for reading
//!    ([`file_span`]): the span's start is the first line with a time; its end is the last
//!    line's time for a plain file (read backwards from its end: cheap), and the file's
//!    modification time for a compressed one (its last line is only reached by decoding
//!    all of it). A line is written after the moment it records, so mtime is an upper
//!    bound; a copy without `-p` only makes it later (still a bound, just a looser one).
//!    Logs whose times carry no UTC offset are compared as if they were UTC (see
//!    [`crate::record::Timestamp`]), so for them the mtime bound is widened by 14 hours,
//!    the largest UTC offset. The next-newer generation's first line would be a tighter
//!    bound, but it needs the rotation order of the whole tree and goes wrong when
//!    generations are missing; mtime needs only the file itself.
//! 2. **Inside a plain file**, the first line that may be in range is found by binary
//!    search over byte offsets ([`seek_start`]): seek, resynchronise at the next newline,
//!    read that line's time. **Inside a gzip file with a current index** the search is over
//!    its seek points ([`gz_seek_point`]): each probe decodes a few KiB after its point to
//!    read a line's time, and decoding starts at the point found
//!    ([`crate::source::gzindex::seek`]). Reading stops at the first line at or after
//!    `until` (plus the margin, below).
//! 3. **Every line** that is read is filtered by its own time ([`RangeFilter`]), so the
//!    answer equals `parse … | where time >= SINCE and time < UNTIL` over the whole input.
//!    Lines in which no time is found are left out and counted ([`RangeCounters`]).
//!
//! **Order.** Steps 1 and 2 assume each file is sorted by time to within a margin
//! ([`TimeRange::margin`], 5 minutes by default): no line is earlier than a line before it
//! by more than the margin. Apache writes a request when it ends but stamps it with its
//! start, so its logs are out of order by the longest request; the margin covers that.
//! The search only ever starts after lines it has *seen* to be earlier than `since -
//! margin`, and stops at a line at or after `until + margin`; within a file sorted to the
//! margin no line in range lies outside. A larger margin reads a little more; a log shuffled
//! more than its margin may lose lines at the edges (give a margin as large as the disorder).
//!
//! **The time of a line** comes from the format `parse auto` recognises in the file's first
//! lines ([`LineClock`]): its `time` field (or `timestamp`, `ts`, `@timestamp` for JSON and
//! logfmt). Each file is recognised on its own.
//!
//! **Line numbers** in errors and `-H` output count the lines *handed on* (the lines in
//! range, from the first one read), not the file's lines: after a seek the lines before are
//! never counted, and out-of-range lines are dropped before numbering.
//!
//! A plain file is read from the line the search found with the same `pread` reader as
//! the pieces of parallel reading ([`WholeFile::from_offset`]), its bytes counted once
//! each ([`Extent`]: a byte read by the span and again with the lines is one byte read).
//! The search checks the order of the lines it sees and reads a file found unsorted from
//! its start ([`Entry::Unsorted`]).
//!
//! **Following** (`-F --from-start --since`) enters each file there at the start by the
//! same decision and search ([`follow_start`], through
//! [`Follow::since_seek`](crate::source::follow::Follow::since_seek)) and filters what it
//! reads with [`LiveRange`].

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::record::order::time_of_text;
use crate::record::Timestamp;

use super::gzindex::parallel::IndexedFile;
use super::gzindex::seek::{FromPoint, Starts};
use super::gzindex::IndexCache;
use super::lines::LineReader;
use super::open::{detect, read_full, Codec, Counted as SharedCounted, Input};
use super::pieces::{PieceReader, WholeFile};

/// Microseconds in a second.
const MICROS: i64 = 1_000_000;

/// The default [`TimeRange::margin`]: five minutes.
pub const DEFAULT_MARGIN_MICROS: i64 = 300 * MICROS;

/// Bytes read from a file's start to recognise its format and find its first time.
const HEAD_BYTES: usize = 64 * 1024;

/// Bytes read from a plain file's end to find its last time (more if a line is longer).
const TAIL_BYTES: u64 = 64 * 1024;

/// The binary search stops when the window is this small, and reads on from there.
const SEARCH_BLOCK: u64 = 64 * 1024;

/// Longest line the search reads while looking for a time (a longer one counts as a line
/// without a time; the search goes on to the next).
const PROBE_LINE_MAX: usize = 1024 * 1024;

/// The largest UTC offset: how far a time written without offset can be from the instant.
const MAX_OFFSET_MICROS: i64 = 14 * 3600 * MICROS;

/// A reader of each line's time by the log's format, made from a file's first lines.
pub trait TimeReader: Send {
    /// The time the format holds in `line`, if it reads one.
    fn time(&mut self, line: &[u8]) -> Option<Timestamp>;
    /// The format and the field it reads the time from (for `Debug`).
    fn describe(&self) -> (&str, &str);
}

/// Makes a [`TimeReader`] for lines like a sample (a file's first lines), if their format
/// has a time field. The log formats live above this layer: the parsers provide the one
/// [`TimeRange::new`] sets (`stage::parse::times`), so that finding files and skipping
/// time ranges know nothing of parsing. Without one, a line's time is found by a scan
/// alone (a time at the line's start, or in its first brackets).
pub type FormatTimes = fn(&[&[u8]]) -> Option<Box<dyn TimeReader>>;

/// A time range: `since` (included) to `until` (excluded), in microseconds since the Unix
/// epoch (times written without an offset count as UTC, as everywhere in logrill).
#[derive(Debug, Clone, Copy)]
pub struct TimeRange {
    /// The first instant in range; `None`: no lower bound.
    pub since: Option<i64>,
    /// The first instant after the range; `None`: no upper bound.
    pub until: Option<i64>,
    /// How far out of order a file's lines may be (microseconds); see the module docs.
    pub margin: i64,
    /// How a line's time is read by its format ([`TimeRange::new`] sets the parsers'
    /// reader: build ranges with it). `None`: by a scan alone, at the line's start and in
    /// its first brackets, so JSON or logfmt lines whose time is a field elsewhere have no
    /// time and are left out (counted).
    pub format_times: Option<FormatTimes>,
}

impl TimeRange {
    /// Whether a line of time `t` (microseconds) is in range.
    #[inline]
    pub fn contains(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    /// Whether every line from one of time `t` on is past the range (for a file sorted to
    /// within the margin).
    #[inline]
    fn past_end(&self, t: i64) -> bool {
        self.until
            .is_some_and(|u| t >= u.saturating_add(self.margin))
    }

    /// Whether no line in a file whose lines lie between `first - margin` and `last +
    /// margin` can be in range.
    fn misses(&self, first: Option<i64>, last: Option<i64>) -> bool {
        let after = match (first, self.until) {
            (Some(f), Some(u)) => f.saturating_sub(self.margin) >= u,
            _ => false,
        };
        let before = match (last, self.since) {
            (Some(l), Some(s)) => l.saturating_add(self.margin) < s,
            _ => false,
        };
        after || before
    }
}

/// A bound that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a time: give a duration back from now (30m, 1h, 2d, 1w) or a date and time (2026-12-01, 2026-12-01T10:00, 2026-12-01T10:00:00+01:00; without an offset, UTC)")]
pub struct BoundError {
    /// The text given.
    pub text: String,
}

/// Read a `--since` / `--until` bound: a duration back from `now_micros` (`45s`, `30m`, `1h`,
/// `2d`, `1w`; `now`), or an absolute time: a date (`2026-12-01`: midnight), a date and
/// time to the minute or second (`2026-12-01T10:00`, `2026-12-01 10:00:00`, a `.fraction`),
/// with an optional offset (`Z`, `+01:00`, `-0600`). Without an offset the time is
/// **UTC**, as a time written in a `where` is, so `--since X` equals `where time >= X`.
pub fn parse_bound(text: &str, now_micros: i64) -> Result<i64, BoundError> {
    let bad = || BoundError { text: text.into() };
    let t = text.trim();
    if t == "now" {
        return Ok(now_micros);
    }
    if let Some(ago) = relative(t) {
        return ago
            .and_then(|ago| now_micros.checked_sub(ago))
            .ok_or_else(bad);
    }
    absolute(t).ok_or_else(bad)
}

/// `30m`, `1.5h`, …: `Some(Some(micros))`; `Some(None)` for a duration out of range;
/// `None` if the text is not a duration at all.
fn relative(t: &str) -> Option<Option<i64>> {
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (n, unit) = t.split_at(split);
    let unit_secs = match unit {
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 7.0 * 86_400.0,
        _ => return None,
    };
    let n: f64 = n.parse().ok()?;
    let micros = n * unit_secs * MICROS as f64;
    Some((micros.is_finite() && micros < 1e17).then_some(micros as i64))
}

/// A date, or a date and time (seconds optional), with an optional offset.
fn absolute(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let mut full = b.to_vec();
    if b.len() == 10 {
        full.extend_from_slice(b"T00:00:00Z");
    } else if b.len() >= 16 && b.get(16) != Some(&b':') {
        // `YYYY-MM-DDTHH:MM` and whatever offset follows: add the seconds.
        full.splice(16..16, *b":00");
    }
    crate::record::parse_iso8601(&full)
        .map(|ts| ts.unix_micros())
        .or_else(|| time_of_text(b).map(|ts| ts.unix_micros()))
}

/// What reading in a time range did, shared between the threads reading files (for a
/// notice after the run, and for benchmarks).
#[derive(Debug, Default)]
pub struct RangeCounters {
    /// Files not read at all: their span lies outside the range.
    pub files_skipped: AtomicU64,
    /// Plain files entered by binary search rather than read from their start.
    pub files_searched: AtomicU64,
    /// Lines read and left out because no time was found in them.
    pub lines_without_time: AtomicU64,
    /// Bytes the files hold (compressed sizes for compressed files).
    pub bytes_total: AtomicU64,
    /// Bytes read from the files: spans, searches, and the lines read (compressed sizes
    /// for compressed files, which are read whole unless skipped or entered through a gzip
    /// index).
    pub bytes_read: Arc<AtomicU64>,
    /// Compressed files entered through their gzip index rather than read from their start.
    pub files_seeked: AtomicU64,
    /// Bytes decoded from compressed files read in the range (searches and the lines read;
    /// not the few KiB decoded for a file's span).
    pub bytes_decoded: Arc<AtomicU64>,
    /// Plain files a search found not sorted by time (two lines it saw out of order by more
    /// than the margin): read from their start and filtered instead.
    pub files_unsorted: AtomicU64,
    /// Following (`-F --from-start --since`): bytes before the line each followed file was
    /// entered at, never read.
    pub bytes_skipped: AtomicU64,
}

impl RangeCounters {
    /// The counters as a notice, a line each (empty when nothing worth saying happened).
    pub fn notices(&self) -> Vec<String> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = Vec::new();
        let total = get(&self.bytes_total);
        if total > 0 {
            out.push(format!(
                "time range: read {} of {} bytes ({} skipped, {} entered by binary search)",
                get(&self.bytes_read),
                total,
                crate::plural(get(&self.files_skipped), "file", "files"),
                crate::plural(get(&self.files_searched), "file", "files"),
            ));
        }
        out.extend(self.unsorted_notice());
        let timeless = get(&self.lines_without_time);
        let decoded = get(&self.bytes_decoded);
        if decoded > 0 {
            out.push(format!(
                "time range: decoded {decoded} bytes of compressed files ({} entered through \
                 a gzip index)",
                crate::plural(get(&self.files_seeked), "file", "files"),
            ));
        }
        if timeless > 0 {
            out.push(format!(
                "time range: {} without a recognisable time left out",
                crate::plural(timeless, "line", "lines")
            ));
        }
        out
    }

    /// The notice of the files a search found unsorted, if any.
    fn unsorted_notice(&self) -> Option<String> {
        let unsorted = self.files_unsorted.load(Ordering::Relaxed);
        (unsorted > 0).then(|| {
            format!(
                "time range: {} not sorted by time (within the margin) read from the start",
                crate::plural(unsorted, "file", "files")
            )
        })
    }

    /// The counters of following (`-F`) as a notice, a line each: what the files held when
    /// following began, what was skipped by binary search, what was read (the search's
    /// probes and every line the follower read, appended ones included).
    pub fn follow_notices(&self) -> Vec<String> {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = Vec::new();
        let total = get(&self.bytes_total);
        if total > 0 {
            out.push(format!(
                "time range: read {} bytes; {} of the {} bytes the files held at the start \
                 skipped ({} entered by binary search)",
                get(&self.bytes_read),
                get(&self.bytes_skipped),
                total,
                crate::plural(get(&self.files_searched), "file", "files"),
            ));
        }
        out.extend(self.unsorted_notice());
        let timeless = get(&self.lines_without_time);
        if timeless > 0 {
            out.push(format!(
                "time range: {} without a recognisable time left out",
                crate::plural(timeless, "line", "lines")
            ));
        }
        out
    }

    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// The bytes of one file read for a time range, each counted once. A file's head is read
/// for its span and again with its lines, a small file's tail is part of its head, and the
/// search's last probes lie in what is read after them: counting every read said that a
/// 90-byte file was "read 270 of 90 bytes". Each read adds to the counter only the bytes
/// no earlier read of the file covered, so no file is said to be read more than it holds.
/// The file's reads are a handful of disjoint ranges (head, tail, probes, the lines read
/// on from where reading starts, which grows one range), so a sorted list is enough.
#[derive(Debug)]
pub struct Extent {
    /// Disjoint, not touching, sorted byte ranges `[start, end)` read so far.
    seen: Mutex<Vec<(u64, u64)>>,
    counter: Arc<AtomicU64>,
}

impl Extent {
    /// A file nothing was read of yet, whose new bytes are added to `counter`.
    pub fn new(counter: Arc<AtomicU64>) -> Extent {
        Extent {
            seen: Mutex::new(Vec::new()),
            counter,
        }
    }

    /// `n` bytes were read at offset `at`.
    pub fn add(&self, at: u64, n: u64) {
        if n == 0 {
            return;
        }
        let (a, b) = (at, at.saturating_add(n));
        // A panic elsewhere while the lock was held left a list that is still valid.
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let first = seen.partition_point(|r| r.1 < a);
        let (mut lo, mut hi, mut new) = (a, b, b - a);
        let mut last = first;
        while let Some(&(s, e)) = seen.get(last).filter(|r| r.0 <= b) {
            new -= e.min(b).saturating_sub(s.max(a));
            lo = lo.min(s);
            hi = hi.max(e);
            last += 1;
        }
        seen.splice(first..last, [(lo, hi)]);
        RangeCounters::add(&self.counter, new);
    }
}

/// A reader of a file from offset `pos` on whose reads are added to an [`Extent`].
struct ExtentReader<R> {
    inner: R,
    pos: u64,
    extent: Arc<Extent>,
}

impl<R: Read> Read for ExtentReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.extent.add(self.pos, n as u64);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Finds the time of a line, by the format `parse auto` recognises in a sample of lines
/// (through the range's [`FormatTimes`]); for lines that format does not read (or when it
/// recognises none), by a scan for a time at the line's start (`2026-12-01T10:00:00Z …`,
/// `2026-12-01 10:00:00,123 …`: application logs) or in its first brackets
/// (`[01/Dec/2026:10:00:00 +0000]`).
pub struct LineClock {
    format: Option<Box<dyn TimeReader>>,
}

impl std::fmt::Debug for LineClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (parser, field) = match &self.format {
            Some(r) => r.describe(),
            None => ("scan", "-"),
        };
        f.debug_struct("LineClock")
            .field("parser", &parser)
            .field("field", &field)
            .finish()
    }
}

impl LineClock {
    /// The clock for lines like `sample` (the first lines of a file): `None` when no line
    /// of the sample has a time it can find.
    pub fn from_sample(sample: &[&[u8]], formats: Option<FormatTimes>) -> Option<LineClock> {
        if let Some(reader) = formats.and_then(|f| f(sample)) {
            return Some(LineClock {
                format: Some(reader),
            });
        }
        sample
            .iter()
            .any(|l| scan_time(l).is_some())
            .then_some(LineClock { format: None })
    }

    /// The time of `line` (microseconds since the epoch), if one is found.
    pub fn time_of(&mut self, line: &[u8]) -> Option<i64> {
        self.stamp(line).map(|t| t.unix_micros())
    }

    fn stamp(&mut self, line: &[u8]) -> Option<Timestamp> {
        let by_format = self.format.as_mut().and_then(|r| r.time(line));
        by_format.or_else(|| scan_time(line))
    }

    /// Whether the time of `line` is written without a UTC offset (as if UTC; see
    /// [`crate::record::Timestamp`]).
    fn zoneless(&mut self, line: &[u8]) -> bool {
        self.stamp(line)
            .is_some_and(|t| t.offset_seconds().is_none())
    }
}

/// A time at the start of `line` (ISO 8601 / RFC 3339, a space or `T` between date and
/// time, `,` or `.` before a fraction), or in its first pair of brackets (Apache).
fn scan_time(line: &[u8]) -> Option<Timestamp> {
    if line.len() >= 19 && line[4] == b'-' && line[7] == b'-' && matches!(line[10], b'T' | b' ') {
        let end = line[19..]
            .iter()
            .position(|b| b.is_ascii_whitespace())
            .map_or(line.len(), |p| 19 + p);
        let mut token: smallvec::SmallVec<[u8; 64]> = line[..end].into();
        if token.get(19) == Some(&b',') {
            token[19] = b'.';
        }
        if let Some(t) = crate::record::parse_iso8601(&token)
            .or_else(|| crate::record::parse_iso8601(&line[..19]))
        {
            return Some(t);
        }
    }
    let head = &line[..line.len().min(256)];
    let open = memchr::memchr(b'[', head)?;
    let close = open + memchr::memchr(b']', &head[open..])?;
    crate::record::parse_apache_timestamp(&head[open + 1..close])
}

/// The clock of the first 100 lines of `bytes` (complete lines) in which a time is found,
/// trying each hundred in turn (a file may start with many lines without one).
fn clock_in(bytes: &[u8], formats: Option<FormatTimes>) -> Option<LineClock> {
    lines_of(bytes, true)
        .chunks(100)
        .find_map(|s| LineClock::from_sample(s, formats))
}

/// The complete lines of `bytes` (a final line without newline only if `whole`), without
/// their line ends.
fn lines_of(bytes: &[u8], whole: bool) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = bytes
        .split_inclusive(|&b| b == b'\n')
        .map(super::lines::trim_line_end)
        .collect();
    if !whole && !bytes.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// What is known of a file before its lines are read.
#[derive(Debug)]
pub struct FileSpan {
    /// The clock of its lines (`None`: no time format recognised).
    pub clock: Option<LineClock>,
    /// The first time among its first lines.
    pub first: Option<i64>,
    /// An upper bound on the time of its last line.
    pub last: Option<i64>,
    /// Its codec.
    pub codec: Codec,
    /// Its size on disk.
    pub len: u64,
}

/// The first [`HEAD_BYTES`] of a plain file (fewer if it is shorter), added to `extent`.
fn plain_head(file: &mut File, extent: &Extent) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut head = vec![0; HEAD_BYTES];
    let n = read_full(file, &mut head)?;
    extent.add(0, n as u64);
    head.truncate(n);
    Ok(head)
}

/// What a file's head says of its times.
struct HeadTimes {
    /// The clock of its lines (`None`: no time format recognised).
    clock: Option<LineClock>,
    /// The time of its first line with one.
    first: Option<i64>,
    /// The time of its last line with one (the file's last when the head is all of it).
    last: Option<i64>,
    /// The first line's time has no UTC offset.
    zoneless: bool,
}

/// The clock and first and last times of `head` (a file's first bytes; all of it when
/// `whole`).
fn head_times(head: &[u8], whole: bool, formats: Option<FormatTimes>) -> HeadTimes {
    let sample = lines_of(head, whole);
    let mut clock = sample
        .chunks(100)
        .find_map(|s| LineClock::from_sample(s, formats));
    let (mut first, mut last, mut zoneless) = (None, None, false);
    if let Some(c) = clock.as_mut() {
        let first_line = sample.iter().find(|l| c.time_of(l).is_some());
        first = first_line.and_then(|l| c.time_of(l));
        zoneless = first_line.is_some_and(|l| c.zoneless(l));
        last = sample.iter().rev().find_map(|l| c.time_of(l));
    }
    HeadTimes {
        clock,
        first,
        last,
        zoneless,
    }
}

/// Read the span of the file at `path`: its head (decoded, for a compressed file), its
/// tail (plain files larger than the head), its modification time (compressed files).
/// Bytes read are added to `extent`. Times are read by `formats` (see [`FormatTimes`]).
pub fn file_span(
    path: &Path,
    extent: &Extent,
    formats: Option<FormatTimes>,
) -> io::Result<FileSpan> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    let mut magic = [0u8; super::open::MAGIC_LEN];
    let n = read_full(&mut file, &mut magic)?;
    // The magic bytes are the head's first bytes: counted with it (or with the decoder's).
    let codec = detect(&magic[..n]);
    let head = if codec == Codec::Plain {
        plain_head(&mut file, extent)?
    } else {
        file.seek(SeekFrom::Start(0))?;
        // Decode just the head (the counter is for the compressed bytes it took).
        let taken = Arc::new(AtomicU64::new(0));
        // Small reads: the decoder's buffer would otherwise take 128 KiB of a file whose
        // head is a few KiB compressed.
        let counted = SharedCounted {
            inner: SmallReads(file.try_clone()?),
            counter: taken.clone(),
        };
        let mut input =
            super::open::open_reader(crate::error::InputName::Path(path.to_path_buf()), counted)
                .map_err(|e| io::Error::other(e.to_string()))?;
        let mut head = vec![0; HEAD_BYTES];
        // A corrupt file gives what decoded before the damage; the ordinary read reports it.
        let n = read_full(&mut input, &mut head).unwrap_or(0);
        head.truncate(n);
        // The decoder read the compressed file from its start.
        extent.add(0, taken.load(Ordering::Relaxed));
        head
    };
    let whole_head =
        head.len() < HEAD_BYTES && (codec != Codec::Plain || len as usize == head.len());
    let HeadTimes {
        mut clock,
        first,
        last: head_last,
        zoneless,
    } = head_times(&head, whole_head, formats);
    let Some(c) = clock.as_mut() else {
        return Ok(FileSpan {
            clock,
            first: None,
            last: None,
            codec,
            len,
        });
    };
    let last = if codec == Codec::Plain && whole_head {
        // The head is the whole file: its last line is in it, no tail to read.
        head_last
    } else if codec == Codec::Plain {
        last_time(&mut file, len, c, extent)?
    } else {
        meta.modified()
            .ok()
            .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_micros() as i64)
            .map(|m| {
                if zoneless {
                    m.saturating_add(MAX_OFFSET_MICROS)
                } else {
                    m
                }
            })
    };
    Ok(FileSpan {
        clock,
        first,
        last,
        codec,
        len,
    })
}

/// The time of the last line with one in a plain file, reading backwards from its end in
/// growing pieces (up to a few MiB: a file whose last MiBs hold no time has no bound).
fn last_time(
    file: &mut File,
    len: u64,
    clock: &mut LineClock,
    extent: &Extent,
) -> io::Result<Option<i64>> {
    let mut size = TAIL_BYTES;
    loop {
        let from = len.saturating_sub(size);
        file.seek(SeekFrom::Start(from))?;
        let mut tail = vec![0; (len - from) as usize];
        let n = read_full(file, &mut tail)?;
        extent.add(from, n as u64);
        tail.truncate(n);
        // Drop the partial first line (unless this is the file's start).
        let body = if from == 0 {
            &tail[..]
        } else {
            match memchr::memchr(b'\n', &tail) {
                Some(i) => &tail[i + 1..],
                None => &[][..],
            }
        };
        if let Some(t) = lines_of(body, true)
            .iter()
            .rev()
            .find_map(|l| clock.time_of(l))
        {
            return Ok(Some(t));
        }
        if from == 0 || size >= 16 * TAIL_BYTES * 4 {
            return Ok(None);
        }
        size *= 4;
    }
}

/// A reader that reads at most [`SmallReads::MOST`] bytes at a time.
struct SmallReads<R>(R);

impl<R> SmallReads<R> {
    const MOST: usize = 8 * 1024;
}

impl<R: Read> Read for SmallReads<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let most = buf.len().min(SmallReads::<R>::MOST);
        self.0.read(&mut buf[..most])
    }
}

/// The line starting at or after `offset` (the first byte after a newline at or after
/// `offset - 1`) that has a time, before `end`: `(its start, its time)`. Lines without a
/// time are stepped over.
fn timed_line_at(
    file: &mut File,
    offset: u64,
    end: u64,
    clock: &mut LineClock,
    extent: &Arc<Extent>,
) -> io::Result<Option<(u64, i64)>> {
    // Resynchronise: from offset - 1, the first newline ends the line we landed in.
    let pos = offset.saturating_sub(1);
    file.seek(SeekFrom::Start(pos))?;
    let mut counted = ExtentReader {
        inner: &mut *file,
        pos,
        extent: Arc::clone(extent),
    };
    let found = timed_line_in(&mut counted, offset == 0, end.saturating_sub(pos), clock)?;
    Ok(found.map(|(start, t)| (pos + start, t)))
}

/// The first line of `r` that has a time and starts before byte `end` of `r`: `(its
/// start, its time)`; with `at_start` false, the bytes up to the first newline are the end
/// of a line that began before and are skipped. Lines without a time are stepped over, and
/// so is a line longer than [`PROBE_LINE_MAX`].
fn timed_line_in(
    r: &mut impl Read,
    mut at_start: bool,
    end: u64,
    clock: &mut LineClock,
) -> io::Result<Option<(u64, i64)>> {
    let mut pos = 0u64;
    let mut buf = vec![0u8; 16 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let mut line_start = 0u64;
    let mut skipping_long = false;
    loop {
        let n = read_full(r, &mut buf)?;
        if n == 0 {
            // A last line without newline.
            if at_start && !line.is_empty() && !skipping_long && line_start < end {
                if let Some(t) = clock.time_of(&line) {
                    return Ok(Some((line_start, t)));
                }
            }
            return Ok(None);
        }
        let mut chunk = &buf[..n];
        while !chunk.is_empty() {
            if !at_start {
                match memchr::memchr(b'\n', chunk) {
                    Some(i) => {
                        pos += i as u64 + 1;
                        chunk = &chunk[i + 1..];
                        at_start = true;
                        line_start = pos;
                        if line_start >= end {
                            return Ok(None);
                        }
                    }
                    None => {
                        pos += chunk.len() as u64;
                        chunk = &[];
                    }
                }
                continue;
            }
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    if !skipping_long {
                        line.extend_from_slice(&chunk[..i]);
                        if let Some(t) = clock.time_of(super::lines::trim_line_end(&line)) {
                            return Ok(Some((line_start, t)));
                        }
                    }
                    line.clear();
                    skipping_long = false;
                    pos += i as u64 + 1;
                    chunk = &chunk[i + 1..];
                    line_start = pos;
                    if line_start >= end {
                        return Ok(None);
                    }
                }
                None => {
                    if !skipping_long {
                        line.extend_from_slice(chunk);
                        if line.len() > PROBE_LINE_MAX {
                            skipping_long = true;
                            line.clear();
                        }
                    }
                    pos += chunk.len() as u64;
                    chunk = &[];
                }
            }
        }
    }
}

/// What [`seek_start`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Start reading at this offset (a line start; the file's length if no line qualifies).
    At(u64),
    /// Two lines the search saw are out of order by more than the margin: the file is not
    /// sorted, so a search cannot be trusted; read it from its start.
    Unsorted,
}

/// Where to start reading a plain file of `len` bytes sorted by time (to within the
/// margin) for lines at or after `since`: the start of the first line with a time at or
/// after `since - margin`, found by binary search. Every line before it was seen or
/// bounded to be earlier than `since`. `len` if no line qualifies. Bytes read are added
/// to `extent`.
///
/// The search checks its own premise on what it reads anyway: the file's first line with a
/// time and the line each probe lands on must be in order to within the margin. A file
/// found out of order (two logs concatenated, a shuffled file) is [`Entry::Unsorted`], read
/// from its start and filtered, rather than entered where a search on it would land.
pub fn seek_start(
    file: &mut File,
    len: u64,
    clock: &mut LineClock,
    since: i64,
    margin: i64,
    extent: &Arc<Extent>,
) -> io::Result<Entry> {
    let low_water = since.saturating_sub(margin);
    // The lines seen, (start, time): the first with a time, then each probe's.
    let mut seen: Vec<(u64, i64)> = Vec::new();
    seen.extend(timed_line_at(file, 0, len, clock, extent)?);
    // `lo` is always a line start before which no line is in range.
    let mut lo = 0u64;
    let mut hi = len;
    while hi - lo > SEARCH_BLOCK {
        let mid = lo + (hi - lo) / 2;
        let probe = timed_line_at(file, mid, hi, clock, extent)?;
        seen.extend(probe);
        match probe {
            Some((start, t)) if t < low_water => lo = start,
            _ => hi = mid,
        }
    }
    seen.sort_unstable_by_key(|l| l.0);
    if seen
        .windows(2)
        .any(|w| w[1].1 < w[0].1.saturating_sub(margin))
    {
        return Ok(Entry::Unsorted);
    }
    // Walk on to the first line that may be in range: every line stepped over is either
    // earlier than `since - margin` or has no time (left out anyway).
    let mut pos = lo;
    file.seek(SeekFrom::Start(pos))?;
    let mut reader = LineReader::new(ExtentReader {
        inner: &mut *file,
        pos,
        extent: Arc::clone(extent),
    });
    while let Some(batch) = reader.next_batch()? {
        let bytes = batch.as_bytes();
        let mut at = 0usize;
        for raw in bytes.split_inclusive(|&b| b == b'\n') {
            let line = super::lines::trim_line_end(raw);
            // A last line without its newline may still be being written (following):
            // its time cannot be judged yet, so reading starts at it and the range's
            // filter decides once it is whole (entering after it would start mid-line).
            if !raw.ends_with(b"\n") || clock.time_of(line).is_some_and(|t| t >= low_water) {
                return Ok(Entry::At(pos + at as u64));
            }
            at += raw.len();
        }
        pos += bytes.len() as u64;
    }
    Ok(Entry::At(len))
}

/// Where reading a plain file of `len` bytes for `range` starts: with `since`, a file larger
/// than a search block whose first line (`first`) is before `since - margin` is entered by
/// [`seek_start`] (counted as searched, or as unsorted and read from 0); any other from its
/// start. The one decision of both batch reading ([`open_in_range`]) and following
/// ([`follow_start`]).
fn plain_start(
    file: &mut File,
    len: u64,
    clock: Option<&mut LineClock>,
    first: Option<i64>,
    range: &TimeRange,
    counters: &RangeCounters,
    extent: &Arc<Extent>,
) -> io::Result<u64> {
    // A file whose first lines are already at or after the search's target is read from
    // its start: probing it could only find 0.
    let target = range.since.map(|since| since.saturating_sub(range.margin));
    let starts_before = |t: i64| first.is_none_or(|f| f < t);
    match (range.since, clock) {
        (Some(since), Some(c)) if len > SEARCH_BLOCK && target.is_some_and(starts_before) => {
            match seek_start(file, len, c, since, range.margin, extent)? {
                Entry::At(at) => {
                    RangeCounters::add(&counters.files_searched, 1);
                    Ok(at)
                }
                Entry::Unsorted => {
                    RangeCounters::add(&counters.files_unsorted, 1);
                    Ok(0)
                }
            }
        }
        _ => Ok(0),
    }
}

/// Where following with `--from-start --since` enters the plain file `file` of `len` bytes
/// (a followed file that exists when following starts and has no checkpoint): the line
/// `plain_start` finds, as a batch read would start there (the same search, margin and
/// order check), so "follow the last hour of a 20 GB log" reads the last hour, not 20 GB.
/// 0 (read from the start, every line filtered) when no time is recognised in its head, it
/// is small, it starts after `since`, it is not sorted, or it cannot be read here (the
/// follower reports what is wrong with it). Counted into `counters`: its size
/// (`bytes_total`), what the search read (`bytes_read`), what it skipped
/// (`bytes_skipped`), and whether it was searched.
pub fn follow_start(file: &File, len: u64, range: &TimeRange, counters: &RangeCounters) -> u64 {
    RangeCounters::add(&counters.bytes_total, len);
    if range.since.is_none() {
        return 0;
    }
    let extent = Arc::new(Extent::new(Arc::clone(&counters.bytes_read)));
    let start = (|| -> io::Result<u64> {
        let mut file = file.try_clone()?;
        let head = plain_head(&mut file, &extent)?;
        let whole = (head.len() as u64) == len;
        let HeadTimes {
            mut clock, first, ..
        } = head_times(&head, whole, range.format_times);
        plain_start(
            &mut file,
            len,
            clock.as_mut(),
            first,
            range,
            counters,
            &extent,
        )
    })()
    .unwrap_or(0);
    RangeCounters::add(&counters.bytes_skipped, start);
    start
}

/// Where to start decoding an indexed gzip file sorted by time (to within the margin) for
/// lines at or after `since`: the last seek point after which the first line with a time is
/// earlier than `since - margin` (0 if none is), by binary search over the points. Each
/// probe decodes from its point up to the first line with a time (a few KiB; compressed
/// bytes counted into `read`, decoded ones into `decoded`). Every line before the point
/// found was seen or bounded to be earlier than `since`.
fn gz_seek_point(
    file: &IndexedFile,
    clock: &mut LineClock,
    since: i64,
    margin: i64,
    read: &Arc<AtomicU64>,
    decoded: &Arc<AtomicU64>,
) -> io::Result<usize> {
    let low_water = since.saturating_sub(margin);
    // `lo` is always a point before which no line is in range.
    let mut lo = 0;
    let mut hi = file.chunks();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let mut probe = SharedCounted {
            inner: Starts::new(file.clone(), mid, hi, Some(Arc::clone(read))),
            counter: Arc::clone(decoded),
        };
        match timed_line_in(&mut probe, false, u64::MAX, clock)? {
            Some((_, t)) if t < low_water => lo = mid,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

/// A gzip file at `path` with a current index in `cache`, entered at the seek point
/// [`gz_seek_point`] finds: the reader of its lines from there; `None` when there is no
/// index to use (the file is then decoded from its start).
fn open_gz_from_point(
    path: &Path,
    cache: &IndexCache,
    clock: &mut LineClock,
    range: &TimeRange,
    since: i64,
    counters: &RangeCounters,
) -> io::Result<Option<FromPoint>> {
    let file = File::open(path)?;
    let Some((_, Some(index))) = cache.load(&file, path) else {
        return Ok(None);
    };
    if index.points.len() < 2 {
        return Ok(None);
    }
    let file = IndexedFile::new(file, index, Some(Arc::clone(&counters.bytes_read)));
    let from = gz_seek_point(
        &file,
        clock,
        since,
        range.margin,
        &counters.bytes_read,
        &counters.bytes_decoded,
    )?;
    RangeCounters::add(&counters.files_seeked, 1);
    Ok(Some(FromPoint::new(file, from)))
}

/// The lines of `R` in a time range, as bytes: lines out of range and lines without a
/// time are dropped (the latter counted); with `stop_at_end`, reading ends at the first
/// line at or after `until + margin`.
pub struct RangeFilter<R> {
    lines: LineReader<R>,
    clock: Option<LineClock>,
    range: TimeRange,
    counters: Arc<RangeCounters>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> RangeFilter<R> {
    /// Filter `inner` by `range`, finding times with `clock` (`None`: every line is
    /// without a time).
    pub fn new(
        inner: R,
        clock: Option<LineClock>,
        range: TimeRange,
        counters: Arc<RangeCounters>,
    ) -> RangeFilter<R> {
        RangeFilter {
            lines: LineReader::new(inner),
            clock,
            range,
            counters,
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// Fill `out` with the kept lines of the next batch; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            if self.done {
                return Ok(false);
            }
            let Some(batch) = self.lines.next_batch()? else {
                self.done = true;
                return Ok(false);
            };
            if self.clock.is_none() {
                // No time found in the first lines yet: look again in each read until one is.
                self.clock = clock_in(batch.as_bytes(), self.range.format_times);
            }
            let mut timeless = 0u64;
            for raw in batch.as_bytes().split_inclusive(|&b| b == b'\n') {
                let line = super::lines::trim_line_end(raw);
                let t = self.clock.as_mut().and_then(|c| c.time_of(line));
                match t {
                    None => timeless += 1,
                    Some(t) if self.range.past_end(t) => {
                        self.done = true;
                        break;
                    }
                    Some(t) if self.range.contains(t) => {
                        self.out.extend_from_slice(raw);
                        if !raw.ends_with(b"\n") {
                            self.out.push(b'\n');
                        }
                    }
                    Some(_) => {}
                }
            }
            if timeless > 0 {
                RangeCounters::add(&self.counters.lines_without_time, timeless);
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for RangeFilter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Open the file at `path` for a time range: `None` when its span lies outside (counted,
/// nothing more read); else an input holding only its lines in range — a plain file entered
/// by binary search, a gzip file with a current index in `gz_index` entered at a seek point
/// found by binary search, any other compressed file decoded from its start. `open` opens
/// it as it would be opened without a range.
pub fn open_in_range(
    path: &Path,
    range: &TimeRange,
    counters: &Arc<RangeCounters>,
    gz_index: Option<&Arc<IndexCache>>,
    open: impl FnOnce() -> crate::error::Result<Input>,
) -> Option<crate::error::Result<Input>> {
    // A FIFO or a device cannot be read twice (its span, then its lines): filtered as a
    // stream. A span that cannot be read is not ours to report either: the ordinary open
    // says what is wrong, naming the file. Either way every line is still filtered.
    let as_stream = |open: Box<dyn FnOnce() -> crate::error::Result<Input> + '_>| {
        Some(open().map(|input| filter_stream(input, *range, counters.clone())))
    };
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return as_stream(Box::new(open));
    }
    let extent = Arc::new(Extent::new(Arc::clone(&counters.bytes_read)));
    let span = match file_span(path, &extent, range.format_times) {
        Ok(span) => span,
        Err(_) => return as_stream(Box::new(open)),
    };
    RangeCounters::add(&counters.bytes_total, span.len);
    if span.clock.is_some() && range.misses(span.first, span.last) {
        RangeCounters::add(&counters.files_skipped, 1);
        return None;
    }
    let input = match open() {
        Ok(input) => input,
        Err(e) => return Some(Err(e)),
    };
    let FileSpan {
        mut clock,
        codec,
        len,
        first,
        ..
    } = span;
    let range = *range;
    let counters = counters.clone();
    if codec == Codec::Plain && input.codec() == Codec::Plain {
        // Read the file ourselves from where the search says (0 without `since`), so that
        // the bytes read are counted exactly.
        let opened = (|| -> io::Result<ExtentReader<PieceReader>> {
            let mut file = File::open(path)?;
            let start = plain_start(
                &mut file,
                len,
                clock.as_mut(),
                first,
                &range,
                &counters,
                &extent,
            )?;
            Ok(ExtentReader {
                inner: WholeFile::new(file, None).from_offset(start),
                pos: start,
                extent,
            })
        })();
        return Some(match opened {
            Ok(reader) => Ok(input
                .map_reader(move |_| Box::new(RangeFilter::new(reader, clock, range, counters)))),
            Err(e) => Err(input.read_error(e, 0)),
        });
    }
    // The decoded bytes of a compressed file, counted.
    let decoded = |reader: Box<dyn Read + Send>, counters: &RangeCounters| SharedCounted {
        inner: reader,
        counter: Arc::clone(&counters.bytes_decoded),
    };
    // A gzip file with an index is entered at a seek point, as a plain file is entered by
    // binary search (and for the same reason: its first lines are before the target).
    let target = range.since.map(|since| since.saturating_sub(range.margin));
    if let (Codec::Gzip, Some(cache), Some(since), Some(c)) =
        (codec, gz_index, range.since, clock.as_mut())
    {
        if target.is_some_and(|t| first.is_none_or(|f| f < t)) {
            match open_gz_from_point(path, cache, c, &range, since, &counters) {
                Ok(Some(from)) => {
                    let reader = decoded(Box::new(from), &counters);
                    return Some(Ok(input.with_reader(Box::new(RangeFilter::new(
                        reader, clock, range, counters,
                    )))));
                }
                Ok(None) => {}
                Err(e) => return Some(Err(input.read_error(e, 0))),
            }
        }
    }
    extent.add(0, len);
    Some(Ok(input.map_reader(move |reader| {
        let reader = decoded(reader, &counters);
        Box::new(RangeFilter::new(reader, clock, range, counters))
    })))
}

/// A stream (standard input) in a time range: nothing to skip or search, every line
/// filtered, its clock chosen from its first lines.
pub fn filter_stream(input: Input, range: TimeRange, counters: Arc<RangeCounters>) -> Input {
    input.map_reader(move |reader| Box::new(StreamFilter::new(reader, range, counters)))
}

/// [`RangeFilter`] whose clock is chosen from the first lines that come: reads a head,
/// recognises the format in it, then filters the head and the rest.
struct StreamFilter<R: Read> {
    state: StreamState<R>,
}

enum StreamState<R: Read> {
    Waiting(R, TimeRange, Arc<RangeCounters>),
    Filtering(Box<RangeFilter<io::Chain<io::Cursor<Vec<u8>>, R>>>),
    Failed,
}

impl<R: Read> StreamFilter<R> {
    fn new(inner: R, range: TimeRange, counters: Arc<RangeCounters>) -> StreamFilter<R> {
        StreamFilter {
            state: StreamState::Waiting(inner, range, counters),
        }
    }
}

impl<R: Read> Read for StreamFilter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let StreamState::Waiting(..) = self.state {
            let StreamState::Waiting(mut inner, range, counters) =
                std::mem::replace(&mut self.state, StreamState::Failed)
            else {
                return Ok(0);
            };
            let mut head = vec![0; HEAD_BYTES];
            let n = read_full(&mut inner, &mut head)?;
            head.truncate(n);
            let sample = lines_of(&head, n < HEAD_BYTES);
            let clock = sample
                .chunks(100)
                .find_map(|s| LineClock::from_sample(s, range.format_times));
            let chained = io::Cursor::new(head).chain(inner);
            self.state =
                StreamState::Filtering(Box::new(RangeFilter::new(chained, clock, range, counters)));
        }
        match &mut self.state {
            StreamState::Filtering(f) => f.read(buf),
            _ => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const HOUR: i64 = 3600 * MICROS;
    /// 2026-12-01T00:00:00Z.
    const DAY0: i64 = 1_796_083_200 * MICROS;

    #[test]
    fn relative_bounds_count_back_from_now() {
        let now = DAY0 + 12 * HOUR;
        assert_eq!(parse_bound("1h", now), Ok(now - HOUR));
        assert_eq!(parse_bound("30m", now), Ok(now - HOUR / 2));
        assert_eq!(parse_bound("2d", now), Ok(now - 48 * HOUR));
        assert_eq!(parse_bound("1w", now), Ok(now - 7 * 24 * HOUR));
        assert_eq!(parse_bound("45s", now), Ok(now - 45 * MICROS));
        assert_eq!(parse_bound("1.5h", now), Ok(now - 3 * HOUR / 2));
        assert_eq!(parse_bound("now", now), Ok(now));
        assert!(parse_bound("5y", now).is_err());
        assert!(parse_bound("soon", now).is_err());
        assert!(parse_bound("", now).is_err());
    }

    #[test]
    fn absolute_bounds_without_offset_are_utc() {
        let now = 0;
        // 2026-12-01 is 20788 days after 1970-01-01 (computed with Python's datetime).
        assert_eq!(DAY0, 20_788 * 86_400 * MICROS);
        assert_eq!(parse_bound("2026-12-01", now), Ok(DAY0));
        assert_eq!(parse_bound("2026-12-01T10:00", now), Ok(DAY0 + 10 * HOUR));
        assert_eq!(parse_bound("2026-12-01 10:00", now), Ok(DAY0 + 10 * HOUR));
        assert_eq!(
            parse_bound("2026-12-01T10:00:30", now),
            Ok(DAY0 + 10 * HOUR + 30 * MICROS)
        );
        assert_eq!(parse_bound("2026-12-01T10:00Z", now), Ok(DAY0 + 10 * HOUR));
        assert_eq!(
            parse_bound("2026-12-01T10:00+01:00", now),
            Ok(DAY0 + 9 * HOUR)
        );
        assert_eq!(
            parse_bound("2026-12-01T10:00:00-0600", now),
            Ok(DAY0 + 16 * HOUR)
        );
        assert_eq!(
            parse_bound("2026-12-01T10:00:00.250Z", now),
            Ok(DAY0 + 10 * HOUR + 250_000)
        );
        assert!(parse_bound("2026-13-01", now).is_err());
        assert!(parse_bound("2026-12-01T25:00", now).is_err());
        assert!(parse_bound("01/Dec/2026", now).is_err());
    }

    /// A combined-log line at `secs` after DAY0 with a path of `pad` bytes.
    fn line(secs: i64, pad: usize) -> String {
        let t = DAY0 / MICROS + secs;
        let days = t.div_euclid(86_400);
        let sod = t.rem_euclid(86_400);
        // Days after 2026-12-01 within December and January only (enough for the tests).
        let (day, mon, year) = match days - 20_788 {
            d @ 0..=30 => (d + 1, "Dec", 2026),
            d => (d - 30, "Jan", 2027),
        };
        format!(
            "10.0.0.1 - - [{day:02}/{mon}/{year}:{:02}:{:02}:{:02} +0000] \"GET /{} HTTP/1.1\" 200 {secs} \"-\" \"t\"\n",
            sod / 3600,
            sod % 3600 / 60,
            sod % 60,
            "x".repeat(pad)
        )
    }

    /// A sorted file: seconds with several lines (duplicates), gaps, a first line without
    /// time, a timed line longer than the search block and an untimed one longer than a
    /// probe. Returns the file and each line's (start, time) (`None`: no time).
    fn sorted_file() -> (tempfile::NamedTempFile, Vec<(u64, Option<i64>)>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut at = 0u64;
        let mut lines = Vec::new();
        let mut put = |f: &mut tempfile::NamedTempFile, text: &str, t: Option<i64>| {
            f.write_all(text.as_bytes()).unwrap();
            lines.push((at, t));
            at += text.len() as u64;
        };
        put(&mut f, "# logging started\n", None);
        let mut secs = 0i64;
        for i in 0..40_000i64 {
            // 1 to 4 lines a second, and a gap of 100 s now and then.
            secs += if i % 4 == 0 { 1 } else { 0 } + if i % 5000 == 4999 { 100 } else { 0 };
            let pad = match i {
                20_000 => 3 * SEARCH_BLOCK as usize,
                _ => (i % 7) as usize,
            };
            put(&mut f, &line(secs, pad), Some(DAY0 + secs * MICROS));
            if i == 30_000 {
                put(
                    &mut f,
                    &format!("{}\n", "#".repeat(PROBE_LINE_MAX + 10)),
                    None,
                );
            }
        }
        f.flush().unwrap();
        (f, lines)
    }

    fn clock_for(path: &Path) -> LineClock {
        let head = std::fs::read(path).unwrap();
        let sample = lines_of(&head[..HEAD_BYTES], false);
        LineClock::from_sample(&sample[..100], Some(crate::stage::parse::line_times)).unwrap()
    }

    #[test]
    fn binary_search_lands_on_the_first_line_at_or_after_since() {
        let (f, lines) = sorted_file();
        let len = f.as_file().metadata().unwrap().len();
        let mut clock = clock_for(f.path());
        let last = lines.iter().filter_map(|l| l.1).max().unwrap();
        let mut sinces: Vec<i64> = vec![DAY0 - HOUR, DAY0, last, last + 1, last + HOUR];
        // Every boundary second of a stretch, inside gaps, around the long lines.
        for s in (0..12_000).step_by(97).chain(4995..5110).chain(7490..7510) {
            sinces.push(DAY0 + s * MICROS);
            sinces.push(DAY0 + s * MICROS + 1);
        }
        let mut file = File::open(f.path()).unwrap();
        let read = Arc::new(Extent::new(Arc::default()));
        for since in sinces {
            let expected = lines
                .iter()
                .find(|(_, t)| t.is_some_and(|t| t >= since))
                .map_or(len, |l| l.0);
            let got = seek_start(&mut file, len, &mut clock, since, 0, &read).unwrap();
            assert_eq!(got, Entry::At(expected), "since {since}");
        }
    }

    #[test]
    fn a_last_line_still_being_written_is_where_reading_starts_when_nothing_earlier_is_in_range() {
        // Every complete line is before `since`; the last one has no newline yet and its
        // visible part no time (a writer mid-line when following starts). Entering after it
        // (at the file's length, mid-line) would lose that line once it is finished.
        let (mut f, lines) = sorted_file();
        let last = lines.iter().filter_map(|l| l.1).max().unwrap();
        f.write_all(b"10.0.0.1 - - [0").unwrap();
        f.flush().unwrap();
        let len = f.as_file().metadata().unwrap().len();
        let partial_start = len - b"10.0.0.1 - - [0".len() as u64;
        let mut clock = clock_for(f.path());
        let mut file = File::open(f.path()).unwrap();
        let read = Arc::new(Extent::new(Arc::default()));
        let got = seek_start(&mut file, len, &mut clock, last + HOUR, 0, &read).unwrap();
        assert_eq!(got, Entry::At(partial_start));
    }

    #[test]
    fn search_with_a_margin_starts_before_every_line_in_range() {
        // Out of order by up to 60 s (as Apache logs are), margin 90 s: the start found is
        // at or before the first line in range, and no line before it is in range.
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut starts = Vec::new();
        let mut at = 0u64;
        for i in 0..50_000i64 {
            let secs = i / 3 - (i * 7919 % 61);
            let text = line(secs.max(0), 0);
            f.write_all(text.as_bytes()).unwrap();
            starts.push((at, DAY0 + secs.max(0) * MICROS));
            at += text.len() as u64;
        }
        f.flush().unwrap();
        let len = at;
        let mut clock = clock_for(f.path());
        let mut file = File::open(f.path()).unwrap();
        let read = Arc::new(Extent::new(Arc::default()));
        for s in (0..17_000).step_by(250) {
            let since = DAY0 + s * MICROS;
            let got = seek_start(&mut file, len, &mut clock, since, 90 * MICROS, &read).unwrap();
            let Entry::At(got) = got else {
                panic!("since {s}: a file sorted to within the margin taken as unsorted")
            };
            let first_in = starts.iter().find(|l| l.1 >= since).map_or(len, |l| l.0);
            assert!(got <= first_in, "since {s}: {got} > {first_in}");
            // And it did skip something (the search is not a no-op) past the start.
            if s > 1000 {
                assert!(got > 0, "since {s}");
            }
        }
    }

    #[test]
    fn application_logs_get_their_time_by_a_scan_of_the_line_start() {
        let lines: [&[u8]; 5] = [
            b"2026-12-01 10:00:00,250 INFO started",
            b"2026-12-01T10:00:01Z WARN slow",
            b"2026-12-01T10:00:02.5+01:00 ERROR failed",
            b"    at a stack trace continuation",
            b"host [01/Dec/2026:10:00:03 +0000] something else",
        ];
        let mut clock = LineClock::from_sample(&lines[..2], None).unwrap();
        let got: Vec<Option<i64>> = lines.iter().map(|l| clock.time_of(l)).collect();
        let at = |s: i64, us: i64| Some(DAY0 + 10 * HOUR + s * MICROS + us);
        assert_eq!(
            got,
            [
                at(0, 250_000),
                at(1, 0),
                at(2 - 3600, 500_000),
                None,
                at(3, 0)
            ]
        );
        // Without an offset the time is local: flagged, so mtime bounds are widened.
        assert!(clock.zoneless(lines[0]));
        assert!(!clock.zoneless(lines[1]));
    }

    #[test]
    fn a_file_whose_first_lines_have_no_time_still_gets_a_clock() {
        let mut text = "a banner line\n".repeat(20_000).into_bytes();
        for s in 0..100 {
            text.extend_from_slice(line(s, 0).as_bytes());
        }
        let counters = Arc::new(RangeCounters::default());
        let range = TimeRange::new(Some(DAY0 + 50 * MICROS), None);
        let mut kept = Vec::new();
        RangeFilter::new(&text[..], None, range, counters.clone())
            .read_to_end(&mut kept)
            .unwrap();
        assert_eq!(kept.iter().filter(|&&b| b == b'\n').count(), 50);
        assert_eq!(counters.lines_without_time.load(Ordering::Relaxed), 20_000);
    }

    /// Read `path` in `range` as a batch run does: (lines kept, bytes read, bytes total).
    fn read_in_range(path: &Path, range: TimeRange) -> (usize, u64, u64) {
        let counters = Arc::new(RangeCounters::default());
        let mut kept = Vec::new();
        if let Some(input) = open_in_range(path, &range, &counters, None, || {
            crate::source::open::open(path)
        }) {
            input.unwrap().read_to_end(&mut kept).unwrap();
        }
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        (
            kept.iter().filter(|&&b| b == b'\n').count(),
            get(&counters.bytes_read),
            get(&counters.bytes_total),
        )
    }

    #[test]
    fn a_tiny_file_is_not_said_to_be_read_more_than_it_holds() {
        // One line of 90-odd bytes: its head, its tail and its lines are the same bytes
        // (the notice said "read 270 of 90 bytes").
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let text = line(10, 0);
        f.write_all(text.as_bytes()).unwrap();
        let range = TimeRange::new(Some(DAY0), None);
        let (kept, read, total) = read_in_range(f.path(), range);
        assert_eq!(kept, 1);
        assert_eq!(total, text.len() as u64);
        assert_eq!(read, total);
    }

    #[test]
    fn no_file_is_said_to_be_read_more_than_it_holds() {
        // Sizes around the head, tail and search block, ranges that read all of a file,
        // part of it, or nothing; the lines kept are checked against the file's own.
        for n in [1i64, 300, 700, 1200, 2500, 20_000] {
            let mut f = tempfile::NamedTempFile::new().unwrap();
            let text: String = (0..n).map(|i| line(i, (i % 13) as usize)).collect();
            f.write_all(text.as_bytes()).unwrap();
            for (since, until) in [
                (Some(-10), None),
                (Some(n / 2), None),
                (Some(n - 1), None),
                (Some(n + 10_000), None),
                (None, Some(n / 3)),
                (Some(n / 4), Some(n / 2 + 1)),
            ] {
                let at = |s: Option<i64>| s.map(|s| DAY0 + s * MICROS);
                let mut range = TimeRange::new(at(since), at(until));
                range.margin = 0;
                let (kept, read, total) = read_in_range(f.path(), range);
                let expected = (0..n)
                    .filter(|&i| range.contains(DAY0 + i * MICROS))
                    .count();
                assert_eq!(kept, expected, "{n} lines, {since:?}..{until:?}");
                assert_eq!(total, text.len() as u64);
                assert!(
                    read <= total,
                    "{n} lines, {since:?}..{until:?}: read {read} of {total}"
                );
            }
        }
    }

    #[test]
    fn extent_counts_each_byte_once() {
        let counter = Arc::new(AtomicU64::new(0));
        let e = Extent::new(counter.clone());
        // head, tail overlapping it, a probe inside, a read across all, one after.
        for (at, n, total) in [
            (0, 100, 100),
            (60, 80, 140),
            (20, 10, 140),
            (300, 50, 190),
            (0, 400, 400),
            (400, 1, 401),
        ] {
            e.add(at, n);
            assert_eq!(counter.load(Ordering::Relaxed), total, "after {at}+{n}");
        }
    }

    #[test]
    fn a_file_not_sorted_by_time_is_read_from_its_start() {
        // Three stretches of a log out of order (logs concatenated): the middle quarter of
        // its times first, then the first half, then the last quarter. A search for a time
        // in the first stretch would land past it. Every line in range is kept.
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let n = 20_000i64;
        let secs: Vec<i64> = (n / 2..3 * n / 4)
            .chain(0..n / 2)
            .chain(3 * n / 4..n)
            .map(|i| i * 4)
            .collect();
        for &s in &secs {
            f.write_all(line(s, 0).as_bytes()).unwrap();
        }
        f.flush().unwrap();
        let since = DAY0 + (5 * n / 8 * 4) * MICROS;
        let range = TimeRange::new(Some(since), None);
        let counters = Arc::new(RangeCounters::default());
        let mut kept = Vec::new();
        open_in_range(f.path(), &range, &counters, None, || {
            crate::source::open::open(f.path())
        })
        .unwrap()
        .unwrap()
        .read_to_end(&mut kept)
        .unwrap();
        let expected = secs.iter().filter(|&&s| DAY0 + s * MICROS >= since).count();
        assert_eq!(kept.iter().filter(|&&b| b == b'\n').count(), expected);
        assert_eq!(counters.files_unsorted.load(Ordering::Relaxed), 1);
        assert_eq!(counters.files_searched.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn filter_keeps_exactly_the_lines_in_range_and_counts_timeless_ones() {
        let (f, lines) = sorted_file();
        let text = std::fs::read(f.path()).unwrap();
        let clock = clock_for(f.path());
        let since = DAY0 + 3000 * MICROS;
        let until = DAY0 + 8000 * MICROS;
        let counters = Arc::new(RangeCounters::default());
        let mut range = TimeRange::new(Some(since), Some(until));
        range.margin = 0;
        let mut kept = Vec::new();
        RangeFilter::new(&text[..], Some(clock), range, counters.clone())
            .read_to_end(&mut kept)
            .unwrap();
        let expected: usize = lines
            .iter()
            .filter(|l| l.1.is_some_and(|t| t >= since && t < until))
            .count();
        assert_eq!(kept.iter().filter(|&&b| b == b'\n').count(), expected);
        // Stopped at `until`: only the first line (before the range) had no time.
        assert_eq!(counters.lines_without_time.load(Ordering::Relaxed), 1);
    }
}

/// A time range over followed files (`-F --since/--until`): each read's lines are split into
/// runs of consecutive lines in range, so that the pushed lines keep their line numbers
/// and byte positions. Each file's clock is chosen from its first lines with a time.
#[derive(Debug)]
pub struct LiveRange {
    range: TimeRange,
    clocks: std::collections::HashMap<crate::error::InputName, LineClock>,
    /// Files past the end of the range: their later lines are dropped unread. (One file
    /// past the end says nothing of the others.)
    ended: std::collections::HashSet<crate::error::InputName>,
    counters: Arc<RangeCounters>,
}

/// What [`LiveRange::runs`] found in one read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Runs {
    /// Consecutive lines in range, in order: their byte range in the read, and how many
    /// lines of the read come before them (for their line numbers).
    pub runs: Vec<(std::ops::Range<usize>, u64)>,
    /// A line at or after `until` plus the margin came in this file (now or before):
    /// nothing later in it can be in range.
    pub past_end: bool,
}

impl LiveRange {
    /// Follow in `range`.
    pub fn new(range: TimeRange) -> LiveRange {
        LiveRange {
            range,
            clocks: Default::default(),
            ended: Default::default(),
            counters: Arc::default(),
        }
    }

    /// Lines without a time left out so far (and the rest of [`RangeCounters`]).
    pub fn counters(&self) -> &Arc<RangeCounters> {
        &self.counters
    }

    /// The range followed.
    pub fn range(&self) -> &TimeRange {
        &self.range
    }

    /// The runs of lines in range in `bytes` (complete lines, as a follower hands them out)
    /// of the file `name`.
    pub fn runs(&mut self, name: &crate::error::InputName, bytes: &[u8]) -> Runs {
        // Every byte the follower read comes through here once.
        RangeCounters::add(&self.counters.bytes_read, bytes.len() as u64);
        if self.ended.contains(name) {
            return Runs {
                runs: Vec::new(),
                past_end: true,
            };
        }
        if !self.clocks.contains_key(name) {
            if let Some(c) = clock_in(bytes, self.range.format_times) {
                self.clocks.insert(name.clone(), c);
            }
        }
        let mut out = Runs::default();
        let mut timeless = 0u64;
        let mut at = 0usize;
        let mut open: Option<(usize, u64)> = None;
        for (index, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
            let line = super::lines::trim_line_end(raw);
            let t = self.clocks.get_mut(name).and_then(|c| c.time_of(line));
            let keep = match t {
                None => {
                    timeless += 1;
                    false
                }
                Some(t) if self.range.past_end(t) => {
                    out.past_end = true;
                    self.ended.insert(name.clone());
                    break;
                }
                Some(t) => self.range.contains(t),
            };
            match (keep, open) {
                (true, None) => open = Some((at, index as u64)),
                (false, Some((s, before))) => {
                    out.runs.push((s..at, before));
                    open = None;
                }
                _ => {}
            }
            at += raw.len();
        }
        if let Some((s, before)) = open {
            out.runs.push((s..at, before));
        }
        RangeCounters::add(&self.counters.lines_without_time, timeless);
        out
    }
}
