//! Field names checked when a pipeline is prepared, so that a misspelled name is an error
//! with a hint instead of a plausible empty answer (`count by stauts` printing one group
//! with an empty key, `where stauts >= 500 | count` printing `0`).
//!
//! Where the names a stage sees are known before any line is read, every field an
//! expression names must be one of them:
//!
//! * after `parse` of an Apache or nginx format (presets included) or a regex: the
//!   format's fields;
//! * after `select`: the selected columns (`as` names included);
//! * after an aggregate: the table's columns (`by` columns, then the aggregates' names);
//! * after `parse auto`: the chosen format's fields, checked once it is chosen
//!   ([`check_resolved`]).
//!
//! JSON and logfmt lines name their own fields, so there a name can only be checked
//! against the records that came: see [`Unseen`], which reports a name no record had.
//!
//! Where the kind of value of a field is known too ([`FieldType`]: a format's fields are
//! typed by their directives, a `select` column by what it computes, an aggregate's column
//! by its function), a stage that cannot use it is refused at the field's column: `sum`,
//! `avg` or a percentile of a string, a string compared with a number (`where path > 3`),
//! arithmetic on a string. Where the kind is not known (JSON, logfmt, regex groups, values
//! before `parse`), values are taken as they come and those of no use are counted as
//! skipped, as before.

use std::collections::BTreeSet;

use super::expr::{Expr, FieldRef};
use super::{AggCall, AggFn, Column, Plan, QueryError, StageSpec};
use crate::agg::AggKind;
use crate::record::{FieldType, Record, Value};
use crate::stage::parse::{ParseSpec, Parser};

/// The names a finished aggregate table has, in order: its `by` columns, then a column per
/// aggregate, or, for a lone `distinct X` / `top N X`, `X` (and `count` for `top`): one row
/// per value.
pub fn table_columns(aggregates: &[AggCall], by: &[Column]) -> Vec<String> {
    let mut names: Vec<String> = by.iter().map(|c| c.name.clone()).collect();
    let expand =
        aggregates.len() == 1 && matches!(aggregates[0].function, AggFn::Distinct | AggFn::Top(_));
    if expand {
        let call = &aggregates[0];
        names.push(
            call.arg
                .as_ref()
                .map_or_else(|| call.name.clone(), |e| e.display_name(&call.name)),
        );
        if matches!(call.function, AggFn::Top(_)) {
            names.push("count".into());
        }
    } else {
        names.extend(aggregates.iter().map(|a| a.name.clone()));
    }
    names
}

/// The fields a stage sees, where known before reading: their names and kinds.
#[derive(Debug, Clone)]
pub struct Fields {
    pub names: Vec<String>,
    pub types: Vec<FieldType>,
}

impl Fields {
    /// Fields whose kinds are not known.
    pub fn untyped(names: Vec<String>) -> Fields {
        let types = vec![FieldType::Any; names.len()];
        Fields { names, types }
    }

    /// The fields a parser gives every record, where known before reading.
    pub fn of_parser(parser: &Parser) -> Option<Fields> {
        let names = parser.field_names()?.to_vec();
        let types = parser
            .field_types()
            .filter(|t| t.len() == names.len())
            .unwrap_or_else(|| vec![FieldType::Any; names.len()]);
        Some(Fields { names, types })
    }

    fn type_of(&self, name: &str) -> FieldType {
        self.names
            .iter()
            .position(|n| n == name)
            .map_or(FieldType::Any, |i| self.types[i])
    }
}

/// Check every field named in `plan` against the names (and kinds) known at its stage.
/// `parse auto` and the formats that name their own fields (JSON, logfmt) leave the names
/// unknown until the next `select` or aggregate.
pub fn check(text: &str, plan: &Plan) -> Result<(), QueryError> {
    walk(text, &plan.stages, None, &mut |spec| fixed_fields(spec))
}

/// Check `plan` again once every `parse auto` was resolved: `parsers` holds the fields of
/// the parser of each `parse` stage (`None`: a format without fixed names), in the order
/// the stages come (depth first: a `tee`'s branches after the stages before it).
pub fn check_resolved(plan: &Plan, parsers: &[Option<Fields>]) -> Result<(), QueryError> {
    let mut next = parsers.iter();
    walk(&plan.text, &plan.stages, None, &mut |_| {
        next.next().cloned().flatten()
    })
}

