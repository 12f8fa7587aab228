//! logfmt: `key=value key2="quoted \" value" flag`.
//!
//! As written by Heroku's and Go's loggers (go-logfmt, logrus, slog's TextHandler):
//! pairs separated by blanks; a value is bare (up to the next blank) or double-quoted with
//! Go-style escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`, …). A key without `=` is a flag
//! and means `true`. Bare values that are canonical numbers become numbers
//! ([`Value::infer`]); quoted values stay strings; `key=` is an empty string.
//!
//! A line with no `key=value` pair at all is not logfmt (a line of prose would otherwise
//! parse as a row of flags), nor is one with an unterminated quote or a stray `=`/`"`.
//!
//! After [`LogfmtParser::select`] (the projection of
//! [`Parser::project`](super::Parser::project)) only the pairs with the selected keys
//! become fields. By default (the fast path) the line is read up to the last selected key,
//! then only checked for a quoted value left open; after
//! [`LogfmtParser::check_every_byte`] (`--strict`) the other pairs are still read and
//! checked the same way (so the same lines fail, at the same offsets), just not decoded,
//! converted or stored.

use std::borrow::Cow;

use super::json::plain_number_value;
use super::json_skim::{Layout, Want};
use super::record::Record;
#[cfg(not(target_arch = "x86_64"))]
use super::scan::quote_or_backslash;
use super::scan::{low_or, same};
use super::value::Value;
use super::{ParseFailure, Reason};

/// A bare value as [`Value::infer`] reads it, with plain numbers (`4.293`, `200`: the
/// common case in logs) converted by the JSON reader's one-pass conversion, which gives
/// the same value as `str::parse` (the general way cost a UTF-8 check and `dec2flt`, about
/// 14% of `parse logfmt | count, sum latency_ms by service`). A value that does not start
/// as a number does (`-` or a digit), `info` or `billing`, is text without either reading.
#[inline]
fn bare_value(t: &[u8]) -> Value<'_> {
    if !matches!(t.first(), Some(b'-' | b'0'..=b'9')) {
        return Value::borrowed(t);
    }
    match plain_number_value(t, 0) {
        Some((v, end)) if end == t.len() => v,
        _ => Value::infer(t),
    }
}

/// Why a line is not logfmt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogfmtError {
    /// No `key=value` pair.
    NoPairs,
    /// A quoted value without its closing quote.
    UnterminatedQuote,
    /// A pair without a key (`=x`), a quote in a key, or text right after a quoted value.
    Syntax,
}

impl std::fmt::Display for LogfmtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogfmtError::NoPairs => "no key=value pair",
            LogfmtError::UnterminatedQuote => "unterminated quoted value",
            LogfmtError::Syntax => "malformed logfmt",
        })
    }
}

/// The logfmt parser.
#[derive(Debug, Clone, Default)]
pub struct LogfmtParser {
    /// `None`: every pair; `Some(keys)`: only pairs with these keys.
    selected: Option<Vec<Box<str>>>,
    /// Check every pair even when only some are built (`--strict`), rather than stop
    /// after the last selected one.
    every_byte: bool,
    /// The fast path's memory of the last lines' keys, pair by pair (as JSON's: see
    /// `json_skim/layout.rs`), for the keys selected now.
    layout: Layout,
}

#[inline]
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl LogfmtParser {
    /// A logfmt parser.
    pub fn new() -> LogfmtParser {
        LogfmtParser::default()
    }

    /// Build only the pairs with these keys from now on, on the fast path unless
    /// [`LogfmtParser::check_every_byte`] (see `docs/formats.md`). An empty list builds
    /// no field.
    pub fn select<S: AsRef<str>>(&mut self, keys: &[S]) {
        self.selected = Some(keys.iter().map(|n| n.as_ref().into()).collect());
        self.layout = Layout::default();
    }

    /// The keys it builds after [`LogfmtParser::select`]; `None` when it builds every pair.
    pub fn selected(&self) -> Option<Vec<&str>> {
        self.selected
            .as_ref()
            .map(|keys| keys.iter().map(|k| &**k).collect())
    }

    /// Build every pair again (undo [`LogfmtParser::select`]).
    pub fn select_all(&mut self) {
        self.selected = None;
        self.layout = Layout::default();
    }

    /// Whether every pair of a line is read and checked when only some are built
    /// (`true`: the same lines accepted, the same failures, as building them all), or the
    /// fast path is taken (`false`, the default; see `docs/formats.md`).
    pub fn check_every_byte(&mut self, yes: bool) {
        self.every_byte = yes;
    }

    /// Parse one line into `rec`: the selected pairs, or all.
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        let selected = self.selected.as_deref();
        let fast = !self.every_byte && selected.is_some_and(|k| k.len() <= 64);
        let layout = fast.then_some(&mut self.layout);
        parse_pairs(line, rec, selected, layout)
    }

    /// Parse one line into `rec` with every pair, whatever is selected.
    pub fn parse_every_field<'a>(
        &mut self,
        line: &'a [u8],
        rec: &mut Record<'a>,
    ) -> Result<(), ParseFailure> {
        parse_pairs(line, rec, None, None)
    }
}

