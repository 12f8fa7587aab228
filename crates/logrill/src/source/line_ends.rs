//! Every line end of a batch, found 64 bytes at a time.
//!
//! The batch loop used to call `memchr` once per line. A log line is a few hundred bytes,
//! so each call paid its set-up (length checks, the first unaligned load, the tail) for
//! three or four vector compares, and the reader counted the same line ends in a pass of
//! its own. Here the batch is read once as 64-byte blocks, each turned into a 64-bit mask
//! of its `\n` bytes; a line end is then the mask's lowest set bit, the next one the bit
//! after it (the way simdjson and the JSON balance check read their blocks).

/// The positions of the `\n` bytes of a slice, in order.
#[derive(Debug, Clone)]
pub(crate) struct LineEnds<'a> {
    bytes: &'a [u8],
    /// Start of the block `mask` describes.
    base: usize,
    /// The block's `\n` bytes not handed out yet, bit `i` for `bytes[base + i]`.
    mask: u64,
}

impl<'a> LineEnds<'a> {
    #[inline]
    pub(crate) fn new(bytes: &'a [u8]) -> LineEnds<'a> {
        LineEnds {
            bytes,
            base: 0,
            mask: block_mask(bytes, 0),
        }
    }
}

impl Iterator for LineEnds<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.bytes.len() {
                return None;
            }
            self.mask = block_mask(self.bytes, self.base);
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// The lines of a batch, each with where it starts, without its line end (`\n`, and a
/// `\r` before it); the last counts even without a line end.
#[derive(Debug, Clone)]
pub(crate) struct Lines<'a> {
    ends: LineEnds<'a>,
    /// Where the next line starts.
    start: usize,
}

impl<'a> Lines<'a> {
    #[inline]
    pub(crate) fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            ends: LineEnds::new(bytes),
            start: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        let bytes = self.ends.bytes;
        let start = self.start;
        let line = match self.ends.next() {
            Some(nl) => {
                self.start = nl + 1;
                // `bytes[nl]` is the `\n`: only a `\r` before it is left to look for.
                bytes.get(start..nl).unwrap_or_default()
            }
            None if start < bytes.len() => {
                self.start = bytes.len();
                bytes.get(start..).unwrap_or_default()
            }
            None => return None,
        };
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// The `\n` bytes of `bytes[at..at + 64]` (fewer at the end) as a mask.
#[inline]
fn block_mask(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..at + 64).and_then(|b| b.first_chunk::<64>()) {
        Some(block) => newlines(block),
        None => {
            // The last, short block: padded with bytes that are not line ends.
            let rest = bytes.get(at..).unwrap_or_default();
            let mut block = [0u8; 64];
            block[..rest.len()].copy_from_slice(rest);
            newlines(&block)
        }
    }
}

/// Bit `i` set when `block[i]` is `\n`: four 16-byte compares (SSE2, which every x86-64
/// processor has, so no detection is needed).
#[cfg(target_arch = "x86_64")]
#[inline]
fn newlines(block: &[u8; 64]) -> u64 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    let p = block.as_ptr();
    let quarter = |k: usize| {
        // SAFETY: SSE2 is in the x86-64 baseline; the unaligned load reads bytes
        // 16k..16k+16 of the 64-byte `block` (k < 4).
        let bits = unsafe {
            let v = _mm_loadu_si128(p.add(16 * k).cast());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
        };
        u64::from(bits as u16) << (16 * k)
    };
    quarter(0) | quarter(1) | quarter(2) | quarter(3)
}

/// Bit `i` set when `block[i]` is `\n`.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn newlines(block: &[u8; 64]) -> u64 {
    block
        .iter()
        .enumerate()
        .fold(0, |m, (i, &b)| m | (u64::from(b == b'\n') << i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes of which about one in `1 + others` is a `\n`; the others are bytes near `\n`
    /// and bytes with the high bit, which a wrong compare would mistake for it.
    fn batch(others: usize, len: usize) -> impl Strategy<Value = Vec<u8>> {
        let mut pool = vec![b'\n'];
        let near = [b'\x0b', b'\x09', b'\r', 0x8a, b'a', 0xff];
        pool.extend((0..others).map(|i| near[i % near.len()]));
        prop::collection::vec(prop::sample::select(pool), 0..len)
    }

    /// What a naive split gives: each line's start, and the line without `\n` or `\r\n`.
    fn naive(b: &[u8]) -> Vec<(usize, Vec<u8>)> {
        let mut want = Vec::new();
        let mut start = 0;
        while start < b.len() {
            let end = b[start..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |i| start + i);
            let line = &b[start..end];
            want.push((start, line.strip_suffix(b"\r").unwrap_or(line).to_vec()));
            start = end + 1;
        }
        want
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn the_line_ends_memchr_finds(b in prop_oneof![batch(1, 300), batch(6, 700), batch(200, 3000)]) {
            let want: Vec<usize> = memchr::memchr_iter(b'\n', &b).collect();
            prop_assert_eq!(LineEnds::new(&b).collect::<Vec<_>>(), want);
        }

        #[test]
        fn lines_are_those_of_a_naive_split(b in prop_oneof![batch(1, 300), batch(6, 700), batch(200, 3000)]) {
            let got: Vec<(usize, Vec<u8>)> = Lines::new(&b).map(|(s, l)| (s, l.to_vec())).collect();
            prop_assert_eq!(got, naive(&b));
        }
    }

    #[test]
    fn ends_at_the_first_and_last_byte_of_blocks() {
        let mut b = vec![b'x'; 192];
        for at in [0, 63, 64, 127, 128, 191] {
            b[at] = b'\n';
        }
        let got: Vec<usize> = LineEnds::new(&b).collect();
        assert_eq!(got, [0, 63, 64, 127, 128, 191]);
        // A batch cut one byte short leaves its last end out.
        let got: Vec<usize> = LineEnds::new(&b[..191]).collect();
        assert_eq!(got, [0, 63, 64, 127, 128]);
    }
}
