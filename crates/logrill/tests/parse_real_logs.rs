//! `parse` on real logs (`examples/real-logs/`, see its NOTICE.md): Elastic's sample Apache
//! log (10 000 lines of real traffic, Apache-2.0) and Filebeat's tricky Apache and nginx
//! test lines (Apache-2.0).
//!
//! The expected numbers for `apache_logs` were computed independently of logrill, with this
//! Python one-off (a regex for the combined format, escapes allowed inside quotes):
//!
//! ```text
//! import re, collections
//! rx = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) '
//!                 r'"((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$')
//! st = collections.Counter(); total = 0; dash = 0; bad = []; methods = collections.Counter()
//! for i, l in enumerate(open('apache_logs', 'rb'), 1):
//!     m = rx.match(l.decode('latin-1').rstrip('\n'))
//!     if not m: bad.append(i); continue
//!     st[m.group(6)] += 1; methods[m.group(5).split(' ')[0]] += 1
//!     if m.group(7) == '-': dash += 1
//!     else: total += int(m.group(7))
//! # → 9999 lines, bad == [8899], st == {200: 9125, 206: 45, 301: 164, 304: 445, 403: 2,
//! #   404: 213, 416: 2, 500: 3}, total == 2747282505, dash == 669,
//! #   methods == {GET: 9951, HEAD: 42, POST: 5, OPTIONS: 1}; 4072 referers are '-';
//! #   times from 2015-05-17T10:05:00+00:00 to 2015-05-20T21:05:59+00:00
//! ```
//!
//! and cross-checked with awk: `awk '{print $9}' apache_logs | sort | uniq -c` (9126 × 200:
//! one more, the truncated line 8899, which is a 200) and
//! `awk '$10 != "-" {s+=$10} END {print s}'` (2.74728e+09).

use std::collections::BTreeMap;
use std::path::PathBuf;

use logrill::stage::parse::{Parser, Preset, Reason, Record, Value};

fn real_log(rel: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "../../examples/real-logs", rel]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

fn bytes_of(v: &Value<'_>) -> String {
    String::from_utf8_lossy(v.as_bytes().unwrap_or(b"")).into_owned()
}

#[test]
fn elastic_apache_logs_as_combined() {
    let data = real_log("elastic-examples/apache_logs");
    for preset in [Preset::Combined, Preset::Nginx] {
        // nginx's default format is combined with a literal `-` for the ident, which is
        // what this log has on every line: both must read it the same.
        let mut parser = Parser::preset(preset);
        let status = parser.resolve("status");
        let bytes = parser.resolve("bytes");
        let method = parser.resolve("method");
        let time = parser.resolve("time");
        let referer = parser.resolve("referer");
        let mut statuses = BTreeMap::new();
        let mut methods = BTreeMap::new();
        let mut total: i64 = 0;
        let (mut null_bytes, mut null_referers) = (0, 0);
        let mut failed = Vec::new();
        let mut times = Vec::new();
        let mut rec = Record::new();
        let mut n = 0;
        for (i, line) in lines(&data).enumerate() {
            n += 1;
            if let Err(f) = parser.parse(line, &mut rec) {
                failed.push((i + 1, parser.describe(&f.reason), f.reason));
                continue;
            }
            let Some(Value::Int(s)) = rec.get(&status) else {
                panic!("line {}: status {:?}", i + 1, rec.get(&status));
            };
            *statuses.entry(*s).or_insert(0) += 1;
            match rec.get(&bytes) {
                Some(Value::Int(b)) => total += b,
                Some(Value::Null) => null_bytes += 1,
                other => panic!("line {}: bytes {other:?}", i + 1),
            }
            *methods
                .entry(bytes_of(rec.get(&method).unwrap()))
                .or_insert(0) += 1;
            null_referers += usize::from(rec.get(&referer).is_some_and(Value::is_null));
            match rec.get(&time) {
                Some(Value::Time(t)) => times.push(*t),
                other => panic!("line {}: time {other:?}", i + 1),
            }
        }
        assert_eq!(n, 10_000);
        assert_eq!(failed.len(), 1, "{failed:?}");
        let (line_no, why, reason) = &failed[0];
        assert_eq!(*line_no, 8899);
        // The truncated line: its user agent has no closing quote.
        assert!(matches!(reason, Reason::NoMatch { .. }));
        assert!(why.contains("agent"), "{why}");
        let want: BTreeMap<i64, i32> = [
            (200, 9125),
            (206, 45),
            (301, 164),
            (304, 445),
            (403, 2),
            (404, 213),
            (416, 2),
            (500, 3),
        ]
        .into();
        assert_eq!(statuses, want);
        assert_eq!(total, 2_747_282_505);
        assert_eq!(null_bytes, 669);
        assert_eq!(null_referers, 4072);
        let want: BTreeMap<String, i32> =
            [("GET", 9951), ("HEAD", 42), ("POST", 5), ("OPTIONS", 1)]
                .map(|(m, c)| (m.to_string(), c))
                .into();
        assert_eq!(methods, want);
        let (min, max) = (times.iter().min().unwrap(), times.iter().max().unwrap());
        assert_eq!(min.to_string(), "2015-05-17T10:05:00+00:00");
        assert_eq!(max.to_string(), "2015-05-20T21:05:59+00:00");
    }
}

