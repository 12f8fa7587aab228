//! JSON lines: one object per line, nested objects flattened to `a.b` names.
//!
//! A small hand-written reader rather than `serde_json::Value`: building a map per line
//! allocates for every key and string, while here keys and strings borrow from the line
//! unless they contain escapes, and the fields go straight into the reused [`Record`].
//! The grammar is JSON's (RFC 8259); tests compare it with serde_json.
//!
//! * Numbers: integers that fit in `i64` are [`Value::Int`], others [`Value::Float`].
//! * Nested objects: `{"a":{"b":1}}` gives the field `a.b` (an empty object gives none).
//! * Arrays are kept as their JSON text (a string), borrowed from the line.
//! * Strings are bytes: invalid UTF-8 inside a string is kept, not rejected (logs are not
//!   always clean); keys are decoded as UTF-8 (lossily).
//! * A repeated key gives two fields; a lookup by name finds the first.
//!
//! ## Only the fields a pipeline reads
//! After [`JsonParser::select`] (the same projection `parse combined` gets, through
//! [`Parser::project`](super::Parser::project)), the reader builds only the fields with
//! those full names and goes into a nested object only where a selected name continues
//! below it. By default the line is then read by the fast path of
//! [`json_skim`](super::json_skim), which checks the selected values in full and the rest
//! only for its structure; after [`JsonParser::check_every_byte`] (`--strict`) everything
//! else is still read by the same grammar, byte for byte (strings' escapes, numbers' shape
//! and range, literals, nesting depth, what follows the object), so exactly the same lines
//! are accepted and a failure has the same reason and offset; what is saved is building
//! what nobody reads. There a repeated selected key gives two fields, in line order; the
//! fast path builds the first only (the one a lookup by name finds either way).

use std::borrow::Cow;

use super::balance::Closer;
use super::json_skim;
use super::record::Record;
use super::scan::{quote_or_backslash, same};
use super::value::{classify_number, parse_i64, NumberShape, Value};
use super::{ParseFailure, Reason};

/// Deepest nesting accepted (objects and arrays), so no line can exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Why a line is not a JSON object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JsonError {
    /// The line does not start with `{` (after blanks).
    NotAnObject,
    /// Malformed JSON.
    Syntax,
    /// Something after the object.
    TrailingText,
    /// Nested deeper than 128 levels.
    TooDeep,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JsonError::NotAnObject => "not a JSON object",
            JsonError::Syntax => "malformed JSON",
            JsonError::TrailingText => "text after the JSON object",
            JsonError::TooDeep => "JSON nested too deeply",
        })
    }
}

/// The JSON-lines parser. Keeps a buffer for the names of nested fields, and the names
/// to build when it builds only some ([`JsonParser::select`]).
#[derive(Debug, Clone, Default)]
pub struct JsonParser {
    prefix: String,
    /// `None`: every field; `Some(names)`: only fields with these full (`a.b`) names.
    selected: Option<Vec<Box<str>>>,
    /// Check every byte of every line even when only some fields are built (`--strict`),
    /// rather than the fast path of [`json_skim`](super::json_skim).
    every_byte: bool,
    /// The fast path's balance check, chosen for this processor.
    closer: Closer,
    /// The fast path's memory of the last lines' keys, for the names selected now.
    layout: json_skim::Layout,
}

/// What an object's members become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every member is a field.
    All,
    /// Only members whose full name is selected; nested objects read only where a
    /// selected name continues below them.
    Selected,
    /// Nothing: the object is only checked.
    Check,
}

struct Reader<'a, 'p> {
    s: &'a [u8],
    i: usize,
    prefix: &'p mut String,
    selected: &'p [Box<str>],
}

type R<T> = Result<T, (JsonError, usize)>;

impl JsonParser {
    /// A JSON-lines parser.
    pub fn new() -> JsonParser {
        JsonParser::default()
    }

    /// Build only the fields with these full names (`level`, `user.id`) from now on, on
    /// the fast path unless [`JsonParser::check_every_byte`] (see `docs/formats.md` for
    /// what it checks). An empty list builds no field.
    pub fn select<S: AsRef<str>>(&mut self, names: &[S]) {
        self.selected = Some(names.iter().map(|n| n.as_ref().into()).collect());
        self.layout = json_skim::Layout::default();
    }

    /// The full names it builds after [`JsonParser::select`]; `None` when it builds every
    /// field.
    pub fn selected(&self) -> Option<Vec<&str>> {
        self.selected
            .as_ref()
            .map(|names| names.iter().map(|n| &**n).collect())
    }

