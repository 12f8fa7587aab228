//! Apache `LogFormat` strings → [`Program`].
//!
//! The grammar of a directive is mod_log_config's, as apachelogs reads it:
//! `%` [modifiers] [`{`param`}`] [modifiers] (letter | `^` two letters), where modifiers
//! are status conditions (`400,501`, `!200,304`) and `<`/`>` (original/final request; the
//! last one wins). `%%` is a literal `%`. In the literal text, `\n` and `\t` are a newline
//! and a tab (mod_log_config), and `\"` and `\\` are a quote and a backslash, so a format
//! can be pasted exactly as written in httpd.conf, even with its surrounding quotes.
//!
//! Field names follow the table in `docs/fields.md` ([`Naming::Readable`]) or are the
//! directives themselves ([`Naming::Directive`]).

use std::collections::HashSet;

use super::program::{Builder, Class, Out, Program, Scan, TextConv, Token};
use super::timepart::TimePart;
use super::{FormatError, FormatErrorKind, Naming};

/// Compile an Apache LogFormat string.
pub(crate) fn compile(format: &str, naming: Naming) -> Result<Program, FormatError> {
    let (text, shift) = strip_conf_quotes(format);
    // Pass 1 learns which names the directives take, so that pass 2 adds the pieces of a
    // split request line (method, path, …) only where no directive already gives them.
    let explicit: HashSet<String> = build(format, text, shift, naming, false, &HashSet::new())?
        .names()
        .iter()
        .cloned()
        .collect();
    let b = build(format, text, shift, naming, true, &explicit)?;
    Ok(b.finish(naming == Naming::Readable))
}

/// A format pasted with httpd.conf's quotes (`"%h \"%r\""`): the inside, and how many
/// characters were removed before it (for columns). Only when the inside has escaped quotes
/// and no bare one, so that a format such as `"%r"` keeps its quotes.
fn strip_conf_quotes(f: &str) -> (&str, usize) {
    let b = f.as_bytes();
    if b.len() >= 2 && b[0] == b'"' && b[b.len() - 1] == b'"' {
        let inner = &f[1..f.len() - 1];
        let ib = inner.as_bytes();
        let mut escaped = false;
        let mut ok = true;
        let mut escaped_quotes = 0;
        for &c in ib {
            if escaped {
                escaped = false;
                escaped_quotes += usize::from(c == b'"');
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                ok = false;
                break;
            }
        }
        if ok && !escaped && escaped_quotes > 0 {
            return (inner, 1);
        }
    }
    (f, 0)
}

/// A directive as written.
struct Directive {
    mods: String,
    mods1: String,
    mods2: String,
    param: Option<String>,
    /// `a`, `^ti`, `%`.
    letter: String,
    /// Index (in chars) after the directive.
    end: usize,
}

fn is_modifier(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, ',' | '!' | '<' | '>')
}

/// Read the directive starting at `chars[i] == '%'`; `None` if it is malformed.
fn read_directive(chars: &[char], mut i: usize) -> Option<Directive> {
    i += 1;
    let m1 = i;
    while i < chars.len() && is_modifier(chars[i]) {
        i += 1;
    }
    let mods1: String = chars[m1..i].iter().collect();
    let mut param = None;
    if chars.get(i) == Some(&'{') {
        let close = chars[i + 1..].iter().position(|&c| c == '}')? + i + 1;
        param = Some(chars[i + 1..close].iter().collect::<String>());
        i = close + 1;
    }
    let m2 = i;
    while i < chars.len() && is_modifier(chars[i]) {
        i += 1;
    }
    let mods2: String = chars[m2..i].iter().collect();
    let is_letter = |c: Option<&char>| c.is_some_and(|c| c.is_ascii_alphabetic() || *c == '%');
    let letter = if chars.get(i) == Some(&'^') {
        if !is_letter(chars.get(i + 1)) || !is_letter(chars.get(i + 2)) {
            return None;
        }
        i += 3;
        chars[i - 3..i].iter().collect()
    } else {
        if !is_letter(chars.get(i)) {
            return None;
        }
        i += 1;
        chars[i - 1].to_string()
    };
    Some(Directive {
        mods: format!("{mods1}{mods2}"),
        mods1,
        mods2,
        param,
        letter,
        end: i,
    })
}

