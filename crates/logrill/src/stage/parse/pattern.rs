//! `parse regex '(?P<name>…)'`: the named groups of a regular expression are the fields.
//!
//! The regex runs on bytes (`regex::bytes`), so lines need not be UTF-8. It is searched in
//! the line, not anchored: add `^…$` to require a whole-line match. The capture positions
//! are kept in the parser and reused, so a line costs no allocation. Groups that did not
//! take part are null; the others are canonical numbers or strings ([`Value::infer`]).
//! Unnamed groups are not fields. The regex crate's Unicode mode is on by default, so `\S`
//! or `.` match whole UTF-8 characters; start the pattern with `(?-u)` to match any byte.

use std::sync::Arc;

use regex::bytes::{CaptureLocations, Regex};

use super::record::{Record, Schema};
use super::value::Value;
use super::{FormatError, FormatErrorKind, ParseFailure, Reason};

/// The regex parser.
#[derive(Debug, Clone)]
pub struct RegexParser {
    regex: Regex,
    locations: CaptureLocations,
    /// Capture group index of each slot.
    groups: Vec<usize>,
    schema: Arc<Schema>,
}

impl RegexParser {
    /// Compile `pattern`; it must have at least one named group.
    pub fn new(pattern: &str) -> Result<RegexParser, FormatError> {
        let err = |column: usize, message: String| FormatError {
            format: pattern.to_string(),
            column,
            kind: FormatErrorKind::BadRegex,
            message,
        };
        let regex = Regex::new(pattern).map_err(|e| {
            // The regex crate's message already shows the pattern with a caret.
            err(1, e.to_string())
        })?;
        let mut groups = Vec::new();
        let mut names = Vec::new();
        for (i, name) in regex.capture_names().enumerate() {
            if let Some(n) = name {
                groups.push(i);
                names.push(n.to_string());
            }
        }
        if names.is_empty() {
            return Err(err(
                1,
                "the regex has no named group: name the fields with (?P<name>…)".to_string(),
            ));
        }
        Ok(RegexParser {
            locations: regex.capture_locations(),
            regex,
            groups,
            schema: Arc::new(Schema::new(names)),
        })
    }

    /// The field names (the group names, in order).
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// Parse one line into `rec`.
    pub fn parse<'a>(&mut self, line: &'a [u8], rec: &mut Record<'a>) -> Result<(), ParseFailure> {
        if self
            .regex
            .captures_read(&mut self.locations, line)
            .is_none()
        {
            return Err(ParseFailure {
                reason: Reason::RegexNoMatch,
                offset: 0,
            });
        }
        let slots = rec.begin_fixed(&self.schema);
        for (slot, &g) in self.groups.iter().enumerate() {
            if let Some((s, e)) = self.locations.get(g) {
                slots[slot] = Value::infer(&line[s..e]);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_become_fields() {
        // `(?-u)`: classes match bytes, so lines that are not UTF-8 match too.
        let mut p = RegexParser::new(r"(?-u)(?P<ip>\S+) (\S+) (?P<n>\d+)(?: (?P<opt>x))?").unwrap();
        assert_eq!(p.schema().names(), ["ip", "n", "opt"]);
        let mut rec = Record::new();
        p.parse(b"junk 1.2.3.4 - 200", &mut rec).unwrap();
        assert_eq!(rec.get_by_name("ip"), Some(&Value::borrowed(b"1.2.3.4")));
        assert_eq!(rec.get_by_name("n"), Some(&Value::Int(200)));
        assert_eq!(rec.get_by_name("opt"), Some(&Value::Null));
        let f = p.parse(b"nothing", &mut rec).unwrap_err();
        assert_eq!(f.reason, Reason::RegexNoMatch);
        // Bytes that are not UTF-8 are fine.
        p.parse(b"\xff\xfe - 7 x", &mut rec).unwrap();
        assert_eq!(rec.get_by_name("ip"), Some(&Value::borrowed(b"\xff\xfe")));
        assert_eq!(rec.get_by_name("opt"), Some(&Value::borrowed(b"x")));
    }

    #[test]
    fn bad_patterns() {
        let e = RegexParser::new(r"(\d+)").unwrap_err();
        assert!(e.message.contains("named group"), "{e}");
        let e = RegexParser::new(r"(?P<a>").unwrap_err();
        assert_eq!(e.kind, FormatErrorKind::BadRegex);
    }
}
