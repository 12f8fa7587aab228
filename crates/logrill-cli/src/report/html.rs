//! The report as one self-contained HTML page: inline CSS, inline SVG charts, no script
//! (except, when served, a few inline lines that reload the page when the server says
//! the report changed), no font, image or anything else fetched: a Content-Security-Policy
//! forbids every request but the served page's own update channel.
//!
//! Accessible: numbers are text; every chart has a title, a description and a table of
//! the same numbers; nothing is told by colour alone; headings, table captions and
//! header cells give the structure. Text from the logs is escaped.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use logrill::stage::parse::{Timestamp, Value};
use plotters::style::RGBColor;

use super::collect::Table;
use super::data::{Ranked, ReportData, CLASSES};
use super::svg::{self, Panel, Unit};

/// How the page stays current.
#[derive(Debug, Clone)]
pub enum Live {
    /// A file written once.
    Static,
    /// A file rewritten every so often (`--follow`): the page reloads itself.
    Refresh(Duration),
    /// Served (`--serve`): the page reloads when the server pushes an update newer than
    /// `generation`; `nonce` lets that one inline script run.
    Push { nonce: String, generation: u64 },
}

/// Escape text for HTML (element content and attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters from a log have no business in a page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Digits grouped by thousands: `1234567` → `1,234,567` (any other text unchanged).
pub fn group(digits: &str) -> String {
    let (sign, body) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_string();
    }
    let mut out = String::with_capacity(body.len() + body.len() / 3 + 1);
    out.push_str(sign);
    for (i, c) in body.chars().enumerate() {
        if i > 0 && (body.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A value as text for the page: integers grouped, floats to three decimals at most,
/// times as `2023-01-01 13:00:00 +00:00`, null as an en dash.
pub fn number_text(v: &Value<'_>) -> String {
    match v {
        Value::Null => "–".to_string(),
        Value::Int(i) => group(&i.to_string()),
        Value::Float(x) => trim_float(*x, 3),
        Value::Str(_) => group(&v.to_string()),
        Value::Time(t) => time_text(t, true),
        Value::Bool(b) => b.to_string(),
    }
}

fn trim_float(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A time as written in its own offset: `2023-01-01 13:00:00 +01:00` (or without the
/// seconds).
fn time_text(t: &Timestamp, seconds: bool) -> String {
    let (y, mo, d, h, mi, s, _) = t.civil();
    let mut out = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}");
    if seconds {
        let _ = write!(out, ":{s:02}");
    }
    match t.offset_seconds() {
        Some(off) => {
            let sign = if off < 0 { '-' } else { '+' };
            let a = off.unsigned_abs();
            let _ = write!(out, " {sign}{:02}:{:02}", a / 3600, a / 60 % 60);
        }
        None => out.push_str(" (local)"),
    }
    out
}

fn number(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(x) if x.is_finite() => Some(*x),
        Value::Str(s) => std::str::from_utf8(s).ok()?.parse().ok(),
        _ => None,
    }
}

/// Bytes with a binary unit: `113,673,588 bytes (108.4 MiB)`.
fn bytes_text(v: &Value<'_>) -> String {
    let exact = number_text(v);
    match number(v) {
        Some(x) if x >= 1024.0 => {
            let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
            let mut v = x / 1024.0;
            let mut i = 0;
            while v >= 1024.0 && i + 1 < units.len() {
                v /= 1024.0;
                i += 1;
            }
            format!("{exact} bytes ({} {})", trim_float(v, 1), units[i])
        }
        _ => format!("{exact} bytes"),
    }
}

/// Seconds as `12.3 ms` or `1.25 s`.
fn seconds_text(v: &Value<'_>) -> String {
    match number(v) {
        None => "–".into(),
        Some(x) if x != 0.0 && x.abs() < 1.0 => format!("{} ms", trim_float(x * 1000.0, 1)),
        Some(x) => format!("{} s", trim_float(x, 3)),
    }
}

/// A span of time in words: `2 days 3 h 4 min`.
fn span_text(seconds: i64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} day{}", if d == 1 { "" } else { "s" }));
    }
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if parts.is_empty() || (d == 0 && h == 0 && s > 0) {
        parts.push(format!("{s} s"));
    }
    parts.join(" ")
}