fn error(format: &str, column: usize, kind: FormatErrorKind, message: String) -> FormatError {
    FormatError {
        format: format.to_string(),
        column,
        kind,
        message,
    }
}

/// A parameter as part of a field name: lower case, other characters as `_`
/// (`X-Forwarded-For` → `x_forwarded_for`).
pub(crate) fn normalize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// What a (non-time) directive scans, whether `-` means null, and its readable name.
fn lookup(letter: &str, param: Option<&str>, naming: Naming) -> Option<(Scan, bool, String)> {
    let text = Scan::Delimited(Class::Text, TextConv::Str);
    let word = Scan::Delimited(Class::Word, TextConv::Str);
    let verbatim = Scan::Delimited(Class::Verbatim, TextConv::Str);
    let int = Scan::Token(Token::Int);
    let dur = |per_second: i64| match naming {
        Naming::Readable => Scan::Token(Token::Seconds { per_second }),
        Naming::Directive => Scan::Token(Token::Int),
    };
    let r = |scan: Scan, clf: bool, name: &str| Some((scan, clf, name.to_string()));
    match (letter, param) {
        ("a", None) => r(Scan::Token(Token::Ip), false, "ip"),
        ("A", None) => r(Scan::Token(Token::Ip), false, "local_ip"),
        ("b", None) => r(int, true, "bytes"),
        ("B", None) => r(int, false, "bytes"),
        ("D", None) => r(dur(1_000_000), false, "duration"),
        ("f", None) => r(text, true, "file"),
        ("h", None) => r(text, false, "host"),
        ("H", None) => r(text, true, "protocol"),
        ("k", None) => r(int, false, "keepalive"),
        ("l", None) => r(word, true, "ident"),
        ("L", None) => r(Scan::Token(Token::LogId), true, "log_id"),
        ("m", None) => r(word, true, "method"),
        ("p", None) => r(int, false, "port"),
        ("P", None) => r(int, false, "pid"),
        ("q", None) => {
            let conv = match naming {
                Naming::Readable => TextConv::QueryStripped,
                Naming::Directive => TextConv::Str,
            };
            r(Scan::Delimited(Class::Query, conv), false, "query")
        }
        ("r", None) => r(text, true, "request"),
        ("R", None) => r(text, true, "handler"),
        ("s", None) => r(Scan::Token(Token::Status), true, "status"),
        ("T", None) => r(dur(1), false, "duration"),
        ("u", None) => r(Scan::Delimited(Class::Text, TextConv::User), true, "user"),
        ("U", None) => r(text, true, "path"),
        ("v", None) => r(text, false, "vhost"),
        ("V", None) => r(text, false, "server_name"),
        ("X", None) => r(Scan::Token(Token::ConnStatus), false, "conn_status"),
        ("I", None) => r(int, false, "bytes_in"),
        ("O", None) => r(int, false, "bytes_out"),
        ("S", None) => r(int, false, "bytes_total"),
        ("^FB", None) => r(dur(1_000_000), true, "ttfb"),
        ("a", Some("c")) => r(Scan::Token(Token::Ip), false, "peer_ip"),
        ("h", Some("c")) => r(text, false, "peer_host"),
        ("L", Some("c")) => r(Scan::Token(Token::LogId), true, "conn_log_id"),
        ("C", Some(n)) => r(text, true, &format!("cookie_{}", normalize(n))),
        ("e", Some(n)) => r(text, true, &format!("env_{}", normalize(n))),
        ("i", Some(n)) => {
            let n = normalize(n);
            let name = match n.as_str() {
                "referer" | "referrer" => "referer".to_string(),
                "user_agent" => "agent".to_string(),
                _ => format!("http_{n}"),
            };
            r(text, true, &name)
        }
        ("n", Some(n)) => r(text, true, &format!("note_{}", normalize(n))),
        ("o", Some(n)) => r(text, true, &format!("sent_http_{}", normalize(n))),
        ("^ti", Some(n)) => r(text, true, &format!("trailer_{}", normalize(n))),
        ("^to", Some(n)) => r(text, true, &format!("sent_trailer_{}", normalize(n))),
        ("c", Some(n)) => r(verbatim, true, &format!("ssl_{}", normalize(n))),
        ("x", Some(n)) => r(verbatim, true, &normalize(n)),
        ("p", Some(p)) => match p.to_ascii_lowercase().as_str() {
            "canonical" => r(int, false, "port"),
            "local" => r(int, false, "local_port"),
            "remote" => r(int, false, "remote_port"),
            _ => None,
        },
        ("P", Some(p)) => match p.to_ascii_lowercase().as_str() {
            "pid" => r(int, false, "pid"),
            "tid" => r(int, false, "tid"),
            "hextid" => r(Scan::Token(Token::Hex), false, "tid"),
            _ => None,
        },
        ("T", Some(p)) => match p.to_ascii_lowercase().as_str() {
            "s" => r(dur(1), false, "duration"),
            "ms" => r(dur(1_000), false, "duration"),
            "us" => r(dur(1_000_000), false, "duration"),
            _ => None,
        },
        _ => None,
    }
}

