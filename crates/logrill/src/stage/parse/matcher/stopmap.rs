//! Where a line's stop bytes are, found in one pass before the fast path walks the line.
//!
//! A format's delimited fields end at a few kinds of byte: the first byte of the literal
//! after them (a space, a quote), and the bytes their class may not hold or that escape
//! (`"`, `\`, a space for a word). The fast path used to look for each field's end on its
//! own, eight bytes at a time and then with memchr: a set-up and a loop exit (a branch the
//! processor guesses wrong) per field, nine or more per line of `combined`. Here the line
//! is compared once against up to four bytes chosen for the program ([`StopBytes`]), 64
//! bytes at a time, into one bit per byte and kind ([`StopMap`]); a field's end is then
//! the lowest set bit of its kinds from where it starts ([`StopMap::find`]), a few
//! instructions, whatever the field's length.
//!
//! It only finds the same stop byte [`Stops::find`](super::super::scan::Stops::find) would:
//! the walk that uses it applies the same rules as before, so the same lines match with
//! the same values.
//!
//! The compare runs 32 bytes at a time with AVX2 when the processor has it
//! ([`StopBytes::new`] asks once), else 16 at a time with SSE2 (every x86-64 has it);
//! elsewhere a byte at a time. The last, partial 64 bytes are the line's last 64 bytes read
//! again with the bits already seen shifted out (balance.rs does the same); a line shorter
//! than 64 bytes is copied into a zeroed block.

/// How many kinds of stop byte a map holds.
pub(crate) const KINDS: usize = 4;

/// The bytes a program's fast path stops at (up to [`KINDS`]), and how to look for them on
/// this processor. Chosen once per program.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct StopBytes {
    bytes: [u8; KINDS],
    len: u8,
    /// AVX2 is there (see [`StopBytes::new`]).
    wide: bool,
}

/// Which kinds of a [`StopMap`] one field stops at: all ones for a kind it stops at, zero
/// for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sel([u64; KINDS]);

impl StopBytes {
    /// The bytes of `sets` (one set per field; the bytes that end it), most used first, up
    /// to [`KINDS`]; a field whose set is not all among them is found the old way
    /// ([`StopBytes::sel`] gives `None`).
    pub(crate) fn new<'s>(sets: impl IntoIterator<Item = &'s [u8]>) -> StopBytes {
        let mut uses = [0u32; 256];
        let mut order = Vec::new();
        for set in sets {
            for &b in set {
                if uses[b as usize] == 0 {
                    order.push(b);
                }
                uses[b as usize] += 1;
            }
        }
        // Stable: on a tie the byte seen first stays first.
        order.sort_by_key(|&b| std::cmp::Reverse(uses[b as usize]));
        order.truncate(KINDS);
        let mut bytes = [0u8; KINDS];
        bytes[..order.len()].copy_from_slice(&order);
        StopBytes {
            bytes,
            len: order.len() as u8,
            wide: wide_ok(),
        }
    }

    /// The same bytes, looked for 16 bytes at a time (or a byte at a time off x86-64)
    /// whatever the processor has: for tests.
    #[cfg(test)]
    pub(crate) fn narrow(self) -> StopBytes {
        StopBytes {
            wide: false,
            ..self
        }
    }

    /// Whether there is anything to look for.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kinds a field whose end is one of `set` stops at; `None` if one of them is not
    /// among these bytes.
    pub(crate) fn sel(&self, set: &[u8]) -> Option<Sel> {
        let mut sel = [0u64; KINDS];
        for b in set {
            let k = self.bytes[..self.len as usize]
                .iter()
                .position(|x| x == b)?;
            sel[k] = !0;
        }
        Some(Sel(sel))
    }
}

/// Blocks a [`StopMap`] keeps allocated between lines (2 048 blocks: lines of 128 KiB,
/// 64 KiB of map).
const KEEP_BLOCKS: usize = 2048;

/// One bit per byte of a line for each kind of stop byte: bit `i % 64` of `words[i / 64][k]`
/// is set when byte `i` is the `k`th byte of the [`StopBytes`]. Bits past the line's end
/// are clear. Kept in the parser's scratch space, line after line.
#[derive(Debug, Clone, Default)]
pub(crate) struct StopMap {
    words: Vec<[u64; KINDS]>,
}

