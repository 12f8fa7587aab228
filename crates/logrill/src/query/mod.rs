//! The pipeline language: text → a [`Plan`], with errors that point at the column.
//!
//! ```text
//! pipeline := stage ('|' stage)*
//! stage    := grep [-i] [-v] [-F] PATTERN        keep matching lines
//!           | field [-d DELIM] N                 the N-th field of the line
//!           | head N                             the first N values, then stop
//!           | parse FORMAT                       lines into records
//!           | where EXPR                         keep records EXPR holds for
//!           | select COLUMN (',' COLUMN)*        COLUMN := EXPR ['as' NAME]
//!           | sort KEY (',' KEY)*                KEY := EXPR ['asc'|'desc']
//!           | AGGREGATE (',' AGGREGATE)* ['by' COLUMN (',' COLUMN)*]
//!           | tee '(' pipeline ')' ...           (alias broadcast) several pipelines, one pass
//! AGGREGATE := count | sum X | min X | max X | avg X | distinct X | count_distinct X
//!           | p50 X | p90 X | p95 X | p99 X | percentile(X, Q) | top N X | first X | last X
//!           ['as' NAME]
//! ```
//!
//! Stages are split at each `|` outside quotes and parentheses. Words are separated by
//! blanks; `'single quotes'` take everything literally; in `"double quotes"` only `\"` and
//! `\\` are escapes (so a regex such as `"ply-.*\.gz"` keeps its backslash).
//!
//! Before `parse`, the value flowing through is a line (or a field of it), and an aggregate
//! without an argument (`sum`) aggregates that value, as in the seed. After `parse`, values
//! are records and aggregates name what they aggregate (`sum bytes`).

pub mod expr;
mod lex;
pub mod names;

use crate::agg::AggKind;
use crate::stage::parse::ParseSpec;
use crate::stage::GrepOptions;

pub use expr::Expr;
pub use lex::{tokenize, tokenize_range, Token};

pub use crate::error::QueryError;

/// An expression with the name its column gets.
#[derive(Debug, Clone)]
pub struct Column {
    pub expr: Expr,
    pub name: String,
}

/// A sort key.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
}

pub use crate::agg::AggFn;

/// One aggregate of an aggregate stage.
#[derive(Debug, Clone)]
pub struct AggCall {
    pub function: AggFn,
    /// What is aggregated; `None`: the current value (before `parse`), or nothing (`count`).
    pub arg: Option<Expr>,
    /// The result column's name (`count`, `sum_bytes`, or what `as` says).
    pub name: String,
}

/// One stage.
#[derive(Debug, Clone)]
pub enum StageSpec {
    /// `grep [-i] [-v] [-F] PATTERN`
    Grep {
        pattern: String,
        options: GrepOptions,
    },
    /// `field [-d DELIM] N`
    Field {
        index: i64,
        delimiter: Option<String>,
    },
    /// `head N`
    Head(u64),
    /// `parse FORMAT`
    Parse(ParseSpec),
    /// `where EXPR`
    Where(Expr),
    /// `select COLUMNS`
    Select(Vec<Column>),
    /// `sort KEYS`
    Sort(Vec<SortKey>),
    /// `AGGREGATES [by COLUMNS]`
    Aggregate {
        aggregates: Vec<AggCall>,
        by: Vec<Column>,
    },
    /// `tee (PIPELINE) (PIPELINE) …`
    Tee(Vec<Plan>),
}

impl StageSpec {
    fn name(&self) -> &'static str {
        match self {
            StageSpec::Grep { .. } => "grep",
            StageSpec::Field { .. } => "field",
            StageSpec::Head(_) => "head",
            StageSpec::Parse(_) => "parse",
            StageSpec::Where(_) => "where",
            StageSpec::Select(_) => "select",
            StageSpec::Sort(_) => "sort",
            StageSpec::Aggregate { .. } => "an aggregate",
            StageSpec::Tee(_) => "tee",
        }
    }
}

