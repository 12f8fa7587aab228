//! Records: the fields of one parsed line, in order.
//!
//! Two shapes share one type:
//! * **Fixed schema** (LogFormat, nginx, regex): every line has the same fields, known when
//!   the parser is built. Values sit in slots, in the order of the parser's
//!   [`Schema`]; a field is found by its slot number, resolved once per query plan with
//!   [`Parser::resolve`](crate::stage::parse::Parser::resolve), so the per-line lookup is an index.
//! * **Dynamic** (JSON, logfmt): each line names its own fields; a record keeps the names
//!   beside the values and a lookup by name scans them (records are short).
//!
//! A record is meant to be reused: the parsers clear and refill it, keeping its allocation.
//! Its values borrow from the line, so between batches of lines (whose buffers are
//! different borrows) turn it into a record for the next borrow with [`Record::recycle`],
//! which keeps the allocation too.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use super::value::Value;

/// The field names of a parser whose lines all have the same fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    names: Vec<String>,
    index: HashMap<String, usize, foldhash::quality::RandomState>,
}

impl Schema {
    /// A schema with these names, in slot order. If a name repeats, lookups by name find
    /// the first.
    pub fn new(names: Vec<String>) -> Schema {
        let mut index = HashMap::with_capacity_and_hasher(names.len(), Default::default());
        for (i, n) in names.iter().enumerate() {
            index.entry(n.clone()).or_insert(i);
        }
        Schema { names, index }
    }

    /// The names, in slot order.
    #[inline]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The slot of `name`.
    #[inline]
    pub fn slot(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no fields.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A field resolved once per plan: a slot of a fixed schema, or a name to look up in each
/// record (dynamic records, or a name the schema does not have, which is then always
/// absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldKey {
    /// The slot of a fixed schema.
    Slot(usize),
    /// A name, looked up per record.
    Name(Box<str>),
}

/// The fields of one line.
#[derive(Debug, Clone, Default)]
pub struct Record<'a> {
    schema: Option<Arc<Schema>>,
    values: Vec<Value<'a>>,
    /// Names of a dynamic record, parallel to `values`; empty with a schema.
    names: Vec<Cow<'a, str>>,
}

