//! The fast path of `parse json` when a pipeline reads only some fields: find the members
//! it names (full dotted names: `user.id` enters `user`, nothing else is entered), read
//! and check their values as the full reader does, and step over everything else by its
//! structure only, without checking the grammar of what is stepped over.
//!
//! What is checked on this path, per line (see `docs/formats.md`):
//! * the line, blanks aside, starts with `{` and ends with `}`;
//! * the members of every object walked (the line's, and the nested ones entered for a
//!   selected `a.b`) up to the last selected member: a quoted key, `:`, a value, `,` or
//!   `}`;
//! * the values of the selected members, fully (numbers, strings and their escapes,
//!   literals, arrays), exactly as the full reader checks them;
//! * after that ([`Tail::Balanced`]): that the rest of the line closes the object and
//!   nothing else follows it, counting brackets outside strings (a string's end is found
//!   word-at-a-time, a `\` escaping the next byte).
//!
//! What is not checked: the inside of a skipped value (a string's escapes, a number's
//! shape and range, `true`/`false`/`null` spelled out, `:` and `,` inside a skipped
//! object or array, that `[` closes with `]` and `{` with `}`, the nesting depth), nor,
//! after the last selected member, the members' own structure. A line the fast path
//! cannot read simply (a key with an escape, a key that is not UTF-8, more than 64
//! selected names) is read by the full reader instead.
//!
//! A repeated key: the first one is read (and the later ones skipped), which is the one a
//! lookup by name finds on the full path too.

use std::borrow::Cow;

#[cfg(test)]
pub(crate) use layout::drift;
pub(crate) use layout::{Layout, Want};

use super::balance::Closer;
use super::json::{read_selected_value, JsonError};
use super::record::Record;
use super::scan::{quote_or_backslash, same};

mod layout;

/// What the fast path checks once every selected member was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tail {
    /// Step over the rest of the line by its brackets and strings: the object must close
    /// exactly at the line's last `}` (design (a) of `bench/RESULTS.md`).
    Balanced,
    /// Stop: the line already ends with `}` (design (b); measured, not used: it accepts
    /// a line cut just after a nested object's `}`).
    #[allow(dead_code)]
    Brace,
}

/// Why the fast path stopped before the end of a line.
pub(crate) enum Halt {
    /// The line is refused: why, and at which byte.
    Fail(JsonError, usize),
    /// Something the fast path leaves to the full reader (an escaped key, say).
    Full,
    /// Every selected member was read: where, inside how many objects (internal:
    /// [`Tail`] then decides).
    Done(usize, u32),
}

impl From<(JsonError, usize)> for Halt {
    fn from((e, at): (JsonError, usize)) -> Halt {
        Halt::Fail(e, at)
    }
}

type R<T> = Result<T, Halt>;

/// The most selected names the fast path tracks (one bit each).
pub(crate) const MAX_NAMES: usize = 64;

#[inline(always)]
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Read the selected members of `line` into `rec` (which the caller started). `Err(Halt::
/// Full)` asks for the full reader; `Err(Halt::Fail(..))` refuses the line.
pub(crate) fn skim<'a>(
    line: &'a [u8],
    rec: &mut Record<'a>,
    names: &[Box<str>],
    tail: Tail,
    closer: Closer,
    layout: &mut Layout,
) -> Result<(), Halt> {
    debug_assert!(names.len() <= MAX_NAMES);
    let mut start = 0;
    while start < line.len() && blank(line[start]) {
        start += 1;
    }
    if line.get(start) != Some(&b'{') {
        return Err(Halt::Fail(JsonError::NotAnObject, start));
    }
    let mut end = line.len();
    while end > start && blank(line[end - 1]) {
        end -= 1;
    }
    // The last byte that is not blank: the object's closing brace.
    let last = end - 1;
    if last == start || line[last] != b'}' {
        return Err(Halt::Fail(JsonError::Syntax, end));
    }
    let all = if names.len() == MAX_NAMES {
        u64::MAX
    } else {
        (1u64 << names.len()) - 1
    };
    let mut sk = Skimmer {
        s: &line[..end],
        names,
        found: 0,
        all,
        closer,
        layout,
    };
    if names.is_empty() {
        // Nothing to read (`parse json | count`): only the line's shape is checked.
        return match tail {
            Tail::Brace => Ok(()),
            Tail::Balanced => match sk.rest(start + 1, 1)? {
                closed if closed == end => Ok(()),
                closed => Err(Halt::Fail(JsonError::TrailingText, closed)),
            },
        };
    }
    let closed = match sk.object(start + 1, 1, b"", rec) {
        Ok(closed) => closed,
        Err(Halt::Done(at, depth)) => match tail {
            Tail::Brace => return Ok(()),
            Tail::Balanced => sk.rest(at, depth)?,
        },
        Err(other) => return Err(other),
    };
    if closed != end {
        return Err(Halt::Fail(JsonError::TrailingText, closed));
    }
    Ok(())
}

