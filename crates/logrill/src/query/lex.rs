//! Splitting a pipeline text into words and `|` bars, remembering each one's column.

use super::QueryError;

/// A word or a bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word, with quotes removed and escapes applied.
    pub text: String,
    /// 1-based column (in characters) where it starts.
    pub column: usize,
    /// Whether any part of it was quoted (a quoted `-v` is a pattern, not a flag).
    pub quoted: bool,
    bar: bool,
}

impl Token {
    /// Whether this is the `|` between stages.
    pub fn is_bar(&self) -> bool {
        self.bar
    }
}

/// Split `text` into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    tokenize_range(text, 0, text.chars().count())
}

/// Split characters `start..end` of `text` into tokens (columns count in all of `text`).
pub fn tokenize_range(text: &str, start: usize, end: usize) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().take(end).collect();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '|' {
            tokens.push(Token {
                text: "|".into(),
                column: i + 1,
                quoted: false,
                bar: true,
            });
            i += 1;
            continue;
        }
        let start = i;
        let mut word = String::new();
        let mut quoted = false;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '|' {
            match chars[i] {
                q @ ('\'' | '"') => {
                    quoted = true;
                    let open = i;
                    i += 1;
                    loop {
                        let Some(&c) = chars.get(i) else {
                            return Err(QueryError::new(text, open + 1, format!("unclosed {q}")));
                        };
                        i += 1;
                        if c == q {
                            break;
                        }
                        if q == '"' && c == '\\' && matches!(chars.get(i), Some('"' | '\\')) {
                            word.push(chars[i]);
                            i += 1;
                        } else {
                            word.push(c);
                        }
                    }
                }
                c => {
                    word.push(c);
                    i += 1;
                }
            }
        }
        tokens.push(Token {
            text: word,
            column: start + 1,
            quoted,
            bar: false,
        });
    }
    Ok(tokens)
}
