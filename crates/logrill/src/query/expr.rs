//! Expressions: what `where` filters on, what `by` groups on, what `select` computes.
//!
//! ```text
//! expr    := or
//! or      := and ('or' and)*
//! and     := not ('and' not)*
//! not     := 'not' not | compare
//! compare := sum [ ('=='|'!='|'<'|'<='|'>'|'>=') sum
//!                | ('~'|'!~') STRING
//!                | ['not'] 'in' '(' expr (',' expr)* ')'
//!                | 'is' ['not'] 'null' ]
//! sum     := product (('+'|'-') product)*
//! product := unary (('*'|'/'|'%') unary)*
//! unary   := '-' unary | atom
//! atom    := NUMBER | STRING | TIME | DURATION | 'true' | 'false' | 'null'
//!          | FIELD | FUNCTION '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//!
//! Fields are names such as `status`, `a.b` (nested JSON keys) or `` `odd name` ``.
//! Times are written as RFC 3339 (`2023-10-01T00:00:00Z`, or a bare date `2023-10-01`);
//! durations as `500ms`, `5m`, `1h`, `1d`. Comparisons are typed: numbers compare as
//! numbers (a string that holds a number, such as a JSON `"404"`, counts as one), times as
//! instants, strings as bytes; anything compared with null is false, except `is null`.

use std::borrow::Cow;

use regex::bytes::Regex;

use super::QueryError;
use crate::agg::Number;
use crate::record::order::number;
pub use crate::record::order::{order, time_of_text};
use crate::record::{parse_iso8601, Record, Schema, Timestamp, Value};

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Literal(Value<'static>),
    Field(FieldRef),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare(Box<Expr>, CmpOp, Box<Expr>),
    Match(Box<Expr>, Regex, bool),
    In(Box<Expr>, Vec<Expr>, bool),
    IsNull(Box<Expr>, bool),
    Arith(Box<Expr>, ArithOp, Box<Expr>),
    Neg(Box<Expr>),
    Call(Function, Vec<Expr>),
}

/// A field named in an expression. Two refs are equal when they name the same field,
/// wherever they were written and whatever their binding.
#[derive(Debug, Clone)]
pub struct FieldRef {
    pub name: String,
    /// Where the field is in records of a known schema (see [`Expr::bind`]).
    pub slot: BoundSlot,
    /// 1-based column of the name in the pipeline text, for messages (0: not written in
    /// a pipeline text).
    pub column: usize,
}

impl FieldRef {
    /// A field looked up by name.
    pub fn new(name: impl Into<String>) -> FieldRef {
        FieldRef {
            name: name.into(),
            slot: BoundSlot::default(),
            column: 0,
        }
    }

    /// A field written at `column` of a pipeline text.
    pub fn at(name: impl Into<String>, column: usize) -> FieldRef {
        FieldRef {
            column,
            ..FieldRef::new(name)
        }
    }
}

impl PartialEq for FieldRef {
    fn eq(&self, other: &FieldRef) -> bool {
        self.name == other.name
    }
}

impl Eq for FieldRef {}

impl std::hash::Hash for FieldRef {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.name.hash(h);
    }
}

/// A field's slot in records of one schema, found once per plan instead of by name per
/// record. It is used only for records of that very schema (the same `Arc`, which the slot
/// keeps alive, so it cannot be another schema at a reused address); any other record is
/// looked up by name. Two refs to the same name are equal whatever their binding.
#[derive(Debug, Clone, Default)]
pub struct BoundSlot(Option<(std::sync::Arc<Schema>, usize)>);

impl PartialEq for BoundSlot {
    fn eq(&self, _: &BoundSlot) -> bool {
        true
    }
}

impl Eq for BoundSlot {}

impl std::hash::Hash for BoundSlot {
    fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `bucket(time, 5m)`: the time rounded down to a multiple of the duration (in UTC).
    Bucket,
    /// `minute(t)`, `hour(t)`, `day(t)`: the time rounded down to that unit.
    Minute,
    Hour,
    Day,
    /// `lower(s)`, `upper(s)`: ASCII case.
    Lower,
    Upper,
    /// `length(s)`: bytes in a string.
    Length,
}

impl Function {
    fn from_name(name: &str) -> Option<(Function, usize)> {
        Some(match name {
            "bucket" => (Function::Bucket, 2),
            "minute" => (Function::Minute, 1),
            "hour" => (Function::Hour, 1),
            "day" => (Function::Day, 1),
            "lower" => (Function::Lower, 1),
            "upper" => (Function::Upper, 1),
            "length" => (Function::Length, 1),
            _ => return None,
        })
    }
}