/// A piece of a `%{…}t` format.
enum TimePiece {
    Lit(String),
    /// The part and its sub-directive (`%Y`), for directive naming.
    Part(TimePart, String),
}

/// Parse the strftime format of `%{…}t`; `offset` is its column in the whole format.
fn strftime_pieces(whole: &str, sub: &str, column: usize) -> Result<Vec<TimePiece>, FormatError> {
    let chars: Vec<char> = sub.chars().collect();
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            lit.push(c);
            i += 1;
            continue;
        }
        let col = column + i;
        let invalid = |what: String| error(whole, col, FormatErrorKind::InvalidDirective, what);
        let Some(d) = read_directive(&chars, i) else {
            return Err(invalid(format!(
                "malformed strftime conversion in {:?}",
                &sub[sub.char_indices().nth(i).map_or(0, |x| x.0)..]
            )));
        };
        let text: String = chars[i..d.end].iter().collect();
        if !d.mods.is_empty() || d.param.is_some() {
            return Err(invalid(format!(
                "`{text}`: a strftime conversion inside %{{…}}t takes no modifiers or parameter"
            )));
        }
        i = d.end;
        if d.letter == "%" {
            lit.push('%');
            continue;
        }
        let part = d
            .letter
            .chars()
            .next()
            .filter(|_| d.letter.len() == 1)
            .and_then(TimePart::from_strftime)
            .ok_or_else(|| {
                error(
                    whole,
                    col,
                    FormatErrorKind::UnknownDirective,
                    format!("unknown strftime conversion `{text}`"),
                )
            })?;
        if !lit.is_empty() {
            out.push(TimePiece::Lit(std::mem::take(&mut lit)));
        }
        out.push(TimePiece::Part(part, text));
    }
    if !lit.is_empty() {
        out.push(TimePiece::Lit(lit));
    }
    Ok(out)
}