/// A vector of the same element type for another lifetime, keeping the allocation (the
/// standard library collects in place when the layouts are equal).
fn recycle_vec<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl<'a> Record<'a> {
    /// An empty record.
    pub fn new() -> Record<'a> {
        Record::default()
    }

    /// Remove every field, keeping the allocation (and the schema).
    #[inline]
    pub fn clear(&mut self) {
        self.values.clear();
        self.names.clear();
    }

    /// This record, emptied, for lines with another lifetime; keeps the allocation.
    pub fn recycle<'b>(self) -> Record<'b> {
        Record {
            schema: self.schema,
            values: recycle_vec(self.values),
            names: recycle_vec(self.names),
        }
    }

    /// A copy that owns all its bytes.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            schema: self.schema,
            values: self.values.into_iter().map(Value::into_owned).collect(),
            names: self
                .names
                .into_iter()
                .map(|n| Cow::Owned(n.into_owned()))
                .collect(),
        }
    }

    /// Number of fields.
    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no fields.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The schema of a fixed-schema record.
    #[inline]
    pub fn schema(&self) -> Option<&Arc<Schema>> {
        self.schema.as_ref()
    }

    /// The value at position `i`.
    #[inline]
    pub fn value(&self, i: usize) -> Option<&Value<'a>> {
        self.values.get(i)
    }

    /// All values, in order.
    #[inline]
    pub fn values(&self) -> &[Value<'a>] {
        &self.values
    }

    /// The name of the field at position `i`.
    pub fn name(&self, i: usize) -> Option<&str> {
        match &self.schema {
            Some(s) => s.names().get(i).map(String::as_str),
            None => self.names.get(i).map(|n| &**n),
        }
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value<'a>)> + '_ {
        (0..self.values.len()).map(move |i| (self.name(i).unwrap_or(""), &self.values[i]))
    }

    /// The field for a resolved key; `None` if the record has no such field.
    #[inline]
    pub fn get(&self, key: &FieldKey) -> Option<&Value<'a>> {
        match key {
            FieldKey::Slot(i) => self.values.get(*i),
            FieldKey::Name(n) => self.get_by_name(n),
        }
    }

    /// The first field called `name`.
    pub fn get_by_name(&self, name: &str) -> Option<&Value<'a>> {
        match &self.schema {
            Some(s) => s.slot(name).and_then(|i| self.values.get(i)),
            // Names are short: compared by words, not by a call to `memcmp` per name.
            None => self
                .names
                .iter()
                .position(|n| super::words::same_bytes(n.as_bytes(), name.as_bytes()))
                .and_then(|i| self.values.get(i)),
        }
    }

    /// Append a named field (dynamic records). Clears the schema if there was one.
    ///
    /// Always inlined into the parser that calls it: called, its name and value were
    /// written to the stack by the caller in 8-byte pieces and read back here in 16-byte
    /// ones, a failed store forwarding on every field (5% of `parse json | count, sum
    /// latency_ms by service`).
    #[inline(always)]
    pub fn push(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        if self.schema.is_some() {
            self.drop_schema();
        }
        self.names.push(name);
        self.values.push(value);
    }

    #[cold]
    fn drop_schema(&mut self) {
        self.schema = None;
        self.values.clear();
    }

    /// Start a dynamic record: no schema, no fields.
    #[inline]
    pub(crate) fn begin_dynamic(&mut self) {
        self.schema = None;
        self.clear();
    }

    /// Start a fixed-schema record: `schema.len()` null slots.
    #[inline]
    pub(crate) fn begin_fixed(&mut self, schema: &Arc<Schema>) -> &mut [Value<'a>] {
        if !self.schema.as_ref().is_some_and(|s| Arc::ptr_eq(s, schema)) {
            self.schema = Some(Arc::clone(schema));
        }
        self.names.clear();
        self.values.clear();
        self.values.resize(schema.len(), Value::Null);
        &mut self.values
    }

    /// Start a fixed-schema record keeping the values of the previous line when the
    /// schema is the same: the caller overwrites every slot (or calls
    /// [`Record::begin_fixed`] if it gives up).
    #[inline]
    pub(crate) fn reuse_fixed(&mut self, schema: &Arc<Schema>) -> &mut [Value<'a>] {
        let same = self.schema.as_ref().is_some_and(|s| Arc::ptr_eq(s, schema))
            && self.values.len() == schema.len()
            && self.names.is_empty();
        if same {
            &mut self.values
        } else {
            self.begin_fixed(schema)
        }
    }

    /// The values of a fixed-schema record, to fill in.
    #[inline]
    pub(crate) fn slots_mut(&mut self) -> &mut [Value<'a>] {
        &mut self.values
    }

    /// The record as a JSON object (the first of repeated names wins).
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::with_capacity(self.len());
        for (name, value) in self.iter() {
            map.entry(name.to_string())
                .or_insert_with(|| value.to_json());
        }
        serde_json::Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_dynamic_lookups() {
        let schema = Arc::new(Schema::new(vec!["a".into(), "b".into(), "a".into()]));
        let mut r = Record::new();
        {
            let slots = r.begin_fixed(&schema);
            slots[0] = Value::Int(1);
            slots[2] = Value::Int(3);
        }
        assert_eq!(r.get(&FieldKey::Slot(0)), Some(&Value::Int(1)));
        assert_eq!(r.get(&FieldKey::Slot(1)), Some(&Value::Null));
        assert_eq!(r.get(&FieldKey::Slot(9)), None);
        assert_eq!(r.get_by_name("a"), Some(&Value::Int(1)));
        assert_eq!(r.name(2), Some("a"));
        assert_eq!(r.to_json(), serde_json::json!({"a": 1, "b": null}));

        r.begin_dynamic();
        r.push("x".into(), Value::borrowed(b"1"));
        r.push("y".into(), Value::Bool(true));
        assert_eq!(r.get(&FieldKey::Name("y".into())), Some(&Value::Bool(true)));
        assert_eq!(r.get_by_name("z"), None);
        assert_eq!(r.iter().count(), 2);
    }

    #[test]
    fn recycling_keeps_the_allocation() {
        let line = String::from("hello");
        let mut r = Record::new();
        r.push("k".into(), Value::borrowed(line.as_bytes()));
        let cap = r.values.capacity();
        let r2: Record<'static> = r.recycle();
        assert!(r2.is_empty());
        assert_eq!(r2.values.capacity(), cap);
    }
}
