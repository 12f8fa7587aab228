//! The specialised scanner a LogFormat (or nginx `log_format`) string compiles into.
//!
//! A format is a sequence of *steps*: literal text, and fields. Running it over a line is
//! what a regex built from the format would do (apachelogs builds exactly such a regex),
//! but without a regex engine: each field knows its own shape and how far it may reach.
//!
//! * **Delimited fields** (strings: `%r`, `%{Referer}i`, `%h`, …) end where the next literal
//!   of the format starts, so the scanner looks for that literal (and the bytes that may
//!   not occur in the field) several bytes at a time; it skips an escaped `\"`, and stops
//!   at a raw `"`, which Apache and nginx never write inside a field. They are *lazy*: the
//!   first place the rest of the line matches wins.
//! * **Tokens** (`%>s`, `%b`, `%t`, `%a`, the strftime parts) have a grammar of their own
//!   and are read directly: three digits, a bracketed timestamp at fixed offsets, an IP
//!   address. Where the length varies the longest is tried first.
//!
//! When a later step fails the scanner backtracks, trying the next place a delimited field
//! could end (or a shorter token), so it accepts exactly the lines the regex would, with
//! the same fields. In the common case nothing is retried and each line is one pass.
//! Backtracking is bounded by a budget per line, so no line can make it run away.
//!
//! Values are written into slots of the record (fixed schema), borrowing from the line;
//! only a field with a backslash escape is copied (unescaped).
//!
//! The fast path finds where its delimited fields end in a map of the line's stop bytes
//! made in one SIMD pass before it starts ([`StopMap`], `matcher/stopmap.rs`), so a field
//! costs a few instructions whatever its length, and a field the pipeline does not read
//! (a [`Program::project`]ion) is checked by the same rules at that cost.
//!
//! This file holds the program (its steps, the fast path's plan of [`Fast`] operations,
//! the compiler's [`Builder`]); `matcher.rs` runs it over a line, `scan.rs` has the
//! byte-level reading.

use crate::record::FieldType;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use super::matcher::stopmap::{Sel, StopBytes, StopMap};
use super::matcher::Matcher;
use super::record::{Record, Schema};
use super::scan::{split_line, DateCache, ShortLit, Stops};
use super::time::TimeParts;
use super::timepart::TimePart;
use super::value::Value;
use super::{ParseFailure, Reason};

/// How many field endings may be tried for one line before giving up on it. A line of a
/// well-formed log needs one per field.
pub(crate) const BUDGET: u32 = 5_000;

/// Which bytes a delimited field may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// An escaped string: any byte but a raw `"`; `\` escapes the next byte.
    Text,
    /// An escaped string without spaces (`%l`, `%m`).
    Word,
    /// Anything, at least one byte, no escapes (`%{…}x`, `%{…}c`: mod_ssl does not escape).
    Verbatim,
    /// `%q`: empty, or `?` then a word.
    Query,
}

/// How a delimited field's text becomes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextConv {
    /// The (unescaped) bytes.
    Str,
    /// `%u`: also accepts `""`, meaning the empty string.
    User,
    /// `%q` in readable naming: without the leading `?`; no query is null.
    QueryStripped,
    /// A number if the whole text is one (nginx `$upstream_response_time` is `0.004` or
    /// `0.004, 0.002`), else the text.
    Infer,
}

/// A token's grammar and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token {
    /// `0|-?[1-9][0-9]*` (leading zeros are accepted).
    Int,
    /// An integer count of `1/per_second` seconds, as float seconds (durations in readable
    /// naming: `%D` µs → `duration` in seconds).
    Seconds { per_second: i64 },
    /// A decimal number (nginx `$request_time`).
    Float,
    /// Three digits (`%s`).
    Status,
    /// Hexadecimal (`%{hextid}P`).
    Hex,
    /// IPv4 or IPv6 address (`%a`, `%A`).
    Ip,
    /// `%L`: base64-ish request log id.
    LogId,
    /// `%X`: one of `X + -`.
    ConnStatus,
    /// A time directive.
    Time(TimePart),
}

