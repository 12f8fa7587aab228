//! Running a compiled format over one line: the fast path (every field takes its first
//! possible end, with the common kinds of field read inline), and the backtracking search
//! that gives the same answer as a regex built from the format when the fast path fails.

pub(crate) mod stopmap;

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::IpAddr;

use super::escape;
use super::program::{
    Class, Fast, FieldStep, Next, Out, Program, Scan, Step, TextConv, Token, REQUEST_STOPS,
};
use super::scan::{
    first_end, first_end_by, lit_at, parse_apache_bracketed, parse_apache_fixed, swar_find,
    token_range, DateCache, ShortLit,
};
use super::time::TimeParts;
use super::timepart::TimePart;
use super::value::{parse_i64, Value};
use stopmap::{Sel, StopMap};

/// The state of matching one line.
pub(crate) struct Matcher<'p, 'a, 'r> {
    pub prog: &'p Program,
    /// Where the fast path's stop bytes are in the line (when the program maps any).
    pub map: &'r StopMap,
    pub line: &'a [u8],
    pub values: &'r mut [Value<'a>],
    pub parts: &'r mut [TimeParts],
    pub date: &'r mut DateCache,
    /// Splits (bit per split) already done by the fast path.
    pub splits_done: u32,
    /// The fast path took a step by the general code, which writes every field it reads.
    pub stepped: bool,
    /// `(step, position)` pairs known not to match (backtracking search only).
    pub failed: &'r mut HashSet<(u32, u32)>,
    /// Attempts left for the backtracking search.
    pub budget: u32,
    /// The furthest the search got: for the failure's reason and offset.
    pub far_pos: usize,
    pub far_step: usize,
}

/// Where the lazy scan of a delimited field stands: the next byte to look at, whether an
/// escape was seen so far, and which phase of the search it is in.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    p: usize,
    escaped: bool,
    /// The byte at `p` was a candidate end already: step over it before looking further.
    pending: bool,
    /// 0: the main scan; 1: the special candidate (`%q` empty, `%u` `""`); 2: done.
    phase: u8,
}

/// Where the search of a token's end stands.
#[derive(Debug, Clone, Copy)]
struct TokenCursor {
    /// Next end to try, counting down to `lo`; `None` before the first call.
    next: Option<(usize, usize)>,
    tried_dash: bool,
    done: bool,
}

/// A candidate end of a delimited field.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    end: usize,
    escaped: bool,
    /// `%u`'s `""`: the value is the empty string, not the text.
    empty_user: bool,
}

impl<'a> Matcher<'_, 'a, '_> {
    /// The literal after field `f` (fused: a field's end is only accepted where its literal
    /// follows, so the literal step need not be run again).
    #[inline]
    fn after(&self, i: usize, f: &FieldStep, end: usize) -> (usize, usize) {
        match f.next {
            Next::Lit(j) => match &self.prog.steps[j as usize] {
                Step::Lit(l) => (j as usize + 1, end + l.len()),
                _ => (i + 1, end),
            },
            _ => (i + 1, end),
        }
    }

