//! `parse` through its public API: every family of Apache directive, escapes, `-`, the
//! request split, time directives, format errors with their column, nginx formats, JSON,
//! logfmt, regex, `auto`, projections, and the failure report.

use logrill::error::InputName;
use logrill::stage::parse::{
    Failures, FormatErrorKind, Naming, ParseSpec, Parser, Preset, Reason, Record, Value,
    MISMATCH_MIN_FAILED,
};

/// Parse `line` with an Apache format (readable names) and return `name = value` pairs,
/// values shown as text (`∅` for null) with their type.
fn fields(format: &str, line: &str) -> Vec<(String, String)> {
    let mut p = Parser::apache(format, Naming::Readable).unwrap_or_else(|e| panic!("{e}"));
    show(&mut p, line)
}

fn show(p: &mut Parser, line: &str) -> Vec<(String, String)> {
    let mut rec = Record::new();
    if let Err(f) = p.parse(line.as_bytes(), &mut rec) {
        panic!("{line:?}: {}", p.describe(&f.reason));
    }
    rec.iter()
        .map(|(k, v)| {
            let text = match v {
                Value::Null => "∅".to_string(),
                v => format!("{v}:{}", v.type_name()),
            };
            (k.to_string(), text)
        })
        .collect()
}

fn get(fs: &[(String, String)], name: &str) -> String {
    fs.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no field {name} in {fs:?}"))
}

fn fails(format: &str, line: &str) -> bool {
    let mut p = Parser::apache(format, Naming::Readable).unwrap();
    p.parse(line.as_bytes(), &mut Record::new()).is_err()
}

#[test]
fn combined_preset_field_by_field() {
    let fs = show(
        &mut Parser::preset(Preset::Combined),
        r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?a=1&b=2 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
    );
    let names: Vec<&str> = fs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "host", "ident", "user", "time", "request", "method", "path", "query", "protocol",
            "status", "bytes", "referer", "agent"
        ]
    );
    assert_eq!(get(&fs, "host"), "127.0.0.1:string");
    assert_eq!(get(&fs, "ident"), "∅");
    assert_eq!(get(&fs, "user"), "frank:string");
    assert_eq!(get(&fs, "time"), "2000-10-10T13:55:36-07:00:time");
    assert_eq!(get(&fs, "method"), "GET:string");
    assert_eq!(get(&fs, "path"), "/apache_pb.gif:string");
    assert_eq!(get(&fs, "query"), "a=1&b=2:string");
    assert_eq!(get(&fs, "protocol"), "HTTP/1.0:string");
    assert_eq!(get(&fs, "status"), "200:int");
    assert_eq!(get(&fs, "bytes"), "2326:int");
    assert_eq!(
        get(&fs, "agent"),
        "Mozilla/4.08 [en] (Win98; I ;Nav):string"
    );
}

#[test]
fn presets_compile_and_read_their_own_lines() {
    let lines = [
        (
            Preset::Common,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 -"#,
        ),
        (
            Preset::VhostCommon,
            r#"www.example.com 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12"#,
        ),
        (
            Preset::VhostCombined,
            r#"www.example.com:443 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 12 "-" "curl/8.0""#,
        ),
        (
            Preset::Nginx,
            r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 12 "-" "curl/8.0""#,
        ),
    ];
    for (preset, line) in lines {
        let fs = show(&mut Parser::preset(preset), line);
        assert_eq!(get(&fs, "status"), "200:int", "{preset:?}");
        assert_eq!(
            get(&fs, "time"),
            "2000-10-10T13:55:36-07:00:time",
            "{preset:?}"
        );
    }
    let fs = show(&mut Parser::preset(Preset::VhostCombined), lines[2].1);
    assert_eq!(get(&fs, "vhost"), "www.example.com:string");
    assert_eq!(get(&fs, "port"), "443:int");
    assert_eq!(get(&fs, "bytes_out"), "12:int");
    for p in Preset::ALL {
        assert_eq!(Preset::from_name(p.name()), Some(p));
        assert!(Parser::preset(p)
            .field_names()
            .is_some_and(|n| !n.is_empty()));
    }
}