/// Where an expression finds the values of fields.
pub trait Fields<'a> {
    /// The value of a field; `None` when the record has no such field (treated as null).
    fn field(&self, name: &str) -> Option<&Value<'a>>;

    /// The value of a field of an expression: by its bound slot where the record has
    /// that schema, else by name.
    #[inline]
    fn field_of(&self, r: &FieldRef) -> Option<&Value<'a>> {
        self.field(&r.name)
    }
}

impl<'a> Fields<'a> for Record<'a> {
    fn field(&self, name: &str) -> Option<&Value<'a>> {
        self.get_by_name(name)
    }

    #[inline]
    fn field_of(&self, r: &FieldRef) -> Option<&Value<'a>> {
        match (&r.slot.0, self.schema()) {
            (Some((bound, slot)), Some(mine)) if std::sync::Arc::ptr_eq(bound, mine) => {
                self.value(*slot)
            }
            _ => self.get_by_name(&r.name),
        }
    }
}

impl Expr {
    /// The fields this expression reads.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit_refs(&mut |r| out.push(r.name.as_str()));
        out
    }

    /// Bind every field to its slot in records of `schema` (see [`BoundSlot`]); `None`
    /// unbinds. Names the schema does not have stay looked up by name.
    pub fn bind(&mut self, schema: Option<&std::sync::Arc<Schema>>) {
        self.visit_refs_mut(&mut |r| {
            r.slot = BoundSlot(schema.and_then(|s| Some((s.clone(), s.slot(&r.name)?))));
        });
    }

    fn visit_refs_mut(&mut self, f: &mut impl FnMut(&mut FieldRef)) {
        match self {
            Expr::Literal(_) => {}
            Expr::Field(r) => f(r),
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull(e, _) | Expr::Match(e, _, _) => {
                e.visit_refs_mut(f)
            }
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(a, _, b) | Expr::Arith(a, _, b) => {
                a.visit_refs_mut(f);
                b.visit_refs_mut(f);
            }
            Expr::In(e, list, _) => {
                e.visit_refs_mut(f);
                list.iter_mut().for_each(|x| x.visit_refs_mut(f));
            }
            Expr::Call(_, args) => args.iter_mut().for_each(|x| x.visit_refs_mut(f)),
        }
    }

    /// Call `f` with every field this expression reads, in the order written.
    pub fn visit_refs<'s>(&'s self, f: &mut impl FnMut(&'s FieldRef)) {
        match self {
            Expr::Literal(_) => {}
            Expr::Field(r) => f(r),
            Expr::Not(e) | Expr::Neg(e) | Expr::IsNull(e, _) | Expr::Match(e, _, _) => {
                e.visit_refs(f)
            }
            Expr::And(a, b) | Expr::Or(a, b) | Expr::Compare(a, _, b) | Expr::Arith(a, _, b) => {
                a.visit_refs(f);
                b.visit_refs(f);
            }
            Expr::In(e, list, _) => {
                e.visit_refs(f);
                list.iter().for_each(|x| x.visit_refs(f));
            }
            Expr::Call(_, args) => args.iter().for_each(|x| x.visit_refs(f)),
        }
    }

    /// A short name for the expression as a column heading: the field name for a field,
    /// `hour(time)` for a call, and so on.
    pub fn display_name(&self, text: &str) -> String {
        match self {
            Expr::Field(r) => r.name.clone(),
            _ => text.trim().to_string(),
        }
    }

    /// Whether the expression holds for `record` (a non-boolean counts as true unless it is
    /// null, false, zero or empty).
    pub fn test<'a>(&self, record: &impl Fields<'a>) -> bool {
        truthy(&self.eval(record))
    }

    /// The value of the expression on a record, lent where it is already there (a field,
    /// a literal) rather than copied: what a table reads of each record.
    #[inline]
    pub fn value<'r, 'a>(&'r self, record: &'r Record<'a>) -> Cow<'r, Value<'a>> {
        match self {
            Expr::Field(r) => Cow::Borrowed(record.field_of(r).unwrap_or(&Value::Null)),
            Expr::Literal(v) => Cow::Borrowed(v),
            other => Cow::Owned(other.eval(record)),
        }
    }

    /// The value of the expression for `record`, as a value of its own.
    pub fn eval<'a>(&self, record: &impl Fields<'a>) -> Value<'a> {
        match self {
            Expr::Literal(v) => v.clone(),
            Expr::Field(r) => record.field_of(r).cloned().unwrap_or(Value::Null),
            Expr::Not(e) => Value::Bool(!e.test(record)),
            Expr::And(a, b) => Value::Bool(a.test(record) && b.test(record)),
            Expr::Or(a, b) => Value::Bool(a.test(record) || b.test(record)),
            Expr::Compare(a, op, b) => {
                let (x, y) = (a.eval(record), b.eval(record));
                Value::Bool(compare(&x, *op, &y))
            }
            Expr::Match(e, re, negate) => {
                let v = e.eval(record);
                if v.is_null() {
                    return Value::Bool(false);
                }
                let hit = re.is_match(&text_of(&v));
                Value::Bool(hit != *negate)
            }
            Expr::In(e, list, negate) => {
                let v = e.eval(record);
                if v.is_null() {
                    return Value::Bool(false);
                }
                let hit = list.iter().any(|x| compare(&v, CmpOp::Eq, &x.eval(record)));
                Value::Bool(hit != *negate)
            }
            Expr::IsNull(e, negate) => Value::Bool(e.eval(record).is_null() != *negate),
            Expr::Arith(a, op, b) => arith(&a.eval(record), *op, &b.eval(record)),
            Expr::Neg(e) => match number(&e.eval(record)) {
                Some(Number::Int(i)) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Some(Number::Float(x)) => Value::Float(-x),
                None => Value::Null,
            },
            Expr::Call(f, args) => call(*f, args, record),
        }
    }
}