    /// The common case: every field takes its first possible end. If the line matches this
    /// way, this is also the first match of the backtracking search, so the result is the
    /// same; if not, the backtracking search runs from the start.
    pub(crate) fn run_fast(&mut self) -> bool {
        let prog = self.prog;
        let line: &'a [u8] = self.line;
        let mut pos = 0;
        for op in &prog.fast {
            match op {
                Fast::Lit(l) => {
                    if !l.at(line, pos) {
                        return false;
                    }
                    pos += l.len();
                }
                Fast::Delim {
                    step,
                    slot,
                    class,
                    conv,
                    dash_null,
                    stops,
                    lit,
                    store,
                    map,
                } => {
                    let found = match map {
                        Some(sel) => first_end_mapped(self.map, sel, line, pos, *class, lit),
                        // `-` then the literal: the commonest field of all (ident, user,
                        // referer), and the lazy scan's first end too (unless the literal
                        // itself starts with `-`: then the empty field comes first).
                        None if line.get(pos) == Some(&b'-')
                            && lit.bytes[0] != b'-'
                            && lit.at(line, pos + 1) =>
                        {
                            Some((pos + 1, false))
                        }
                        None => first_end(line, pos, stops, *class, lit),
                    };
                    match found {
                        Some((end, escaped)) => {
                            let s = &line[pos..end];
                            // Each branch writes the slot itself (no temporary value: that
                            // costs a store-forwarding stall per field).
                            if let Some(dst) =
                                self.values.get_mut(*slot as usize).filter(|_| *store)
                            {
                                if *dash_null && s == b"-" {
                                    *dst = Value::Null;
                                } else if escaped {
                                    *dst = Value::Str(Cow::Owned(escape::unescape(s)));
                                } else if *conv == TextConv::Infer {
                                    *dst = Value::infer(s);
                                } else {
                                    *dst = Value::Str(Cow::Borrowed(s));
                                }
                            }
                            pos = end + lit.len();
                        }
                        None => match self.first_step(*step as usize, pos) {
                            Some(p) => pos = p,
                            None => return false,
                        },
                    }
                }
                Fast::Request {
                    step,
                    split,
                    lit,
                    map,
                } => match self.request(pos, *split, lit, map.as_ref()) {
                    Some(end) => pos = end + lit.len(),
                    None => match self.first_step(*step as usize, pos) {
                        Some(p) => pos = p,
                        None => return false,
                    },
                },
                Fast::Status {
                    step,
                    slot,
                    lit,
                    store,
                } => {
                    let rest = &line[pos..];
                    let digits = match rest {
                        [a, b, c, ..]
                            if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() =>
                        {
                            Some(
                                (*a - b'0') as i64 * 100
                                    + (*b - b'0') as i64 * 10
                                    + (*c - b'0') as i64,
                            )
                        }
                        _ => None,
                    };
                    let end = pos + 3;
                    let fits = match lit {
                        Some(l) => l.at(line, end),
                        None => end == line.len(),
                    };
                    match digits {
                        Some(v) if fits => {
                            if let Some(dst) =
                                self.values.get_mut(*slot as usize).filter(|_| *store)
                            {
                                *dst = Value::Int(v);
                            }
                            pos = end + lit.map_or(0, |l| l.len());
                        }
                        _ => match self.first_step(*step as usize, pos) {
                            Some(p) => pos = p,
                            None => return false,
                        },
                    }
                }
                Fast::Int {
                    step,
                    slot,
                    lit,
                    store,
                } => {
                    let (n, v) = leading_digits(&line[pos..], *store);
                    let end = pos + n;
                    let fits = n > 0
                        && match lit {
                            Some(l) => l.at(line, end) && !l.bytes[0].is_ascii_digit(),
                            None => end == line.len(),
                        };
                    if fits {
                        if let Some(dst) = self.values.get_mut(*slot as usize).filter(|_| *store) {
                            *dst = Value::Int(v);
                        }
                        pos = end + lit.map_or(0, |l| l.len());
                    } else {
                        match self.first_step(*step as usize, pos) {
                            Some(p) => pos = p,
                            None => return false,
                        }
                    }
                }
                Fast::Time {
                    step,
                    slot,
                    lit,
                    store,
                    bracketed,
                } => {
                    let end = pos + if *bracketed { 28 } else { 26 };
                    let fits = match lit {
                        Some(l) => l.at(line, end),
                        None => end == line.len(),
                    };
                    let ts = match line.get(pos..end) {
                        Some([b'[', inner @ .., b']']) if fits && *bracketed => {
                            parse_apache_fixed(inner, self.date)
                        }
                        Some(s) if fits && !*bracketed => parse_apache_fixed(s, self.date),
                        _ => None,
                    };
                    match ts {
                        Some(ts) => {
                            if let Some(dst) =
                                self.values.get_mut(*slot as usize).filter(|_| *store)
                            {
                                *dst = Value::Time(ts);
                            }
                            pos = end + lit.map_or(0, |l| l.len());
                        }
                        None => match self.first_step(*step as usize, pos) {
                            Some(p) => pos = p,
                            None => return false,
                        },
                    }
                }
                Fast::Step(i) => match self.first_step(*i as usize, pos) {
                    Some(p) => pos = p,
                    None => return false,
                },
            }
        }
        pos == line.len()
    }

