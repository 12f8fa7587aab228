//! The low-level reading the scanner of a format does: finding the bytes that end a field
//! (eight at a time, in a `u64`), comparing short literals, reading an Apache timestamp at
//! fixed offsets, the possible ends of a token, the pieces of a request line.
//!
//! Fields in logs are short (an address, `-`, a request line, a user agent: tens of bytes),
//! so set-up costs matter more than raw speed: memchr is used only past the first bytes.

use super::program::{Class, Token};
use super::time::{
    days_from_civil, days_in_month, month_from_abbrev, parse_apache_timestamp, Timestamp,
};

/// Bytes a delimited scan must stop at, searched with memchr when there are few.
#[derive(Debug, Clone)]
pub(crate) enum Stops {
    None,
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    Table(Box<[bool; 256]>),
}

impl Stops {
    pub(crate) fn from_set(mut set: Vec<u8>) -> Stops {
        set.sort_unstable();
        set.dedup();
        match set[..] {
            [] => Stops::None,
            [a] => Stops::One(a),
            [a, b] => Stops::Two(a, b),
            [a, b, c] => Stops::Three(a, b, c),
            _ => {
                let mut t = Box::new([false; 256]);
                for b in set {
                    t[b as usize] = true;
                }
                Stops::Table(t)
            }
        }
    }

    /// First position in `hay` of a stop byte. Fields are short (an address, `-`, a
    /// request line, a user agent: tens of bytes), where memchr's set-up costs more than
    /// it saves, so one to three bytes are looked for eight at a time in a `u64` (SWAR),
    /// and memchr takes over only for long fields.
    #[inline(always)]
    pub(crate) fn find(&self, hay: &[u8]) -> Option<usize> {
        match *self {
            Stops::None => None,
            Stops::One(a) => swar_find::<1>(hay, [a, a, a, a]),
            Stops::Two(a, b) => swar_find::<2>(hay, [a, b, b, b]),
            Stops::Three(a, b, c) => swar_find::<3>(hay, [a, b, c, c]),
            Stops::Table(ref t) => hay.iter().position(|&b| t[b as usize]),
        }
    }
}

/// Beyond this many bytes a field is searched with memchr.
pub(crate) const SWAR_LIMIT: usize = 32;