/// A top-level key read as the selected name it equals, borrowed from the line.
#[inline(always)]
fn borrowed_name<'a>(key: &'a [u8], name: &str) -> &'a str {
    debug_assert_eq!(key, name.as_bytes());
    // SAFETY: `key` has the same bytes as `name` (`wants` matched them), a `str`, so it
    // is valid UTF-8. (Checking again cost 3 to 6% of `parse json | count by level`.)
    unsafe { std::str::from_utf8_unchecked(key) }
}

struct Skimmer<'a, 'n, 'l> {
    /// The line without its trailing blanks.
    s: &'a [u8],
    names: &'n [Box<str>],
    /// One bit per name already read.
    found: u64,
    all: u64,
    /// The balance check this processor runs best.
    closer: Closer,
    /// The keys of the last lines' objects (their members at the top level).
    layout: &'l mut Layout,
}

impl<'a> Skimmer<'a, '_, '_> {
    /// The first byte at or after `i` that is not blank (the byte at `i` tested alone
    /// first: log lines are compact, and no blank is above `b' '`).
    #[inline(always)]
    fn ws(&self, mut i: usize) -> usize {
        if self.s.get(i).is_some_and(|&b| b > b' ') {
            return i;
        }
        while i < self.s.len() && blank(self.s[i]) {
            i += 1;
        }
        i
    }

    #[inline(always)]
    fn fail<T>(&self, at: usize) -> R<T> {
        Err(Halt::Fail(JsonError::Syntax, at))
    }

