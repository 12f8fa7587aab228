//! `field N`: the N-th field of a value, counted from 1; a negative N counts from the end,
//! so `field -1` is the seed's `line.rsplit(None, 1)[1]`.
//!
//! Without a delimiter, fields are runs of non-whitespace (ASCII space, tab, CR, VT, FF),
//! as Python's `split()` and awk's default: leading and repeated blanks make no empty
//! fields. With a delimiter (`-d ,`), every occurrence splits, so `a,,b` has an empty
//! second field, as `cut -d` does. A value with too few fields is skipped and counted.

use memchr::memmem;

use super::{SkipReason, Stage, Step};

/// A `field` stage.
#[derive(Debug, Clone)]
pub struct Field {
    index: i64,
    delimiter: Option<memmem::Finder<'static>>,
}

impl Field {
    /// Field `index` (1-based; negative from the end; 0 is not a field) split on whitespace.
    /// Returns `None` for index 0.
    pub fn new(index: i64) -> Option<Field> {
        (index != 0).then_some(Field {
            index,
            delimiter: None,
        })
    }

    /// Field `index` split on every occurrence of `delimiter` (non-empty).
    pub fn with_delimiter(index: i64, delimiter: &[u8]) -> Option<Field> {
        (index != 0 && !delimiter.is_empty()).then(|| Field {
            index,
            delimiter: Some(memmem::Finder::new(delimiter).into_owned()),
        })
    }

    /// The field of `value`, if it has one.
    #[inline]
    pub fn get<'a>(&self, value: &'a [u8]) -> Option<&'a [u8]> {
        match &self.delimiter {
            None => whitespace_field(value, self.index),
            Some(d) => delimited_field(value, self.index, d),
        }
    }
}

impl Stage for Field {
    #[inline]
    fn apply<'a>(&mut self, value: &'a [u8]) -> Step<'a> {
        match self.get(value) {
            Some(f) => Step::Pass(f),
            None => Step::Skip(SkipReason::NoSuchField),
        }
    }
}

#[inline]
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// The `index`-th whitespace-separated field (1-based, negative from the end).
pub fn whitespace_field(value: &[u8], index: i64) -> Option<&[u8]> {
    if index > 0 {
        let mut n = 0;
        let mut i = 0;
        let len = value.len();
        while i < len {
            while i < len && is_blank(value[i]) {
                i += 1;
            }
            if i == len {
                break;
            }
            let start = i;
            while i < len && !is_blank(value[i]) {
                i += 1;
            }
            n += 1;
            if n == index {
                return Some(&value[start..i]);
            }
        }
        None
    } else if index < 0 {
        let want = index.unsigned_abs();
        let mut n = 0;
        let mut end = value.len();
        while end > 0 {
            while end > 0 && is_blank(value[end - 1]) {
                end -= 1;
            }
            if end == 0 {
                break;
            }
            let stop = end;
            while end > 0 && !is_blank(value[end - 1]) {
                end -= 1;
            }
            n += 1;
            if n == want {
                return Some(&value[end..stop]);
            }
        }
        None
    } else {
        None
    }
}

/// The `index`-th field between occurrences of `delimiter`.
pub fn delimited_field<'a>(
    value: &'a [u8],
    index: i64,
    delimiter: &memmem::Finder<'_>,
) -> Option<&'a [u8]> {
    let dlen = delimiter.needle().len();
    if index > 0 {
        let mut start = 0;
        for _ in 1..index {
            start += delimiter.find(&value[start..])? + dlen;
        }
        let end = delimiter
            .find(&value[start..])
            .map_or(value.len(), |i| start + i);
        Some(&value[start..end])
    } else if index < 0 {
        // Split from the right: the positions of every delimiter, last first.
        let mut end = value.len();
        let mut found = 1;
        let want = index.unsigned_abs();
        let mut cursor = value.len();
        loop {
            let before = &value[..cursor];
            let pos = memmem::rfind(before, delimiter.needle());
            if found == want {
                let start = pos.map_or(0, |p| p + dlen);
                return Some(&value[start..end]);
            }
            let p = pos?;
            end = p;
            cursor = p;
            found += 1;
        }
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(v: &str, i: i64) -> Option<&str> {
        whitespace_field(v.as_bytes(), i).map(|b| std::str::from_utf8(b).unwrap())
    }

    fn dl<'a>(v: &'a str, d: &str, i: i64) -> Option<&'a str> {
        let f = memmem::Finder::new(d.as_bytes());
        delimited_field(v.as_bytes(), i, &f).map(|b| std::str::from_utf8(b).unwrap())
    }

    #[test]
    fn whitespace_fields_like_python_split() {
        let line = r#"  1.2.3.4 - - [24/Feb/2008:00:08:59 -0600] "GET /ply/ HTTP/1.1" 200 7587  "#;
        let py: Vec<&str> = line.split_whitespace().collect();
        for (i, want) in py.iter().enumerate() {
            assert_eq!(ws(line, i as i64 + 1), Some(*want));
            assert_eq!(ws(line, -(py.len() as i64) + i as i64), Some(*want));
        }
        assert_eq!(ws(line, -1), Some("7587"));
        assert_eq!(ws(line, py.len() as i64 + 1), None);
        assert_eq!(ws(line, -(py.len() as i64) - 1), None);
        assert_eq!(ws("", 1), None);
        assert_eq!(ws("   ", -1), None);
        assert_eq!(ws("a\tb\x0bc", 3), Some("c"));
    }

    #[test]
    fn delimited_fields_like_cut() {
        assert_eq!(dl("a,,b", ",", 1), Some("a"));
        assert_eq!(dl("a,,b", ",", 2), Some(""));
        assert_eq!(dl("a,,b", ",", 3), Some("b"));
        assert_eq!(dl("a,,b", ",", 4), None);
        assert_eq!(dl("a,,b", ",", -1), Some("b"));
        assert_eq!(dl("a,,b", ",", -2), Some(""));
        assert_eq!(dl("a,,b", ",", -3), Some("a"));
        assert_eq!(dl("a,,b", ",", -4), None);
        assert_eq!(dl("k=>v=>w", "=>", 2), Some("v"));
        assert_eq!(dl("k=>v=>w", "=>", -1), Some("w"));
        assert_eq!(dl("none", ",", 1), Some("none"));
        assert_eq!(dl("none", ",", -1), Some("none"));
    }

    #[test]
    fn stage_skips_missing_fields() {
        let mut f = Field::new(3).unwrap();
        assert_eq!(f.apply(b"a b c d"), Step::Pass(b"c"));
        assert_eq!(f.apply(b"a b"), Step::Skip(SkipReason::NoSuchField));
        assert!(Field::new(0).is_none());
        assert!(Field::with_delimiter(1, b"").is_none());
    }
}
