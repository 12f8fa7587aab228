//! How fast `parse` reads a log held in memory (a micro-measurement, not a test).
//!
//! ```text
//! cargo run --release -p logrill --example parse_speed [MEGABYTES]
//! PARSE_SPEED_QUICK=1 cargo run --release -p logrill --example parse_speed   # combined only
//! PARSE_SPEED_FILE=access-log cargo run --release -p logrill --example parse_speed
//! ```
//!
//! Generates a combined-format log (varied hosts, paths, agents, time going forward, a few
//! `-` byte counts and escaped referers), and repeats the real log of
//! `examples/real-logs/elastic-examples/apache_logs` to the same size if it is there. Then
//! parses every line into one reused record and sums a field so that nothing is optimised
//! away: with every field, and with a projection to one field (what a query such as
//! `count by status` asks for). Single thread; the figures include finding the line ends.
//! On a machine shared with other work, compare the CPU-time figures.

use std::time::Instant;

use logrill::stage::parse::{Parser, Preset, Record, Value};

/// A small deterministic generator (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const PATHS: &[&str] = &[
    "/",
    "/index.html",
    "/presentations/logstash-monitorama-2013/images/kibana-search.png",
    "/blog/tags/puppet?flav=rss20",
    "/style2.css",
    "/reset.css",
    "/images/jordan-80.png",
    "/favicon.ico",
    "/articles/dynamic-dns-with-dhcp/",
    "/projects/xdotool/xdotool.xhtml",
    "/robots.txt",
    "/files/logstash/logstash-1.3.2-monolithic.jar",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:27.0) Gecko/20100101 Firefox/27.0",
    "UniversalFeedParser/4.2-pre-314-svn +http://feedparser.org/",
    "-",
];
const REFERERS: &[&str] = &[
    "-",
    "http://semicomplete.com/presentations/logstash-monitorama-2013/",
    "https://www.google.com/",
    "http://www.semicomplete.com/projects/xdotool/",
    r"http://\xe4\xe5\xe3\xf2\xff.\xf0\xf4/",
];

fn generate(target: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::with_capacity(target + 1024);
    // Time goes forward, a few lines a second, as in a real log.
    let mut second: u64 = 17 * 86_400 + 10 * 3600;
    while out.len() < target {
        second += rng.next() % 2;
        let r = rng.next();
        let ip = format!(
            "{}.{}.{}.{}",
            r & 0xff,
            (r >> 8) & 0xff,
            (r >> 16) & 0xff,
            (r >> 24) & 0xff
        );
        let status =
            ["200", "200", "200", "304", "404", "301", "206", "500"][(rng.next() % 8) as usize];
        let bytes = if rng.next().is_multiple_of(15) {
            "-".to_string()
        } else {
            (rng.next() % 300_000).to_string()
        };
        // One referer in a few hundred has escaped bytes.
        let referer = if rng.next().is_multiple_of(300) {
            REFERERS[REFERERS.len() - 1]
        } else {
            REFERERS[(rng.next() % (REFERERS.len() as u64 - 1)) as usize]
        };
        let line = format!(
            "{ip} - - [{:02}/May/2015:{:02}:{:02}:{:02} +0000] \"{} {} HTTP/1.1\" {status} {bytes} \"{referer}\" \"{}\"\n",
            second / 86_400,
            second / 3600 % 24,
            second / 60 % 60,
            second % 60,
            rng.pick(&["GET", "GET", "GET", "HEAD", "POST"]),
            rng.pick(PATHS),
            rng.pick(AGENTS),
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// The real log in `examples/real-logs` (Elastic's sample, 10 000 lines), repeated to
/// about `target` bytes; `None` if it is not there.
fn real_log(target: usize) -> Option<Vec<u8>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/real-logs/elastic-examples/apache_logs"
    );
    let one = std::fs::read(path).ok()?;
    let mut out = Vec::with_capacity(target + one.len());
    while out.len() < target {
        out.extend_from_slice(&one);
    }
    Some(out)
}

fn lines(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or(&[]);
        Some(line)
    })
}

/// CPU time this process has used (user + system), from `/proc/self/stat` (Linux; in
/// clock ticks of 10 ms). On a machine shared with other work the wall clock overstates
/// the cost; CPU time does not. `None` where /proc is not available.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn measure(label: &str, buf: &[u8], mut parser: Parser, field: &str) {
    let key = parser.resolve(field);
    let mut rec = Record::new();
    let mut best = f64::INFINITY;
    let mut checksum = 0i64;
    let mut failed = 0u64;
    let rounds = 5;
    let cpu_start = cpu_seconds();
    for _ in 0..rounds {
        checksum = 0;
        failed = 0;
        let start = Instant::now();
        for line in lines(buf) {
            match parser.parse(line, &mut rec) {
                Ok(()) => {
                    if let Some(Value::Int(v)) = rec.get(&key) {
                        checksum = checksum.wrapping_add(*v);
                    }
                }
                Err(_) => failed += 1,
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let cpu = match (cpu_start, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{:>6.2} GB/s of CPU time",
                buf.len() as f64 * rounds as f64 / (b - a) / 1e9
            )
        }
        _ => "CPU time n/a".to_string(),
    };
    println!(
        "{label:<26} {:>6.2} GB/s wall (best of {rounds}), {cpu}  ({} MB; sum of {field} = {checksum}, {failed} lines not parsed)",
        buf.len() as f64 / best / 1e9,
        buf.len() / 1_000_000
    );
}