    /// The members of the object whose `{` is just before `i`, named below `prefix`
    /// (`""` or `user.`), `depth` objects deep; returns the position after its `}`.
    fn object(&mut self, i: usize, depth: u32, prefix: &[u8], rec: &mut Record<'a>) -> R<usize> {
        let s = self.s;
        let mut i = self.ws(i);
        if s.get(i) == Some(&b'}') {
            return Ok(i + 1);
        }
        // Only the line's own members are remembered (`prefix` is empty there alone).
        let top = prefix.is_empty();
        let mut member = 0;
        // This member's key when the layout knew it with the `,"` before it (`i` is then
        // at its opening quote, checked).
        let mut after = None;
        loop {
            let k0 = i + 1;
            let known = if after.is_some() {
                after
            } else if s.get(i) != Some(&b'"') {
                return self.fail(i);
            } else if top {
                self.layout.recall(member, s, k0)
            } else {
                None
            };
            let (key, want) = match known {
                // The key, its quote and the `:` right after it.
                Some((len, want)) => {
                    i = self.ws(k0 + len + 2);
                    (&s[k0..k0 + len], want)
                }
                None => {
                    let off = match quote_or_backslash(&s[k0..]) {
                        None => return self.fail(s.len()),
                        Some(off) if s[k0 + off] == b'\\' => return Err(Halt::Full),
                        Some(off) => off,
                    };
                    let key = &s[k0..k0 + off];
                    i = self.ws(k0 + off + 1);
                    if s.get(i) != Some(&b':') {
                        return self.fail(i);
                    }
                    let glued = i == k0 + off + 1;
                    i = self.ws(i + 1);
                    let want = self.wants(prefix, key)?;
                    if top {
                        self.layout.remember(member, key, glued, want);
                    }
                    (key, want)
                }
            };
            member += 1;
            let unread = want.fields & !self.found;
            match s.get(i) {
                // A string not read (most members of a log line): stepped over first.
                Some(b'"') if unread == 0 => i = self.skip_string(i + 1)?,
                Some(b'{') => match want.below {
                    Some(k) => {
                        let inner = self.below(k, prefix.len() + key.len());
                        i = self.object(i + 1, depth + 1, inner, rec)?;
                    }
                    // An object is no field (its members are), as on the full path.
                    None => i = self.skip_nested(i + 1, 1)?,
                },
                Some(_) if unread != 0 => {
                    // The selected name it is that was not read yet (the last such).
                    let n = 63 - unread.leading_zeros() as usize;
                    let (v, next) = read_selected_value(s, i, depth as usize + 1)?;
                    let name = if prefix.is_empty() {
                        Cow::Borrowed(borrowed_name(key, &self.names[n]))
                    } else {
                        Cow::Owned(self.names[n].to_string())
                    };
                    rec.push(name, v);
                    self.found |= 1 << n;
                    i = self.ws(next);
                    // What follows a value read is checked too (`"a"x` is refused).
                    if !matches!(s.get(i), Some(b',' | b'}')) {
                        return self.fail(i);
                    }
                    if self.found == self.all {
                        return Err(Halt::Done(i, depth));
                    }
                }
                _ => i = self.skip_value(i)?,
            }
            if top {
                // `,"key":` right after the value: the separator, the quote and the next
                // key at once.
                after = self.layout.recall_after(member, s, i);
                if after.is_some() {
                    i += 1;
                    continue;
                }
            }
            i = self.ws(i);
            match s.get(i) {
                Some(b',') => i = self.ws(i + 1),
                Some(b'}') => return Ok(i + 1),
                _ => return self.fail(i),
            }
        }
    }

    /// For the member `key` below `prefix`: the selected names it is, and the one that
    /// goes on below it.
    #[inline]
    fn wants(&self, prefix: &[u8], key: &[u8]) -> R<Want> {
        let mut want = Want::default();
        let end = prefix.len() + key.len();
        for (k, name) in self.names.iter().enumerate() {
            let n = name.as_bytes();
            let is_field = match n.get(end) {
                None if n.len() == end => true,
                Some(b'.') => false,
                _ => continue,
            };
            if same(&n[prefix.len()..end], key) && same(&n[..prefix.len()], prefix) {
                if is_field {
                    want.fields |= 1 << k;
                } else {
                    // At most MAX_NAMES (64) names: the index fits.
                    want.below = Some(k as u8);
                }
            }
        }
        if want == Want::default() && !key.is_ascii() && std::str::from_utf8(key).is_err() {
            // The full reader compares such a key lossily decoded.
            return Err(Halt::Full);
        }
        Ok(want)
    }

    /// The prefix to enter an object with (`key.` included, borrowed from selected name
    /// `k`, which goes on below the key ending `end` bytes into it: see
    /// [`Skimmer::wants`]).
    #[inline(always)]
    fn below<'n>(&self, k: u8, end: usize) -> &'n [u8]
    where
        'a: 'n,
        Self: 'n,
    {
        let names: &'n [Box<str>] = self.names;
        &names[usize::from(k)].as_bytes()[..end + 1]
    }

