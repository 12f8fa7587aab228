//! The bodies of the fuzz targets, one function per target.
//!
//! The targets in `fuzz_targets/` call these; the main workspace's regression test
//! (`crates/logrill/tests/fuzz_regressions.rs`) includes this file as a module and runs
//! every saved crash input and every seed through the same functions, so a crash found
//! here stays fixed. A function panics (or aborts) exactly when the fuzzer should report
//! a crash.

use std::cell::RefCell;
use std::io::Cursor;

use logrill::query::expr::parse_expr;
use logrill::source::{open_reader, LineReader};
use logrill::stage::parse::{Naming, ParseSpec, Parser, Preset, Record};
use logrill::InputName;

/// The pipeline language: `logrill::query::parse` on arbitrary UTF-8, then (when it
/// parses) compiling the plan as a run would, and rendering errors with their caret.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match logrill::query::parse(text) {
        Ok(plan) => {
            let _ = format!("{plan:?}");
            let _ = plan.is_filter();
            let _ = plan.parses();
            if let Err(e) = logrill::exec::Compiled::new(&plan) {
                let _ = e.to_string();
            }
        }
        Err(e) => {
            assert!(e.column >= 1, "column 0 in {e:?}");
            let _ = e.to_string();
        }
    }
}

const COMBINED: &[u8] = br#"1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 "http://x/" "curl/8""#;
const JSON: &[u8] = br#"{"status":"404","bytes":-9223372036854775808,"big":9223372036854775807,"f":1e308,"neg":-1e308,"z":0,"s":"","t":"2023-10-01T00:00:00Z","a":[1,2],"n":null,"b":true,"u":"\u00e9\ud83d\ude00"}"#;

