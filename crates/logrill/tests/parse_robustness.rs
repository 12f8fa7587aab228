//! `parse` never panics, whatever the line: hostile lines (huge numbers, broken escapes,
//! brackets, junk bytes) against formats of every kind, in a debug build (so arithmetic
//! overflow would panic too). A step before real fuzzing.

use logrill::stage::parse::{Naming, Parser, Record};
use logrill_testgen::Rng;

const FORMATS: &[&str] = &[
    r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#,
    r#"%v:%p %a %{c}a %A %{remote}p %P %{tid}P %{hextid}P %k %X %L %{c}L"#,
    r#"%D %T %{ms}T %{us}T %I %O %S %^FB %B %b"#,
    r#"%m %U%q %H "%f" %R %{x}C|%{y}e|%{z}n|%{w}o|%{a}^ti|%{b}^to|%{S}x|%{v}c"#,
    r#"%{%d/%b/%Y:%H:%M:%S %z}t %{msec_frac}t %{usec_frac}t"#,
    r#"%{sec}t %{msec}t %{usec}t %{%s}t"#,
    r#"%{%a %A %B %C %e %g %G %j %u %U %V %w %W %y %Z %p %I %D %F %R %T %n%t}t"#,
    r#"%200{%Y-%m-%d}t %!200,304{Referer}i %400r %<s %>s %{end:%F %T}t"#,
    r#"%u%r%h"#,
    r#"%{x}x%{y}x"#,
];

const NGINX: &[&str] = &[
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time $upstream_response_time $msec $time_iso8601 ${host}"#,
];

const PIECES: &[&str] = &[
    "1.2.3.4",
    "::1",
    "-",
    " ",
    "\"",
    "\\",
    "\\x",
    "\\xZZ",
    "\\\"",
    "[",
    "]",
    ":",
    "|",
    "?",
    "%",
    "99999999999999999999999",
    "-9223372036854775808",
    "18446744073709551615",
    "000",
    "200",
    "0.004",
    "1e400",
    "[10/Oct/2000:13:55:36 -0700]",
    "[31/Feb/2000:25:61:61 +9999]",
    "10/Oct/99999999999999999999:13:55:36 -0700",
    "2019-05-06T12:09:43+02:00",
    "9999999999999999999.999",
    "1511642826",
    "Mon",
    "January",
    "PM",
    "GMT",
    "+0530",
    "20190519",
    "12:34:56",
    "05/06/19",
    "\u{e9}",
    "\u{0}",
    "\n",
    "\r",
    "\t",
    "GET / HTTP/1.1",
    "7fb9de5af700",
    "ffffffffffffffffffff",
];

#[test]
fn hostile_lines_never_panic() {
    let mut parsers = Vec::new();
    for f in FORMATS {
        for naming in [Naming::Readable, Naming::Directive] {
            parsers.push(Parser::apache(f, naming).unwrap_or_else(|e| panic!("{f}: {e}")));
        }
    }
    for f in NGINX {
        parsers.push(Parser::nginx(f, Naming::Readable).unwrap());
    }
    parsers.push(Parser::json());
    parsers.push(Parser::logfmt());
    parsers.push(Parser::regex(r"(?P<a>\d+)?(?P<b>.*)").unwrap());
    let mut rng = Rng::new(0xDEAD_BEEF_CAFE_F00D);
    let mut parsed = 0;
    for _ in 0..6_000 {
        let mut line = Vec::new();
        for _ in 0..rng.next_u64() % 24 {
            if rng.next_u64().is_multiple_of(8) {
                line.push((rng.next_u64() % 256) as u8);
            } else {
                let p = PIECES[(rng.next_u64() % PIECES.len() as u64) as usize];
                line.extend_from_slice(p.as_bytes());
            }
        }
        for p in &mut parsers {
            let mut rec = Record::new();
            match p.parse(&line, &mut rec) {
                Ok(()) => {
                    parsed += 1;
                    // Showing every value must not panic either.
                    let _ = rec.to_json();
                    for (_, v) in rec.iter() {
                        let _ = v.to_string();
                    }
                }
                Err(f) => {
                    let _ = p.describe(&f.reason);
                }
            }
        }
    }
    assert!(parsed > 100, "only {parsed} lines parsed");
}

/// Generated lines that *almost* fit the formats exercise the backtracking search hardest.
#[test]
fn near_misses_never_panic() {
    let line = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b HTTP/1.1" 200 2326 "http://x/" "Mozilla/5.0""#;
    let mut p = Parser::apache(FORMATS[0], Naming::Readable).unwrap();
    let mut rng = Rng::new(42);
    let bytes = line.as_bytes();
    for _ in 0..20_000 {
        let mut l = bytes.to_vec();
        for _ in 0..1 + rng.next_u64() % 3 {
            let i = (rng.next_u64() % l.len() as u64) as usize;
            match rng.next_u64() % 3 {
                0 => l[i] = b"\" \\-[]:9"[(rng.next_u64() % 8) as usize],
                1 => {
                    l.remove(i);
                }
                _ => l.insert(i, b"\" \\-"[(rng.next_u64() % 4) as usize]),
            }
            if l.is_empty() {
                break;
            }
        }
        let mut rec = Record::new();
        let _ = p.parse(&l, &mut rec);
    }
}
