//! The time directives a format can contain (`%t`, `%{sec}t`, each strftime conversion of
//! `%{…}t`, nginx's `$time_local`, `$time_iso8601`, `$msec`): how far each one reaches in
//! a line and what it means.
//!
//! Each part is a *token*: it matches by its own grammar (two digits, an English month
//! name, `±hhmm`, …), the grammars of the apachelogs conformance data. Where the length can
//! vary (`%Y` is four or more digits, `%a` a word) the scanner tries the longest first and
//! then shorter ones, as a backtracking regex would, so `%Y%m%d` reads `20190519`.

use std::borrow::Cow;

use super::time::{
    month_from_abbrev, month_from_name, parse_apache_timestamp, parse_epoch_seconds, parse_iso8601,
    parse_offset_hhmm, pivot_year, weekday_from_name, TimeParts, Timestamp,
};
use super::value::{parse_i64, Value};

/// One time directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimePart {
    /// `%t`: `[10/Oct/2000:13:55:36 -0700]`.
    ApacheBracketed,
    /// nginx `$time_local`: the same without brackets (they are literals of the format).
    ApacheBare,
    /// nginx `$time_iso8601`.
    Iso8601,
    /// nginx `$msec`: seconds with a fraction.
    EpochFrac,
    /// `%{sec}t`, strftime `%s`.
    Epoch,
    /// `%{msec}t`.
    MilliEpoch,
    /// `%{usec}t`.
    MicroEpoch,
    /// `%{msec_frac}t`: three digits.
    MsecFrac,
    /// `%{usec_frac}t`: six digits.
    UsecFrac,
    /// `%Y`
    Year,
    /// `%G`
    IsoYear,
    /// `%C`
    Century,
    /// `%y`
    Year2,
    /// `%g`
    IsoYear2,
    /// `%m`
    Month,
    /// `%b`, `%h`
    MonAbbrev,
    /// `%B`
    MonFull,
    /// `%d`, `%e`
    Mday,
    /// `%j`
    Yday,
    /// `%a`
    WdayAbbrev,
    /// `%A`
    WdayFull,
    /// `%w`: 0 (Sunday) to 6.
    Wday,
    /// `%u`: 1 (Monday) to 7.
    IsoWday,
    /// `%U`
    SunWeek,
    /// `%W`
    MonWeek,
    /// `%V`
    IsoWeek,
    /// `%H`
    Hour,
    /// `%I`
    Hour12,
    /// `%M`
    Minute,
    /// `%S`
    Second,
    /// `%p`
    AmPm,
    /// `%D`: `mm/dd/yy`.
    DateMdy,
    /// `%F`: `yyyy-mm-dd`.
    DateYmd,
    /// `%T`: `HH:MM:SS`.
    TimeHms,
    /// `%R`: `HH:MM`.
    TimeHm,
    /// `%z`: `±hhmm` or nothing.
    Zone,
    /// `%Z`: a word, maybe empty.
    ZoneName,
    /// `%n`, `%t`: any whitespace, maybe none. Produces no value.
    Space,
}

/// What a part read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PartValue<'s> {
    Ts(Timestamp),
    Int(i64),
    Name(&'s [u8]),
    Date(i64, u32, u32),
    Time(u32, u32, Option<u32>),
    Offset(Option<i32>),
    Nothing,
}

#[inline]
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[inline]
fn run(line: &[u8], pos: usize, f: impl Fn(u8) -> bool) -> usize {
    line[pos.min(line.len())..]
        .iter()
        .position(|&b| !f(b))
        .unwrap_or(line.len().saturating_sub(pos))
}

/// Two characters, the first of which may be a space (strftime pads some fields so).
#[inline]
fn padded2(s: &[u8]) -> Option<u32> {
    if s.len() != 2 {
        return None;
    }
    let h = if s[0] == b' ' {
        0
    } else {
        s[0].wrapping_sub(b'0')
    };
    let l = s[1].wrapping_sub(b'0');
    (h <= 9 && l <= 9).then_some(h as u32 * 10 + l as u32)
}

#[inline]
fn digits2(s: &[u8]) -> Option<u32> {
    if s.first() == Some(&b' ') {
        return None;
    }
    padded2(s)
}

