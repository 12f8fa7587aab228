//! The pipeline language: text → a [`Plan`], with errors that point at the column.
//!
//! ```text
//! pipeline := stage ('|' stage)*
//! stage    := grep [-i] [-v] [-F] PATTERN
//!           | field [-d DELIM] N
//!           | head N
//!           | count | sum | min | max | avg        (an aggregate ends the pipeline)
//! ```
//!
//! Words are separated by blanks. `'single quotes'` take everything literally; in
//! `"double quotes"` only `\"` and `\\` are escapes (so a regex such as `"ply-.*\.gz"`
//! keeps its backslash). A `|` inside quotes is part of the word.

mod lex;

use std::fmt;

use crate::agg::AggKind;
use crate::stage::GrepOptions;

pub use lex::{tokenize, Token};

/// A pipeline text that does not parse (or names a stage wrongly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The pipeline text.
    pub text: String,
    /// 1-based column (in characters) of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(text: &str, column: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            text: text.to_string(),
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    /// `pipeline error at column C: message`, then the pipeline and a caret under column C.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pipeline error at column {}: {}\n  {}\n  {}^",
            self.column,
            self.message,
            self.text,
            " ".repeat(self.column.saturating_sub(1))
        )
    }
}

impl std::error::Error for QueryError {}

/// One stage that passes values on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageSpec {
    /// `grep [-i] [-v] [-F] PATTERN`
    Grep {
        pattern: String,
        options: GrepOptions,
    },
    /// `field [-d DELIM] N`
    Field {
        index: i64,
        delimiter: Option<String>,
    },
    /// `head N`
    Head(u64),
}

/// What the pipeline ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    /// The values themselves are the output (lines, or fields).
    Values,
    /// One aggregate over all values.
    Aggregate(AggKind),
}

/// A parsed pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub stages: Vec<StageSpec>,
    pub terminal: Terminal,
}

impl Plan {
    /// Whether the pipeline only filters and maps values (no aggregate): then "nothing came
    /// out" is worth an exit status of its own, as with grep.
    pub fn is_filter(&self) -> bool {
        self.terminal == Terminal::Values
    }
}

/// The stage names, for messages and help.
pub const STAGES: &[&str] = &["grep", "field", "head", "count", "sum", "min", "max", "avg"];

/// Parse a pipeline.
pub fn parse(text: &str) -> Result<Plan, QueryError> {
    let tokens = tokenize(text)?;
    let mut stages = Vec::new();
    let mut terminal = Terminal::Values;
    let mut groups: Vec<Vec<Token>> = vec![Vec::new()];
    let mut bars = Vec::new();
    for t in tokens {
        if t.is_bar() {
            bars.push(t.column);
            groups.push(Vec::new());
        } else if let Some(g) = groups.last_mut() {
            g.push(t);
        }
    }
    for (i, group) in groups.iter().enumerate() {
        let Some(head) = group.first() else {
            let column = if i == 0 {
                bars.first().copied().unwrap_or(1)
            } else {
                bars.get(i).copied().unwrap_or(text.chars().count() + 1)
            };
            let what = if text.trim().is_empty() {
                "empty pipeline: give at least one stage"
            } else {
                "empty stage: expected a stage name"
            };
            return Err(QueryError::new(text, column, what));
        };
        if let Terminal::Aggregate(kind) = terminal {
            return Err(QueryError::new(
                text,
                head.column,
                format!(
                    "no stage may follow the aggregate `{}` (it ends the pipeline)",
                    kind.name()
                ),
            ));
        }
        let args = &group[1..];
        let name = head.text.as_str();
        match name {
            "grep" => stages.push(parse_grep(text, head, args)?),
            "field" => stages.push(parse_field(text, head, args)?),
            "head" => {
                let [n] = args else {
                    return Err(arity(text, head, args, "head N"));
                };
                let count = n.text.parse::<u64>().map_err(|_| {
                    QueryError::new(text, n.column, "head needs a whole number of values")
                })?;
                stages.push(StageSpec::Head(count));
            }
            _ => match AggKind::from_name(name) {
                Some(kind) => {
                    if let Some(extra) = args.first() {
                        return Err(QueryError::new(
                            text,
                            extra.column,
                            format!(
                                "`{name}` takes no argument here: it aggregates the current value"
                            ),
                        ));
                    }
                    terminal = Terminal::Aggregate(kind);
                }
                None => {
                    return Err(QueryError::new(
                        text,
                        head.column,
                        format!("unknown stage `{name}` (stages: {})", STAGES.join(", ")),
                    ))
                }
            },
        }
    }
    Ok(Plan { stages, terminal })
}

fn arity(text: &str, head: &Token, args: &[Token], usage: &str) -> QueryError {
    let column = args.get(1).map_or(head.column, |t| t.column);
    let what = if args.is_empty() {
        "is missing its argument"
    } else {
        "has too many arguments"
    };
    QueryError::new(
        text,
        column,
        format!("`{}` {what}: usage `{usage}`", head.text),
    )
}

