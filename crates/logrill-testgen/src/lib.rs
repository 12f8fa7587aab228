//! Deterministic trees of Apache access logs, with the ground truth recorded *while writing*.
//!
//! A test of a log tool is only as good as the number it compares against. Here that number
//! is never obtained by reading the files back (with logrill or anything else): every line
//! is generated from a known set of values (status, byte count, path), and the values are
//! summed as they are written. If logrill and this crate disagree, one of them is wrong, and
//! this one is small enough to check by eye.
//!
//! What [`generate`] writes under `OUT` (modelled on the course data, and on
//! `mklogs.py` that the benchmarks used before):
//!
//! ```text
//! www/site<N>/access-log          plain
//! www/site<N>/access-log.1        plain (rotated)
//! www/site<N>/access-log.2.gz     gzip
//! www/site<N>/access-log.3.bz2    bzip2
//! www/site<N>/access-log.4.xz     xz
//! www/site<N>/access-log.5.zst    zstd
//! www/site<N>/error-log           decoy: must not match 'access-log*'
//! www/site<N>/notes.txt           decoy
//! ```
//!
//! Lines are in Apache's common log format (`%h %l %u %t "%r" %>s %b`, as in the seed) or,
//! on request, combined format (adds `"%{Referer}i" "%{User-Agent}i"`). About 3% of byte
//! counts are `-`, and about 1 line in 2000 is malformed (empty, garbage, NUL and `0xff`
//! bytes, `- - - - -`, a broken timestamp). No malformed line ends in an integer, so in
//! common format [`Truth::total_bytes`] is exactly what `logrill 'field -1 | sum'` must print.
//!
//! The random numbers come from a [SplitMix64](Rng) seeded per file, so the output is the
//! same on every run and every machine, and files can be written in parallel.
//!
//! Besides whole trees, the crate has small helpers for end-to-end tests: [`LineGen`] (lines
//! with their truth), [`compress`] / [`decompress`] for every codec, [`gzip_members`]
//! (`cat a.gz b.gz`), [`to_crlf`], [`without_final_newline`], [`truncate`] and
//! [`corrupt`].

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

/// The pattern whose byte total is recorded separately ([`Truth::pattern_bytes`]): the
/// seed's `gen_grep` example.
pub const PATTERN: &str = "robots.txt";

/// The options of the sample tree committed as `examples/logs` (with its `TRUTH.json`).
///
/// Regenerate it (from the repository root) with exactly:
///
/// ```text
/// rm -rf examples/logs && cargo run -p logrill-testgen --example mklogs -- examples/logs --mb 2.8 --sites 2 --seed 1 > TRUTH.tmp && mv TRUTH.tmp examples/logs/TRUTH.json
/// ```
///
/// The test `sample_tree_is_up_to_date` (crates/logrill-testgen/tests/sample.rs) regenerates
/// the tree with these options and fails if the committed copy has drifted; if you change
/// them, change the command above and the number in the doc test of `crates/logrill/src/lib.rs`
/// (the sample's `pattern_bytes`).
pub fn sample_options() -> Options {
    Options {
        mb: 2.8,
        sites: 2,
        seed: 1,
        combined: false,
        codecs: Codec::ALL.to_vec(),
    }
}

// ---------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------

/// SplitMix64: tiny, fast, and good enough for test data (not for anything else).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent generator for sub-stream `stream` of `seed` (one per file).
    pub fn stream(seed: u64, stream: u64) -> Rng {
        let mut r = Rng::new(seed ^ mix(stream.wrapping_add(0x5851_f42d_4c95_7f2d)));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// A number in `0..n` (`n > 0`; 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-high: the bias is at most n / 2^64, irrelevant here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// One element of a non-empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ---------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/robots.txt",
    "/favicon.ico",
    "/images/logo.png",
    "/css/site.css",
    "/js/app.js",
    "/blog/2023/10/generators",
    "/blog/2023/11/coroutines",
    "/search?q=python+generators",
    "/downloads/data.tar.gz",
    "/api/v1/items?id=42",
    "/about",
    "/contact",
    "/wp-login.php",
];

const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "curl/8.4.0",
    "python-requests/2.31.0",
    "-",
];

const REFERERS: &[&str] = &[
    "-",
    "http://example.com/",
    "https://www.google.com/search?q=generator+tricks",
];

const METHODS: &[&str] = &[
    "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "GET", "POST",
    "HEAD", "PUT",
];