/// Which key of `selected` this is (`Some(0)` for any key when all are built, `None`
/// for one not selected). Keys compare as the full parse names them: invalid UTF-8
/// replaced.
#[inline]
fn wants(selected: Option<&[Box<str>]>, key: &[u8]) -> Option<usize> {
    let Some(keys) = selected else {
        return Some(0);
    };
    keys.iter()
        .position(|k| same(k.as_bytes(), key))
        .or_else(|| {
            if key.is_ascii() || std::str::from_utf8(key).is_ok() {
                return None;
            }
            let lossy = String::from_utf8_lossy(key);
            keys.iter().position(|k| **k == *lossy)
        })
}

/// A key as a field name: borrowed when it is UTF-8 (checking that is cheaper than the
/// lossy decoding's), invalid bytes replaced otherwise. An ASCII key, the usual one, is
/// checked inline (`from_utf8`, a call per pair read, was 7% of `parse logfmt | count,
/// sum latency_ms by service`).
#[inline]
fn key_name(key: &[u8]) -> Cow<'_, str> {
    if key.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        return Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(key) });
    }
    match std::str::from_utf8(key) {
        Ok(k) => Cow::Borrowed(k),
        Err(_) => String::from_utf8_lossy(key),
    }
}

/// One line's pairs into `rec`: those with a selected key, or all (`None`); every pair
/// is checked either way, unless `fast`: then the first pair of each selected key is
/// built (at most 64 keys), and once every selected key was read (and at least one
/// `key=value` pair), the rest of the line is only checked for a quoted value left open
/// ([`quotes_closed`]). The fast path is taken with a `layout`, the keys of the last
/// lines: a key found there with its `=` (the same bytes, so the same end and the same
/// key) is neither searched for nor compared with the selected ones.
#[inline]
fn parse_pairs<'a>(
    line: &'a [u8],
    rec: &mut Record<'a>,
    selected: Option<&[Box<str>]>,
    mut layout: Option<&mut Layout>,
) -> Result<(), ParseFailure> {
    let fast = layout.is_some();
    let all: u64 = match selected {
        Some(keys) if fast && keys.len() < 64 => (1u64 << keys.len()) - 1,
        _ => u64::MAX,
    };
    let mut found: u64 = 0;
    rec.begin_dynamic();
    let fail = |e, offset| ParseFailure {
        reason: Reason::Logfmt(e),
        offset,
    };
    let s = line;
    let mut i = 0;
    let mut pairs = 0;
    // Keys and flags seen (the layout's slot).
    let mut member = 0;
    loop {
        while i < s.len() && blank(s[i]) {
            i += 1;
        }
        if i == s.len() {
            break;
        }
        let start = i;
        let known = layout.as_ref().and_then(|l| l.recall(member, s, start));
        let which = match known {
            Some((len, want)) => {
                i = start + len;
                (want.fields != 0).then(|| want.fields.trailing_zeros() as usize)
            }
            None => {
                // A key ends at a blank, `=` or `"`; other control bytes belong to it.
                loop {
                    i = low_or(s, i, b'=', b'"');
                    if i < s.len() && s[i] <= b' ' && !blank(s[i]) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i == start || s.get(i) == Some(&b'"') {
                    return Err(fail(LogfmtError::Syntax, i));
                }
                let which = wants(selected, &s[start..i]);
                if let Some(l) = layout.as_deref_mut() {
                    let want = Want {
                        fields: which.map_or(0, |k| 1 << k),
                        below: None,
                    };
                    let end = (s.get(i) == Some(&b'=')).then_some(&b"="[..]);
                    l.remember_ended(member, &s[start..i], end, want);
                }
                which
            }
        };
        member += 1;
        let key = &s[start..i];
        let wanted = match which {
            // The fast path builds the first pair of a key only: the one a lookup finds.
            Some(k) if fast => {
                let first = found & (1 << k) == 0;
                found |= 1 << k;
                first
            }
            Some(_) => true,
            None => false,
        };
        if s.get(i) != Some(&b'=') {
            if wanted {
                rec.push(key_name(key), Value::Bool(true));
            }
            continue;
        }
        i += 1;
        pairs += 1;
        if s.get(i) == Some(&b'"') {
            let open = i;
            i += 1;
            let vstart = i;
            let mut escaped = false;
            loop {
                match string_end(s, i) {
                    None => return Err(fail(LogfmtError::UnterminatedQuote, open)),
                    Some(q) => {
                        if s[q] == b'\\' {
                            escaped = true;
                            i = q + 2;
                            if i > s.len() {
                                return Err(fail(LogfmtError::UnterminatedQuote, open));
                            }
                        } else {
                            i = q;
                            break;
                        }
                    }
                }
            }
            let raw = &s[vstart..i];
            i += 1;
            if i < s.len() && !blank(s[i]) {
                return Err(fail(LogfmtError::Syntax, i));
            }
            if wanted {
                let v = if escaped {
                    Cow::Owned(unquote(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                rec.push(key_name(key), Value::Str(v));
            }
        } else {
            let vstart = i;
            // A bare value ends at a blank; a `"` in it is an error; other control bytes
            // belong to it.
            loop {
                i = bare_end(s, i);
                match s.get(i) {
                    Some(b'"') => return Err(fail(LogfmtError::Syntax, i)),
                    Some(&c) if !blank(c) => i += 1,
                    _ => break,
                }
            }
            if wanted {
                rec.push(key_name(key), bare_value(&s[vstart..i]));
            }
        }
        if found == all && fast {
            return quotes_closed(s, i);
        }
    }
    if pairs == 0 {
        return Err(fail(LogfmtError::NoPairs, 0));
    }
    Ok(())
}

/// The fast path's check of the rest of a line, from `i` on: no quoted value left open (a
/// line cut short by a writer that crashed mid-value is refused). A `"` opens a quoted
/// value wherever it is; a `\` inside one escapes the next byte.
fn quotes_closed(s: &[u8], mut i: usize) -> Result<(), ParseFailure> {
    if quotes_paired_plainly(s, i) {
        return Ok(());
    }
    let open_at = |open| ParseFailure {
        reason: Reason::Logfmt(LogfmtError::UnterminatedQuote),
        offset: open,
    };
    while let Some(open) = quote_from(s, i) {
        i = open + 1;
        loop {
            let Some(q) = string_end(s, i) else {
                return Err(open_at(open));
            };
            i = q + 1;
            if s[i - 1] == b'"' {
                break;
            }
            i += 1;
            if i > s.len() {
                return Err(open_at(open));
            }
        }
    }
    Ok(())
}

/// The first position at or after `i` of a byte that ends a bare value: a blank or other
/// control byte (`b' '` or below) or a `"`; `s.len()` if none. Two sixteen-byte blocks
/// at a time ([`first_in_blocks`]): a value is mostly one step, where [`low_or`]'s
/// eight-byte words take two or more.
#[inline(always)]
fn bare_end(s: &[u8], i: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        first_in_blocks(s, i, sse2::low_or_quote, |b| b <= b' ' || b == b'"').unwrap_or(s.len())
    }
    #[cfg(not(target_arch = "x86_64"))]
    low_or(s, i, b'"', b'"')
}

/// The first `"` or `\` at or after `i`: where a quoted value's text ends or has an
/// escape. As [`bare_end`], two blocks at a time (a `msg` is mostly 17 to 32 bytes).
#[inline(always)]
fn string_end(s: &[u8], i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        let hits = super::scan::sse2_quote_or_backslash;
        first_in_blocks(s, i, hits, |b| b == b'"' || b == b'\\')
    }
    #[cfg(not(target_arch = "x86_64"))]
    quote_or_backslash(s.get(i..)?).map(|k| i + k)
}

/// The first `"` at or after `i`. As [`bare_end`], inline: the rest of a line
/// after the last key read is tens of bytes, where a call to `memchr` costs its set-up.
#[inline(always)]
fn quote_from(s: &[u8], i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        first_in_blocks(s, i, sse2::quote, |b| b == b'"')
    }
    #[cfg(not(target_arch = "x86_64"))]
    memchr::memchr(b'"', s.get(i..)?).map(|k| i + k)
}

/// The first position at or after `i` of a byte that `hits` marks (one bit per byte of a
/// 16-byte block) and `hit` says yes to (the same test, a byte at a time). Whole blocks
/// from `i`, then the last 16 bytes of the line (overlapping, the bits before the bytes
/// not yet searched shifted out) rather than a byte at a time; lines shorter than a block
/// a byte at a time.
#[inline(always)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // the searches' SSE2 form only
fn first_in_blocks(
    s: &[u8],
    i: usize,
    hits: impl Fn(&[u8; 16]) -> u32,
    hit: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut at = i;
    // Two blocks at a time while there are: a `ts` or a `msg` value of 17 to 32 bytes is
    // then one step, not one or two by its length (a branch mispredicted on every other
    // line).
    while let Some(pair) = s.get(at..at + 32) {
        let (Ok(a), Ok(b)) = (
            <&[u8; 16]>::try_from(&pair[..16]),
            <&[u8; 16]>::try_from(&pair[16..]),
        ) else {
            break;
        };
        let m = hits(a) | hits(b) << 16;
        if m != 0 {
            return Some(at + m.trailing_zeros() as usize);
        }
        at += 32;
    }
    while let Some(block) = s.get(at..at + 16) {
        let Ok(block) = <&[u8; 16]>::try_from(block) else {
            break;
        };
        let m = hits(block);
        if m != 0 {
            return Some(at + m.trailing_zeros() as usize);
        }
        at += 16;
    }
    if at >= s.len() {
        return None;
    }
    match last_block(s, at) {
        Some((block, skip)) => {
            let m = hits(block) >> skip;
            (m != 0).then(|| at + m.trailing_zeros() as usize)
        }
        None => s.get(at..)?.iter().position(|&b| hit(b)).map(|k| at + k),
    }
}

/// The line's last 16 bytes and how many of them come before `at` (to be shifted out of
/// their bitmaps), when the line is a block long or more and `at` is in them: the end of
/// a line read a block at a time without a byte-at-a-time loop.
#[inline(always)]
fn last_block(s: &[u8], at: usize) -> Option<(&[u8; 16], usize)> {
    let last = s.len().checked_sub(16)?;
    let block = <&[u8; 16]>::try_from(s.get(last..)?).ok()?;
    Some((block, at.checked_sub(last)?))
}

/// Whether the rest of `s` from `i` holds no `\` and an even number of `"`: then no quoted
/// value is left open there (each `"` closes the one before it), what [`quotes_closed`]
/// otherwise finds quote by quote (and where it is not so, where). One pass sixteen bytes
/// at a time, with no branch for each quote: the parity of the quotes is that of the
/// blocks' bitmaps XORed together, counted once.
#[inline(always)]
fn quotes_paired_plainly(s: &[u8], i: usize) -> bool {
    let (mut quotes, mut backslashes) = (0u32, 0u32);
    let mut at = i;
    while let Some(block) = s.get(at..at + 16) {
        let Ok(block) = <&[u8; 16]>::try_from(block) else {
            break;
        };
        let (q, b) = quotes_and_backslashes(block);
        quotes ^= q;
        backslashes |= b;
        at += 16;
    }
    if at < s.len() {
        // The last bytes: the line's last block with the bits already counted shifted
        // out, or a byte at a time in a line shorter than a block.
        match last_block(s, at) {
            Some((block, skip)) => {
                let (q, b) = quotes_and_backslashes(block);
                quotes ^= q >> skip;
                backslashes |= b >> skip;
            }
            None => {
                for &c in s.get(at..).unwrap_or_default() {
                    quotes ^= u32::from(c == b'"');
                    backslashes |= u32::from(c == b'\\');
                }
            }
        }
    }
    backslashes == 0 && quotes.count_ones() % 2 == 0
}

/// The bitmaps (one bit per byte) of the `"` and the `\` of a block.
#[inline(always)]
fn quotes_and_backslashes(block: &[u8; 16]) -> (u32, u32) {
    #[cfg(target_arch = "x86_64")]
    {
        sse2::quotes_and_backslashes(block)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut q, mut b) = (0, 0);
        for (k, &c) in block.iter().enumerate() {
            q |= u32::from(c == b'"') << k;
            b |= u32::from(c == b'\\') << k;
        }
        (q, b)
    }
}

