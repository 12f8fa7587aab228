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

use std::borrow::Cow;

use super::record::Record;
use super::value::Value;
use super::{ParseFailure, Reason};

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
pub struct LogfmtParser;

#[inline]
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl LogfmtParser {
    /// A logfmt parser.
    pub fn new() -> LogfmtParser {
        LogfmtParser
    }

    /// Parse one line into `rec`.
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        rec.begin_dynamic();
        let fail = |e, offset| ParseFailure {
            reason: Reason::Logfmt(e),
            offset,
        };
        let s = line;
        let mut i = 0;
        let mut pairs = 0;
        loop {
            while i < s.len() && blank(s[i]) {
                i += 1;
            }
            if i == s.len() {
                break;
            }
            let start = i;
            while i < s.len() && !blank(s[i]) && s[i] != b'=' && s[i] != b'"' {
                i += 1;
            }
            if i == start || s.get(i) == Some(&b'"') {
                return Err(fail(LogfmtError::Syntax, i));
            }
            let key = String::from_utf8_lossy(&s[start..i]);
            if s.get(i) != Some(&b'=') {
                rec.push(key, Value::Bool(true));
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
                    match memchr::memchr2(b'"', b'\\', &s[i..]) {
                        None => return Err(fail(LogfmtError::UnterminatedQuote, open)),
                        Some(off) => {
                            let q = i + off;
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
                let v = if escaped {
                    Cow::Owned(unquote(raw))
                } else {
                    Cow::Borrowed(raw)
                };
                rec.push(key, Value::Str(v));
            } else {
                let vstart = i;
                while i < s.len() && !blank(s[i]) {
                    if s[i] == b'"' {
                        return Err(fail(LogfmtError::Syntax, i));
                    }
                    i += 1;
                }
                rec.push(key, Value::infer(&s[vstart..i]));
            }
        }
        if pairs == 0 {
            return Err(fail(LogfmtError::NoPairs, 0));
        }
        Ok(())
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
}
