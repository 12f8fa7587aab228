//! The keys the last lines had, member by member: the fast path's guess at the next
//! line's keys.
//!
//! The lines of one log mostly have the same members in the same order (`ts`, `level`,
//! `service`, …). For each of the first [`SLOTS`] members of the line's object, a
//! [`Layout`] keeps the key the last line had there, with what the selected names make of
//! it. At the same member of the next line, the sixteen bytes after the opening quote are
//! compared with that key, its closing quote and the `:` right after it, in one 128-bit
//! comparison: when they are equal, the key (which holds no `"` and no `\`, so its end is
//! the first `"` or `\` after its start, exactly what the search finds), the `:` and the
//! key's meaning are known without searching for its end, looking for the `:` or
//! comparing it with the selected names. Any other line is read as before and its keys
//! are remembered in turn (those with blanks before the `:` are not).
//!
//! For the members after the first, the `,` and the opening quote before the key are
//! compared too ([`Layout::recall_after`]: `,"level":` in one compare, right after the
//! value before it), which also spares the member loop its tests of the separator and of
//! the quote, and the blanks around them (there are none when it matches).
//!
//! Nothing is accepted or refused differently: a guess taken gives the key the search
//! would have found and the decision [`wants`](super::Skimmer) would have made for it (the
//! same key below the same selected names: the decision depends on nothing else).

/// The members of the line's object remembered (the first ones).
pub(crate) const SLOTS: usize = 16;

/// What a key means to the selected names: the names it is (as a field), and the one it
/// leads to (as a prefix of `key.`), as [`Skimmer::wants`](super::Skimmer) finds them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Want {
    /// One bit per selected name equal to the key.
    pub fields: u64,
    /// A selected name that goes on below the key (the last one, as the loop leaves it).
    pub below: Option<u8>,
}

/// One remembered key.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// The key's bytes then `":`, little-endian, zeros after.
    pattern: u128,
    /// Ones over the bytes of `pattern` that count; zero for an empty slot.
    mask: u128,
    /// The key's length (at most 14).
    len: u8,
    want: Want,
}

/// `,"`, a slot's key, `":`: the pattern of [`Layout::recall_after`] (JSON keys of at most
/// 12 bytes), and its mask (zero: not remembered). Apart from the slots, which logfmt
/// shares, so that its slots stay as small as they were.
#[derive(Debug, Clone, Copy, Default)]
struct After {
    pattern: u128,
    mask: u128,
}

/// See the module's comment. Made anew (empty) whenever the selected names change.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    /// Boxed: 768 bytes inline would make every parser enum that holds a JSON parser as
    /// large.
    slots: Box<[Slot; SLOTS]>,
    /// The slots' keys with the `,"` before them (JSON's members after the first).
    after: Box<[After; SLOTS]>,
}

impl Layout {
    /// When member `j` of the line's object has the key remembered there, starting at
    /// `k0` (just after its opening quote) in `s` and followed by `":`: the key's length
    /// and what it means.
    #[inline(always)]
    pub(crate) fn recall(&self, j: usize, s: &[u8], k0: usize) -> Option<(usize, Want)> {
        let slot = self.slots.get(j)?;
        let bytes: [u8; 16] = s.get(k0..k0.wrapping_add(16))?.try_into().ok()?;
        let here = u128::from_le_bytes(bytes);
        (slot.mask != 0 && (here ^ slot.pattern) & slot.mask == 0)
            .then_some((usize::from(slot.len), slot.want))
    }

    /// When member `j` of the line's object, after the value that ends just before `i`
    /// in `s`, is `,"` then the key remembered there then `":`, with no blank between:
    /// the key's length and what it means (the key starts at `i + 2`).
    #[inline(always)]
    pub(crate) fn recall_after(&self, j: usize, s: &[u8], i: usize) -> Option<(usize, Want)> {
        let after = self.after.get(j)?;
        let bytes: [u8; 16] = s.get(i..i.wrapping_add(16))?.try_into().ok()?;
        let here = u128::from_le_bytes(bytes);
        let slot = &self.slots[j];
        (after.mask != 0 && (here ^ after.pattern) & after.mask == 0)
            .then_some((usize::from(slot.len), slot.want))
    }

    /// Remember `key` (ended by a `"`, holding none and no `\`; `glued`: the `:` right
    /// after the quote) as member `j`'s, with what it means. JSON keys of 15 bytes or
    /// more (with `":`, more than the 16 compared; logfmt's `key=` allows 15, see
    /// [`Layout::remember_ended`]), keys with blanks before their `:` and members past the
    /// first [`SLOTS`] are not remembered (the slot is emptied); keys of 13 or 14 bytes are
    /// not remembered for [`Layout::recall_after`].
    #[inline]
    pub(crate) fn remember(&mut self, j: usize, key: &[u8], glued: bool, want: Want) {
        self.remember_ended(j, key, glued.then_some(b"\":"), want);
        if let Some(after) = self.after.get_mut(j) {
            *after = match glued && key.len() + 4 <= 16 {
                true => {
                    let (pattern, mask) = pattern(&[b",\"", key, b"\":"]);
                    After { pattern, mask }
                }
                false => After::default(),
            };
        }
    }

