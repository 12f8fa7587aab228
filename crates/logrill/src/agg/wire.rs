//! Aggregate states as bytes: the building blocks of a serialized partial result
//! ([`crate::exec::partial`]), so that parts of the input aggregated on other machines (Spark
//! executors) merge exactly into the one-machine answer.
//!
//! A small hand-written format rather than serde: the states hold
//! [`Value`]s, hash maps keyed by [`encode_key`] bytes and seeded hashers, whose
//! in-memory shapes are private and change (the group tables are being rewritten); a derive
//! would tie the bytes to those shapes and spread serde over `record`, `agg` and `exec`.
//! Here each state is written from what it *means* (the values, their counts, in a defined
//! order) and read back by building a fresh state, so the bytes stay the same when the
//! tables change. Everything is little-endian; lengths are `u64`; every read is checked,
//! so corrupt bytes are a [`WireError`], never a panic or a huge allocation.
//!
//! Layout (tags are one byte):
//!
//! * value: `0` null, `1` bool (u8), `2` int (i64), `3` float (f64 bits), `4` text (len,
//!   bytes), `5` time (i64 micros since the epoch, i32 offset seconds or `i32::MIN` for a
//!   local time);
//! * number: `0` int (i64), `1` float (f64);
//! * total (exact sum): i128 integer part, i64 wraps past 128 bits, f64 fractional part,
//!   u8 "a fraction was added";
//! * aggregate: `0` count (u64), `1` sum (total), `2` min / `3` max (u8 present, number),
//!   `4` avg (total, u64 n);
//! * state: `0` simple (u8 counts values, aggregate), `1` min/max of values (u8 is max, u8
//!   present, value), `2` distinct (n, values), `3` count_distinct (n, encoded keys),
//!   `4` percentile (f64 q, u8 all integers, n, f64 values), `5` top (u64 N, n, then value
//!   and u64 count in first-seen order), `6` first/last (u8 is last, u8 present, value).

use std::borrow::Cow;

use super::distinct::{CountDistinct, Distinct};
use super::extreme::Extreme;
use super::first_last::FirstLast;
use super::percentile::Percentile;
use super::top::Top;
use super::{AggState, Aggregate, Number, Total};
use crate::record::order::encode_key;
use crate::record::{Timestamp, Value};

/// Bytes that are not a partial state this version can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a logrill partial state: {message} (at byte {at})")]
pub struct WireError {
    /// Where the problem was found.
    pub at: usize,
    pub message: String,
}