fn parse_grep(text: &str, head: &Token, args: &[Token]) -> Result<StageSpec, QueryError> {
    let mut options = GrepOptions::default();
    let mut rest = args;
    while let Some(t) = rest.first() {
        if t.quoted || !t.text.starts_with('-') || t.text == "-" {
            break;
        }
        rest = &rest[1..];
        if t.text == "--" {
            break;
        }
        for (i, flag) in t.text.chars().skip(1).enumerate() {
            match flag {
                'i' => options.ignore_case = true,
                'v' => options.invert = true,
                'F' => options.fixed = true,
                _ => {
                    return Err(QueryError::new(
                        text,
                        t.column + 1 + i,
                        format!("grep has no flag -{flag} (flags: -i, -v, -F)"),
                    ))
                }
            }
        }
    }
    let [pattern] = rest else {
        return Err(arity(text, head, rest, "grep [-i] [-v] [-F] PATTERN"));
    };
    // Compile now, so a bad regex is reported before any input is read.
    if let Err(e) = crate::stage::Grep::new(&pattern.text, options) {
        let first = e.to_string();
        let first = first.lines().last().unwrap_or("").trim().to_string();
        return Err(QueryError::new(
            text,
            pattern.column,
            format!("bad regular expression: {first}"),
        ));
    }
    Ok(StageSpec::Grep {
        pattern: pattern.text.clone(),
        options,
    })
}

fn parse_field(text: &str, head: &Token, args: &[Token]) -> Result<StageSpec, QueryError> {
    let mut delimiter = None;
    let mut rest = args;
    if let Some(t) = rest.first() {
        if !t.quoted && t.text.starts_with("-d") {
            if t.text.len() > 2 {
                delimiter = Some(t.text[2..].to_string());
                rest = &rest[1..];
            } else if let Some(d) = rest.get(1) {
                delimiter = Some(d.text.clone());
                rest = &rest[2..];
            } else {
                return Err(QueryError::new(text, t.column, "-d needs a delimiter"));
            }
            if delimiter.as_deref() == Some("") {
                return Err(QueryError::new(text, t.column, "the delimiter is empty"));
            }
        }
    }
    let [n] = rest else {
        return Err(arity(text, head, rest, "field [-d DELIM] N"));
    };
    match n.text.parse::<i64>() {
        Ok(0) => Err(QueryError::new(
            text,
            n.column,
            "fields count from 1 (or from -1 at the end); there is no field 0",
        )),
        Ok(index) => Ok(StageSpec::Field { index, delimiter }),
        Err(_) => Err(QueryError::new(
            text,
            n.column,
            format!(
                "field needs a field number such as 1 or -1, not `{}`",
                n.text
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_pipeline() {
        let p = parse(r#"grep "ply-.*\.gz" | field -1 | sum"#).unwrap();
        assert_eq!(
            p.stages,
            vec![
                StageSpec::Grep {
                    pattern: r"ply-.*\.gz".into(),
                    options: GrepOptions::default()
                },
                StageSpec::Field {
                    index: -1,
                    delimiter: None
                },
            ]
        );
        assert_eq!(p.terminal, Terminal::Aggregate(AggKind::Sum));
        assert!(!p.is_filter());
    }

    #[test]
    fn flags_quotes_and_delimiters() {
        let p = parse("grep -iv -F 'a|b' | field -d , 2 | field -d: -1 | head 3").unwrap();
        assert_eq!(
            p.stages,
            vec![
                StageSpec::Grep {
                    pattern: "a|b".into(),
                    options: GrepOptions {
                        ignore_case: true,
                        invert: true,
                        fixed: true
                    }
                },
                StageSpec::Field {
                    index: 2,
                    delimiter: Some(",".into())
                },
                StageSpec::Field {
                    index: -1,
                    delimiter: Some(":".into())
                },
                StageSpec::Head(3),
            ]
        );
        assert!(p.is_filter());
        let p = parse(r#"grep -- -v"#).unwrap();
        assert!(matches!(&p.stages[0], StageSpec::Grep { pattern, .. } if pattern == "-v"));
        let p = parse(r#"grep "say \"hi\" \\ \d""#).unwrap();
        assert!(
            matches!(&p.stages[0], StageSpec::Grep { pattern, .. } if pattern == r#"say "hi" \ \d"#)
        );
    }

    fn col(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.column, e.message)
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(col("grep x | gerp y").0, 10);
        assert!(col("grep x | gerp y").1.contains("unknown stage `gerp`"));
        assert_eq!(col("sum | head 3").0, 7);
        assert_eq!(col("field 0").0, 7);
        assert_eq!(col("field x").0, 7);
        assert_eq!(col("grep 'a(' ").0, 6);
        assert!(col("grep 'a(' ").1.contains("bad regular expression"));
        assert_eq!(col("grep -x a").0, 7);
        assert_eq!(col("grep").0, 1);
        assert_eq!(col("grep a b").0, 8);
        assert_eq!(col("grep a | | sum").0, 10);
        assert_eq!(col("| sum").0, 1);
        assert_eq!(col("grep a |").0, 9);
        assert_eq!(col("grep 'open").0, 6);
        assert_eq!(col("sum bytes").0, 5);
        assert_eq!(col("head -1").0, 6);
        assert!(col("").1.contains("empty pipeline"));
        let shown = parse("grep x | gerp y").unwrap_err().to_string();
        assert!(
            shown.ends_with("\n  grep x | gerp y\n           ^"),
            "{shown}"
        );
    }
}
