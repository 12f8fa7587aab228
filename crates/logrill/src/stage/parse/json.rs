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

use std::borrow::Cow;

use super::record::Record;
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

/// The JSON-lines parser. Keeps a buffer for the names of nested fields.
#[derive(Debug, Clone, Default)]
pub struct JsonParser {
    prefix: String,
}

struct Reader<'a, 'p> {
    s: &'a [u8],
    i: usize,
    prefix: &'p mut String,
}

type R<T> = Result<T, (JsonError, usize)>;

impl JsonParser {
    /// A JSON-lines parser.
    pub fn new() -> JsonParser {
        JsonParser::default()
    }

    /// Parse one line into `rec`.
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        rec.begin_dynamic();
        self.prefix.clear();
        let mut r = Reader {
            s: line,
            i: 0,
            prefix: &mut self.prefix,
        };
        r.ws();
        let fail = |(e, offset): (JsonError, usize)| ParseFailure {
            reason: Reason::Json(e),
            offset,
        };
        if r.peek() != Some(b'{') {
            return Err(fail((JsonError::NotAnObject, r.i)));
        }
        r.object(rec, 1).map_err(fail)?;
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

    /// An object at `self.i` (`{`), its fields pushed with the current prefix.
    fn object(&mut self, rec: &mut Record<'a>, depth: usize) -> R<()> {
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
            let key = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let key_text = match key {
                Cow::Borrowed(k) => String::from_utf8_lossy(k),
                Cow::Owned(k) => Cow::Owned(String::from_utf8_lossy(&k).into_owned()),
            };
            match self.peek() {
                Some(b'{') => {
                    let keep = self.prefix.len();
                    self.prefix.push_str(&key_text);
                    self.prefix.push('.');
                    let res = self.object(rec, depth + 1);
                    self.prefix.truncate(keep);
                    res?;
                }
                Some(b'[') => {
                    let name = self.name(key_text);
                    let start = self.i;
                    self.skip_value(depth + 1)?;
                    rec.push(name, Value::borrowed(&self.s[start..self.i]));
                }
                _ => {
                    let name = self.name(key_text);
                    let v = self.scalar()?;
                    rec.push(name, v);
                }
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

    fn word(&mut self, w: &[u8], v: Value<'a>) -> R<Value<'a>> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            self.err(JsonError::Syntax)
        }
    }

    fn number(&mut self) -> R<Value<'a>> {
        let start = self.i;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
        ) {
            self.i += 1;
        }
        let t = &self.s[start..self.i];
        match classify_number(t) {
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

    /// A string at `self.i` (`"`): borrowed unless it has escapes.
    fn string(&mut self) -> R<Cow<'a, [u8]>> {
        self.expect(b'"')?;
        let start = self.i;
        let s = self.s;
        let Some(off) = memchr::memchr2(b'"', b'\\', &s[start..]) else {
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
                    let n = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
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
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
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
}