/// Appends the format's pieces to a buffer.
#[derive(Debug, Default)]
pub struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.bytes.push(v);
    }
    pub fn bool(&mut self, v: bool) {
        self.bytes.push(u8::from(v));
    }
    pub fn u64(&mut self, v: u64) {
        self.bytes.extend(v.to_le_bytes());
    }
    pub fn i64(&mut self, v: i64) {
        self.bytes.extend(v.to_le_bytes());
    }
    pub fn f64(&mut self, v: f64) {
        self.bytes.extend(v.to_bits().to_le_bytes());
    }
    pub fn len(&mut self, n: usize) {
        self.u64(n as u64);
    }
    pub fn blob(&mut self, b: &[u8]) {
        self.len(b.len());
        self.bytes.extend_from_slice(b);
    }

    pub fn value(&mut self, v: &Value<'_>) {
        match v {
            Value::Null => self.u8(0),
            Value::Bool(b) => {
                self.u8(1);
                self.bool(*b);
            }
            Value::Int(i) => {
                self.u8(2);
                self.i64(*i);
            }
            Value::Float(x) => {
                self.u8(3);
                self.f64(*x);
            }
            Value::Str(s) => {
                self.u8(4);
                self.blob(s);
            }
            Value::Time(t) => {
                self.u8(5);
                self.i64(t.unix_micros());
                self.bytes
                    .extend(t.offset_seconds().unwrap_or(i32::MIN).to_le_bytes());
            }
        }
    }

    fn opt_value(&mut self, v: Option<&Value<'_>>) {
        self.bool(v.is_some());
        if let Some(v) = v {
            self.value(v);
        }
    }

    fn number(&mut self, n: Number) {
        match n {
            Number::Int(i) => {
                self.u8(0);
                self.i64(i);
            }
            Number::Float(x) => {
                self.u8(1);
                self.f64(x);
            }
        }
    }

    fn total(&mut self, t: &Total) {
        self.bytes.extend(t.int().to_le_bytes());
        self.i64(t.wraps);
        self.f64(t.float);
        self.bool(t.has_float);
    }

    pub fn aggregate(&mut self, a: &Aggregate) {
        match a {
            Aggregate::Count(n) => {
                self.u8(0);
                self.u64(*n);
            }
            Aggregate::Sum(t) => {
                self.u8(1);
                self.total(t);
            }
            Aggregate::Min(m) | Aggregate::Max(m) => {
                self.u8(if matches!(a, Aggregate::Min(_)) { 2 } else { 3 });
                self.bool(m.is_some());
                if let Some(n) = m {
                    self.number(*n);
                }
            }
            Aggregate::Avg { total, n } => {
                self.u8(4);
                self.total(total);
                self.u64(*n);
            }
        }
    }

    pub fn state(&mut self, s: &AggState) {
        match s {
            AggState::Simple { agg, counts_values } => {
                self.u8(0);
                self.bool(*counts_values);
                self.aggregate(agg);
            }
            AggState::Extreme(e) => {
                self.u8(1);
                self.bool(e.max);
                self.opt_value(e.best.as_ref());
            }
            AggState::Distinct(d) => {
                self.u8(2);
                self.len(d.0.len());
                for v in d.0.values() {
                    self.value(v);
                }
            }
            AggState::CountDistinct(d) => {
                self.u8(3);
                // Sorted, so that equal states give equal bytes.
                let mut keys: Vec<&Vec<u8>> = d.0.iter().collect();
                keys.sort();
                self.len(keys.len());
                for k in keys {
                    self.blob(k);
                }
            }
            AggState::Percentile(p) => {
                self.u8(4);
                self.f64(p.q);
                self.bool(p.all_int);
                self.len(p.values.len());
                for x in &p.values {
                    self.f64(*x);
                }
            }
            AggState::Top(t) => {
                self.u8(5);
                self.u64(t.n as u64);
                let mut entries: Vec<_> = t.counts.iter().collect();
                entries.sort_by_key(|(k, _)| t.order.get(*k).copied().unwrap_or(u64::MAX));
                self.len(entries.len());
                for (_, (v, n)) in entries {
                    self.value(v);
                    self.u64(*n);
                }
            }
            AggState::FirstLast(f) => {
                self.u8(6);
                self.bool(f.last);
                self.opt_value(f.value.as_ref());
            }
        }
    }
}

