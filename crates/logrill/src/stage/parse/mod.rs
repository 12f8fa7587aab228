//! `parse`: lines into records.
//!
//! ```text
//! parse common | combined | vhost_common | vhost_combined     Apache presets
//! parse nginx                                                 nginx's default `combined`
//! parse '%h %l %u %t "%r" %>s %b'                             any Apache LogFormat string
//! parse '$remote_addr [$time_local] "$request" $status'       any nginx log_format string
//! parse json | logfmt | regex '(?P<name>…)' | auto
//! ```
//!
//! A [`Parser`] turns a line (`&[u8]`) into a [`Record`]: an ordered list of named
//! [`Value`]s that borrow from the line. Field names are readable (`host`, `status`,
//! `time`, `path`, …; the table is in `docs/fields.md`), `-` is null, numbers are integers,
//! `%t` is a [`Timestamp`] that keeps its UTC offset, and the request line is also split
//! into `method`, `path`, `query` and `protocol`.
//!
//! ## Speed
//! A LogFormat (or nginx) string compiles into a specialised scanner, not a regex: each
//! field knows its own shape (three digits, a bracketed timestamp at fixed offsets) or
//! runs to the next literal of the format, found with `memchr`. It backtracks when it must, so it
//! still accepts exactly the lines a regex built from the format would. Values borrow from
//! the line; only a field with an escape to undo is copied. The record is reused line
//! after line, so the common case does not allocate.
//!
//! ## Lines that do not match
//! [`Parser::parse`] returns a [`ParseFailure`] with a [`Reason`] that can be counted (it
//! is small, `Copy`, `Ord`), and [`Parser::describe`] says in words what went wrong, e.g.
//! ``does not match the format at `%{User-agent}i` (agent)``, or, where a field was read
//! but what follows it in the format is not there, the rest of the format from that point:
//! ``the line ends where the format expects ` "%{Referer}i" "%{User-agent}i"` (after `%b`
//! (bytes))``; the failure's offset is that point. [`Failures`] counts them per reason and
//! keeps the first few lines, for the end-of-run report on stderr, and says when most lines
//! failed and which format they have ([`Mismatch`]).
//!
//! ## Using it
//! ```
//! use logrill::stage::parse::{Parser, Preset, Record, Value};
//! let mut parser = Parser::preset(Preset::Combined);
//! let status = parser.resolve("status"); // once per query plan
//! let mut rec = Record::new();
//! let line = br#"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 "-" "curl/8""#;
//! parser.parse(line, &mut rec).unwrap();
//! assert_eq!(rec.get(&status), Some(&Value::Int(200)));
//! assert_eq!(rec.get_by_name("path").unwrap().as_bytes(), Some(&b"/a.gif"[..]));
//! assert_eq!(rec.get_by_name("referer"), Some(&Value::Null));
//! assert_eq!(rec.get_by_name("time").unwrap().to_string(), "2000-10-10T13:55:36-07:00");
//! ```

mod apache;
mod balance;
mod escape;
mod failures;
mod json;
mod json_skim;
mod logfmt;
mod matcher;
mod nginx;
mod pattern;
mod program;
mod scan;
mod timepart;
mod times;

/// The record model moved to [`crate::record`]; these paths keep the parser bodies'
/// `super::record` / `super::value` / `super::time` imports working unchanged.
mod record {
    pub(crate) use crate::record::{Record, Schema};
}
mod value {
    pub(crate) use crate::record::value::{classify_number, parse_i64, NumberShape, Value};
}
mod time {
    pub(crate) use crate::record::time::*;
}

use std::fmt;
use std::sync::Arc;

pub use crate::record::{
    parse_apache_timestamp, parse_epoch_seconds, parse_iso8601, FieldKey, Record, Schema,
    TimeParts, Timestamp, Value,
};
pub use escape::unescape;
pub use failures::{FailureExample, Failures, Mismatch, MISMATCH_MIN_FAILED};
pub use json::{JsonError, JsonParser};
pub use logfmt::{LogfmtError, LogfmtParser};
pub use pattern::RegexParser;
pub use times::line_times;