impl TimePart {
    /// Which values this part may end at, from `pos`: every end from the second to the
    /// first of the pair, longest first, is tried (and validated by [`TimePart::read`]).
    /// `None` if nothing can match here.
    pub(crate) fn candidates(self, line: &[u8], pos: usize) -> Option<(usize, usize)> {
        use TimePart::*;
        let avail = line.len().saturating_sub(pos);
        let fixed = |n: usize| (avail >= n).then_some((pos + n, pos + n));
        match self {
            ApacheBracketed => {
                if line.get(pos) != Some(&b'[') {
                    return None;
                }
                // Fast path: `[dd/Mon/yyyy:HH:MM:SS +zzzz]` is 28 bytes.
                if line.get(pos + 27) == Some(&b']') {
                    return Some((pos + 28, pos + 28));
                }
                let end = memchr::memchr(b']', &line[pos..])? + pos + 1;
                Some((end, end))
            }
            ApacheBare => {
                // dd/Mon/yyyy:HH:MM:SS, whitespace, ±hhmm, the year maybe longer.
                let year = run(line, pos + 7, |b| b.is_ascii_digit());
                let mut end = pos + 7 + year + 9;
                end += run(line, end, |b| b.is_ascii_whitespace());
                end += 5;
                (end <= line.len()).then_some((end, end))
            }
            Iso8601 => {
                let n = run(line, pos, |b| {
                    b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'+' | b'-')
                });
                (n >= 19).then_some((pos + 19, pos + n))
            }
            EpochFrac => {
                let n = run(line, pos, |b| b.is_ascii_digit() || b == b'.');
                (n >= 1).then_some((pos + 1, pos + n))
            }
            Epoch | MilliEpoch | MicroEpoch => {
                let neg = usize::from(line.get(pos) == Some(&b'-'));
                let n = run(line, pos + neg, |b| b.is_ascii_digit());
                (n >= 1).then_some((pos + neg + 1, pos + neg + n))
            }
            MsecFrac | Yday => fixed(3),
            UsecFrac => fixed(6),
            Year | IsoYear => {
                let n = run(line, pos, |b| b.is_ascii_digit());
                (n >= 4).then_some((pos + 4, pos + n))
            }
            Century => {
                let n = run(line, pos, |b| b.is_ascii_digit());
                (n >= 2).then_some((pos + 2, pos + n))
            }
            Year2 | IsoYear2 | Month | Mday | SunWeek | MonWeek | IsoWeek | Hour | Hour12
            | Minute | Second => fixed(2),
            Wday | IsoWday => fixed(1),
            MonAbbrev | MonFull | WdayAbbrev | WdayFull => {
                let n = run(line, pos, is_word);
                (n >= 1).then_some((pos + 1, pos + n))
            }
            AmPm | ZoneName => Some((pos, pos + run(line, pos, is_word))),
            DateMdy | TimeHms => fixed(8),
            TimeHm => fixed(5),
            DateYmd => {
                let n = run(line, pos, |b| b.is_ascii_digit());
                let end = pos + n + 6;
                (n >= 4 && end <= line.len()).then_some((end, end))
            }
            Zone => Some((pos, pos + avail.min(5))),
            Space => Some((pos, pos + run(line, pos, |b| b.is_ascii_whitespace()))),
        }
    }

    /// Read the part from exactly `s`; `None` if `s` is not a valid value.
    pub(crate) fn read(self, s: &[u8]) -> Option<PartValue<'_>> {
        use TimePart::*;
        let int = |v: u32| Some(PartValue::Int(v as i64));
        match self {
            ApacheBracketed => {
                if s.first() != Some(&b'[') || s.last() != Some(&b']') {
                    return None;
                }
                parse_apache_timestamp(s).map(PartValue::Ts)
            }
            ApacheBare => parse_apache_timestamp(s).map(PartValue::Ts),
            Iso8601 => parse_iso8601(s).map(PartValue::Ts),
            EpochFrac => parse_epoch_seconds(s).map(PartValue::Ts),
            Epoch | MilliEpoch | MicroEpoch => {
                // `0|-?[1-9][0-9]*`
                let digits = s.strip_prefix(b"-").unwrap_or(s);
                if digits.len() > 1 && digits[0] == b'0' {
                    return None;
                }
                parse_i64(s).map(PartValue::Int)
            }
            MsecFrac | UsecFrac | Year | IsoYear | Century => {
                if !s.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                parse_i64(s).map(PartValue::Int)
            }
            Year2 | IsoYear2 => int(digits2(s)?),
            Month => digits2(s).filter(|m| (1..=12).contains(m)).and_then(int),
            Mday => padded2(s).filter(|d| (1..=31).contains(d)).and_then(int),
            Yday => {
                if s.len() != 3 || !s.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let v = parse_i64(s)? as u32;
                (1..=366).contains(&v).then_some(PartValue::Int(v as i64))
            }
            Wday => (s.len() == 1 && (b'0'..=b'6').contains(&s[0]))
                .then(|| PartValue::Int((s[0] - b'0') as i64)),
            IsoWday => (s.len() == 1 && (b'1'..=b'7').contains(&s[0]))
                .then(|| PartValue::Int((s[0] - b'0') as i64)),
            SunWeek | MonWeek => digits2(s).filter(|w| *w <= 53).and_then(int),
            IsoWeek => digits2(s).filter(|w| (1..=53).contains(w)).and_then(int),
            Hour => padded2(s).filter(|h| *h <= 23).and_then(int),
            Hour12 => padded2(s).filter(|h| (1..=12).contains(h)).and_then(int),
            Minute => padded2(s).filter(|m| *m <= 59).and_then(int),
            Second => digits2(s).filter(|m| *m <= 60).and_then(int),
            MonAbbrev | MonFull | WdayAbbrev | WdayFull => {
                (!s.is_empty() && s.iter().all(|&b| is_word(b))).then_some(PartValue::Name(s))
            }
            AmPm | ZoneName => s.iter().all(|&b| is_word(b)).then_some(PartValue::Name(s)),
            DateMdy => {
                if s.len() != 8 || s[2] != b'/' || s[5] != b'/' {
                    return None;
                }
                let m = digits2(&s[0..2]).filter(|m| (1..=12).contains(m))?;
                let d = padded2(&s[3..5]).filter(|d| (1..=31).contains(d))?;
                let y = digits2(&s[6..8])?;
                Some(PartValue::Date(pivot_year(y as i64), m, d))
            }
            DateYmd => {
                let n = s.len().checked_sub(6)?;
                if s[n] != b'-' || s[n + 3] != b'-' || !s[..n].iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let y = parse_i64(&s[..n])?;
                let m = digits2(&s[n + 1..n + 3]).filter(|m| (1..=12).contains(m))?;
                let d = padded2(&s[n + 4..]).filter(|d| (1..=31).contains(d))?;
                Some(PartValue::Date(y, m, d))
            }
            TimeHms | TimeHm => {
                let long = self == TimeHms;
                if s.len() != if long { 8 } else { 5 } || s[2] != b':' {
                    return None;
                }
                let h = padded2(&s[0..2]).filter(|h| *h <= 23)?;
                let m = padded2(&s[3..5]).filter(|m| *m <= 59)?;
                let sec = if long {
                    if s[5] != b':' {
                        return None;
                    }
                    Some(digits2(&s[6..8]).filter(|x| *x <= 60)?)
                } else {
                    None
                };
                Some(PartValue::Time(h, m, sec))
            }
            Zone => match s.len() {
                0 => Some(PartValue::Offset(None)),
                5 => {
                    // `[-+](?:[01][0-9]|2[0-3])[0-5][0-9]`
                    let o = parse_offset_hhmm(s)?;
                    (o.unsigned_abs() < 24 * 3600).then_some(PartValue::Offset(Some(o)))
                }
                _ => None,
            },
            Space => Some(PartValue::Nothing),
        }
    }

    /// The value this part gives when each directive is its own field (directive naming):
    /// numbers as integers, names as strings, `%D`/`%F` as `YYYY-MM-DD`, `%T`/`%R` as
    /// `HH:MM:SS`, `%z` as `±HH:MM` (null when empty). `None` for parts with no value.
    pub(crate) fn to_value(v: PartValue<'_>) -> Option<Value<'_>> {
        Some(match v {
            PartValue::Ts(t) => Value::Time(t),
            PartValue::Int(i) => Value::Int(i),
            PartValue::Name(s) => Value::borrowed(s),
            PartValue::Date(y, m, d) => {
                Value::Str(Cow::Owned(format!("{y:04}-{m:02}-{d:02}").into_bytes()))
            }
            PartValue::Time(h, m, s) => Value::Str(Cow::Owned(
                format!("{h:02}:{m:02}:{:02}", s.unwrap_or(0)).into_bytes(),
            )),
            PartValue::Offset(None) => Value::Null,
            PartValue::Offset(Some(o)) => {
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.unsigned_abs();
                Value::Str(Cow::Owned(
                    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60).into_bytes(),
                ))
            }
            PartValue::Nothing => return None,
        })
    }

    /// Record what this part read into the pieces of a time.
    pub(crate) fn apply(self, v: PartValue<'_>, t: &mut TimeParts) {
        use TimePart::*;
        let small = |i: i64| u32::try_from(i).ok();
        match (self, v) {
            (_, PartValue::Ts(ts)) => t.timestamp = Some(ts),
            (Epoch, PartValue::Int(i)) => t.epoch = Some(i),
            (MilliEpoch, PartValue::Int(i)) => t.milliepoch = Some(i),
            (MicroEpoch, PartValue::Int(i)) => t.microepoch = Some(i),
            (MsecFrac, PartValue::Int(i)) => t.msec_frac = small(i),
            (UsecFrac, PartValue::Int(i)) => t.usec_frac = small(i),
            (Year, PartValue::Int(i)) => t.year = Some(i),
            (IsoYear, PartValue::Int(i)) => t.iso_year = Some(i),
            (Century, PartValue::Int(i)) => t.century = Some(i),
            (Year2, PartValue::Int(i)) => t.abbrev_year = Some(i),
            (IsoYear2, PartValue::Int(i)) => t.abbrev_iso_year = Some(i),
            (Month, PartValue::Int(i)) => t.mon = small(i),
            (MonAbbrev, PartValue::Name(s)) => t.mon_name = month_from_abbrev(s),
            (MonFull, PartValue::Name(s)) => t.mon_name = month_from_name(s),
            (Mday, PartValue::Int(i)) => t.mday = small(i),
            (Yday, PartValue::Int(i)) => t.yday = small(i),
            (WdayAbbrev | WdayFull, PartValue::Name(s)) if t.iso_wday.is_none() => {
                t.iso_wday = weekday_from_name(s);
            }
            (Wday, PartValue::Int(i)) => t.iso_wday = Some(if i == 0 { 7 } else { i as u32 }),
            (IsoWday, PartValue::Int(i)) => t.iso_wday = small(i),
            (SunWeek, PartValue::Int(i)) => t.sunday_weeknum = small(i),
            (MonWeek, PartValue::Int(i)) => t.monday_weeknum = small(i),
            (IsoWeek, PartValue::Int(i)) => t.iso_weeknum = small(i),
            (Hour, PartValue::Int(i)) => t.hour = small(i),
            (Hour12, PartValue::Int(i)) => t.hour12 = small(i),
            (Minute, PartValue::Int(i)) => t.min = small(i),
            (Second, PartValue::Int(i)) => t.sec = small(i),
            (AmPm, PartValue::Name(s)) => {
                t.pm = if s.eq_ignore_ascii_case(b"PM") {
                    Some(true)
                } else if s.eq_ignore_ascii_case(b"AM") {
                    Some(false)
                } else {
                    None
                }
            }
            (DateMdy | DateYmd, PartValue::Date(y, m, d)) => t.date = Some((y, m, d)),
            (TimeHms | TimeHm, PartValue::Time(h, m, s)) => t.time = Some((h, m, s)),
            (Zone, PartValue::Offset(o)) => t.offset = o,
            (ZoneName, PartValue::Name(s))
                if t.offset.is_none() && (s == b"GMT" || s == b"UTC") =>
            {
                t.offset = Some(0);
            }
            _ => {}
        }
    }

    /// Forget what this part recorded (an optional group that matched `-` instead).
    pub(crate) fn clear(self, t: &mut TimeParts) {
        use TimePart::*;
        match self {
            ApacheBracketed | ApacheBare | Iso8601 | EpochFrac => t.timestamp = None,
            Epoch => t.epoch = None,
            MilliEpoch => t.milliepoch = None,
            MicroEpoch => t.microepoch = None,
            MsecFrac => t.msec_frac = None,
            UsecFrac => t.usec_frac = None,
            Year => t.year = None,
            IsoYear => t.iso_year = None,
            Century => t.century = None,
            Year2 => t.abbrev_year = None,
            IsoYear2 => t.abbrev_iso_year = None,
            Month => t.mon = None,
            MonAbbrev | MonFull => t.mon_name = None,
            Mday => t.mday = None,
            Yday => t.yday = None,
            WdayAbbrev | WdayFull | Wday | IsoWday => t.iso_wday = None,
            SunWeek => t.sunday_weeknum = None,
            MonWeek => t.monday_weeknum = None,
            IsoWeek => t.iso_weeknum = None,
            Hour => t.hour = None,
            Hour12 => t.hour12 = None,
            Minute => t.min = None,
            Second => t.sec = None,
            AmPm => t.pm = None,
            DateMdy | DateYmd => t.date = None,
            TimeHms | TimeHm => t.time = None,
            Zone | ZoneName => t.offset = None,
            Space => {}
        }
    }

    /// The strftime conversion character → part.
    pub(crate) fn from_strftime(c: char) -> Option<TimePart> {
        use TimePart::*;
        Some(match c {
            'a' => WdayAbbrev,
            'A' => WdayFull,
            'b' | 'h' => MonAbbrev,
            'B' => MonFull,
            'C' => Century,
            'd' | 'e' => Mday,
            'D' => DateMdy,
            'F' => DateYmd,
            'g' => IsoYear2,
            'G' => IsoYear,
            'H' => Hour,
            'I' => Hour12,
            'j' => Yday,
            'm' => Month,
            'M' => Minute,
            'n' | 't' => Space,
            'p' => AmPm,
            'R' => TimeHm,
            's' => Epoch,
            'S' => Second,
            'T' => TimeHms,
            'u' => IsoWday,
            'U' => SunWeek,
            'V' => IsoWeek,
            'w' => Wday,
            'W' => MonWeek,
            'y' => Year2,
            'Y' => Year,
            'z' => Zone,
            'Z' => ZoneName,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(part: TimePart, s: &str) -> Option<String> {
        let line = s.as_bytes();
        let (lo, hi) = part.candidates(line, 0)?;
        for end in (lo..=hi).rev() {
            if let Some(v) = part.read(&line[..end]) {
                let v = TimePart::to_value(v).map_or("-".to_string(), |v| format!("{v:?} {v}"));
                return Some(format!("{end}:{v}"));
            }
        }
        None
    }

    #[test]
    fn grammars() {
        assert_eq!(
            one(TimePart::Year, "20190519").as_deref(),
            Some("8:Int(20190519) 20190519")
        );
        assert_eq!(one(TimePart::Mday, " 5").as_deref(), Some("2:Int(5) 5"));
        assert_eq!(one(TimePart::Month, " 5"), None);
        assert_eq!(one(TimePart::Month, "13"), None);
        assert_eq!(one(TimePart::Second, "60").as_deref(), Some("2:Int(60) 60"));
        assert_eq!(one(TimePart::Zone, "x").as_deref(), Some("0:Null "));
        assert!(one(TimePart::Zone, "-0500").unwrap().contains("-05:00"));
        assert!(one(TimePart::DateMdy, "05/06/19")
            .unwrap()
            .contains("2019-05-06"));
        assert!(one(TimePart::DateYmd, "12019-05-06")
            .unwrap()
            .contains("12019-05-06"));
        assert!(one(TimePart::TimeHm, "13:42").unwrap().contains("13:42:00"));
        assert_eq!(one(TimePart::Epoch, "0123").as_deref(), Some("1:Int(0) 0"));
        assert_eq!(
            one(TimePart::Epoch, "-12").as_deref(),
            Some("3:Int(-12) -12")
        );
        assert_eq!(one(TimePart::Space, " \t x").as_deref(), Some("3:-"));
        assert_eq!(one(TimePart::AmPm, "").as_deref(), Some("0:Str([]) "));
        assert_eq!(
            one(TimePart::MonAbbrev, "Mär x")
                .as_deref()
                .map(|s| &s[..2]),
            Some("4:")
        );
    }

    #[test]
    fn weekday_names_and_pm_apply() {
        let mut t = TimeParts::default();
        TimePart::WdayFull.apply(PartValue::Name(b"Sunday"), &mut t);
        assert_eq!(t.iso_wday, Some(7));
        TimePart::AmPm.apply(PartValue::Name(b"pm"), &mut t);
        assert_eq!(t.pm, Some(true));
        TimePart::AmPm.clear(&mut t);
        assert_eq!(t.pm, None);
        TimePart::ZoneName.apply(PartValue::Name(b"UTC"), &mut t);
        assert_eq!(t.offset, Some(0));
    }
}
