//! The pipeline language as typed Rust calls: every stage the command line knows
//! (`grep`, `field`, `head`, `parse`, `where`, `select`, `sort`, the aggregates with `by`,
//! `tee`), as methods of one builder, [`Pipeline`]: over files it is the pull side, and
//! as a [`Query`] (no inputs yet) it becomes the push side's sink ([`Query::sink`]).
//!
//! # One compiler: the typed calls write pipeline text
//!
//! Each stage method appends one stage *written in the pipeline language*
//! (`.parse(Format::Combined)` appends `parse combined`, `.filter(col("status").eq(404))`
//! appends `where (status == 404)`), and a run hands the whole text to
//! [`query::parse`](crate::query::parse), the parser the command line uses. So a builder
//! chain and the text it prints ([`Pipeline::text`]) compile to the very same plan, through
//! the very same checks: a field the format lacks, an aggregate of a string, a stage in the
//! wrong place are reported as a [`QueryError`](crate::query::QueryError) pointing at the
//! column of that text, exactly as for the command line. Nothing can be expressed in one
//! and not the other, and the two cannot drift apart.
//!
//! The arguments are typed ([`Format`], [`Term`], [`Agg`], [`Key`]): a value written by
//! the library is quoted so that the text reads it back unchanged (a pattern with quotes or
//! backslashes, a field named `by`).
//!
//! ```
//! use logrill::lang::{col, query, Agg, Format};
//! let q = query()
//!     .parse(Format::Combined)
//!     .filter(col("status").eq(404))
//!     .count_by("path")
//!     .sort([col("count").desc()])
//!     .head(3);
//! assert_eq!(
//!     q.text(),
//!     "parse combined | where (status == 404) | count by path | sort count desc | head 3"
//! );
//! # let _ = Agg::count();
//! ```

use std::fmt::Write as _;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use crate::exec::{Files, Options};

use crate::stage::parse::Preset;
use crate::stage::GrepOptions;

/// What `parse` reads lines as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// Apache `common`.
    Common,
    /// Apache `combined`.
    Combined,
    /// Apache `vhost_common`.
    VhostCommon,
    /// Debian's Apache `vhost_combined`.
    VhostCombined,
    /// nginx's default `combined` `log_format`.
    Nginx,
    /// JSON lines (records name their own fields).
    Json,
    /// `key=value` lines.
    Logfmt,
    /// Recognise the format from the first lines.
    Auto,
    /// An Apache `LogFormat` string (`%h %l %u %t "%r" %>s %b`).
    Apache(String),
    /// An nginx `log_format` string (`$remote_addr - ...`).
    NginxFormat(String),
    /// A regular expression with named groups: each group is a field.
    Regex(String),
}

impl From<Preset> for Format {
    fn from(p: Preset) -> Format {
        match p {
            Preset::Common => Format::Common,
            Preset::Combined => Format::Combined,
            Preset::VhostCommon => Format::VhostCommon,
            Preset::VhostCombined => Format::VhostCombined,
            Preset::Nginx => Format::Nginx,
        }
    }
}

impl Format {
    /// The words after `parse`.
    fn text(&self) -> String {
        match self {
            Format::Common => Preset::Common.name().into(),
            Format::Combined => Preset::Combined.name().into(),
            Format::VhostCommon => Preset::VhostCommon.name().into(),
            Format::VhostCombined => Preset::VhostCombined.name().into(),
            Format::Nginx => Preset::Nginx.name().into(),
            Format::Json => "json".into(),
            Format::Logfmt => "logfmt".into(),
            Format::Auto => "auto".into(),
            Format::Apache(f) => format!("apache {}", quote(f)),
            Format::NginxFormat(f) => format!("nginx {}", quote(f)),
            Format::Regex(r) => format!("regex {}", quote(r)),
        }
    }
}