/// Status codes with their weights (as the reference generator: mostly 200).
const STATUSES: &[(u16, u32)] = &[
    (200, 30),
    (304, 5),
    (404, 4),
    (301, 1),
    (302, 1),
    (403, 1),
    (500, 1),
    (503, 1),
];

const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An Apache timestamp `dd/Mon/yyyy:HH:MM:SS ±hhmm` for `unix_secs`, written at
/// `offset_secs` east of UTC, on the real (proleptic Gregorian) calendar: ground truth for
/// tests of time handling, computed without logrill (Howard Hinnant's `civil_from_days`).
pub fn apache_time(unix_secs: i64, offset_secs: i32) -> String {
    let local = unix_secs + i64::from(offset_secs);
    let days = local.div_euclid(86_400);
    let sod = local.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let off = offset_secs.unsigned_abs();
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} {sign}{:02}{:02}",
        MONTHS[(m - 1) as usize],
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// Malformed lines. None of them ends in an integer field, so none adds to a byte total.
pub const MALFORMED: &[&[u8]] = &[
    b"",
    b"garbage line without fields",
    b"\x00\x01binary\xff\xfe",
    b"- - - - -",
    b"10.0.0.1 - - [32/Foo/2023:99:99:99 +0000] \"BROKEN\" abc def",
];

/// Probability that a line is malformed (about 1 in 2000).
const MALFORMED_RATE: f64 = 0.0005;
/// Probability that a byte count is `-`.
const DASH_RATE: f64 = 0.03;
/// Largest byte count written (the Pareto tail is cut here: a 4 GB response).
const MAX_BYTES: u64 = 4_000_000_000;

/// What one generated line holds, as generated (not parsed back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// The byte count (`%b`), `None` when it is `-` or the line is malformed.
    pub bytes: Option<u64>,
    /// The status (`%>s`), `None` for a malformed line.
    pub status: Option<u16>,
    /// Whether the line is one of [`MALFORMED`].
    pub malformed: bool,
    /// Whether the line is empty.
    pub empty: bool,
    /// Whether the line contains [`PATTERN`].
    pub has_pattern: bool,
}

/// Generates access-log lines and tells what each one holds.
#[derive(Debug, Clone)]
pub struct LineGen {
    rng: Rng,
    /// Seconds since 2023-01-01 (in a 28-day-month calendar, as the reference generator).
    t: u64,
    combined: bool,
    malformed_rate: f64,
    pattern: bool,
}

impl LineGen {
    /// Common-format lines from `seed`, with the default rates of `-` and malformed lines.
    pub fn new(seed: u64) -> LineGen {
        LineGen::from_rng(Rng::new(seed))
    }

    fn from_rng(rng: Rng) -> LineGen {
        LineGen {
            rng,
            t: 0,
            combined: false,
            malformed_rate: MALFORMED_RATE,
            pattern: true,
        }
    }

    /// Combined format (referer and user agent after the byte count).
    pub fn combined(mut self, yes: bool) -> LineGen {
        self.combined = yes;
        self
    }

    /// Probability of a malformed line (0 for none).
    pub fn malformed_rate(mut self, rate: f64) -> LineGen {
        self.malformed_rate = rate;
        self
    }

    /// Never request [`PATTERN`] (for files whose lines must not match `grep robots.txt`).
    pub fn without_pattern(mut self) -> LineGen {
        self.pattern = false;
        self
    }

    /// Start the clock at `t` seconds.
    pub fn start_time(mut self, t: u64) -> LineGen {
        self.t = t;
        self
    }

