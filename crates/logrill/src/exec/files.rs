//! `Files`: the seed's `gen_open`, an iterator of opened inputs.

use crate::error::Error;
use crate::source::{find::FindIter, open, open_stdin, Find, Input};

/// Opened inputs, one at a time, as they are needed: the files a [`Find`] yields (a path
/// `-` is standard input), or standard input alone.
pub struct Files {
    inner: Inner,
}

enum Inner {
    Found(FindIter),
    Stdin(bool),
}

impl Files {
    /// The files a search finds, opened one by one.
    pub fn found(find: Find) -> Files {
        Files {
            inner: Inner::Found(find.into_iter()),
        }
    }

    /// The files a search finds, checking its globs first (so a bad glob is reported
    /// before anything is read).
    pub fn try_found(find: Find) -> Result<Files, Error> {
        Ok(Files {
            inner: Inner::Found(find.walk()?),
        })
    }

    /// Standard input alone.
    pub fn stdin() -> Files {
        Files {
            inner: Inner::Stdin(false),
        }
    }

    /// Read their lines (the seed's `gen_cat`): the start of a [`crate::Pipeline`].
    pub fn lines(self) -> crate::Pipeline {
        crate::Pipeline::new(self)
    }
}

impl Iterator for Files {
    type Item = Result<Input, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Found(it) => Some(match it.next()? {
                Ok(path) if path.as_os_str() == "-" => open_stdin(),
                Ok(path) => open(path),
                Err(e) => Err(e),
            }),
            Inner::Stdin(done) => {
                if *done {
                    return None;
                }
                *done = true;
                Some(open_stdin())
            }
        }
    }
}