/// The fields a parser of `spec` gives every record, where they are known before reading.
fn fixed_fields(spec: &ParseSpec) -> Option<Fields> {
    match spec {
        ParseSpec::Auto => None,
        spec => Fields::of_parser(&Parser::new(spec).ok()?),
    }
}

fn walk(
    text: &str,
    stages: &[StageSpec],
    mut known: Option<Fields>,
    parse_fields: &mut dyn FnMut(&ParseSpec) -> Option<Fields>,
) -> Result<(), QueryError> {
    for stage in stages {
        match stage {
            StageSpec::Grep { .. } | StageSpec::Field { .. } | StageSpec::Head(_) => {}
            StageSpec::Parse(spec) => known = parse_fields(spec),
            StageSpec::Where(e) => check_expr(text, e, known.as_ref())?,
            StageSpec::Select(columns) => {
                for c in columns {
                    check_expr(text, &c.expr, known.as_ref())?;
                }
                known = Some(Fields {
                    names: columns.iter().map(|c| c.name.clone()).collect(),
                    types: columns
                        .iter()
                        .map(|c| type_of(&c.expr, known.as_ref()))
                        .collect(),
                });
            }
            StageSpec::Sort(keys) => {
                for k in keys {
                    check_expr(text, &k.expr, known.as_ref())?;
                }
            }
            StageSpec::Aggregate { aggregates, by } => {
                for a in aggregates {
                    if let Some(e) = &a.arg {
                        check_expr(text, e, known.as_ref())?;
                        check_aggregate(text, a, e, known.as_ref())?;
                    }
                }
                for c in by {
                    check_expr(text, &c.expr, known.as_ref())?;
                }
                known = Some(Fields {
                    names: table_columns(aggregates, by),
                    types: table_types(aggregates, by, known.as_ref()),
                });
            }
            StageSpec::Tee(branches) => {
                for b in branches {
                    walk(text, &b.stages, known.clone(), parse_fields)?;
                }
            }
        }
    }
    Ok(())
}

/// The kinds of [`table_columns`], in the same order.
fn table_types(aggregates: &[AggCall], by: &[Column], known: Option<&Fields>) -> Vec<FieldType> {
    let arg_type = |a: &AggCall| a.arg.as_ref().map_or(FieldType::Any, |e| type_of(e, known));
    let mut types: Vec<FieldType> = by.iter().map(|c| type_of(&c.expr, known)).collect();
    if aggregates.len() == 1 && aggregates[0].function.is_list() {
        types.push(arg_type(&aggregates[0]));
        if matches!(aggregates[0].function, AggFn::Top(_)) {
            types.push(FieldType::Number);
        }
        return types;
    }
    types.extend(aggregates.iter().map(|a| match a.function {
        AggFn::Simple(AggKind::Min | AggKind::Max) | AggFn::First | AggFn::Last => arg_type(a),
        AggFn::Simple(_) | AggFn::CountDistinct | AggFn::Percentile(_) => FieldType::Number,
        AggFn::Distinct | AggFn::Top(_) => FieldType::Any,
    }));
    types
}

/// The kind of value `e` gives, where known.
fn type_of(e: &Expr, known: Option<&Fields>) -> FieldType {
    match e {
        Expr::Field(r) => known.map_or(FieldType::Any, |k| k.type_of(&r.name)),
        Expr::Literal(Value::Int(_) | Value::Float(_)) => FieldType::Number,
        Expr::Literal(Value::Str(_)) => FieldType::Text,
        Expr::Literal(Value::Time(_)) => FieldType::Time,
        Expr::Arith(..) | Expr::Neg(_) => FieldType::Number,
        _ => FieldType::Any,
    }
}

/// The leftmost field `e` names, for the message's column.
fn field_of(e: &Expr) -> Option<&FieldRef> {
    let mut first: Option<&FieldRef> = None;
    e.visit_refs(&mut |r| {
        if first.is_none() {
            first = Some(r);
        }
    });
    first
}

