//! Where a JSON value stepped over closes, 64 bytes at a time: the fast path's balance
//! check (see [`close_of_value`](super::scan::close_of_value) for the rule, which this
//! follows exactly), with AVX2, carry-less multiplication and popcount when the processor
//! has them (simdjson's first stage, for one value).
//!
//! Measured on the 1.5 M-line applogs file (`bench/RESULTS.md`): the sixteen-byte SSE2
//! loop took about two thirds of `parse json | count`'s CPU; the per-byte work there is
//! small, what costs is the work per block and per bracket. Here a block is 64 bytes:
//! * two 32-byte compares per kind of byte give 64-bit masks of quotes, backslashes and
//!   brackets (`{`/`[` and `}`/`]` folded together by clearing bit 5);
//! * the bytes escaped by a `\` come from the backslash runs of odd length, found with
//!   one addition (simdjson's `find_escaped`), in or out of strings as in the rule;
//! * the bytes inside strings are the prefix XOR of the unescaped quotes, one carry-less
//!   multiplication by all ones;
//! * the depth moves by the popcounts of the brackets outside strings; only a block with
//!   as many closing brackets as the depth (where the value may close) is walked bracket
//!   by bracket.
//!
//! The last, partial block is the 64 bytes that end the text, read again and shifted so
//! that the bytes already seen drop out (no copy into a padded buffer); text shorter than
//! 64 bytes is copied into one.
//!
//! [`Closer::detect`] chooses this path at run time (`is_x86_feature_detected!`); without
//! those features, or on another architecture, the sixteen-byte loop of
//! [`close_of_value`](super::scan::close_of_value) runs. Tests run both and compare.

use super::scan::close_of_value;

/// Which balance check a parser uses, chosen once (when the parser is made) from what the
/// processor has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closer {
    /// AVX2, PCLMULQDQ and POPCNT are there: the 64-byte blocks.
    wide: bool,
}

impl Default for Closer {
    fn default() -> Closer {
        Closer::detect()
    }
}

impl Closer {
    /// The widest check this processor runs.
    pub(crate) fn detect() -> Closer {
        Closer { wide: wide_ok() }
    }

    /// The sixteen-byte loop, whatever the processor (for tests and comparisons).
    #[cfg(test)]
    pub(crate) fn narrow() -> Closer {
        Closer { wide: false }
    }

    /// Whether this is the 64-byte check.
    #[cfg(test)]
    pub(crate) fn is_wide(self) -> bool {
        self.wide
    }

    /// [`close_of_value`] for a value outside strings: from `i`, inside `depth` open
    /// brackets, the position after the bracket that closes the outermost, or
    /// `Err(s.len())`.
    #[inline]
    pub(crate) fn close(self, s: &[u8], i: usize, depth: u32) -> Result<usize, usize> {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: `wide` is only set by `detect`, after checking that the processor
            // has AVX2, PCLMULQDQ and POPCNT.
            return unsafe { wide::close(s, i, depth) };
        }
        close_of_value(s, i, depth, false)
    }

    /// [`Closer::close`] for the rest of a line whose last byte should close the value
    /// (the fast path's check after the last member read): the same answer, found
    /// without walking the brackets one by one when the rest is, outside strings, pairs
    /// of brackets one deep (`{…}`, `[…]`) and then that last byte, as in log lines.
    #[inline]
    pub(crate) fn close_at_end(self, s: &[u8], i: usize, depth: u32) -> Result<usize, usize> {
        #[cfg(target_arch = "x86_64")]
        if self.wide && depth == 1 {
            // SAFETY: as in `close`.
            if unsafe { wide::pairs_then_last(s, i) } {
                return Ok(s.len());
            }
        }
        self.close(s, i, depth)
    }
}

#[cfg(target_arch = "x86_64")]
fn wide_ok() -> bool {
    is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("pclmulqdq")
        && is_x86_feature_detected!("popcnt")
}

#[cfg(not(target_arch = "x86_64"))]
fn wide_ok() -> bool {
    false
}

