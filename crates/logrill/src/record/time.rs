//! Timestamps: an instant plus the UTC offset it was written with.
//!
//! Logs write local time with an offset (`[10/Oct/2000:13:55:36 -0700]`). Keeping the
//! offset lets a timestamp print back as it was written (`2000-10-10T13:55:36-07:00`),
//! while comparisons use the instant, so lines from servers in different zones sort
//! together correctly. Times written without any offset (a strftime format without `%z`)
//! are *local*: they are stored as if UTC and flagged, and print without an offset.
//!
//! Calendar arithmetic is done by hand (Howard Hinnant's `days_from_civil`): the parsers
//! need only a few integer operations per line, and no time-zone database.

use std::fmt;

/// The `offset` of a timestamp written without one.
const LOCAL: i32 = i32::MIN;

/// Microseconds in a second.
const MICROS: i64 = 1_000_000;

/// An instant (microseconds since 1970-01-01T00:00:00Z) and the UTC offset it was written
/// with.
///
/// Ordering is by instant first; two timestamps for the same instant written with
/// different offsets are ordered by offset, so that `Ord` agrees with `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    micros: i64,
    offset: i32,
}

impl Timestamp {
    /// The timestamp at `unix_micros` (UTC), to be shown at `offset_seconds` east of UTC.
    pub fn from_unix_micros(unix_micros: i64, offset_seconds: i32) -> Timestamp {
        Timestamp {
            micros: unix_micros,
            offset: offset_seconds.clamp(-86_399, 86_399),
        }
    }

    /// The timestamp with these parts exactly as [`Timestamp::unix_micros`] and
    /// [`Timestamp::offset_seconds`] give them (`None`: written without an offset), so a
    /// timestamp taken apart is put together unchanged (group keys are kept as bytes).
    pub fn from_parts(unix_micros: i64, offset_seconds: Option<i32>) -> Timestamp {
        match offset_seconds {
            Some(o) => Timestamp::from_unix_micros(unix_micros, o),
            None => Timestamp {
                micros: unix_micros,
                offset: LOCAL,
            },
        }
    }

    /// A local date and time at `offset_seconds` east of UTC (`None`: written without an
    /// offset). `None` if a field is out of range (month 13, 31 April, hour 24; second 60
    /// is accepted as a leap second and counted as the next minute's 0). Years 0 to 9999,
    /// as RFC 3339.
    #[allow(clippy::too_many_arguments)]
    pub fn from_civil(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micros: u32,
        offset_seconds: Option<i32>,
    ) -> Option<Timestamp> {
        if !(0..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
            || micros >= 1_000_000
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let local = days * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
        let (utc, offset) = match offset_seconds {
            Some(o) if o.abs() < 86_400 => (local - o as i64, o),
            Some(_) => return None,
            None => (local, LOCAL),
        };
        Some(Timestamp {
            micros: utc * MICROS + micros as i64,
            offset,
        })
    }

    /// Microseconds since 1970-01-01T00:00:00Z (for a local time: as if it were UTC).
    #[inline]
    pub fn unix_micros(&self) -> i64 {
        self.micros
    }

    /// Seconds east of UTC it was written with; `None` for a local time.
    #[inline]
    pub fn offset_seconds(&self) -> Option<i32> {
        (self.offset != LOCAL).then_some(self.offset)
    }

    /// The date and time as written: `(year, month, day, hour, minute, second, micros)`.
    pub fn civil(&self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let local = self
            .micros
            .saturating_add(self.offset_seconds().unwrap_or(0) as i64 * MICROS);
        let secs = local.div_euclid(MICROS);
        let micros = local.rem_euclid(MICROS) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, micros)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339: `2000-10-10T13:55:36-07:00`, with `.123` or `.123456` when there is a
    /// fraction; a local time has no offset (ISO 8601 local time).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s, us) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if us != 0 {
            if us % 1000 == 0 {
                write!(f, ".{:03}", us / 1000)?;
            } else {
                write!(f, ".{us:06}")?;
            }
        }
        if let Some(o) = self.offset_seconds() {
            if o == 0 {
                // RFC 3339 allows `Z`; `+00:00` keeps the offset as written (Apache's
                // `+0000`), which is what a reader of the log expects to see.
                f.write_str("+00:00")?;
            } else {
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)?;
            }
        }
        Ok(())
    }
}

