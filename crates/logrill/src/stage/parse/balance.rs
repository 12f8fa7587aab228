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