/// What a field step scans.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scan {
    Delimited(Class, TextConv),
    Token(Token),
}

/// Where a field's value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// Slot of the record.
    Slot(u16),
    /// Pieces of time group `n`, assembled into one timestamp at the end of the line.
    Time(u16),
    /// Nowhere (`%n` in a strftime format).
    Discard,
}

/// What comes after a delimited field, which decides where it may end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// The literal of step `n`.
    Lit(u16),
    /// The end of the line.
    End,
    /// Another field: any position.
    Any,
}

/// A field of the format.
#[derive(Debug, Clone)]
pub(crate) struct FieldStep {
    pub scan: Scan,
    /// A lone `-` is accepted and means null.
    pub dash_null: bool,
    pub out: Out,
    /// Computed at the end of compilation.
    pub next: Next,
    /// Bytes that stop the scan of a delimited field (computed with `next`).
    pub stops: Stops,
}

/// A step of the program.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Lit(Box<[u8]>),
    Field(FieldStep),
    /// A conditional group (`%200{%d/%b/%Y}t`): the next `len` steps, or instead a lone `-`
    /// that makes all their outputs null.
    Alt {
        len: u16,
    },
}

/// A request line split (`%r` → method, path, query, protocol), into the slots not taken
/// by explicit directives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split {
    pub request: u16,
    pub method: Option<u16>,
    pub path: Option<u16>,
    pub query: Option<u16>,
    pub protocol: Option<u16>,
}

/// A compiled format.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub steps: Vec<Step>,
    pub schema: Arc<Schema>,
    /// Slot of each time group's assembled timestamp.
    pub time_slots: Vec<u16>,
    pub splits: Vec<Split>,
    /// Describe of each step, for messages (`` `%>s` (status) ``).
    pub step_names: Vec<String>,
    /// Each step as the format writes it (the directive, or the literal text), to show
    /// what the rest of a format expected where a line ended or stopped matching.
    pub step_text: Vec<String>,
    /// The fast path's plan (see [`Fast`]), computed by `link`.
    pub fast: Vec<Fast>,
    /// The bytes the fast path's fields end at, mapped in each line before it runs.
    pub stop_bytes: StopBytes,
    /// Which slots are wanted (a projection, [`Program::project`]); `None`: all.
    pub wanted: Option<Vec<bool>>,
    /// Whether each time group, and each split request line, has a wanted slot: computed
    /// with `fast`, so that a line does not ask again.
    pub times_wanted: Vec<bool>,
    pub splits_wanted: Vec<bool>,
}

/// One operation of the fast path: the common kinds of field with the literal after them
/// (held inline), so that the common case runs without looking anything up.
#[derive(Debug, Clone)]
pub(crate) enum Fast {
    /// A literal on its own (after a field of another kind, or at the start).
    Lit(ShortLit),
    /// A delimited field (text, word, verbatim) and its literal.
    Delim {
        step: u16,
        slot: u16,
        class: Class,
        conv: TextConv,
        dash_null: bool,
        stops: Stops,
        lit: ShortLit,
        /// Whether the value is wanted (else the field is only checked).
        store: bool,
        /// The field's stop bytes in the line's [`StopMap`] (`None`: not all of them are
        /// mapped; `stops` finds them).
        map: Option<Sel>,
    },
    /// A quoted request line (`"%r"`) that is also split: the split points (first and
    /// last space, first `?`) are noted in the same pass that finds the closing quote.
    Request {
        step: u16,
        split: u16,
        lit: ShortLit,
        /// `"`, `\`, space and `?` in the line's [`StopMap`], if they are all mapped.
        map: Option<Sel>,
    },
    /// `%s`: three digits (or `-`), then the literal or the end.
    Status {
        step: u16,
        slot: u16,
        lit: Option<ShortLit>,
        store: bool,
    },
    /// An integer (or `-`), then the literal or the end.
    Int {
        step: u16,
        slot: u16,
        lit: Option<ShortLit>,
        store: bool,
    },
    /// `%t` (`[10/Oct/2000:13:55:36 -0700]`) or nginx `$time_local` (the same without
    /// brackets) into its slot, then the literal or the end.
    Time {
        step: u16,
        slot: u16,
        lit: Option<ShortLit>,
        store: bool,
        bracketed: bool,
    },
    /// Any other step, by the general code (its first candidate).
    Step(u16),
}