/// Whether `year` is a leap year (proleptic Gregorian).
#[inline]
pub(crate) fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`.
#[inline]
pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm).
#[inline]
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// ISO weekday (Monday 1 … Sunday 7) of a day number.
#[inline]
pub(crate) fn iso_weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (4).
    ((days + 3).rem_euclid(7) + 1) as u32
}

/// Month number of an English three-letter abbreviation (`Jan` … `Dec`, case-sensitive as
/// Apache writes them).
#[inline]
pub(crate) fn month_from_abbrev(b: &[u8]) -> Option<u32> {
    Some(match b {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

/// Month number of an English month name.
pub(crate) fn month_from_name(b: &[u8]) -> Option<u32> {
    const NAMES: [&[u8]; 12] = [
        b"January",
        b"February",
        b"March",
        b"April",
        b"May",
        b"June",
        b"July",
        b"August",
        b"September",
        b"October",
        b"November",
        b"December",
    ];
    NAMES.iter().position(|n| *n == b).map(|i| i as u32 + 1)
}

/// ISO weekday of an English day name or abbreviation.
pub(crate) fn weekday_from_name(b: &[u8]) -> Option<u32> {
    const NAMES: [&[u8]; 7] = [
        b"Monday",
        b"Tuesday",
        b"Wednesday",
        b"Thursday",
        b"Friday",
        b"Saturday",
        b"Sunday",
    ];
    NAMES
        .iter()
        .position(|n| *n == b || (b.len() == 3 && n.starts_with(b)))
        .map(|i| i as u32 + 1)
}

/// Two ASCII digits.
#[inline]
fn two(b: &[u8], i: usize) -> Option<u32> {
    let h = b.get(i)?.wrapping_sub(b'0');
    let l = b.get(i + 1)?.wrapping_sub(b'0');
    (h <= 9 && l <= 9).then_some(h as u32 * 10 + l as u32)
}

/// Parse an Apache timestamp `dd/Mon/yyyy:HH:MM:SS ±hhmm`, each bracket optional (the
/// grammar of the conformance vectors: any whitespace, also none, before the offset; a year
/// of four or more digits; English month abbreviations only). Returns the timestamp and
/// whether it was complete; `None` if it does not parse.
///
/// The common case (`[10/Oct/2000:13:55:36 -0700]`) is read at fixed positions.
pub fn parse_apache_timestamp(s: &[u8]) -> Option<Timestamp> {
    let s = s.strip_prefix(b"[").unwrap_or(s);
    let s = s.strip_suffix(b"]").unwrap_or(s);
    let day = two(s, 0)?;
    if s.get(2) != Some(&b'/') || s.get(6) != Some(&b'/') {
        return None;
    }
    let month = month_from_abbrev(s.get(3..6)?)?;
    let mut i = 7;
    let mut year: i64 = 0;
    while let Some(d @ b'0'..=b'9') = s.get(i) {
        year = year.checked_mul(10)?.checked_add((d - b'0') as i64)?;
        i += 1;
    }
    if i - 7 < 4 || s.get(i) != Some(&b':') {
        return None;
    }
    let hour = two(s, i + 1)?;
    let minute = two(s, i + 4)?;
    let second = two(s, i + 7)?;
    if s.get(i + 3) != Some(&b':') || s.get(i + 6) != Some(&b':') {
        return None;
    }
    i += 9;
    while s.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    let offset = parse_offset_hhmm(s.get(i..)?)?;
    Timestamp::from_civil(year, month, day, hour, minute, second, 0, Some(offset))
}

/// `±hhmm` (exactly) as seconds east of UTC.
#[inline]
pub(crate) fn parse_offset_hhmm(s: &[u8]) -> Option<i32> {
    if s.len() != 5 {
        return None;
    }
    let sign = match s[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let h = two(s, 1)?;
    let m = two(s, 3)?;
    if m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60) as i32)
}

/// ISO 8601 / RFC 3339 as nginx's `$time_iso8601` writes it: `2000-10-10T13:55:36-07:00`
/// (also `Z`, `+0700`, a `.fraction`, a space for the `T`).
pub fn parse_iso8601(s: &[u8]) -> Option<Timestamp> {
    let mut i = 0;
    let mut year: i64 = 0;
    while let Some(d @ b'0'..=b'9') = s.get(i) {
        year = year.checked_mul(10)?.checked_add((d - b'0') as i64)?;
        i += 1;
    }
    if i != 4 || s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let month = two(s, 5)?;
    let day = two(s, 8)?;
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = two(s, 11)?;
    let minute = two(s, 14)?;
    let second = two(s, 17)?;
    if s.get(13) != Some(&b':') || s.get(16) != Some(&b':') {
        return None;
    }
    let mut i = 19;
    let mut micros = 0u32;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut scale = 100_000;
        while let Some(d @ b'0'..=b'9') = s.get(i) {
            micros += (d - b'0') as u32 * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let rest = &s[i..];
    let offset = match rest {
        b"" => None,
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            parse_offset_hhmm(&[*sign, *h1, *h2, *m1, *m2])
        }
        _ => Some(parse_offset_hhmm(rest)?),
    };
    if !rest.is_empty() && offset.is_none() {
        return None;
    }
    Timestamp::from_civil(year, month, day, hour, minute, second, micros, offset)
}

/// Seconds since the epoch with an optional fraction (nginx `$msec`: `1575000000.123`),
/// in UTC.
pub fn parse_epoch_seconds(s: &[u8]) -> Option<Timestamp> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let secs = super::value::parse_i64(int)?;
    let mut micros = 0i64;
    if let Some(frac) = frac {
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        let mut scale = 100_000i64;
        for &d in frac {
            let d = d.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            micros += d as i64 * scale;
            scale /= 10;
        }
    }
    let us = secs.checked_mul(MICROS)?.checked_add(micros)?;
    Some(Timestamp::from_unix_micros(us, 0))
}

/// The pieces of a time that strftime-style directives write separately
/// (`%{%d/%b/%Y}t %{%T}t.%{msec_frac}t`), gathered while a line is scanned and put
/// together at the end of the line by [`TimeParts::assemble`].
///
/// This follows the rules of the apachelogs conformance data (`assemble_datetime.json`),
/// with English names only (no locale).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeParts {
    /// A complete timestamp (`%t`, `$time_local`, `$time_iso8601`, `$msec`).
    pub timestamp: Option<Timestamp>,
    pub epoch: Option<i64>,
    pub milliepoch: Option<i64>,
    pub microepoch: Option<i64>,
    pub year: Option<i64>,
    pub century: Option<i64>,
    pub abbrev_year: Option<i64>,
    pub iso_year: Option<i64>,
    pub abbrev_iso_year: Option<i64>,
    pub mon: Option<u32>,
    pub mon_name: Option<u32>,
    pub mday: Option<u32>,
    pub yday: Option<u32>,
    pub iso_wday: Option<u32>,
    pub sunday_weeknum: Option<u32>,
    pub monday_weeknum: Option<u32>,
    pub iso_weeknum: Option<u32>,
    /// Date from `%D` / `%F`.
    pub date: Option<(i64, u32, u32)>,
    pub hour: Option<u32>,
    pub hour12: Option<u32>,
    /// `Some(true)` for PM.
    pub pm: Option<bool>,
    pub min: Option<u32>,
    pub sec: Option<u32>,
    /// From `%T` (h, m, s) / `%R` (h, m).
    pub time: Option<(u32, u32, Option<u32>)>,
    pub usec_frac: Option<u32>,
    pub msec_frac: Option<u32>,
    /// From `%z`, or `%Z` when it is `GMT`/`UTC`.
    pub offset: Option<i32>,
}

impl TimeParts {
    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        *self == TimeParts::default()
    }

    /// Build the timestamp, if the parts are enough: a whole timestamp, else an epoch (in
    /// UTC unless a `%z` says otherwise; whole seconds with the `msec_frac`/`usec_frac`
    /// fraction, if any), else a calendar date with hour, minute and second
    /// (local unless a `%z` gives the offset). `None` when something is missing (a date
    /// without a time, `%I` without `%p`) or out of range.
    pub fn assemble(&self) -> Option<Timestamp> {
        if let Some(t) = self.timestamp {
            return Some(t);
        }
        // Whole seconds (`%{sec}t`, `%s`) keep a fraction written beside them
        // (`%{sec}t.%{msec_frac}t`, `.%{usec_frac}t`), as a calendar time does.
        let frac_us = self
            .usec_frac
            .or(self.msec_frac.map(|m| m * 1000))
            .unwrap_or(0);
        let epoch_us = self
            .microepoch
            .or_else(|| self.milliepoch.and_then(|m| m.checked_mul(1000)))
            .or_else(|| {
                self.epoch
                    .and_then(|s| s.checked_mul(MICROS))
                    .and_then(|us| us.checked_add(frac_us as i64))
            });
        if let Some(us) = epoch_us {
            return Some(Timestamp::from_unix_micros(us, self.offset.unwrap_or(0)));
        }
        let iso_wday = self.iso_wday;
        let (year, mut date) = if let Some(y) = self.year {
            (y, None)
        } else if let Some((y, m, d)) = self.date {
            (y, Some((y, m, d)))
        } else if let Some(y2) = self.abbrev_year {
            let y = match self.century {
                Some(c) => c.checked_mul(100)?.checked_add(y2)?,
                None => pivot_year(y2),
            };
            (y, None)
        } else if let (Some(iy), Some(w), Some(wd)) = (self.iso_year, self.iso_weeknum, iso_wday) {
            let d = from_iso_week(iy, w, wd)?;
            (d.0, Some(d))
        } else if let (Some(iy2), Some(w), Some(wd)) =
            (self.abbrev_iso_year, self.iso_weeknum, iso_wday)
        {
            let d = from_iso_week(pivot_year(iy2), w, wd)?;
            (d.0, Some(d))
        } else {
            return None;
        };
        // Beyond RFC 3339's years nothing can be built (and the day arithmetic below must
        // not overflow on a 20-digit `%Y`).
        if !(0..=9999).contains(&year) {
            return None;
        }
        if date.is_none() {
            if let Some(dt) = self.date {
                date = Some(dt);
            } else if let Some(yd) = self.yday {
                let days = days_from_civil(year, 1, 1) + yd as i64 - 1;
                date = Some(civil_from_days(days));
            } else if let (Some(w), Some(wd)) = (self.sunday_weeknum, iso_wday) {
                date = Some(from_week_number(year, w, wd, false));
            } else if let (Some(w), Some(wd)) = (self.monday_weeknum, iso_wday) {
                date = Some(from_week_number(year, w, wd, true));
            }
        }
        let month = self.mon.or(date.map(|d| d.1)).or(self.mon_name)?;
        let day = self.mday.or(date.map(|d| d.2))?;
        let hour = match (self.hour, self.time, self.hour12, self.pm) {
            (Some(h), _, _, _) => h,
            (None, Some((h, _, _)), _, _) => h,
            (None, None, Some(h12), Some(pm)) => h12 % 12 + if pm { 12 } else { 0 },
            _ => return None,
        };
        let minute = self.min.or(self.time.map(|t| t.1))?;
        let second = self.sec.or(self.time.and_then(|t| t.2))?;
        Timestamp::from_civil(year, month, day, hour, minute, second, frac_us, self.offset)
    }
}

/// Python's `%y` pivot: 69–99 → 19xx, 00–68 → 20xx.
#[inline]
pub(crate) fn pivot_year(y2: i64) -> i64 {
    if y2 < 69 {
        2000 + y2
    } else {
        1900 + y2
    }
}

/// The date of ISO week `week` (1–53), ISO weekday `wday` (1–7) of ISO year `year`.
fn from_iso_week(year: i64, week: u32, wday: u32) -> Option<(i64, u32, u32)> {
    if !(1..=7).contains(&wday) || !(1..=53).contains(&week) || !(0..=9999).contains(&year) {
        return None;
    }
    // Week 1 is the week with the year's first Thursday, i.e. the week of 4 January.
    let jan4 = days_from_civil(year, 1, 4);
    let week1_monday = jan4 - (iso_weekday(jan4) as i64 - 1);
    Some(civil_from_days(
        week1_monday + (week as i64 - 1) * 7 + wday as i64 - 1,
    ))
}

/// The date of `%U` (weeks starting Sunday) or `%W` (weeks starting Monday) week `week`
/// (0–53), ISO weekday `wday`, of `year`, as C's `strptime` computes it: days before the
/// first Sunday (Monday) are week 0.
fn from_week_number(year: i64, week: u32, wday: u32, monday_first: bool) -> (i64, u32, u32) {
    let jan1 = days_from_civil(year, 1, 1);
    let jan1_wday = iso_weekday(jan1) as i64; // 1..=7
                                              // Position of a weekday inside a week: Sunday-first 0..6 with Sunday 0, or
                                              // Monday-first 0..6 with Monday 0.
    let pos = |iso: i64| {
        if monday_first {
            iso - 1
        } else {
            iso % 7
        }
    };
    let first_week_start = jan1 + (7 - pos(jan1_wday)) % 7;
    let day = first_week_start + (week as i64 - 1) * 7 + pos(wday as i64);
    civil_from_days(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> String {
        parse_apache_timestamp(s.as_bytes()).map_or("ERR".into(), |t| t.to_string())
    }

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(iso_weekday(0), 4);
    }

    #[test]
    fn apache_timestamps_keep_their_offset() {
        assert_eq!(
            ts("[10/Oct/2000:13:55:36 -0700]"),
            "2000-10-10T13:55:36-07:00"
        );
        assert_eq!(
            ts("10/Oct/2000:13:55:36 +0000"),
            "2000-10-10T13:55:36+00:00"
        );
        assert_eq!(
            ts("[10/Oct/2000:13:55:36-0030"),
            "2000-10-10T13:55:36-00:30"
        );
        assert_eq!(ts("10/Oct/12000:13:55:36 +0000"), "ERR"); // beyond RFC 3339's 9999
        assert_eq!(ts("31/Apr/2000:13:55:36 +0000"), "ERR");
        assert_eq!(ts("10/oct/2000:13:55:36 +0000"), "ERR");
        assert_eq!(ts("10/Oct/2000:13:55:36 -07:00"), "ERR");
        assert_eq!(ts("10/Oct/2000:13:55:36"), "ERR");
        assert_eq!(ts(""), "ERR");
        let a = parse_apache_timestamp(b"10/Oct/2000:13:55:36 -0700").unwrap();
        let b = parse_apache_timestamp(b"10/Oct/2000:20:55:36 +0000").unwrap();
        assert_eq!(a.unix_micros(), b.unix_micros());
        assert_eq!(a.unix_micros(), 971_211_336_000_000);
        assert!(
            a < b,
            "same instant: ordered by offset so Ord agrees with Eq"
        );
    }

    #[test]
    fn iso8601_and_epoch() {
        let t = parse_iso8601(b"2019-05-06T12:09:43.5-04:00").unwrap();
        assert_eq!(t.to_string(), "2019-05-06T12:09:43.500-04:00");
        assert_eq!(
            parse_iso8601(b"2019-05-06T12:09:43Z").unwrap().to_string(),
            "2019-05-06T12:09:43+00:00"
        );
        assert_eq!(
            parse_iso8601(b"2019-05-06 12:09:43").unwrap().to_string(),
            "2019-05-06T12:09:43"
        );
        assert!(parse_iso8601(b"2019-05-06T12:09:43+4").is_none());
        let e = parse_epoch_seconds(b"1511642826.123").unwrap();
        assert_eq!(e.to_string(), "2017-11-25T20:47:06.123+00:00");
        assert!(parse_epoch_seconds(b"1511642826.").is_none());
        assert!(parse_epoch_seconds(b"x").is_none());
    }

    #[test]
    fn assembly_from_parts() {
        let p = TimeParts {
            year: Some(2017),
            mon: Some(11),
            mday: Some(1),
            hour12: Some(12),
            pm: Some(false),
            min: Some(28),
            sec: Some(29),
            ..TimeParts::default()
        };
        assert_eq!(p.assemble().unwrap().to_string(), "2017-11-01T00:28:29");
        let p = TimeParts {
            iso_year: Some(2020),
            iso_weeknum: Some(1),
            iso_wday: Some(1),
            time: Some((12, 34, Some(56))),
            ..TimeParts::default()
        };
        assert_eq!(p.assemble().unwrap().to_string(), "2019-12-30T12:34:56");
        let p = TimeParts {
            epoch: Some(1511642826),
            offset: Some(-4 * 3600),
            ..TimeParts::default()
        };
        assert_eq!(
            p.assemble().unwrap().to_string(),
            "2017-11-25T16:47:06-04:00"
        );
        assert!(TimeParts::default().assemble().is_none());
    }
}