fn percent(part: f64, whole: f64) -> String {
    if whole <= 0.0 {
        return "–".into();
    }
    let pct = part / whole * 100.0;
    if part > 0.0 && pct < 0.1 {
        "&lt; 0.1 %".into()
    } else {
        format!("{} %", trim_float(pct, 1))
    }
}

/// The pipeline with a line per `tee` branch, for reading (the same pipeline: line breaks
/// are blanks to the pipeline language).
fn pipeline_lines(pipeline: &str) -> String {
    pipeline
        .replacen(" | tee (", " | tee\n  (", 1)
        .replace(") (", ")\n  (")
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1b1b1b; --muted: #555; --line: #d0d0d0; --bar: #3465a4; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fafafa; }
header, main, footer { max-width: 1040px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 0 0 8px; }
.meta { color: var(--muted); margin: 0 0 12px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin: 14px 0; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 10px; margin: 0; }
.summary div { border: 1px solid var(--line); border-radius: 4px; padding: 8px 10px; }
.summary dt { color: var(--muted); font-size: .9em; }
.summary dd { margin: 2px 0 0; font-size: 1.35em; font-weight: 600; font-variant-numeric: tabular-nums; }
.summary dd small { display: block; font-size: .62em; font-weight: 400; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 3px 6px; border-bottom: 1px solid #ececec; text-align: left; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid var(--line); }
td.n, th.n { text-align: right; white-space: nowrap; }
td.v { overflow-wrap: anywhere; }
td.bar { width: 25%; min-width: 60px; }
td.bar span { display: block; height: .8em; margin-top: .3em; background: var(--bar); border: 1px solid #1f3f6a; }
svg.chart { width: 100%; height: auto; display: block; }
figure { margin: 0; }
details { margin-top: 6px; }
summary { cursor: pointer; color: #1f4f8a; }
.note { color: var(--muted); font-size: .92em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f3f3f3; padding: 8px; border-radius: 4px; font-size: .85em; }
footer { color: var(--muted); padding-bottom: 24px; }
@media print { section { break-inside: avoid; } details { display: block; } }
"#;

/// The page.
pub fn render(data: &ReportData, live: &Live, generated: SystemTime) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let mut csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:".to_string();
    if let Live::Push { nonce, .. } = live {
        let _ = write!(csp, "; script-src 'nonce-{nonce}'; connect-src 'self'");
    }
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        h,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">"
    );
    if let Live::Refresh(every) = live {
        let _ = writeln!(
            h,
            "<meta http-equiv=\"refresh\" content=\"{}\">",
            every.as_secs().max(1)
        );
    }
    let inputs = inputs_text(data);
    let _ = writeln!(h, "<title>Log report: {}</title>", escape(&inputs));
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");

    // Header.
    let now_micros = generated
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let now = Timestamp::from_unix_micros(now_micros - now_micros % 1_000_000, 0);
    let _ = writeln!(h, "<header>\n<h1>Log report</h1>");
    let mut meta = format!(
        "{} · format <code>{}</code>",
        escape(&inputs),
        escape(&data.format)
    );
    for note in &data.notes {
        let _ = write!(meta, " ({})", escape(note));
    }
    let _ = write!(
        meta,
        " · made <time datetime=\"{now}\">{}</time>",
        time_text(&now, true)
    );
    match live {
        Live::Refresh(every) => {
            let _ = write!(
                meta,
                " · rewritten every {} s, this page reloads itself",
                every.as_secs().max(1)
            );
        }
        Live::Push { .. } => meta.push_str(" · live: this page reloads when the logs change"),
        Live::Static => {}
    }
    let _ = writeln!(h, "<p class=\"meta\">{meta}</p>\n</header>\n<main>");

    summary(&mut h, data);
    over_time(&mut h, data);
    status_over_time(&mut h, data);
    status_codes(&mut h, data);

    let requests = number(&data.summary("requests")).unwrap_or(0.0);
    ranked(
        &mut h,
        "top-paths",
        "Top paths",
        "path",
        &data.top_paths,
        requests,
        "",
    );
    ranked(
        &mut h,
        "top-404",
        "Top paths answered 404",
        "path",
        &data.top_404,
        requests,
        "",
    );
    ranked(
        &mut h,
        "top-hosts",
        "Top hosts",
        "host",
        &data.top_hosts,
        requests,
        "",
    );
    ranked(
        &mut h,
        "top-referers",
        "Top referers",
        "referer",
        &data.top_referers,
        requests,
        "The log format has no referer (<code>%{Referer}i</code>), or no request had one.",
    );
    ranked(
        &mut h,
        "top-agents",
        "Top user agents",
        "user agent",
        &data.top_agents,
        requests,
        "The log format has no user agent (<code>%{User-Agent}i</code>), or no request had one.",
    );
    durations(&mut h, data);

    h.push_str("</main>\n<footer>\n");
    let _ = writeln!(
        h,
        "<p>Every number on this page was computed by logrill in one pass over the logs, \
         with this pipeline (each branch of the <code>tee</code> gives the same answer on its own, \
         e.g. <code>logrill 'parse {} | top 10 path' …</code>):</p>",
        escape(&data.format)
    );
    let _ = writeln!(
        h,
        "<pre><code>{}</code></pre>",
        escape(&pipeline_lines(&data.pipeline))
    );
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"logrill-data\">{}</script>",
        json_for_script(data)
    );
    if let Live::Push { nonce, generation } = live {
        let _ = writeln!(
            h,
            "<script nonce=\"{nonce}\">(function(){{var s=new EventSource(\"/events?since={generation}\");\
             s.addEventListener(\"update\",function(){{s.close();location.reload();}});}})();</script>"
        );
    }
    h.push_str("</footer>\n</body>\n</html>\n");
    h
}

fn inputs_text(data: &ReportData) -> String {
    let i = &data.inputs;
    if i.paths.is_empty() {
        return "standard input".into();
    }
    let mut t = i
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if !i.globs.is_empty() {
        let _ = write!(t, " (files named {})", i.globs.join(" or "));
    }
    t
}

fn summary(h: &mut String, data: &ReportData) {
    h.push_str("<section aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<dl class=\"summary\">\n");
    let item = |h: &mut String, name: &str, value: String, small: String| {
        let _ = write!(h, "<div><dt>{name}</dt><dd>{value}");
        if !small.is_empty() {
            let _ = write!(h, "<small>{small}</small>");
        }
        h.push_str("</dd></div>\n");
    };
    item(
        h,
        "Requests",
        number_text(&data.summary("requests")),
        String::new(),
    );
    item(
        h,
        "Unique hosts",
        number_text(&data.summary("hosts")),
        String::new(),
    );
    let bytes = data.summary("bytes");
    let no_bytes = data.summary("no_bytes");
    let full = bytes_text(&bytes);
    let (big, small) = match full.split_once(" bytes") {
        Some((n, rest)) => (n.to_string(), format!("bytes{rest}")),
        None => (full.clone(), String::new()),
    };
    let mut small = escape(&small);
    if number(&no_bytes).unwrap_or(0.0) > 0.0 {
        let _ = write!(
            small,
            "; {} responses without a size",
            number_text(&no_bytes)
        );
    }
    item(h, "Bytes sent", big, small);
    match data.period() {
        Some((a, b)) => {
            let secs = (b.unix_micros() - a.unix_micros()) / 1_000_000;
            item(
                h,
                "Period covered",
                span_text(secs.max(0)),
                format!(
                    "from <time datetime=\"{a}\">{}</time> to <time datetime=\"{b}\">{}</time>",
                    escape(&time_text(&a, false)),
                    escape(&time_text(&b, false)),
                ),
            );
        }
        None => item(
            h,
            "Period covered",
            "–".into(),
            "no times in the log".into(),
        ),
    }
    let mut small = String::new();
    if data.unparsed > 0 {
        small.push_str("reasons below");
    }
    item(
        h,
        "Lines that did not parse",
        group(&data.unparsed.to_string()),
        small,
    );
    if data.failed_inputs > 0 {
        item(
            h,
            "Inputs that could not be read",
            group(&data.failed_inputs.to_string()),
            "errors below".into(),
        );
    }
    h.push_str("</dl>\n");
    // Most lines unparsed: the numbers above cover only the few that parsed.
    if let Some(m) = &data.mismatch {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", escape(&m.to_string()));
    }
    let untimed = number(&data.summary("untimed")).unwrap_or(0.0);
    if untimed > 0.0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} requests have no time and are not in the charts over time.</p>",
            number_text(&data.summary("untimed"))
        );
    }
    if !data.unparsed_report.is_empty() {
        h.push_str("<details><summary>Lines that did not parse</summary><ul>\n");
        for line in &data.unparsed_report {
            let _ = writeln!(h, "<li><code>{}</code></li>", escape(line));
        }
        h.push_str("</ul></details>\n");
    }
    if !data.errors.is_empty() {
        h.push_str("<details open><summary>Inputs that could not be read</summary><ul>\n");
        for e in data.errors.iter().take(50) {
            let _ = writeln!(h, "<li><code>{}</code></li>", escape(e));
        }
        if data.errors.len() > 50 {
            let _ = writeln!(h, "<li>… and {} more</li>", data.errors.len() - 50);
        }
        h.push_str("</ul></details>\n");
    }
    h.push_str("</section>\n");
}