impl Program {
    /// Which slots of [`Program::field_types`]' numbers are always floats (seconds with
    /// a fraction, `%{…}T`-like and float tokens), the others being integers: how a typed
    /// schema (a Spark DataFrame's) chooses `double` or `bigint` without reading a line.
    pub fn float_slots(&self) -> Vec<bool> {
        let mut floats = vec![false; self.schema.names().len()];
        for step in &self.steps {
            if let Step::Field(FieldStep {
                scan: Scan::Token(Token::Seconds { .. } | Token::Float),
                out: Out::Slot(slot),
                ..
            }) = step
            {
                if let Some(at) = floats.get_mut(*slot as usize) {
                    *at = true;
                }
            }
        }
        floats
    }

    /// The kind of value each slot holds, known from the directives: a number for
    /// `%s`, `%b`, `%D` and the like, a string for text fields and the parts of a split
    /// request line, a time for a time group; [`FieldType::Any`] where a field is a number
    /// or text line by line (nginx's inferred fields).
    pub fn field_types(&self) -> Vec<FieldType> {
        let mut types = vec![FieldType::Any; self.schema.names().len()];
        let mut set = |slot: u16, t: FieldType| {
            if let Some(at) = types.get_mut(slot as usize) {
                *at = t;
            }
        };
        for step in &self.steps {
            let Step::Field(FieldStep {
                scan,
                out: Out::Slot(slot),
                ..
            }) = step
            else {
                continue;
            };
            let t = match scan {
                Scan::Delimited(_, TextConv::Infer) => FieldType::Any,
                Scan::Delimited(Class::Verbatim, _) => FieldType::Any,
                Scan::Delimited(..) if configured_value(self.schema.names(), *slot) => {
                    FieldType::Any
                }
                Scan::Delimited(..) => FieldType::Text,
                Scan::Token(
                    Token::Int | Token::Seconds { .. } | Token::Float | Token::Status | Token::Hex,
                ) => FieldType::Number,
                Scan::Token(Token::Ip | Token::LogId | Token::ConnStatus) => FieldType::Text,
                Scan::Token(Token::Time(_)) => FieldType::Time,
            };
            set(*slot, t);
        }
        for &slot in &self.time_slots {
            set(slot, FieldType::Time);
        }
        for split in &self.splits {
            for slot in [split.method, split.path, split.query, split.protocol]
                .into_iter()
                .flatten()
            {
                set(slot, FieldType::Text);
            }
        }
        types
    }

    /// A program that matches only the empty line (a stand-in that cannot fail to build).
    pub(crate) fn empty() -> Program {
        Builder::default().finish(false)
    }

    /// Compute each delimited field's `next` and stop bytes. Called once after the steps
    /// are built.
    pub(crate) fn link(&mut self) {
        let n = self.steps.len();
        for i in 0..n {
            let next = match self.steps.get(i + 1) {
                None => Next::End,
                Some(Step::Lit(_)) => Next::Lit((i + 1) as u16),
                Some(_) => Next::Any,
            };
            let first = match next {
                Next::Lit(j) => match &self.steps[j as usize] {
                    Step::Lit(l) => l.first().copied(),
                    _ => None,
                },
                _ => None,
            };
            if let Step::Field(f) = &mut self.steps[i] {
                f.next = next;
                if let Scan::Delimited(class, _) = f.scan {
                    f.stops = Stops::from_set(stop_set(class, first));
                }
            }
        }
        self.plan_all();
    }