    /// A quoted request line from `pos` to the first `"` followed by `lit`, stored with
    /// its pieces (method, path, query, protocol) found in the same pass. `None` for
    /// anything unusual (escapes, a raw quote, `-`): the general code then handles it.
    #[inline(always)]
    fn request(
        &mut self,
        pos: usize,
        split: u16,
        lit: &ShortLit,
        map: Option<&Sel>,
    ) -> Option<usize> {
        let line: &'a [u8] = self.line;
        let s = *self.prog.splits.get(split as usize)?;
        let mut p = pos;
        let (mut first_sp, mut last_sp, mut question) = (None, None, None);
        let end = loop {
            p = match map {
                Some(sel) => self.map.find(sel, p)?,
                None => p + swar_find::<4>(&line[p..], REQUEST_STOPS)?,
            };
            match line[p] {
                b'"' if lit.at(line, p) => break p,
                b' ' => {
                    first_sp = first_sp.or(Some(p));
                    last_sp = Some(p);
                }
                b'?' => {
                    if first_sp.is_some() && question.is_none() {
                        question = Some(p);
                    }
                }
                // An escape or a raw quote: the general way.
                _ => return None,
            }
            p += 1;
        };
        let r = &line[pos..end];
        if r == b"-" {
            return None;
        }
        let Some(sp) = first_sp else {
            // No space: not a request line to split (junk); the general way writes nulls.
            return None;
        };
        let last = last_sp.unwrap_or(sp);
        let (target_end, protocol) = if last > sp {
            (last, Some(&line[last + 1..end]))
        } else {
            (end, None)
        };
        let (path, query) = match question {
            Some(q) if q < target_end => (&line[sp + 1..q], Some(&line[q + 1..target_end])),
            _ => (&line[sp + 1..target_end], None),
        };
        let values = &mut *self.values;
        let mut put = |slot: Option<u16>, v: Option<&'a [u8]>| {
            if let Some(dst) = slot.and_then(|i| values.get_mut(i as usize)) {
                match v {
                    Some(b) => *dst = Value::Str(Cow::Borrowed(b)),
                    None => *dst = Value::Null,
                }
            }
        };
        put(Some(s.request), Some(r));
        put(s.method, Some(&line[pos..sp]));
        put(s.path, Some(path));
        put(s.query, query);
        put(s.protocol, protocol);
        // `split` < 32: see `Program::plan`.
        self.splits_done |= 1 << split;
        Some(end)
    }

    /// Step `i` at `pos`, its first candidate only, by the general code; the position
    /// after it (and after its literal, which the field checked).
    fn first_step(&mut self, i: usize, pos: usize) -> Option<usize> {
        self.stepped = true;
        let prog = self.prog;
        let line = self.line;
        match &prog.steps[i] {
            Step::Lit(l) => lit_at(line, pos, l).then(|| pos + l.len()),
            Step::Alt { .. } => Some(pos),
            Step::Field(f) => {
                let end = match f.scan {
                    Scan::Delimited(class, conv) => {
                        let mut c = self.cursor(class, pos);
                        let cand = self.next_candidate(f, class, conv, pos, &mut c)?;
                        self.store_text(f, conv, pos, cand);
                        cand.end
                    }
                    Scan::Token(t) => {
                        let mut c = TokenCursor {
                            next: None,
                            tried_dash: false,
                            done: false,
                        };
                        self.next_token(f, t, pos, &mut c)?
                    }
                };
                Some(self.after(i, f, end).1)
            }
        }
    }

    /// Match steps `i..` at `pos` to the end of the line, backtracking.
    ///
    /// Whether steps `i..` match from `pos` depends on nothing else, so a pair that failed
    /// once is remembered and not tried again: formats with fields right next to each
    /// other would otherwise take exponential time on some lines.
    pub(crate) fn run(&mut self, i: usize, pos: usize) -> bool {
        let key = (i as u32, pos as u32);
        if self.failed.contains(&key) {
            return false;
        }
        let ok = self.run_step(i, pos);
        if !ok && self.budget > 0 {
            // (When the budget is spent the failure says nothing about this state.)
            self.failed.insert(key);
        }
        ok
    }

    fn run_step(&mut self, i: usize, pos: usize) -> bool {
        self.note_far(pos, i);
        let prog = self.prog;
        let Some(step) = prog.steps.get(i) else {
            return pos == self.line.len();
        };
        match step {
            Step::Lit(l) => lit_at(self.line, pos, l) && self.run(i + 1, pos + l.len()),
            Step::Alt { len } => {
                if self.run(i + 1, pos) {
                    return true;
                }
                if self.line.get(pos) != Some(&b'-') || !self.spend() {
                    return false;
                }
                let after = i + 1 + *len as usize;
                for s in &prog.steps[i + 1..after] {
                    if let Step::Field(f) = s {
                        self.set_null(f);
                    }
                }
                self.run(after, pos + 1)
            }
            Step::Field(f) => match f.scan {
                Scan::Delimited(class, conv) => {
                    let mut c = self.cursor(class, pos);
                    while let Some(cand) = self.next_candidate(f, class, conv, pos, &mut c) {
                        if !self.spend() {
                            return false;
                        }
                        self.store_text(f, conv, pos, cand);
                        let (ni, np) = self.after(i, f, cand.end);
                        if self.run(ni, np) {
                            return true;
                        }
                    }
                    false
                }
                Scan::Token(t) => {
                    let mut c = TokenCursor {
                        next: None,
                        tried_dash: false,
                        done: false,
                    };
                    while let Some(end) = self.next_token(f, t, pos, &mut c) {
                        if !self.spend() {
                            return false;
                        }
                        let (ni, np) = self.after(i, f, end);
                        if self.run(ni, np) {
                            return true;
                        }
                    }
                    false
                }
            },
        }
    }

    /// Note that matching got to step `step` at `pos`, if that is further than before:
    /// what a failure reports.
    #[inline]
    fn note_far(&mut self, pos: usize, step: usize) {
        if self.further(pos, step) {
            self.far_pos = pos;
            self.far_step = step;
        }
    }

    /// Whether step `step` at `pos` is further than matching got so far.
    #[inline]
    fn further(&self, pos: usize, step: usize) -> bool {
        pos > self.far_pos || (pos == self.far_pos && step > self.far_step)
    }

    /// A token ends validly at `end` but the step after it cannot start there: matching
    /// really stopped at `end` (where the next literal, or the end of the line, was
    /// expected), not where the token began. Only on the way to a failure.
    #[cold]
    fn note_token_stuck(&mut self, f: &FieldStep, t: Token, pos: usize, end: usize) {
        // What was expected at `end`: the literal after the token, or (past the last
        // step) the end of the line. (A field follows a token at any position: no stop.)
        let step = match f.next {
            Next::Lit(j) => j as usize,
            Next::End | Next::Any => self.prog.steps.len(),
        };
        if !self.further(end, step) {
            return;
        }
        let s = &self.line[pos..end];
        if (f.dash_null && s == b"-") || token_valid(t, s) {
            self.note_far(end, step);
        }
    }

    /// Count one attempt against the budget; false when it is spent.
    #[inline]
    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    /// Whether the step after field `f` can start at `end`.
    #[inline(always)]
    fn next_ok(&self, f: &FieldStep, end: usize) -> bool {
        match f.next {
            Next::Lit(j) => match &self.prog.steps[j as usize] {
                Step::Lit(l) => lit_at(self.line, end, l),
                _ => true,
            },
            Next::End => end == self.line.len(),
            Next::Any => true,
        }
    }

    #[inline]
    fn set_null(&mut self, f: &FieldStep) {
        match f.out {
            Out::Slot(s) => self.values[s as usize] = Value::Null,
            Out::Time(g) => {
                if let Scan::Token(Token::Time(p)) = f.scan {
                    p.clear(&mut self.parts[g as usize]);
                }
            }
            Out::Discard => {}
        }
    }

    /// Store a delimited field's value. (Each branch writes the slot itself: building the
    /// value first and then moving it costs a store-forwarding stall per field.)
    #[inline(always)]
    fn store_text(&mut self, f: &FieldStep, conv: TextConv, pos: usize, c: Candidate) {
        let Out::Slot(slot) = f.out else {
            return;
        };
        let line: &'a [u8] = self.line;
        let s = &line[pos..c.end];
        let Some(dst) = self.values.get_mut(slot as usize) else {
            return;
        };
        if c.empty_user {
            *dst = Value::borrowed(b"");
        } else if f.dash_null && s == b"-" {
            *dst = Value::Null;
        } else {
            match conv {
                TextConv::Str | TextConv::User => {
                    *dst = if c.escaped {
                        Value::Str(Cow::Owned(escape::unescape(s)))
                    } else {
                        Value::Str(Cow::Borrowed(s))
                    }
                }
                TextConv::QueryStripped => match s.split_first() {
                    Some((b'?', rest)) => *dst = Value::Str(escape::cow(rest, c.escaped)),
                    _ => *dst = Value::Null,
                },
                TextConv::Infer if !c.escaped => *dst = Value::infer(s),
                TextConv::Infer => *dst = Value::Str(escape::cow(s, c.escaped)),
            }
        }
    }

    #[inline]
    fn cursor(&self, class: Class, pos: usize) -> Cursor {
        if class == Class::Query {
            // `(?:\?word*?)?`: with a `?`, its ends after the `?` first; then no query.
            let has = self.line.get(pos) == Some(&b'?');
            Cursor {
                p: pos + 1,
                escaped: false,
                pending: false,
                phase: if has { 0 } else { 1 },
            }
        } else {
            Cursor {
                p: pos,
                escaped: false,
                pending: false,
                phase: 0,
            }
        }
    }

    /// Step over the byte at `c.p` inside a field: an escape takes two bytes; a byte the
    /// class forbids ends the main scan.
    #[inline]
    fn advance(&self, class: Class, c: &mut Cursor) {
        let line = self.line;
        let Some(&b) = line.get(c.p) else {
            c.phase = 1;
            return;
        };
        if class != Class::Verbatim {
            if b == b'\\' {
                if c.p + 1 >= line.len() {
                    c.phase = 1;
                } else {
                    c.escaped = true;
                    c.p += 2;
                }
                return;
            }
            if b == b'"' || (b == b' ' && class != Class::Text) {
                c.phase = 1;
                return;
            }
        }
        c.p += 1;
    }

    /// The next end of a delimited field starting at `pos`, in the order a lazy regex
    /// would try them.
    fn next_candidate(
        &mut self,
        f: &FieldStep,
        class: Class,
        conv: TextConv,
        pos: usize,
        c: &mut Cursor,
    ) -> Option<Candidate> {
        let line = self.line;
        let len = line.len();
        let min_end = if class == Class::Verbatim {
            pos + 1
        } else {
            pos
        };
        if c.phase == 0 && c.pending {
            c.pending = false;
            self.advance(class, c);
        }
        if c.phase == 0 {
            match f.next {
                Next::Lit(j) => {
                    let Step::Lit(lit) = &self.prog.steps[j as usize] else {
                        return None;
                    };
                    let lit0 = lit[0];
                    while c.phase == 0 {
                        let Some(off) = f.stops.find(&line[c.p..]) else {
                            c.phase = 1;
                            c.p = len;
                            break;
                        };
                        c.p += off;
                        if line[c.p] == lit0 && c.p >= min_end && lit_at(line, c.p, lit) {
                            c.pending = true;
                            return Some(Candidate {
                                end: c.p,
                                escaped: c.escaped,
                                empty_user: false,
                            });
                        }
                        self.advance(class, c);
                    }
                    // The field can go no further (the line ended, or a byte it may not
                    // hold): the literal after it was expected there.
                    self.note_far(c.p.min(len), j as usize);
                }
                Next::End => {
                    // Without a literal the stops are escapes and forbidden bytes only.
                    while c.phase == 0 {
                        match f.stops.find(&line[c.p..]) {
                            None => {
                                c.phase = 1;
                                if len >= min_end {
                                    return Some(Candidate {
                                        end: len,
                                        escaped: c.escaped,
                                        empty_user: false,
                                    });
                                }
                            }
                            Some(off) => {
                                c.p += off;
                                self.advance(class, c);
                            }
                        }
                    }
                }
                Next::Any => {
                    if c.p <= len && c.p >= min_end {
                        c.pending = true;
                        return Some(Candidate {
                            end: c.p,
                            escaped: c.escaped,
                            empty_user: false,
                        });
                    }
                    if c.p < len {
                        self.advance(class, c);
                        if c.phase == 0 {
                            // Not yet a candidate (a verbatim field's first byte): retry.
                            return self.next_candidate(f, class, conv, pos, c);
                        }
                    } else {
                        c.phase = 1;
                    }
                }
            }
        }
        if c.phase == 1 {
            c.phase = 2;
            if class == Class::Query && self.next_ok(f, pos) {
                return Some(Candidate {
                    end: pos,
                    escaped: false,
                    empty_user: false,
                });
            }
            if conv == TextConv::User && lit_at(line, pos, b"\"\"") && self.next_ok(f, pos + 2) {
                return Some(Candidate {
                    end: pos + 2,
                    escaped: false,
                    empty_user: true,
                });
            }
        }
        None
    }

    /// The next end of a token at `pos` (longest first) whose text is valid and after
    /// which the next step can start; its value is stored. Then a lone `-` if allowed.
    fn next_token(
        &mut self,
        f: &FieldStep,
        t: Token,
        pos: usize,
        c: &mut TokenCursor,
    ) -> Option<usize> {
        if c.done {
            return None;
        }
        let line: &'a [u8] = self.line;
        if c.next.is_none() {
            c.next = Some(token_range(t, line, pos).map_or((1, 0), |(lo, hi)| (lo, hi)));
        }
        while let Some((lo, end)) = c.next {
            if end < lo {
                break;
            }
            c.next = if end > lo {
                Some((lo, end - 1))
            } else {
                Some((1, 0))
            };
            if !self.next_ok(f, end) {
                self.note_token_stuck(f, t, pos, end);
                continue;
            }
            let s = &line[pos..end];
            if f.dash_null && s == b"-" {
                c.tried_dash = true;
                self.set_null(f);
                return Some(end);
            }
            if self.emit_token(f, t, s) {
                return Some(end);
            }
        }
        c.done = true;
        if !c.tried_dash && f.dash_null && line.get(pos) == Some(&b'-') {
            if self.next_ok(f, pos + 1) {
                self.set_null(f);
                return Some(pos + 1);
            }
            self.note_token_stuck(f, t, pos, pos + 1);
        }
        None
    }

    /// Convert a token's text and store it; false if the text is not a valid token.
    #[inline(always)]
    fn emit_token(&mut self, f: &FieldStep, t: Token, s: &'a [u8]) -> bool {
        if let Token::Time(part) = t {
            return self.emit_time(f, part, s);
        }
        let Out::Slot(slot) = f.out else {
            return true;
        };
        let Some(dst) = self.values.get_mut(slot as usize) else {
            return false;
        };
        match t {
            Token::Int => match parse_i64(s) {
                Some(v) => *dst = Value::Int(v),
                None => return false,
            },
            Token::Seconds { per_second } => match parse_i64(s) {
                Some(v) => *dst = Value::Float(v as f64 / per_second as f64),
                None => return false,
            },
            Token::Float => match std::str::from_utf8(s).ok().and_then(|x| x.parse().ok()) {
                Some(x) => *dst = Value::Float(x),
                None => return false,
            },
            Token::Status => {
                let d = |k: usize| (s[k].wrapping_sub(b'0')) as i64;
                *dst = Value::Int(d(0) * 100 + d(1) * 10 + d(2));
            }
            Token::Hex => {
                match std::str::from_utf8(s)
                    .ok()
                    .and_then(|x| u64::from_str_radix(x, 16).ok())
                    .and_then(|v| i64::try_from(v).ok())
                {
                    Some(v) => *dst = Value::Int(v),
                    None => return false,
                }
            }
            Token::Ip => {
                if std::str::from_utf8(s)
                    .ok()
                    .and_then(|x| x.parse::<IpAddr>().ok())
                    .is_none()
                {
                    return false;
                }
                *dst = Value::Str(Cow::Borrowed(s));
            }
            Token::LogId | Token::ConnStatus => *dst = Value::Str(Cow::Borrowed(s)),
            Token::Time(_) => return false,
        }
        true
    }

    /// A time part: into its time group, or (a whole timestamp, or directive naming)
    /// straight into its slot.
    #[inline(always)]
    fn emit_time(&mut self, f: &FieldStep, part: TimePart, s: &'a [u8]) -> bool {
        if part == TimePart::ApacheBracketed {
            if let Out::Slot(slot) = f.out {
                // The common `%t`: no detour through the parts.
                let Some(ts) = parse_apache_bracketed(s, self.date) else {
                    return false;
                };
                if let Some(dst) = self.values.get_mut(slot as usize) {
                    *dst = Value::Time(ts);
                }
                return true;
            }
        }
        let Some(pv) = part.read(s) else {
            return false;
        };
        match f.out {
            Out::Time(g) => part.apply(pv, &mut self.parts[g as usize]),
            Out::Slot(slot) => {
                if let Some(v) = TimePart::to_value(pv) {
                    self.values[slot as usize] = v;
                }
            }
            Out::Discard => {}
        }
        true
    }
}