    /// Append one line (without its newline) to `out` and say what it holds.
    pub fn line(&mut self, out: &mut Vec<u8>) -> LineInfo {
        let rng = &mut self.rng;
        self.t += rng.below(3);
        if rng.unit() < self.malformed_rate {
            let text = *rng.choose(MALFORMED);
            out.extend_from_slice(text);
            return LineInfo {
                bytes: None,
                status: None,
                malformed: true,
                empty: text.is_empty(),
                has_pattern: contains(text, PATTERN.as_bytes()),
            };
        }
        let host = match rng.below(4) {
            0 => format!("192.0.2.{}", 1 + rng.below(254)),
            1 => format!("198.51.100.{}", 1 + rng.below(254)),
            2 => format!("2001:db8::{:x}", 1 + rng.below(65534)),
            _ => "crawler.example.net".to_string(),
        };
        let user = if rng.below(22) < 20 {
            "-"
        } else {
            *rng.choose(&["alice", "bob"])
        };
        let t = self.t;
        let (day, mon) = (1 + t / 86400 % 28, MONTHS[(t / (86400 * 28) % 12) as usize]);
        let (hh, mm, ss) = (t / 3600 % 24, t / 60 % 60, t % 60);
        let method = *rng.choose(METHODS);
        let path = loop {
            let p = *rng.choose(PATHS);
            if self.pattern || !p.contains(PATTERN) {
                break p;
            }
        };
        let minor = rng.below(2);
        let status = weighted_status(rng);
        let bytes = if rng.unit() < DASH_RATE {
            None
        } else {
            // Pareto(alpha = 1.2) scaled by 500, as Python's paretovariate: heavy-tailed.
            let u = 1.0 - rng.unit(); // (0, 1]
            Some(((500.0 * u.powf(-1.0 / 1.2)) as u64).min(MAX_BYTES))
        };
        let start = out.len();
        // Writing into a Vec cannot fail.
        let _ = write!(
            out,
            "{host} - {user} [{day:02}/{mon}/2023:{hh:02}:{mm:02}:{ss:02} +0000] \"{method} {path} HTTP/1.{minor}\" {status} "
        );
        match bytes {
            Some(b) => {
                let _ = write!(out, "{b}");
            }
            None => out.push(b'-'),
        }
        if self.combined {
            let referer = *rng.choose(REFERERS);
            let agent = *rng.choose(AGENTS);
            let _ = write!(out, " \"{referer}\" \"{agent}\"");
        }
        LineInfo {
            bytes,
            status: Some(status),
            malformed: false,
            empty: false,
            has_pattern: contains(&out[start..], PATTERN.as_bytes()),
        }
    }

    /// `lines` lines, each ending in `\n`, with their counts.
    pub fn text(&mut self, lines: usize) -> LogText {
        let mut bytes = Vec::new();
        let mut counts = Counts::default();
        for _ in 0..lines {
            let info = self.line(&mut bytes);
            bytes.extend_from_slice(b"\n");
            counts.add(&info);
        }
        counts.raw_bytes = bytes.len() as u64;
        LogText { bytes, counts }
    }
}

fn weighted_status(rng: &mut Rng) -> u16 {
    let total: u32 = STATUSES.iter().map(|s| s.1).sum();
    let mut pick = rng.below(u64::from(total)) as u32;
    for &(status, weight) in STATUSES {
        if pick < weight {
            return status;
        }
        pick -= weight;
    }
    200
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Some lines of log text and what they hold.
#[derive(Debug, Clone)]
pub struct LogText {
    /// The text, every line ending in `\n`.
    pub bytes: Vec<u8>,
    /// Its truth.
    pub counts: Counts,
}

// ---------------------------------------------------------------------------------------
// Truth
// ---------------------------------------------------------------------------------------

/// Counts over some lines, accumulated as the lines are generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Lines (including malformed and empty ones).
    pub lines: u64,
    /// Sum of the byte counts (`%b`) that are numbers. In common format this is the sum of
    /// every line's last field that is an integer (malformed lines never end in one).
    pub total_bytes: u64,
    /// Lines containing [`PATTERN`].
    pub pattern_lines: u64,
    /// Sum of the byte counts of the lines containing [`PATTERN`].
    pub pattern_bytes: u64,
    /// Well-formed lines whose byte count is `-`.
    pub dash_lines: u64,
    /// Malformed lines (empty ones included).
    pub malformed_lines: u64,
    /// Empty lines (all malformed).
    pub empty_lines: u64,
    /// Smallest byte count, if any.
    pub min_bytes: Option<u64>,
    /// Largest byte count, if any.
    pub max_bytes: Option<u64>,
    /// Well-formed lines by status.
    pub status_counts: BTreeMap<u16, u64>,
    /// Uncompressed size in bytes.
    pub raw_bytes: u64,
}