#[test]
fn every_directive_family() {
    // Addresses, ports, pids.
    let fs = fields(
        "%a %{c}a %A %p %{local}p %{REMOTE}p %P %{tid}P %{hextid}P %k",
        "10.0.0.1 ::1 192.168.1.2 443 8443 51234 1234 140168282543872 7fb9de5af700 3",
    );
    assert_eq!(get(&fs, "ip"), "10.0.0.1:string");
    assert_eq!(get(&fs, "peer_ip"), "::1:string");
    assert_eq!(get(&fs, "local_ip"), "192.168.1.2:string");
    assert_eq!(get(&fs, "port"), "443:int");
    assert_eq!(get(&fs, "local_port"), "8443:int");
    assert_eq!(get(&fs, "remote_port"), "51234:int");
    assert_eq!(get(&fs, "pid"), "1234:int");
    assert_eq!(get(&fs, "tid"), "140168282543872:int");
    assert_eq!(get(&fs, "tid_2"), "140436276180736:int");
    assert_eq!(get(&fs, "keepalive"), "3:int");
    assert!(fails("%a", "10.0.0.256"), "not an IP address");

    // Sizes and durations (durations in seconds).
    let fs = fields(
        "%b %B %I %O %S %D %T %{ms}T %{us}T %^FB",
        "- 0 120 3400 3520 1500000 2 250 1500 20000",
    );
    assert_eq!(get(&fs, "bytes"), "∅");
    assert_eq!(get(&fs, "bytes_2"), "0:int");
    assert_eq!(get(&fs, "bytes_in"), "120:int");
    assert_eq!(get(&fs, "bytes_out"), "3400:int");
    assert_eq!(get(&fs, "bytes_total"), "3520:int");
    assert_eq!(get(&fs, "duration"), "1.5:float");
    assert_eq!(get(&fs, "duration_2"), "2:float");
    assert_eq!(get(&fs, "duration_3"), "0.25:float");
    assert_eq!(get(&fs, "duration_4"), "0.0015:float");
    assert_eq!(get(&fs, "ttfb"), "0.02:float");

    // Request pieces, handler, file, log ids, connection status.
    let fs = fields(
        r#"%m %U%q %H "%f" %R %L %{c}L %X"#,
        r#"POST /login?next=%2F HTTP/2.0 "/var/www/login.php" php-script YxV1AqwAAAEAADm8 - +"#,
    );
    assert_eq!(get(&fs, "method"), "POST:string");
    assert_eq!(get(&fs, "path"), "/login:string");
    assert_eq!(get(&fs, "query"), "next=%2F:string");
    assert_eq!(get(&fs, "protocol"), "HTTP/2.0:string");
    assert_eq!(get(&fs, "file"), "/var/www/login.php:string");
    assert_eq!(get(&fs, "handler"), "php-script:string");
    assert_eq!(get(&fs, "log_id"), "YxV1AqwAAAEAADm8:string");
    assert_eq!(get(&fs, "conn_log_id"), "∅");
    assert_eq!(get(&fs, "conn_status"), "+:string");
    let fs = fields("%U%q", "/index.html");
    assert_eq!(get(&fs, "query"), "∅");

    // Headers, cookies, environment, notes, trailers, mod_ssl.
    let fs = fields(
        "%{X-Forwarded-For}i|%{Content-Type}o|%{session}C|%{USER}e|%{note}n|%{Foo}^ti|%{Bar}^to|%{SSL_PROTOCOL}x|%{version}c|%v|%V|%{c}h",
        "1.1.1.1, 2.2.2.2|text/html|abc123|www-data|-|x|y|TLSv1.3|TLSv1.3|vh|srv|peer",
    );
    assert_eq!(get(&fs, "http_x_forwarded_for"), "1.1.1.1, 2.2.2.2:string");
    assert_eq!(get(&fs, "sent_http_content_type"), "text/html:string");
    assert_eq!(get(&fs, "cookie_session"), "abc123:string");
    assert_eq!(get(&fs, "env_user"), "www-data:string");
    assert_eq!(get(&fs, "note_note"), "∅");
    assert_eq!(get(&fs, "trailer_foo"), "x:string");
    assert_eq!(get(&fs, "sent_trailer_bar"), "y:string");
    assert_eq!(get(&fs, "ssl_protocol"), "TLSv1.3:string");
    assert_eq!(get(&fs, "ssl_version"), "TLSv1.3:string");
    assert_eq!(get(&fs, "vhost"), "vh:string");
    assert_eq!(get(&fs, "server_name"), "srv:string");
    assert_eq!(get(&fs, "peer_host"), "peer:string");

    // `%%` is a literal percent sign; `%<`/`%>` name the original/final request.
    let fs = fields("%% %<s %>s %s", "% 302 200 302");
    assert_eq!(get(&fs, "original_status"), "302:int");
    assert_eq!(get(&fs, "status"), "200:int");
    assert_eq!(get(&fs, "status_2"), "302:int");
}

#[test]
fn status_conditions_allow_a_dash() {
    let fs = fields(
        r#"%400,501{User-agent}i "%!200,304{Referer}i" %!200T"#,
        r#"- "-" -"#,
    );
    assert_eq!(get(&fs, "agent"), "∅");
    assert_eq!(get(&fs, "referer"), "∅");
    assert_eq!(get(&fs, "duration"), "∅");
    assert!(fails("%T", "-"), "without a condition %T is a number");
    let fs = fields("%200{%d/%b/%Y}t", "-");
    assert_eq!(get(&fs, "time"), "∅");
}

