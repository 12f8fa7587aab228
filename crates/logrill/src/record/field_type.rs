//! What kind of value a field holds, where that is known before any line is read (the
//! fields of an Apache or nginx format, the columns a `select` or an aggregate makes), so
//! that a pipeline asking a string field for a sum is refused when it is prepared rather
//! than answering with every line skipped.

/// The kind of value a field holds (besides null, which any field may be).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A number (`int` or `float`).
    Number,
    /// A string.
    Text,
    /// A timestamp.
    Time,
    /// Not known before reading: decided line by line (JSON, logfmt, a regex group, an
    /// nginx field that is a number or a list).
    Any,
}

impl FieldType {
    /// The name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Number => "a number",
            FieldType::Text => "a string",
            FieldType::Time => "a time",
            FieldType::Any => "any value",
        }
    }
}