use program::Program;

/// How the fields of a LogFormat or nginx format are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Naming {
    /// Readable names (`host`, `status`, `time`, …; `docs/fields.md`), the request line
    /// split into `method`/`path`/`query`/`protocol`, all time directives put together into
    /// one `time` field, durations as seconds. A repeated name gets `_2`, `_3`, ….
    #[default]
    Readable,
    /// Each directive is its own field, named as written (`%>s`, `%{Referer}i`; a strftime
    /// `%{%d/%b/%Y}t` gives `%{%d}t`, `%{%b}t`, `%{%Y}t`), with its raw value (durations in
    /// the directive's unit, no request split, no time assembly). This is what the
    /// apachelogs conformance vectors check, and a way to see exactly what a format reads.
    Directive,
}

/// What is wrong with a format (LogFormat, nginx `log_format`, regex) or a parser name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The format as given.
    pub format: String,
    /// 1-based column (in characters) of the directive at fault.
    pub column: usize,
    pub kind: FormatErrorKind,
    pub message: String,
}

/// The kind of a [`FormatError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormatErrorKind {
    /// Not a well-formed directive (`%` at the end, `% `, `%{` without `}`, a modifier on a
    /// strftime conversion).
    InvalidDirective,
    /// A well-formed directive that does not exist (`%x`, `%{x}a`).
    UnknownDirective,
    /// The regex does not compile or has no named group.
    BadRegex,
    /// Not a parser name, and not a format either.
    BadSpec,
}

impl fmt::Display for FormatError {
    /// `bad log format at column C: message`, then the format and a caret under column C.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == FormatErrorKind::BadRegex {
            return write!(f, "bad regex: {}", self.message);
        }
        write!(
            f,
            "bad log format at column {}: {}\n  {}\n  {}^",
            self.column,
            self.message,
            self.format,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl std::error::Error for FormatError {}

/// Why a line was not parsed. Small and `Ord`, to be counted per reason;
/// [`Parser::describe`] puts it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The line does not match the format; `step` is the furthest step of the format the
    /// line got to (a field or a literal; past the last step: the line goes on after the
    /// format), and `ended` says that the line ended there, before the format did.
    NoMatch { step: u16, ended: bool },
    /// The format is ambiguous for this line and the scanner gave up after trying many
    /// ways to split it.
    Ambiguous,
    /// Not a JSON object.
    Json(JsonError),
    /// Not logfmt.
    Logfmt(LogfmtError),
    /// The regex does not match.
    RegexNoMatch,
}

impl fmt::Display for Reason {
    /// The reason without the parser's context (see [`Parser::describe`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoMatch { ended: true, .. } => f.write_str("ends before the format does"),
            Reason::NoMatch { .. } => f.write_str("does not match the format"),
            Reason::Ambiguous => f.write_str("too ambiguous for the format"),
            Reason::Json(e) => write!(f, "{e}"),
            Reason::Logfmt(e) => write!(f, "{e}"),
            Reason::RegexNoMatch => f.write_str("does not match the regex"),
        }
    }
}

/// A line that could not be parsed: why, and the byte offset in the line where the parser
/// gave up (the furthest it got).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseFailure {
    pub reason: Reason,
    pub offset: usize,
}

impl fmt::Display for ParseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.reason, self.offset)
    }
}

impl std::error::Error for ParseFailure {}