impl Counts {
    /// Count one line (its `raw_bytes` are not known here; add them separately).
    pub fn add(&mut self, info: &LineInfo) {
        self.lines += 1;
        if info.has_pattern {
            self.pattern_lines += 1;
        }
        if info.malformed {
            self.malformed_lines += 1;
            self.empty_lines += u64::from(info.empty);
            return;
        }
        if let Some(status) = info.status {
            *self.status_counts.entry(status).or_insert(0) += 1;
        }
        match info.bytes {
            Some(b) => {
                self.total_bytes += b;
                if info.has_pattern {
                    self.pattern_bytes += b;
                }
                self.min_bytes = Some(self.min_bytes.map_or(b, |m| m.min(b)));
                self.max_bytes = Some(self.max_bytes.map_or(b, |m| m.max(b)));
            }
            None => self.dash_lines += 1,
        }
    }

    /// Add another set of counts.
    pub fn merge(&mut self, other: &Counts) {
        self.lines += other.lines;
        self.total_bytes += other.total_bytes;
        self.pattern_lines += other.pattern_lines;
        self.pattern_bytes += other.pattern_bytes;
        self.dash_lines += other.dash_lines;
        self.malformed_lines += other.malformed_lines;
        self.empty_lines += other.empty_lines;
        self.min_bytes = match (self.min_bytes, other.min_bytes) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_bytes = match (self.max_bytes, other.max_bytes) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (status, n) in &other.status_counts {
            *self.status_counts.entry(*status).or_insert(0) += n;
        }
        self.raw_bytes += other.raw_bytes;
    }

    /// Lines with a byte count that is a number.
    pub fn numeric_lines(&self) -> u64 {
        self.lines - self.malformed_lines - self.dash_lines
    }

    /// In common format, how many lines' last field is there but is not a number (what
    /// `field -1 | sum` skips as "not a number"): the `-` byte counts and the non-empty
    /// malformed lines.
    pub fn last_field_not_a_number(&self) -> u64 {
        self.dash_lines + self.malformed_lines - self.empty_lines
    }

    /// How many lines have no field at all (the empty ones).
    pub fn last_field_missing(&self) -> u64 {
        self.empty_lines
    }

    fn json_fields(&self, obj: &mut serde_json::Map<String, Value>) {
        let statuses: serde_json::Map<String, Value> = self
            .status_counts
            .iter()
            .map(|(s, n)| (s.to_string(), json!(n)))
            .collect();
        for (k, v) in [
            ("lines", json!(self.lines)),
            ("total_bytes", json!(self.total_bytes)),
            ("pattern_lines", json!(self.pattern_lines)),
            ("pattern_bytes", json!(self.pattern_bytes)),
            ("dash_lines", json!(self.dash_lines)),
            ("malformed_lines", json!(self.malformed_lines)),
            ("empty_lines", json!(self.empty_lines)),
            ("min_bytes", json!(self.min_bytes)),
            ("max_bytes", json!(self.max_bytes)),
            ("raw_bytes", json!(self.raw_bytes)),
            ("status_counts", Value::Object(statuses)),
        ] {
            obj.insert(k.to_string(), v);
        }
    }
}

/// The truth about one generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTruth {
    /// Path relative to the output directory, with `/` separators.
    pub path: String,
    /// How it is compressed.
    pub codec: Codec,
    /// What its lines hold.
    pub counts: Counts,
    /// Its size on disk (not in [`Truth::to_json`]: it depends on the compressor's version).
    pub file_bytes: u64,
}

/// The truth about a generated tree: totals over every `access-log*` file, per-file counts,
/// and the decoys.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The options it was generated with.
    pub options: Options,
    /// Totals over every `access-log*` file.
    pub counts: Counts,
    /// Every `access-log*` file, in the order written.
    pub files: Vec<FileTruth>,
    /// Decoy files (`error-log`, `notes.txt`): they must not match `access-log*`.
    pub decoy_files: u64,
    /// Lines in the decoys.
    pub decoy_lines: u64,
    /// Decoy lines containing [`PATTERN`].
    pub decoy_pattern_lines: u64,
}

impl std::ops::Deref for Truth {
    type Target = Counts;
    fn deref(&self) -> &Counts {
        &self.counts
    }
}