/// What the pipeline ends in (derived from its stages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// The values themselves are the output (lines, or fields of them).
    Values,
    /// A single aggregate of the current value, printed as a bare number (the seed's
    /// `sum`), with no parse and no grouping.
    Aggregate(AggKind),
    /// Records (after `parse`), or the rows of a table (after an aggregate with names or
    /// groups).
    Rows,
    /// Several branches (`tee`).
    Branches,
}

/// A parsed pipeline.
#[derive(Debug, Clone)]
pub struct Plan {
    pub stages: Vec<StageSpec>,
    pub terminal: Terminal,
    /// The pipeline's text (a `tee` branch's heading).
    pub text: String,
    /// Where each stage starts in the whole text (0-based characters), for messages.
    starts: Vec<usize>,
}

impl Plan {
    /// Whether the pipeline only filters and maps (no aggregate, no tee): then "nothing came
    /// out" is worth an exit status of its own, as with grep.
    pub fn is_filter(&self) -> bool {
        matches!(self.terminal, Terminal::Values | Terminal::Rows)
            && !self
                .stages
                .iter()
                .any(|s| matches!(s, StageSpec::Aggregate { .. }))
    }

    /// A plan built by hand from stages (for the library's builder), checked like a parsed
    /// one.
    pub fn from_stages(stages: Vec<StageSpec>) -> Result<Plan, QueryError> {
        let starts = vec![0; stages.len()];
        check(
            "",
            Plan {
                stages,
                terminal: Terminal::Values,
                text: String::new(),
                starts,
            },
            Phase::Values,
        )
    }

    /// Whether the pipeline has a `parse` stage.
    pub fn parses(&self) -> bool {
        self.stages.iter().any(|s| matches!(s, StageSpec::Parse(_)))
    }
}

/// The stage names, for messages and help.
pub const STAGES: &[&str] = &[
    "grep",
    "field",
    "head",
    "parse",
    "where",
    "select",
    "sort",
    "tee",
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "distinct",
    "count_distinct",
    "p50",
    "p90",
    "p95",
    "p99",
    "percentile",
    "top",
    "first",
    "last",
];

/// Parse a pipeline.
pub fn parse(text: &str) -> Result<Plan, QueryError> {
    let chars = text.chars().count();
    if text.trim().is_empty() {
        return Err(QueryError::new(
            text,
            1,
            "empty pipeline: give at least one stage",
        ));
    }
    let plan = parse_range(text, 0, chars)?;
    let plan = check(text, plan, Phase::Values)?;
    names::check(text, &plan)?;
    Ok(plan)
}

/// Parse characters `start..end` of `text` as a pipeline.
fn parse_range(text: &str, start: usize, end: usize) -> Result<Plan, QueryError> {
    let ranges = split_stages(text, start, end)?;
    let mut stages = Vec::new();
    let mut starts = Vec::new();
    for (from, to) in ranges {
        stages.push(parse_stage(text, from, to)?);
        let first = text
            .chars()
            .skip(from)
            .take_while(|c| c.is_whitespace())
            .count();
        starts.push(from + first);
    }
    Ok(Plan {
        stages,
        terminal: Terminal::Values,
        text: text
            .chars()
            .skip(start)
            .take(end - start)
            .collect::<String>()
            .trim()
            .to_string(),
        starts,
    })
}

/// What the values flowing between stages are.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Phase {
    Values,
    Records,
    Rows,
}