/// Reads the format's pieces, every read checked against the end of the bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// An error at the current position.
    pub fn error(&self, message: impl Into<String>) -> WireError {
        WireError {
            at: self.pos,
            message: message.into(),
        }
    }

    /// Whether every byte was read.
    pub fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.error("cut short"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }
    pub fn bool(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(self.error(format!("{b} is not a flag"))),
        }
    }
    pub fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, WireError> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    pub fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A count of items that take at least `min_size` bytes each: more than the bytes
    /// left can hold is an error (so a corrupt count allocates nothing).
    pub fn len(&mut self, min_size: usize) -> Result<usize, WireError> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n.saturating_mul(min_size.max(1) as u64) > left {
            return Err(self.error(format!("a count of {n} is more than the bytes left")));
        }
        Ok(n as usize)
    }

    pub fn blob(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.len(1)?;
        self.take(n)
    }

    fn tag(&mut self, what: &str, max: u8) -> Result<u8, WireError> {
        let t = self.u8()?;
        if t > max {
            self.pos -= 1;
            return Err(self.error(format!("unknown {what} tag {t}")));
        }
        Ok(t)
    }

    pub fn value(&mut self) -> Result<Value<'static>, WireError> {
        Ok(match self.tag("value", 5)? {
            0 => Value::Null,
            1 => Value::Bool(self.bool()?),
            2 => Value::Int(self.i64()?),
            3 => Value::Float(self.f64()?),
            4 => Value::Str(Cow::Owned(self.blob()?.to_vec())),
            _ => {
                let micros = self.i64()?;
                let offset = i32::from_le_bytes(self.array()?);
                Value::Time(Timestamp::from_parts(
                    micros,
                    (offset != i32::MIN).then_some(offset),
                ))
            }
        })
    }

    fn opt_value(&mut self) -> Result<Option<Value<'static>>, WireError> {
        Ok(if self.bool()? {
            Some(self.value()?)
        } else {
            None
        })
    }

    fn number(&mut self) -> Result<Number, WireError> {
        Ok(match self.tag("number", 1)? {
            0 => Number::Int(self.i64()?),
            _ => Number::Float(self.f64()?),
        })
    }

    fn total(&mut self) -> Result<Total, WireError> {
        Ok(Total {
            int: super::int_halves(i128::from_le_bytes(self.array()?)),
            wraps: self.i64()?,
            float: self.f64()?,
            has_float: self.bool()?,
        })
    }

    pub fn aggregate(&mut self) -> Result<Aggregate, WireError> {
        Ok(match self.tag("aggregate", 4)? {
            0 => Aggregate::Count(self.u64()?),
            1 => Aggregate::Sum(self.total()?),
            t @ (2 | 3) => {
                let n = if self.bool()? {
                    Some(self.number()?)
                } else {
                    None
                };
                if t == 2 {
                    Aggregate::Min(n)
                } else {
                    Aggregate::Max(n)
                }
            }
            _ => Aggregate::Avg {
                total: self.total()?,
                n: self.u64()?,
            },
        })
    }

    pub fn state(&mut self) -> Result<AggState, WireError> {
        let mut scratch = Vec::new();
        Ok(match self.tag("aggregate state", 6)? {
            0 => {
                let counts_values = self.bool()?;
                AggState::Simple {
                    counts_values,
                    agg: self.aggregate()?,
                }
            }
            1 => {
                let max = self.bool()?;
                AggState::Extreme(Extreme {
                    max,
                    best: self.opt_value()?,
                })
            }
            2 => {
                let mut d = Distinct::default();
                for _ in 0..self.len(1)? {
                    let v = self.value()?;
                    scratch.clear();
                    encode_key(&v, &mut scratch);
                    d.0.insert(scratch.clone(), v);
                }
                AggState::Distinct(d)
            }
            3 => {
                let mut d = CountDistinct::default();
                for _ in 0..self.len(8)? {
                    d.0.insert(self.blob()?.to_vec());
                }
                AggState::CountDistinct(d)
            }
            4 => {
                let mut p = Percentile::new(self.f64()?);
                p.all_int = self.bool()?;
                let n = self.len(8)?;
                p.values.reserve(n);
                for _ in 0..n {
                    p.values.push(self.f64()?);
                }
                AggState::Percentile(p)
            }
            5 => {
                let top_n = usize::try_from(self.u64()?).unwrap_or(usize::MAX);
                let mut t = Top::new(top_n);
                for _ in 0..self.len(9)? {
                    let v = self.value()?;
                    let n = self.u64()?;
                    scratch.clear();
                    encode_key(&v, &mut scratch);
                    if t.counts.contains_key(&scratch) {
                        return Err(self.error("a top value given twice"));
                    }
                    t.order.insert(scratch.clone(), t.seen);
                    t.seen += 1;
                    t.counts.insert(scratch.clone(), (v, n));
                }
                AggState::Top(Box::new(t))
            }
            _ => {
                let last = self.bool()?;
                AggState::FirstLast(FirstLast {
                    last,
                    value: self.opt_value()?,
                })
            }
        })
    }
}
