//! A format parser that builds only the fields a pipeline reads ([`Parser::project`])
//! accepts exactly the lines the full parser accepts, with the same values in the fields
//! it builds, and rejects the others with the same failure (reason, offset and words).
//!
//! Each preset runs on good lines (escapes, `-`, `""`, long fields across the 64-byte
//! blocks of the fast path's map of stop bytes) and on lines broken on purpose: each field
//! given a bad value in turn (a day 32, a status of four digits, a raw quote in a string,
//! a backslash eating the closing quote, …), every prefix of a good line, and a good line
//! with a quote, backslash, space, letter or `-` put in or over each byte. Every
//! selection of fields is compared with the full parse: none (what `count` builds), each
//! field alone, and a few pairs. A projection that skipped the check of a field it does
//! not build would accept a line the full parser rejects, and fail here: the bad values
//! are asserted to be rejected by the full parser, and the empty selection builds nothing.

use logrill::stage::parse::{Parser, Preset, Record, Value};

/// The pieces a line of the presets is made of, as written in the line.
#[derive(Clone)]
struct Pieces {
    vhost: String,
    port: String,
    host: String,
    ident: String,
    user: String,
    time: String,
    request: String,
    status: String,
    bytes: String,
    referer: String,
    agent: String,
}

impl Pieces {
    fn base() -> Pieces {
        Pieces {
            vhost: "www.example.com".into(),
            port: "443".into(),
            host: "192.0.2.7".into(),
            ident: "-".into(),
            user: "-".into(),
            time: "[10/Oct/2000:13:55:36 -0700]".into(),
            request: "GET /index.html?q=1 HTTP/1.1".into(),
            status: "200".into(),
            bytes: "2326".into(),
            referer: "http://www.example.com/start.html".into(),
            agent: "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0".into(),
        }
    }

    /// The line as `preset` writes it.
    fn line(&self, preset: Preset) -> String {
        let p = self;
        let common = format!(
            "{} {} {} {} \"{}\" {} {}",
            p.host, p.ident, p.user, p.time, p.request, p.status, p.bytes
        );
        let tail = format!(" \"{}\" \"{}\"", p.referer, p.agent);
        match preset {
            Preset::Common => common,
            Preset::Combined => format!("{common}{tail}"),
            Preset::VhostCommon => format!("{} {common}", p.vhost),
            Preset::VhostCombined => format!("{}:{} {common}{tail}", p.vhost, p.port),
            // `$remote_addr - $remote_user [$time_local] …`: no ident.
            Preset::Nginx => format!(
                "{} - {} {} \"{}\" {} {}{tail}",
                p.host, p.user, p.time, p.request, p.status, p.bytes
            ),
        }
    }

    fn set(&self, piece: &str, value: &str) -> Pieces {
        let mut p = self.clone();
        let at = match piece {
            "vhost" => &mut p.vhost,
            "port" => &mut p.port,
            "host" => &mut p.host,
            "ident" => &mut p.ident,
            "user" => &mut p.user,
            "time" => &mut p.time,
            "request" => &mut p.request,
            "status" => &mut p.status,
            "bytes" => &mut p.bytes,
            "referer" => &mut p.referer,
            "agent" => &mut p.agent,
            _ => panic!("no piece {piece}"),
        };
        *at = value.to_string();
        p
    }
}

const PRESETS: [Preset; 5] = [
    Preset::Common,
    Preset::Combined,
    Preset::VhostCommon,
    Preset::VhostCombined,
    Preset::Nginx,
];

