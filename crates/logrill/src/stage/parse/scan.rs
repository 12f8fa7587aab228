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

/// The position of the first `"` or `\\` in `s`. On x86-64 sixteen bytes at a time
/// with SSE2 (two compares, one mask; x86-64's baseline), the last fewer than sixteen
/// eight at a time in a `u64` (the zero-byte test of "Bit Twiddling Hacks"): JSON log
/// strings are mostly shorter than 32 bytes, where `memchr2`'s set-up costs more than this
/// whole loop. (Calling memchr's SSE2 searcher directly, without that set-up, measured the
/// same as the `u64` loop; this inline one, 2% less CPU on `parse json | count by level`:
/// `bench/RESULTS.md`, issue 17, fifth pass.)
#[inline(always)]
pub(crate) fn quote_or_backslash(s: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut at = 0;
        while let Some(block) = s.get(at..at + 16) {
            let Ok(block) = <&[u8; 16]>::try_from(block) else {
                break;
            };
            let hits = sse2_quote_or_backslash(block);
            if hits != 0 {
                return Some(at + hits.trailing_zeros() as usize);
            }
            at += 16;
        }
        swar_quote_or_backslash(&s[at..]).map(|k| at + k)
    }
    #[cfg(not(target_arch = "x86_64"))]
    swar_quote_or_backslash(s)
}

/// One bit per byte of `block` that is `"` or `\\` (SSE2, every x86-64 processor has it).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) fn sse2_quote_or_backslash(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of x86-64's baseline; `block` is 16 readable bytes and the
    // load needs no alignment.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let b = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        _mm_movemask_epi8(_mm_or_si128(q, b)) as u32
    }
}

/// [`quote_or_backslash`] eight bytes at a time.
#[inline(always)]
fn swar_quote_or_backslash(s: &[u8]) -> Option<usize> {
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

/// Where the JSON value that `depth` open brackets (`{`/`[`) before `i` belong to closes:
/// the position after the bracket that closes the outermost of them, or `Err(s.len())`
/// when the line ends first. `in_string`: `i` is inside a string. Strings are stepped
/// over; a `\` escapes the next byte (in a string or not: outside one, it is not JSON
/// anyway); nothing else is checked: not the kinds of the
/// brackets, nor what lies between them. For the fast path of `parse json`, which steps
/// over what a pipeline does not read this way.
///
/// Sixteen bytes at a time (simdjson's first stage, in small): bitmaps of the quotes,
/// backslashes and brackets of the block; the bits inside strings found by a prefix XOR
/// of the quotes not escaped; the depth moved by the counts of the brackets outside
/// strings, bracket by bracket.
#[inline]
pub(crate) fn close_of_value(
    s: &[u8],
    mut i: usize,
    mut depth: u32,
    in_string: bool,
) -> Result<usize, usize> {
    // Bit k of `inside`'s carry: block k's last byte was inside a string.
    let mut inside: u16 = if in_string { 0xFFFF } else { 0 };
    // The first byte of the next block is escaped.
    let mut escape_next = false;
    while i < s.len() {
        let m = match s.get(i..i + 16).and_then(|b| <&[u8; 16]>::try_from(b).ok()) {
            Some(block) => block_masks(block),
            None => {
                // The last bytes, padded with zeros (no quote, backslash or bracket).
                let mut block = [0u8; 16];
                block[..s.len() - i].copy_from_slice(&s[i..]);
                block_masks(&block)
            }
        };
        let (mut quotes, mut open, mut close) = (m.quote, m.open, m.close);
        if m.backslash != 0 || escape_next {
            let mut escaped: u32 = u32::from(escape_next);
            let mut b = m.backslash;
            while b != 0 {
                let k = b.trailing_zeros();
                b &= b - 1;
                if escaped & (1 << k) == 0 {
                    escaped |= 1 << (k + 1);
                }
            }
            escape_next = escaped & (1 << 16) != 0;
            let escaped = !(escaped as u16);
            quotes &= escaped;
            open &= escaped;
            close &= escaped;
        }
        // Inside a string: an odd number of quotes at or before the byte (the opening
        // quote counts as inside, the closing one as outside), or the reverse when the
        // block starts inside one.
        let mut p = quotes;
        p ^= p << 1;
        p ^= p << 2;
        p ^= p << 4;
        p ^= p << 8;
        let within = p ^ inside;
        inside = if within & 0x8000 != 0 { 0xFFFF } else { 0 };
        let open = open & !within;
        let close = close & !within;
        // Brackets are few (most blocks have none): each is counted in turn (the
        // baseline x86-64 has no popcount instruction to count them at once).
        if let Some(k) = walk_brackets(u64::from(open), u64::from(close), &mut depth) {
            return Ok(i + k as usize + 1);
        }
        i += 16;
    }
    Err(s.len())
}

/// The brackets of a block (bit k: byte k opens or closes one), in order: `depth` moved by
/// each; the bit at which it reaches zero, if it does. (Shared by the sixteen- and the
/// 64-byte balance checks.)
#[inline(always)]
pub(crate) fn walk_brackets(open: u64, close: u64, depth: &mut u32) -> Option<u32> {
    let mut b = open | close;
    while b != 0 {
        let k = b.trailing_zeros();
        b &= b - 1;
        if open & (1 << k) != 0 {
            *depth += 1;
        } else {
            *depth -= 1;
            if *depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// One bit per byte of a 16-byte block: `"`, `\`, `{` or `[`, `}` or `]`.
#[derive(Debug, PartialEq, Eq)]
struct BlockMasks {
    quote: u16,
    backslash: u16,
    open: u16,
    close: u16,
}

/// On x86-64, SSE2 (part of its baseline: every x86-64 processor has it): four compares
/// of the sixteen bytes at once and a move of each byte mask. (The same in `u64` words
/// with exact zero-byte tests took about twice the CPU of the whole line's other work.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn block_masks(block: &[u8; 16]) -> BlockMasks {
    // SAFETY: the function only needs SSE2, which every x86-64 processor has.
    unsafe { sse2_masks(block) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn sse2_masks(block: &[u8; 16]) -> BlockMasks {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: `block` is 16 readable bytes; the load needs no alignment.
    let v = unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) };
    let mask =
        |v: __m128i, b: u8| _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) as u16;
    // `{` and `}` are `[` and `]` with bit 5 set: clear it, compare with `[` and `]`.
    let folded = _mm_and_si128(v, _mm_set1_epi8(0xDFu8 as i8));
    BlockMasks {
        quote: mask(v, b'"'),
        backslash: mask(v, b'\\'),
        open: mask(folded, b'['),
        close: mask(folded, b']'),
    }
}

/// Elsewhere: two eight-byte words, each compared in a `u64` (exact per byte, unlike the
/// search of [`quote_or_backslash`], whose higher hits may be false) and its hits gathered
/// into eight bits by one multiplication.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn block_masks(block: &[u8; 16]) -> BlockMasks {
    swar_masks(block)
}

/// See [`block_masks`]; also tested against it on x86-64.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn swar_masks(block: &[u8; 16]) -> BlockMasks {
    let word = |k: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&block[k..k + 8]);
        u64::from_le_bytes(w)
    };
    let (lo, hi) = (word(0), word(8));
    let both = |f: fn(u64) -> u64| u16::from(gather(f(lo))) | u16::from(gather(f(hi))) << 8;
    BlockMasks {
        quote: both(|w| zero_bytes(w ^ splat(b'"'))),
        backslash: both(|w| zero_bytes(w ^ splat(b'\\'))),
        // `{` and `}` are `[` and `]` with bit 5 set.
        open: both(|w| zero_bytes((w & splat(0xDF)) ^ splat(b'['))),
        close: both(|w| zero_bytes((w & splat(0xDF)) ^ splat(b']'))),
    }
}