    /// Build every field again (undo [`JsonParser::select`]).
    pub fn select_all(&mut self) {
        self.selected = None;
        self.layout = json_skim::Layout::default();
    }

    /// Whether lines are checked byte by byte by the full grammar when only some fields
    /// are built (`true`: the same lines are accepted as when every field is built, the
    /// same failures at the same offsets), or read by the fast path (`false`, the
    /// default): see `docs/formats.md` for what it does and does not check.
    pub fn check_every_byte(&mut self, yes: bool) {
        self.every_byte = yes;
    }

    /// Parse one line into `rec`: the selected fields, or all.
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        self.parse_as(line, rec, false)
    }

    /// Parse one line into `rec` with every field, whatever is selected.
    pub fn parse_every_field<'a>(
        &mut self,
        line: &'a [u8],
        rec: &mut Record<'a>,
    ) -> Result<(), ParseFailure> {
        self.parse_as(line, rec, true)
    }

    #[inline]
    fn parse_as<'a>(
        &mut self,
        line: &'a [u8],
        rec: &mut Record<'a>,
        every: bool,
    ) -> Result<(), ParseFailure> {
        rec.begin_dynamic();
        if let (false, false, Some(names)) = (every, self.every_byte, &self.selected) {
            if names.len() <= json_skim::MAX_NAMES {
                let (tail, closer) = (json_skim::Tail::Balanced, self.closer);
                match json_skim::skim(line, rec, names, tail, closer, &mut self.layout) {
                    Ok(()) => return Ok(()),
                    Err(json_skim::Halt::Fail(e, offset)) => {
                        return Err(ParseFailure {
                            reason: Reason::Json(e),
                            offset,
                        })
                    }
                    // Read by the full reader, from the start.
                    Err(_) => rec.begin_dynamic(),
                }
            }
        }
        self.prefix.clear();
        let (mode, selected) = match &self.selected {
            _ if every => (Mode::All, &[][..]),
            None => (Mode::All, &[][..]),
            Some(names) if names.is_empty() => (Mode::Check, &[][..]),
            Some(names) => (Mode::Selected, &names[..]),
        };
        let mut r = Reader {
            s: line,
            i: 0,
            prefix: &mut self.prefix,
            selected,
        };
        r.ws();
        let fail = |(e, offset): (JsonError, usize)| ParseFailure {
            reason: Reason::Json(e),
            offset,
        };
        if r.peek() != Some(b'{') {
            return Err(fail((JsonError::NotAnObject, r.i)));
        }
        r.object(rec, 1, mode).map_err(fail)?;
        r.ws();
        if r.i != line.len() {
            return Err(fail((JsonError::TrailingText, r.i)));
        }
        Ok(())
    }
}