    /// Compute what depends on the projection: the fast path's plan and which time
    /// groups and splits are wanted.
    fn plan_all(&mut self) {
        self.fast = self.plan();
        self.map_stops();
        self.times_wanted = self.time_slots.iter().map(|&s| self.wants(s)).collect();
        self.splits_wanted = self.splits.iter().map(|s| self.wants_split(s)).collect();
    }

    /// Choose the bytes each line is mapped for ([`StopBytes`]: the fast path's fields'
    /// stop bytes, the most used first) and give each field its kinds in the map.
    fn map_stops(&mut self) {
        let sets: Vec<Vec<u8>> = self
            .fast
            .iter()
            .filter_map(|op| self.op_stops(op))
            .collect();
        self.stop_bytes = StopBytes::new(sets.iter().map(Vec::as_slice));
        let stop_bytes = self.stop_bytes;
        let sels: Vec<Option<Sel>> = self
            .fast
            .iter()
            .map(|op| self.op_stops(op).and_then(|set| stop_bytes.sel(&set)))
            .collect();
        for (op, sel) in self.fast.iter_mut().zip(sels) {
            match op {
                Fast::Delim { map, .. } | Fast::Request { map, .. } => *map = sel,
                _ => {}
            }
        }
    }

    /// The bytes a fast operation searches for: a delimited field's stop bytes, and for a
    /// request line also the space and `?` that split it.
    fn op_stops(&self, op: &Fast) -> Option<Vec<u8>> {
        match op {
            Fast::Delim { class, lit, .. } => Some(stop_set(*class, Some(lit.bytes[0]))),
            Fast::Request { .. } => Some(REQUEST_STOPS.to_vec()),
            _ => None,
        }
    }

    /// Whether slot `slot` is wanted.
    #[inline]
    pub(crate) fn wants(&self, slot: u16) -> bool {
        self.wanted
            .as_ref()
            .is_none_or(|w| w.get(slot as usize).copied().unwrap_or(true))
    }

    /// Whether any slot of a split is wanted.
    fn wants_split(&self, s: &Split) -> bool {
        [Some(s.request), s.method, s.path, s.query, s.protocol]
            .into_iter()
            .flatten()
            .any(|slot| self.wants(slot))
    }

    /// This program, computing only the `wanted` slots (the others are always null): the
    /// fields are still checked, so the same lines match, but values nobody reads are not
    /// built, a request line no one asked about is not split, and so on.
    pub(crate) fn project(&self, wanted: Vec<bool>) -> Program {
        let mut p = self.clone();
        p.wanted = Some(wanted);
        p.plan_all();
        // A schema of its own, so that a record last filled by the full program is
        // cleared (not reused) before its first line.
        p.schema = Arc::new((*p.schema).clone());
        p
    }