/// The bytes escaped by a backslash in a block, given the backslashes and whether the
/// block's first byte is escaped (`carry`, updated for the next block): the byte after
/// each run of backslashes of odd length, counting from the run's start (simdjson's
/// `find_escaped_branchless`). Portable: the x86 path inlines it.
#[inline(always)]
fn escaped_bytes(backslash: u64, carry: &mut u64) -> u64 {
    const EVEN: u64 = 0x5555_5555_5555_5555;
    // An escaped first byte that is a backslash starts no run.
    let backslash = backslash & !*carry;
    let follows = (backslash << 1) | *carry;
    // Runs that start on an odd bit: adding the backslashes carries each run's start to
    // the byte after it, which tells whether the run's length is odd.
    let odd_starts = backslash & !EVEN & !follows;
    let (even_starts, overflow) = odd_starts.overflowing_add(backslash);
    *carry = u64::from(overflow);
    let invert = even_starts << 1;
    (EVEN ^ invert) & follows
}

#[cfg(target_arch = "x86_64")]
mod wide {
    //! See the module's comment; [`pairs_then_last`] is the check of a line's rest that
    //! needs no walk over its brackets.
    use super::escaped_bytes;
    use crate::stage::parse::scan::walk_brackets;
    use std::arch::x86_64::{
        __m256i, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x,
    };

    /// One bit per byte of a 64-byte block.
    struct Masks {
        quote: u64,
        backslash: u64,
        open: u64,
        close: u64,
    }