/// `sum`, `avg` and percentiles need numbers: refuse a string.
fn check_aggregate(
    text: &str,
    call: &AggCall,
    arg: &Expr,
    known: Option<&Fields>,
) -> Result<(), QueryError> {
    let function = match call.function {
        AggFn::Simple(kind @ (AggKind::Sum | AggKind::Avg)) => kind.name().to_string(),
        AggFn::Percentile(q) => format!("the percentile p{q}"),
        _ => return Ok(()),
    };
    if type_of(arg, known) != FieldType::Text {
        return Ok(());
    }
    let column = field_of(arg).map_or(1, |r| r.column.max(1));
    let what = match arg {
        Expr::Field(r) => format!("`{}` is a string", r.name),
        _ => "this is a string".to_string(),
    };
    Err(QueryError::new(
        text,
        column,
        format!("{what} here, and {function} needs numbers (count it, or take its distinct values or top values)"),
    ))
}

/// Check the field names `e` uses against those known, and what it does with the fields
/// whose kind is known.
fn check_expr(text: &str, e: &Expr, known: Option<&Fields>) -> Result<(), QueryError> {
    let Some(known) = known else {
        return Ok(());
    };
    let mut unknown: Option<&FieldRef> = None;
    e.visit_refs(&mut |r| {
        if unknown.is_none() && !known.names.contains(&r.name) {
            unknown = Some(r);
        }
    });
    if let Some(r) = unknown {
        return Err(QueryError::new(
            text,
            r.column.max(1),
            unknown_message(&r.name, known.names.iter().map(String::as_str)),
        ));
    }
    check_types(text, e, known)
}

/// A string compared with a number, or in arithmetic, anywhere in `e`.
fn check_types(text: &str, e: &Expr, known: &Fields) -> Result<(), QueryError> {
    fn string_field<'e>(e: &'e Expr, known: &Fields) -> Option<&'e FieldRef> {
        match e {
            Expr::Field(r) if known.type_of(&r.name) == FieldType::Text => Some(r),
            _ => None,
        }
    }
    let refuse = |r: &FieldRef, what: &str| {
        Err(QueryError::new(
            text,
            r.column.max(1),
            format!("`{}` is a string here, {what}", r.name),
        ))
    };
    match e {
        Expr::Compare(a, _, b) => {
            let (ta, tb) = (type_of(a, Some(known)), type_of(b, Some(known)));
            if ta == FieldType::Text && tb == FieldType::Number {
                if let Some(r) = string_field(a, known) {
                    return refuse(
                        r,
                        "compared with a number (quote the number to compare text)",
                    );
                }
            }
            if tb == FieldType::Text && ta == FieldType::Number {
                if let Some(r) = string_field(b, known) {
                    return refuse(
                        r,
                        "compared with a number (quote the number to compare text)",
                    );
                }
            }
            check_types(text, a, known)?;
            check_types(text, b, known)
        }
        Expr::Arith(a, _, b) => {
            for side in [a, b] {
                if let Some(r) = string_field(side, known) {
                    return refuse(r, "and arithmetic needs numbers");
                }
                check_types(text, side, known)?;
            }
            Ok(())
        }
        Expr::Neg(a) => match string_field(a, known) {
            Some(r) => refuse(r, "and arithmetic needs numbers"),
            None => check_types(text, a, known),
        },
        Expr::Not(a) | Expr::Match(a, ..) | Expr::IsNull(a, _) => check_types(text, a, known),
        Expr::And(a, b) | Expr::Or(a, b) => {
            check_types(text, a, known)?;
            check_types(text, b, known)
        }
        Expr::In(a, list, _) => {
            check_types(text, a, known)?;
            list.iter().try_for_each(|x| check_types(text, x, known))
        }
        Expr::Call(_, args) => args.iter().try_for_each(|x| check_types(text, x, known)),
        Expr::Literal(_) | Expr::Field(_) => Ok(()),
    }
}

/// Names users reach for that a log format calls otherwise, with the name to suggest.
const SYNONYMS: &[(&str, &str)] = &[
    ("url", "path"),
    ("uri", "path"),
    ("ip", "host"),
    ("client", "host"),
    ("remote_addr", "host"),
    ("ua", "agent"),
    ("user_agent", "agent"),
    ("useragent", "agent"),
    ("size", "bytes"),
    ("body_bytes_sent", "bytes"),
    ("code", "status"),
    ("status_code", "status"),
    ("verb", "method"),
    ("referrer", "referer"),
    ("ts", "time"),
    ("timestamp", "time"),
    ("date", "time"),
    ("lvl", "level"),
    ("severity", "level"),
    ("msg", "message"),
    ("message", "msg"),
];

