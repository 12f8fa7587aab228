//! `rotation`: the generations of a rotated log, and the order in which files are read.
//!
//! Name order is the wrong order for logs. logrotate numbers its copies newest first
//! (`access.log.1` is younger than `access.log.3.gz`), and byte order puts the live
//! `access.log` before all of them and `f.10` between `f.1` and `f.2`. Reading a directory
//! in that order prints records out of time order and gives `head`, `first`, `last` and
//! time charts the wrong lines. So a directory's entries are read in **reading order**:
//!
//! * The names of one **rotation family** (a live file and its rotated copies, each with or
//!   without a compression suffix `.gz`, `.bz2`, `.xz`, `.zst`) are read oldest first:
//!   dated copies (`NAME-YYYYMMDD`, `NAME-YYYY-MM-DD`, also after `.` or `_`, possibly
//!   followed by more digits such as an hour or a Unix time) by ascending date, then
//!   numbered copies (`NAME.N`) by descending N, then the live `NAME`:
//!   `access.log.3.gz`, `access.log.2`, `access.log.1`, `access.log`.
//! * Everything else is in **natural order**: runs of digits compare as numbers
//!   (`app-2.log` before `app-10.log`), other bytes as bytes. A family sits where its live
//!   name would.
//! * Names that still compare equal (`f.01` and `f.1`) fall back to byte order, so the
//!   order is total and the same on every run and every machine.
//!
//! Apache `rotatelogs` names its copies by the Unix time their period began
//! (`access_log.1764604800`, 9 or 10 digits): those come oldest first too.
//!
//! The rule looks only at names, never at times on disk (which copying and unpacking
//! change). An 8-digit `.N` that is a valid date (`access.log.20261201`) is a date, not the
//! 20-millionth copy.
//!
//! [`rotation`] is the recogniser behind it (base name + generation), public so that
//! anything that needs "the rotated names of this file" uses the same rule
//! ([`rotated_siblings`]).

use std::cmp::Ordering;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};

/// Compression suffixes a rotated copy may carry after its generation.
const COMPRESSION: [&str; 4] = ["gz", "bz2", "xz", "zst"];

/// Which copy of a rotated log a name is (see the [module doc](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generation {
    /// `NAME-20261201`, `NAME-2026-12-01`, `NAME.20261201`, `NAME-2026120113`, …: the day
    /// as the number YYYYMMDD, and what follows it (digits and separators: an hour, a Unix
    /// time), compared in natural order after the day.
    Dated { day: u32, rest: String },
    /// `NAME.N`: logrotate's numbered copies, `.1` the newest.
    Numbered(u64),
    /// `NAME.1764604800`: Apache `rotatelogs`' copies, named by the Unix time (9 or 10
    /// digits) their period began: the lowest the oldest.
    Epoch(u64),
}

/// A file name read as a rotated copy of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The live file's name (`access.log` for `access.log.2.gz`).
    pub base: OsString,
    /// Which copy.
    pub generation: Generation,
    /// The compression suffix after the generation (`"gz"`), if any. Only a hint: files
    /// are opened by their magic bytes.
    pub compression: Option<&'static str>,
}

/// Read a file name (not a path) as a rotated copy: `Some` for `access.log.2.gz`,
/// `access.log-20261201`, `syslog.1`; `None` for a live name such as `access.log` or
/// `app-10.log`.
pub fn rotation(name: &OsStr) -> Option<Rotation> {
    let bytes = name_bytes(name);
    let parsed = parse(&bytes)?;
    let generation = match parsed.generation {
        Gen::Dated { day, rest } => Generation::Dated {
            day,
            // Digits and separators only: ASCII.
            rest: String::from_utf8_lossy(rest).into_owned(),
        },
        Gen::Numbered(n) => Generation::Numbered(n),
        Gen::Epoch(t) => Generation::Epoch(t),
    };
    Some(Rotation {
        base: os_string(parsed.base),
        generation,
        compression: parsed.compression,
    })
}

/// Whether `name` is a rotated copy of the live file named `base` (`access.log.1.gz` of
/// `access.log`). The live name itself is not a copy of itself.
pub fn is_rotation_of(name: &OsStr, base: &OsStr) -> bool {
    let bytes = name_bytes(name);
    parse(&bytes).is_some_and(|p| p.base == &*name_bytes(base))
}

