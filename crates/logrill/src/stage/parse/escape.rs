//! Undoing the escapes Apache and nginx write into quoted log fields.
//!
//! Apache (`ap_escape_logitem`) writes `"` as `\"`, `\` as `\\`, a few control characters
//! as `\t \n \r \b \v`, and every other non-printable byte (controls, bytes ≥ 0x80) as
//! `\xhh`. nginx writes `"`, `\` and the same bytes as `\xhh`. Undoing them gives back the
//! original bytes, which need not be UTF-8 (see [`Value`](super::Value)).
//!
//! The scanner remembers whether it saw a backslash inside a field; only then is this run,
//! and only then does the value own its bytes. The rules are those of the apachelogs
//! conformance data: `\xhh` with exactly two hex digits in either case; `\t \n \r \b \v \f`;
//! any other `\c` is `c`.

use std::borrow::Cow;

#[inline]
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The bytes of `s` with escapes undone. A backslash at the very end is kept as is.
pub fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b != b'\\' || i + 1 == s.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = s[i + 1];
        i += 2;
        match c {
            b'x' => {
                match (
                    s.get(i).copied().and_then(hex),
                    s.get(i + 1).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 2;
                    }
                    // `\x` not followed by two hex digits: an escaped `x`.
                    _ => out.push(b'x'),
                }
            }
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'b' => out.push(0x08),
            b'v' => out.push(0x0b),
            b'f' => out.push(0x0c),
            other => out.push(other),
        }
    }
    out
}

/// `s` as a value: borrowed when `has_escape` is false (the scanner saw no backslash),
/// unescaped otherwise.
#[inline]
pub fn cow(s: &[u8], has_escape: bool) -> Cow<'_, [u8]> {
    if has_escape {
        Cow::Owned(unescape(s))
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache_escapes() {
        assert_eq!(unescape(br#"a\"b\\c"#), br#"a"b\c"#);
        assert_eq!(unescape(br"/wsgi/t\xc3\xa9st"), "/wsgi/tést".as_bytes());
        assert_eq!(unescape(br"Gh0st\xad"), b"Gh0st\xad");
        assert_eq!(unescape(br"\XAD\xAd"), b"XAD\xad");
        assert_eq!(unescape(br"\t\n\r\b\v\f"), b"\t\n\r\x08\x0b\x0c");
        // `\\0` in a log line is the two characters `\0`.
        assert_eq!(unescape(br"\\0"), br"\0");
        assert_eq!(unescape(br"\x4"), b"x4");
        assert_eq!(unescape(br"end\"), br"end\");
        assert_eq!(unescape(br"\q"), b"q");
        assert!(matches!(cow(b"plain", false), Cow::Borrowed(_)));
        assert_eq!(&*cow(br"a\x41", true), b"aA");
    }
}