#[test]
fn escapes_are_undone_and_values_borrow_otherwise() {
    let mut p = Parser::preset(Preset::Combined);
    let line = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a\"b\\c\x41\xff HTTP/1.1" 200 1 "-" "say \"hi\"""#;
    let mut rec = Record::new();
    p.parse(line, &mut rec).unwrap();
    assert_eq!(
        rec.get_by_name("request").and_then(Value::as_bytes),
        Some(&b"GET /a\"b\\cA\xff HTTP/1.1"[..])
    );
    assert_eq!(
        rec.get_by_name("path").and_then(Value::as_bytes),
        Some(&b"/a\"b\\cA\xff"[..])
    );
    assert_eq!(
        rec.get_by_name("agent").and_then(Value::as_bytes),
        Some(&b"say \"hi\""[..])
    );
    let borrowed = |v: Option<&Value>| matches!(v, Some(Value::Str(std::borrow::Cow::Borrowed(_))));
    assert!(borrowed(rec.get_by_name("host")));
    assert!(!borrowed(rec.get_by_name("agent")));
    // A raw quote inside a quoted field does not end it early: the line does not match.
    assert!(p
        .parse(
            br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /" x" 200 1 "-" "-""#,
            &mut rec
        )
        .is_err());
    // Bytes that are not UTF-8 are kept as they are.
    p.parse(
        b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /\xe9 HTTP/1.1\" 200 1 \"-\" \"-\"",
        &mut rec,
    )
    .unwrap();
    assert_eq!(
        rec.get_by_name("path").and_then(Value::as_bytes),
        Some(&b"/\xe9"[..])
    );
}

#[test]
fn request_line_split() {
    let f = r#""%r""#;
    let cases = [
        ("GET /a?b=c HTTP/1.1", "GET", "/a", "b=c", "HTTP/1.1"),
        ("GET /a HTTP/1.1", "GET", "/a", "∅", "HTTP/1.1"),
        ("GET /a b HTTP/1.1", "GET", "/a b", "∅", "HTTP/1.1"),
        ("GET /", "GET", "/", "∅", "∅"),
        ("GET /x? HTTP/1.0", "GET", "/x", "", "HTTP/1.0"),
        ("junk", "∅", "∅", "∅", "∅"),
        ("-", "∅", "∅", "∅", "∅"),
        ("", "∅", "∅", "∅", "∅"),
    ];
    for (req, m, p, q, h) in cases {
        let fs = fields(f, &format!("\"{req}\""));
        let text = |s: &str| {
            if s == "∅" {
                s.to_string()
            } else {
                format!("{s}:string")
            }
        };
        assert_eq!(get(&fs, "method"), text(m), "{req}");
        assert_eq!(get(&fs, "path"), text(p), "{req}");
        assert_eq!(get(&fs, "query"), text(q), "{req}");
        assert_eq!(get(&fs, "protocol"), text(h), "{req}");
    }
    // Explicit directives keep their names; the split fills only the rest.
    let fs = fields(r#"%m "%r""#, r#"GET "GET /x HTTP/1.1""#);
    let names: Vec<&str> = fs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["method", "request", "path", "query", "protocol"]);
}

#[test]
fn time_directives() {
    let t = |format: &str, line: &str| get(&fields(format, line), "time");
    assert_eq!(
        t("%t", "[01/Feb/2021:00:00:00 +0530]"),
        "2021-02-01T00:00:00+05:30:time"
    );
    assert_eq!(
        t("%{%d/%b/%Y:%H:%M:%S %z}t", "01/Feb/2021:10:11:12 -0100"),
        "2021-02-01T10:11:12-01:00:time"
    );
    assert_eq!(
        t(
            "%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t%{%z}t",
            "2019-05-06T12:09:43.123-0400"
        ),
        "2019-05-06T12:09:43.123-04:00:time"
    );
    assert_eq!(t("%{sec}t", "1511642826"), "2017-11-25T20:47:06+00:00:time");
    assert_eq!(
        t("%{msec}t", "1511642826123"),
        "2017-11-25T20:47:06.123+00:00:time"
    );
    assert_eq!(
        t("%{usec}t", "1511642826123456"),
        "2017-11-25T20:47:06.123456+00:00:time"
    );
    assert_eq!(t("%{%s}t", "0"), "1970-01-01T00:00:00+00:00:time");
    // No offset written: a local time, shown without one.
    assert_eq!(
        t("%{%F %T}t", "2019-05-06 13:42:26"),
        "2019-05-06T13:42:26:time"
    );
    // A date alone is not a time.
    assert_eq!(t("%{%F}t", "2019-05-06"), "∅");
    let fs = fields(
        "%{begin:%F %T}t %{end:%F %T}t",
        "2019-05-06 13:42:26 2019-05-06 13:42:27",
    );
    assert_eq!(get(&fs, "time"), "2019-05-06T13:42:26:time");
    assert_eq!(get(&fs, "end_time"), "2019-05-06T13:42:27:time");
    // Invalid dates do not match.
    assert!(fails("%t", "[31/Apr/2021:00:00:00 +0000]"));
    assert!(fails("%t", "[01/Feb/2021:24:00:00 +0000]"));
    assert!(fails("%t", "[01/Feb/2021:00:00:00]"));
    // Timestamps compare by instant.
    let mut p = Parser::apache("%t %{%s}t", Naming::Directive).unwrap();
    let mut rec = Record::new();
    p.parse(b"[10/Oct/2000:13:55:36 -0700] 971211336", &mut rec)
        .unwrap();
    let a = rec.value(0).and_then(Value::as_time).unwrap();
    assert_eq!(a.unix_micros(), 971_211_336_000_000);
    assert_eq!(a.offset_seconds(), Some(-7 * 3600));
}

