//! The LogFormat scanner against a regex built from the same format.
//!
//! The scanner promises to accept exactly the lines a regex made from the format would
//! (lazy strings, greedy tokens, a backtracking, leftmost-first match: what apachelogs does
//! with Python's `re`), with the same fields, only faster. The `regex` crate gives the same
//! captures as a backtracking engine, so it serves as the reference here: random formats
//! (delimited strings of every class, tokens, literals, fields right next to each other) and
//! random lines made to almost fit them (escapes, quotes, spaces, `-`, junk), compared line
//! by line: match or not, and every value.

use logrill::stage::parse::{unescape, Naming, Parser, Reason, Record, Value};
use regex::bytes::Regex;

/// A directive of the generated formats: its text, the reference regex for it, and how the
/// reference turns the captured text into a value.
#[derive(Clone, Copy)]
struct Kind {
    directive: &'static str,
    regex: &'static str,
    conv: Conv,
    /// Characters its content is usually made of.
    alphabet: &'static [&'static str],
}

#[derive(Clone, Copy, PartialEq)]
enum Conv {
    /// Unescaped bytes.
    Text,
    /// Unescaped bytes, `-` is null.
    ClfText,
    /// `%u`: also `""` → empty.
    User,
    /// Raw bytes, `-` is null.
    ClfVerbatim,
    /// `%q`: raw with its `?`, unescaped.
    Query,
    Int,
    ClfInt,
    ClfStatus,
}

const TEXT: &[&str] = &[
    "a", "b", " ", "-", "\\\"", "\\\\", "\\x41", "\\", "\"", "1", ":", "|", "\u{e9}",
];
const WORD: &[&str] = &["a", "b", "-", "\\\"", "x", "1", ":", "|"];
const DIGITS: &[&str] = &["0", "1", "7", "9", "-"];
const QUERY: &[&str] = &["?", "a", "=", "&", "\\x20", " "];

const KINDS: &[Kind] = &[
    Kind {
        directive: "%h",
        regex: r#"((?:[^"\\]|\\[\s\S])*?)"#,
        conv: Conv::Text,
        alphabet: TEXT,
    },
    Kind {
        directive: "%r",
        regex: r#"((?:[^"\\]|\\[\s\S])*?|-)"#,
        conv: Conv::ClfText,
        alphabet: TEXT,
    },
    Kind {
        directive: "%l",
        regex: r#"((?:[^"\\ ]|\\[\s\S])*?|-)"#,
        conv: Conv::ClfText,
        alphabet: WORD,
    },
    Kind {
        directive: "%u",
        regex: r#"((?:[^"\\]|\\[\s\S])*?|-|"")"#,
        conv: Conv::User,
        alphabet: TEXT,
    },
    Kind {
        directive: "%{X}x",
        regex: r"([\s\S]+?|-)",
        conv: Conv::ClfVerbatim,
        alphabet: TEXT,
    },
    Kind {
        directive: "%q",
        regex: r#"((?:\?(?:[^"\\ ]|\\[\s\S])*?)?)"#,
        conv: Conv::Query,
        alphabet: QUERY,
    },
    Kind {
        directive: "%D",
        regex: r"(-?[0-9]+)",
        conv: Conv::Int,
        alphabet: DIGITS,
    },
    Kind {
        directive: "%b",
        regex: r"(-?[0-9]+|-)",
        conv: Conv::ClfInt,
        alphabet: DIGITS,
    },
    Kind {
        directive: "%>s",
        regex: r"([0-9]{3}|-)",
        conv: Conv::ClfStatus,
        alphabet: DIGITS,
    },
];