fn build(
    whole: &str,
    fmt: &str,
    shift: usize,
    naming: Naming,
    derive: bool,
    taken: &HashSet<String>,
) -> Result<Builder, FormatError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut b = Builder::default();
    let mut lit = String::new();
    let mut split_done = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            match chars.get(i + 1) {
                Some('n') => lit.push('\n'),
                Some('t') => lit.push('\t'),
                Some('"') => lit.push('"'),
                Some('\\') => lit.push('\\'),
                _ => {
                    lit.push('\\');
                    i += 1;
                    continue;
                }
            }
            i += 2;
            continue;
        }
        if c != '%' {
            lit.push(c);
            i += 1;
            continue;
        }
        let column = shift + i + 1;
        let Some(d) = read_directive(&chars, i) else {
            let rest: String = chars[i..].iter().take(12).collect();
            return Err(error(
                whole,
                column,
                FormatErrorKind::InvalidDirective,
                format!("malformed directive at {rest:?}"),
            ));
        };
        let text: String = chars[i..d.end].iter().collect();
        // Column of the parameter's first character.
        let param_column = column + 1 + d.mods1.chars().count() + 1;
        i = d.end;
        if d.letter == "%" {
            lit.push('%');
            continue;
        }
        b.lit(lit.as_bytes());
        lit.clear();
        let conditioned = d.mods.chars().any(|c| c.is_ascii_digit());
        let original = d.mods.chars().rev().find(|c| matches!(c, '<' | '>')) == Some('<');
        let prefix = if original { "original_" } else { "" };
        if d.letter == "t" {
            time_directive(
                &mut b,
                whole,
                &d,
                &text,
                param_column,
                naming,
                conditioned,
                prefix,
            )?;
            continue;
        }
        let Some((scan, clf, name)) = lookup(&d.letter, d.param.as_deref(), naming) else {
            return Err(error(
                whole,
                column,
                FormatErrorKind::UnknownDirective,
                format!("unknown directive `{text}`"),
            ));
        };
        let name = match naming {
            Naming::Readable => format!("{prefix}{name}"),
            Naming::Directive => text.clone(),
        };
        let slot = b.slot(name);
        b.field(scan, clf || conditioned, Out::Slot(slot), &text);
        if derive && d.letter == "r" && !split_done && naming == Naming::Readable {
            split_done = true;
            b.split_request(slot, taken, prefix);
        }
    }
    b.lit(lit.as_bytes());
    Ok(b)
}

/// `%t`, `%{…}t`: one part, or a strftime format split into parts; in readable naming all
/// parts of the same group (`time`, `end_time`, `original_time`) make one timestamp.
#[allow(clippy::too_many_arguments)]
fn time_directive(
    b: &mut Builder,
    whole: &str,
    d: &Directive,
    text: &str,
    param_column: usize,
    naming: Naming,
    conditioned: bool,
    prefix: &str,
) -> Result<(), FormatError> {
    let param = d.param.as_deref();
    let (when, rest) = match param {
        None => ("", ""),
        Some(p) => {
            if let Some(r) = p.strip_prefix("begin:") {
                ("begin:", r)
            } else if let Some(r) = p.strip_prefix("end:") {
                ("end:", r)
            } else if p == "begin" || p == "end" {
                (p, "")
            } else {
                ("", p)
            }
        }
    };
    let group_name = format!(
        "{prefix}{}time",
        if when.starts_with("end") { "end_" } else { "" }
    );
    let special = match rest {
        "" => Some(TimePart::ApacheBracketed),
        "sec" => Some(TimePart::Epoch),
        "msec" => Some(TimePart::MilliEpoch),
        "usec" => Some(TimePart::MicroEpoch),
        "msec_frac" => Some(TimePart::MsecFrac),
        "usec_frac" => Some(TimePart::UsecFrac),
        _ => None,
    };
    let pieces = match special {
        Some(part) => vec![TimePiece::Part(part, rest.to_string())],
        None => strftime_pieces(whole, rest, param_column + when.chars().count())?,
    };
    // The key of each part in directive naming: `%<mods1>{<when><sub>}<mods2>t`, or the
    // directive as written when it has no parameter.
    let key = |sub: &str| match param {
        None => text.to_string(),
        Some(_) => format!("%{}{{{when}{sub}}}{}t", d.mods1, d.mods2),
    };
    let single = pieces.len() == 1 && matches!(pieces[0], TimePiece::Part(..));
    let alt = (conditioned && !single).then(|| b.begin_alt(text));
    for piece in pieces {
        match piece {
            TimePiece::Lit(l) => b.lit(l.as_bytes()),
            TimePiece::Part(part, sub) => {
                let out = if part == TimePart::Space {
                    Out::Discard
                } else {
                    match naming {
                        Naming::Readable => Out::Time(b.time_group(&group_name)),
                        Naming::Directive => Out::Slot(b.slot(key(&sub))),
                    }
                };
                b.field(
                    Scan::Token(Token::Time(part)),
                    conditioned && single,
                    out,
                    &key(&sub),
                );
            }
        }
    }
    if let Some(at) = alt {
        b.end_alt(at);
    }
    Ok(())
}