/// The named formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Apache `common`: `%h %l %u %t "%r" %>s %b`.
    Common,
    /// Apache `combined`: common plus `"%{Referer}i" "%{User-agent}i"`.
    Combined,
    /// Apache `vhost_common`: `%v %h %l %u %t "%r" %>s %b`.
    VhostCommon,
    /// Debian's Apache `vhost_combined`:
    /// `%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"`.
    VhostCombined,
    /// nginx's default `combined` `log_format`.
    Nginx,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 5] = [
        Preset::Common,
        Preset::Combined,
        Preset::VhostCommon,
        Preset::VhostCombined,
        Preset::Nginx,
    ];

    /// Its name (`combined`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Common => "common",
            Preset::Combined => "combined",
            Preset::VhostCommon => "vhost_common",
            Preset::VhostCombined => "vhost_combined",
            Preset::Nginx => "nginx",
        }
    }

    /// The preset called `name`.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Its format string (LogFormat, or nginx `log_format` for [`Preset::Nginx`]).
    pub fn format(self) -> &'static str {
        match self {
            Preset::Common => r#"%h %l %u %t "%r" %>s %b"#,
            Preset::Combined => r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#,
            Preset::VhostCommon => r#"%v %h %l %u %t "%r" %>s %b"#,
            Preset::VhostCombined => {
                r#"%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i""#
            }
            Preset::Nginx => {
                r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
            }
        }
    }
}

/// What `parse …` asks for, before it is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseSpec {
    Preset(Preset),
    /// An Apache LogFormat string.
    Apache(String),
    /// An nginx `log_format` string.
    Nginx(String),
    Json,
    Logfmt,
    /// A regex with named groups.
    Regex(String),
    /// Recognise the format from the first lines ([`Parser::auto`]).
    Auto,
}

impl ParseSpec {
    /// From the words after `parse`: a preset or parser name (`combined`, `json`, `auto`),
    /// `regex PATTERN`, `apache FORMAT`, `nginx FORMAT`, or a format string alone, which is
    /// nginx if it has `$variables` and no `%` directive, else Apache.
    pub fn from_words(words: &[&str]) -> Result<ParseSpec, FormatError> {
        let bad = |text: &str, message: String| FormatError {
            format: text.to_string(),
            column: 1,
            kind: FormatErrorKind::BadSpec,
            message,
        };
        match words {
            ["json"] => Ok(ParseSpec::Json),
            ["logfmt"] => Ok(ParseSpec::Logfmt),
            ["auto"] => Ok(ParseSpec::Auto),
            ["regex", re] => Ok(ParseSpec::Regex(re.to_string())),
            ["apache", f] => Ok(ParseSpec::Apache(f.to_string())),
            ["nginx", f] => Ok(ParseSpec::Nginx(f.to_string())),
            [one] => {
                if let Some(p) = Preset::from_name(one) {
                    return Ok(ParseSpec::Preset(p));
                }
                let has_dollar = one.as_bytes().windows(2).any(|w| {
                    w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'{' || w[1] == b'_')
                });
                if has_dollar && !one.contains('%') {
                    Ok(ParseSpec::Nginx(one.to_string()))
                } else if one.contains('%') {
                    Ok(ParseSpec::Apache(one.to_string()))
                } else {
                    Err(bad(
                        one,
                        format!(
                            "unknown parser `{one}`: expected common, combined, vhost_common, \
                             vhost_combined, nginx, json, logfmt, auto, regex '…', or a \
                             LogFormat string with % directives or an nginx log_format with \
                             $variables"
                        ),
                    ))
                }
            }
            [] => Err(bad(
                "",
                "parse needs a format: e.g. `parse combined`".to_string(),
            )),
            more => Err(bad(
                &more.join(" "),
                "too many words after parse: quote the format string".to_string(),
            )),
        }
    }
}

/// A LogFormat or nginx format parser: the compiled program and its scratch space.
#[derive(Debug, Clone)]
struct FormatParser {
    program: Arc<Program>,
    scratch: program::Scratch,
}

#[derive(Debug, Clone)]
enum Inner {
    Format(FormatParser),
    Json(JsonParser),
    Logfmt(LogfmtParser),
    Regex(Box<RegexParser>),
}

/// A line parser. Cheap to clone (a compiled format is shared), one per thread.
#[derive(Debug, Clone)]
pub struct Parser {
    inner: Inner,
    name: String,
}