/// `s` as one word of the pipeline language, read back exactly: single quotes take
/// everything literally; in double quotes only `\"` and `\\` are escapes.
pub fn quote(s: &str) -> String {
    if !s.contains('\'') {
        return format!("'{s}'");
    }
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Words the expression grammar gives a meaning: a field with one of these names (or
/// any name that is not a plain identifier) is written in backquotes.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "null", "true", "false", "as", "asc", "desc", "by",
];

/// `name` as a field of an expression: bare, or in backquotes where it is a keyword or
/// not a plain identifier.
pub fn field_name(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !KEYWORDS.contains(&name);
    if plain {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

/// An expression of the pipeline language (what `where` tests, `select` computes, `by`
/// groups on, `sort` orders by), built from [`col`], [`lit`] and the methods here.
/// Binary operators are parenthesised as built, so `a.or(b).and(c)` means what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term(String);

/// The field `name` of a record (`a.b` for a nested JSON key).
pub fn col(name: &str) -> Term {
    Term(field_name(name))
}

/// A literal: a number, a string, a bool.
pub fn lit(v: impl Into<Literal>) -> Term {
    Term(v.into().0)
}

/// The text of a literal (see [`lit`]).
#[derive(Debug, Clone)]
pub struct Literal(String);

impl From<i64> for Literal {
    fn from(v: i64) -> Literal {
        // A negative number is `-` applied to a number in the grammar.
        Literal(if v < 0 {
            format!("({v})")
        } else {
            v.to_string()
        })
    }
}

impl From<i32> for Literal {
    fn from(v: i32) -> Literal {
        Literal::from(i64::from(v))
    }
}

impl From<u32> for Literal {
    fn from(v: u32) -> Literal {
        Literal(v.to_string())
    }
}

impl From<f64> for Literal {
    fn from(v: f64) -> Literal {
        let mut s = String::new();
        let _ = write!(s, "{v:?}");
        Literal(if v < 0.0 { format!("({s})") } else { s })
    }
}

impl From<bool> for Literal {
    fn from(v: bool) -> Literal {
        Literal(v.to_string())
    }
}

impl From<&str> for Literal {
    fn from(v: &str) -> Literal {
        Literal(quote(v))
    }
}

impl From<Term> for Literal {
    fn from(t: Term) -> Literal {
        Literal(t.0)
    }
}

/// Methods `self OP other` of [`Term`], one per operator.
macro_rules! binary_operators {
    ($($(#[$doc:meta])* $name:ident $op:literal,)*) => {
        $(
            $(#[$doc])*
            #[allow(clippy::should_implement_trait)]
            pub fn $name(self, other: impl Into<Literal>) -> Term {
                self.binary($op, other)
            }
        )*
    };
}

/// Methods `NAME(self)` of [`Term`], one per function of one argument.
macro_rules! functions {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self) -> Term {
                Term(format!("{}({})", stringify!($name), self.0))
            }
        )*
    };
}

impl Term {
    /// An expression written in the pipeline language (`"status >= 500"`), checked when the
    /// pipeline runs, like any text.
    pub fn text(expr: &str) -> Term {
        Term(format!("({expr})"))
    }

    fn binary(self, op: &str, other: impl Into<Literal>) -> Term {
        Term(format!("({} {op} {})", self.0, other.into().0))
    }

    binary_operators! {
        /// `self == other`
        eq "==",
        /// `self != other`
        ne "!=",
        /// `self < other`
        lt "<",
        /// `self <= other`
        le "<=",
        /// `self > other`
        gt ">",
        /// `self >= other`
        ge ">=",
        /// `self + other`
        add "+",
        /// `self - other`
        sub "-",
        /// `self * other`
        mul "*",
        /// `self / other`
        div "/",
        /// `self % other`
        rem "%",
    }
    functions! {
        /// `lower(self)`: ASCII lower case.
        lower,
        /// `upper(self)`
        upper,
        /// `length(self)`: bytes in a string.
        length,
        /// `minute(self)`: a time rounded down to the minute.
        minute,
        /// `hour(self)`
        hour,
        /// `day(self)`
        day,
    }

    /// `self ~ regex`: the regular expression finds a match in the value.
    pub fn matches(self, regex: &str) -> Term {
        Term(format!("({} ~ {})", self.0, quote(regex)))
    }
    /// `self !~ regex`
    pub fn not_matches(self, regex: &str) -> Term {
        Term(format!("({} !~ {})", self.0, quote(regex)))
    }
    /// `self in (a, b, ...)`
    pub fn is_in<L: Into<Literal>>(self, set: impl IntoIterator<Item = L>) -> Term {
        let items: Vec<String> = set.into_iter().map(|l| l.into().0).collect();
        Term(format!("({} in ({}))", self.0, items.join(", ")))
    }
    /// `self is null`
    pub fn is_null(self) -> Term {
        Term(format!("({} is null)", self.0))
    }
    /// `self is not null`
    pub fn is_not_null(self) -> Term {
        Term(format!("({} is not null)", self.0))
    }
    /// `self and other`
    pub fn and(self, other: Term) -> Term {
        self.binary("and", other)
    }
    /// `self or other`
    pub fn or(self, other: Term) -> Term {
        self.binary("or", other)
    }
    /// `not self`
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Term {
        Term(format!("(not {})", self.0))
    }
    /// `bucket(self, DURATION)`: a time rounded down to a multiple of `duration`
    /// (written as in the language: `5m`, `1h`, `500ms`).
    pub fn bucket(self, duration: &str) -> Term {
        Term(format!("bucket({}, {duration})", self.0))
    }
    /// This expression as a column named `name` (`EXPR as NAME`), for `select` and `by`.
    pub fn named(self, name: &str) -> Column {
        Column(format!("{} as {}", self.0, field_name(name)))
    }
    /// An ascending sort key.
    pub fn asc(self) -> Key {
        Key(format!("{} asc", self.0))
    }
    /// A descending sort key.
    pub fn desc(self) -> Key {
        Key(format!("{} desc", self.0))
    }
}

/// A column of `select` or `by`: an expression, named after it unless [`Term::named`].
#[derive(Debug, Clone)]
pub struct Column(String);

impl From<Term> for Column {
    fn from(t: Term) -> Column {
        // A lone field keeps its name as the column's name: no parentheses around it.
        Column(t.0)
    }
}

impl From<&str> for Column {
    /// A field by name.
    fn from(name: &str) -> Column {
        Column(field_name(name))
    }
}

/// A sort key: an expression and a direction ([`Term::asc`], [`Term::desc`]; a bare
/// field name sorts ascending).
#[derive(Debug, Clone)]
pub struct Key(String);

impl From<&str> for Key {
    fn from(name: &str) -> Key {
        Key(field_name(name))
    }
}

impl From<Term> for Key {
    fn from(t: Term) -> Key {
        Key(t.0)
    }
}

/// One aggregate of an aggregate stage. Its argument is a field or expression; before
/// `parse`, [`Agg::of_value`] aggregates the current value (the seed's `sum`).
#[derive(Debug, Clone)]
pub struct Agg(String);

/// Constructors of the aggregates written `NAME X`, one per name.
macro_rules! one_argument {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(arg: impl Into<Term>) -> Agg {
                Agg::of(stringify!($name), arg)
            }
        )*
    };
}

impl Agg {
    fn of(name: &str, arg: impl Into<Term>) -> Agg {
        Agg(format!("{name} {}", arg.into().0))
    }
    one_argument! {
        /// `sum X`
        sum,
        /// `min X`
        min,
        /// `max X`
        max,
        /// `avg X`
        avg,
        /// `distinct X`: the set of distinct values, in order.
        distinct,
        /// `count_distinct X`: how many distinct values (exact).
        count_distinct,
        /// `p50 X`
        p50,
        /// `p90 X`
        p90,
        /// `p95 X`
        p95,
        /// `p99 X`
        p99,
        /// `first X`: the first value seen, in input order.
        first,
        /// `last X`
        last,
    }
    /// `count`: how many records (or values).
    pub fn count() -> Agg {
        Agg("count".into())
    }
    /// `percentile(X, Q)`: exact (nearest rank), 0 ≤ q ≤ 100.
    pub fn percentile(arg: impl Into<Term>, q: f64) -> Agg {
        Agg(format!("percentile({}, {q:?})", arg.into().0))
    }
    /// `top N X`: the `n` most frequent values with their counts.
    pub fn top(n: usize, arg: impl Into<Term>) -> Agg {
        Agg(format!("top {n} {}", arg.into().0))
    }
    /// The seed's aggregate of the current value (a line or a field of it, before
    /// `parse`): `sum`, `min`, ... with no argument.
    pub fn of_value(kind: crate::agg::AggKind) -> Agg {
        Agg(kind.name().to_string())
    }
    /// The result column named `name` (`... as NAME`).
    pub fn named(self, name: &str) -> Agg {
        Agg(format!("{} as {}", self.0, field_name(name)))
    }
}

impl From<&str> for Term {
    /// A field by name (so `Agg::sum("bytes")` reads `sum bytes`). A string literal is
    /// [`lit`]`("...")`.
    fn from(name: &str) -> Term {
        col(name)
    }
}

/// A pipeline being built: the stages of the pipeline language, as calls, over an input
/// `I`. `Pipeline<Files>` (the default, made by `find(..).open().lines()`) is the pull
/// side and runs with a terminal call ([`Pipeline::run`], [`Pipeline::sum`], ...); a
/// [`Query`] (`Pipeline<NoInput>`) is not tied to inputs: a `tee` branch, or the push
/// side ([`Query::sink`]). One set of stage methods serves both.
pub struct Pipeline<I = Files> {
    pub(crate) input: I,
    stages: Vec<String>,
    pub(crate) options: Options,
}

/// The input of a [`Query`]: none yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoInput;

/// A pipeline not yet tied to inputs (see [`Pipeline`]).
pub type Query = Pipeline<NoInput>;

/// A pipeline with no input and no stage yet: start of a push chain or a `tee` branch
/// (`query().parse(..)...`).
pub fn query() -> Query {
    Pipeline::new(NoInput)
}

impl Default for Query {
    fn default() -> Query {
        query()
    }
}

impl Clone for Query {
    fn clone(&self) -> Query {
        Pipeline {
            input: NoInput,
            stages: self.stages.clone(),
            options: self.options.clone(),
        }
    }
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({:?})", self.text())
    }
}