/// Whether `s` is a valid token `t`: what [`Matcher::emit_token`] accepts, without storing
/// anything (a time part's `apply` is not idempotent). Only for failure reports, so the
/// conversions are not shared with the hot path.
fn token_valid(t: Token, s: &[u8]) -> bool {
    let text = || std::str::from_utf8(s).ok();
    match t {
        Token::Time(part) => part.read(s).is_some(),
        Token::Int | Token::Seconds { .. } => parse_i64(s).is_some(),
        Token::Float => text().and_then(|x| x.parse::<f64>().ok()).is_some(),
        Token::Status => s.len() == 3 && s.iter().all(u8::is_ascii_digit),
        Token::Hex => text()
            .and_then(|x| u64::from_str_radix(x, 16).ok())
            .and_then(|v| i64::try_from(v).ok())
            .is_some(),
        Token::Ip => text().and_then(|x| x.parse::<IpAddr>().ok()).is_some(),
        Token::LogId | Token::ConnStatus => true,
    }
}

/// How many ASCII digits `rest` starts with, up to 18 (more cannot overflow an `i64`; the
/// caller takes the general way past that), and, when `value` asks, what they are (else
/// 0). With eight bytes of line they are counted in one word and their value made from
/// it, without a loop: the loop's end (`%b` has from one to seven digits, line by line) is
/// a branch the processor guesses wrong. A field that is only checked (`count by status`
/// reads no `%b`) is only counted.
#[inline(always)]
fn leading_digits(rest: &[u8], value: bool) -> (usize, i64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // The count of digits, and the word they were counted in.
    let counted = rest.first_chunk::<8>().and_then(|w| {
        let w = u64::from_le_bytes(*w);
        // A byte is a digit when its high nybble is 3 and adding 6 leaves it 3 (a low
        // nybble of at most 9): `off` is zero exactly in the digit bytes. (A carry out of
        // a byte only comes from a byte that is not a digit, and only bytes after the
        // first such one see it.)
        let (high, three) = (0xF0 * ONES, 0x30 * ONES);
        let off = ((w & high) ^ three) | ((w.wrapping_add(6 * ONES) & high) ^ three);
        // The top bit of each byte of `off` that is not zero.
        let low7 = 0x7F * ONES;
        let not_digit = (off | ((off & low7) + low7)) & (0x80 * ONES);
        // Eight digits or more: counted by the loop below.
        (not_digit != 0).then(|| (not_digit.trailing_zeros() as usize / 8, w))
    });
    match counted {
        Some((n, _)) if !value => (n, 0),
        Some((0, _)) => (0, 0),
        // The digits' values moved to the top bytes (the bytes below are zeros, leading
        // zero digits), then combined in pairs, fours and eights by three multiplications
        // (simdjson's eight-digit parse), again without a loop.
        Some((n, w)) => {
            let d = w.wrapping_sub(0x30 * ONES) << (8 * (8 - n));
            let d = d.wrapping_mul(10).wrapping_add(d >> 8);
            let mask = 0x0000_00FF_0000_00FF;
            let pairs = (d & mask).wrapping_mul(100 + (1_000_000 << 32));
            let quads = ((d >> 16) & mask).wrapping_mul(1 + (10_000 << 32));
            (n, (pairs.wrapping_add(quads) >> 32) as u32 as i64)
        }
        None => {
            let mut v: i64 = 0;
            let mut n = 0;
            while n < rest.len() && n < 18 && rest[n].is_ascii_digit() {
                v = v * 10 + i64::from(rest[n] - b'0');
                n += 1;
            }
            (n, v)
        }
    }
}

