//! Typed errors. Every error that comes from input names the input (and the line, where
//! there is one), so a caller can report it in one line and go on with the other inputs.
//!
//! This module sits on the ground floor: it names only types of the layers below it
//! (`source`'s codec, `agg`'s state limit), and defines the error of pipeline text
//! ([`QueryError`]) itself, which `query` re-exports, so no error points up the layers.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// The name of an input as shown to the user: a path, or standard input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InputName {
    /// A file (or directory) on disk.
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

impl fmt::Display for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputName::Path(p) => write!(f, "{}", p.display()),
            InputName::Stdin => f.write_str("<stdin>"),
        }
    }
}

impl From<PathBuf> for InputName {
    fn from(p: PathBuf) -> Self {
        InputName::Path(p)
    }
}

impl From<&std::path::Path> for InputName {
    fn from(p: &std::path::Path) -> Self {
        InputName::Path(p.to_path_buf())
    }
}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Walking a directory tree failed at one entry (unreadable directory, symlink loop,
    /// a file that vanished mid-walk). The walk goes on with the other entries.
    #[error("{path}: {message}")]
    Walk { path: InputName, message: String },

    /// Opening or reading an input failed.
    #[error("{name}: {source}")]
    Io {
        name: InputName,
        #[source]
        source: io::Error,
    },

    /// A compressed input is corrupt or truncated. `line` is the number of complete lines
    /// delivered from it before the problem (they were processed).
    #[error("{name}: {codec} data corrupt or truncated after line {line}: {source}")]
    Decode {
        name: InputName,
        codec: crate::source::Codec,
        line: u64,
        #[source]
        source: io::Error,
    },

    /// A line `parse` could not read, with `--strict`.
    #[error("{name}:{line}: {message}")]
    Parse {
        name: InputName,
        line: u64,
        message: String,
    },

    /// A table grew past its state limit.
    #[error(transparent)]
    State(#[from] crate::agg::StateLimitError),

    /// A glob pattern did not compile.
    #[error("bad glob {glob:?}: {message}")]
    Glob { glob: String, message: String },

    /// The pipeline text did not parse; `column` is 1-based, in characters.
    #[error("{0}")]
    Query(#[from] QueryError),
}

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

impl Error {
    /// The same error with its line number (if it has one) moved on by `base`: the error
    /// of a piece of a file, whose lines were counted from the piece's start (see
    /// [`crate::source::pieces`]).
    pub fn after_lines(mut self, base: u64) -> Error {
        if let Error::Decode { line, .. } | Error::Parse { line, .. } = &mut self {
            *line += base;
        }
        self
    }

    /// Whether this error ends the whole run rather than one input: a table past its state
    /// limit (its results would be incomplete), or a pipeline found wrong while running (a
    /// field the format chosen by `parse auto` does not have). What was gathered is then
    /// not printed as if it were the answer.
    pub fn ends_run(&self) -> bool {
        matches!(self, Error::State(_) | Error::Query(_))
    }

    /// The input this error is about, if it is about one.
    pub fn input(&self) -> Option<&InputName> {
        match self {
            Error::Walk { path, .. } => Some(path),
            Error::Io { name, .. } | Error::Decode { name, .. } | Error::Parse { name, .. } => {
                Some(name)
            }
            _ => None,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