const LITERALS: &[&str] = &[" ", "\"", "\" \"", ":", "[", "] ", "-", "|", " - ", "?"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

enum Item {
    Lit(&'static str),
    Field(Kind),
}

fn reference_value(conv: Conv, s: &[u8]) -> Value<'static> {
    let text = |b: &[u8]| Value::Str(unescape(b).into());
    match conv {
        Conv::Text => text(s),
        Conv::ClfText if s == b"-" => Value::Null,
        Conv::ClfText => text(s),
        Conv::User if s == b"-" => Value::Null,
        Conv::User if s == b"\"\"" => Value::Str(Vec::new().into()),
        Conv::User => text(s),
        Conv::ClfVerbatim if s == b"-" => Value::Null,
        Conv::ClfVerbatim => Value::Str(s.to_vec().into()),
        Conv::Query => text(s),
        Conv::Int => Value::Int(std::str::from_utf8(s).unwrap().parse().unwrap()),
        Conv::ClfInt | Conv::ClfStatus if s == b"-" => Value::Null,
        Conv::ClfInt | Conv::ClfStatus => {
            Value::Int(std::str::from_utf8(s).unwrap().parse().unwrap())
        }
    }
}

/// The request-line split as documented: method to the first space, protocol after the
/// last space (if there are two), the path up to the first `?` of the target.
#[allow(clippy::type_complexity)]
fn split(r: &[u8]) -> Option<(&[u8], &[u8], Option<&[u8]>, Option<&[u8]>)> {
    let sp = r.iter().position(|&b| b == b' ')?;
    let rest = &r[sp + 1..];
    let (target, proto) = match rest.iter().rposition(|&b| b == b' ') {
        Some(j) => (&rest[..j], Some(&rest[j + 1..])),
        None => (rest, None),
    };
    Some(match target.iter().position(|&b| b == b'?') {
        Some(k) => (&r[..sp], &target[..k], Some(&target[k + 1..]), proto),
        None => (&r[..sp], target, None, proto),
    })
}

#[test]
fn scanner_matches_the_regex_reference() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let (mut lines, mut matched, mut formats, mut ambiguous) = (0, 0, 0, 0);
    for _ in 0..1500 {
        // A random format.
        let n = 1 + rng.below(6);
        let mut items = Vec::new();
        for _ in 0..n {
            if rng.chance(55) {
                items.push(Item::Field(KINDS[rng.below(KINDS.len())]));
            } else {
                items.push(Item::Lit(LITERALS[rng.below(LITERALS.len())]));
            }
        }
        let mut format = String::new();
        let mut pattern = String::from("(?s-u)^");
        let mut convs = Vec::new();
        for it in &items {
            match it {
                Item::Lit(l) => {
                    format.push_str(l);
                    pattern.push_str(&regex::escape(l));
                }
                Item::Field(k) => {
                    format.push_str(k.directive);
                    pattern.push_str(k.regex);
                    convs.push(k.conv);
                }
            }
        }
        pattern.push('$');
        let reference = Regex::new(&pattern).unwrap();
        let mut parser = Parser::apache(&format, Naming::Directive)
            .unwrap_or_else(|e| panic!("{format:?}: {e}"));
        let mut readable =
            Parser::apache(&format, Naming::Readable).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        formats += 1;
        // One record for all the lines of a format, as a pipeline reuses it: no value of an
        // earlier line may survive into a later one.
        let mut rec = Record::new();
        let mut rec2 = Record::new();

        let mut texts = Vec::new();
        for _ in 0..60 {
            // A line that nearly fits: each literal usually as written, each field a few
            // characters of its alphabet, sometimes anything.
            let mut line = String::new();
            for it in &items {
                match it {
                    Item::Lit(l) if rng.chance(92) => line.push_str(l),
                    Item::Lit(_) => line.push_str(TEXT[rng.below(TEXT.len())]),
                    Item::Field(k) => {
                        if rng.chance(10) {
                            line.push('-');
                            continue;
                        }
                        for _ in 0..rng.below(6) {
                            let alphabet = if rng.chance(85) { k.alphabet } else { TEXT };
                            line.push_str(alphabet[rng.below(alphabet.len())]);
                        }
                    }
                }
            }
            texts.push(line);
        }
        for line in &texts {
            lines += 1;
            let bytes = line.as_bytes();
            let want: Option<Vec<Value<'static>>> = reference.captures(bytes).map(|c| {
                convs
                    .iter()
                    .enumerate()
                    .map(|(i, conv)| reference_value(*conv, c.get(i + 1).unwrap().as_bytes()))
                    .collect()
            });
            let got = match parser.parse(bytes, &mut rec) {
                Ok(()) => Some(rec.values().to_vec()),
                Err(f) if f.reason == Reason::Ambiguous => {
                    ambiguous += 1;
                    continue;
                }
                Err(_) => None,
            };
            assert_eq!(
                got, want,
                "format {format:?}, line {line:?}, reference regex {pattern}"
            );
            matched += usize::from(want.is_some());
            // Readable names: the same lines, and the first `%r` split as documented.
            let ok2 = readable.parse(bytes, &mut rec2).is_ok();
            assert_eq!(
                ok2,
                want.is_some(),
                "readable: format {format:?}, line {line:?}"
            );
            if let (true, Some(vals)) = (ok2, &want) {
                let r = items
                    .iter()
                    .filter_map(|it| match it {
                        Item::Field(k) => Some(k.directive),
                        _ => None,
                    })
                    .position(|d| d == "%r");
                if let Some(ri) = r {
                    let piece = |n: &str| rec2.get_by_name(n).cloned().map(Value::into_owned);
                    let (m, p, q, h) = match &vals[ri] {
                        Value::Str(req) => match split(req) {
                            Some((m, p, q, h)) => (
                                Value::Str(m.to_vec().into()),
                                Value::Str(p.to_vec().into()),
                                q.map_or(Value::Null, |q| Value::Str(q.to_vec().into())),
                                h.map_or(Value::Null, |h| Value::Str(h.to_vec().into())),
                            ),
                            None => (Value::Null, Value::Null, Value::Null, Value::Null),
                        },
                        _ => (Value::Null, Value::Null, Value::Null, Value::Null),
                    };
                    let explicit = |d: &str| format.contains(d);
                    if !explicit("%m") {
                        assert_eq!(piece("method"), Some(m), "{format:?} {line:?}");
                    }
                    if !explicit("%U") {
                        assert_eq!(piece("path"), Some(p), "{format:?} {line:?}");
                    }
                    if !explicit("%q") {
                        assert_eq!(piece("query"), Some(q), "{format:?} {line:?}");
                    }
                    assert_eq!(piece("protocol"), Some(h), "{format:?} {line:?}");
                }
            }
        }
    }
    eprintln!("{formats} formats, {lines} lines, {matched} matched, {ambiguous} ambiguous");
    assert!(
        matched > lines / 5,
        "too few matching lines to mean much: {matched}"
    );
    assert_eq!(ambiguous, 0);
}