impl Parser {
    /// Build the parser a spec asks for. `ParseSpec::Auto` needs lines: use
    /// [`Parser::auto`].
    pub fn new(spec: &ParseSpec) -> Result<Parser, FormatError> {
        match spec {
            ParseSpec::Preset(p) => Ok(Parser::preset(*p)),
            ParseSpec::Apache(f) => Parser::apache(f, Naming::Readable),
            ParseSpec::Nginx(f) => Parser::nginx(f, Naming::Readable),
            ParseSpec::Json => Ok(Parser::json()),
            ParseSpec::Logfmt => Ok(Parser::logfmt()),
            ParseSpec::Regex(r) => Parser::regex(r),
            ParseSpec::Auto => Err(FormatError {
                format: "auto".into(),
                column: 1,
                kind: FormatErrorKind::BadSpec,
                message: "`parse auto` chooses from the first lines: use Parser::auto".into(),
            }),
        }
    }

    fn format(program: Program, name: String) -> Parser {
        Parser {
            inner: Inner::Format(FormatParser {
                program: Arc::new(program),
                scratch: Default::default(),
            }),
            name,
        }
    }

    /// A preset (readable names).
    pub fn preset(p: Preset) -> Parser {
        let program = match p {
            Preset::Nginx => nginx::compile(p.format(), Naming::Readable),
            _ => apache::compile(p.format(), Naming::Readable),
        };
        match program {
            Ok(prog) => Parser::format(prog, p.name().to_string()),
            // The presets are constants that compile (tested); an error here is a bug, and
            // the least bad answer is a parser that matches nothing.
            Err(_) => Parser::format(Program::empty(), p.name().to_string()),
        }
    }

    /// An Apache LogFormat string, as written in httpd.conf.
    pub fn apache(format: &str, naming: Naming) -> Result<Parser, FormatError> {
        let prog = apache::compile(format, naming)?;
        Ok(Parser::format(prog, format!("LogFormat {format:?}")))
    }

    /// An nginx `log_format` string.
    pub fn nginx(format: &str, naming: Naming) -> Result<Parser, FormatError> {
        let prog = nginx::compile(format, naming)?;
        Ok(Parser::format(prog, format!("nginx log_format {format:?}")))
    }

    /// JSON lines.
    pub fn json() -> Parser {
        Parser {
            inner: Inner::Json(JsonParser::new()),
            name: "json".into(),
        }
    }

    /// logfmt.
    pub fn logfmt() -> Parser {
        Parser {
            inner: Inner::Logfmt(LogfmtParser::new()),
            name: "logfmt".into(),
        }
    }

    /// A regex with named groups.
    pub fn regex(pattern: &str) -> Result<Parser, FormatError> {
        Ok(Parser {
            inner: Inner::Regex(Box::new(RegexParser::new(pattern)?)),
            name: format!("regex {pattern:?}"),
        })
    }