impl<I> Pipeline<I> {
    /// A pipeline over `input` (usually [`Files`]: `find(..).open().lines()` calls this)
    /// with no stage yet, run with the default [`Options`] (a thread per core).
    pub fn new(input: I) -> Pipeline<I> {
        Pipeline {
            input,
            stages: Vec::new(),
            options: Options::default(),
        }
    }

    /// Append one stage written in the pipeline language (or several, `|`-separated),
    /// unchecked until the pipeline runs (see [`Pipeline::stages`]).
    pub fn stage(mut self, text: impl Into<String>) -> Pipeline<I> {
        self.stages.push(text.into());
        self
    }

    /// Add stages written in the pipeline language (`"parse combined | where status ==
    /// 404"`): any stage, checked at once with what came before.
    pub fn stages(self, text: &str) -> Result<Pipeline<I>, crate::Error> {
        let p = self.stage(text);
        compile(&p.text())?;
        Ok(p)
    }

    /// Add the stages of `query`.
    pub fn query(self, query: &Query) -> Pipeline<I> {
        if query.stages.is_empty() {
            return self;
        }
        self.stage(query.text())
    }

    /// The pipeline written so far, as the command line would take it.
    pub fn text(&self) -> String {
        self.stages.join(" | ")
    }

    /// The plan, as the command line's parser makes it from [`Pipeline::text`]: the same
    /// checks, the same errors.
    pub fn plan(&self) -> Result<crate::query::Plan, crate::query::QueryError> {
        compile(&self.text())
    }