impl<'a> Reader<'a, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    #[inline]
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    #[inline]
    fn err<T>(&self, e: JsonError) -> R<T> {
        Err((e, self.i))
    }

    #[inline]
    fn expect(&mut self, b: u8) -> R<()> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            self.err(JsonError::Syntax)
        }
    }

    /// An object at `self.i` (`{`), its fields pushed with the current prefix: all of
    /// them, the selected ones, or none (`mode`). Whatever the mode, the same text is
    /// read and checked the same way.
    fn object(&mut self, rec: &mut Record<'a>, depth: usize, mode: Mode) -> R<()> {
        if depth > MAX_DEPTH {
            return self.err(JsonError::TooDeep);
        }
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let key = match mode {
                Mode::Check => {
                    self.skip_string()?;
                    Cow::Borrowed(&b""[..])
                }
                Mode::Selected => self.key()?,
                Mode::All => self.string()?,
            };
            self.ws();
            self.expect(b':')?;
            self.ws();
            let (field, below) = match mode {
                Mode::All => (true, true),
                Mode::Selected => self.wants(&key),
                Mode::Check => (false, false),
            };
            match self.peek() {
                Some(b'{') if below => {
                    let keep = self.prefix.len();
                    self.prefix.push_str(&key_text(key));
                    self.prefix.push('.');
                    let res = self.object(rec, depth + 1, mode);
                    self.prefix.truncate(keep);
                    res?;
                }
                Some(b'{') => self.object(rec, depth + 1, Mode::Check)?,
                Some(b'[') => {
                    let start = self.i;
                    self.skip_value(depth + 1)?;
                    if field {
                        let name = self.name(key_text(key));
                        rec.push(name, Value::borrowed(&self.s[start..self.i]));
                    }
                }
                _ if field => {
                    let name = self.name(selected_key_text(key));
                    let v = self.scalar()?;
                    rec.push(name, v);
                }
                _ => self.skip_scalar()?,
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return self.err(JsonError::Syntax),
            }
        }
    }

    /// Whether the member called `key` at the current nesting is a selected field, and
    /// whether a selected name goes on below it (`key.…`). Names compare as the full
    /// parse would build them: the key decoded, invalid UTF-8 replaced.
    fn wants(&self, key: &[u8]) -> (bool, bool) {
        let found = wants_name(self.selected, self.prefix.as_bytes(), key);
        if found == (false, false) && !key.is_ascii() && std::str::from_utf8(key).is_err() {
            let lossy = String::from_utf8_lossy(key);
            return wants_name(self.selected, self.prefix.as_bytes(), lossy.as_bytes());
        }
        found
    }

    /// The full name of a field called `key` at the current nesting.
    #[inline]
    fn name(&self, key: Cow<'a, str>) -> Cow<'a, str> {
        if self.prefix.is_empty() {
            key
        } else {
            Cow::Owned(format!("{}{}", self.prefix, key))
        }
    }

    /// A string, number, `true`, `false` or `null`.
    #[inline]
    fn scalar(&mut self) -> R<Value<'a>> {
        match self.peek() {
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.err(JsonError::Syntax),
        }
    }

    #[inline]
    fn word(&mut self, w: &[u8], v: Value<'a>) -> R<Value<'a>> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            self.err(JsonError::Syntax)
        }
    }

    /// The run of number characters at `self.i` (stepped over), its start and shape.
    #[inline]
    fn number_text(&mut self) -> (usize, &'a [u8], NumberShape) {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.i += 1;
        }
        let t = &self.s[start..self.i];
        (start, t, classify_number(t))
    }

    fn number(&mut self) -> R<Value<'a>> {
        if let Some((v, end)) = plain_number_value(self.s, self.i) {
            self.i = end;
            return Ok(v);
        }
        let (start, t, shape) = self.number_text();
        match shape {
            NumberShape::Int => Ok(match parse_i64(t) {
                Some(i) => Value::Int(i),
                None => Value::Float(float(t).unwrap_or(f64::NAN)),
            }),
            NumberShape::Float => match float(t) {
                Some(x) if x.is_finite() => Ok(Value::Float(x)),
                _ => Err((JsonError::Syntax, start)),
            },
            NumberShape::Not => Err((JsonError::Syntax, start)),
        }
    }

    /// A scalar checked exactly as [`Reader::scalar`] checks it, without building it.
    #[inline]
    fn skip_scalar(&mut self) -> R<()> {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b't') => self.word(b"true", Value::Null).map(drop),
            Some(b'f') => self.word(b"false", Value::Null).map(drop),
            Some(b'n') => self.word(b"null", Value::Null).map(drop),
            Some(b'-' | b'0'..=b'9') => self.skip_number(),
            _ => self.err(JsonError::Syntax),
        }
    }

    /// A number checked as [`Reader::number`] checks it: the shape, and that a float is
    /// finite (only one with an exponent or over 300 characters can be too big, so only
    /// those are converted).
    #[inline]
    fn skip_number(&mut self) -> R<()> {
        let start = self.i;
        if let Some(end) = plain_number_end(self.s, start) {
            self.i = end;
            return Ok(());
        }
        let (start, t, shape) = self.number_text();
        match shape {
            NumberShape::Int => Ok(()),
            NumberShape::Float if t.len() <= 300 && !t.iter().any(|&b| b == b'e' || b == b'E') => {
                Ok(())
            }
            NumberShape::Float => match float(t) {
                Some(x) if x.is_finite() => Ok(()),
                _ => Err((JsonError::Syntax, start)),
            },
            NumberShape::Not => Err((JsonError::Syntax, start)),
        }
    }

    /// A string checked as [`Reader::string`] checks it (closing quote, escapes, four hex
    /// digits after every `\u`), failing at the same offsets, without decoding it. (A
    /// surrogate pair needs no look-ahead here: the second `\u` is checked in turn.)
    #[inline(always)]
    fn skip_string(&mut self) -> R<()> {
        self.expect(b'"')?;
        let s = self.s;
        let start = self.i;
        loop {
            let Some(off) = quote_or_backslash(&s[self.i..]) else {
                // `string` fails at the opening quote's next byte when it saw no escape,
                // else at the end of the line.
                if self.i != start {
                    self.i = s.len();
                }
                return self.err(JsonError::Syntax);
            };
            self.i += off;
            if s[self.i] == b'"' {
                self.i += 1;
                return Ok(());
            }
            self.i += 1;
            let Some(c) = self.peek() else {
                return self.err(JsonError::Syntax);
            };
            self.i += 1;
            match c {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                b'u' => {
                    self.hex4()?;
                }
                _ => return Err((JsonError::Syntax, self.i - 1)),
            }
        }
    }

    /// A member's name at `self.i` (`"`), read as [`Reader::string`] reads it: the
    /// common name without escapes is found with one search and borrowed; one with
    /// escapes is read again by [`Reader::string`], which decodes it.
    #[inline(always)]
    fn key(&mut self) -> R<Cow<'a, [u8]>> {
        let s = self.s;
        let start = self.i + 1;
        if self.peek() == Some(b'"') {
            if let Some(off) = quote_or_backslash(&s[start..]) {
                if s[start + off] == b'"' {
                    self.i = start + off + 1;
                    return Ok(Cow::Borrowed(&s[start..start + off]));
                }
            }
        }
        self.string()
    }

    /// A string at `self.i` (`"`): borrowed unless it has escapes.
    #[inline]
    fn string(&mut self) -> R<Cow<'a, [u8]>> {
        self.expect(b'"')?;
        let start = self.i;
        let s = self.s;
        let Some(off) = quote_or_backslash(&s[start..]) else {
            return self.err(JsonError::Syntax);
        };
        if s[start + off] == b'"' {
            self.i = start + off + 1;
            return Ok(Cow::Borrowed(&s[start..start + off]));
        }
        let mut out = s[start..start + off].to_vec();
        self.i = start + off;
        loop {
            match self.peek() {
                None => return self.err(JsonError::Syntax),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let Some(c) = self.peek() else {
                        return self.err(JsonError::Syntax);
                    };
                    self.i += 1;
                    match c {
                        b'"' | b'\\' | b'/' => out.push(c),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let ch = self.unicode_escape()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err((JsonError::Syntax, self.i - 1)),
                    }
                }
                Some(_) => {
                    let rest = &s[self.i..];
                    let n = quote_or_backslash(rest).unwrap_or(rest.len());
                    out.extend_from_slice(&rest[..n]);
                    self.i += n;
                }
            }
        }
    }

    fn hex4(&mut self) -> R<u32> {
        let Some(h) = self.s.get(self.i..self.i + 4) else {
            return self.err(JsonError::Syntax);
        };
        let mut v = 0u32;
        for &c in h {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return self.err(JsonError::Syntax),
            };
            v = v << 4 | d as u32;
        }
        self.i += 4;
        Ok(v)
    }

    /// After `\u`: a code point, joining a surrogate pair; a lone surrogate becomes
    /// U+FFFD rather than an error.
    fn unicode_escape(&mut self) -> R<char> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) && self.s[self.i..].starts_with(b"\\u") {
            let save = self.i;
            self.i += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{fffd}'));
            }
            self.i = save;
        }
        Ok(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    /// Skip (and check) any value; used for arrays, kept as text.
    fn skip_value(&mut self, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return self.err(JsonError::TooDeep);
        }
        self.ws();
        match self.peek() {
            Some(b'[') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err(JsonError::Syntax),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    self.ws();
                    self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.skip_value(depth + 1)?;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(());
                        }
                        _ => return self.err(JsonError::Syntax),
                    }
                }
            }
            _ => self.scalar().map(|_| ()),
        }
    }
}