/// `unknown field `stauts` (did you mean `status`?); fields here: host, ident, …`.
fn unknown_message<'n>(name: &str, known: impl Iterator<Item = &'n str> + Clone) -> String {
    hint(
        format!("unknown field `{name}`"),
        name,
        "fields here",
        known,
    )
}

/// `WHAT (did you mean `a` or `b`?); LISTED: a, b, …`: what is wrong with `name`, the
/// nearest of `names` (if any is near), and the names.
fn hint<'n>(
    what: String,
    name: &str,
    listed: &str,
    names: impl Iterator<Item = &'n str> + Clone,
) -> String {
    let near = nearest(name, names.clone());
    let mut msg = what;
    if !near.is_empty() {
        let list: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
        msg.push_str(&format!(" (did you mean {}?)", list.join(" or ")));
    }
    msg.push_str(&format!("; {listed}: {}", listing(names)));
    msg
}

/// At most this many names are listed in a message; the rest are counted.
const LISTED: usize = 24;

/// The names, comma-separated, the first [`LISTED`] of them.
fn listing<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<&str> = names.collect();
    let mut out = names
        .iter()
        .take(LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED {
        out.push_str(&format!(", … ({} more)", names.len() - LISTED));
    }
    if names.is_empty() {
        out.push_str("(none)");
    }
    out
}

/// The known names closest to `name`: a small edit distance (typos, swapped letters), a
/// known synonym (`url` → `path`), or a column that has `name` as a word of it (`sum` →
/// `sum_bytes`). At most three, closest first.
fn nearest<'n>(name: &str, known: impl Iterator<Item = &'n str>) -> Vec<&'n str> {
    let lower = name.to_ascii_lowercase();
    let limit = (lower.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = Vec::new();
    for k in known {
        let kl = k.to_ascii_lowercase();
        let score = if kl == lower {
            Some(0)
        } else if SYNONYMS
            .iter()
            .any(|(from, to)| *from == lower && *to == kl)
        {
            Some(1)
        } else if kl.split(['_', '.']).any(|w| w == lower) {
            Some(2)
        } else {
            let d = strsim::damerau_levenshtein(&lower, &kl);
            (d <= limit).then_some(d + 1)
        };
        if let Some(s) = score {
            scored.push((s, k));
        }
    }
    scored.sort_by_key(|(s, _)| *s);
    let mut seen = BTreeSet::new();
    scored
        .into_iter()
        .filter(|(_, k)| seen.insert(*k))
        .map(|(_, k)| k)
        .take(3)
        .collect()
}

/// The fields that `stages` read from the records they are given, in the order written:
/// up to the first `select` or aggregate, whose own columns are what follows (`tee`
/// branches each read from the same records).
pub fn fields_read(stages: &[StageSpec]) -> Vec<String> {
    fn add(out: &mut Vec<String>, name: &str) {
        if !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut exprs: Vec<&Expr> = Vec::new();
    for stage in stages {
        match stage {
            StageSpec::Where(e) => exprs.push(e),
            StageSpec::Sort(keys) => exprs.extend(keys.iter().map(|k| &k.expr)),
            StageSpec::Select(columns) => {
                exprs.extend(columns.iter().map(|c| &c.expr));
                break;
            }
            StageSpec::Aggregate { aggregates, by } => {
                exprs.extend(aggregates.iter().filter_map(|a| a.arg.as_ref()));
                exprs.extend(by.iter().map(|c| &c.expr));
                break;
            }
            StageSpec::Tee(branches) => {
                for e in exprs.drain(..) {
                    e.visit_refs(&mut |r| add(&mut out, &r.name));
                }
                for b in branches {
                    for n in fields_read(&b.stages) {
                        add(&mut out, &n);
                    }
                }
                return out;
            }
            _ => {}
        }
    }
    for e in exprs {
        e.visit_refs(&mut |r| add(&mut out, &r.name));
    }
    out
}

/// The fields named by the stages that read records straight from a parser whose records
/// name their own fields (JSON, logfmt): those could not be checked before reading, so the
/// run watches whether any record has them, and at the end [`Unseen::report`] names the
/// ones none had, with the names that were seen.
#[derive(Debug, Clone, Default)]
pub struct Unseen {
    /// Names still not seen in any record.
    missing: Vec<String>,
    /// Names that the first records had (bounded), for the message.
    seen: BTreeSet<String>,
    /// Records looked at.
    records: u64,
    /// Whether [`Unseen::watch`] set the names.
    started: bool,
}

/// At most this many distinct seen names are kept for the message.
const SEEN_KEPT: usize = 64;
/// The names of this many first records are kept for the message; later records are only
/// checked for the missing names (a name absent from every record costs little per record).
const SEEN_RECORDS: u64 = 1000;

/// A field the pipeline names that no record had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnseenField {
    /// `field `levle` was in no record (did you mean `level`?); fields seen: …`.
    pub message: String,
    /// Whether a name that was seen is close to it: then it is most likely misspelled and
    /// the answer not the one asked for. Otherwise the field may just not occur in these
    /// logs (`where error is not null` on a good day).
    pub likely_typo: bool,
}