impl Truth {
    /// The truth as JSON (compressed sizes left out: they depend on compressor versions).
    pub fn to_json(&self) -> Value {
        let mut obj = serde_json::Map::new();
        obj.insert("generator".into(), json!("logrill-testgen"));
        obj.insert("pattern".into(), json!(PATTERN));
        let o = &self.options;
        obj.insert(
            "options".into(),
            json!({
                "mb": o.mb,
                "sites": o.sites,
                "seed": o.seed,
                "combined": o.combined,
                "codecs": o.codecs.iter().map(|c| c.name()).collect::<Vec<_>>(),
            }),
        );
        obj.insert("files".into(), json!(self.files.len()));
        self.counts.json_fields(&mut obj);
        obj.insert("decoy_files".into(), json!(self.decoy_files));
        obj.insert("decoy_lines".into(), json!(self.decoy_lines));
        obj.insert(
            "decoy_pattern_lines".into(),
            json!(self.decoy_pattern_lines),
        );
        let per_file: Vec<Value> = self
            .files
            .iter()
            .map(|f| {
                let mut o = serde_json::Map::new();
                o.insert("path".into(), json!(f.path));
                o.insert("codec".into(), json!(f.codec.name()));
                f.counts.json_fields(&mut o);
                Value::Object(o)
            })
            .collect();
        obj.insert("per_file".into(), Value::Array(per_file));
        Value::Object(obj)
    }

    /// [`Truth::to_json`] as pretty text with a final newline.
    pub fn to_json_string(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        s.push('\n');
        s
    }
}

// ---------------------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------------------

/// How a generated file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Codec {
    Plain,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Codec {
    /// Every codec.
    pub const ALL: [Codec; 5] = [
        Codec::Plain,
        Codec::Gzip,
        Codec::Bzip2,
        Codec::Xz,
        Codec::Zstd,
    ];

    /// Its name (`plain`, `gzip`, `bzip2`, `xz`, `zstd`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::Plain => "plain",
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
            Codec::Zstd => "zstd",
        }
    }

    /// The usual file-name extension, with its dot (empty for plain).
    pub fn extension(self) -> &'static str {
        match self {
            Codec::Plain => "",
            Codec::Gzip => ".gz",
            Codec::Bzip2 => ".bz2",
            Codec::Xz => ".xz",
            Codec::Zstd => ".zst",
        }
    }

    /// Look a codec up by name or extension (`gz`, `bz2`, `zst` too).
    pub fn from_name(name: &str) -> Option<Codec> {
        Some(match name {
            "plain" | "none" => Codec::Plain,
            "gzip" | "gz" => Codec::Gzip,
            "bzip2" | "bz2" => Codec::Bzip2,
            "xz" => Codec::Xz,
            "zstd" | "zst" => Codec::Zstd,
            _ => return None,
        })
    }
}

