//! The report's numbers, every one computed by the logrill engine: one pipeline of the
//! form `parse FORMAT | tee (…) (…) …` run once over the inputs, each branch answering
//! one question. The pipeline's text is kept in the report, so any number in it can be
//! checked with `logrill 'parse FORMAT | <branch>'`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use logrill::exec::{self, RunFailure};
use logrill::stage::parse::{ParseSpec, Parser, Timestamp, Value};

use super::collect::{Branches, Table};

/// Widths of the time buckets computed (in seconds, with their pipeline text); the report
/// shows the narrowest that gives at most [`MAX_BUCKETS`] buckets over the period.
pub const BUCKETS: [(i64, &str); 4] = [(60, "1m"), (600, "10m"), (3600, "1h"), (86_400, "1d")];
/// Most time buckets a chart should have (the widest width is used beyond it).
pub const MAX_BUCKETS: i64 = 200;
/// Status classes counted over time: column name and what it counts.
pub const CLASSES: [(&str, &str); 6] = [
    ("status_1xx", "status >= 100 and status < 200"),
    ("status_2xx", "status >= 200 and status < 300"),
    ("status_3xx", "status >= 300 and status < 400"),
    ("status_4xx", "status >= 400 and status < 500"),
    ("status_5xx", "status >= 500 and status < 600"),
    (
        "status_other",
        "status is null or status < 100 or status >= 600",
    ),
];

/// What to read.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub paths: Vec<PathBuf>,
    pub globs: Vec<String>,
    /// As for `parse`: `auto`, a preset, `json`, `logfmt`, `regex PATTERN`, or a format
    /// string.
    pub format: String,
    /// Rows of each "top" table.
    pub top: usize,
}

/// One ranked table (`top N path`): values and how many requests had each.
#[derive(Debug, Clone, Default)]
pub struct Ranked {
    pub rows: Vec<(Value<'static>, Value<'static>)>,
}

/// Every number of the report.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// The pipeline run (all numbers come from it).
    pub pipeline: String,
    /// The `parse` format asked for, and what `parse auto` chose (its note).
    pub format: String,
    pub notes: Vec<String>,
    pub inputs: Inputs,
    /// The summary branch: `requests`, `hosts`, `bytes`, `first`, `last`, `untimed`,
    /// `no_bytes`.
    pub summary: Table,
    /// Lines that did not parse, and the report of them in words.
    pub unparsed: u64,
    pub unparsed_report: Vec<String>,
    /// Most lines did not parse: the format asked for is likely wrong (and this says
    /// which one the lines have).
    pub mismatch: Option<logrill::stage::parse::Mismatch>,
    /// Inputs that could not be read, and their errors.
    pub failed_inputs: u64,
    pub errors: Vec<String>,
    /// The time buckets chosen: width in seconds and as written (`1h`).
    pub bucket: (i64, &'static str),
    /// `time`, `requests`, `bytes`, then the status classes, per bucket.
    pub over_time: Table,
    /// `status`, `count`, `bytes` per status code.
    pub status: Table,
    pub top_paths: Ranked,
    pub top_404: Ranked,
    pub top_hosts: Ranked,
    pub top_referers: Ranked,
    pub top_agents: Ranked,
    /// `requests` (with a response time), `p50` … `p99`, `max` of `duration` (seconds).
    pub durations: Table,
}

impl ReportData {
    /// A number of the summary.
    pub fn summary(&self, name: &str) -> Value<'static> {
        self.summary.get(0, name)
    }

    /// The first and last time seen.
    pub fn period(&self) -> Option<(Timestamp, Timestamp)> {
        match (self.summary("first"), self.summary("last")) {
            (Value::Time(a), Value::Time(b)) => Some((a, b)),
            _ => None,
        }
    }
}

/// The words after `parse` for a `--format` value.
fn format_words(format: &str) -> Vec<&str> {
    let format = format.trim();
    for kind in ["regex", "apache", "nginx"] {
        if let Some(rest) = format.strip_prefix(kind) {
            if rest.starts_with(' ') && !rest.trim().is_empty() {
                return vec![kind, rest.trim_start()];
            }
        }
    }
    vec![format]
}