/// Work out what the stages produce, and refuse orders that make no sense.
fn check(text: &str, plan: Plan, start: Phase) -> Result<Plan, QueryError> {
    let Plan {
        mut stages,
        starts,
        text: own_text,
        ..
    } = plan;
    let mut phase = start;
    let mut terminal = if phase == Phase::Values {
        Terminal::Values
    } else {
        Terminal::Rows
    };
    for (i, stage) in stages.iter_mut().enumerate() {
        let err = |m: String| Err(QueryError::new(text, starts[i] + 1, m));
        if terminal == Terminal::Branches {
            return err("no stage may follow `tee`: put it inside each branch".into());
        }
        if let Terminal::Aggregate(kind) = terminal {
            return err(format!(
                "no stage may follow `{}` of the current value (it ends the pipeline); \
                 name what to aggregate after `parse` to go on with a table",
                kind.name()
            ));
        }
        match stage {
            StageSpec::Grep { .. } | StageSpec::Head(_) => {}
            StageSpec::Field { .. } if phase == Phase::Values => {}
            StageSpec::Field { .. } => {
                return err("`field` takes fields of lines; after `parse`, use `select`".into())
            }
            StageSpec::Parse(_) if phase == Phase::Values => phase = Phase::Records,
            StageSpec::Parse(_) => return err("`parse` may appear only once".into()),
            StageSpec::Where(_) | StageSpec::Select(_) | StageSpec::Sort(_)
                if phase == Phase::Values =>
            {
                return err(format!(
                    "`{}` works on records: put `parse FORMAT` before it",
                    stage.name()
                ))
            }
            StageSpec::Where(_) | StageSpec::Select(_) | StageSpec::Sort(_) => {}
            StageSpec::Aggregate { aggregates, by } => {
                let seed_form = phase == Phase::Values
                    && by.is_empty()
                    && aggregates.len() == 1
                    && aggregates[0].arg.is_none()
                    && matches!(aggregates[0].function, AggFn::Simple(_));
                if seed_form {
                    if let AggFn::Simple(kind) = aggregates[0].function {
                        terminal = Terminal::Aggregate(kind);
                    }
                    continue;
                }
                if phase == Phase::Values {
                    let named = aggregates.iter().any(|a| a.arg.is_some()) || !by.is_empty();
                    if named {
                        return err(
                            "aggregates by field need records: put `parse FORMAT` first".into()
                        );
                    }
                }
                phase = Phase::Rows;
            }
            StageSpec::Tee(branches) => {
                let unchecked = std::mem::take(branches);
                for b in unchecked {
                    branches.push(check(text, b, phase)?);
                }
                terminal = Terminal::Branches;
                continue;
            }
        }
        terminal = if phase == Phase::Values {
            Terminal::Values
        } else {
            Terminal::Rows
        };
    }
    Ok(Plan {
        stages,
        terminal,
        text: own_text,
        starts,
    })
}

/// How deep parentheses (and `not` / `-` before an expression) may nest. The parser and
/// the evaluator recurse once per level, so without a bound a long enough pipeline (some
/// thousands of `(`) would overflow the stack and abort; no real question needs more.
pub const MAX_NESTING: usize = 100;