/// Expressions (`where`, `select`, `by`): parse arbitrary UTF-8 as one expression, then
/// evaluate it against fixed records (Apache combined; JSON with extreme numbers; empty),
/// so arithmetic, comparisons, times and functions meet every kind of value.
pub fn expr(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    let expr = match parse_expr(text, 0, chars) {
        Ok(e) => e,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = expr.fields();
    let _ = expr.display_name(text);
    let mut combined = Parser::preset(Preset::Combined);
    let mut json = Parser::json();
    let mut rec = Record::new();
    if combined.parse(COMBINED, &mut rec).is_ok() {
        let v = expr.eval(&rec);
        let _ = v.to_string();
        let _ = v.to_json();
        let _ = expr.test(&rec);
    }
    let mut rec = Record::new();
    if json.parse(JSON, &mut rec).is_ok() {
        let v = expr.eval(&rec);
        let _ = v.to_string();
        let _ = v.to_json();
        let _ = expr.test(&rec);
    }
    let empty = Record::new();
    let _ = expr.eval(&empty).to_string();
}

/// The LogFormat-string and nginx `log_format` parsers: build an Apache and an nginx
/// parser (readable and directive naming, and through `ParseSpec`) from an arbitrary
/// format string, and scan an arbitrary line with each that builds. A projection must
/// accept exactly the lines the full parser accepts.
///
/// Input: `FORMAT \0 LINE` (without a NUL, the whole input is the format and the line is
/// empty).
pub fn logformat(data: &[u8]) {
    let (format, line) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    let mut parsers = Vec::new();
    for naming in [Naming::Readable, Naming::Directive] {
        match Parser::apache(format, naming) {
            Ok(p) => parsers.push(p),
            Err(e) => {
                let _ = e.to_string();
            }
        }
        match Parser::nginx(format, naming) {
            Ok(p) => parsers.push(p),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    match ParseSpec::from_words(&[format]) {
        Ok(spec) => {
            if let Ok(p) = Parser::new(&spec) {
                parsers.push(p);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    for mut p in parsers {
        let _ = p.field_names();
        let mut rec = Record::new();
        match p.parse(line, &mut rec) {
            Ok(()) => {
                let _ = rec.to_json();
                for (_, v) in rec.iter() {
                    let _ = v.to_string();
                }
            }
            Err(f) => {
                let _ = p.describe(&f.reason);
                assert!(f.offset <= line.len(), "offset {} past the line", f.offset);
            }
        }
        let whole = p.parse(line, &mut Record::new()).is_ok();
        if let Some(names) = p.field_names().map(|n| n.to_vec()) {
            if let Some(first) = names.first() {
                let key = p.resolve(first);
                p.project(&[key]);
                let projected = p.parse(line, &mut Record::new()).is_ok();
                assert_eq!(
                    whole, projected,
                    "projection changed whether the line matches"
                );
            }
        }
    }
}

thread_local! {
    /// The presets compile once; a parser is reused line after line, as in a run.
    static PRESETS: RefCell<Vec<Parser>> =
        RefCell::new(Preset::ALL.iter().map(|&p| Parser::preset(p)).collect());
}

/// The log-line scanner of every preset (common, combined, vhost_common, vhost_combined,
/// nginx) on arbitrary line bytes; a parsed record's values go to JSON and text. Also
/// `parse auto` on the input's lines (short inputs only: it builds its candidates).
pub fn scan_presets(data: &[u8]) {
    PRESETS.with_borrow_mut(|parsers| {
        for p in parsers.iter_mut() {
            let mut rec = Record::new();
            match p.parse(data, &mut rec) {
                Ok(()) => {
                    let _ = rec.to_json();
                    let mut out = Vec::new();
                    for (_, v) in rec.iter() {
                        v.write_text(&mut out);
                        let _ = v.to_string();
                        let _ = v.as_time();
                        let _ = v.as_f64();
                    }
                }
                Err(f) => {
                    let _ = p.describe(&f.reason);
                    assert!(f.offset <= data.len(), "offset {} past the line", f.offset);
                }
            }
        }
    });
    if data.len() <= 512 {
        let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').take(8).collect();
        if let Ok((mut p, choice)) = Parser::auto(&lines) {
            let _ = choice.to_string();
            let mut rec = Record::new();
            let _ = p.parse(lines[0], &mut rec);
        }
    }
}

fn record_parser(mut p: Parser, data: &[u8]) {
    let mut rec = Record::new();
    match p.parse(data, &mut rec) {
        Ok(()) => {
            let _ = rec.to_json();
            let mut out = Vec::new();
            for (name, v) in rec.iter() {
                let _ = rec.get_by_name(name);
                v.write_text(&mut out);
                let _ = v.to_string();
            }
        }
        Err(f) => {
            let _ = p.describe(&f.reason);
            assert!(f.offset <= data.len(), "offset {} past the line", f.offset);
        }
    }
}

/// `parse json` on arbitrary bytes; a parsed record goes to JSON and text.
pub fn json(data: &[u8]) {
    record_parser(Parser::json(), data);
}

/// `parse logfmt` on arbitrary bytes; a parsed record goes to JSON and text.
pub fn logfmt(data: &[u8]) {
    record_parser(Parser::logfmt(), data);
}

/// Most decoded bytes [`decode`] reads before it stops.
pub const DECODE_MAX_OUT: u64 = 64 << 20;

/// The decoder front end: magic detection and streaming decode (plain, gzip, bzip2, xz,
/// zstd) of arbitrary bytes through `open_reader`, read to the end with a `LineReader`
/// (small buffer, small line limit), bounded: reading stops after [`DECODE_MAX_OUT`] bytes
/// of output, so a decompression bomb costs time, not memory. Line numbers must only go
/// up, and after an error the reader must be finished.
pub fn decode(data: &[u8]) {
    let input = match open_reader(InputName::Stdin, Cursor::new(data.to_vec())) {
        Ok(i) => i,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let mut lines = LineReader::with_capacity(4096, input).max_line_bytes(64 * 1024);
    let mut out = 0u64;
    let mut last = 0u64;
    loop {
        match lines.next_batch() {
            Ok(Some(b)) => {
                assert!(b.first_line() > last, "line numbers went backwards");
                last = b.first_line() + b.len() - 1;
                out += b.as_bytes().len() as u64;
                for l in b.lines() {
                    assert!(!l.contains(&b'\n'));
                }
                if out > DECODE_MAX_OUT {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let err = lines.get_ref().read_error(e, lines.lines_read());
                let _ = err.to_string();
                assert!(lines.next_batch().map(|b| b.is_none()).unwrap_or(true));
                break;
            }
        }
    }
    let _ = lines.take_too_long();
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The targets by name, for the regression test.
pub const TARGETS: &[(&str, Target)] = &[
    ("query", query),
    ("expr", expr),
    ("logformat", logformat),
    ("scan_presets", scan_presets),
    ("json", json),
    ("logfmt", logfmt),
    ("decode", decode),
];