    /// The fast path's operations for the steps.
    fn plan(&self) -> Vec<Fast> {
        let mut ops = Vec::new();
        let mut i = 0;
        while let Some(step) = self.steps.get(i) {
            let lit_after = |f: &FieldStep| match f.next {
                Next::Lit(j) => match &self.steps[j as usize] {
                    Step::Lit(l) => ShortLit::new(l).map(Some),
                    _ => None,
                },
                Next::End => Some(None),
                Next::Any => None,
            };
            // Where the general code continues after field `f` (its literal fused).
            let after = |f: &FieldStep| match f.next {
                Next::Lit(j) => j as usize + 1,
                _ => i + 1,
            };
            match step {
                Step::Lit(l) => {
                    ops.push(ShortLit::new(l).map_or(Fast::Step(i as u16), Fast::Lit));
                    i += 1;
                }
                // The fast path takes a conditional group's steps (not its `-`).
                Step::Alt { .. } => i += 1,
                Step::Field(f) => {
                    let split = match f.out {
                        Out::Slot(slot) => self
                            .splits
                            .iter()
                            .position(|s| s.request == slot && self.wants_split(s))
                            // The fast path notes the splits it did in a 32-bit mask; any
                            // further ones are split after the match.
                            .filter(|&k| k < 32),
                        _ => None,
                    };
                    let store = match f.out {
                        Out::Slot(slot) => self.wants(slot),
                        _ => true,
                    };
                    let op = match (f.scan, f.out, lit_after(f)) {
                        (
                            Scan::Delimited(Class::Text, TextConv::Str),
                            Out::Slot(_),
                            Some(Some(lit)),
                        ) if split.is_some() && lit.bytes[0] == b'"' && f.dash_null => {
                            Some(Fast::Request {
                                step: i as u16,
                                split: split.unwrap_or(0) as u16,
                                lit,
                                map: None,
                            })
                        }
                        (Scan::Delimited(class, conv), Out::Slot(slot), Some(Some(lit)))
                            if class != Class::Query =>
                        {
                            Some(Fast::Delim {
                                step: i as u16,
                                slot,
                                class,
                                conv,
                                dash_null: f.dash_null,
                                stops: f.stops.clone(),
                                lit,
                                store,
                                map: None,
                            })
                        }
                        (Scan::Token(Token::Status), Out::Slot(slot), Some(lit)) => {
                            Some(Fast::Status {
                                step: i as u16,
                                slot,
                                lit,
                                store,
                            })
                        }
                        (Scan::Token(Token::Int), Out::Slot(slot), Some(lit)) => Some(Fast::Int {
                            step: i as u16,
                            slot,
                            lit,
                            store,
                        }),
                        (
                            Scan::Token(Token::Time(
                                part @ (TimePart::ApacheBracketed | TimePart::ApacheBare),
                            )),
                            Out::Slot(slot),
                            Some(lit),
                        ) => Some(Fast::Time {
                            step: i as u16,
                            slot,
                            lit,
                            store,
                            bracketed: part == TimePart::ApacheBracketed,
                        }),
                        _ => None,
                    };
                    ops.push(op.unwrap_or(Fast::Step(i as u16)));
                    i = after(f);
                }
            }
        }
        ops
    }

    /// Where a line stopped matching, in words (for [`Reason::NoMatch`]): at a field, which
    /// one; at a literal, the rest of the format from there (what the line lacks) and the
    /// field before it; past the last step, that the line goes on. `ended`: the line ended
    /// there.
    pub(crate) fn describe_stop(&self, step: usize, ended: bool) -> String {
        /// Longest part of the format's rest shown (characters).
        const REST: usize = 60;
        let Some(name) = self.step_names.get(step) else {
            return "does not match the format (the line goes on after it)".into();
        };
        let head = if ended {
            "the line ends"
        } else {
            "does not match"
        };
        if !matches!(self.steps.get(step), Some(Step::Lit(_))) {
            return if ended {
                format!("the line ends where the format expects {name}")
            } else {
                format!("does not match the format at {name}")
            };
        }
        let rest: String = self.step_text[step..].concat();
        let mut shown: String = rest.chars().take(REST).collect();
        if shown.len() < rest.len() {
            shown.push('…');
        }
        let before = step
            .checked_sub(1)
            .filter(|&p| matches!(self.steps.get(p), Some(Step::Field(_))))
            .and_then(|p| self.step_names.get(p));
        match before {
            Some(b) => format!("{head} where the format expects `{shown}` (after {b})"),
            None => format!("{head} where the format expects `{shown}`"),
        }
    }