    /// Recognise the format of `sample` (the first lines of the input; blank lines are
    /// ignored): JSON, the Apache presets (nginx's default format is Apache `combined`
    /// with an ident of `-`, so `combined` covers it), or logfmt, whichever parses the most
    /// sample lines (the first in that order on a tie). Say on stderr what was chosen
    /// ([`AutoChoice`]'s `Display`).
    pub fn auto(sample: &[&[u8]]) -> Result<(Parser, AutoChoice), AutoError> {
        let lines: Vec<&[u8]> = sample
            .iter()
            .copied()
            .filter(|l| !l.trim_ascii().is_empty())
            .collect();
        if lines.is_empty() {
            return Err(AutoError { sampled: 0 });
        }
        let candidates = [
            ("json", Parser::json()),
            ("vhost_combined", Parser::preset(Preset::VhostCombined)),
            ("combined", Parser::preset(Preset::Combined)),
            ("vhost_common", Parser::preset(Preset::VhostCommon)),
            ("common", Parser::preset(Preset::Common)),
            ("logfmt", Parser::logfmt()),
        ];
        let mut best: Option<(usize, &'static str, Parser)> = None;
        let mut rec = Record::new();
        for (name, mut p) in candidates {
            let n = lines
                .iter()
                .filter(|l| p.parse(l, &mut rec).is_ok())
                .count();
            rec.clear();
            if n > 0 && best.as_ref().is_none_or(|(b, _, _)| n > *b) {
                best = Some((n, name, p));
            }
        }
        match best {
            Some((matched, name, parser)) => Ok((
                parser,
                AutoChoice {
                    name,
                    matched,
                    sampled: lines.len(),
                },
            )),
            None => Err(AutoError {
                sampled: lines.len(),
            }),
        }
    }

    /// Parse `line` into `rec` (cleared first). Trailing CR/LF are ignored.
    #[inline]
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        match &mut self.inner {
            Inner::Format(f) => f.program.parse(line, rec, &mut f.scratch),
            Inner::Json(j) => j.parse(line, rec),
            Inner::Logfmt(l) => l.parse(line, rec),
            Inner::Regex(r) => r.parse(line, rec),
        }
    }