    /// [`Layout::remember`] for any text whose end is found by a search that `end` stops
    /// (logfmt's `key=`: the key, then `=`): `key` then `end` are compared at the next
    /// line's pair `j`. `None`, or more than 16 bytes: the slot is emptied. The slot's
    /// [`Layout::recall_after`] pattern is forgotten (only [`Layout::remember`] makes one).
    #[inline]
    pub(crate) fn remember_ended(&mut self, j: usize, key: &[u8], end: Option<&[u8]>, want: Want) {
        let (Some(slot), Some(after)) = (self.slots.get_mut(j), self.after.get_mut(j)) else {
            return;
        };
        *after = After::default();
        let Some(end) = end.filter(|end| key.len() + end.len() <= 16) else {
            slot.mask = 0;
            return;
        };
        let (pattern, mask) = pattern(&[key, end]);
        *slot = Slot {
            pattern,
            mask,
            len: key.len() as u8,
            want,
        };
    }
}

/// The pieces one after another, little-endian, zeros after (at most 16 bytes), and ones
/// over the bytes they fill.
fn pattern(pieces: &[&[u8]]) -> (u128, u128) {
    let (mut bytes, mut n) = ([0u8; 16], 0);
    for piece in pieces {
        bytes[n..n + piece.len()].copy_from_slice(piece);
        n += piece.len();
    }
    let mut mask = [0u8; 16];
    mask[..n].fill(0xFF);
    (u128::from_le_bytes(bytes), u128::from_le_bytes(mask))
}

/// For tests of the readers that keep a [`Layout`]: the keys of the next generated line
/// (indices into `keys` kinds), mostly those of the last one, as in a log: now and then one
/// changes to another, or two swap places.
#[cfg(test)]
pub(crate) fn drift(order: &mut [usize], kinds: usize, next: &mut impl FnMut() -> u64) {
    let len = order.len() as u64;
    if next().is_multiple_of(4) {
        order[(next() % len) as usize] = (next() % kinds as u64) as usize;
    }
    if next().is_multiple_of(8) {
        order.swap((next() % len) as usize, (next() % len) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_recalled_only_where_its_bytes_and_quote_are() {
        let want = Want {
            fields: 0b10,
            below: None,
        };
        let mut l = Layout::default();
        let s = br#"{"level":"info","levels":1,"leve":2,"level" :3,"x":"-----------------"}"#;
        assert_eq!(l.recall(0, s, 2), None, "an empty slot");
        l.remember(0, b"level", true, want);
        assert_eq!(l.recall(0, s, 2), Some((5, want)));
        assert_eq!(l.recall(1, s, 2), None, "another member");
        // `levels` and `leve` start like it but are other keys; a blank before the `:`.
        assert_eq!(l.recall(0, s, 17), None);
        assert_eq!(l.recall(0, s, 29), None);
        assert_eq!(l.recall(0, s, 37), None);
        // Fewer than sixteen bytes left: not compared.
        assert_eq!(l.recall(0, &s[..17], 2), None);
        // A long key is not remembered, nor one with a blank before its `:`, and either
        // forgets the one before.
        l.remember(0, b"fifteen-bytes-a", true, want);
        assert_eq!(l.recall(0, s, 2), None);
        l.remember(0, b"level", true, want);
        l.remember(0, b"level", false, want);
        assert_eq!(l.recall(0, s, 2), None);
        l.remember(SLOTS, b"level", true, want);
        assert_eq!(l.recall(SLOTS, s, 2), None);
    }

    #[test]
    fn a_key_is_recalled_after_a_value_only_with_its_comma_quote_and_colon() {
        let want = Want {
            fields: 0b1,
            below: None,
        };
        let mut l = Layout::default();
        let s = br#"{"a":1,"level":2,"levels":3,"leve":4, "level":5,"level" :6,"z":"----------------"}"#;
        l.remember(1, b"level", true, want);
        // After the `1` at 5: `,"level":`.
        assert_eq!(l.recall_after(1, s, 6), Some((5, want)));
        assert_eq!(l.recall_after(0, s, 6), None, "another member");
        // Keys that start like it, a blank after the comma or before the colon.
        for at in [16, 27, 36, 47] {
            assert_eq!(l.recall_after(1, s, at), None, "at {at}");
        }
        // Logfmt's keys and JSON keys of 13 bytes or more are not recalled this way.
        l.remember_ended(1, b"level", Some(b"="), want);
        assert_eq!(l.recall_after(1, s, 6), None);
        l.remember(1, b"thirteen_byte", true, want);
        let t = br#"{"a":1,"thirteen_byte":2,"z":"----------------"}"#;
        assert_eq!(l.recall_after(1, t, 6), None);
        assert_eq!(l.recall(1, t, 8), Some((13, want)));
    }
}