    /// Parse `line` into `rec`. Trailing CR/LF are ignored.
    pub(crate) fn parse<'a>(
        &self,
        line: &'a [u8],
        rec: &mut Record<'a>,
        scratch: &mut Scratch,
    ) -> Result<(), ParseFailure> {
        let mut end = line.len();
        while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let line = &line[..end];
        if scratch.parts.len() != self.time_slots.len() {
            scratch
                .parts
                .resize(self.time_slots.len(), TimeParts::default());
        }
        for p in &mut scratch.parts {
            *p = TimeParts::default();
        }
        // Every slot is written on the way to a match (fields, time groups, request
        // pieces), so the values of the previous line need not be cleared first.
        let values = rec.reuse_fixed(&self.schema);
        if !self.stop_bytes.is_empty() {
            scratch.map.fill(line, &self.stop_bytes);
        }
        let mut m = Matcher {
            prog: self,
            map: &scratch.map,
            line,
            values,
            parts: &mut scratch.parts,
            date: &mut scratch.date,
            splits_done: 0,
            stepped: false,
            failed: &mut scratch.failed,
            budget: BUDGET,
            far_pos: 0,
            far_step: 0,
        };
        let fast = m.run_fast();
        if !fast {
            m.splits_done = 0;
            m.failed.clear();
            // Where the search gets to is what the failure reports, not the fast path.
            m.far_pos = 0;
            m.far_step = 0;
        }
        if !fast && !m.run(0, 0) {
            let reason = if m.budget == 0 {
                Reason::Ambiguous
            } else {
                Reason::NoMatch {
                    step: m.far_step.min(u16::MAX as usize) as u16,
                    ended: m.far_pos >= line.len(),
                }
            };
            let offset = m.far_pos;
            // A failed line leaves no half-filled record behind.
            rec.begin_fixed(&self.schema);
            return Err(ParseFailure { reason, offset });
        }
        let done = m.splits_done;
        let stepped = m.stepped;
        let values = rec.slots_mut();
        for ((&slot, parts), &want) in self
            .time_slots
            .iter()
            .zip(&scratch.parts)
            .zip(&self.times_wanted)
        {
            if want {
                values[slot as usize] = parts.assemble().map_or(Value::Null, Value::Time);
            }
        }
        for (k, (s, &want)) in self.splits.iter().zip(&self.splits_wanted).enumerate() {
            if want && (k >= 32 || done & (1 << k) == 0) {
                split_request(values, s);
            }
        }
        if !fast || stepped {
            // The general code writes every field: keep the projection's promise that the
            // others are null.
            if let Some(w) = &self.wanted {
                for (v, want) in values.iter_mut().zip(w) {
                    if !want {
                        *v = Value::Null;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The bytes the fast path looks for in a request line it splits: where it ends, its
/// escapes, and the spaces and `?` between method, path, query and protocol.
pub(crate) const REQUEST_STOPS: [u8; 4] = [b'"', b'\\', b' ', b'?'];

/// The bytes a delimited field of `class` stops at when the literal after it starts with
/// `first`: the literal, and the bytes the class may not hold or that escape.
fn stop_set(class: Class, first: Option<u8>) -> Vec<u8> {
    let mut set = Vec::new();
    set.extend(first);
    match class {
        Class::Text => set.extend([b'\\', b'"']),
        Class::Word | Class::Query => set.extend([b'\\', b'"', b' ']),
        Class::Verbatim => {}
    }
    set
}

/// Per-parser scratch space, reused line after line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scratch {
    /// Where the fast path's stop bytes are in the line.
    map: StopMap,
    parts: Vec<TimeParts>,
    date: DateCache,
    /// Failed states of the backtracking search (kept for its allocation).
    failed: HashSet<(u32, u32)>,
}

/// Split the request line in slot `s.request` into method, path, query and protocol:
/// `METHOD SP target [SP protocol]`, the target at its first `?`. A request line with no
/// space (junk, `-`) gives nulls.
fn split_request<'a>(values: &mut [Value<'a>], s: &Split) {
    fn set<'a>(values: &mut [Value<'a>], slot: Option<u16>, v: Value<'a>) {
        if let Some(slot) = slot {
            values[slot as usize] = v;
        }
    }
    match &values[s.request as usize] {
        // The common case: the request line borrows from the line, so do its pieces.
        Value::Str(Cow::Borrowed(r)) => {
            let r: &'a [u8] = r;
            if let Some((m, p, q, h)) = split_line(r) {
                set(values, s.method, Value::borrowed(m));
                set(values, s.path, Value::borrowed(p));
                set(values, s.query, q.map_or(Value::Null, Value::borrowed));
                set(values, s.protocol, h.map_or(Value::Null, Value::borrowed));
                return;
            }
        }
        // An unescaped request line: its pieces are copies.
        Value::Str(Cow::Owned(r)) => {
            if let Some((m, p, q, h)) = split_line(r) {
                let own = |b: &[u8]| Value::Str(Cow::Owned(b.to_vec()));
                let (m, p, q, h) = (
                    own(m),
                    own(p),
                    q.map_or(Value::Null, own),
                    h.map_or(Value::Null, own),
                );
                set(values, s.method, m);
                set(values, s.path, p);
                set(values, s.query, q);
                set(values, s.protocol, h);
                return;
            }
        }
        _ => {}
    }
    for slot in [s.method, s.path, s.query, s.protocol] {
        set(values, slot, Value::Null);
    }
}