/// The rotated copies of `path` that sit beside it in its directory, oldest first (the
/// order they were written in). The live file itself is not in the list, and need not
/// exist.
pub fn rotated_siblings(path: &Path) -> io::Result<Vec<PathBuf>> {
    let Some(base) = path.file_name() else {
        return Ok(Vec::new());
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if is_rotation_of(&name, base) {
            found.push(name);
        }
    }
    found.sort_by(|a, b| compare_names(a, b));
    Ok(found.into_iter().map(|n| dir.join(n)).collect())
}

/// The reading order of two file names (see the [module doc](self)): rotation families
/// oldest first, numbers in names numerically, bytes otherwise. A total order.
pub fn compare_names(a: &OsStr, b: &OsStr) -> Ordering {
    let (a, b) = (name_bytes(a), name_bytes(b));
    let (ka, kb) = (SortKey::of(&a), SortKey::of(&b));
    natural(ka.family, kb.family)
        .then_with(|| ka.rank.cmp(&kb.rank))
        .then_with(|| natural(&a, &b))
        .then_with(|| a.cmp(&b))
}

/// Natural order of two byte strings: a run of ASCII digits in both at the same place
/// compares as a number (`f.2` < `f.10`); any other byte compares as itself. So numbers
/// sort as a block between the bytes below `0` and those above `9`, which keeps the
/// order transitive. Equal numbers with different leading zeros compare equal here.
pub fn natural(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let ea = i + a[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            let eb = j + b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
            let o = numeric(&a[i..ea], &b[j..eb]);
            if o != Ordering::Equal {
                return o;
            }
            (i, j) = (ea, eb);
        } else {
            if a[i] != b[j] {
                return a[i].cmp(&b[j]);
            }
            (i, j) = (i + 1, j + 1);
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// Two runs of ASCII digits compared as numbers, of any length.
fn numeric(a: &[u8], b: &[u8]) -> Ordering {
    fn strip(s: &[u8]) -> &[u8] {
        &s[s.iter().take_while(|&&c| c == b'0').count()..]
    }
    let (a, b) = (strip(a), strip(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Where a name sorts: its family (the live name), then its place in the family.
struct SortKey<'a> {
    family: &'a [u8],
    rank: Rank<'a>,
}

/// A name's place in its family, oldest first: dated copies, numbered copies (the highest
/// number is the oldest), then the live file.
#[derive(PartialEq, Eq)]
enum Rank<'a> {
    Dated(u32, &'a [u8]),
    Epoch(u64),
    Numbered(u64),
    Live,
}

impl Ord for Rank<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        use Rank::*;
        match (self, other) {
            (Dated(d1, r1), Dated(d2, r2)) => d1.cmp(d2).then_with(|| natural(r1, r2)),
            (Epoch(a), Epoch(b)) => a.cmp(b),
            (Numbered(a), Numbered(b)) => b.cmp(a),
            (Live, Live) => Ordering::Equal,
            (Dated(..), _) | (Epoch(_), Numbered(_) | Live) | (Numbered(_), Live) => Ordering::Less,
            (_, Dated(..)) | (Numbered(_) | Live, Epoch(_)) | (Live, Numbered(_)) => {
                Ordering::Greater
            }
        }
    }
}

impl PartialOrd for Rank<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<'a> SortKey<'a> {
    fn of(name: &'a [u8]) -> SortKey<'a> {
        match parse(name) {
            Some(p) => SortKey {
                family: p.base,
                rank: match p.generation {
                    Gen::Dated { day, rest } => Rank::Dated(day, rest),
                    Gen::Numbered(n) => Rank::Numbered(n),
                    Gen::Epoch(t) => Rank::Epoch(t),
                },
            },
            None => SortKey {
                family: name,
                rank: Rank::Live,
            },
        }
    }
}

/// [`Rotation`] borrowed from the name (no allocation: used for every comparison of a
/// directory sort).
struct Parsed<'a> {
    base: &'a [u8],
    generation: Gen<'a>,
    compression: Option<&'static str>,
}

enum Gen<'a> {
    Dated { day: u32, rest: &'a [u8] },
    Numbered(u64),
    Epoch(u64),
}

fn parse(name: &[u8]) -> Option<Parsed<'_>> {
    let (stem, compression) = COMPRESSION
        .iter()
        .find_map(|c| {
            let stem = name.strip_suffix(c.as_bytes())?.strip_suffix(b".")?;
            Some((stem, Some(*c)))
        })
        .unwrap_or((name, None));
    let is_sep = |c: u8| matches!(c, b'-' | b'.' | b'_');
    // The generation is in the tail made only of digits and separators; it starts at a
    // separator with a non-empty base before it.
    let tail = stem
        .iter()
        .rposition(|&c| !(c.is_ascii_digit() || is_sep(c)))
        .map_or(0, |p| p + 1);
    for at in tail..stem.len() {
        if at == 0 || !is_sep(stem[at]) {
            continue;
        }
        let (base, suffix) = (&stem[..at], &stem[at + 1..]);
        if let Some((day, rest)) = date(suffix) {
            let generation = Gen::Dated { day, rest };
            return Some(Parsed {
                base,
                generation,
                compression,
            });
        }
    }
    // `NAME.N`: the last separator is a dot followed by digits only.
    let dot = stem.iter().rposition(|&c| c == b'.')?;
    let digits = &stem[dot + 1..];
    if dot == 0 || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    // Nine or ten digits (1973 to 2286) are a Unix time, not the 100-millionth copy.
    let generation = if (9..=10).contains(&digits.len()) {
        Gen::Epoch(n)
    } else {
        Gen::Numbered(n)
    };
    Some(Parsed {
        base: &stem[..dot],
        generation,
        compression,
    })
}

/// `YYYYMMDD…` or `YYYY-MM-DD…` (any of `-._` between the parts) at the start of `s`, a
/// plausible day (years 1900–2999): the day as YYYYMMDD and the rest after it.
fn date(s: &[u8]) -> Option<(u32, &[u8])> {
    let digits = |s: &[u8], n: usize| -> Option<u32> {
        let d = s.get(..n)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |v, c| v * 10 + u32::from(c - b'0')))
    };
    let year = digits(s, 4)?;
    let sep = |i: usize| s.get(i).is_some_and(|c| matches!(c, b'-' | b'.' | b'_'));
    let (month, day, end) = if sep(4) && sep(7) {
        (digits(&s[5..], 2)?, digits(&s[8..], 2)?, 10)
    } else {
        (digits(&s[4..], 2)?, digits(&s[6..], 2)?, 8)
    };
    // After the day: nothing, a separator, or more digits (an hour: `2026120113`).
    let ok = (1900..=2999).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day);
    ok.then(|| (year * 10_000 + month * 100 + day, &s[end.min(s.len())..]))
}

