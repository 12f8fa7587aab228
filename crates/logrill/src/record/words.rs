//! Short byte strings read as whole words.
//!
//! A group key of up to 12 bytes and most field names are shorter than two machine words.
//! Reading them with a few whole-word loads (which may overlap) and comparing or hashing
//! the words costs a handful of instructions; copying them byte by byte (or with a call to
//! `memcpy`) into a buffer and reading that back as words made the processor wait for the
//! copy to land (a failed store-to-load forwarding, measured at about a third of the group
//! table's time in `parse json | count by level`), and comparing them with `memcmp` is a
//! call per record.

/// The bytes of `b` as a little-endian number, zero-padded; `None` when `b` is longer
/// than 16 bytes. Two equal-length strings are equal exactly when their numbers are.
#[inline(always)]
pub(crate) fn load_le(b: &[u8]) -> Option<u128> {
    let n = b.len();
    if n >= 8 {
        if n > 16 {
            return None;
        }
        let (Some(lo), Some(hi)) = (b.first_chunk::<8>(), b.last_chunk::<8>()) else {
            return None;
        };
        // The last eight bytes, moved up to where they belong (those that overlap the
        // first eight are the same bytes, so or-ing them changes nothing).
        let hi = u128::from(u64::from_le_bytes(*hi)) << (8 * (n - 8));
        Some(u128::from(u64::from_le_bytes(*lo)) | hi)
    } else if n >= 4 {
        let (Some(lo), Some(hi)) = (b.first_chunk::<4>(), b.last_chunk::<4>()) else {
            return None;
        };
        let hi = u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4));
        Some(u128::from(u64::from(u32::from_le_bytes(*lo)) | hi))
    } else if n > 0 {
        // One, two or three bytes: the first, the middle and the last (some the same).
        let at = |i: usize| u128::from(b[i]) << (8 * i);
        Some(at(0) | at(n / 2) | at(n - 1))
    } else {
        Some(0)
    }
}

/// Whether `a` and `b` hold the same bytes: by words when they are at most 32 bytes long
/// (field names, IPv4 hosts as group keys), without a call to `memcmp`.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n <= 16 {
        return load_le(a) == load_le(b);
    }
    if n <= 32 {
        // The first 16 bytes and the last 16 (overlapping when fewer than 32).
        let word = |s: &[u8], at: usize| s.get(at..at + 16).and_then(load_le);
        return word(a, 0) == word(b, 0) && word(a, n - 16) == word(b, n - 16);
    }
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number a byte-by-byte reading gives.
    fn slow(b: &[u8]) -> u128 {
        b.iter()
            .enumerate()
            .fold(0, |acc, (i, &x)| acc | u128::from(x) << (8 * i))
    }

    #[test]
    fn every_length_reads_every_byte_in_place() {
        let bytes: Vec<u8> = (1..=17u8).map(|i| i.wrapping_mul(37) | 1).collect();
        for n in 0..=16 {
            assert_eq!(load_le(&bytes[..n]), Some(slow(&bytes[..n])), "length {n}");
            // Each byte on its own: a change anywhere changes the number.
            for i in 0..n {
                let mut other = bytes[..n].to_vec();
                other[i] ^= 0x80;
                assert_ne!(load_le(&other), load_le(&bytes[..n]), "length {n} byte {i}");
            }
        }
        assert_eq!(load_le(&bytes[..17]), None);
    }

    #[test]
    fn same_bytes_agrees_with_slice_equality() {
        let words: [&[u8]; 17] = [
            b"",
            b"a",
            b"ab",
            b"level",
            b"levex",
            b"latency_ms",
            b"latency_mt",
            b"a.much.longer.field.name",
            b"a.much.longer.field.namf",
            b"b.much.longer.field.name",
            b"192.168.100.200",
            b"192.168.100.201",
            b"0123456789abcdef0123456789abcdef",
            b"0123456789abcdef0123456789abcdeg",
            b"x123456789abcdef0123456789abcdef",
            b"0123456789abcdef0123456789abcdef!",
            b"0123456789abcdef0123456789abcdef?",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
        // Every length up to past 32, a change in any one byte.
        let long: Vec<u8> = (0..40u8).collect();
        for n in 0..=long.len() {
            let copy = long[..n].to_vec();
            assert!(same_bytes(&long[..n], &copy));
            for i in 0..n {
                let mut other = long[..n].to_vec();
                other[i] ^= 1;
                assert!(!same_bytes(&long[..n], &other), "length {n} byte {i}");
            }
        }
        // Trailing zero bytes are bytes: not the same as a shorter string.
        assert!(!same_bytes(b"a\0", b"a"));
    }
}