#[inline(always)]
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// `0x80` in each byte of `w` that is zero, and nothing elsewhere.
#[inline(always)]
fn zero_bytes(w: u64) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    !(((w & LOW7).wrapping_add(LOW7)) | w | LOW7)
}

/// The `0x80` bits of `m`'s bytes as bits 0 to 7 (byte k → bit k): the products of the
/// multiplication land on distinct bits, so nothing carries.
#[inline(always)]
fn gather(m: u64) -> u8 {
    ((m >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
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
    first_end_by(line, pos, class, lit, |p| {
        stops.find(&line[p..]).map(|k| p + k)
    })
}

/// [`first_end`]'s rule with the stop bytes found by `next_stop` (the first position at or
/// after its argument of a byte `first_end`'s `stops` hold, `None` when there is none):
/// one rule for a search per field and for a line's stop map.
#[inline(always)]
pub(crate) fn first_end_by(
    line: &[u8],
    pos: usize,
    class: Class,
    lit: &ShortLit,
    mut next_stop: impl FnMut(usize) -> Option<usize>,
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
        p = next_stop(p)?;
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

    /// The sixteen-byte and word-at-a-time search for a string's end agrees with a plain
    /// one, at every length (across two sixteen-byte blocks and the `u64` tail) and
    /// position.
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

    /// A plain reading of [`close_of_value`]'s rule, a byte at a time.
    fn close_plain(
        s: &[u8],
        mut i: usize,
        mut depth: u32,
        mut in_string: bool,
    ) -> Result<usize, usize> {
        while i < s.len() {
            let b = s[i];
            i += 1;
            if b == b'\\' {
                i += 1;
                continue;
            }
            if in_string {
                if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err(s.len())
    }

    /// The sixteen-bytes-at-a-time search for a value's end agrees with a byte-at-a-time
    /// one on random lines of brackets, quotes, backslashes and letters, from every start
    /// and depth, in and out of a string.
    #[test]
    fn close_of_value_agrees_with_a_plain_reading() {
        let alphabet = b"{}[]\"\\\"ab,:";
        let mut next = crate::stage::parse::xorshift(0x1234_5678_9ABC_DEF1);
        let mut closed = 0;
        for _ in 0..20_000 {
            let len = (next() % 70) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for from in [0, 1, 7, 15, 16, 17].into_iter().filter(|&f| f <= len) {
                for depth in 1..4 {
                    for in_string in [false, true] {
                        let want = close_plain(&s, from, depth, in_string);
                        let got = close_of_value(&s, from, depth, in_string);
                        assert_eq!(
                            got,
                            want,
                            "{:?} from {from} depth {depth} {in_string}",
                            String::from_utf8_lossy(&s)
                        );
                        closed += usize::from(want.is_ok());
                    }
                }
            }
        }
        assert!(closed > 10_000, "only {closed} closed");
        // The portable masks are the SSE2 ones.
        for _ in 0..20_000 {
            let mut block = [0u8; 16];
            for b in &mut block {
                *b = match next() % 4 {
                    0 => alphabet[(next() % alphabet.len() as u64) as usize],
                    _ => next() as u8,
                };
            }
            assert_eq!(swar_masks(&block), block_masks(&block), "{block:?}");
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