#[test]
fn elastic_apache_logs_escapes_and_request_split() {
    let data = real_log("elastic-examples/apache_logs");
    let mut parser = Parser::preset(Preset::Combined);
    let all: Vec<&[u8]> = lines(&data).collect();
    let mut rec = Record::new();
    // Line 5851 has a referer written with \xhh escapes (a Cyrillic domain in cp1251).
    parser.parse(all[5850], &mut rec).unwrap();
    assert_eq!(
        rec.get_by_name("referer").and_then(Value::as_bytes),
        Some(&b"http://\xe4\xe5\xe3\xf2\xff\xf0\xed\xee\xe5-\xec\xfb\xeb\xee.\xf0\xf4/"[..])
    );
    assert_eq!(bytes_of(rec.get_by_name("protocol").unwrap()), "HTTP/1.0");
    // The first line, field by field.
    parser.parse(all[0], &mut rec).unwrap();
    let fields: Vec<(String, String)> = rec
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let want = [
        ("host", "83.149.9.216"),
        ("ident", ""),
        ("user", ""),
        ("time", "2015-05-17T10:05:03+00:00"),
        (
            "request",
            "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1",
        ),
        ("method", "GET"),
        (
            "path",
            "/presentations/logstash-monitorama-2013/images/kibana-search.png",
        ),
        ("query", ""),
        ("protocol", "HTTP/1.1"),
        ("status", "200"),
        ("bytes", "203023"),
        (
            "referer",
            "http://semicomplete.com/presentations/logstash-monitorama-2013/",
        ),
        (
            "agent",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36",
        ),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(fields, want);
    // `auto` recognises it from its first lines.
    let (_, choice) = Parser::auto(&all[..20]).unwrap();
    assert_eq!(choice.name, "combined");
    assert_eq!((choice.matched, choice.sampled), (20, 20));
}

/// Filebeat's Apache and nginx test lines: IPv6 clients, `"-" 408 -`, host lists, vhost
/// prefixes, `unix:` clients, an empty request `""`.
#[test]
fn filebeat_fixtures() {
    let mut rec = Record::new();

    let data = real_log("elastic-beats-fixtures/apache-access/darwin-2.4.23.log");
    let mut common = Parser::preset(Preset::Common);
    let mut n = 0;
    for line in lines(&data) {
        common.parse(line, &mut rec).unwrap();
        n += 1;
        if rec.get_by_name("status") == Some(&Value::Int(408)) {
            // `"-" 408 -`: no request, no bytes.
            assert_eq!(rec.get_by_name("request"), Some(&Value::Null));
            assert_eq!(rec.get_by_name("method"), Some(&Value::Null));
            assert_eq!(rec.get_by_name("bytes"), Some(&Value::Null));
            assert_eq!(bytes_of(rec.get_by_name("host").unwrap()), "::1");
        }
    }
    assert_eq!(n, 6);

    let data = real_log("elastic-beats-fixtures/apache-access/ssl-request.log");
    let mut ssl = Parser::apache(
        r#"%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b"#,
        Default::default(),
    )
    .unwrap();
    let mut got = Vec::new();
    for line in lines(&data) {
        ssl.parse(line, &mut rec).unwrap();
        got.push((
            bytes_of(rec.get_by_name("ssl_protocol").unwrap()),
            bytes_of(rec.get_by_name("ssl_cipher").unwrap()),
            rec.get_by_name("bytes").cloned().map(Value::into_owned),
        ));
    }
    assert_eq!(
        got,
        [
            (
                "TLSv1.2".to_string(),
                "ECDHE-RSA-AES128-GCM-SHA256".to_string(),
                Some(Value::Int(1375))
            ),
            (
                "TLSv1.2".to_string(),
                "ECDHE-RSA-AES128-GCM-SHA256".to_string(),
                Some(Value::Null)
            ),
        ]
    );

    let data = real_log("elastic-beats-fixtures/nginx-access/access.log");
    let mut nginx = Parser::preset(Preset::Nginx);
    let mut hosts = Vec::new();
    let mut failed = Vec::new();
    for (i, line) in lines(&data).enumerate() {
        match nginx.parse(line, &mut rec) {
            Ok(()) => hosts.push(bytes_of(rec.get_by_name("host").unwrap())),
            Err(f) => failed.push((i, f.offset)),
        }
    }
    assert_eq!(hosts.len(), 12);
    assert_eq!(hosts[0], "77.179.66.156");
    // The last line has a vhost in front (another format): nginx never writes a space in
    // `$remote_addr`, so it does not parse; matching stops at that space.
    assert_eq!(failed, [(12, "lessons.example.com".len())]);

    let data = real_log("elastic-beats-fixtures/nginx-access/test.log");
    let all: Vec<&[u8]> = lines(&data).collect();
    // `10.0.0.2, 10.0.0.1, 127.0.0.1 - - [...]`: an X-Forwarded-For list, not one address.
    assert!(nginx.parse(all[0], &mut rec).is_err());
    // `"" 400 0`: an empty request line.
    let empty = all
        .iter()
        .find(|l| l.windows(3).any(|w| w == b"\"\" "))
        .unwrap();
    nginx.parse(empty, &mut rec).unwrap();
    assert_eq!(rec.get_by_name("request"), Some(&Value::borrowed(b"")));
    assert_eq!(rec.get_by_name("method"), Some(&Value::Null));
    assert_eq!(rec.get_by_name("status"), Some(&Value::Int(400)));
}