/// A word of the pipeline language: bare if it is a plain name, else double-quoted
/// (where only `\"` and `\\` are escapes).
pub fn quote(word: &str) -> String {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return word.to_string();
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The branches of the report's `tee`, in order.
pub fn branches(top: usize) -> Vec<String> {
    let classes: Vec<String> = CLASSES
        .iter()
        .map(|(name, cond)| format!("count {cond} as {name}"))
        .collect();
    let classes = classes.join(", ");
    let mut b = vec![
        "count as requests, count_distinct host as hosts, sum bytes as bytes, \
         min time as first, max time as last, count time is null as untimed, \
         count bytes is null as no_bytes"
            .to_string(),
    ];
    for (_, width) in BUCKETS {
        b.push(format!(
            "count as requests, sum bytes as bytes, {classes} by bucket(time, {width}) as time"
        ));
    }
    b.push("count, sum bytes as bytes by status".to_string());
    b.push(format!("top {top} path"));
    b.push(format!("where status == 404 | top {top} path"));
    b.push(format!("top {top} host"));
    b.push(format!("top {top} referer"));
    b.push(format!("top {top} agent"));
    b.push(
        "count duration as requests, p50 duration as p50, p90 duration as p90, \
         p95 duration as p95, p99 duration as p99, max duration as max"
            .to_string(),
    );
    b
}

/// Index of each branch in [`branches`].
const SUMMARY: usize = 0;
const OVER_TIME: usize = 1;
const STATUS: usize = OVER_TIME + BUCKETS.len();
const TOP_PATHS: usize = STATUS + 1;
const TOP_404: usize = STATUS + 2;
const TOP_HOSTS: usize = STATUS + 3;
const TOP_REFERERS: usize = STATUS + 4;
const TOP_AGENTS: usize = STATUS + 5;
const DURATIONS: usize = STATUS + 6;

/// The whole pipeline for a format.
///
/// A format that lacks a field some branch reads (`common` has no `referer`, few formats
/// have `duration`) would make the pipeline a wrong question, which logrill refuses
/// (unknown field). Such a branch reads its fields through `select …, null as FIELD`
/// first, so its table is there, empty, as the report expects.
pub fn pipeline(format: &str, top: usize) -> String {
    let format_words = format_words(format);
    let names = ParseSpec::from_words(&format_words)
        .ok()
        .and_then(|spec| Parser::new(&spec).ok())
        .and_then(|p| p.field_names().map(<[String]>::to_vec));
    let words: Vec<String> = format_words.into_iter().map(quote).collect();
    let branches: Vec<String> = branches(top)
        .into_iter()
        .map(|b| match &names {
            Some(names) => format!("({})", with_absent_as_null(&b, names)),
            None => format!("({b})"),
        })
        .collect();
    format!("parse {} | tee {}", words.join(" "), branches.join(" "))
}

/// `branch`, reading every field it names that `names` lacks as null.
fn with_absent_as_null(branch: &str, names: &[String]) -> String {
    // Parsed after a format whose fields are not checked, to learn what the branch reads.
    let Ok(plan) = logrill::query::parse(&format!("parse json | {branch}")) else {
        return branch.to_string();
    };
    let read = logrill::query::names::fields_read(&plan.stages[1..]);
    if read.iter().all(|f| names.contains(f)) {
        return branch.to_string();
    }
    let columns: Vec<String> = read
        .iter()
        .map(|f| {
            if names.contains(f) {
                f.clone()
            } else {
                format!("null as {f}")
            }
        })
        .collect();
    format!("select {} | {branch}", columns.join(", "))
}

fn ranked(table: &Table) -> Ranked {
    // `top N x` gives the columns `x` and `count`.
    Ranked {
        rows: table
            .rows
            .iter()
            .map(|r| {
                (
                    r.first().cloned().unwrap_or(Value::Null),
                    r.get(1).cloned().unwrap_or(Value::Null),
                )
            })
            .collect(),
    }
}

/// The narrowest bucket width that covers the period in at most [`MAX_BUCKETS`].
pub fn choose_bucket(period: Option<(Timestamp, Timestamp)>) -> (usize, (i64, &'static str)) {
    let span = period.map_or(0, |(a, b)| {
        (b.unix_micros().saturating_sub(a.unix_micros())) / 1_000_000
    });
    for (i, &(secs, text)) in BUCKETS.iter().enumerate() {
        if span / secs < MAX_BUCKETS {
            return (i, (secs, text));
        }
    }
    let last = BUCKETS.len() - 1;
    (last, BUCKETS[last])
}

/// Lines of sample `--format auto` chooses from (as `parse auto` does).
const AUTO_SAMPLE: usize = 20;
/// Most bytes read for that sample.
const AUTO_SAMPLE_BYTES: usize = 1 << 20;

/// What to read: the files found, or standard input (with its first bytes, read to choose
/// the format, put back in front).
type Sources = Box<dyn Iterator<Item = logrill::Result<logrill::source::Input>> + Send>;

/// `--format auto`: the format is chosen from the first lines of the first input *before*
/// the report's pipeline is built, so that the pipeline knows which fields the logs have (a
/// branch that reads a field the format lacks reads it as null: see [`pipeline`]). Returns
/// the format to use, the note saying what was chosen, and, for standard input, the input
/// with the sample's bytes put back in front.
fn choose_auto(
    inputs: &Inputs,
) -> anyhow::Result<(String, Option<String>, Option<logrill::source::Input>)> {
    use std::io::Read;
    if inputs.format.trim() != "auto" {
        return Ok((inputs.format.clone(), None, None));
    }
    let mut input = if inputs.paths.is_empty() {
        logrill::source::open_stdin()?
    } else {
        let find = logrill::source::Find::new(&inputs.paths).globs(inputs.globs.iter().cloned());
        match find.into_iter().find_map(Result::ok) {
            Some(path) => logrill::source::open(&path)?,
            // Nothing to read: the run says so.
            None => return Ok((inputs.format.clone(), None, None)),
        }
    };
    let mut head = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut lines = 0;
    while head.len() < AUTO_SAMPLE_BYTES && lines < AUTO_SAMPLE {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
                head.extend_from_slice(&buf[..n]);
            }
            Err(e) => return Err(input.read_error(e, 0).into()),
        }
    }
    let sample: Vec<&[u8]> = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .take(AUTO_SAMPLE)
        .collect();
    let choice = match Parser::auto(&sample) {
        Ok((_, choice)) => choice,
        Err(e) => bail!("--format auto: {}: {e}", input.name()),
    };
    let rest = if inputs.paths.is_empty() {
        let name = input.name().clone();
        Some(logrill::source::open_reader(
            name,
            std::io::Cursor::new(head).chain(input),
        )?)
    } else {
        None
    };
    Ok((choice.name.to_string(), Some(choice.to_string()), rest))
}

