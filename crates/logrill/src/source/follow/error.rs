//! Errors of `follow`. Only what stops a follower from starting (or its state from being
//! saved) is an error; what happens to one file while following (it vanished, it could not
//! be read for a while) is a [`Notice`](super::Notice), and following goes on.

use std::io;
use std::path::PathBuf;

/// Why a follower could not start, or could not save its state.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// Nothing to follow was given.
    #[error("nothing to follow: give at least one file or directory")]
    NoSources,

    /// A file or directory could not be used (for the state file: read, written, renamed).
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The state file exists but is not one this version wrote. It is left alone rather
    /// than overwritten, so nothing is silently read twice or skipped.
    #[error("{}:{line}: not a logrill follow state file: {message}", path.display())]
    BadState {
        path: PathBuf,
        line: usize,
        message: String,
    },

    /// Another follower (in this or another process) uses the same state file: two would
    /// overwrite each other's checkpoints.
    #[error(
        "{}: this state file is in use by another follower (locked); give each follower its own state file",
        path.display()
    )]
    StateLocked { path: PathBuf },

    /// A glob did not compile.
    #[error(transparent)]
    Glob(#[from] crate::Error),

    /// Change notification was asked for explicitly ([`Watch::Notify`](super::Watch)) and
    /// is not available.
    #[error("change notification unavailable: {0}")]
    Watch(String),
}

impl FollowError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> FollowError {
        FollowError::Io {
            path: path.into(),
            source,
        }
    }
}