    /// Parse `line` into `rec` with every field, even after [`Parser::project`] (JSON and
    /// logfmt; the others parse as [`Parser::parse`] does): for when a caller needs every
    /// name a line has, such as the report of a field that no record had.
    pub fn parse_every_field<'a>(
        &mut self,
        line: &'a [u8],
        rec: &mut Record<'a>,
    ) -> Result<(), ParseFailure> {
        match &mut self.inner {
            Inner::Json(j) => j.parse_every_field(line, rec),
            Inner::Logfmt(l) => l.parse_every_field(line, rec),
            _ => self.parse(line, rec),
        }
    }

    /// Whether the parser searches each line for what it reads (a regex), rather than
    /// reading whole lines of a format: lines it does not match are then expected.
    pub fn searches(&self) -> bool {
        matches!(self.inner, Inner::Regex(_))
    }

    /// What the parser is (`combined`, `json`, `LogFormat "…"`), for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema, for parsers whose lines all have the same fields (formats, regex);
    /// `None` for JSON and logfmt, whose lines name their own fields.
    pub fn schema(&self) -> Option<&Arc<Schema>> {
        match &self.inner {
            Inner::Format(f) => Some(&f.program.schema),
            Inner::Regex(r) => Some(r.schema()),
            Inner::Json(_) | Inner::Logfmt(_) => None,
        }
    }

    /// The kind of value each field of [`Parser::field_names`] holds, where known before
    /// reading: a format's fields are typed by their directives; a regex's groups are
    /// numbers or strings line by line ([`FieldType::Any`]); `None` for JSON and logfmt.
    pub fn field_types(&self) -> Option<Vec<crate::record::FieldType>> {
        match &self.inner {
            Inner::Format(f) => Some(f.program.field_types()),
            Inner::Regex(r) => Some(vec![
                crate::record::FieldType::Any;
                r.schema().names().len()
            ]),
            Inner::Json(_) | Inner::Logfmt(_) => None,
        }
    }

    /// For each field of [`Parser::field_types`], whether its numbers are floats (else
    /// integers); `None` where the types are not known before reading.
    pub fn float_fields(&self) -> Option<Vec<bool>> {
        match &self.inner {
            Inner::Format(f) => Some(f.program.float_slots()),
            Inner::Regex(r) => Some(vec![false; r.schema().names().len()]),
            Inner::Json(_) | Inner::Logfmt(_) => None,
        }
    }

    /// The field names known before any line is read (see [`Parser::schema`]).
    pub fn field_names(&self) -> Option<&[String]> {
        self.schema().map(|s| s.names())
    }

    /// Resolve a field name once (per query plan): a slot for a fixed schema, else the
    /// name. A name a fixed schema does not have resolves to a lookup that always finds
    /// nothing; check [`Parser::field_names`] first to report it.
    pub fn resolve(&self, name: &str) -> FieldKey {
        match self.schema().and_then(|s| s.slot(name)) {
            Some(i) => FieldKey::Slot(i),
            None => FieldKey::Name(name.into()),
        }
    }

    /// Compute only the fields a query uses (a projection), for speed: the other fields
    /// of a fixed schema are null (or, for some kinds of field, computed anyway). Lines are checked as before (the same lines
    /// match); only values nobody reads are not built (a request line is not split unless
    /// `method`, `path`, `query` or `protocol` is asked for, and so on). For a fixed
    /// schema, keys that are not slots are ignored; JSON and logfmt build only the fields
    /// named (for JSON, full `a.b` names, nested objects entered only where needed) and
    /// step over the rest of the line checking only its structure, unless
    /// [`Parser::check_every_byte`]; a regex parser is unchanged. An empty list
    /// computes no field at all (enough for `count`).
    pub fn project(&mut self, keys: &[FieldKey]) {
        let names = || -> Vec<&str> {
            keys.iter()
                .filter_map(|k| match k {
                    FieldKey::Name(n) => Some(&**n),
                    FieldKey::Slot(_) => None,
                })
                .collect()
        };
        match &mut self.inner {
            Inner::Json(j) => return j.select(&names()),
            Inner::Logfmt(l) => return l.select(&names()),
            _ => {}
        }
        if let Inner::Format(f) = &mut self.inner {
            let mut wanted = vec![false; f.program.schema.len()];
            for k in keys {
                if let FieldKey::Slot(i) = k {
                    if let Some(w) = wanted.get_mut(*i) {
                        *w = true;
                    }
                }
            }
            f.program = Arc::new(f.program.project(wanted));
        }
    }

    /// After [`Parser::project`], whether JSON and logfmt lines are still checked byte
    /// by byte by the full grammar (`true`: exactly the lines the full parse accepts, the
    /// same failures at the same offsets; what `--strict` asks for), or read by the fast
    /// path that steps over what is not built without checking its grammar (`false`, the
    /// default; `docs/formats.md` says what it checks). Other parsers check every line
    /// the same way either way.
    pub fn check_every_byte(&mut self, yes: bool) {
        match &mut self.inner {
            Inner::Json(j) => j.check_every_byte(yes),
            Inner::Logfmt(l) => l.check_every_byte(yes),
            _ => {}
        }
    }

    /// The field names a JSON or logfmt parser builds after [`Parser::project`] (the
    /// projection a pipeline gave it); `None` when it builds every field, or for the
    /// other parsers. Lets a caller (and a test) see which reader a pipeline runs.
    pub fn projected_names(&self) -> Option<Vec<&str>> {
        match &self.inner {
            Inner::Json(j) => j.selected(),
            Inner::Logfmt(l) => l.selected(),
            _ => None,
        }
    }

    /// Compute every field again (undo [`Parser::project`]).
    pub fn project_all(&mut self) {
        match &mut self.inner {
            Inner::Json(j) => j.select_all(),
            Inner::Logfmt(l) => l.select_all(),
            _ => {}
        }
        if let Inner::Format(f) = &mut self.inner {
            if f.program.wanted.is_some() {
                let mut p = (*f.program).clone();
                p.wanted = None;
                p.link();
                p.schema = Arc::new((*p.schema).clone());
                f.program = Arc::new(p);
            }
        }
    }

    /// A failure reason in words, with the parser's context: which directive of the format
    /// the line did not match.
    pub fn describe(&self, reason: &Reason) -> String {
        match (reason, &self.inner) {
            (Reason::NoMatch { step, ended }, Inner::Format(f)) => {
                f.program.describe_stop(*step as usize, *ended)
            }
            (Reason::Ambiguous, _) => format!(
                "too ambiguous for the format: gave up after {} ways to split it",
                program::BUDGET
            ),
            (r, _) => r.to_string(),
        }
    }
}