/// Run the report's pipeline over the inputs.
pub fn gather(inputs: &Inputs) -> anyhow::Result<ReportData> {
    let (format, chosen, stdin) = choose_auto(inputs)?;
    let text = pipeline(&format, inputs.top);
    let plan = match logrill::query::parse(&text) {
        Ok(plan) => plan,
        Err(e) => bail!("--format {:?}: {e}", inputs.format),
    };
    let files: Sources = match stdin {
        Some(input) => Box::new(std::iter::once(Ok(input))),
        None if inputs.paths.is_empty() => Box::new(logrill::Files::stdin()),
        None => {
            let find =
                logrill::source::Find::new(&inputs.paths).globs(inputs.globs.iter().cloned());
            Box::new(logrill::Files::try_found(find).context("finding the inputs")?)
        }
    };
    let mut out = Branches::default();
    let mut errors = Vec::new();
    let options = exec::Options {
        threads: 1,
        ..exec::Options::default()
    };
    let summary = match exec::run_with(
        &plan,
        files,
        &mut out,
        &mut |e| errors.push(e.to_string()),
        &options,
    ) {
        Ok(s) => s,
        Err(RunFailure::Plan(e)) => bail!("--format {:?}: {e}", inputs.format),
        Err(e) => return Err(e.into()),
    };
    let n = branches(inputs.top).len();
    if out.tables.len() != n {
        // The run ended early: its errors say why.
        bail!(
            "the report's pipeline gave {} tables instead of {n}{}",
            out.tables.len(),
            errors
                .iter()
                .map(|e| format!("\n  {e}"))
                .collect::<String>()
        );
    }
    let mut tables = out.tables;
    let take = |tables: &mut Vec<Table>, i: usize| std::mem::take(&mut tables[i]);
    let summary_table = take(&mut tables, SUMMARY);
    let first_last = match (summary_table.get(0, "first"), summary_table.get(0, "last")) {
        (Value::Time(a), Value::Time(b)) => Some((a, b)),
        _ => None,
    };
    let (which, bucket) = choose_bucket(first_last);
    Ok(ReportData {
        pipeline: text,
        format: inputs.format.clone(),
        notes: chosen
            .into_iter()
            .chain(summary.notes.iter().cloned())
            .collect(),
        inputs: inputs.clone(),
        summary: summary_table,
        unparsed: summary.parse_failures.total(),
        unparsed_report: summary.parse_report.clone(),
        mismatch: summary.format_mismatch.clone(),
        failed_inputs: summary.failed_inputs,
        errors,
        bucket,
        over_time: take(&mut tables, OVER_TIME + which),
        status: take(&mut tables, STATUS),
        top_paths: ranked(&tables[TOP_PATHS]),
        top_404: ranked(&tables[TOP_404]),
        top_hosts: ranked(&tables[TOP_HOSTS]),
        top_referers: ranked(&tables[TOP_REFERERS]),
        top_agents: ranked(&tables[TOP_AGENTS]),
        durations: take(&mut tables, DURATIONS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_become_parse_words() {
        assert_eq!(quote("combined"), "combined");
        assert_eq!(quote(r#"%h "%r" \x"#), r#""%h \"%r\" \\x""#);
        assert_eq!(
            format_words("regex ^(?P<a>x)$"),
            vec!["regex", "^(?P<a>x)$"]
        );
        assert_eq!(format_words("%h %l %u"), vec!["%h %l %u"]);
        assert_eq!(format_words("nginx"), vec!["nginx"]);
        for format in [
            "auto",
            "combined",
            "json",
            r#"%h %l %u %t "%r" %>s %b %D"#,
            r#"regex '^(?P<host>\S+) "x"'"#,
            "$remote_addr [$time_local] \"$request\" $status",
        ] {
            let text = pipeline(format, 10);
            let plan = logrill::query::parse(&text);
            assert!(plan.is_ok(), "{format}: {text}: {:?}", plan.err());
        }
    }

    #[test]
    fn bucket_width_follows_the_period() {
        let t = |secs: i64| Timestamp::from_unix_micros(secs * 1_000_000, 0);
        assert_eq!(choose_bucket(None).1, (60, "1m"));
        assert_eq!(choose_bucket(Some((t(0), t(0)))).1, (60, "1m"));
        assert_eq!(choose_bucket(Some((t(0), t(199 * 60)))).1, (60, "1m"));
        assert_eq!(choose_bucket(Some((t(0), t(200 * 60)))).1, (600, "10m"));
        assert_eq!(choose_bucket(Some((t(0), t(3 * 86_400)))).1, (3600, "1h"));
        assert_eq!(
            choose_bucket(Some((t(0), t(90 * 86_400)))).1,
            (86_400, "1d")
        );
        assert_eq!(
            choose_bucket(Some((t(0), t(9000 * 86_400)))).1,
            (86_400, "1d")
        );
        // Backwards (last before first cannot happen, but must not panic).
        assert_eq!(choose_bucket(Some((t(100), t(0)))).1, (60, "1m"));
    }
}