impl Unseen {
    /// Watch for the fields that `stages` (those after a parser whose records name their
    /// own fields) read from its records.
    pub fn for_stages(stages: &[StageSpec]) -> Unseen {
        Unseen {
            missing: fields_read(stages),
            started: true,
            ..Unseen::default()
        }
    }

    /// Start watching for `names` (once: later calls change nothing).
    pub fn watch(&mut self, names: &[String]) {
        if !self.started {
            self.started = true;
            self.missing = names.to_vec();
        }
    }

    /// Whether some name is still waiting to be seen (cheap: checked per record).
    #[inline]
    pub fn pending(&self) -> bool {
        !self.missing.is_empty()
    }

    /// Look at one record's field names.
    pub fn saw(&mut self, record: &Record<'_>) {
        self.records += 1;
        self.missing
            .retain(|m| !record.iter().any(|(n, _)| n == m.as_str()));
        if self.missing.is_empty() || self.records > SEEN_RECORDS {
            return;
        }
        for (n, _) in record.iter() {
            if self.seen.len() >= SEEN_KEPT {
                break;
            }
            if !self.seen.contains(n) {
                self.seen.insert(n.to_string());
            }
        }
    }

    /// Combine what another part of the run (a thread, a file) saw.
    pub fn merge(&mut self, other: &Unseen) {
        if other.records == 0 {
            return;
        }
        if self.records > 0 {
            self.missing.retain(|m| other.missing.contains(m));
        } else {
            self.missing = other.missing.clone();
        }
        self.records += other.records;
        for n in &other.seen {
            if self.seen.len() >= SEEN_KEPT {
                break;
            }
            self.seen.insert(n.clone());
        }
    }