/// [`first_end`] with the stop bytes found in the line's [`StopMap`]: the same end.
#[inline(always)]
fn first_end_mapped(
    map: &StopMap,
    sel: &Sel,
    line: &[u8],
    pos: usize,
    class: Class,
    lit: &ShortLit,
) -> Option<(usize, bool)> {
    first_end_by(line, pos, class, lit, |p| map.find(sel, p))
}

#[cfg(test)]
mod tests {
    use super::leading_digits;

    /// The digits a line starts with, counted and read a byte at a time: the reference.
    fn by_bytes(rest: &[u8]) -> (usize, i64) {
        let n = rest
            .iter()
            .take(18)
            .take_while(|b| b.is_ascii_digit())
            .count();
        let v = rest[..n]
            .iter()
            .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        (n, v)
    }

    /// Every run of digits (none to past 18) before every kind of byte, the neighbours of
    /// the digits (`/` and `:`) and bytes that carry (`0xFA`…) included, at every length
    /// around the eight a word holds: counted and read as byte by byte.
    #[test]
    fn leading_digits_are_those_a_byte_loop_finds() {
        let mut next = crate::stage::parse::xorshift(0xD161_75D1_6175_0001);
        let others = [
            b'/',
            b':',
            b' ',
            b'-',
            b'"',
            0xFA,
            0xFF,
            0x39 + 0x80,
            0x30 + 0x80,
            0,
        ];
        for _ in 0..20_000 {
            let digits = (next() % 22) as usize;
            let mut line: Vec<u8> = (0..digits).map(|_| b'0' + (next() % 10) as u8).collect();
            let tail = (next() % 10) as usize;
            line.extend((0..tail).map(|_| match next() % 3 {
                0 => b'0' + (next() % 10) as u8,
                _ => others[(next() % others.len() as u64) as usize],
            }));
            let want = by_bytes(&line);
            assert_eq!(leading_digits(&line, true), want, "{line:?}");
            assert_eq!(leading_digits(&line, false).0, want.0, "{line:?}");
        }
    }
}