impl StopMap {
    /// Map `line`.
    #[inline]
    pub(crate) fn fill(&mut self, line: &[u8], stops: &StopBytes) {
        self.words.clear();
        // One very long line (up to the 64 MiB line limit) would otherwise leave half its
        // length allocated for the rest of the run; ordinary lines fit in 64 KiB.
        if self.words.capacity() > KEEP_BLOCKS && line.len() <= KEEP_BLOCKS * 64 {
            self.words.shrink_to(KEEP_BLOCKS);
        }
        #[cfg(target_arch = "x86_64")]
        {
            if stops.wide {
                // SAFETY: `wide` is only set by `StopBytes::new` after checking that the
                // processor has AVX2.
                return unsafe { x86::fill_avx2(&mut self.words, line, stops) };
            }
            // SAFETY: the function only needs SSE2, which every x86-64 processor has.
            unsafe { x86::fill_sse2(&mut self.words, line, stops) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        fill_bytes(&mut self.words, line, stops)
    }

    /// The first position at or after `from` of a byte of `sel`'s kinds.
    #[inline(always)]
    pub(crate) fn find(&self, sel: &Sel, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = pick(self.words.get(w)?, sel) & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = pick(self.words.get(w)?, sel);
        }
    }
}

/// The bits of `word`'s kinds that `sel` holds.
#[inline(always)]
fn pick(word: &[u64; KINDS], sel: &Sel) -> u64 {
    (word[0] & sel.0[0]) | (word[1] & sel.0[1]) | (word[2] & sel.0[2]) | (word[3] & sel.0[3])
}

#[cfg(target_arch = "x86_64")]
fn wide_ok() -> bool {
    is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn wide_ok() -> bool {
    false
}

/// A byte at a time: off x86-64, and the reference the tests hold the others to.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn fill_bytes(words: &mut Vec<[u64; KINDS]>, line: &[u8], stops: &StopBytes) {
    words.resize(line.len().div_ceil(64), [0; KINDS]);
    // All the kinds, as the compares do (a kind not looked for is zero: no field stops at
    // it).
    for (i, b) in line.iter().enumerate() {
        for (k, _) in stops.bytes.iter().enumerate().filter(|(_, x)| *x == b) {
            words[i / 64][k] |= 1 << (i % 64);
        }
    }
}

/// The line in 64-byte blocks, each mapped by `block` (the bits of each kind), the last
/// partial block as the line's last 64 bytes with the bits already seen shifted out.
///
/// `block` compares with all [`KINDS`] bytes even when fewer are looked for (the others
/// are zero, and no field stops at them): a loop of fixed length, unrolled, costs less
/// than one that asks how many there are.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn blocks(
    words: &mut Vec<[u64; KINDS]>,
    line: &[u8],
    mut block: impl FnMut(&[u8; 64]) -> [u64; KINDS],
) {
    let mut chunks = line.chunks_exact(64);
    for chunk in &mut chunks {
        if let Ok(b) = <&[u8; 64]>::try_from(chunk) {
            words.push(block(b));
        }
    }
    let left = chunks.remainder().len();
    if left == 0 {
        return;
    }
    let last = match <&[u8; 64]>::try_from(&line[line.len().saturating_sub(64)..]) {
        Ok(tail) => block(tail).map(|m| m >> (64 - left)),
        Err(_) => {
            let mut short = [0u8; 64];
            short[..left].copy_from_slice(chunks.remainder());
            // The zero bytes after the line are not its bytes, even if zero is a stop.
            block(&short).map(|m| m & (!0u64 >> (64 - left)))
        }
    };
    words.push(last);
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{blocks, StopBytes, KINDS};
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8,
        _mm256_set1_epi8, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };

    /// Sixteen bytes at a time (SSE2 is part of x86-64's baseline).
    #[target_feature(enable = "sse2")]
    pub(super) fn fill_sse2(words: &mut Vec<[u64; KINDS]>, line: &[u8], stops: &StopBytes) {
        let splat = stops.bytes.map(|b| _mm_set1_epi8(b as i8));
        blocks(words, line, |block| {
            // SAFETY: bytes q * 16 .. q * 16 + 16 of a 64-byte array; the load needs no
            // alignment.
            let quarter =
                |q: usize| unsafe { _mm_loadu_si128(block.as_ptr().add(q * 16).cast::<__m128i>()) };
            let v = [quarter(0), quarter(1), quarter(2), quarter(3)];
            let mut out = [0u64; KINDS];
            for (k, o) in out.iter_mut().enumerate() {
                let bits =
                    |q: usize| _mm_movemask_epi8(_mm_cmpeq_epi8(v[q], splat[k])) as u16 as u64;
                *o = bits(0) | bits(1) << 16 | bits(2) << 32 | bits(3) << 48;
            }
            out
        })
    }

    /// Thirty-two bytes at a time (for a processor that has AVX2).
    #[target_feature(enable = "avx2")]
    pub(super) fn fill_avx2(words: &mut Vec<[u64; KINDS]>, line: &[u8], stops: &StopBytes) {
        let splat = stops.bytes.map(|b| _mm256_set1_epi8(b as i8));
        blocks(words, line, |block| {
            // SAFETY: bytes h * 32 .. h * 32 + 32 of a 64-byte array; the load needs no
            // alignment.
            let half = |h: usize| unsafe {
                _mm256_loadu_si256(block.as_ptr().add(h * 32).cast::<__m256i>())
            };
            let (lo, hi) = (half(0), half(1));
            let mut out = [0u64; KINDS];
            for (k, o) in out.iter_mut().enumerate() {
                let bits =
                    |v: __m256i| _mm256_movemask_epi8(_mm256_cmpeq_epi8(v, splat[k])) as u32 as u64;
                *o = bits(lo) | bits(hi) << 32;
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each way of filling the map gives the byte-at-a-time map, and `find` the first stop
    /// a plain search finds, at every length around the block sizes and from every start.
    #[test]
    fn maps_agree_with_a_plain_search() {
        let mut next = crate::stage::parse::xorshift(0x5EED_0F57_0B5E_ED01);
        let alphabet = b"  \"\\a?b\0-";
        // Four bytes looked for, and two (the others' compares see the line's zero bytes).
        let four: &[&[u8]] = &[b" \"\\", b"\"\\", b"\0", b"\0\" "];
        let two: &[&[u8]] = &[b"\"\\", b"\""];
        for sets in [four, two] {
            let stops = StopBytes::new(sets.iter().copied());
            assert!(!stops.is_empty());
            assert_eq!(stops.sel(b"x"), None);
            let sels: Vec<Sel> = sets.iter().filter_map(|s| stops.sel(s)).collect();
            assert_eq!(sels.len(), sets.len());
            let mut map = StopMap::default();
            let mut reference = Vec::new();
            for len in (0..200).chain([255, 256, 257, 1000]) {
                for _ in 0..8 {
                    let line: Vec<u8> = (0..len)
                        .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                        .collect();
                    reference.clear();
                    fill_bytes(&mut reference, &line, &stops);
                    for way in [stops, stops.narrow()] {
                        map.fill(&line, &way);
                        assert_eq!(map.words, reference, "{len} {line:?}");
                    }
                    for (sel, set) in sels.iter().zip(sets) {
                        for from in 0..=len {
                            let want = line[from..]
                                .iter()
                                .position(|b| set.contains(b))
                                .map(|k| k + from);
                            assert_eq!(map.find(sel, from), want, "{len} {from} {line:?}");
                        }
                    }
                }
            }
        }
    }

    /// A very long line does not leave its map allocated: the next ordinary line shrinks
    /// it back, and the map is still right.
    #[test]
    fn a_long_line_does_not_keep_its_map() {
        let stops = StopBytes::new([&b" "[..], b"\""]);
        let sel = stops.sel(b" ").expect("space is a stop byte");
        let mut map = StopMap::default();
        let long = vec![b'a'; 4 << 20];
        map.fill(&long, &stops);
        assert!(map.words.capacity() >= (4 << 20) / 64);
        map.fill(b"GET / HTTP/1.1", &stops);
        assert!(
            map.words.capacity() <= KEEP_BLOCKS,
            "{}",
            map.words.capacity()
        );
        assert_eq!(map.find(&sel, 0), Some(3));
        assert_eq!(map.find(&sel, 4), Some(5));
        assert_eq!(map.find(&sel, 6), None);
    }

    /// More than four kinds of byte: the most used are kept (the first seen on a tie).
    #[test]
    fn the_most_used_bytes_are_kept() {
        let stops = StopBytes::new([&b"ab"[..], b"bc", b"cd", b"de", b"b", b"d"]);
        assert!(stops.sel(b"abcd").is_some());
        assert_eq!(stops.sel(b"e"), None);
        assert_eq!(stops.sel(b"de"), None);
    }
}
