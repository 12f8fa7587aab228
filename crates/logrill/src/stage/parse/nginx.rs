//! nginx `log_format` strings (`$remote_addr - $remote_user [$time_local] "$request" …`)
//! → [`Program`], the same scanner as Apache formats.
//!
//! Variables are `$name` or `${name}`. nginx writes `-` for an empty variable, and escapes
//! `"`, `\` and non-printable bytes as `\xhh` (its default `escape=default`), which the
//! scanner undoes as it does for Apache.

use std::collections::HashSet;

use super::apache::normalize;
use super::program::{Builder, Class, Out, Program, Scan, TextConv, Token};
use super::timepart::TimePart;
use super::{FormatError, FormatErrorKind, Naming};

/// Compile an nginx `log_format` string.
pub(crate) fn compile(format: &str, naming: Naming) -> Result<Program, FormatError> {
    let explicit: HashSet<String> = build(format, naming, false, &HashSet::new())?
        .names()
        .iter()
        .cloned()
        .collect();
    Ok(build(format, naming, true, &explicit)?.finish(naming == Naming::Readable))
}

/// What a variable becomes: scan, whether `-` is null, readable name. `None` for the time
/// variables, handled apart.
///
/// Variables whose value can never hold a space are words ([`Class::Word`]): an address
/// (`$remote_addr` is one IP address, or `unix:`, also after the realip module), the
/// protocol, scheme, request id, TLS protocol and cipher, the method. So a line whose
/// `$remote_addr` has a space (a vhost in front, an `X-Forwarded-For` list) is not one
/// nginx wrote with that format, and is counted as unparsed instead of putting the list
/// into `host`. (Headers, `$host`, `$uri` and the rest may hold spaces: they are text.)
fn variable(name: &str) -> (Scan, bool, String) {
    let text = Scan::Delimited(Class::Text, TextConv::Str);
    let word = Scan::Delimited(Class::Word, TextConv::Str);
    let infer = Scan::Delimited(Class::Text, TextConv::Infer);
    let int = Scan::Token(Token::Int);
    let r = |scan: Scan, dash: bool, n: &str| (scan, dash, n.to_string());
    match name {
        "remote_addr" => r(word, false, "host"),
        "remote_user" => r(text, true, "user"),
        "request" => r(text, true, "request"),
        "status" => r(Scan::Token(Token::Status), true, "status"),
        "body_bytes_sent" => r(int, true, "bytes"),
        "request_time" => r(Scan::Token(Token::Float), true, "duration"),
        "http_referer" => r(text, true, "referer"),
        "http_user_agent" => r(text, true, "agent"),
        "host" => r(text, true, "vhost"),
        "request_method" => r(word, true, "method"),
        "uri" => r(text, true, "path"),
        "args" | "query_string" => r(text, true, "query"),
        "server_protocol" => r(word, true, "protocol"),
        "realip_remote_addr" | "server_addr" | "scheme" | "request_id" | "ssl_protocol"
        | "ssl_cipher" => r(word, true, name),
        "bytes_sent"
        | "request_length"
        | "connection"
        | "connection_requests"
        | "pid"
        | "server_port"
        | "remote_port"
        | "content_length" => r(int, true, name),
        "upstream_response_time"
        | "upstream_connect_time"
        | "upstream_header_time"
        | "upstream_status"
        | "upstream_response_length"
        | "upstream_bytes_received"
        | "upstream_bytes_sent"
        | "gzip_ratio" => r(infer, true, name),
        _ => r(text, true, &normalize(name)),
    }
}

fn time_variable(name: &str) -> Option<TimePart> {
    Some(match name {
        "time_local" => TimePart::ApacheBare,
        "time_iso8601" => TimePart::Iso8601,
        "msec" => TimePart::EpochFrac,
        _ => return None,
    })
}

fn build(
    format: &str,
    naming: Naming,
    derive: bool,
    taken: &HashSet<String>,
) -> Result<Builder, FormatError> {
    let chars: Vec<char> = format.chars().collect();
    let mut b = Builder::default();
    let mut lit = String::new();
    let mut split_done = false;
    let mut i = 0;
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    while i < chars.len() {
        if chars[i] != '$' {
            lit.push(chars[i]);
            i += 1;
            continue;
        }
        let column = i + 1;
        let (name, end): (String, usize) = if chars.get(i + 1) == Some(&'{') {
            match chars[i + 2..].iter().position(|&c| c == '}') {
                Some(n) => (chars[i + 2..i + 2 + n].iter().collect(), i + 3 + n),
                None => {
                    return Err(FormatError {
                        format: format.to_string(),
                        column,
                        kind: FormatErrorKind::InvalidDirective,
                        message: "`${` without a closing `}`".to_string(),
                    })
                }
            }
        } else {
            let n = chars[i + 1..]
                .iter()
                .position(|&c| !is_name(c))
                .unwrap_or(chars.len() - i - 1);
            (chars[i + 1..i + 1 + n].iter().collect(), i + 1 + n)
        };
        if name.is_empty() || !name.chars().all(is_name) {
            return Err(FormatError {
                format: format.to_string(),
                column,
                kind: FormatErrorKind::InvalidDirective,
                message: "`$` must be followed by a variable name".to_string(),
            });
        }
        let text: String = chars[i..end].iter().collect();
        i = end;
        b.lit(lit.as_bytes());
        lit.clear();
        if let Some(part) = time_variable(&name) {
            let out = match naming {
                Naming::Readable => Out::Time(b.time_group("time")),
                Naming::Directive => Out::Slot(b.slot(text.clone())),
            };
            b.field(Scan::Token(Token::Time(part)), true, out, &text);
            continue;
        }
        let (scan, dash, readable) = variable(&name);
        let slot = b.slot(match naming {
            Naming::Readable => readable,
            Naming::Directive => text.clone(),
        });
        b.field(scan, dash, Out::Slot(slot), &text);
        if derive && name == "request" && !split_done && naming == Naming::Readable {
            split_done = true;
            b.split_request(slot, taken, "");
        }
    }
    b.lit(lit.as_bytes());
    Ok(b)
}