#[test]
fn format_errors_point_at_the_directive() {
    let err = |f: &str| Parser::apache(f, Naming::Readable).unwrap_err();
    let e = err(r#"%h %l %x "%r""#);
    assert_eq!((e.column, e.kind), (7, FormatErrorKind::UnknownDirective));
    assert!(e.to_string().contains("unknown directive `%x`"), "{e}");
    assert!(
        e.to_string().contains("\n        ^"),
        "caret under the column: {e}"
    );
    let e = err("%h %{Referer");
    assert_eq!((e.column, e.kind), (4, FormatErrorKind::InvalidDirective));
    let e = err("%h %");
    assert_eq!((e.column, e.kind), (4, FormatErrorKind::InvalidDirective));
    let e = err("%{%Y-%Q}t");
    assert_eq!((e.column, e.kind), (6, FormatErrorKind::UnknownDirective));
    let e = err("%h %{%<Y}t");
    assert_eq!((e.column, e.kind), (6, FormatErrorKind::InvalidDirective));
    let e = err("%{x}a");
    assert_eq!(e.kind, FormatErrorKind::UnknownDirective);
    // Columns count characters, not bytes.
    let e = err("é %x");
    assert_eq!(e.column, 3);
    // nginx
    let e = Parser::nginx("$remote_addr ${oops", Naming::Readable).unwrap_err();
    assert_eq!(e.column, 14);
}

#[test]
fn httpd_conf_quoting() {
    // Pasted with httpd.conf's quotes and escaped quotes: the same parser as the plain one.
    let conf = r#""%h %l %u %t \"%r\" %>s %b""#;
    let mut a = Parser::apache(conf, Naming::Readable).unwrap();
    let line = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5"#;
    assert_eq!(
        show(&mut a, line),
        show(&mut Parser::preset(Preset::Common), line)
    );
    // A format that merely starts and ends with a quote keeps it.
    assert_eq!(
        get(&fields(r#""%r""#, r#""GET / HTTP/1.0""#), "method"),
        "GET:string"
    );
    // `\t` is a tab in a LogFormat.
    assert_eq!(get(&fields(r"%h\t%>s", "a\t200"), "status"), "200:int");
}

#[test]
fn nginx_formats() {
    let mut p = Parser::nginx(
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time" urt="$upstream_response_time" $host ${http_x_forwarded_for}"#,
        Naming::Readable,
    )
    .unwrap();
    let fs = show(
        &mut p,
        r#"10.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /x?y=1 HTTP/1.1" 404 0 "-" "curl/8.0" rt=0.004 uct="0.001" urt="0.003, 0.001" example.org 1.2.3.4, 5.6.7.8"#,
    );
    assert_eq!(get(&fs, "host"), "10.0.0.1:string");
    assert_eq!(get(&fs, "user"), "bob:string");
    assert_eq!(get(&fs, "time"), "2000-10-10T13:55:36-07:00:time");
    assert_eq!(get(&fs, "path"), "/x:string");
    assert_eq!(get(&fs, "status"), "404:int");
    assert_eq!(get(&fs, "bytes"), "0:int");
    assert_eq!(get(&fs, "referer"), "∅");
    assert_eq!(get(&fs, "agent"), "curl/8.0:string");
    assert_eq!(get(&fs, "duration"), "0.004:float");
    assert_eq!(get(&fs, "upstream_connect_time"), "0.001:float");
    assert_eq!(get(&fs, "upstream_response_time"), "0.003, 0.001:string");
    assert_eq!(get(&fs, "vhost"), "example.org:string");
    assert_eq!(get(&fs, "http_x_forwarded_for"), "1.2.3.4, 5.6.7.8:string");

    let fs = show(
        &mut Parser::nginx("$time_iso8601 $msec $status", Naming::Readable).unwrap(),
        "2019-05-06T12:09:43+02:00 1557137383.500 200",
    );
    // Both time variables feed the one `time` (the last one read wins).
    assert_eq!(get(&fs, "time"), "2019-05-06T10:09:43.500+00:00:time");
    // nginx escapes as \xHH.
    let fs = show(
        &mut Parser::nginx(r#""$http_user_agent""#, Naming::Readable).unwrap(),
        r#""a\x22b\x5Cc""#,
    );
    assert_eq!(get(&fs, "agent"), r#"a"b\c:string"#);
}

#[test]
fn parse_spec_words() {
    assert_eq!(
        ParseSpec::from_words(&["combined"]),
        Ok(ParseSpec::Preset(Preset::Combined))
    );
    assert_eq!(ParseSpec::from_words(&["json"]), Ok(ParseSpec::Json));
    assert_eq!(ParseSpec::from_words(&["auto"]), Ok(ParseSpec::Auto));
    assert_eq!(
        ParseSpec::from_words(&["%h %>s"]),
        Ok(ParseSpec::Apache("%h %>s".into()))
    );
    assert_eq!(
        ParseSpec::from_words(&["$remote_addr $status"]),
        Ok(ParseSpec::Nginx("$remote_addr $status".into()))
    );
    assert_eq!(
        ParseSpec::from_words(&["regex", "(?P<a>x)"]),
        Ok(ParseSpec::Regex("(?P<a>x)".into()))
    );
    let e = ParseSpec::from_words(&["combine"]).unwrap_err();
    assert_eq!(e.kind, FormatErrorKind::BadSpec);
    assert!(e.message.contains("unknown parser `combine`"));
    assert!(ParseSpec::from_words(&[]).is_err());
    assert!(ParseSpec::from_words(&["a", "b", "c"]).is_err());
    for spec in ["combined", "json", "logfmt", "%h", "$status"] {
        let s = ParseSpec::from_words(&[spec]).unwrap();
        assert!(Parser::new(&s).is_ok(), "{spec}");
    }
    assert!(Parser::new(&ParseSpec::Auto).is_err());
}

#[test]
fn json_logfmt_regex() {
    let mut j = Parser::json();
    assert!(j.field_names().is_none());
    let fs = show(
        &mut j,
        r#"{"status":200,"req":{"path":"/x","ms":1.5},"tags":["a"],"ok":true,"u":null}"#,
    );
    assert_eq!(get(&fs, "status"), "200:int");
    assert_eq!(get(&fs, "req.path"), "/x:string");
    assert_eq!(get(&fs, "req.ms"), "1.5:float");
    assert_eq!(get(&fs, "tags"), r#"["a"]:string"#);
    assert_eq!(get(&fs, "ok"), "true:bool");
    assert_eq!(get(&fs, "u"), "∅");
    let key = j.resolve("req.path");
    let mut rec = Record::new();
    j.parse(br#"{"req":{"path":"/y"}}"#, &mut rec).unwrap();
    assert_eq!(rec.get(&key).and_then(Value::as_bytes), Some(&b"/y"[..]));

    let mut l = Parser::logfmt();
    let fs = show(
        &mut l,
        r#"at=info method=GET path="/a b" status=200 dur=0.5"#,
    );
    assert_eq!(get(&fs, "path"), "/a b:string");
    assert_eq!(get(&fs, "status"), "200:int");
    assert_eq!(get(&fs, "dur"), "0.5:float");

    let mut r = Parser::regex(r"^(?P<ip>\S+) .* (?P<status>\d{3}) (?P<bytes>\d+|-)$").unwrap();
    assert_eq!(r.field_names().unwrap(), ["ip", "status", "bytes"]);
    let fs = show(&mut r, "1.2.3.4 - - [x] \"GET /\" 404 -");
    assert_eq!(get(&fs, "status"), "404:int");
    assert_eq!(get(&fs, "bytes"), "-:string");
}

#[test]
fn auto_detection() {
    let pick = |lines: &[&str]| {
        let l: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        Parser::auto(&l).map(|(_, c)| c)
    };
    let combined = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "curl""#;
    let common = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5"#;
    let vhost = r#"example.org:80 1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "curl""#;
    let c = pick(&[combined, "", combined]).unwrap();
    assert_eq!((c.name, c.matched, c.sampled), ("combined", 2, 2));
    assert!(c.to_string().contains("chose combined (2 of 2"), "{c}");
    assert_eq!(pick(&[common, common]).unwrap().name, "common");
    assert_eq!(pick(&[vhost]).unwrap().name, "vhost_combined");
    assert_eq!(pick(&[r#"{"a":1}"#, r#"{"b":2}"#]).unwrap().name, "json");
    assert_eq!(
        pick(&["a=1 b=2", "a=3 msg=\"x y\""]).unwrap().name,
        "logfmt"
    );
    // The most matching wins, even with a stray line.
    assert_eq!(
        pick(&[common, combined, combined]).unwrap().name,
        "combined"
    );
    let e = pick(&["hello world", "more prose"]).unwrap_err();
    assert_eq!(e.sampled, 2);
    assert!(pick(&[]).is_err());
}

#[test]
fn projection_computes_only_what_is_asked() {
    let line: &[u8] =
        br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b HTTP/1.1" 200 5 "-" "curl""#;
    let mut p = Parser::preset(Preset::Combined);
    let mut rec = Record::new();
    p.parse(line, &mut rec).unwrap();
    assert!(rec.get_by_name("path").is_some_and(|v| !v.is_null()));
    let status = p.resolve("status");
    p.project(std::slice::from_ref(&status));
    // The record last filled by the full parser is not reused as it was.
    p.parse(line, &mut rec).unwrap();
    assert_eq!(rec.get(&status), Some(&Value::Int(200)));
    for other in ["path", "method", "request", "host", "agent", "time"] {
        assert_eq!(rec.get_by_name(other), Some(&Value::Null), "{other}");
    }
    // The same lines match or not.
    assert!(p.parse(b"junk", &mut rec).is_err());
    let path = p.resolve("path");
    p.project(std::slice::from_ref(&path));
    p.parse(line, &mut rec).unwrap();
    assert_eq!(rec.get(&path).and_then(Value::as_bytes), Some(&b"/a"[..]));
    p.project_all();
    p.parse(line, &mut rec).unwrap();
    assert_eq!(
        rec.get_by_name("agent").and_then(Value::as_bytes),
        Some(&b"curl"[..])
    );
}

#[test]
fn failures_are_counted_and_described() {
    let mut p = Parser::preset(Preset::Combined);
    let mut rec = Record::new();
    let input = InputName::Path("access.log".into());
    let mut failures = Failures::default();
    let lines = [
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "curl"#,
        "not a log line",
        r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 5 "-" "curl""#,
    ];
    for (i, line) in lines.iter().enumerate() {
        if let Err(f) = p.parse(line.as_bytes(), &mut rec) {
            failures.add(f, &input, i as u64 + 1, line.as_bytes());
        }
    }
    assert_eq!(failures.total(), 3);
    let report = failures.report(&p).join("\n");
    assert!(report.contains("3 lines not parsed"), "{report}");
    assert!(report.contains("`%{User-agent}i` (agent)"), "{report}");
    assert!(report.contains("`%>s` (status)"), "{report}");
    assert!(report.contains("access.log:2:"), "{report}");
    let reasons: Vec<Reason> = failures.by_reason().map(|(r, _)| r).collect();
    assert!(reasons.iter().all(|r| matches!(r, Reason::NoMatch { .. })));
    // A failed line leaves no half-filled record.
    assert!(rec.values().iter().all(Value::is_null));
}

#[test]
fn records_recycle_between_buffers() {
    let mut p = Parser::preset(Preset::Common);
    let mut rec: Record<'static> = Record::new();
    for round in 0..3 {
        let buf =
            format!(r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /{round} HTTP/1.0" 200 5"#);
        let mut r = rec.recycle();
        p.parse(buf.as_bytes(), &mut r).unwrap();
        assert_eq!(
            r.get_by_name("path").and_then(Value::as_bytes),
            Some(format!("/{round}").as_bytes())
        );
        rec = r.recycle();
    }
}

/// The failure of `line` under `p`: (offset, reason in words).
fn failure(p: &mut Parser, line: &str) -> (usize, String) {
    let mut rec = Record::new();
    match p.parse(line.as_bytes(), &mut rec) {
        Ok(()) => panic!("{line:?} parsed"),
        Err(f) => (f.offset, p.describe(&f.reason)),
    }
}

/// A failure is reported where matching really stopped: a common line under `combined`
/// matches up to the end of `%b`, where the line ends and the format wants the referer.
#[test]
fn failures_point_where_matching_stopped() {
    let common = r#"140.180.132.213 - - [24/Feb/2008:00:08:59 -0600] "GET /ply/ply.html HTTP/1.1" 200 97238"#;
    let mut combined = Parser::preset(Preset::Combined);
    assert_eq!(
        failure(&mut combined, common),
        (
            common.len(),
            r#"the line ends where the format expects ` "%{Referer}i" "%{User-agent}i"` (after `%b` (bytes))"#
                .to_string()
        )
    );
    let mut rec = Record::new();
    let f = combined.parse(common.as_bytes(), &mut rec).unwrap_err();
    assert!(matches!(f.reason, Reason::NoMatch { ended: true, .. }));
    // `-` for the bytes: the same.
    let dash = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 304 -"#;
    assert_eq!(failure(&mut combined, dash).0, dash.len());
    // A combined line under `common`: `%b` matched, then the line goes on.
    let line = format!(r#"{common} "-" "curl/8""#);
    assert_eq!(
        failure(&mut Parser::preset(Preset::Common), &line),
        (
            common.len(),
            "does not match the format (the line goes on after it)".to_string()
        )
    );
    // A raw quote inside the request: the closing `"` and what follows were expected there.
    let raw = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a"b HTTP/1.0" 200 5 "-" "curl""#;
    assert_eq!(
        failure(&mut combined, raw),
        (
            raw.find("\"b").unwrap(),
            r#"does not match where the format expects `" %>s %b "%{Referer}i" "%{User-agent}i"` (after `%r` (request))"#
                .to_string()
        )
    );
    // An agent without its closing quote: the line ends where the quote was expected.
    let open = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "curl"#;
    assert_eq!(
        failure(&mut combined, open),
        (
            open.len(),
            r#"the line ends where the format expects `"` (after `%{User-agent}i` (agent))"#
                .to_string()
        )
    );
    // Four digits for the status: `%>s` reads three, then the space was expected.
    let four = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2000 5 "-" "curl""#;
    assert_eq!(
        failure(&mut combined, four),
        (
            four.find("2000 5").unwrap() + 3,
            r#"does not match where the format expects ` %b "%{Referer}i" "%{User-agent}i"` (after `%>s` (status))"#
                .to_string()
        )
    );
    // A field that cannot start is blamed on the field, at its start.
    let bad = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 2x0 5 "-" "curl""#;
    assert_eq!(
        failure(&mut combined, bad),
        (
            bad.find("2x0").unwrap(),
            "does not match the format at `%>s` (status)".to_string()
        )
    );
}

/// Counts `lines` under `p` into a [`Failures`].
fn count(p: &mut Parser, lines: &[&str]) -> Failures {
    let mut rec = Record::new();
    let input = InputName::Path("access.log".into());
    let mut failures = Failures::default();
    for (i, line) in lines.iter().enumerate() {
        match p.parse(line.as_bytes(), &mut rec) {
            Ok(()) => failures.add_parsed(),
            Err(f) => failures.add(f, &input, i as u64 + 1, line.as_bytes()),
        }
    }
    failures
}

/// Most lines failing (more than half of those read, at least five) is a mismatch, and
/// says which format the unparsed lines have.
#[test]
fn most_lines_failing_names_the_format_they_have() {
    let common = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5"#;
    let combined = r#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 5 "-" "curl""#;
    let mut p = Parser::preset(Preset::Combined);
    assert_eq!(MISMATCH_MIN_FAILED, 5);
    // One bad line of one, four of four: too few to say.
    for n in [1, 4] {
        let f = count(&mut p, &vec![common; n]);
        assert_eq!((f.total(), f.parsed()), (n as u64, 0));
        assert_eq!(f.mismatch(&p), None, "{n}");
    }
    // Five failed and five parsed: not more than half.
    let mut lines = vec![common; 5];
    lines.extend([combined; 5]);
    assert_eq!(count(&mut p, &lines).mismatch(&p), None);
    // Six of eleven: more than half.
    lines.push(common);
    let m = count(&mut p, &lines).mismatch(&p).expect("a mismatch");
    assert_eq!((m.failed, m.read), (6, 11));
    assert_eq!(m.suggestion(), Some("common"));
    assert_eq!(
        m.to_string(),
        "parse combined: 6 of 11 lines did not parse: is it the right format? \
         The unparsed lines look like `common` (6 of the first 6 match it)"
    );
    // JSON lines under `common`.
    let json = [r#"{"status":200}"#; 5];
    let mut c = Parser::preset(Preset::Common);
    let m = count(&mut c, &json).mismatch(&c).expect("a mismatch");
    assert_eq!(m.suggestion(), Some("json"));
    // Nothing known matches: said too.
    let junk = ["hello world"; 7];
    let m = count(&mut c, &junk).mismatch(&c).expect("a mismatch");
    assert_eq!(m.suggestion(), None);
    assert!(
        m.to_string().ends_with(
            "No known format (Apache/nginx presets, JSON, logfmt) matches the unparsed lines \
             either: give their format as a LogFormat or log_format string"
        ),
        "{m}"
    );
    // A regex is searched, like grep: lines it does not match are expected, unless it
    // matches none.
    let mut re = Parser::regex(r"GET (?P<path>\S+)").unwrap();
    let mut some = vec!["POST /a"; 9];
    some.push("GET /b");
    assert_eq!(count(&mut re, &some).mismatch(&re), None);
    let none = vec!["POST /a"; 9];
    assert!(count(&mut re, &none).mismatch(&re).is_some());
    // Counts and samples merge (parallel workers).
    let mut a = count(&mut p, &[common, common, common]);
    a.merge(count(&mut p, &[common, common, combined]));
    assert_eq!((a.total(), a.parsed()), (5, 1));
    assert_eq!(
        a.mismatch(&p).and_then(|m| m.looks_like).map(|c| c.sampled),
        Some(5)
    );
}

/// nginx never writes a space in `$remote_addr` (one address): a vhost in front or an
/// `X-Forwarded-For` list there is another format, and the line does not parse.
#[test]
fn nginx_remote_addr_has_no_space() {
    let line = |addr: &str| {
        format!(r#"{addr} - - [09/Jun/2020:12:10:39 -0700] "GET / HTTP/1.1" 200 5 "-" "curl""#)
    };
    let mut preset = Parser::preset(Preset::Nginx);
    let mut custom = Parser::nginx(
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        Naming::Readable,
    )
    .unwrap();
    for p in [&mut preset, &mut custom] {
        for good in ["192.168.0.1", "2001:db8::1", "unix:"] {
            assert_eq!(get(&show(p, &line(good)), "host"), format!("{good}:string"));
        }
        let vhost = line("lessons.example.com 192.168.0.1");
        assert_eq!(
            failure(p, &vhost),
            (
                "lessons.example.com".len(),
                r#"does not match where the format expects ` - $remote_user [$time_local] "$request" $status $body_bytes…` (after `$remote_addr` (host))"#
                    .to_string()
            )
        );
        let list = line("10.0.0.2, 10.0.0.1, 127.0.0.1");
        assert_eq!(failure(p, &list).0, "10.0.0.2,".len());
    }
    // The same for the other variables that never hold a space.
    let mut p = Parser::nginx("$server_protocol $scheme $request_id", Naming::Readable).unwrap();
    assert_eq!(
        get(&show(&mut p, "HTTP/1.1 https 0a1b"), "scheme"),
        "https:string"
    );
    let mut rec = Record::new();
    assert!(p.parse(b"HTTP/1.1 https x 0a1b", &mut rec).is_err());
    // A header may hold spaces: an X-Forwarded-For list is read with its own variable.
    let mut xff = Parser::nginx(
        r#"$http_x_forwarded_for - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        Naming::Readable,
    )
    .unwrap();
    assert_eq!(
        get(
            &show(&mut xff, &line("10.0.0.2, 10.0.0.1")),
            "http_x_forwarded_for"
        ),
        "10.0.0.2, 10.0.0.1:string"
    );
}

/// Whole epoch seconds keep the fraction written after them (`%{sec}t.%{msec_frac}t`).
#[test]
fn epoch_seconds_keep_their_fraction() {
    // 1511642826 s after the epoch: 17 495 days (1970-01-01 + 17 495 d = 2017-11-25) and
    // 74 826 s (20:47:06); checked by hand, and the same as apachelogs' vector for it.
    assert_eq!(17_495 * 86_400 + 20 * 3600 + 47 * 60 + 6, 1_511_642_826_i64);
    let time = |format: &str, line: &str| {
        let mut rec = Record::new();
        let mut p = Parser::apache(format, Naming::Readable).unwrap();
        p.parse(line.as_bytes(), &mut rec).unwrap();
        match rec.get_by_name("time") {
            Some(Value::Time(t)) => (t.unix_micros(), t.to_string()),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        time("%{sec}t.%{msec_frac}t", "1511642826.123"),
        (
            1_511_642_826 * 1_000_000 + 123_000,
            "2017-11-25T20:47:06.123+00:00".to_string()
        )
    );
    assert_eq!(
        time("%{sec}t.%{msec_frac}t", "1511642826.007").0,
        1_511_642_826 * 1_000_000 + 7_000
    );
    assert_eq!(
        time("%{sec}t.%{usec_frac}t %{%z}t", "1511642826.000042 -0400"),
        (
            1_511_642_826 * 1_000_000 + 42,
            "2017-11-25T16:47:06.000042-04:00".to_string()
        )
    );
    // strftime's `%s` is the same whole seconds.
    assert_eq!(
        time("%{%s}t.%{usec_frac}t", "1511642826.500000").0,
        1_511_642_826 * 1_000_000 + 500_000
    );
    // Without a fraction, whole seconds.
    assert_eq!(time("%{sec}t", "1511642826").0, 1_511_642_826 * 1_000_000);
}