/// The value of a selected member at `i`, read and checked as the full reader reads a
/// member's value (a scalar; an array, `depth` deep, kept as its text); and where it ends.
/// For the fast path ([`json_skim`]), which checks only the values it builds.
///
/// The common values are read here, inline in the fast path's member loop: a string
/// without escapes and a plain number, by the first steps of [`Reader::string`] and
/// [`Reader::number`] (the same functions, so the same values); anything else (escapes,
/// other numbers, literals, arrays, errors) by the reader, from the value's start.
#[inline(always)]
pub(super) fn read_selected_value(
    s: &[u8],
    i: usize,
    depth: usize,
) -> Result<(Value<'_>, usize), (JsonError, usize)> {
    match s.get(i) {
        Some(b'"') => {
            let start = i + 1;
            if let Some(off) = quote_or_backslash(&s[start..]) {
                if s[start + off] == b'"' {
                    return Ok((
                        Value::Str(Cow::Borrowed(&s[start..start + off])),
                        start + off + 1,
                    ));
                }
            }
        }
        Some(b'-' | b'0'..=b'9') => {
            if let Some(read) = plain_number_value(s, i) {
                return Ok(read);
            }
        }
        _ => {}
    }
    read_value(s, i, depth)
}

/// [`read_selected_value`] by the reader.
fn read_value(s: &[u8], i: usize, depth: usize) -> Result<(Value<'_>, usize), (JsonError, usize)> {
    let mut prefix = String::new();
    let mut r = Reader {
        s,
        i,
        prefix: &mut prefix,
        selected: &[],
    };
    let v = if r.peek() == Some(b'[') {
        r.skip_value(depth)?;
        Value::borrowed(&s[i..r.i])
    } else {
        r.scalar()?
    };
    Ok((v, r.i))
}