/// First position in `hay` of any of the first `K` (1 to 4) bytes of `n`.
#[inline(always)]
pub(crate) fn swar_find<const K: usize>(hay: &[u8], n: [u8; 4]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let [a, b, c, d] = n.map(|x| LO * x as u64);
    let mut i = 0;
    let end = hay.len().min(SWAR_LIMIT);
    while i + 8 <= end {
        let mut w = [0u8; 8];
        w.copy_from_slice(&hay[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // A byte of `x` is zero where `w` has the byte looked for; the lowest such byte is
        // found exactly by the has-zero trick (false hits appear only above a true one).
        let zero = |x: u64| x.wrapping_sub(LO) & !x;
        let mut hit = zero(w ^ a);
        if K > 1 {
            hit |= zero(w ^ b);
        }
        if K > 2 {
            hit |= zero(w ^ c);
        }
        if K > 3 {
            hit |= zero(w ^ d);
        }
        let hit = hit & HI;
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    if i < end {
        if let Some(k) = hay[i..end].iter().position(|x| n[..K].contains(x)) {
            return Some(i + k);
        }
    }
    if hay.len() <= SWAR_LIMIT {
        return None;
    }
    let tail = &hay[SWAR_LIMIT..];
    let k = match K {
        1 => memchr::memchr(n[0], tail),
        2 => memchr::memchr2(n[0], n[1], tail),
        3 => memchr::memchr3(n[0], n[1], n[2], tail),
        _ => tail.iter().position(|x| n[..K].contains(x)),
    };
    k.map(|k| k + SWAR_LIMIT)
}

/// The position of the first `"` or `\\` in `s`. Eight bytes at a time in a `u64`
/// (the zero-byte test of "Bit Twiddling Hacks"): JSON log strings are mostly shorter
/// than 32 bytes, where `memchr2`'s set-up costs more than this whole loop. (Calling
/// memchr's SSE2 searcher directly, without that set-up, measured the same.)
#[inline(always)]
pub(crate) fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        // Only bits above the first match can be false positives: the lowest is exact.
        let hits = zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| at + p)
}

/// The first position at or after `i` of a byte that is `b' '` or below (blanks and
/// other control bytes) or is `a` or `b`; `s.len()` if none. Eight bytes at a time, for
/// logfmt's keys and bare values (a few to tens of bytes, ended by a blank, `=` or `"`).
#[inline(always)]
pub(crate) fn low_or(s: &[u8], mut i: usize, a: u8, b: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while i + 8 <= s.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // Bytes below 0x21 (`hasless` of "Bit Twiddling Hacks"): as with the zero test,
        // only bits above the lowest true hit can be false, so the lowest of the three
        // masks' hits is exact.
        let low = w.wrapping_sub(ONES * 0x21) & !w & HIGH;
        let hits = low | zero(w ^ (ONES * u64::from(a))) | zero(w ^ (ONES * u64::from(b)));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < s.len() && s[i] > b' ' && s[i] != a && s[i] != b {
        i += 1;
    }
    i
}

/// Byte-wise equality, inlined: keys are short, and a call to `memcmp` for each costs
/// more than the comparison.
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A literal short enough to be kept inline in a [`Fast`] op.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ShortLit {
    pub bytes: [u8; 14],
    len: u8,
}

impl ShortLit {
    pub(crate) fn new(b: &[u8]) -> Option<ShortLit> {
        let mut bytes = [0u8; 14];
        bytes.get_mut(..b.len())?.copy_from_slice(b);
        Some(ShortLit {
            bytes,
            len: b.len() as u8,
        })
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the literal is at `pos` in `line`.
    #[inline(always)]
    pub(crate) fn at(&self, line: &[u8], pos: usize) -> bool {
        let n = self.len();
        match line.get(pos..pos + n) {
            Some(s) => s.iter().zip(&self.bytes[..n]).all(|(a, b)| a == b),
            None => false,
        }
    }
}

/// The first end of a delimited field followed by the literal `lit` (the common case, for
/// the fast path): where `lit` first follows, skipping escapes; `None` if a forbidden byte
/// or the end of the line comes first (the general search then decides).
#[inline(always)]
pub(crate) fn first_end(
    line: &[u8],
    pos: usize,
    stops: &Stops,
    class: Class,
    lit: &ShortLit,
) -> Option<(usize, bool)> {
    let min_end = if class == Class::Verbatim {
        pos + 1
    } else {
        pos
    };
    let lit0 = lit.bytes[0];
    let mut p = pos;
    let mut escaped = false;
    loop {
        p += stops.find(&line[p..])?;
        let b = line[p];
        if b == lit0 && p >= min_end && lit.at(line, p) {
            return Some((p, escaped));
        }
        if class != Class::Verbatim {
            if b == b'\\' {
                escaped = true;
                p += 2;
                if p > line.len() {
                    return None;
                }
                continue;
            }
            if b == b'"' || (b == b' ' && class == Class::Word) {
                return None;
            }
        }
        p += 1;
    }
}

#[inline(always)]
pub(crate) fn lit_at(line: &[u8], pos: usize, lit: &[u8]) -> bool {
    // Literals are short (` `, `" "`): a byte loop beats a call to memcmp.
    line.len() >= pos + lit.len()
        && line[pos..pos + lit.len()]
            .iter()
            .zip(lit)
            .all(|(a, b)| a == b)
}

/// The last date and offset of a `%t` (`10/Oct/2000` … `-0700`) and what they mean:
/// consecutive lines almost always share them, so the calendar arithmetic is done once.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DateCache {
    key: [u8; 16],
    /// Days since the epoch and offset in seconds, for `key`.
    value: Option<(i64, i32)>,
}

/// `[dd/Mon/yyyy:HH:MM:SS ±hhmm]`, read at fixed positions when it has exactly that shape
/// (with the date and offset looked up in `cache`), else by the general parser.
#[inline(always)]
pub(crate) fn parse_apache_bracketed(s: &[u8], cache: &mut DateCache) -> Option<Timestamp> {
    match s {
        [b'[', inner @ .., b']'] => match parse_apache_fixed(inner, cache) {
            Some(t) => Some(t),
            None => parse_apache_timestamp(s),
        },
        _ => None,
    }
}

/// `dd/Mon/yyyy:HH:MM:SS ±hhmm` exactly (26 bytes; nginx's `$time_local`, and `%t` inside
/// its brackets), the date and offset looked up in `cache`; `None` for any other shape
/// (the general parser then decides).
#[inline(always)]
pub(crate) fn parse_apache_fixed(s: &[u8], cache: &mut DateCache) -> Option<Timestamp> {
    if let [d1, d2, b'/', m1, m2, m3, b'/', y1, y2, y3, y4, b':', h1, h2, b':', i1, i2, b':', s1, s2, b' ', sign, o1, o2, o3, o4] =
        *s
    {
        let dig = |a: u8, b: u8| -> Option<u32> {
            let (a, b) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
            (a < 10 && b < 10).then_some(a as u32 * 10 + b as u32)
        };
        let key = [
            d1, d2, m1, m2, m3, y1, y2, y3, y4, sign, o1, o2, o3, o4, 0, 0,
        ];
        let (days, offset) = match cache.value {
            Some(v) if cache.key == key => v,
            _ => {
                let year = dig(y1, y2)? as i64 * 100 + dig(y3, y4)? as i64;
                let month = month_from_abbrev(&[m1, m2, m3])?;
                let day = dig(d1, d2)?;
                if day < 1 || day > days_in_month(year, month) {
                    return None;
                }
                let (oh, om) = (dig(o1, o2)? as i32, dig(o3, o4)? as i32);
                if om > 59 {
                    return None;
                }
                let offset = match sign {
                    b'+' => oh * 3600 + om * 60,
                    b'-' => -(oh * 3600 + om * 60),
                    _ => return None,
                };
                let v = (days_from_civil(year, month, day), offset);
                cache.key = key;
                cache.value = Some(v);
                v
            }
        };
        let (h, m, sec) = (dig(h1, h2)?, dig(i1, i2)?, dig(s1, s2)?);
        if h > 23 || m > 59 || sec > 60 {
            return None;
        }
        let local = days * 86_400 + (h * 3600 + m * 60 + sec) as i64;
        return Some(Timestamp::from_unix_micros(
            (local - offset as i64) * 1_000_000,
            offset,
        ));
    }
    None
}

/// The ends a token may have at `pos`, from `.1` down to `.0`.
#[inline]
pub(crate) fn token_range(t: Token, line: &[u8], pos: usize) -> Option<(usize, usize)> {
    let rest = &line[pos..];
    let count = |f: fn(&u8) -> bool| rest.iter().position(|b| !f(b)).unwrap_or(rest.len());
    match t {
        Token::Int | Token::Seconds { .. } => {
            let neg = usize::from(rest.first() == Some(&b'-'));
            let n = rest[neg..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(rest.len() - neg);
            (n > 0).then_some((pos + neg + 1, pos + neg + n))
        }
        Token::Float => {
            let n = count(|b| b.is_ascii_digit() || *b == b'.' || *b == b'-');
            (n > 0).then_some((pos + 1, pos + n))
        }
        Token::Status => (rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit))
            .then_some((pos + 3, pos + 3)),
        Token::Hex => {
            let n = count(u8::is_ascii_hexdigit);
            (n > 0).then_some((pos + 1, pos + n))
        }
        Token::Ip => {
            let n = count(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.');
            (n >= 2).then_some((pos + 2, pos + n))
        }
        Token::LogId => {
            let n = count(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'@' | b'/' | b'+'));
            (n > 0).then_some((pos + 1, pos + n))
        }
        Token::ConnStatus => {
            matches!(rest.first(), Some(b'X' | b'+' | b'-')).then_some((pos + 1, pos + 1))
        }
        Token::Time(p) => p.candidates(line, pos),
    }
}

/// Last `b` in `hay`, the same way from the end.
#[inline(always)]
pub(crate) fn rfind_byte(hay: &[u8], b: u8) -> Option<usize> {
    const SHORT: usize = 16;
    let cut = hay.len().saturating_sub(SHORT);
    match hay[cut..].iter().rposition(|&x| x == b) {
        Some(i) => Some(cut + i),
        None => memchr::memrchr(b, &hay[..cut]),
    }
}

/// `(method, path, query, protocol)` of a request line.
#[allow(clippy::type_complexity)]
#[inline]
pub(crate) fn split_line(r: &[u8]) -> Option<(&[u8], &[u8], Option<&[u8]>, Option<&[u8]>)> {
    let sp = swar_find::<1>(r, [b' '; 4])?;
    let method = &r[..sp];
    let rest = &r[sp + 1..];
    let (target, protocol) = match rfind_byte(rest, b' ') {
        Some(j) => (&rest[..j], Some(&rest[j + 1..])),
        None => (rest, None),
    };
    let (path, query) = match swar_find::<1>(target, [b'?'; 4]) {
        Some(k) => (&target[..k], Some(&target[k + 1..])),
        None => (target, None),
    };
    Some((method, path, query, protocol))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search for a string's end agrees with a plain one, at every
    /// length and position.
    #[test]
    fn string_end_search_agrees_with_a_plain_one() {
        for len in 0..40 {
            for at in 0..=len {
                for c in [b'"', b'\\'] {
                    let mut s = vec![b'a'; len];
                    if at < len {
                        s[at] = c;
                        if at + 2 < len {
                            s[at + 2] = b'"';
                        }
                    }
                    let want = s.iter().position(|&b| b == b'"' || b == b'\\');
                    assert_eq!(quote_or_backslash(&s), want, "{len} {at}");
                }
            }
        }
    }

    /// The word-at-a-time search for a logfmt key's or value's end agrees with a plain
    /// one, at every length, position and start, for every byte that ends one and a few
    /// that do not.
    #[test]
    fn low_or_agrees_with_a_plain_search() {
        let plain = |s: &[u8], i: usize| {
            (i..s.len())
                .find(|&k| s[k] <= b' ' || s[k] == b'=' || s[k] == b'"')
                .unwrap_or(s.len())
        };
        for len in 0..40 {
            for at in 0..=len {
                for c in [
                    b' ', b'\t', b'\n', 0u8, 0x1f, b'=', b'"', 0x21, 0x80, 0xa0, 0xff,
                ] {
                    let mut s = vec![b'a'; len];
                    if at < len {
                        s[at] = c;
                        if at + 3 < len {
                            s[at + 3] = b'=';
                        }
                    }
                    for from in [0, 1, 5].into_iter().filter(|&f| f <= len) {
                        assert_eq!(
                            low_or(&s, from, b'=', b'"'),
                            plain(&s, from),
                            "{len} {at} {c}"
                        );
                    }
                }
            }
        }
    }
}