/// A compressing writer that must be finished.
enum Encoder<W: Write> {
    Plain(W),
    Gzip(flate2::write::GzEncoder<W>),
    Bzip2(bzip2::write::BzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    fn new(codec: Codec, w: W) -> io::Result<Encoder<W>> {
        Ok(match codec {
            Codec::Plain => Encoder::Plain(w),
            // GzEncoder writes mtime 0 and no file name: the output is reproducible.
            Codec::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                w,
                flate2::Compression::new(6),
            )),
            Codec::Bzip2 => {
                Encoder::Bzip2(bzip2::write::BzEncoder::new(w, bzip2::Compression::new(9)))
            }
            // Preset 3: an order of magnitude faster to write than the default 6, and the
            // decoder's speed hardly depends on it.
            Codec::Xz => Encoder::Xz(liblzma::write::XzEncoder::new(w, 3)),
            Codec::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(w, 3)?),
        })
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Plain(w) => Ok(w),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Bzip2(e) => e.finish(),
            Encoder::Xz(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Bzip2(e) => e.write(buf),
            Encoder::Xz(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Bzip2(e) => e.flush(),
            Encoder::Xz(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

/// `data` compressed with `codec` (one gzip member, bzip2 stream, xz stream or zstd frame;
/// plain is a copy). Compressing empty data gives a valid, empty stream.
pub fn compress(codec: Codec, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = Encoder::new(codec, Vec::new())?;
    e.write_all(data)?;
    e.finish()
}

/// All of `data` decompressed (every member/stream/frame), independently of logrill.
pub fn decompress(codec: Codec, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    match codec {
        Codec::Plain => out.extend_from_slice(data),
        Codec::Gzip => {
            flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out)?;
        }
        Codec::Bzip2 => {
            bzip2::read::MultiBzDecoder::new(data).read_to_end(&mut out)?;
        }
        Codec::Xz => {
            liblzma::read::XzDecoder::new_multi_decoder(data).read_to_end(&mut out)?;
        }
        Codec::Zstd => {
            zstd::stream::read::Decoder::new(data)?.read_to_end(&mut out)?;
        }
    }
    Ok(out)
}

/// One gzip member per part, concatenated: what `cat a.gz b.gz > ab.gz` makes.
pub fn gzip_members(parts: &[&[u8]]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for part in parts {
        out.extend(compress(Codec::Gzip, part)?);
    }
    Ok(out)
}

/// `text` with every `\n` turned into `\r\n` (a `\n` already after `\r` is left alone).
pub fn to_crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 64);
    let mut prev = 0u8;
    for &b in text {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

/// `text` without its final newline (`\n` or `\r\n`), if it has one.
pub fn without_final_newline(text: &[u8]) -> Vec<u8> {
    let mut t = text.strip_suffix(b"\n").unwrap_or(text);
    t = t.strip_suffix(b"\r").unwrap_or(t);
    t.to_vec()
}

/// The first `keep` bytes of `data` (all of it if shorter): a file cut short, as by a full
/// disk or an interrupted copy.
pub fn truncate(data: &[u8], keep: usize) -> Vec<u8> {
    data[..keep.min(data.len())].to_vec()
}

/// `data` with `len` bytes from offset `at` inverted (clamped to the data): a damaged file
/// whose header is intact. Deterministic, so the damage is the same on every run.
pub fn corrupt(data: &[u8], at: usize, len: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    let start = at.min(out.len());
    let end = at.saturating_add(len).min(out.len());
    for b in &mut out[start..end] {
        *b = !*b;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Trees
// ---------------------------------------------------------------------------------------

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Total uncompressed size of the `access-log*` files, in megabytes (10^6 bytes).
    pub mb: f64,
    /// Number of `www/site<N>` directories.
    pub sites: usize,
    /// Seed of the random numbers: the same seed gives the same files.
    pub seed: u64,
    /// Combined log format instead of common.
    pub combined: bool,
    /// Which codecs to write (`Plain` gives both `access-log` and `access-log.1`).
    pub codecs: Vec<Codec>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            mb: 20.0,
            sites: 3,
            seed: 1,
            combined: false,
            codecs: Codec::ALL.to_vec(),
        }
    }
}

/// The `access-log*` files of one site, in the order written.
const LAYOUT: &[(&str, Codec)] = &[
    ("access-log", Codec::Plain),
    ("access-log.1", Codec::Plain),
    ("access-log.2.gz", Codec::Gzip),
    ("access-log.3.bz2", Codec::Bzip2),
    ("access-log.4.xz", Codec::Xz),
    ("access-log.5.zst", Codec::Zstd),
];

/// Decoy `error-log`: a number at the end of every line, and [`PATTERN`] in it, so a glob
/// that lets it through changes both totals.
const ERROR_LOG_LINE: &str =
    "[Mon Oct 09 10:00:00 2023] [error] [client 192.0.2.7] File does not exist: /var/www/robots.txt 123456789\n";
const ERROR_LOG_LINES: u64 = 100;
const NOTES: &str = "not a log 999999999\n";

/// Write the tree under `out` (created if needed; existing files of the same names are
/// replaced) and return its truth, computed from the generated values as they were written.
pub fn generate(out: &Path, opts: &Options) -> io::Result<Truth> {
    if !(opts.mb.is_finite() && opts.mb >= 0.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "mb must be a non-negative number",
        ));
    }
    let mut jobs = Vec::new();
    for site in 0..opts.sites {
        let dir = out.join("www").join(format!("site{site}"));
        fs::create_dir_all(&dir)?;
        for (k, (name, codec)) in LAYOUT.iter().enumerate() {
            if opts.codecs.contains(codec) {
                // One random stream per (site, slot): leaving a codec out does not change
                // the other files.
                let stream = (site as u64) << 8 | k as u64;
                let rel = format!("www/site{site}/{name}");
                jobs.push((stream, dir.join(name), rel, *codec));
            }
        }
    }
    let per_file = if jobs.is_empty() {
        0
    } else {
        (opts.mb * 1e6 / jobs.len() as f64) as u64
    };

    // Files are independent (one random stream each), so they are written in parallel
    // and the result does not depend on the order.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<io::Result<FileTruth>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((stream, path, rel, codec)) = jobs.get(i) else {
                    break;
                };
                let r = write_log_file(path, rel, *codec, opts, *stream, per_file);
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| io::Error::other("a writer thread panicked"))?;

    let mut truth = Truth {
        options: opts.clone(),
        counts: Counts::default(),
        files: Vec::new(),
        decoy_files: 0,
        decoy_lines: 0,
        decoy_pattern_lines: 0,
    };
    for r in results {
        let f = r.ok_or_else(|| io::Error::other("a file was not written"))??;
        truth.counts.merge(&f.counts);
        truth.files.push(f);
    }
    for site in 0..opts.sites {
        let dir = out.join("www").join(format!("site{site}"));
        fs::write(
            dir.join("error-log"),
            ERROR_LOG_LINE.repeat(ERROR_LOG_LINES as usize),
        )?;
        fs::write(dir.join("notes.txt"), NOTES)?;
        truth.decoy_files += 2;
        truth.decoy_lines += ERROR_LOG_LINES + 1;
        truth.decoy_pattern_lines += ERROR_LOG_LINES;
    }
    Ok(truth)
}