/// Split characters `start..end` at each `|` outside quotes and parentheses.
fn split_stages(text: &str, start: usize, end: usize) -> Result<Vec<(usize, usize)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut depth: Vec<usize> = Vec::new();
    let mut quote: Option<(char, usize)> = None;
    let mut from = start;
    let mut i = start;
    while i < end {
        let c = chars[i];
        match quote {
            Some((q, _)) => {
                if q == '"' && c == '\\' && i + 1 < end {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some((c, i)),
                '(' => {
                    depth.push(i);
                    if depth.len() > MAX_NESTING {
                        return Err(QueryError::new(
                            text,
                            i + 1,
                            format!("parentheses nested more than {MAX_NESTING} deep"),
                        ));
                    }
                }
                ')' if depth.pop().is_none() => {
                    return Err(QueryError::new(text, i + 1, "`)` without `(`"));
                }
                '|' if depth.is_empty() => {
                    out.push(check_nonempty(text, &chars, from, i, i)?);
                    from = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if let Some((q, at)) = quote {
        return Err(QueryError::new(text, at + 1, format!("unclosed {q}")));
    }
    if let Some(at) = depth.pop() {
        return Err(QueryError::new(text, at + 1, "`(` without `)`"));
    }
    out.push(check_nonempty(text, &chars, from, end, end)?);
    Ok(out)
}

fn check_nonempty(
    text: &str,
    chars: &[char],
    from: usize,
    to: usize,
    bar: usize,
) -> Result<(usize, usize), QueryError> {
    if chars[from..to].iter().all(|c| c.is_whitespace()) {
        return Err(QueryError::new(
            text,
            bar.min(chars.len()) + 1,
            "empty stage: expected a stage name",
        ));
    }
    Ok((from, to))
}

/// A cursor over the characters of one stage.
struct Cursor<'t> {
    text: &'t str,
    chars: Vec<char>,
    pos: usize,
    end: usize,
}

impl Cursor<'_> {
    fn skip_blanks(&mut self) {
        while self.pos < self.end && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn at_end(&mut self) -> bool {
        self.skip_blanks();
        self.pos >= self.end
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_blanks();
        (self.pos < self.end).then(|| self.chars[self.pos])
    }

    /// The next word of letters, digits and `_` (not consumed).
    fn peek_word(&mut self) -> Option<(String, usize)> {
        self.skip_blanks();
        let mut j = self.pos;
        while j < self.end && (self.chars[j].is_alphanumeric() || self.chars[j] == '_') {
            j += 1;
        }
        (j > self.pos).then(|| (self.chars[self.pos..j].iter().collect(), j))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        match self.peek_word() {
            Some((word, j)) if word.eq_ignore_ascii_case(w) => {
                self.pos = j;
                true
            }
            _ => false,
        }
    }

    fn eat_char(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err(&self, at: usize, m: impl Into<String>) -> QueryError {
        QueryError::new(self.text, at + 1, m)
    }

    /// An expression up to a top-level `,`, the end, or one of `stop`.
    fn expr(&mut self, stop: &[&str]) -> Result<Expr, QueryError> {
        self.skip_blanks();
        if self.pos >= self.end {
            return Err(self.err(self.pos, "expected an expression"));
        }
        let (e, used) = expr::parse_prefix(self.text, self.pos, self.end, stop)?;
        if used == 0 {
            return Err(self.err(self.pos, "expected an expression"));
        }
        self.pos += used;
        Ok(e)
    }

    /// The source text of `from..self.pos`, trimmed: a column's default name.
    fn source(&self, from: usize) -> String {
        self.chars[from..self.pos]
            .iter()
            .collect::<String>()
            .trim()
            .to_string()
    }

    /// `as NAME`, if there.
    fn alias(&mut self) -> Result<Option<String>, QueryError> {
        if !self.eat_word("as") {
            return Ok(None);
        }
        match self.peek_word() {
            Some((w, j)) => {
                self.pos = j;
                Ok(Some(w))
            }
            None => Err(self.err(self.pos, "expected a name after `as`")),
        }
    }

    /// `COLUMN (',' COLUMN)*` up to the end.
    fn columns(&mut self) -> Result<Vec<Column>, QueryError> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            let from = self.pos;
            let expr = self.expr(&["as"])?;
            let source = self.source(from);
            let name = self.alias()?.unwrap_or_else(|| expr.display_name(&source));
            out.push(Column { expr, name });
            if !self.eat_char(',') {
                break;
            }
        }
        if !self.at_end() {
            return Err(self.err(self.pos, "expected `,` or the end of the stage"));
        }
        Ok(out)
    }
}

fn parse_stage(text: &str, start: usize, end: usize) -> Result<StageSpec, QueryError> {
    let mut cur = Cursor {
        text,
        chars: text.chars().collect(),
        pos: start,
        end,
    };
    cur.skip_blanks();
    let name_at = cur.pos;
    let Some((name, after)) = cur.peek_word() else {
        return Err(cur.err(name_at, "expected a stage name"));
    };
    match name.as_str() {
        "grep" | "field" | "head" | "parse" => {
            let tokens = tokenize_range(text, start, end)?;
            let head = &tokens[0];
            let args = &tokens[1..];
            match name.as_str() {
                "grep" => parse_grep(text, head, args),
                "field" => parse_field(text, head, args),
                "head" => {
                    let [n] = args else {
                        return Err(arity(text, head, args, "head N"));
                    };
                    let count = n.text.parse::<u64>().map_err(|_| {
                        QueryError::new(text, n.column, "head needs a whole number of values")
                    })?;
                    Ok(StageSpec::Head(count))
                }
                _ => parse_parse(text, head, args),
            }
        }
        "where" => {
            cur.pos = after;
            let e = cur.expr(&[])?;
            if !cur.at_end() {
                return Err(cur.err(cur.pos, "unexpected text after the condition"));
            }
            Ok(StageSpec::Where(e))
        }
        "select" => {
            cur.pos = after;
            Ok(StageSpec::Select(cur.columns()?))
        }
        "sort" => {
            cur.pos = after;
            let mut keys = Vec::new();
            loop {
                let expr = cur.expr(&["asc", "desc"])?;
                let descending = if cur.eat_word("desc") {
                    true
                } else {
                    cur.eat_word("asc");
                    false
                };
                keys.push(SortKey { expr, descending });
                if !cur.eat_char(',') {
                    break;
                }
            }
            if !cur.at_end() {
                return Err(cur.err(cur.pos, "expected `,`, `asc`, `desc` or the end"));
            }
            Ok(StageSpec::Sort(keys))
        }
        "tee" | "broadcast" => {
            cur.pos = after;
            let mut branches = Vec::new();
            while !cur.at_end() {
                let open = cur.pos;
                if !cur.eat_char('(') {
                    return Err(cur.err(open, "expected `(` starting a branch"));
                }
                let close = matching_paren(&cur.chars, open, end)
                    .ok_or_else(|| cur.err(open, "`(` without `)`"))?;
                if cur.chars[open + 1..close].iter().all(|c| c.is_whitespace()) {
                    return Err(cur.err(open, "empty branch"));
                }
                branches.push(parse_range(text, open + 1, close)?);
                cur.pos = close + 1;
            }
            if branches.is_empty() {
                return Err(cur.err(name_at, "tee needs at least one branch: tee (…) (…)"));
            }
            Ok(StageSpec::Tee(branches))
        }
        _ if is_aggregate(&name) => parse_aggregates(&mut cur),
        _ => Err(cur.err(
            name_at,
            format!("unknown stage `{name}` (stages: {})", STAGES.join(", ")),
        )),
    }
}

fn matching_paren(chars: &[char], open: usize, end: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote = None;
    let mut i = open;
    while i < end {
        let c = chars[i];
        match quote {
            Some(q) => {
                if q == '"' && c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

fn is_aggregate(name: &str) -> bool {
    AggKind::from_name(name).is_some()
        || matches!(
            name,
            "distinct"
                | "count_distinct"
                | "p50"
                | "p90"
                | "p95"
                | "p99"
                | "percentile"
                | "top"
                | "first"
                | "last"
        )
}

fn parse_aggregates(cur: &mut Cursor<'_>) -> Result<StageSpec, QueryError> {
    let mut aggregates = Vec::new();
    loop {
        cur.skip_blanks();
        let at = cur.pos;
        let Some((name, after)) = cur.peek_word() else {
            return Err(cur.err(at, "expected an aggregate (count, sum X, …)"));
        };
        if !is_aggregate(&name) {
            return Err(cur.err(at, format!("`{name}` is not an aggregate")));
        }
        cur.pos = after;
        let ends_here = |cur: &mut Cursor<'_>| {
            cur.at_end()
                || cur.peek() == Some(',')
                || cur.peek_word().is_some_and(|(w, _)| w == "by" || w == "as")
        };
        let (function, arg) = match name.as_str() {
            "percentile" => {
                if !cur.eat_char('(') {
                    return Err(cur.err(cur.pos, "usage: percentile(FIELD, Q)"));
                }
                let close = matching_paren(&cur.chars, cur.pos - 1, cur.end)
                    .ok_or_else(|| cur.err(at, "`(` without `)`"))?;
                let inner_end = cur.end;
                cur.end = close;
                let arg = cur.expr(&[])?;
                if !cur.eat_char(',') {
                    return Err(cur.err(cur.pos, "usage: percentile(FIELD, Q)"));
                }
                let q_at = cur.pos;
                let q = cur.expr(&[])?;
                cur.end = inner_end;
                cur.pos = close + 1;
                let q = match q {
                    Expr::Literal(v) => v.as_f64(),
                    _ => None,
                }
                .filter(|q| (0.0..=100.0).contains(q))
                .ok_or_else(|| cur.err(q_at, "the percentile must be a number from 0 to 100"))?;
                (AggFn::Percentile(q), Some(arg))
            }
            "top" => {
                cur.skip_blanks();
                let n_at = cur.pos;
                let Some((n, j)) = cur.peek_word() else {
                    return Err(cur.err(n_at, "usage: top N FIELD"));
                };
                let n: usize = n
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| cur.err(n_at, "top needs a count: top 10 path"))?;
                cur.pos = j;
                (AggFn::Top(n), Some(cur.expr(&["by", "as"])?))
            }
            _ => {
                let function = match name.as_str() {
                    "distinct" => AggFn::Distinct,
                    "count_distinct" => AggFn::CountDistinct,
                    "p50" => AggFn::Percentile(50.0),
                    "p90" => AggFn::Percentile(90.0),
                    "p95" => AggFn::Percentile(95.0),
                    "p99" => AggFn::Percentile(99.0),
                    "first" => AggFn::First,
                    "last" => AggFn::Last,
                    simple => match AggKind::from_name(simple) {
                        Some(k) => AggFn::Simple(k),
                        None => return Err(cur.err(at, format!("`{name}` is not an aggregate"))),
                    },
                };
                let arg = if ends_here(cur) {
                    None
                } else {
                    Some(cur.expr(&["by", "as"])?)
                };
                if arg.is_none() && !matches!(function, AggFn::Simple(_)) {
                    return Err(cur.err(cur.pos, format!("`{name}` needs a field: {name} FIELD")));
                }
                (function, arg)
            }
        };
        let source = cur.source(at);
        let name = match cur.alias()? {
            Some(alias) => alias,
            None => default_agg_name(&name, &source),
        };
        aggregates.push(AggCall {
            function,
            arg,
            name,
        });
        if !cur.eat_char(',') {
            break;
        }
    }
    let mut by = Vec::new();
    if cur.eat_word("by") {
        by = cur.columns()?;
    } else if !cur.at_end() {
        return Err(cur.err(cur.pos, "expected `,`, `by`, `as` or the end of the stage"));
    }
    Ok(StageSpec::Aggregate { aggregates, by })
}

/// `count` → `count`; `sum bytes` → `sum_bytes`; `p99 duration` → `p99_duration`;
/// `top 5 path` → `top_path`; other expressions keep their text.
fn default_agg_name(name: &str, source: &str) -> String {
    let rest = source[name.len().min(source.len())..].trim();
    let rest = if name == "top" {
        rest.split_once(char::is_whitespace)
            .map_or("", |x| x.1)
            .trim()
    } else {
        rest
    };
    if rest.is_empty() {
        name.to_string()
    } else if rest
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        format!("{name}_{rest}")
    } else {
        format!("{name} {rest}")
    }
}

fn arity(text: &str, head: &Token, args: &[Token], usage: &str) -> QueryError {
    let column = args.get(1).map_or(head.column, |t| t.column);
    let what = if args.is_empty() {
        "is missing its argument"
    } else {
        "has too many arguments"
    };
    QueryError::new(
        text,
        column,
        format!("`{}` {what}: usage `{usage}`", head.text),
    )
}

fn parse_parse(text: &str, head: &Token, args: &[Token]) -> Result<StageSpec, QueryError> {
    let words: Vec<&str> = args.iter().map(|t| t.text.as_str()).collect();
    let spec = ParseSpec::from_words(&words).map_err(|e| {
        // Point into the pipeline: at the format word, plus the column inside the format.
        let word = args
            .iter()
            .rev()
            .find(|t| t.text == e.format)
            .or(args.last());
        let column = match word {
            Some(t) => t.column + usize::from(t.quoted) + e.column.saturating_sub(1),
            None => head.column,
        };
        QueryError::new(text, column, format!("parse: {}", e.message))
    })?;
    // Build it now (without input), so a bad format is reported before anything is read.
    if spec != ParseSpec::Auto {
        if let Err(e) = crate::stage::parse::Parser::new(&spec) {
            let word = args.last();
            let column = match word {
                Some(t) => t.column + usize::from(t.quoted) + e.column.saturating_sub(1),
                None => head.column,
            };
            return Err(QueryError::new(
                text,
                column,
                format!("parse: {}", e.message),
            ));
        }
    }
    Ok(StageSpec::Parse(spec))
}

fn parse_grep(text: &str, head: &Token, args: &[Token]) -> Result<StageSpec, QueryError> {
    let mut options = GrepOptions::default();
    let mut rest = args;
    while let Some(t) = rest.first() {
        if t.quoted || !t.text.starts_with('-') || t.text == "-" {
            break;
        }
        rest = &rest[1..];
        if t.text == "--" {
            break;
        }
        for (i, flag) in t.text.chars().skip(1).enumerate() {
            match flag {
                'i' => options.ignore_case = true,
                'v' => options.invert = true,
                'F' => options.fixed = true,
                _ => {
                    return Err(QueryError::new(
                        text,
                        t.column + 1 + i,
                        format!("grep has no flag -{flag} (flags: -i, -v, -F)"),
                    ))
                }
            }
        }
    }
    let [pattern] = rest else {
        return Err(arity(text, head, rest, "grep [-i] [-v] [-F] PATTERN"));
    };
    // Compile now, so a bad regex is reported before any input is read.
    if let Err(e) = crate::stage::Grep::new(&pattern.text, options) {
        let first = e.to_string();
        let first = first.lines().last().unwrap_or("").trim().to_string();
        return Err(QueryError::new(
            text,
            pattern.column,
            format!("bad regular expression: {first}"),
        ));
    }
    Ok(StageSpec::Grep {
        pattern: pattern.text.clone(),
        options,
    })
}

fn parse_field(text: &str, head: &Token, args: &[Token]) -> Result<StageSpec, QueryError> {
    let mut delimiter = None;
    let mut rest = args;
    if let Some(t) = rest.first() {
        if !t.quoted && t.text.starts_with("-d") {
            if t.text.len() > 2 {
                delimiter = Some(t.text[2..].to_string());
                rest = &rest[1..];
            } else if let Some(d) = rest.get(1) {
                delimiter = Some(d.text.clone());
                rest = &rest[2..];
            } else {
                return Err(QueryError::new(text, t.column, "-d needs a delimiter"));
            }
            if delimiter.as_deref() == Some("") {
                return Err(QueryError::new(text, t.column, "the delimiter is empty"));
            }
        }
    }
    let [n] = rest else {
        return Err(arity(text, head, rest, "field [-d DELIM] N"));
    };
    match n.text.parse::<i64>() {
        Ok(0) => Err(QueryError::new(
            text,
            n.column,
            "fields count from 1 (or from -1 at the end); there is no field 0",
        )),
        Ok(index) => Ok(StageSpec::Field { index, delimiter }),
        Err(_) => Err(QueryError::new(
            text,
            n.column,
            format!(
                "field needs a field number such as 1 or -1, not `{}`",
                n.text
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