/// What [`Parser::auto`] chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoChoice {
    /// `json`, `combined`, …, `logfmt`.
    pub name: &'static str,
    /// Sample lines it parsed.
    pub matched: usize,
    /// Non-blank sample lines.
    pub sampled: usize,
}

impl fmt::Display for AutoChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parse auto: chose {} ({} of {} sample lines match)",
            self.name, self.matched, self.sampled
        )
    }
}

/// [`Parser::auto`] recognised nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no known format (Apache/nginx presets, JSON, logfmt) matches any of the {sampled} sample lines; give the format, e.g. parse '%h %l %u %t \"%r\" %>s %b'")]
pub struct AutoError {
    pub sampled: usize,
}

/// A small deterministic random source for the parsers' generated-input tests (xorshift64).
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[cfg(test)]
mod tests {
    use crate::exec::Compiled;

    /// The parsers a pipeline runs once `parse auto` has chosen from `sample`.
    fn chosen(pipeline: &str, sample: &[&str]) -> Vec<(String, Option<Vec<String>>)> {
        let plan = crate::query::parse(pipeline).unwrap();
        let mut compiled = Compiled::new(&plan).unwrap();
        assert!(compiled.needs_auto());
        let lines: Vec<&[u8]> = sample.iter().map(|l| l.as_bytes()).collect();
        compiled.resolve_auto(&lines).unwrap();
        compiled
            .chain
            .parsers()
            .iter()
            .map(|p| {
                let names = p
                    .projected_names()
                    .map(|n| n.iter().map(|s| s.to_string()).collect());
                (p.name().to_string(), names)
            })
            .collect()
    }

    const JSON: [&str; 2] = [
        r#"{"level":"info","service":"auth","latency_ms":1.5,"user":{"id":1}}"#,
        r#"{"level":"warn","service":"cart","latency_ms":2,"user":{"id":2}}"#,
    ];
    const LOGFMT: [&str; 2] = [
        "level=info service=auth latency_ms=1.5 user.id=1",
        "level=warn service=cart latency_ms=2 user.id=2",
    ];

    /// `parse auto` on JSON (and logfmt) lines runs the projected reader, the one
    /// `parse json` gets: only the fields the rest of the pipeline reads are built.
    #[test]
    fn parse_auto_takes_the_projected_reader() {
        let some = |names: &[&str]| Some(names.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            chosen("parse auto | count by level", &JSON),
            [("json".to_string(), some(&["level"]))]
        );
        assert_eq!(
            chosen("parse auto | count, sum latency_ms by service", &JSON),
            [("json".to_string(), some(&["latency_ms", "service"]))]
        );
        assert_eq!(
            chosen("parse auto | where user.id > 1 | count", &JSON),
            [("json".to_string(), some(&["user.id"]))]
        );
        assert_eq!(
            chosen("parse auto | count", &JSON),
            [("json".to_string(), some(&[]))]
        );
        assert_eq!(
            chosen("parse auto | count by level", &LOGFMT),
            [("logfmt".to_string(), some(&["level"]))]
        );
        // The same projection as naming the format.
        let plan = crate::query::parse("parse json | count by level").unwrap();
        let named = Compiled::new(&plan).unwrap();
        let p = named.chain.parsers();
        assert_eq!(p[0].projected_names(), Some(vec!["level"]));
    }

    /// Records printed whole need every field: no projection, whether chosen or named.
    #[test]
    fn records_printed_whole_build_every_field() {
        assert_eq!(chosen("parse auto", &JSON), [("json".to_string(), None)]);
        assert_eq!(
            chosen("parse auto | where level == \"warn\"", &LOGFMT),
            [("logfmt".to_string(), None)]
        );
        let plan = crate::query::parse("parse json").unwrap();
        let named = Compiled::new(&plan).unwrap();
        assert_eq!(named.chain.parsers()[0].projected_names(), None);
    }
}