    /// The names no record had, once records were read.
    pub fn report(&self) -> Vec<UnseenField> {
        if self.records == 0 {
            return Vec::new();
        }
        self.missing
            .iter()
            .map(|m| {
                let seen = self.seen.iter().map(String::as_str);
                UnseenField {
                    likely_typo: !nearest(m, seen.clone()).is_empty(),
                    message: hint(
                        format!("field `{m}` was in no record"),
                        m,
                        "fields seen",
                        seen,
                    ),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_of(text: &str) -> QueryError {
        match super::super::parse(text) {
            Ok(_) => panic!("`{text}` was accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn misspelled_field_points_at_it_and_suggests() {
        let e = err_of("parse combined | count by stauts");
        assert_eq!(e.column, 27, "{e}");
        assert!(
            e.message
                .starts_with("unknown field `stauts` (did you mean `status`?); fields here: host"),
            "{}",
            e.message
        );
        let e = err_of("parse combined | where stauts >= 500 | count");
        assert_eq!(e.column, 24);
        assert!(
            e.message.contains("did you mean `status`?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn synonyms_and_table_columns() {
        let e = err_of("parse combined | top 10 url");
        assert!(e.message.contains("did you mean `path`?"), "{}", e.message);
        let e = err_of("parse combined | sum bytes by host | sort -sum");
        assert_eq!(e.column, 44);
        assert!(
            e.message
                .contains("(did you mean `sum_bytes`?); fields here: host, sum_bytes"),
            "{}",
            e.message
        );
        // Renamed columns are the names that follow.
        assert!(super::super::parse("parse common | count as n by host | where n > 1").is_ok());
        let e = err_of("parse common | count as n by host | where count > 1");
        assert!(e.message.contains("fields here: host, n"), "{}", e.message);
        let e = err_of("parse common | select host as h | where host == 'x'");
        assert!(e.message.ends_with("fields here: h"), "{}", e.message);
        // A lone top gives the value's column and `count`.
        assert!(super::super::parse("parse common | top 3 path | sort count desc").is_ok());
        // Inside tee branches too.
        let e = err_of("parse common | tee (count by host) (count by stauts)");
        assert!(e.message.contains("`stauts`"), "{}", e.message);
    }

    #[test]
    fn a_string_field_used_as_a_number_points_at_its_column() {
        for (text, name) in [
            ("parse combined | sum path", "path"),
            ("parse common | avg host by status", "host"),
            ("parse combined | p90 agent", "agent"),
            ("parse combined | where path > 3 | count", "path"),
            ("parse combined | where 3 <= referer | count", "referer"),
            ("parse combined | where -path == 1 | count", "path"),
            ("parse combined | select path as page | sum page", "page"),
            ("parse combined | first path as f by host | avg f", "f"),
            ("parse nginx | tee (count) (sum path)", "path"),
        ] {
            let e = err_of(text);
            let at = text.rfind(name).unwrap() + 1;
            assert_eq!(e.column, at, "{text}: {e}");
            assert!(
                e.message.starts_with(&format!("`{name}` is a string here")),
                "{text}: {}",
                e.message
            );
        }
    }

    #[test]
    fn numbers_times_and_unknown_kinds_are_not_refused() {
        for text in [
            "parse combined | sum bytes by path",
            "parse combined | where status >= 400 and path == '/x' | count",
            "parse combined | min path, max time, first agent by host",
            "parse combined | count by path | where count > 1",
            "parse combined | select bytes * 2 as b | sum b",
            "parse combined | top 3 path | sum count",
            "parse json | sum path",
            "parse logfmt | where msg > 3 | count",
            r"parse regex '(?P<w>\S+)' | sum w",
            "field 7 | sum",
        ] {
            assert!(super::super::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn dynamic_formats_are_not_checked_before_reading() {
        for text in [
            "parse json | count by anything",
            "parse logfmt | where x > 1 | count",
            "parse auto | count by whatever",
        ] {
            assert!(super::super::parse(text).is_ok(), "{text}");
        }
        // A regex names its groups.
        let e = err_of("parse regex '(?P<a>\\d+) (?P<b>\\w+)' | sum c");
        assert!(e.message.contains("fields here: a, b"), "{}", e.message);
    }

    fn record(names: &[&'static str]) -> Record<'static> {
        let mut r = Record::new();
        for n in names {
            r.push(std::borrow::Cow::Borrowed(*n), crate::record::Value::Int(1));
        }
        r
    }

    #[test]
    fn unseen_names_are_reported_with_the_seen_ones() {
        let plan = super::super::parse(
            "parse json | where stauts >= 500 and error is null | count by service",
        )
        .expect("plan");
        let mut u = Unseen::for_stages(&plan.stages[1..]);
        assert!(u.pending());
        u.saw(&record(&["status", "service"]));
        u.saw(&record(&["status", "service", "level"]));
        assert_eq!(
            u.report(),
            vec![
                UnseenField {
                    message: "field `stauts` was in no record (did you mean `status`?); fields seen: level, service, status".into(),
                    likely_typo: true,
                },
                UnseenField {
                    message: "field `error` was in no record; fields seen: level, service, status".into(),
                    likely_typo: false,
                },
            ]
        );
        let mut none = Unseen::for_stages(&plan.stages[1..]);
        assert!(none.report().is_empty(), "nothing read, nothing to say");
        none.merge(&u);
        assert_eq!(none.report().len(), 2);
        let mut other = Unseen::for_stages(&plan.stages[1..]);
        other.saw(&record(&["stauts"]));
        none.merge(&other);
        assert_eq!(none.report().len(), 1, "one part saw it");
    }
}