#[cfg(unix)]
fn name_bytes(name: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    use std::os::unix::ffi::OsStrExt;
    std::borrow::Cow::Borrowed(name.as_bytes())
}

#[cfg(not(unix))]
fn name_bytes(name: &OsStr) -> std::borrow::Cow<'_, [u8]> {
    match name.to_string_lossy() {
        std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
    }
}

#[cfg(unix)]
fn os_string(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStrExt;
    OsStr::from_bytes(bytes).to_os_string()
}

#[cfg(not(unix))]
fn os_string(bytes: &[u8]) -> OsString {
    String::from_utf8_lossy(bytes).into_owned().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut v: Vec<&OsStr> = names.iter().map(OsStr::new).collect();
        v.sort_by(|a, b| compare_names(a, b));
        v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn numbered_copies_oldest_first_then_the_live_file() {
        let want = [
            "access.log.12.gz",
            "access.log.10.gz",
            "access.log.3.gz",
            "access.log.2.bz2",
            "access.log.1",
            "access.log",
        ];
        let mut shuffled = want.to_vec();
        shuffled.reverse();
        shuffled.swap(0, 3);
        assert_eq!(sorted(&shuffled), want);
    }

    #[test]
    fn rotatelogs_copies_by_ascending_unix_time() {
        let want = [
            "access_log.999999999",
            "access_log.1764518400",
            "access_log.1764604800.gz",
            "access_log",
        ];
        let mut shuffled = want.to_vec();
        shuffled.reverse();
        assert_eq!(sorted(&shuffled), want);
    }

    #[test]
    fn dated_copies_by_ascending_date_with_or_without_compression() {
        let want = [
            "access-log-20261130.xz",
            "access-log-20261201.zst",
            "access-log-20261202",
            "access-log",
        ];
        let mut shuffled = want.to_vec();
        shuffled.reverse();
        assert_eq!(sorted(&shuffled), want);
        let want = [
            "app.log-2026-11-30.gz",
            "app.log-2026-12-01",
            "app.log-2026-12-01-1764604800",
            "app.log.20261202",
            "app.log",
        ];
        let mut shuffled = want.to_vec();
        shuffled.rotate_left(2);
        assert_eq!(sorted(&shuffled), want);
    }

    #[test]
    fn other_names_in_natural_order_and_families_in_place() {
        let got = sorted(&[
            "app-10.log",
            "b.log",
            "app-2.log",
            "a.log.1",
            "app-1.log",
            "a.log",
            "a.log.2.gz",
            "error.log",
        ]);
        assert_eq!(
            got,
            [
                "a.log.2.gz",
                "a.log.1",
                "a.log",
                "app-1.log",
                "app-2.log",
                "app-10.log",
                "b.log",
                "error.log"
            ]
        );
    }

    #[test]
    fn the_order_is_total_and_deterministic() {
        // Equal by number, different bytes: byte order decides, whatever the input order.
        assert_eq!(sorted(&["f.1", "f.01"]), ["f.01", "f.1"]);
        assert_eq!(sorted(&["f.01", "f.1"]), ["f.01", "f.1"]);
        let names = [
            "x",
            "x.1",
            "x.1.gz",
            "x-1",
            "x.10",
            "x.2",
            "x-20261201",
            "x.a",
            "x.",
            "1",
            "01",
            "x_2026_12_01",
            "y.99999999999999999999999",
            "y.1",
            "",
        ];
        for a in names {
            for b in names {
                let (a, b) = (OsStr::new(a), OsStr::new(b));
                assert_eq!(
                    compare_names(a, b),
                    compare_names(b, a).reverse(),
                    "{a:?} {b:?}"
                );
                assert_eq!(compare_names(a, b) == Ordering::Equal, a == b);
                for c in names {
                    let c = OsStr::new(c);
                    if compare_names(a, b).is_le() && compare_names(b, c).is_le() {
                        assert!(compare_names(a, c).is_le(), "{a:?} {b:?} {c:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn rotation_recognises_base_and_generation() {
        let r = |s: &str| rotation(OsStr::new(s));
        let got = r("access.log.3.gz").unwrap();
        assert_eq!(got.base, "access.log");
        assert_eq!(got.generation, Generation::Numbered(3));
        assert_eq!(got.compression, Some("gz"));
        let got = r("access_log.1764604800").expect("rotatelogs");
        assert_eq!(got.base, "access_log");
        assert_eq!(got.generation, Generation::Epoch(1_764_604_800));
        let got = r("access-log-2026-12-01.bz2").unwrap();
        assert_eq!(got.base, "access-log");
        assert_eq!(
            got.generation,
            Generation::Dated {
                day: 20261201,
                rest: String::new()
            }
        );
        assert_eq!(got.compression, Some("bz2"));
        let got = r("syslog-20261201-1764604800").unwrap();
        assert_eq!(got.base, "syslog");
        assert_eq!(
            got.generation,
            Generation::Dated {
                day: 20261201,
                rest: "-1764604800".into()
            }
        );
        // An 8-digit `.N` that is a date is a date.
        assert!(matches!(
            r("app.log.20261201").unwrap().generation,
            Generation::Dated { day: 20261201, .. }
        ));
        for live in [
            "access.log",
            "access.log.gz",
            "app-10.log",
            "access-log-0108.bz2",
            ".1",
            "20261201",
            "x.log-20261341",
        ] {
            assert_eq!(r(live), None, "{live}");
        }
        assert!(is_rotation_of(
            OsStr::new("a.log.1.gz"),
            OsStr::new("a.log")
        ));
        assert!(!is_rotation_of(OsStr::new("a.log"), OsStr::new("a.log")));
        assert!(!is_rotation_of(OsStr::new("b.log.1"), OsStr::new("a.log")));
    }

    #[test]
    fn rotated_siblings_are_found_oldest_first() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "app.log",
            "app.log.1",
            "app.log.2.gz",
            "app.log-20261201",
            "other.log.1",
        ] {
            std::fs::write(d.path().join(n), b"x\n").unwrap();
        }
        let got = rotated_siblings(&d.path().join("app.log")).unwrap();
        let names: Vec<_> = got
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["app.log-20261201", "app.log.2.gz", "app.log.1"]);
    }
}