/// Builds a [`Program`] step by step; shared by the Apache and nginx compilers.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    steps: Vec<Step>,
    names: Vec<String>,
    step_names: Vec<String>,
    step_text: Vec<String>,
    /// Time groups by name; the group's slot is in `time_slots`.
    groups: Vec<String>,
    time_slots: Vec<u16>,
    splits: Vec<Split>,
}

impl Builder {
    /// Append literal bytes (merged with a literal just before).
    pub(crate) fn lit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if let Some(Step::Lit(prev)) = self.steps.last_mut() {
            let mut v = prev.to_vec();
            v.extend_from_slice(bytes);
            *prev = v.into_boxed_slice();
            if let Some(n) = self.step_names.last_mut() {
                *n = format!("literal {:?}", String::from_utf8_lossy(prev));
            }
            if let Some(t) = self.step_text.last_mut() {
                *t = String::from_utf8_lossy(prev).into_owned();
            }
            return;
        }
        self.step_names
            .push(format!("literal {:?}", String::from_utf8_lossy(bytes)));
        self.step_text
            .push(String::from_utf8_lossy(bytes).into_owned());
        self.steps.push(Step::Lit(bytes.into()));
    }

    /// A new slot called `name`.
    pub(crate) fn slot(&mut self, name: impl Into<String>) -> u16 {
        self.names.push(name.into());
        (self.names.len() - 1) as u16
    }

    /// The time group called `name` (its timestamp goes into a slot of that name, made
    /// the first time).
    pub(crate) fn time_group(&mut self, name: &str) -> u16 {
        if let Some(g) = self.groups.iter().position(|n| n == name) {
            return g as u16;
        }
        let slot = self.slot(name);
        self.groups.push(name.to_string());
        self.time_slots.push(slot);
        (self.groups.len() - 1) as u16
    }

    /// Append a field.
    pub(crate) fn field(&mut self, scan: Scan, dash_null: bool, out: Out, directive: &str) {
        let label = match out {
            Out::Slot(s) => format!("`{directive}` ({})", self.names[s as usize]),
            Out::Time(g) => format!("`{directive}` ({})", self.groups[g as usize]),
            Out::Discard => format!("`{directive}`"),
        };
        self.step_names.push(label);
        self.step_text.push(directive.to_string());
        self.steps.push(Step::Field(FieldStep {
            scan,
            dash_null,
            out,
            next: Next::End,
            stops: Stops::None,
        }));
    }

    /// Start a conditional group; returns a handle for [`Builder::end_alt`].
    pub(crate) fn begin_alt(&mut self, directive: &str) -> usize {
        self.step_names.push(format!("`{directive}`"));
        // The group's own directives follow as steps of their own.
        self.step_text.push(String::new());
        self.steps.push(Step::Alt { len: 0 });
        self.steps.len() - 1
    }

    /// End the conditional group started at `at`.
    pub(crate) fn end_alt(&mut self, at: usize) {
        let len = (self.steps.len() - at - 1) as u16;
        if let Some(Step::Alt { len: l }) = self.steps.get_mut(at) {
            *l = len;
        }
    }

    /// Names given so far.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Split the request line in `request` into the given slots.
    /// Split the request line in slot `request` into method, path, query and protocol,
    /// each in a slot of its own named `{prefix}method` and so on, except those whose
    /// plain name is in `taken` (a directive of the format gives it already).
    pub(crate) fn split_request(
        &mut self,
        request: u16,
        taken: &std::collections::HashSet<String>,
        prefix: &str,
    ) {
        let mut add = |n: &str| (!taken.contains(n)).then(|| self.slot(format!("{prefix}{n}")));
        let split = Split {
            request,
            method: add("method"),
            path: add("path"),
            query: add("query"),
            protocol: add("protocol"),
        };
        self.splits.push(split);
    }

    /// A time group made of one complete timestamp (`%t`, `$time_local`: the common
    /// case) needs no assembly: its field writes the timestamp straight into the slot.
    fn direct_timestamps(&mut self) {
        let mut count = vec![0usize; self.time_slots.len()];
        let mut complete = vec![true; self.time_slots.len()];
        for step in &self.steps {
            if let Step::Field(FieldStep {
                out: Out::Time(g),
                scan,
                ..
            }) = step
            {
                count[*g as usize] += 1;
                let whole = matches!(
                    scan,
                    Scan::Token(Token::Time(
                        TimePart::ApacheBracketed
                            | TimePart::ApacheBare
                            | TimePart::Iso8601
                            | TimePart::EpochFrac
                    ))
                );
                complete[*g as usize] &= whole;
            }
        }
        let mut renumber = vec![None; self.time_slots.len()];
        let mut kept = Vec::new();
        for (g, slot) in self.time_slots.iter().enumerate() {
            if !(count[g] == 1 && complete[g]) {
                renumber[g] = Some(kept.len() as u16);
                kept.push(*slot);
            }
        }
        for step in &mut self.steps {
            if let Step::Field(f) = step {
                if let Out::Time(g) = f.out {
                    f.out = match renumber[g as usize] {
                        Some(n) => Out::Time(n),
                        None => Out::Slot(self.time_slots[g as usize]),
                    };
                }
            }
        }
        self.time_slots = kept;
    }

    /// The finished program. With `dedupe`, a repeated name gets `_2`, `_3`, … so that
    /// every field can be named in a query.
    pub(crate) fn finish(mut self, dedupe: bool) -> Program {
        if dedupe {
            let mut seen = std::collections::HashMap::<String, usize>::new();
            for n in &mut self.names {
                let count = seen.entry(n.clone()).or_insert(0);
                *count += 1;
                if *count > 1 {
                    let mut k = *count;
                    let mut candidate = format!("{n}_{k}");
                    while seen.contains_key(&candidate) {
                        k += 1;
                        candidate = format!("{n}_{k}");
                    }
                    seen.insert(candidate.clone(), 1);
                    *n = candidate;
                }
            }
        }
        self.direct_timestamps();
        let mut p = Program {
            steps: self.steps,
            schema: Arc::new(Schema::new(self.names)),
            time_slots: self.time_slots,
            splits: self.splits,
            step_names: self.step_names,
            step_text: self.step_text,
            fast: Vec::new(),
            stop_bytes: StopBytes::default(),
            wanted: None,
            times_wanted: Vec::new(),
            splits_wanted: Vec::new(),
        };
        p.link();
        p
    }
}

/// Whether the field in `slot` holds a value whose kind the site decides: a request or
/// response header, a cookie, an environment variable, a note, a trailer, a query
/// argument (`%{X-Time}o`, `$http_x_request_time`, `$arg_page`). Such fields are often
/// numbers (`Content-Length`, a response time), and numeric text is summed and compared
/// as a number, so they are not refused as strings at plan time. `referer` and `agent`
/// (the two headers with names of their own) are text.
fn configured_value(names: &[String], slot: u16) -> bool {
    const PREFIXES: [&str; 8] = [
        "http_",
        "sent_http_",
        "cookie_",
        "env_",
        "note_",
        "trailer_",
        "sent_trailer_",
        "arg_",
    ];
    names
        .get(slot as usize)
        .is_some_and(|n| PREFIXES.iter().any(|p| n.starts_with(p)))
}