    /// Run with these options.
    pub fn options(mut self, options: Options) -> Pipeline<I> {
        self.options = options;
        self
    }

    /// Read files on `n` threads (1: all on the calling thread). Results are the same
    /// whatever the number.
    pub fn threads(mut self, n: usize) -> Pipeline<I> {
        self.options.threads = n.max(1);
        self
    }

    /// Make the first line `parse` cannot read an error of its input (`--strict`).
    pub fn strict(mut self, strict: bool) -> Pipeline<I> {
        self.options.strict = strict;
        self
    }

    /// Most groups and kept values an aggregate or sort may hold (`--max-state`); beyond
    /// it the run ends with an error.
    pub fn state_limit(mut self, n: usize) -> Pipeline<I> {
        self.options.state_limit = n;
        self
    }

    /// Skip (and count) lines longer than `n` bytes (`--max-line-bytes`).
    pub fn max_line_bytes(mut self, n: usize) -> Pipeline<I> {
        self.options.max_line_bytes = n;
        self
    }

    /// Stop reading when `flag` is set (from another thread, a signal handler): the run
    /// ends with what it gathered, marked [`Report::interrupted`](crate::Report::interrupted).
    pub fn cancel(mut self, flag: Arc<AtomicBool>) -> Pipeline<I> {
        self.options.cancel = Some(flag);
        self
    }

    /// `grep PATTERN`: keep the lines (values) a regular expression matches (the seed's
    /// `gen_grep`).
    pub fn grep(self, pattern: &str) -> Pipeline<I> {
        self.grep_with(pattern, GrepOptions::default())
    }

    /// `grep [-i] [-v] [-F] PATTERN`
    pub fn grep_with(self, pattern: &str, options: GrepOptions) -> Pipeline<I> {
        let mut s = String::from("grep ");
        for (on, flag) in [
            (options.ignore_case, "-i "),
            (options.invert, "-v "),
            (options.fixed, "-F "),
        ] {
            if on {
                s.push_str(flag);
            }
        }
        s.push_str(&quote(pattern));
        self.stage(s)
    }