/// Whether a value counts as true.
pub fn truthy(v: &Value<'_>) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(x) => *x != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Time(_) => true,
    }
}

/// A value's bytes, for regex matching and text output.
pub fn text_of<'v>(v: &'v Value<'_>) -> Cow<'v, [u8]> {
    match v {
        Value::Str(s) => Cow::Borrowed(s),
        other => {
            let mut out = Vec::new();
            other.write_text(&mut out);
            Cow::Owned(out)
        }
    }
}

fn compare(a: &Value<'_>, op: CmpOp, b: &Value<'_>) -> bool {
    if let (CmpOp::Eq | CmpOp::Ne, Value::Null, Value::Null) = (op, a, b) {
        return op == CmpOp::Eq;
    }
    let Some(o) = order(a, b) else {
        // Incomparable (null, or different kinds): only `!=` holds, and not against null.
        return op == CmpOp::Ne && !a.is_null() && !b.is_null();
    };
    match op {
        CmpOp::Eq => o.is_eq(),
        CmpOp::Ne => o.is_ne(),
        CmpOp::Lt => o.is_lt(),
        CmpOp::Le => o.is_le(),
        CmpOp::Gt => o.is_gt(),
        CmpOp::Ge => o.is_ge(),
    }
}

fn arith(a: &Value<'_>, op: ArithOp, b: &Value<'_>) -> Value<'static> {
    // time - time = seconds between; time ± seconds = time.
    if let (Value::Time(x), Value::Time(y), ArithOp::Sub) = (a, b, op) {
        return Value::Float((x.unix_micros() - y.unix_micros()) as f64 / 1e6);
    }
    if let (Value::Time(t), Some(n)) = (a, number(b)) {
        let micros = match n {
            Number::Int(i) => i.saturating_mul(1_000_000),
            Number::Float(x) => (x * 1e6) as i64,
        };
        let shifted = match op {
            ArithOp::Add => t.unix_micros().saturating_add(micros),
            ArithOp::Sub => t.unix_micros().saturating_sub(micros),
            _ => return Value::Null,
        };
        return Value::Time(Timestamp::from_unix_micros(
            shifted,
            t.offset_seconds().unwrap_or(0),
        ));
    }
    let (Some(x), Some(y)) = (number(a), number(b)) else {
        return Value::Null;
    };
    match (x, y) {
        (Number::Int(x), Number::Int(y)) if op != ArithOp::Div => {
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Rem => x.checked_rem(y),
                ArithOp::Div => None,
            };
            match r {
                Some(i) => Value::Int(i),
                None if op == ArithOp::Rem => Value::Null,
                None => float_arith(x as f64, op, y as f64),
            }
        }
        (x, y) => {
            let f = |n| match n {
                Number::Int(i) => i as f64,
                Number::Float(x) => x,
            };
            float_arith(f(x), op, f(y))
        }
    }
}

fn float_arith(x: f64, op: ArithOp, y: f64) -> Value<'static> {
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => x / y,
        ArithOp::Rem => x % y,
    };
    if r.is_finite() {
        Value::Float(r)
    } else {
        Value::Null
    }
}