/// Values each piece takes in good lines.
const GOOD: &[(&str, &[&str])] = &[
    ("vhost", &["a", "x.example.org"]),
    ("port", &["80", "8080"]),
    ("host", &["2001:db8::a5b6", "crawler.example.net", "10.0.0.1"]),
    ("ident", &["ident7"]),
    ("user", &["frank", "\"\"", r#"a\"b"#, "-x"]),
    (
        "time",
        &[
            "[29/Feb/2024:23:59:60 +0530]",
            "[01/Jan/1970:00:00:00 +0000]",
        ],
    ),
    (
        "request",
        &[
            "-",
            "GET / HTTP/1.0",
            r#"GET /a\"b?c=\\d HTTP/1.1"#,
            "POST /only",
            "junk",
            "GET /search?q=python+generators&page=2&sort=date&filter=none&x=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy HTTP/2.0",
        ],
    ),
    ("status", &["404", "503", "-", "099"]),
    ("bytes", &["-", "0", "123456789012"]),
    ("referer", &["-", "", r#"http://x/?q=\"a\""#]),
    (
        "agent",
        &[
            "-",
            "",
            "curl/8.4",
            r#"ends in a backslash\\"#,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 Edg/119.0.0.0 with a longer tail of text to cross blocks",
        ],
    ),
];

/// Values that break a line, piece by piece: the full parser rejects every one of them
/// (asserted), so a projection that did not check the piece would accept it.
const BAD: &[(&str, &[&str])] = &[
    ("vhost", &["a\"b"]),
    ("port", &["8o", ""]),
    ("host", &["1.2\"3", "a\"b"]),
    ("ident", &["i\"d"]),
    ("user", &["a\"b"]),
    (
        "time",
        &[
            "[32/Oct/2000:13:55:36 -0700]",
            "[10/Foo/2000:13:55:36 -0700]",
            "[10/Oct/2000:25:55:36 -0700]",
            "[10/Oct/2000:13:61:36 -0700]",
            "[10/Oct/2000:13:55:36 -07000]",
            "[10/Oct/2000:13:55:36 *0700]",
            "10/Oct/2000:13:55:36 -0700",
            "[29/Feb/2023:13:55:36 -0700]",
        ],
    ),
    ("request", &["GET /a\"b HTTP/1.1", "GET /x\\"]),
    ("status", &["2000", "20", "2x0", ""]),
    ("bytes", &["12a", "--", ""]),
    ("referer", &["a\"b", "x\\"]),
    ("agent", &["Mozilla \"x\" y", "curl\\"]),
];

/// Which pieces a preset's lines have.
fn has(preset: Preset, piece: &str) -> bool {
    match piece {
        "vhost" => matches!(preset, Preset::VhostCommon | Preset::VhostCombined),
        "port" => preset == Preset::VhostCombined,
        "ident" => preset != Preset::Nginx,
        "referer" | "agent" => !matches!(preset, Preset::Common | Preset::VhostCommon),
        _ => true,
    }
}

/// The lines a preset is tested on, and how many of them the full parser must reject
/// (the bad values).
fn lines(preset: Preset) -> (Vec<String>, Vec<String>) {
    let base = Pieces::base();
    let mut good = vec![base.line(preset)];
    for (piece, values) in GOOD.iter().filter(|(p, _)| has(preset, p)) {
        for v in *values {
            good.push(base.set(piece, v).line(preset));
        }
    }
    let mut bad = Vec::new();
    for (piece, values) in BAD.iter().filter(|(p, _)| has(preset, p)) {
        for v in *values {
            bad.push(base.set(piece, v).line(preset));
        }
    }
    let mut all: Vec<String> = good.clone();
    all.extend(bad.iter().cloned());
    // Every prefix, and every byte changed or a byte put in, of two good lines (one with
    // escapes and a long request line).
    for line in [&good[0], &good[good.len() / 2]] {
        let b = line.as_bytes();
        for i in 0..b.len() {
            all.push(String::from_utf8_lossy(&b[..i]).into_owned());
            for c in ["\"", "\\", " ", "x", "-"] {
                let mut over = b.to_vec();
                over[i] = c.as_bytes()[0];
                all.push(String::from_utf8_lossy(&over).into_owned());
                let mut put = b.to_vec();
                put.insert(i, c.as_bytes()[0]);
                all.push(String::from_utf8_lossy(&put).into_owned());
            }
        }
        all.push(format!("{line} trailing"));
        all.push(format!("{line}\r\n"));
    }
    all.push(String::new());
    (all, bad)
}

/// A line's outcome: each field's value as text, or the failure and its words.
fn outcome(p: &mut Parser, line: &str, names: &[String]) -> Result<Vec<String>, String> {
    let mut rec = Record::new();
    match p.parse(line.as_bytes(), &mut rec) {
        Ok(()) => Ok(names
            .iter()
            .map(|n| format!("{:?}", rec.get_by_name(n).cloned().unwrap_or(Value::Null)))
            .collect()),
        Err(f) => Err(format!(
            "failed {:?} at {}: {}",
            f.reason,
            f.offset,
            p.describe(&f.reason)
        )),
    }
}

#[test]
fn projections_accept_and_reject_the_lines_the_full_parse_does() {
    for preset in PRESETS {
        let mut full = Parser::preset(preset);
        let names: Vec<String> = full
            .field_names()
            .map(<[String]>::to_vec)
            .unwrap_or_default();
        assert!(!names.is_empty(), "{preset:?}");
        let (lines, bad) = lines(preset);
        let mut rec = Record::new();
        for line in &bad {
            assert!(
                full.parse(line.as_bytes(), &mut rec).is_err(),
                "{preset:?}: the full parser accepts {line:?}"
            );
        }
        let want: Vec<_> = lines
            .iter()
            .map(|l| outcome(&mut full, l, &names))
            .collect();
        let rejected = want.iter().filter(|w| w.is_err()).count();
        assert!(
            rejected > bad.len() + 100,
            "{preset:?}: {rejected} rejected"
        );
        assert!(
            rejected + 50 < want.len(),
            "{preset:?}: {rejected} rejected"
        );
        // No field, each field, and a few pairs.
        let mut selections: Vec<Vec<&str>> = vec![vec![]];
        selections.extend(names.iter().map(|n| vec![n.as_str()]));
        for pair in [
            ["status", "bytes"],
            ["host", "bytes"],
            ["time", "status"],
            ["path", "agent"],
            ["method", "protocol"],
            ["request", "query"],
            ["referer", "vhost"],
        ] {
            if pair.iter().all(|n| names.iter().any(|x| x == n)) {
                selections.push(pair.to_vec());
            }
        }
        for selection in selections {
            let mut p = Parser::preset(preset);
            let keys: Vec<_> = selection.iter().map(|n| p.resolve(n)).collect();
            p.project(&keys);
            let null = format!("{:?}", Value::Null);
            let keep: Vec<bool> = names
                .iter()
                .map(|n| selection.contains(&n.as_str()))
                .collect();
            for (line, want) in lines.iter().zip(&want) {
                let got = outcome(&mut p, line, &names);
                // A field not asked for is null, or (a piece of a request line split for
                // another) the full parse's value.
                let got = got.map(|values| {
                    values
                        .into_iter()
                        .zip(want.as_ref().unwrap_or(&vec![]))
                        .zip(&keep)
                        .map(|((g, w), &k)| if !k && g == null { w.clone() } else { g })
                        .collect::<Vec<_>>()
                });
                assert_eq!(&got, want, "{preset:?} {selection:?} {line:?}");
            }
        }
    }
}