fn write_log_file(
    path: &Path,
    rel: &str,
    codec: Codec,
    opts: &Options,
    stream: u64,
    size: u64,
) -> io::Result<FileTruth> {
    let file = BufWriter::with_capacity(256 * 1024, File::create(path)?);
    let mut enc = Encoder::new(codec, file)?;
    let mut gen = LineGen::from_rng(Rng::stream(opts.seed, stream))
        .combined(opts.combined)
        .start_time(stream * 7 * 86400 % (336 * 86400));
    let mut counts = Counts::default();
    let mut line = Vec::with_capacity(512);
    let mut chunk = Vec::with_capacity(256 * 1024);
    while counts.raw_bytes < size {
        line.clear();
        let info = gen.line(&mut line);
        line.push(b'\n');
        counts.add(&info);
        counts.raw_bytes += line.len() as u64;
        chunk.extend_from_slice(&line);
        if chunk.len() >= 128 * 1024 {
            enc.write_all(&chunk)?;
            chunk.clear();
        }
    }
    enc.write_all(&chunk)?;
    let mut file = enc.finish()?;
    file.flush()?;
    let file_bytes = file.get_ref().metadata()?.len();
    Ok(FileTruth {
        path: rel.to_string(),
        codec,
        counts,
        file_bytes,
    })
}