    /// `field N`: the `index`-th whitespace-separated field (1-based, negative from the
    /// end: `field(-1)` is the seed's `line.rsplit(None, 1)[1]`).
    pub fn field(self, index: i64) -> Pipeline<I> {
        self.stage(format!("field {index}"))
    }

    /// `field -d DELIM N`: the `index`-th field between occurrences of `delimiter`.
    pub fn field_by(self, index: i64, delimiter: &str) -> Pipeline<I> {
        self.stage(format!("field -d {} {index}", quote(delimiter)))
    }

    /// `head N`: the first `n` values (records, rows), then stop reading.
    pub fn head(self, n: u64) -> Pipeline<I> {
        self.stage(format!("head {n}"))
    }

    /// `parse FORMAT`: lines into records (the course's `apache_log(lines)`).
    pub fn parse(self, format: impl Into<Format>) -> Pipeline<I> {
        let format = format.into();
        self.stage(format!("parse {}", format.text()))
    }

    /// `where EXPR`: keep the records `condition` holds for.
    pub fn filter(self, condition: Term) -> Pipeline<I> {
        self.stage(format!("where {}", condition.0))
    }

    /// `select COLUMN, ...`: records of just these columns.
    pub fn select<C: Into<Column>>(self, columns: impl IntoIterator<Item = C>) -> Pipeline<I> {
        let cols: Vec<String> = columns.into_iter().map(|c| c.into().0).collect();
        self.stage(format!("select {}", cols.join(", ")))
    }

    /// `sort KEY, ...`
    pub fn sort<K: Into<Key>>(self, keys: impl IntoIterator<Item = K>) -> Pipeline<I> {
        let keys: Vec<String> = keys.into_iter().map(|k| k.into().0).collect();
        self.stage(format!("sort {}", keys.join(", ")))
    }

    /// `AGG, AGG, ...`: one row of aggregates over everything.
    pub fn aggregate(self, aggs: impl IntoIterator<Item = Agg>) -> Pipeline<I> {
        self.aggregate_by(aggs, Vec::<Column>::new())
    }

    /// `AGG, ... by COLUMN, ...`: a row of aggregates per group.
    pub fn aggregate_by<C: Into<Column>>(
        self,
        aggs: impl IntoIterator<Item = Agg>,
        by: impl IntoIterator<Item = C>,
    ) -> Pipeline<I> {
        let aggs: Vec<String> = aggs.into_iter().map(|a| a.0).collect();
        let by: Vec<String> = by.into_iter().map(|c| c.into().0).collect();
        let mut s = aggs.join(", ");
        if !by.is_empty() {
            s.push_str(" by ");
            s.push_str(&by.join(", "));
        }
        self.stage(s)
    }

    /// `count by KEY`: how many records per value of `key`.
    pub fn count_by(self, key: impl Into<Column>) -> Pipeline<I> {
        self.aggregate_by([Agg::count()], [key])
    }

    /// `tee (BRANCH) (BRANCH) ...`: several pipelines over the same values, in one pass
    /// (the seed's `broadcast`).
    pub fn tee(self, branches: impl IntoIterator<Item = Query>) -> Pipeline<I> {
        let mut s = String::from("tee");
        for b in branches {
            s.push_str(" (");
            s.push_str(&b.text());
            s.push(')');
        }
        self.stage(s)
    }
}

/// The plan of a pipeline text written by the calls here: the command line's parser,
/// except that no stage at all is a pipeline too (the lines themselves).
pub(crate) fn compile(text: &str) -> Result<crate::query::Plan, crate::query::QueryError> {
    if text.is_empty() {
        return crate::query::Plan::from_stages(Vec::new());
    }
    crate::query::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_read_back_unchanged() {
        for s in ["plain", "it's", r#"a "b" \c\\"#, r"ply-.*\.gz", "x|y"] {
            let fixed = GrepOptions {
                fixed: true,
                ..GrepOptions::default()
            };
            let q = query().grep_with(s, fixed);
            let plan = q.plan().unwrap();
            match &plan.stages[0] {
                crate::query::StageSpec::Grep { pattern, .. } => assert_eq!(pattern, s),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn odd_field_names_are_backquoted() {
        let q = query()
            .parse(Format::Json)
            .filter(col("by").eq("x").and(col("a b").gt(-3)));
        assert_eq!(
            q.text(),
            "parse json | where ((`by` == 'x') and (`a b` > (-3)))"
        );
        assert!(q.plan().is_ok());
    }
}