    /// The masks of the 64 bytes at `block`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn masks(block: &[u8; 64]) -> Masks {
        let half = |k: usize| {
            // SAFETY: bytes k..k + 32 of a 64-byte array (k is 0 or 32); the load needs no
            // alignment.
            unsafe { _mm256_loadu_si256(block.as_ptr().add(k).cast::<__m256i>()) }
        };
        let (lo, hi) = (half(0), half(32));
        let eq = |v: __m256i, b: u8| {
            _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b as i8))) as u32 as u64
        };
        let both = |f: &dyn Fn(__m256i) -> u64| f(lo) | (f(hi) << 32);
        // `{` and `}` are `[` and `]` with bit 5 set.
        let fold = |v: __m256i| _mm256_and_si256(v, _mm256_set1_epi8(0xDFu8 as i8));
        Masks {
            quote: both(&|v| eq(v, b'"')),
            backslash: both(&|v| eq(v, b'\\')),
            open: both(&|v| eq(fold(v), b'[')),
            close: both(&|v| eq(fold(v), b']')),
        }
    }

    /// Bit k set where bits 0..=k of `m` hold an odd number of ones.
    #[target_feature(enable = "pclmulqdq")]
    #[inline]
    fn prefix_xor(m: u64) -> u64 {
        let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, m as i64), _mm_set1_epi8(-1), 0);
        _mm_cvtsi128_si64(product) as u64
    }

    /// Whether from `i`, inside one open bracket, the bytes of `s` up to its last hold
    /// outside strings only pairs of brackets one deep (an opening one then a closing
    /// one, kinds not matched) and the last byte closes: then the value closes exactly
    /// there, `close(s, i, 1) == Ok(s.len())` (the same rules: strings stepped over, a `\`
    /// escaping the next byte). `false` says nothing (deeper nesting, a line cut short,
    /// more than 256 bytes, a line shorter than the blocks): [`close`] answers then.
    ///
    /// Why: the rest is taken in one to four blocks by its length (the last one the
    /// line's last 64 bytes, those seen before masked off), and the brackets checked all at
    /// once, without the branches of [`close`]'s walk, whose count per line varies with
    /// the lengths of the values: the pairs are the brackets' own "strings" (the prefix
    /// XOR of the brackets, as for the quotes, is one at each opening bracket and zero at
    /// each closing one exactly when they alternate).
    ///
    /// # Safety
    /// The processor must have AVX2, PCLMULQDQ and POPCNT.
    #[target_feature(enable = "avx2,pclmulqdq,popcnt")]
    pub(super) unsafe fn pairs_then_last(s: &[u8], i: usize) -> bool {
        let rest = s.len().saturating_sub(i);
        if rest == 0 {
            return false;
        }
        if rest <= 128 && s.len() >= 128 {
            // Two blocks whatever the rest's length, so that the choice does not depend
            // on it line by line.
            return pairs_then_last_in::<2, true>(s, i);
        }
        match rest.div_ceil(64) {
            1 => pairs_then_last_in::<1, false>(s, i),
            2 => pairs_then_last_in::<2, false>(s, i),
            3 => pairs_then_last_in::<3, false>(s, i),
            4 => pairs_then_last_in::<4, false>(s, i),
            _ => false,
        }
    }

    /// [`pairs_then_last`] over `N` blocks of the rest from `i`: the line's last `64 * N`
    /// bytes (`FROM_END`; those before `i` masked off, all of a block if need be), or
    /// `N - 1` blocks from `i` then the line's last 64 bytes (the rest is then more than
    /// `64 * (N - 1)` and at most `64 * N` bytes; the last block's bytes seen before
    /// masked off).
    #[target_feature(enable = "avx2,pclmulqdq,popcnt")]
    #[inline]
    fn pairs_then_last_in<const N: usize, const FROM_END: bool>(s: &[u8], i: usize) -> bool {
        let (mut carry, mut inside, mut pairs, mut bad) = (0u64, 0u64, 0u64, 0u64);
        for k in 0..N {
            // Where the block starts, and its first byte not seen before.
            let (at, from) = if FROM_END {
                let at = s.len().wrapping_sub(64 * (N - k));
                (at, i.max(at))
            } else if k + 1 < N {
                (i + 64 * k, i + 64 * k)
            } else {
                (s.len().wrapping_sub(64), i + 64 * k)
            };
            let Some(Ok(block)) = s.get(at..at.wrapping_add(64)).map(<&[u8; 64]>::try_from) else {
                return false;
            };
            let skip = (from - at) as u32;
            // The bytes not seen before: the block's from bit `skip` (the bits below
            // cleared), but the last block after others is shifted down to bit 0, where
            // an escape carried in applies (`escaped_bytes` takes it at an even bit).
            let (shift, valid) = if !FROM_END && k + 1 == N {
                (skip, u64::MAX)
            } else {
                (0, u64::MAX.checked_shl(skip).unwrap_or(0))
            };
            let m = masks(block);
            let bits = |m: u64| (m >> shift) & valid;
            let escaped = escaped_bytes(bits(m.backslash), &mut carry);
            let quote = bits(m.quote) & !escaped;
            let within = prefix_xor(quote) ^ inside;
            inside = ((within as i64) >> 63) as u64;
            let open = bits(m.open) & !escaped & !within;
            let mut close = bits(m.close) & !escaped & !within;
            if k == N - 1 {
                // The line's last byte must close, and is left out of the pairs.
                let last = 1u64 << (63 - shift);
                bad |= !close & last;
                close &= !last;
            }
            // One at each bracket preceded (itself counted) by an odd number of them.
            let odd = prefix_xor(open | close) ^ pairs;
            pairs = ((odd as i64) >> 63) as u64;
            bad |= (open & !odd) | (close & odd);
        }
        bad == 0 && pairs == 0
    }

    /// See [`Closer::close`](super::Closer::close).
    ///
    /// # Safety
    /// The processor must have AVX2, PCLMULQDQ and POPCNT.
    #[target_feature(enable = "avx2,pclmulqdq,popcnt")]
    pub(super) unsafe fn close(s: &[u8], mut i: usize, mut depth: u32) -> Result<usize, usize> {
        // Bytes of the previous block inside a string (all ones) or not (zero).
        let mut inside: u64 = 0;
        // The next block's first byte is escaped (1) or not (0).
        let mut carry: u64 = 0;
        while i < s.len() {
            let left = s.len() - i;
            let (m, shift) = match <&[u8; 64]>::try_from(s.get(i..i + 64).unwrap_or(&[])) {
                Ok(block) => (masks(block), 0),
                Err(_) => match <&[u8; 64]>::try_from(&s[s.len().saturating_sub(64)..]) {
                    // The last 64 bytes, those before `i` shifted out.
                    Ok(tail) => (masks(tail), 64 - left),
                    Err(_) => {
                        let mut short = [0u8; 64];
                        short[..left].copy_from_slice(&s[i..]);
                        (masks(&short), 0)
                    }
                },
            };
            let escaped = if m.backslash != 0 || carry != 0 {
                escaped_bytes(m.backslash >> shift, &mut carry)
            } else {
                0
            };
            let quote = (m.quote >> shift) & !escaped;
            let within = prefix_xor(quote) ^ inside;
            inside = ((within as i64) >> 63) as u64;
            let open = (m.open >> shift) & !escaped & !within;
            let close = (m.close >> shift) & !escaped & !within;
            let closes = close.count_ones();
            if closes < depth {
                // The value cannot close in this block.
                depth = depth + open.count_ones() - closes;
            } else if let Some(k) = walk_brackets(open, close, &mut depth) {
                return Ok(i + k as usize + 1);
            }
            i += 64;
        }
        Err(s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The escaped bytes of a block, one bit at a time, as `close_of_value` reads them.
    fn escaped_plain(backslash: u64, carry_in: bool) -> (u64, bool) {
        let mut escaped: u128 = u128::from(carry_in);
        for k in 0..64 {
            if backslash & (1 << k) != 0 && escaped & (1 << k) == 0 {
                escaped |= 1 << (k + 1);
            }
        }
        (escaped as u64, escaped & (1 << 64) != 0)
    }

    /// The branch-free escapes agree with the byte-by-byte rule on random and run-heavy
    /// backslash masks, with and without an escape carried in.
    #[test]
    fn escaped_bytes_agree_with_a_plain_reading() {
        let mut next = crate::stage::parse::xorshift(0x5DEE_CE66_D1CE_4E5B);
        for n in 0..200_000 {
            let m = match n % 4 {
                0 => next(),
                1 => next() & next(),
                2 => next() | next(),
                _ => {
                    // A run of backslashes of some length at some place.
                    let (at, len) = (next() % 64, next() % 66);
                    let run = if len >= 64 {
                        u64::MAX
                    } else {
                        (1u64 << len) - 1
                    };
                    run << at
                }
            };
            for carry_in in [false, true] {
                let mut carry = u64::from(carry_in);
                let got = escaped_bytes(m, &mut carry);
                let (want, carry_out) = escaped_plain(m, carry_in);
                assert_eq!((got, carry != 0), (want, carry_out), "{m:#x} {carry_in}");
            }
        }
    }

    #[test]
    fn this_machine_runs_the_wide_path() {
        // The benchmark figures are for the wide path; on a processor without AVX2 this
        // says so rather than passing while testing the narrow path twice.
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("pclmulqdq") {
            assert!(Closer::detect().is_wide());
        }
        assert!(!Closer::narrow().is_wide());
    }

    /// Both paths agree with each other (the narrow one is itself tested against a
    /// byte-at-a-time reading in `scan`) on generated text around the block sizes: runs
    /// of backslashes and escaped quotes across 64-byte boundaries, brackets inside
    /// strings, every start and several depths, lengths 0 to 200.
    #[test]
    fn wide_and_narrow_agree() {
        let wide = Closer::detect();
        let narrow = Closer::narrow();
        let alphabet = b"{}[]\"\\\\\\\"ab,: ";
        let mut next = crate::stage::parse::xorshift(0xA076_1D64_78BD_642F);
        let mut closed = 0;
        for n in 0..40_000 {
            let len = match n % 3 {
                0 => (next() % 201) as usize,
                // Around the block sizes.
                _ => [
                    15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 192, 193,
                ][(next() % 15) as usize],
            };
            // Mostly letters with some structure, or dense structure.
            let dense = next().is_multiple_of(3);
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    if dense || next().is_multiple_of(4) {
                        alphabet[(next() % alphabet.len() as u64) as usize]
                    } else {
                        b'x'
                    }
                })
                .collect();
            for from in [0, 1, 2, 30, 63, 64, 65, 100] {
                if from > len {
                    continue;
                }
                for depth in 1..4 {
                    let want = narrow.close(&s, from, depth);
                    assert_eq!(
                        wide.close(&s, from, depth),
                        want,
                        "{:?} from {from} depth {depth}",
                        String::from_utf8_lossy(&s)
                    );
                    closed += usize::from(want.is_ok());
                }
            }
        }
        assert!(closed > 10_000, "only {closed} closed");
    }

    /// The check of a line's rest without the bracket walk ([`Closer::close_at_end`])
    /// answers what the sixteen-byte loop answers, at every start, on generated rests of
    /// log lines: members with strings holding brackets, escaped quotes and backslash
    /// runs, nested objects and arrays one or two deep, lengths from a few bytes to past
    /// 256 (one to four blocks, and lines shorter than the blocks), then the closing
    /// brace, or that line cut, or with a byte changed. The pairs check must have taken
    /// most of the lines that close (else this would test the walk against itself).
    #[test]
    fn the_rest_without_the_walk_closes_where_the_walk_does() {
        let (wide, narrow) = (Closer::detect(), Closer::narrow());
        let values = [
            r#""plain""#,
            r#""q\"uo\"te""#,
            r#""run\\\\""#,
            r#""{[}]""#,
            r#"{"id":95847,"plan":"team"}"#,
            r#"[1,"]",{"a":"}"}]"#,
            r#"{"a":{"b":[]}}"#,
            "[]",
            "{}",
            "12.5",
        ];
        let mut next = crate::stage::parse::xorshift(0xD1B5_4A32_D192_ED03);
        let (mut fast, mut closed) = (0, 0);
        for n in 0..30_000 {
            let mut line = String::from(r#"{"ts":"2025-12-05T02:00:00.534Z""#);
            for k in 0..1 + next() % 6 {
                let v = values[(next() % values.len() as u64) as usize];
                line.push_str(&format!(r#","k{k}":{v}"#));
            }
            line.push_str(&format!(r#","path":"/{}"}}"#, "p".repeat(n % 90)));
            let mut b = line.into_bytes();
            match next() % 6 {
                0 => b.truncate(1 + (next() as usize) % (b.len() - 1)),
                1 => {
                    let at = (next() as usize) % b.len();
                    b[at] = br#"{}[]"\ax"#[(next() % 8) as usize];
                }
                _ => {}
            }
            for _ in 0..3 {
                let i = 1 + (next() as usize) % b.len();
                let want = narrow.close(&b, i, 1);
                assert_eq!(
                    wide.close_at_end(&b, i, 1),
                    want,
                    "{:?} from {i}",
                    String::from_utf8_lossy(&b)
                );
                closed += usize::from(want == Ok(b.len()));
                #[cfg(target_arch = "x86_64")]
                if wide.is_wide() {
                    // SAFETY: `is_wide` says the processor has what it needs.
                    fast += usize::from(unsafe { wide::pairs_then_last(&b, i) });
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if wide.is_wide() {
            assert!(fast * 2 > closed && closed > 10_000, "{fast} of {closed}");
        }
    }

    /// Backslash runs of every length ending just before, on and after each 64-byte
    /// boundary, then a quote and a closing brace: the quote is escaped exactly when the
    /// run is odd, whichever block the run starts in.
    #[test]
    fn backslash_runs_across_block_boundaries() {
        let wide = Closer::detect();
        for boundary in [64usize, 128] {
            for run in 0..70usize {
                for end in boundary.saturating_sub(3)..boundary + 3 {
                    if end < run + 2 {
                        continue;
                    }
                    // `{"` then padding, the run of backslashes ending at `end`, then
                    // `"}` and a `}` after that.
                    let mut s = vec![b'a'; end - run];
                    s[0] = b'{';
                    s[1] = b'"';
                    s.extend(std::iter::repeat_n(b'\\', run));
                    s.extend_from_slice(b"\"}x\"}");
                    let want = Closer::narrow().close(&s, 1, 1);
                    assert_eq!(wide.close(&s, 1, 1), want, "run {run} end {end}");
                    // Odd: the quote is escaped, the string ends at the last quote.
                    let first_close = end + 1;
                    let expected = if run % 2 == 0 {
                        first_close + 1
                    } else {
                        s.len()
                    };
                    assert_eq!(want, Ok(expected), "run {run} end {end}");
                }
            }
        }
    }
}