/// See [`Reader::wants`]: `(field, below)` for the name `prefix` + `key`. The lengths
/// and the byte after the key are checked first, so most keys are turned down without
/// comparing any text.
#[inline]
fn wants_name(selected: &[Box<str>], prefix: &[u8], key: &[u8]) -> (bool, bool) {
    let (mut field, mut below) = (false, false);
    let end = prefix.len() + key.len();
    for name in selected {
        let n = name.as_bytes();
        let after = match n.get(end) {
            None if n.len() == end => None,
            Some(b'.') => Some(b'.'),
            _ => continue,
        };
        if same(&n[prefix.len()..end], key) && same(&n[..prefix.len()], prefix) {
            match after {
                None => field = true,
                Some(_) => below = true,
            }
        }
    }
    (field, below)
}

/// Where the number at `start` ends when it is a plain one (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`,
/// no exponent, under 300 characters: valid and finite, nothing to convert) and what
/// follows cannot continue it; `None` for anything else, which [`Reader::skip_number`]
/// then checks as [`Reader::number`] does. One pass, where the general check takes two.
#[inline(always)]
fn plain_number_end(s: &[u8], start: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while matches!(s.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(s.get(start) == Some(&b'-'));
    i = match s.get(i) {
        Some(b'0') => i + 1,
        Some(b'1'..=b'9') => digits(i + 1),
        _ => return None,
    };
    if s.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    let continues = matches!(
        s.get(i),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
    );
    (!continues && i - start <= 300).then_some(i)
}

/// Powers of ten that `f64` holds exactly.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of the number at `start` and where it ends, when it is a plain one (see
/// [`plain_number_end`]) short enough to need no general conversion: an integer of at most
/// 18 digits (it fits in `i64`), or a decimal whose digits, read as one integer `m`, give
/// `m ≤ 2^53` with at most 22 after the point. Then `m` and `10^k` are exact in `f64` and
/// one division rounds correctly (Clinger's fast path, also the first step of `fast_float`
/// and of the standard library's parser), so the value is the one `str::parse` gives.
/// `None` for anything else, which [`Reader::number`] reads the general way. Log numbers
/// (`4.293`, `95847`) are nearly all plain.
#[inline(always)]
pub(super) fn plain_number_value(s: &[u8], start: usize) -> Option<(Value<'static>, usize)> {
    // One pass: the shape of `plain_number_end` and the digits together (this reads
    // `latency_ms` on every line of a log).
    let mut m: u64 = 0;
    let mut digits = |mut i: usize| {
        while let Some(&d @ b'0'..=b'9') = s.get(i) {
            m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        i
    };
    let neg = s.get(start) == Some(&b'-');
    let int_start = start + usize::from(neg);
    let mut i = match s.get(int_start) {
        Some(b'0') => int_start + 1,
        Some(b'1'..=b'9') => digits(int_start),
        _ => return None,
    };
    let int_digits = i - int_start;
    let mut after = None;
    if s.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        if end == i + 1 {
            return None;
        }
        after = Some(end - i - 1);
        i = end;
    }
    let continues = matches!(
        s.get(i),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
    );
    // More than 18 digits may not fit (and `m` wrapped): the general way reads them.
    if continues || i - start > 300 || int_digits + after.unwrap_or(0) > 18 {
        return None;
    }
    match after {
        None => {
            // At most 18 digits: below i64::MAX.
            let v = m as i64;
            Some((Value::Int(if neg { -v } else { v }), i))
        }
        Some(after) => {
            if m > 1 << 53 || after >= EXACT_POW10.len() {
                return None;
            }
            let x = m as f64 / EXACT_POW10[after];
            Some((Value::Float(if neg { -x } else { x }), i))
        }
    }
}

/// The name of a selected member: its bytes equal a selected name (valid UTF-8) unless
/// it was matched through the lossy comparison, so the lossy decoding is rarely needed.
#[inline]
fn selected_key_text(key: Cow<'_, [u8]>) -> Cow<'_, str> {
    match key {
        Cow::Borrowed(k) => match std::str::from_utf8(k) {
            Ok(t) => Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(k),
        },
        owned => key_text(owned),
    }
}

/// A key as a field name: UTF-8, invalid bytes replaced.
fn key_text(key: Cow<'_, [u8]>) -> Cow<'_, str> {
    match key {
        Cow::Borrowed(k) => String::from_utf8_lossy(k),
        Cow::Owned(k) => Cow::Owned(String::from_utf8_lossy(&k).into_owned()),
    }
}

fn float(t: &[u8]) -> Option<f64> {
    std::str::from_utf8(t).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<(String, String)>, JsonError> {
        let mut p = JsonParser::new();
        let mut rec = Record::new();
        p.parse(line.as_bytes(), &mut rec)
            .map_err(|f| match f.reason {
                Reason::Json(e) => e,
                _ => unreachable!(),
            })?;
        Ok(rec
            .iter()
            .map(|(k, v)| (k.to_string(), format!("{v:?}")))
            .collect())
    }

    #[test]
    fn flattening_and_types() {
        let got = parse(
            r#" {"a":{"b":1,"c":{"d":"x"}},"e":[1,{"f":2}],"g":-1.5,"h":null,"i":true,"j":{}} "#,
        )
        .unwrap();
        let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["a.b", "a.c.d", "e", "g", "h", "i"]);
        assert_eq!(got[0].1, "Int(1)");
        assert_eq!(
            got[2].1,
            r#"Str([91, 49, 44, 123, 34, 102, 34, 58, 50, 125, 93])"#
        );
        assert_eq!(got[3].1, "Float(-1.5)");
        assert_eq!(got[4].1, "Null");
        assert_eq!(got[5].1, "Bool(true)");
    }

    #[test]
    fn escapes_and_big_numbers() {
        let mut p = JsonParser::new();
        let mut rec = Record::new();
        let line = br#"{"k\u00e9":"a\"b\\c\n\ud83d\ude00\ud800","n":12345678901234567890,"m":-0}"#;
        p.parse(line, &mut rec).unwrap();
        assert_eq!(rec.name(0), Some("ké"));
        assert_eq!(
            rec.value(0).unwrap().as_bytes().unwrap(),
            "a\"b\\c\n😀\u{fffd}".as_bytes()
        );
        assert_eq!(rec.value(1), Some(&Value::Float(12345678901234567890.0)));
        assert_eq!(rec.value(2), Some(&Value::Int(0)));
        // Plain strings borrow from the line.
        p.parse(br#"{"a":"plain"}"#, &mut rec).unwrap();
        assert!(matches!(rec.value(0), Some(Value::Str(Cow::Borrowed(_)))));
    }

    /// Plain numbers read by the short conversion have exactly the value the general
    /// one gives (`str::parse`, correctly rounded), and the same kind; numbers that are
    /// not plain or too long are left to the general way.
    #[test]
    fn plain_numbers_read_as_the_general_way_reads_them() {
        let general = |t: &str| -> Value<'static> {
            match (classify_number(t.as_bytes()), parse_i64(t.as_bytes())) {
                (NumberShape::Int, Some(i)) => Value::Int(i),
                _ => Value::Float(t.parse().unwrap()),
            }
        };
        let mut next = crate::stage::parse::xorshift(0x0123_4567_89AB_CDEF);
        let mut fast = 0;
        for n in 0..300_000 {
            let int_digits = 1 + (next() % 20) as usize;
            let mut t = String::new();
            if next().is_multiple_of(3) {
                t.push('-');
            }
            for d in 0..int_digits {
                let first = d == 0;
                t.push(char::from(b'0' + (next() % 10) as u8));
                if first && t.ends_with('0') {
                    break;
                }
            }
            if n % 4 != 0 {
                t.push('.');
                for _ in 0..1 + next() % 24 {
                    t.push(char::from(b'0' + (next() % 10) as u8));
                }
            }
            let line = format!("{t},");
            let want = general(&t);
            if let Some((got, end)) = plain_number_value(line.as_bytes(), 0) {
                fast += 1;
                assert_eq!(end, t.len(), "{t}");
                match (&got, &want) {
                    (Value::Float(a), Value::Float(b)) => {
                        assert_eq!(a.to_bits(), b.to_bits(), "{t}")
                    }
                    _ => assert_eq!(got, want, "{t}"),
                }
            }
        }
        assert!(fast > 100_000, "only {fast} read the short way");
        for not_plain in [
            "1e5",
            "01",
            "1.",
            "-",
            "1.5e3",
            "-.5",
            "123456789012345678901234",
        ] {
            let line = format!("{not_plain},");
            assert!(
                plain_number_value(line.as_bytes(), 0).is_none(),
                "{not_plain}"
            );
        }
    }

    #[test]
    fn errors() {
        assert_eq!(parse("[1]"), Err(JsonError::NotAnObject));
        assert_eq!(parse(""), Err(JsonError::NotAnObject));
        assert_eq!(parse("{"), Err(JsonError::Syntax));
        assert_eq!(parse(r#"{"a":1,}"#), Err(JsonError::Syntax));
        assert_eq!(parse(r#"{"a":01}"#), Err(JsonError::Syntax));
        assert_eq!(parse(r#"{"a":1} x"#), Err(JsonError::TrailingText));
        assert_eq!(parse(r#"{"a":"\q"}"#), Err(JsonError::Syntax));
        assert_eq!(parse(r#"{"a":tru}"#), Err(JsonError::Syntax));
        assert_eq!(parse(r#"{"a":1e999}"#), Err(JsonError::Syntax));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(&deep), Err(JsonError::TooDeep));
        let deep = format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200));
        assert_eq!(parse(&deep), Err(JsonError::TooDeep));
    }

    /// The reader accepts exactly the objects serde_json accepts, on a set of tricky and
    /// generated inputs. (Two deliberate differences are left out of the pieces: a lone
    /// surrogate escape becomes U+FFFD, and raw control bytes inside strings are kept.)
    #[test]
    fn agrees_with_serde_json() {
        let pieces = [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"a\"",
            "\"b\\\"\"",
            "1",
            "-0.5e3",
            "true",
            "null",
            " ",
            "\"\\u12\"",
            "01",
            "1.",
            "\"x",
            "\\",
            "{\"k\":",
        ];
        let mut next = crate::stage::parse::xorshift(0x9E37_79B9_7F4A_7C15u64);
        let mut p = JsonParser::new();
        let mut agreed_ok = 0;
        for _ in 0..200_000 {
            let n = 1 + next() % 10;
            let mut s = String::from("{\"k\":");
            for _ in 0..n {
                s.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            }
            let mut rec = Record::new();
            let ours = p.parse(s.as_bytes(), &mut rec).is_ok();
            let theirs = matches!(
                serde_json::from_str::<serde_json::Value>(&s),
                Ok(serde_json::Value::Object(_))
            );
            assert_eq!(ours, theirs, "{s}");
            agreed_ok += usize::from(ours);
        }
        assert!(agreed_ok > 100, "only {agreed_ok} valid inputs generated");
    }

    /// Fields of `line` (name, value) or the failure (reason, offset).
    type Outcome = Result<Vec<(String, String)>, (JsonError, usize)>;

    fn outcome(p: &mut JsonParser, line: &[u8]) -> Outcome {
        let mut rec = Record::new();
        match p.parse(line, &mut rec) {
            Ok(()) => Ok(rec
                .iter()
                .map(|(k, v)| (k.to_string(), format!("{v:?}")))
                .collect()),
            Err(ParseFailure {
                reason: Reason::Json(e),
                offset,
            }) => Err((e, offset)),
            Err(other) => panic!("not a JSON failure: {other}"),
        }
    }

    /// Building only some fields while checking every byte (`--strict`) accepts and
    /// rejects the same lines as building all of them (same reason, same offset) and
    /// builds exactly the selected fields, in order; the fast path accepts every line the
    /// full parse accepts and builds the first field of each selected name: on generated
    /// lines with nesting, arrays, escapes, repeated keys and broken pieces.
    #[test]
    fn selecting_fields_reads_the_same_lines() {
        // Values (most valid, some broken) and keys, put together as members.
        let values = [
            "1",
            "-0.5e3",
            "12345678901234567890",
            "true",
            "null",
            "\"x\"",
            "\"q\\\"\"",
            "\"\\ud83d\\ude00\"",
            "[]",
            "[1, \"a\", {\"b\": null}]",
            "{}",
            "{\"b\":2}",
            "{\"b\":{\"c\":[3]},\"b\":\"dup\"}",
            "{\"a\":{\"b\":\"deep\"}}",
            " \"sp\" ",
            "1e999",
            "01",
            "1.",
            "nul",
            "\"\\u12\"",
            "\"\\q\"",
            "\"open",
            "[1,]",
            "{\"b\"}",
            "{\"b\":1",
            "-",
            "\"a\\",
            "\"q\\\"open",
        ];
        let keys = [
            "\"a\"",
            "\"b\"",
            "\"a.b\"",
            "\"k\\u0061\"",
            "\"\"",
            "\"k\"",
            "a",
        ];
        let selections: [&[&str]; 6] = [
            &[],
            &["a"],
            &["a.b"],
            &["ka", "b"],
            &["a", "a.b", "a.a.b"],
            &["k"],
        ];
        let mut next = crate::stage::parse::xorshift(0x2545_F491_4F6C_DD1Du64);
        let mut full = JsonParser::new();
        let mut picky: Vec<JsonParser> = selections
            .iter()
            .map(|sel| {
                let mut p = JsonParser::new();
                p.select(sel);
                p.check_every_byte(true);
                p
            })
            .collect();
        let mut fast: Vec<JsonParser> = selections
            .iter()
            .map(|sel| {
                let mut p = JsonParser::new();
                p.select(sel);
                p
            })
            .collect();
        let (mut ok, mut failed) = (0, 0);
        for _ in 0..100_000 {
            let n = 1 + next() % 6;
            let mut s = String::from("{");
            for m in 0..n {
                if m > 0 {
                    s.push(',');
                }
                s.push_str(keys[(next() % keys.len() as u64) as usize]);
                s.push(':');
                // Broken values are the last ones: pick them rarely.
                let v = (next() % values.len() as u64) as usize;
                let v = if v >= 15 && !next().is_multiple_of(8) {
                    v - 15
                } else {
                    v
                };
                s.push_str(values[v]);
            }
            s.push_str(if next().is_multiple_of(50) {
                "} x"
            } else {
                "}"
            });
            let want = outcome(&mut full, s.as_bytes());
            for (sel, p) in selections.iter().zip(&mut picky) {
                let want = want.clone().map(|fields| {
                    fields
                        .into_iter()
                        .filter(|(k, _)| sel.contains(&k.as_str()))
                        .collect::<Vec<_>>()
                });
                assert_eq!(outcome(p, s.as_bytes()), want, "{s} selecting {sel:?}");
            }
            if let Ok(fields) = &want {
                // What a lookup by name sees: the first field of each name. (The fast
                // path builds only those; a line it leaves to the full reader, for an
                // escaped key, gets the repeats too.)
                let first = |fields: &[(String, String)], sel: &[&str]| {
                    let mut out: Vec<(String, String)> = Vec::new();
                    for (k, v) in fields {
                        if sel.contains(&k.as_str()) && !out.iter().any(|(n, _)| n == k) {
                            out.push((k.clone(), v.clone()));
                        }
                    }
                    out
                };
                for (sel, p) in selections.iter().zip(&mut fast) {
                    let got = outcome(p, s.as_bytes()).map(|f| first(&f, sel));
                    assert_eq!(got, Ok(first(fields, sel)), "{s} fast, {sel:?}");
                }
            }
            if want.is_ok() {
                ok += 1;
            } else {
                failed += 1;
            }
        }
        assert!(ok > 500 && failed > 500, "{ok} parsed, {failed} failed");
    }

    #[test]
    fn selected_nested_escaped_and_repeated_keys() {
        let mut p = JsonParser::new();
        p.check_every_byte(true);
        p.select(&["user.id", "k\"", "dup", "é"]);
        let line = br#"{"user":{"id":1,"plan":"x"},"user.id":2,"k\"":"v\u00e9","dup":1,"dup":"two","\u00e9":[1, {"x":2}],"other":{"user":{"id":9}}}"#;
        let got = outcome(&mut p, line).unwrap();
        let want: Vec<(String, String)> = [
            ("user.id", "Int(1)"),
            ("user.id", "Int(2)"),
            ("k\"", "Str([118, 195, 169])"),
            ("dup", "Int(1)"),
            ("dup", "Str([116, 119, 111])"),
            (
                "é",
                "Str([91, 49, 44, 32, 123, 34, 120, 34, 58, 50, 125, 93])",
            ),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
        // The fast path builds the first of each name (the one a lookup finds). The
        // escaped key sends the line to the full reader, which builds every repeat:
        // without it, the first of each.
        let mut fast = JsonParser::new();
        fast.select(&["user.id", "dup"]);
        let first: Vec<(String, String)> = [("user.id", "Int(1)"), ("dup", "Int(1)")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let plain = br#"{"user":{"id":1,"plan":"x"},"user.id":2,"dup":1,"dup":"two","other":{"user":{"id":9}}}"#;
        assert_eq!(outcome(&mut fast, plain), Ok(first));
        // A selected name whose value is an object gives no field, as in the full parse.
        p.select(&["user"]);
        assert_eq!(outcome(&mut p, line), Ok(vec![]));
        fast.select(&["user"]);
        assert_eq!(outcome(&mut fast, line), Ok(vec![]));
    }
}