/// The rows of the time table that have a time: `(unix seconds, offset, row)`.
fn timed_rows(t: &Table) -> Vec<(i64, i32, &Vec<Value<'static>>)> {
    let c = t.column("time").unwrap_or(0);
    t.rows
        .iter()
        .filter_map(|r| match r.get(c) {
            Some(Value::Time(ts)) => Some((
                ts.unix_micros().div_euclid(1_000_000),
                ts.offset_seconds().unwrap_or(0),
                r,
            )),
            _ => None,
        })
        .collect()
}

fn bucket_words(width: &str) -> &'static str {
    match width {
        "1m" => "per minute",
        "10m" => "per 10 minutes",
        "1h" => "per hour",
        _ => "per day",
    }
}

fn column_values(
    t: &Table,
    rows: &[(i64, i32, &Vec<Value<'static>>)],
    name: &str,
) -> Vec<Option<f64>> {
    let c = t.column(name);
    rows.iter()
        .map(|(_, _, r)| c.and_then(|c| r.get(c)).and_then(number))
        .collect()
}

fn chart_or_error(result: anyhow::Result<String>) -> String {
    result.unwrap_or_else(|e| {
        format!(
            "<p class=\"note\">The chart could not be drawn: {}</p>",
            escape(&e.to_string())
        )
    })
}

fn over_time(h: &mut String, data: &ReportData) {
    let t = &data.over_time;
    let rows = timed_rows(t);
    let per = bucket_words(data.bucket.1);
    let _ = writeln!(
        h,
        "<section aria-labelledby=\"time-h\">\n<h2 id=\"time-h\">Requests and bytes over time</h2>\n\
         <p class=\"note\">{per} (buckets of <code>bucket(time, {})</code>)</p>",
        data.bucket.1
    );
    if rows.is_empty() {
        h.push_str("<p>No request has a time.</p>\n</section>\n");
        return;
    }
    let starts: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let offset = rows[0].1;
    let panels = vec![
        Panel {
            name: format!("requests {per}"),
            values: column_values(t, &rows, "requests"),
            unit: Unit::Count,
            color: RGBColor(52, 101, 164),
        },
        Panel {
            name: format!("bytes sent {per}"),
            values: column_values(t, &rows, "bytes"),
            unit: Unit::Bytes,
            color: RGBColor(106, 76, 147),
        },
    ];
    let desc = format!(
        "Bar charts of requests and of bytes sent {per}, from {} to {}; the table below has the numbers.",
        number_text(&data.summary("first")),
        number_text(&data.summary("last"))
    );
    h.push_str("<figure>\n");
    h.push_str(&chart_or_error(svg::over_time(
        "chart-time",
        "Requests and bytes over time",
        &desc,
        &svg::TimeAxis {
            starts: &starts,
            offset,
            width: data.bucket.0,
        },
        &panels,
        230,
    )));
    h.push_str("</figure>\n");
    time_table(
        h,
        "Requests and bytes",
        t,
        &rows,
        &[
            ("requests", "requests", false),
            ("bytes", "bytes sent", false),
        ],
    );
    h.push_str("</section>\n");
}

/// A `<details>` table of columns over time.
fn time_table(
    h: &mut String,
    caption: &str,
    t: &Table,
    rows: &[(i64, i32, &Vec<Value<'static>>)],
    columns: &[(&str, &str, bool)],
) {
    let _ = writeln!(
        h,
        "<details><summary>Table of the chart ({} rows)</summary>\n<table>\n<caption>{} over time</caption>\n<thead><tr><th scope=\"col\">from</th>",
        rows.len(),
        escape(caption),
    );
    for (_, title, _) in columns {
        let _ = write!(h, "<th scope=\"col\" class=\"n\">{}</th>", escape(title));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    let idx: Vec<Option<usize>> = columns.iter().map(|(n, _, _)| t.column(n)).collect();
    let tc = t.column("time").unwrap_or(0);
    for (_, _, r) in rows {
        let time = match r.get(tc) {
            Some(Value::Time(ts)) => format!(
                "<time datetime=\"{ts}\">{}</time>",
                escape(&time_text(ts, false))
            ),
            _ => "–".into(),
        };
        let _ = write!(h, "<tr><th scope=\"row\">{time}</th>");
        for c in &idx {
            let v = c.and_then(|c| r.get(c)).cloned().unwrap_or(Value::Null);
            let _ = write!(h, "<td class=\"n\">{}</td>", number_text(&v));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</details>\n");
}

fn status_over_time(h: &mut String, data: &ReportData) {
    let t = &data.over_time;
    let rows = timed_rows(t);
    let per = bucket_words(data.bucket.1);
    h.push_str("<section aria-labelledby=\"status-time-h\">\n<h2 id=\"status-time-h\">Status classes over time</h2>\n");
    if rows.is_empty() {
        h.push_str("<p>No request has a time.</p>\n</section>\n");
        return;
    }
    let colors = [
        RGBColor(110, 110, 110),
        RGBColor(46, 125, 50),
        RGBColor(21, 101, 192),
        RGBColor(191, 96, 0),
        RGBColor(198, 40, 40),
        RGBColor(110, 110, 110),
    ];
    let mut panels = Vec::new();
    let mut shown = Vec::new();
    for ((name, _), color) in CLASSES.iter().zip(colors) {
        let values = column_values(t, &rows, name);
        if values.iter().flatten().any(|&v| v > 0.0) {
            let label = class_label(name);
            panels.push(Panel {
                name: format!("{label} responses {per}"),
                values,
                unit: Unit::Count,
                color,
            });
            shown.push((*name, label, false));
        }
    }
    if panels.is_empty() {
        h.push_str("<p>No request has a status.</p>\n</section>\n");
        return;
    }
    let starts: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let names: Vec<&str> = shown.iter().map(|s| s.1).collect();
    let desc = format!(
        "One bar chart per status class ({}), {per}, each with its own scale; the table below has the numbers.",
        names.join(", ")
    );
    let note = "<p class=\"note\">One panel per class, each with its own scale: read the axis of each.</p>\n";
    h.push_str(note);
    h.push_str("<figure>\n");
    h.push_str(&chart_or_error(svg::over_time(
        "chart-status",
        "Status classes over time",
        &desc,
        &svg::TimeAxis {
            starts: &starts,
            offset: rows[0].1,
            width: data.bucket.0,
        },
        &panels,
        150,
    )));
    h.push_str("</figure>\n");
    let columns: Vec<(&str, &str, bool)> = shown.iter().map(|&(n, l, b)| (n, l, b)).collect();
    time_table(h, "Status classes", t, &rows, &columns);
    h.push_str("</section>\n");
}

fn class_label(column: &str) -> &'static str {
    match column {
        "status_1xx" => "1xx",
        "status_2xx" => "2xx",
        "status_3xx" => "3xx",
        "status_4xx" => "4xx",
        "status_5xx" => "5xx",
        _ => "no or odd status",
    }
}

fn bar_cell(value: Option<f64>, max: f64) -> String {
    let pct = match value {
        Some(v) if v > 0.0 && max > 0.0 => (v / max * 100.0).clamp(0.5, 100.0),
        _ => 0.0,
    };
    if pct == 0.0 {
        "<td class=\"bar\" aria-hidden=\"true\"></td>".into()
    } else {
        format!(
            "<td class=\"bar\" aria-hidden=\"true\"><span style=\"width:{pct:.1}%\"></span></td>"
        )
    }
}

fn status_codes(h: &mut String, data: &ReportData) {
    let t = &data.status;
    let requests = number(&data.summary("requests")).unwrap_or(0.0);
    h.push_str("<section aria-labelledby=\"status-h\">\n<h2 id=\"status-h\">Status codes</h2>\n");
    if t.rows.is_empty() {
        h.push_str("<p>No requests.</p>\n</section>\n");
        return;
    }
    h.push_str("<table>\n<caption>Requests and bytes sent per status code</caption>\n<thead><tr><th scope=\"col\">status</th><th scope=\"col\" class=\"n\">requests</th><th scope=\"col\" class=\"n\">share</th><th scope=\"col\" class=\"n\">bytes sent</th><th scope=\"col\"><span class=\"note\">bar: requests</span></th></tr></thead>\n<tbody>\n");
    let max = (0..t.rows.len())
        .filter_map(|i| number(&t.get(i, "count")))
        .fold(0.0f64, f64::max);
    for i in 0..t.rows.len() {
        let status = match t.get(i, "status") {
            Value::Null => "no status".to_string(),
            v => v.to_string(),
        };
        let count = t.get(i, "count");
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}</tr>",
            escape(&status),
            number_text(&count),
            percent(number(&count).unwrap_or(0.0), requests),
            number_text(&t.get(i, "bytes")),
            bar_cell(number(&count), max)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn ranked(
    h: &mut String,
    id: &str,
    title: &str,
    what: &str,
    r: &Ranked,
    requests: f64,
    empty_note: &str,
) {
    let _ = writeln!(
        h,
        "<section aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{title}</h2>"
    );
    if r.rows.is_empty() {
        let note = if empty_note.is_empty() {
            "None."
        } else {
            empty_note
        };
        let _ = writeln!(h, "<p class=\"note\">{note}</p>\n</section>");
        return;
    }
    let _ = writeln!(
        h,
        "<table>\n<caption class=\"note\">The {} most frequent, by requests</caption>\n<thead><tr><th scope=\"col\" class=\"n\">#</th><th scope=\"col\">{what}</th><th scope=\"col\" class=\"n\">requests</th><th scope=\"col\" class=\"n\">share</th><th scope=\"col\"><span class=\"note\">bar</span></th></tr></thead>\n<tbody>",
        r.rows.len()
    );
    let max = r
        .rows
        .iter()
        .filter_map(|(_, n)| number(n))
        .fold(0.0f64, f64::max);
    for (i, (value, count)) in r.rows.iter().enumerate() {
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td class=\"v\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>{}</tr>",
            i + 1,
            escape(&value.to_string()),
            number_text(count),
            percent(number(count).unwrap_or(0.0), requests),
            bar_cell(number(count), max)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

fn durations(h: &mut String, data: &ReportData) {
    let t = &data.durations;
    h.push_str(
        "<section aria-labelledby=\"durations-h\">\n<h2 id=\"durations-h\">Response times</h2>\n",
    );
    let n = number(&t.get(0, "requests")).unwrap_or(0.0);
    if n <= 0.0 {
        h.push_str("<p class=\"note\">The log format has no response time (Apache <code>%D</code> or <code>%T</code>, nginx <code>$request_time</code>).</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<table>\n<caption>Percentiles of the response time of {} requests (exact, nearest rank)</caption>\n<thead><tr><th scope=\"col\">percentile</th><th scope=\"col\" class=\"n\">response time</th><th scope=\"col\" class=\"n\">seconds</th><th scope=\"col\"><span class=\"note\">bar</span></th></tr></thead>\n<tbody>",
        number_text(&t.get(0, "requests"))
    );
    let names = [
        ("p50", "50 % (median)"),
        ("p90", "90 %"),
        ("p95", "95 %"),
        ("p99", "99 %"),
        ("max", "100 % (slowest)"),
    ];
    let max = number(&t.get(0, "max")).unwrap_or(0.0);
    for (col, label) in names {
        let v = t.get(0, col);
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{label}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>{}</tr>",
            seconds_text(&v),
            number_text(&v),
            bar_cell(number(&v), max)
        );
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

/// The report's numbers as JSON, safe inside a `<script>` element (no `<`, `>` or `&`).
fn json_for_script(data: &ReportData) -> String {
    json(data)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn table_json(t: &Table) -> serde_json::Value {
    serde_json::Value::Array(
        t.rows
            .iter()
            .map(|r| {
                let mut o = serde_json::Map::new();
                for (name, v) in t.columns.iter().zip(r) {
                    o.insert(name.clone(), v.to_json());
                }
                serde_json::Value::Object(o)
            })
            .collect(),
    )
}

fn ranked_json(r: &Ranked) -> serde_json::Value {
    serde_json::Value::Array(
        r.rows
            .iter()
            .map(|(v, n)| serde_json::json!({"value": v.to_json(), "count": n.to_json()}))
            .collect(),
    )
}

/// Every number of the report, for programs (and tests).
pub fn json(data: &ReportData) -> serde_json::Value {
    let summary = table_json(&data.summary)
        .as_array()
        .and_then(|a| a.first().cloned())
        .unwrap_or_default();
    serde_json::json!({
        "format": data.format,
        "pipeline": data.pipeline,
        "notes": data.notes,
        "summary": summary,
        "unparsed": data.unparsed,
        "failed_inputs": data.failed_inputs,
        "bucket": data.bucket.1,
        "over_time": table_json(&data.over_time),
        "status": table_json(&data.status),
        "top_paths": ranked_json(&data.top_paths),
        "top_404": ranked_json(&data.top_404),
        "top_hosts": ranked_json(&data.top_hosts),
        "top_referers": ranked_json(&data.top_referers),
        "top_agents": ranked_json(&data.top_agents),
        "durations": table_json(&data.durations).as_array().and_then(|a| a.first().cloned()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(
            escape("<a href='x'>&\"\u{1b}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\u{fffd}"
        );
        assert_eq!(group("0"), "0");
        assert_eq!(group("999"), "999");
        assert_eq!(group("1000"), "1,000");
        assert_eq!(group("-1234567"), "-1,234,567");
        assert_eq!(
            group("170141183460469231731687303715884105727"),
            "170,141,183,460,469,231,731,687,303,715,884,105,727"
        );
        assert_eq!(group("12a"), "12a");
        assert_eq!(number_text(&Value::Float(0.12345)), "0.123");
        assert_eq!(number_text(&Value::Null), "–");
        assert_eq!(
            bytes_text(&Value::Int(113_673_588)),
            "113,673,588 bytes (108.4 MiB)"
        );
        assert_eq!(bytes_text(&Value::Int(5)), "5 bytes");
        assert_eq!(seconds_text(&Value::Float(0.0123)), "12.3 ms");
        assert_eq!(seconds_text(&Value::Int(2)), "2 s");
        assert_eq!(span_text(0), "0 s");
        assert_eq!(span_text(86_400 + 3600 + 60), "1 day 1 h 1 min");
        assert_eq!(span_text(45), "45 s");
    }

    #[test]
    fn shares_and_pipeline_lines() {
        assert_eq!(percent(1.0, 4.0), "25 %");
        assert_eq!(percent(2.0, 9999.0), "&lt; 0.1 %");
        assert_eq!(percent(0.0, 10.0), "0 %");
        assert_eq!(percent(1.0, 0.0), "–");
        let p = super::super::data::pipeline("combined", 10);
        let lines = pipeline_lines(&p);
        assert_eq!(
            lines.lines().count(),
            super::super::data::branches(10).len() + 1
        );
        // Still the same pipeline.
        assert!(logrill::query::parse(&lines).is_ok());
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = serde_json::json!({"a": "</script><b>&"}).to_string();
        let safe = s
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        assert!(!safe.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap_or_default();
        assert_eq!(back["a"], "</script><b>&");
    }
}