    /// Step over the value at `i` by its structure; where it ends.
    #[inline]
    fn skip_value(&self, i: usize) -> R<usize> {
        let s = self.s;
        match s.get(i) {
            Some(b'"') => self.skip_string(i + 1),
            Some(b'{' | b'[') => self.skip_nested(i + 1, 1),
            Some(_) => {
                // A number or literal, unchecked: up to what may follow a value.
                let mut j = i;
                while j < s.len()
                    && !matches!(s[j], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
                {
                    j += 1;
                }
                if j == i {
                    return self.fail(i);
                }
                Ok(j)
            }
            None => self.fail(i),
        }
    }

    /// The end (after the closing quote) of the string whose opening quote is just
    /// before `i`; a `\` escapes the next byte, whatever it is.
    #[inline(always)]
    fn skip_string(&self, mut i: usize) -> R<usize> {
        let s = self.s;
        loop {
            let Some(off) = quote_or_backslash(&s[i..]) else {
                return self.fail(s.len());
            };
            i += off;
            if s[i] == b'"' {
                return Ok(i + 1);
            }
            i += 2;
            if i > s.len() {
                return self.fail(s.len());
            }
        }
    }

    /// From `i`, inside `depth` open brackets: the position after the bracket that closes
    /// the outermost of them (see [`close_of_value`](super::scan::close_of_value): strings
    /// stepped over, the kinds of brackets not matched).
    #[inline]
    fn skip_nested(&self, i: usize, depth: u32) -> R<usize> {
        self.closer
            .close(self.s, i, depth)
            .or_else(|at| self.fail(at))
    }

    /// After the last selected member (at `i`, inside `depth` objects: the line's and
    /// those entered): where the line's object closes (checked first as closing at the
    /// line's last byte, [`Closer::close_at_end`]).
    fn rest(&self, i: usize, depth: u32) -> R<usize> {
        self.closer
            .close_at_end(self.s, i, depth)
            .or_else(|at| self.fail(at))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{JsonParser, Record};
    use super::{skim, Closer, Halt, Layout, Tail};

    /// What the fast path makes of a line with one balance check: the fields, or where
    /// and why it refused, or that it asked for the full reader.
    fn skim_with(line: &[u8], sel: &[Box<str>], closer: Closer) -> Result<Vec<String>, String> {
        skim_remembering(line, sel, closer, &mut Layout::default())
    }

    /// Two answers for `line` agree; `seen` counts it as read (0) or refused (1).
    fn tally(
        got: Result<Vec<String>, String>,
        want: Result<Vec<String>, String>,
        line: &[u8],
        sel: &[Box<str>],
        seen: &mut [usize; 2],
    ) {
        assert_eq!(got, want, "{:?} {sel:?}", String::from_utf8_lossy(line));
        seen[usize::from(want.is_err())] += 1;
    }

    /// [`skim_with`] with a layout carried from line to line.
    fn skim_remembering(
        line: &[u8],
        sel: &[Box<str>],
        closer: Closer,
        layout: &mut Layout,
    ) -> Result<Vec<String>, String> {
        let mut rec = Record::new();
        rec.begin_dynamic();
        match skim(line, &mut rec, sel, Tail::Balanced, closer, layout) {
            Ok(()) => Ok(rec.iter().map(|(k, v)| format!("{k}={v:?}")).collect()),
            Err(Halt::Fail(e, at)) => Err(format!("{e} at {at}")),
            Err(Halt::Full) => Err("full".into()),
            Err(Halt::Done(..)) => Err("done".into()),
        }
    }

    /// The fast path with the 64-byte balance check accepts and refuses exactly the lines
    /// it does with the sixteen-byte one (the oracle), with the same fields and the same
    /// failure offsets: generated log lines with escaped quotes, backslash runs, brackets
    /// inside strings and nested values, padded to lengths around the block sizes, then
    /// cut anywhere (a cut just after a nested `}` among them) or with a byte changed.
    #[test]
    fn wide_balance_check_reads_the_same_lines_as_the_narrow_one() {
        let (wide, narrow) = (Closer::detect(), Closer::narrow());
        let sels: Vec<Vec<Box<str>>> = [&[][..], &["level"], &["user.id"], &["level", "path"]]
            .iter()
            .map(|sel| sel.iter().map(|n| Box::<str>::from(*n)).collect())
            .collect();
        let pieces = [
            r#""plain""#,
            r#""q"uo"te""#,
            r#""run\\""#,
            r#""odd\"still""#,
            r#""{[}]""#,
            r#"{"a":[1,{"b":"}"}],"c":{}}"#,
            r#"[[],{},"]"]"#,
            "12.5",
            "null",
        ];
        let mut next = crate::stage::parse::xorshift(0x3C6E_F372_FE94_F82B);
        let mut seen = [0, 0];
        for n in 0..6_000 {
            let mut line = String::from(r#"{"ts":"x","level":"#);
            line.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            for k in 0..next() % 4 {
                line.push_str(&format!(r#","k{k}":"#));
                line.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            // Padding so that the rest crosses 64-byte boundaries at every offset.
            line.push_str(&format!(r#","pad":"{}""#, "p".repeat(n % 130)));
            line.push_str(r#","user":{"id":1,"plan":"t"},"path":"/a\\"}"#);
            let mut variants = vec![line.clone().into_bytes()];
            let b = line.as_bytes();
            let cut = 1 + (next() as usize) % (b.len() - 1);
            variants.push(b[..cut].to_vec());
            // Cut just after each nested `}`.
            for (k, _) in b.iter().enumerate().filter(|(_, &c)| c == b'}').take(6) {
                variants.push(b[..=k].to_vec());
            }
            let mut changed = b.to_vec();
            let at = (next() as usize) % changed.len();
            changed[at] = br#"{}[]"\ax"#[(next() % 8) as usize];
            variants.push(changed);
            for v in &variants {
                for sel in &sels {
                    let want = skim_with(v, sel, narrow);
                    tally(skim_with(v, sel, wide), want, v, sel, &mut seen);
                }
            }
        }
        let [read, refused] = seen;
        assert!(
            read > 10_000 && refused > 10_000,
            "{read} read, {refused} refused"
        );
    }

    /// The keys remembered from the lines before change nothing: a layout carried across
    /// generated lines (mostly the same keys in the same order, as in a log, then keys
    /// swapped, renamed to others that share their start, repeated, escaped, not UTF-8,
    /// 14 to 16 bytes long, blanks around the `:`, lines cut or with a byte changed)
    /// gives every line the fields, the refusals and their offsets that a fresh one
    /// gives.
    #[test]
    fn remembered_keys_read_the_same_lines_as_fresh_ones() {
        let sels: Vec<Vec<Box<str>>> = [
            &["level"][..],
            &["service", "latency_ms"],
            &["user.id", "path"],
            &["level", "levels", "fifteen_bytes_k", "fourteen_bytes"],
            &["user", "user.plan"],
        ]
        .iter()
        .map(|sel| sel.iter().map(|n| Box::<str>::from(*n)).collect())
        .collect();
        let keys = [
            "ts",
            "level",
            "service",
            "latency_ms",
            "user",
            "path",
            "levels",
            "leve",
            "fifteen_bytes_k",
            "fourteen_bytes",
            "sixteen_bytes_ke",
            "lev\\u0065l",
            // `~` is made a byte that is not UTF-8 below.
            "l~vel",
            "",
        ];
        let values = [
            r#""2025-12-05T02:00:00.534Z""#,
            r#""info""#,
            "4.293",
            r#"{"id":95847,"plan":"team"}"#,
            r#""/api/v1/cart/95847/items""#,
            r#""q\"uo\"te""#,
            "[1,2]",
        ];
        let mut next = crate::stage::parse::xorshift(0x9E37_79B9_7F4A_7C15);
        let mut layouts: Vec<Layout> = sels.iter().map(|_| Layout::default()).collect();
        let mut order: Vec<usize> = vec![0, 1, 2, 3, 4, 5];
        let mut seen = [0, 0];
        for _ in 0..30_000 {
            super::layout::drift(&mut order, keys.len(), &mut next);
            let mut line = String::from("{");
            for (m, &k) in order.iter().enumerate() {
                if m > 0 {
                    line.push(',');
                }
                let v = values[(next() % values.len() as u64) as usize];
                // Mostly glued to the `:`, as in the line before.
                let colon = [":", ":", ":", ":", " :", ": "][(next() % 6) as usize];
                line.push_str(&format!(r#""{}"{colon}{v}"#, keys[k]));
            }
            line.push('}');
            let mut b: Vec<u8> = line
                .bytes()
                .map(|c| if c == b'~' { 0xFF } else { c })
                .collect();
            match next() % 10 {
                0 => b.truncate(1 + (next() as usize) % (b.len() - 1)),
                1 => {
                    let at = (next() as usize) % b.len();
                    b[at] = br#"{}[]":\ax,"#[(next() % 10) as usize];
                }
                _ => {}
            }
            for (sel, layout) in sels.iter().zip(&mut layouts) {
                let want = skim_with(&b, sel, Closer::detect());
                let got = skim_remembering(&b, sel, Closer::detect(), layout);
                tally(got, want, &b, sel, &mut seen);
            }
        }
        let [read, refused] = seen;
        assert!(
            read > 50_000 && refused > 10_000,
            "{read} read, {refused} refused"
        );
    }

    fn fast(sel: &[&str]) -> JsonParser {
        let mut p = JsonParser::new();
        p.select(sel);
        p
    }

    const LINES: [&str; 3] = [
        r#"{"ts":"2025-12-05T02:00:00.534Z","level":"info","service":"billing","msg":"retrying \"payment\" call, attempt 7","latency_ms":4.293,"user":{"id":95847,"plan":"team"},"path":"/api/v1/cart/95847/items"}"#,
        r#"{"level":"warn","tags":["a","b]",{"c":"}"}],"user":{"id":1,"plan":"x"}}"#,
        r#" { "level" : "debug" , "n" : [ [ ] , { } ] , "user" : { "id" : -1 } } "#,
    ];

    /// A line cut short (a writer that crashed mid-line) is refused at every cut, whatever
    /// is read, even a cut right after a nested object's `}`.
    #[test]
    fn a_line_cut_anywhere_is_refused() {
        let selections: [&[&str]; 5] =
            [&[], &["level"], &["user.id"], &["level", "path"], &["nope"]];
        for line in LINES {
            for sel in selections {
                let mut p = fast(sel);
                let mut rec = Record::new();
                assert!(p.parse(line.as_bytes(), &mut rec).is_ok(), "{line} {sel:?}");
                let cut_at = line.trim_end().len();
                for cut in 1..cut_at {
                    let part = &line.as_bytes()[..cut];
                    let mut rec = Record::new();
                    assert!(
                        p.parse(part, &mut rec).is_err(),
                        "accepted {:?} reading {sel:?}",
                        String::from_utf8_lossy(part)
                    );
                }
            }
        }
    }

    /// Keys inside nested values and strings are not taken for members of the line's
    /// object; a nested name is found only at its own depth; escaped quotes end no
    /// string; lines that are not objects are refused.
    #[test]
    fn keys_are_matched_at_their_own_depth() {
        let line = br#"{"x":{"level":"no"},"s":"\"level\":\"no\"","a":[{"level":"no"}],"id":0,"user":{"x":{"id":"no"},"id":7},"level":"yes"}"#;
        let mut p = fast(&["level", "user.id"]);
        let mut rec = Record::new();
        p.parse(line, &mut rec).unwrap();
        let got: Vec<String> = rec.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        assert_eq!(got, ["user.id=Int(7)", "level=Str([121, 101, 115])"]);
        for not_object in [&b"[1,2]"[..], b"\"level\"", b"1", b"null", b"", b"  ", b"}"] {
            let mut rec = Record::new();
            assert!(p.parse(not_object, &mut rec).is_err(), "{not_object:?}");
        }
    }

    /// A value read is checked in full, as on the full path; one stepped over is not.
    #[test]
    fn values_read_are_checked_values_skipped_are_not() {
        let mut p = fast(&["n"]);
        for bad in [
            &br#"{"n":01}"#[..],
            br#"{"n":1e999}"#,
            br#"{"n":tru}"#,
            br#"{"n":"\q"}"#,
            br#"{"n":[1,]}"#,
            br#"{"n":1 2}"#,
        ] {
            let mut rec = Record::new();
            assert!(
                p.parse(bad, &mut rec).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        // Stepped over, unchecked (documented in docs/formats.md).
        for lenient in [
            &br#"{"m":01,"n":1}"#[..],
            br#"{"m":"\q","n":1}"#,
            br#"{"m":[1,],"n":1}"#,
        ] {
            let mut rec = Record::new();
            assert!(
                p.parse(lenient, &mut rec).is_ok(),
                "{}",
                String::from_utf8_lossy(lenient)
            );
            let mut strict = fast(&["n"]);
            strict.check_every_byte(true);
            assert!(strict.parse(lenient, &mut rec).is_err());
        }
    }
}