/// The 16-byte tests of [`bare_end`], [`quote_from`] and [`quotes_paired_plainly`] (SSE2:
/// every x86-64 has it); [`string_end`]'s is the JSON reader's
/// (`scan::sse2_quote_or_backslash`).
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// One bit per byte that is `b' '` or below, or `"`.
    #[inline(always)]
    pub(super) fn low_or_quote(block: &[u8; 16]) -> u32 {
        // SAFETY: SSE2 is part of x86-64's baseline; `block` is 16 readable bytes and
        // the load needs no alignment.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            // Unsigned `v <= 0x20`: the minimum of the two is `v` itself.
            let low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            _mm_movemask_epi8(_mm_or_si128(low, q)) as u32
        }
    }

    /// One bit per byte that is `"`.
    #[inline(always)]
    pub(super) fn quote(block: &[u8; 16]) -> u32 {
        // SAFETY: as in `low_or_quote`.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8))) as u32
        }
    }

    /// One bit per byte that is `"`, and one per byte that is `\`.
    #[inline(always)]
    pub(super) fn quotes_and_backslashes(block: &[u8; 16]) -> (u32, u32) {
        // SAFETY: as in `low_or_quote`.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let q = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
            let b = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
            (_mm_movemask_epi8(q) as u32, _mm_movemask_epi8(b) as u32)
        }
    }
}