fn call<'a>(f: Function, args: &[Expr], record: &impl Fields<'a>) -> Value<'a> {
    let first = args.first().map_or(Value::Null, |a| a.eval(record));
    let floor = |v: &Value<'_>, micros: i64| -> Value<'a> {
        let t = match v {
            Value::Time(t) => *t,
            Value::Str(s) => match parse_iso8601(s) {
                Some(t) => t,
                None => return Value::Null,
            },
            _ => return Value::Null,
        };
        if micros <= 0 {
            return Value::Null;
        }
        // Round down in the time's own offset, so `hour()` of a -0600 log gives local hours.
        let offset = t.offset_seconds().unwrap_or(0) as i64 * 1_000_000;
        let local = t.unix_micros() + offset;
        let floored = local - local.rem_euclid(micros) - offset;
        Value::Time(Timestamp::from_unix_micros(
            floored,
            t.offset_seconds().unwrap_or(0),
        ))
    };
    match f {
        Function::Minute => floor(&first, 60_000_000),
        Function::Hour => floor(&first, 3_600_000_000),
        Function::Day => floor(&first, 86_400_000_000),
        Function::Bucket => {
            let width = args.get(1).map_or(Value::Null, |a| a.eval(record));
            match number(&width) {
                Some(Number::Int(secs)) => floor(&first, secs.saturating_mul(1_000_000)),
                Some(Number::Float(secs)) => floor(&first, (secs * 1e6) as i64),
                None => Value::Null,
            }
        }
        Function::Lower | Function::Upper => match first {
            Value::Str(s) => {
                let mut b = s.into_owned();
                if f == Function::Lower {
                    b.make_ascii_lowercase();
                } else {
                    b.make_ascii_uppercase();
                }
                Value::Str(Cow::Owned(b))
            }
            other => other,
        },
        Function::Length => match &first {
            Value::Null => Value::Null,
            v => Value::Int(text_of(v).len() as i64),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Value<'static>),
    Str(String),
    Ident(String),
    Sym(&'static str),
    End,
}

struct Lexer<'t> {
    text: &'t str,
    chars: Vec<char>,
    /// Column of the first character of `text` in the whole pipeline.
    base: usize,
    toks: Vec<(Tok, usize)>,
}

const SYMBOLS: &[&str] = &[
    "==", "!=", "<=", ">=", "!~", "<", ">", "~", "(", ")", ",", "+", "-", "*", "/", "%", "=",
];

impl<'t> Lexer<'t> {
    fn err(&self, at: usize, msg: impl Into<String>) -> QueryError {
        QueryError::new(self.text, self.base + at, msg)
    }

    fn run(mut self) -> Result<Vec<(Tok, usize)>, QueryError> {
        let mut i = 0;
        let n = self.chars.len();
        while i < n {
            let c = self.chars[i];
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            if c == '"' || c == '\'' {
                let mut s = String::new();
                i += 1;
                loop {
                    match self.chars.get(i) {
                        None => return Err(self.err(start, format!("unclosed {c}"))),
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some('\\')
                            if c == '"' && matches!(self.chars.get(i + 1), Some('"' | '\\')) =>
                        {
                            s.push(self.chars[i + 1]);
                            i += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                self.toks.push((Tok::Str(s), start));
                continue;
            }
            if c == '`' {
                let close = self.chars[i + 1..].iter().position(|&x| x == '`');
                let Some(len) = close else {
                    return Err(self.err(start, "unclosed `"));
                };
                let name: String = self.chars[i + 1..i + 1 + len].iter().collect();
                self.toks.push((Tok::Ident(name), start));
                i += len + 2;
                continue;
            }
            if c.is_ascii_digit()
                || (c == '.' && self.chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
            {
                let mut j = i;
                while j < n
                    && (self.chars[j].is_ascii_alphanumeric()
                        || matches!(self.chars[j], '.' | ':' | '-' | '+' | '_'))
                {
                    // A sign continues the word only inside a time (after a digit, e.g. -0600)
                    // or an exponent.
                    if matches!(self.chars[j], '-' | '+') {
                        let word: String = self.chars[i..j].iter().collect();
                        let in_time = word.len() >= 4
                            && word.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                            && (word.len() == 4 || word.contains('-'));
                        let exponent = word.ends_with(['e', 'E']) && !word.contains(['-', ':']);
                        if !(in_time || exponent) {
                            break;
                        }
                    }
                    j += 1;
                }
                let word: String = self.chars[i..j].iter().collect();
                let tok = literal(&word).ok_or_else(|| {
                    self.err(start, format!("`{word}` is not a number, time or duration"))
                })?;
                self.toks.push((Tok::Num(tok), start));
                i = j;
                continue;
            }
            if c.is_alphabetic() || c == '_' || c == '@' {
                let mut j = i;
                while j < n
                    && (self.chars[j].is_alphanumeric() || matches!(self.chars[j], '_' | '.' | '@'))
                {
                    j += 1;
                }
                let word: String = self.chars[i..j].iter().collect();
                self.toks.push((Tok::Ident(word), start));
                i = j;
                continue;
            }
            let rest: String = self.chars[i..(i + 2).min(n)].iter().collect();
            let Some(sym) = SYMBOLS.iter().find(|s| rest.starts_with(**s)) else {
                return Err(self.err(start, format!("unexpected `{c}`")));
            };
            self.toks.push((Tok::Sym(sym), start));
            i += sym.chars().count();
        }
        self.toks.push((Tok::End, n));
        Ok(self.toks)
    }
}

/// A numeric word: an integer, a decimal, a time (RFC 3339 or a date) or a duration
/// (`500ms`, `30s`, `5m`, `2h`, `1d`, in seconds).
fn literal(word: &str) -> Option<Value<'static>> {
    if let Ok(i) = word.parse::<i64>() {
        return Some(Value::Int(i));
    }
    if let Some(crate::agg::Number::Float(x)) = crate::agg::parse_number(word.as_bytes()) {
        return Some(Value::Float(x));
    }
    if word.len() >= 10 && word.as_bytes()[4] == b'-' {
        return time_of_text(word.as_bytes()).map(Value::Time);
    }
    let split = word.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = word.split_at(split);
    let n: f64 = n.parse().ok()?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return None,
    };
    Some(if secs.fract() == 0.0 {
        Value::Int(secs as i64)
    } else {
        Value::Float(secs)
    })
}

struct Parser<'t> {
    text: &'t str,
    base: usize,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// Prefix operators (`not`, `-`) open around the token at hand.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].0
    }

    fn column(&self) -> usize {
        self.base + self.toks[self.pos.min(self.toks.len() - 1)].1
    }

    fn err(&self, msg: impl Into<String>) -> QueryError {
        QueryError::new(self.text, self.column(), msg)
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        self.pos += 1;
        t
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        if self.peek() == &Tok::Sym(leak(s)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if matches!(self.peek(), Tok::Ident(x) if x.eq_ignore_ascii_case(w)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, s: &str) -> Result<(), QueryError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.err(format!("expected `{s}`")))
        }
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut terms = vec![self.and()?];
        while self.eat_word("or") {
            terms.push(self.and()?);
        }
        Ok(balanced(terms, &|a, b| Expr::Or(Box::new(a), Box::new(b))))
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut terms = vec![self.not()?];
        while self.eat_word("and") {
            terms.push(self.not()?);
        }
        Ok(balanced(terms, &|a, b| Expr::And(Box::new(a), Box::new(b))))
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.eat_word("not") {
            self.nest()?;
            let inner = self.not();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.compare()
    }

    /// One level deeper into the expression's tree: parentheses, a prefix operator, or a
    /// term of an arithmetic chain (see [`MAX_DEPTH`]).
    fn nest(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!(
                "expression nested more than {MAX_DEPTH} deep (parentheses, `not`, `-`, \
                 terms of `+ - * / %`)"
            )));
        }
        Ok(())
    }

    fn compare(&mut self) -> Result<Expr, QueryError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Tok::Sym("==") | Tok::Sym("=") => Some(CmpOp::Eq),
            Tok::Sym("!=") => Some(CmpOp::Ne),
            Tok::Sym("<") => Some(CmpOp::Lt),
            Tok::Sym("<=") => Some(CmpOp::Le),
            Tok::Sym(">") => Some(CmpOp::Gt),
            Tok::Sym(">=") => Some(CmpOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let right = self.sum()?;
            return Ok(Expr::Compare(Box::new(left), op, Box::new(right)));
        }
        if matches!(self.peek(), Tok::Sym("~") | Tok::Sym("!~")) {
            let negate = self.bump() == Tok::Sym("!~");
            let col = self.column();
            let Tok::Str(pattern) = self.bump() else {
                return Err(QueryError::new(
                    self.text,
                    col,
                    "`~` needs a quoted regular expression",
                ));
            };
            let re = Regex::new(&pattern).map_err(|e| {
                let msg = e.to_string();
                let last = msg.lines().last().unwrap_or("").trim().to_string();
                QueryError::new(self.text, col, format!("bad regular expression: {last}"))
            })?;
            return Ok(Expr::Match(Box::new(left), re, negate));
        }
        let save = self.pos;
        let negate = self.eat_word("not");
        if self.eat_word("in") {
            self.expect_sym("(")?;
            let mut list = vec![self.or()?];
            while self.eat_sym(",") {
                list.push(self.or()?);
            }
            self.expect_sym(")")?;
            return Ok(Expr::In(Box::new(left), list, negate));
        }
        self.pos = save;
        if self.eat_word("is") {
            let negate = self.eat_word("not");
            if !self.eat_word("null") {
                return Err(self.err("expected `null` after `is`"));
            }
            return Ok(Expr::IsNull(Box::new(left), negate));
        }
        Ok(left)
    }

    fn sum(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.product()?;
        let mut levels = 0;
        loop {
            let op = if self.eat_sym("+") {
                ArithOp::Add
            } else if self.eat_sym("-") {
                ArithOp::Sub
            } else {
                self.depth -= levels;
                return Ok(e);
            };
            // Left to right (`a - b - c` is `(a - b) - c`): each term is a level deeper.
            self.nest()?;
            levels += 1;
            e = Expr::Arith(Box::new(e), op, Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.unary()?;
        let mut levels = 0;
        loop {
            let op = if self.eat_sym("*") {
                ArithOp::Mul
            } else if self.eat_sym("/") {
                ArithOp::Div
            } else if self.eat_sym("%") {
                ArithOp::Rem
            } else {
                self.depth -= levels;
                return Ok(e);
            };
            self.nest()?;
            levels += 1;
            e = Expr::Arith(Box::new(e), op, Box::new(self.unary()?));
        }
    }

    /// `expr (',' expr)* ')'`: a function's arguments, after its `(`.
    fn arguments(&mut self) -> Result<Vec<Expr>, QueryError> {
        let mut args = vec![self.or()?];
        while self.eat_sym(",") {
            args.push(self.or()?);
        }
        self.expect_sym(")")?;
        Ok(args)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat_sym("-") {
            self.nest()?;
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, QueryError> {
        let col = self.column();
        match self.bump() {
            Tok::Num(v) => Ok(Expr::Literal(v)),
            Tok::Str(s) => Ok(Expr::Literal(Value::Str(Cow::Owned(s.into_bytes())))),
            Tok::Sym("(") => {
                self.nest()?;
                let e = self.or();
                self.depth -= 1;
                let e = e?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Ident(w) => {
                match w.to_ascii_lowercase().as_str() {
                    "true" => return Ok(Expr::Literal(Value::Bool(true))),
                    "false" => return Ok(Expr::Literal(Value::Bool(false))),
                    "null" => return Ok(Expr::Literal(Value::Null)),
                    _ => {}
                }
                if self.peek() == &Tok::Sym("(") {
                    let Some((f, arity)) = Function::from_name(&w) else {
                        return Err(QueryError::new(
                            self.text,
                            col,
                            format!("unknown function `{w}` (functions: bucket, minute, hour, day, lower, upper, length)"),
                        ));
                    };
                    self.pos += 1;
                    self.nest()?;
                    let args = self.arguments();
                    self.depth -= 1;
                    let args = args?;
                    if args.len() != arity {
                        return Err(QueryError::new(
                            self.text,
                            col,
                            format!(
                                "`{w}` takes {arity} argument{}",
                                if arity == 1 { "" } else { "s" }
                            ),
                        ));
                    }
                    return Ok(Expr::Call(f, args));
                }
                Ok(Expr::Field(FieldRef::at(w, col)))
            }
            Tok::End => Err(QueryError::new(
                self.text,
                col,
                "expected a value, a field or `(`",
            )),
            Tok::Sym(s) => Err(QueryError::new(self.text, col, format!("unexpected `{s}`"))),
        }
    }
}

/// How deep an expression's tree may be. Evaluating, visiting and dropping it recurse once
/// per level, on whatever thread runs the pipeline (a worker's stack is 2 MiB), so without
/// a bound a long enough expression (thousands of `not`, or of `+ 1`) would overflow the
/// stack and abort. `and` and `or` chains are built balanced (their depth grows with the
/// logarithm of their length: thousands of `or` terms are fine). Parentheses are also
/// bounded by [`super::MAX_NESTING`] when the pipeline is split into stages.
pub const MAX_DEPTH: usize = 1000;

/// `terms` joined by `join`, as a balanced tree in the order written (so `a or b or c or d`
/// is `(a or b) or (c or d)`: the same answer, and the same left-to-right evaluation).
fn balanced(mut terms: Vec<Expr>, join: &dyn Fn(Expr, Expr) -> Expr) -> Expr {
    if terms.len() == 1 {
        if let Some(only) = terms.pop() {
            return only;
        }
    }
    let right = terms.split_off(terms.len() / 2);
    join(balanced(terms, join), balanced(right, join))
}

fn leak(s: &str) -> &'static str {
    SYMBOLS.iter().find(|x| **x == s).copied().unwrap_or("")
}

/// Parse the characters `start..end` of the pipeline `text` (0-based character indices)
/// as one expression. Errors point into `text`.
pub fn parse_expr(text: &str, start: usize, end: usize) -> Result<Expr, QueryError> {
    let (expr, used) = parse_prefix(text, start, end, &[])?;
    if start + used < end {
        return Err(QueryError::new(
            text,
            start + used + 1,
            "unexpected text after the expression",
        ));
    }
    Ok(expr)
}

/// Parse one expression at character `start` of the pipeline `text` (up to `end`),
/// stopping before a top-level `,` or one of the `stop` words. Returns the expression and
/// how many characters it took: for lists such as `sum bytes, count by host, hour(time)`.
pub fn parse_prefix(
    text: &str,
    start: usize,
    end: usize,
    stop: &[&str],
) -> Result<(Expr, usize), QueryError> {
    let lexer = Lexer {
        text,
        chars: text
            .chars()
            .skip(start)
            .take(end.saturating_sub(start))
            .collect(),
        base: start + 1,
        toks: Vec::new(),
    };
    let mut toks = lexer.run()?;
    // Cut the tokens at the first top-level `,` or stop word.
    let mut depth = 0i32;
    let mut end_at = None;
    for (i, (t, at)) in toks.iter().enumerate() {
        match t {
            Tok::Sym("(") => depth += 1,
            Tok::Sym(")") => depth -= 1,
            Tok::Sym(",") if depth == 0 => {
                end_at = Some((i, *at));
                break;
            }
            Tok::Ident(w) if depth == 0 && stop.iter().any(|s| w.eq_ignore_ascii_case(s)) => {
                end_at = Some((i, *at));
                break;
            }
            _ => {}
        }
    }
    let used = match end_at {
        Some((i, at)) => {
            toks.truncate(i);
            toks.push((Tok::End, at));
            at
        }
        None => end.saturating_sub(start),
    };
    let mut p = Parser {
        text,
        base: start + 1,
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.peek() != &Tok::End {
        return Err(p.err("unexpected text in the expression"));
    }
    Ok((e, used))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    #[test]
    fn bound_fields_use_the_slot_only_for_their_own_schema() {
        let record = |schema: &Arc<Schema>, values: [i64; 2]| {
            let mut r = Record::new();
            r.push("x".into(), Value::Null); // dynamic first: begin_fixed must replace it
            let slots = r.begin_fixed(schema);
            for (slot, v) in slots.iter_mut().zip(values) {
                *slot = Value::Int(v);
            }
            r
        };
        let ab = Arc::new(Schema::new(vec!["a".into(), "b".into()]));
        // The same names in another order, in an equal but distinct schema.
        let ba = Arc::new(Schema::new(vec!["b".into(), "a".into()]));
        let expr = |t: &str| parse_expr(t, 0, t.len()).unwrap();
        let mut e = expr("b - a");
        e.bind(Some(&ab));
        assert_eq!(e.eval(&record(&ab, [1, 10])), Value::Int(9));
        assert_eq!(e.eval(&record(&ba, [1, 10])), Value::Int(-9));
        let mut dynamic = Record::new();
        dynamic.push("a".into(), Value::Int(2));
        dynamic.push("b".into(), Value::Int(7));
        assert_eq!(e.eval(&dynamic), Value::Int(5));
        // A name the schema does not have stays looked up by name (and is null here).
        let mut c = expr("c");
        c.bind(Some(&ab));
        assert_eq!(c.eval(&record(&ab, [1, 10])), Value::Null);
        e.bind(None);
        assert_eq!(e.eval(&record(&ba, [1, 10])), Value::Int(-9));
    }

    struct Rec(HashMap<&'static str, Value<'static>>);

    impl<'a> Fields<'a> for Rec {
        fn field(&self, name: &str) -> Option<&Value<'a>> {
            self.0.get(name)
        }
    }

    fn rec() -> Rec {
        let t = parse_iso8601(b"2023-10-01T13:45:12-06:00").unwrap();
        Rec(HashMap::from([
            ("status", Value::Int(404)),
            ("bytes", Value::Int(2326)),
            ("size", Value::Null),
            ("duration", Value::Float(0.25)),
            ("path", Value::Str(Cow::Borrowed(b"/ply/ply-2.3.tar.gz"))),
            ("method", Value::Str(Cow::Borrowed(b"GET"))),
            ("code", Value::Str(Cow::Borrowed(b"404"))),
            ("time", Value::Time(t)),
            ("a.b", Value::Bool(true)),
        ]))
    }

    fn holds(text: &str) -> bool {
        let e = parse_expr(text, 0, text.chars().count()).unwrap_or_else(|e| panic!("{e}"));
        e.test(&rec())
    }

    fn value(text: &str) -> Value<'static> {
        let e = parse_expr(text, 0, text.chars().count()).unwrap_or_else(|e| panic!("{e}"));
        e.eval(&rec()).into_owned()
    }

    #[test]
    fn comparisons_and_logic() {
        for yes in [
            "status == 404",
            "status = 404",
            "status != 200",
            "status >= 400 and status < 500",
            "status == 200 or bytes > 1000",
            "not status == 200",
            "code == 404",
            "code > 400",
            "path ~ 'ply-.*\\.gz'",
            "path !~ '^/admin'",
            "method in ('GET', 'HEAD')",
            "status not in (200, 304)",
            "size is null",
            "bytes is not null",
            "size == null",
            "a.b",
            "duration < 1",
            "duration * 1000 == 250",
            "bytes / 2 == 1163",
            "bytes % 1000 == 326",
            "-status < 0",
            "(status == 404 or status == 500) and bytes > 0",
            "time >= 2023-10-01T00:00:00Z",
            "time < 2023-10-02",
            "time > '2023-10-01T19:00:00Z'",
            "length(method) == 3",
            "lower(method) == 'get'",
        ] {
            assert!(holds(yes), "{yes}");
        }
        for no in [
            "status == 200",
            "size > 0",
            "size < 0",
            "size != 1",
            "missing == 1",
            "path ~ '^/admin'",
            "method in ('POST')",
            "time < 2023-10-01T19:00:00Z",
            "status == 'abc'",
        ] {
            assert!(!holds(no), "{no}");
        }
    }

    #[test]
    fn values_and_time_buckets() {
        assert_eq!(value("bytes + 1"), Value::Int(2327));
        assert_eq!(value("bytes / 4"), Value::Float(581.5));
        assert_eq!(
            value("9223372036854775807 + 1"),
            Value::Float(9223372036854775808.0)
        );
        assert_eq!(value("5m"), Value::Int(300));
        assert_eq!(value("500ms"), Value::Float(0.5));
        assert_eq!(value("hour(time)").to_string(), "2023-10-01T13:00:00-06:00");
        assert_eq!(value("day(time)").to_string(), "2023-10-01T00:00:00-06:00");
        assert_eq!(
            value("bucket(time, 15m)").to_string(),
            "2023-10-01T13:45:00-06:00"
        );
        assert_eq!(
            value("minute(time)").to_string(),
            "2023-10-01T13:45:00-06:00"
        );
        assert_eq!(value("hour(path)"), Value::Null);
    }

    fn error(text: &str) -> (usize, String) {
        let e = parse_expr(text, 0, text.chars().count()).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(error("status ==").0, 10);
        assert_eq!(error("status == 404 extra").0, 15);
        assert_eq!(error("path ~ 'a('").0, 8);
        assert!(error("path ~ 'a('").1.contains("bad regular expression"));
        assert_eq!(error("path ~ other").0, 8);
        assert_eq!(error("nosuch(x)").0, 1);
        assert_eq!(error("bucket(time)").0, 1);
        assert_eq!(error("(status == 1").0, 13);
        assert_eq!(error("status == 'open").0, 11);
        assert_eq!(error("status # 3").0, 8);
        assert_eq!(error("12x == 3").0, 1);
    }

    #[test]
    fn prefixes_stop_at_commas_and_words() {
        let text = "sum bytes, count by host, hour(time)";
        let (e, used) = parse_prefix(text, 4, text.len(), &["by"]).unwrap();
        assert!(matches!(e, Expr::Field(ref f) if f.name == "bytes"));
        assert_eq!(used, 5);
        let (_, used) = parse_prefix(text, 20, text.len(), &["by"]).unwrap();
        assert_eq!(used, 4);
        let (e, _) = parse_prefix(text, 26, text.len(), &["by"]).unwrap();
        assert!(matches!(e, Expr::Call(Function::Hour, _)));
    }
}