/// The least a scanner of the combined format must do, written by hand for this one
/// format: find each field's end with memchr, read status and bytes, check nothing else
/// (no escapes, no timestamp, no request line). It is the ceiling a general parser can
/// approach on this machine and data; it is not a correct parser (an escaped quote in a
/// user agent would end the field).
fn bare_scan(line: &[u8]) -> Option<(i64, i64)> {
    let mut p = memchr::memchr(b' ', line)? + 1; // host
    p += memchr::memchr(b' ', &line[p..])? + 1; // ident
    p += memchr::memchr(b' ', &line[p..])? + 1; // user
    p += memchr::memchr(b']', &line[p..])? + 1; // [time]
    if line.get(p..p + 2)? != b" \"" {
        return None;
    }
    p += 2;
    p += memchr::memchr(b'"', &line[p..])? + 1; // request"
    let digits = line.get(p + 1..p + 4)?;
    let status = digits.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + (d - b'0') as i64)
    })?;
    p += 5;
    let mut bytes = 0i64;
    while let Some(&d) = line.get(p).filter(|d| d.is_ascii_digit()) {
        bytes = bytes * 10 + (d - b'0') as i64;
        p += 1;
    }
    if line.get(p) == Some(&b'-') {
        p += 1;
    }
    if line.get(p..p + 2)? != b" \"" {
        return None;
    }
    p += 2;
    p += memchr::memchr(b'"', &line[p..])? + 1; // referer"
    if line.get(p..p + 2)? != b" \"" {
        return None;
    }
    p += 2;
    p += memchr::memchr(b'"', &line[p..])? + 1; // agent"
    (p == line.len()).then_some((status, bytes))
}

fn measure_bare(buf: &[u8]) {
    let mut best = f64::INFINITY;
    let (mut checksum, mut failed) = (0i64, 0u64);
    let rounds = 5;
    let cpu_start = cpu_seconds();
    for _ in 0..rounds {
        (checksum, failed) = (0, 0);
        let start = Instant::now();
        for line in lines(buf) {
            match bare_scan(line) {
                Some((status, _)) => checksum = checksum.wrapping_add(status),
                None => failed += 1,
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    let cpu = match (cpu_start, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => buf.len() as f64 * rounds as f64 / (b - a) / 1e9,
        _ => f64::NAN,
    };
    println!(
        "{:<26} {:>6.2} GB/s wall (best of {rounds}), {cpu:>6.2} GB/s of CPU time  (sum of status = {checksum}, {failed} lines not read)",
        "hand-written, bare",
        buf.len() as f64 / best / 1e9,
    );
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    // PARSE_SPEED_FILE: measure on a log of your own (for example the benchmark's
    // generated combined log) instead of the generated one.
    let buf = match std::env::var_os("PARSE_SPEED_FILE") {
        Some(path) => match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", path.to_string_lossy());
                std::process::exit(2);
            }
        },
        None => generate(mb * 1_000_000),
    };
    let n = lines(&buf).count();
    println!(
        "{} MB of combined log, {n} lines, {:.0} bytes a line",
        buf.len() / 1_000_000,
        buf.len() as f64 / n as f64
    );

    let start = Instant::now();
    let mut total = 0usize;
    for _ in 0..3 {
        total += lines(&buf).map(<[u8]>::len).sum::<usize>();
    }
    let secs = start.elapsed().as_secs_f64() / 3.0;
    println!(
        "{:<26} {:>6.2} GB/s  (checksum {total})",
        "line split only",
        buf.len() as f64 / secs / 1e9
    );

    let projected = |field: &str| {
        let mut p = Parser::preset(Preset::Combined);
        let key = p.resolve(field);
        p.project(&[key]);
        p
    };
    measure_bare(&buf);
    measure("combined", &buf, Parser::preset(Preset::Combined), "bytes");
    measure("combined, only status", &buf, projected("status"), "status");
    if let Some(real) = real_log(buf.len()) {
        measure(
            "real log: combined",
            &real,
            Parser::preset(Preset::Combined),
            "bytes",
        );
        measure(
            "real log: only status",
            &real,
            projected("status"),
            "status",
        );
    }
    if std::env::var_os("PARSE_SPEED_QUICK").is_some() {
        return;
    }
    measure("nginx", &buf, Parser::preset(Preset::Nginx), "bytes");
    let regex = r#"^(?P<host>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) (?P<bytes>\d+|-) "(?P<referer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)"$"#;
    match Parser::regex(regex) {
        Ok(p) => measure("regex (same fields)", &buf, p, "bytes"),
        Err(e) => eprintln!("{e}"),
    }

    // The same records as JSON lines and logfmt, for comparison.
    let mut rec = Record::new();
    let mut parser = Parser::preset(Preset::Combined);
    let mut json = Vec::with_capacity(buf.len() * 2);
    let mut logfmt = Vec::with_capacity(buf.len() * 2);
    for line in lines(&buf).take(n / 4) {
        if parser.parse(line, &mut rec).is_ok() {
            json.extend_from_slice(rec.to_json().to_string().as_bytes());
            json.push(b'\n');
            for (k, v) in rec.iter() {
                let text = v.to_string();
                if text.contains([' ', '"']) || text.is_empty() {
                    logfmt.extend_from_slice(format!("{k}={text:?} ").as_bytes());
                } else {
                    logfmt.extend_from_slice(format!("{k}={text} ").as_bytes());
                }
            }
            logfmt.push(b'\n');
        }
    }
    measure("json (same records)", &json, Parser::json(), "bytes");
    measure("logfmt (same records)", &logfmt, Parser::logfmt(), "bytes");
}