/// Undo Go's `strconv.Quote` escapes (the quotes already removed). Unknown escapes keep
/// the escaped character.
fn unquote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let hex = |b: &[u8]| -> Option<u32> {
        let t = std::str::from_utf8(b).ok()?;
        u32::from_str_radix(t, 16).ok()
    };
    while i < s.len() {
        if s[i] != b'\\' || i + 1 == s.len() {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let c = s[i + 1];
        i += 2;
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'v' => Some(0x0b),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            continue;
        }
        let width = match c {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => 0,
        };
        if width > 0 {
            if let Some(v) = s.get(i..i + width).and_then(hex) {
                i += width;
                if c == b'x' {
                    out.push(v as u8);
                } else {
                    let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bare value is the value `Value::infer` gives, bit for bit: generated number-like
    /// text (digits, signs, points, exponents, leading zeros, 1 to 25 bytes) and the
    /// latencies and ids of logs.
    #[test]
    fn bare_values_read_as_infer_reads_them() {
        let same = |t: &[u8]| {
            let (a, b) = (bare_value(t), Value::infer(t));
            let agree = match (&a, &b) {
                (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ => false,
            };
            assert!(
                agree,
                "{:?}: {a:?} against {b:?}",
                String::from_utf8_lossy(t)
            );
            matches!(a, Value::Float(_) | Value::Int(_))
        };
        let mut next = crate::stage::parse::xorshift(0xD1B5_4A32_D192_ED03);
        let mut numbers = 0;
        for n in 0..200_000u64 {
            let t = if n % 2 == 0 {
                let alphabet = b"0123456789012345678901234567890123456789-.e+x";
                let len = 1 + (next() % 25) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect::<Vec<u8>>()
            } else {
                let (int, frac) = (next() % 10u64.pow((next() % 19) as u32), next() % 1_000_000);
                let sign = if next().is_multiple_of(4) { "-" } else { "" };
                match next() % 3 {
                    0 => format!("{sign}{int}"),
                    1 => format!("{sign}{int}.{frac}"),
                    _ => format!("{sign}{int}.{frac:06}"),
                }
                .into_bytes()
            };
            numbers += usize::from(same(&t));
        }
        assert!(numbers > 100_000, "{numbers}");
        for word in [
            "", "info", "billing", "x1", "+1", ".5", "e3", "-", "-x", "true", "é",
        ] {
            assert!(!same(word.as_bytes()), "{word}");
        }
    }

    /// The block searches find what a byte-at-a-time search finds, from every start, in
    /// lines of 0 to 80 bytes (shorter than a block, pairs of blocks, whole blocks, a last
    /// block overlapping the one before) with the bytes they stop at anywhere.
    #[test]
    fn block_searches_agree_with_a_byte_at_a_time_search() {
        let mut next = crate::stage::parse::xorshift(0x3C6E_F372_FE94_F82B);
        let alphabet = b"ab=.\"\\ \t\x01\x7f\xc3\xa9\x20\x21";
        let mut hits = [0, 0];
        for _ in 0..20_000 {
            let len = (next() % 81) as usize;
            let line: Vec<u8> = (0..len)
                .map(|_| {
                    if next().is_multiple_of(6) {
                        alphabet[(next() % alphabet.len() as u64) as usize]
                    } else {
                        b'a' + (next() % 26) as u8
                    }
                })
                .collect();
            for i in 0..=len {
                let ends = |b: u8| b <= b' ' || b == b'"';
                let want = line[i..]
                    .iter()
                    .position(|&b| ends(b))
                    .map_or(len, |k| i + k);
                assert_eq!(bare_end(&line, i), want, "{line:?} from {i}");
                let want = line[i..].iter().position(|&b| b == b'"' || b == b'\\');
                assert_eq!(string_end(&line, i), want.map(|k| i + k), "{line:?} {i}");
                let want = line[i..].iter().position(|&b| b == b'"').map(|k| i + k);
                assert_eq!(quote_from(&line, i), want, "{line:?} from {i}");
                hits[usize::from(want.is_some())] += 1;
            }
        }
        assert!(hits[0] > 10_000 && hits[1] > 10_000, "{hits:?}");
    }

    /// The check of the rest of a line refuses what a byte-at-a-time reading of its
    /// quotes refuses (a `"` opens a value wherever it is, a `\` in one escapes the next
    /// byte), at the same opening quote: from every start of lines of 0 to 60 bytes with
    /// quotes and backslashes anywhere, few or many.
    #[test]
    fn the_rest_is_refused_where_a_quote_is_left_open() {
        let left_open = |s: &[u8], i: usize| {
            let (mut open, mut k) = (None, i);
            while k < s.len() {
                match (open, s[k]) {
                    (None, b'"') => open = Some(k),
                    (Some(_), b'"') => open = None,
                    (Some(_), b'\\') => k += 1,
                    _ => {}
                }
                k += 1;
            }
            open
        };
        let mut next = crate::stage::parse::xorshift(0xA54F_F53A_5F1D_36F1);
        let mut seen = [0, 0];
        for _ in 0..20_000 {
            let len = (next() % 61) as usize;
            let rare = 2 + next() % 20;
            let line: Vec<u8> = (0..len)
                .map(|_| match next() % rare {
                    0 => b'"',
                    1 => b'\\',
                    _ => b"a =x"[(next() % 4) as usize],
                })
                .collect();
            for i in 0..=len {
                let got = quotes_closed(&line, i).map_err(|f| f.offset);
                let want = left_open(&line, i).map_or(Ok(()), Err);
                assert_eq!(got, want, "{:?} from {i}", String::from_utf8_lossy(&line));
                seen[usize::from(want.is_err())] += 1;
            }
        }
        assert!(seen[0] > 50_000 && seen[1] > 50_000, "{seen:?}");
    }

    fn parse(line: &str) -> Result<Vec<(String, Value<'_>)>, LogfmtError> {
        let mut rec = Record::new();
        LogfmtParser::new()
            .parse(line.as_bytes(), &mut rec)
            .map_err(|f| match f.reason {
                Reason::Logfmt(e) => e,
                _ => unreachable!(),
            })?;
        Ok(rec
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect())
    }

    #[test]
    fn pairs_flags_quotes_numbers() {
        let got = parse(
            r#"level=info msg="hello \"world\"\n" took=0.5 n=42 id=007 debug empty= u="\u00e9""#,
        )
        .unwrap();
        let v = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(v("level"), Some(Value::borrowed(b"info")));
        assert_eq!(v("msg"), Some(Value::borrowed(b"hello \"world\"\n")));
        assert_eq!(v("took"), Some(Value::Float(0.5)));
        assert_eq!(v("n"), Some(Value::Int(42)));
        assert_eq!(v("id"), Some(Value::borrowed(b"007")));
        assert_eq!(v("debug"), Some(Value::Bool(true)));
        assert_eq!(v("empty"), Some(Value::borrowed(b"")));
        assert_eq!(v("u"), Some(Value::borrowed("é".as_bytes())));
        assert_eq!(got.len(), 8);
    }

    /// Keys and bare values longer than a word (the eight-bytes-at-a-time search), with
    /// blanks of every kind between pairs and a control byte inside a key and a value
    /// (kept, as before), and a `"` found past the first word of a bare value.
    #[test]
    fn long_keys_and_values_end_where_they_should() {
        let got = parse(
            "a_rather_long_key=recommendations\tservice.name.x=checkout-service-01\r\nctl\x01key=va\x02lue flag_with_long_name last=1",
        )
        .unwrap();
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "a_rather_long_key",
                "service.name.x",
                "ctl\x01key",
                "flag_with_long_name",
                "last"
            ]
        );
        assert_eq!(got[0].1, Value::borrowed(b"recommendations"));
        assert_eq!(got[1].1, Value::borrowed(b"checkout-service-01"));
        assert_eq!(got[2].1, Value::borrowed(b"va\x02lue"));
        assert_eq!(got[3].1, Value::Bool(true));
        assert_eq!(got[4].1, Value::Int(1));
        assert_eq!(parse("key=abcdefghijklmnop\"q"), Err(LogfmtError::Syntax));
        let mut rec = Record::new();
        let err = LogfmtParser::new()
            .parse(b"key=abcdefghijklmnop\"q", &mut rec)
            .unwrap_err();
        assert_eq!(err.offset, 20);
    }

    /// The fast path refuses a line cut inside a quoted value, even after the last key
    /// read; it does not check the rest's pairs otherwise (`--strict` does).
    #[test]
    fn fast_path_refuses_an_open_quote() {
        let line = r#"level=info msg="retrying \"payment\" call" latency_ms=4.2 path="/a b""#;
        let mut p = LogfmtParser::new();
        p.select(&["level"]);
        let mut rec = Record::new();
        assert!(p.parse(line.as_bytes(), &mut rec).is_ok());
        let in_quotes = |cut: usize| {
            let q = line[..cut].bytes().filter(|&b| b == b'"').count()
                - line[..cut].matches("\\\"").count();
            q % 2 == 1
        };
        let mut refused = 0;
        for cut in 11..line.len() {
            let mut rec = Record::new();
            let got = p.parse(&line.as_bytes()[..cut], &mut rec);
            assert_eq!(got.is_err(), in_quotes(cut), "{}", &line[..cut]);
            refused += usize::from(got.is_err());
        }
        assert!(refused > 20);
        // Stray text after the last key read: accepted here, refused by --strict.
        let stray = r#"level=info =x a="x"y"#;
        assert!(p.parse(stray.as_bytes(), &mut rec).is_ok());
        p.check_every_byte(true);
        assert!(p.parse(stray.as_bytes(), &mut rec).is_err());
    }

    #[test]
    fn not_logfmt() {
        assert_eq!(parse("just some words"), Err(LogfmtError::NoPairs));
        assert_eq!(parse(""), Err(LogfmtError::NoPairs));
        assert_eq!(parse(r#"a="open"#), Err(LogfmtError::UnterminatedQuote));
        assert_eq!(parse(r#"a="x\"#), Err(LogfmtError::UnterminatedQuote));
        assert_eq!(parse("=x"), Err(LogfmtError::Syntax));
        assert_eq!(parse(r#"a="x"y"#), Err(LogfmtError::Syntax));
        assert_eq!(parse(r#"a=x"y"#), Err(LogfmtError::Syntax));
        assert_eq!(parse(r#""a"=1"#), Err(LogfmtError::Syntax));
    }

    /// Selecting keys while checking every pair (`--strict`) accepts and rejects the same
    /// lines as the full parse (same reason, same offset) and builds exactly the selected
    /// pairs, in order; the fast path accepts every line the full parse accepts and
    /// builds the first pair of each selected key.
    #[test]
    fn selecting_keys_reads_the_same_lines() {
        let pieces = [
            "a=1",
            "b=x",
            "a=\"q \\\" r\"",
            "flag",
            "c=",
            "a=2.5",
            "b=\"\\u00e9\"",
            " ",
            "\t",
            "a=\"open",
            "=x",
            "b=x\"y",
            "a=\"x\"y",
            "\"k\"=1",
            "é=1",
            "a=\"x\\",
        ];
        let selections: [&[&str]; 4] = [&[], &["a"], &["b", "flag"], &["é", "c"]];
        let mut next = crate::stage::parse::xorshift(0x9E37_79B9_7F4A_7C15u64);
        let outcome = |p: &mut LogfmtParser, line: &str| {
            let mut rec = Record::new();
            p.parse(line.as_bytes(), &mut rec)
                .map(|()| {
                    rec.iter()
                        .map(|(k, v)| (k.to_string(), format!("{v:?}")))
                        .collect::<Vec<_>>()
                })
                .map_err(|f| (f.reason, f.offset))
        };
        let (mut ok, mut failed) = (0, 0);
        for _ in 0..50_000 {
            let n = 1 + next() % 6;
            let line = (0..n)
                .map(|_| {
                    let i = (next() % pieces.len() as u64) as usize;
                    // Broken pairs are the last ones: pick them rarely.
                    pieces[if i >= 9 && !next().is_multiple_of(6) {
                        i - 9
                    } else {
                        i
                    }]
                })
                .collect::<Vec<_>>()
                .join(" ");
            let want = outcome(&mut LogfmtParser::new(), &line);
            for sel in selections {
                let mut p = LogfmtParser::new();
                p.select(sel);
                p.check_every_byte(true);
                let want = want.clone().map(|f| {
                    f.into_iter()
                        .filter(|(k, _)| sel.contains(&k.as_str()))
                        .collect::<Vec<_>>()
                });
                assert_eq!(outcome(&mut p, &line), want, "{line} selecting {sel:?}");
                if let Ok(fields) = want {
                    let mut first: Vec<(String, String)> = Vec::new();
                    for (k, v) in fields {
                        if !first.iter().any(|(n, _)| *n == k) {
                            first.push((k, v));
                        }
                    }
                    p.check_every_byte(false);
                    assert_eq!(outcome(&mut p, &line), Ok(first), "{line} fast, {sel:?}");
                }
            }
            if want.is_ok() {
                ok += 1;
            } else {
                failed += 1;
            }
        }
        assert!(ok > 1000 && failed > 1000, "{ok} parsed, {failed} failed");
    }

    /// The keys remembered from the lines before change nothing: a fast parser carried
    /// across generated lines (mostly the same keys in the same order, then keys swapped,
    /// renamed to keys sharing their start, flags, a control byte in a key, keys of 15
    /// to 17 bytes, lines cut or with a byte changed) reads every line as a fresh one
    /// does: the same fields, the same failures at the same offsets.
    #[test]
    fn remembered_keys_read_the_same_lines_as_fresh_ones() {
        let keys = [
            "ts",
            "level",
            "service",
            "latency_ms",
            "levels",
            "leve",
            "fifteen_bytes_k",
            "sixteen_bytes_ke",
            "seventeen_bytes_k",
            "lev\x01l",
        ];
        let values = ["info", "4.293", "\"user 1 in\"", "\"q \\\" r\"", "", "/a/b"];
        let selections: [&[&str]; 3] = [
            &["level"],
            &["service", "latency_ms"],
            &["levels", "fifteen_bytes_k", "lev\x01l"],
        ];
        let outcome = |p: &mut LogfmtParser, line: &[u8]| {
            let mut rec = Record::new();
            p.parse(line, &mut rec)
                .map(|()| {
                    rec.iter()
                        .map(|(k, v)| (k.to_string(), format!("{v:?}")))
                        .collect::<Vec<_>>()
                })
                .map_err(|f| (f.reason, f.offset))
        };
        let selecting = |sel: &[&str]| {
            let mut p = LogfmtParser::new();
            p.select(sel);
            p
        };
        let mut carried: Vec<LogfmtParser> = selections.iter().map(|s| selecting(s)).collect();
        let mut next = crate::stage::parse::xorshift(0xBB67_AE85_84CA_A73B);
        let mut order: Vec<usize> = vec![0, 1, 2, 3];
        let mut seen = [0, 0];
        for _ in 0..30_000 {
            crate::stage::parse::json_skim::drift(&mut order, keys.len(), &mut next);
            let mut line = Vec::new();
            for &k in &order {
                line.extend_from_slice(keys[k].as_bytes());
                // A flag now and then, else `key=value`.
                if !next().is_multiple_of(10) {
                    line.push(b'=');
                    line.extend_from_slice(
                        values[(next() % values.len() as u64) as usize].as_bytes(),
                    );
                }
                line.push(b' ');
            }
            match next() % 10 {
                0 => line.truncate((next() as usize) % line.len()),
                1 => {
                    let at = (next() as usize) % line.len();
                    line[at] = b"= \"\\\x01ax"[(next() % 7) as usize];
                }
                _ => {}
            }
            for (sel, p) in selections.iter().zip(&mut carried) {
                let want = outcome(&mut selecting(sel), &line);
                assert_eq!(
                    outcome(p, &line),
                    want,
                    "{:?} {sel:?}",
                    String::from_utf8_lossy(&line)
                );
                seen[usize::from(want.is_err())] += 1;
            }
        }
        let [read, refused] = seen;
        assert!(
            read > 50_000 && refused > 5_000,
            "{read} read, {refused} refused"
        );
    }
}