/// The `access-log*` files of a generated tree, as absolute paths in the order written.
pub fn log_paths(out: &Path, truth: &Truth) -> Vec<PathBuf> {
    truth.files.iter().map(|f| out.join(&f.path)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last whitespace-separated field, as Python's `line.rsplit(None, 1)[-1]`.
    fn last_field(line: &[u8]) -> Option<&[u8]> {
        line.split(|b| b" \t\r\x0b\x0c".contains(b))
            .rfind(|f| !f.is_empty())
    }

    fn as_int(f: &[u8]) -> Option<u64> {
        std::str::from_utf8(f).ok()?.parse().ok()
    }

    #[test]
    fn rng_is_deterministic_and_spread() {
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::stream(1, 0).next_u64(), Rng::stream(1, 1).next_u64());
        let mut r = Rng::new(3);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[r.below(10) as usize] += 1;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn malformed_lines_never_end_in_an_integer() {
        for m in MALFORMED {
            assert_eq!(last_field(m).and_then(as_int), None, "{m:?}");
        }
    }

    /// The counts agree with an independent reading of the generated text (the text here is
    /// re-read by this test only, to check the bookkeeping of `LineGen`).
    #[test]
    fn counts_match_the_text() {
        let text = LineGen::new(42).malformed_rate(0.01).text(20_000);
        let mut total = 0u64;
        let (mut lines, mut dash, mut nan, mut empty, mut pat, mut pat_bytes) = (0, 0, 0, 0, 0, 0);
        for line in text.bytes.split(|&b| b == b'\n') {
            if line.is_empty() && lines == text.counts.lines {
                break; // after the final newline
            }
            lines += 1;
            let has = contains(line, PATTERN.as_bytes());
            pat += u64::from(has);
            match last_field(line) {
                None => empty += 1,
                Some(b"-") if line.len() > 10 => dash += 1,
                Some(f) => match as_int(f) {
                    Some(n) => {
                        total += n;
                        if has {
                            pat_bytes += n;
                        }
                    }
                    None => nan += 1,
                },
            }
        }
        let c = &text.counts;
        assert_eq!(lines, c.lines);
        assert_eq!(total, c.total_bytes);
        assert_eq!(pat, c.pattern_lines);
        assert_eq!(pat_bytes, c.pattern_bytes);
        assert_eq!(empty, c.last_field_missing());
        assert_eq!(dash + nan, c.last_field_not_a_number());
        assert_eq!(c.raw_bytes, text.bytes.len() as u64);
        assert!(c.malformed_lines > 100 && c.dash_lines > 400, "{c:?}");
        assert!(c.pattern_lines > 0 && c.empty_lines > 0);
        let statuses: u64 = c.status_counts.values().sum();
        assert_eq!(statuses, c.lines - c.malformed_lines);
    }

    #[test]
    fn without_pattern_has_none() {
        let text = LineGen::new(5).without_pattern().text(5_000);
        assert_eq!(text.counts.pattern_lines, 0);
        assert!(!contains(&text.bytes, PATTERN.as_bytes()));
    }

    #[test]
    fn combined_format_appends_referer_and_agent() {
        let mut g = LineGen::new(9).combined(true).malformed_rate(0.0);
        let mut line = Vec::new();
        let info = g.line(&mut line);
        let s = String::from_utf8(line).unwrap();
        assert_eq!(s.matches('"').count(), 6, "{s}");
        assert!(info.status.is_some());
    }

    #[test]
    fn codecs_round_trip() {
        let text = LineGen::new(1).text(500).bytes;
        for codec in Codec::ALL {
            let packed = compress(codec, &text).unwrap();
            assert_eq!(decompress(codec, &packed).unwrap(), text, "{codec:?}");
            assert_eq!(
                compress(codec, &text).unwrap(),
                packed,
                "deterministic {codec:?}"
            );
            let empty = compress(codec, b"").unwrap();
            assert_eq!(decompress(codec, &empty).unwrap(), b"");
            if codec != Codec::Plain {
                assert!(packed.len() < text.len() / 2, "{codec:?}");
                assert!(decompress(codec, &truncate(&packed, packed.len() / 2)).is_err());
            }
        }
        let two = gzip_members(&[b"a\n", b"b\n"]).unwrap();
        assert_eq!(decompress(Codec::Gzip, &two).unwrap(), b"a\nb\n");
    }

    #[test]
    fn text_helpers() {
        assert_eq!(to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(without_final_newline(b"a\nb\r\n"), b"a\nb");
        assert_eq!(without_final_newline(b"a"), b"a");
        assert_eq!(truncate(b"abcdef", 2), b"ab");
        assert_eq!(truncate(b"ab", 9), b"ab");
        assert_eq!(corrupt(b"\x00\x00\x00", 1, 5), b"\x00\xff\xff");
    }

    #[test]
    fn generate_writes_the_layout_deterministically() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let opts = Options {
            mb: 0.3,
            sites: 2,
            seed: 11,
            ..Options::default()
        };
        let ta = generate(a.path(), &opts).unwrap();
        let tb = generate(b.path(), &opts).unwrap();
        assert_eq!(ta.to_json(), tb.to_json());
        assert_eq!(ta.files.len(), 12);
        let mut sum = Counts::default();
        for f in &ta.files {
            let data = fs::read(a.path().join(&f.path)).unwrap();
            assert_eq!(data, fs::read(b.path().join(&f.path)).unwrap());
            let raw = decompress(f.codec, &data).unwrap();
            assert_eq!(raw.len() as u64, f.counts.raw_bytes);
            assert_eq!(
                raw.iter().filter(|&&b| b == b'\n').count() as u64,
                f.counts.lines
            );
            sum.merge(&f.counts);
        }
        assert_eq!(sum, ta.counts);
        assert!(a.path().join("www/site1/error-log").is_file());
        assert!(a.path().join("www/site1/notes.txt").is_file());
        // A different seed gives different data.
        let c = tempfile::tempdir().unwrap();
        let tc = generate(c.path(), &Options { seed: 12, ..opts }).unwrap();
        assert_ne!(tc.total_bytes, ta.total_bytes);
    }

    #[test]
    fn apache_time_is_on_the_real_calendar() {
        // Known instants (GNU date -u -d @N).
        assert_eq!(apache_time(0, 0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(apache_time(951_782_400, 0), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(
            apache_time(1_796_083_200, 3600),
            "01/Dec/2026:01:00:00 +0100"
        );
        assert_eq!(
            apache_time(1_796_083_200, -25_200),
            "30/Nov/2026:17:00:00 -0700"
        );
    }
}
