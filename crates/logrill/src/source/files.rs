//! `Files`: the seed's `gen_open`, an iterator of opened inputs.
//!
//! It lives in `source` (it knows only finding and opening); the layers above add to it
//! (`exec` gives it [`lines`](Files::lines), the start of a [`crate::Pipeline`]).

use crate::error::Error;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::gzindex::IndexCache;
use super::timerange::{self, RangeCounters, TimeRange};
use super::{find::FindIter, open_stdin_with, open_with_index, Find, Input, WalkReport};

/// Opened inputs, one at a time, as they are needed: the files a [`Find`] yields (a path
/// `-` is standard input), or standard input alone.
pub struct Files {
    inner: Inner,
    progress: Option<Arc<AtomicU64>>,
    decode_threads: usize,
    gz_index: Option<Arc<IndexCache>>,
    /// Only lines in this range, and what reading in it did (see [`super::timerange`]).
    time_range: Option<(TimeRange, Arc<RangeCounters>)>,
}

enum Inner {
    // Boxed: a walk's state is large, and `Files` is moved around by value.
    Found(Box<FindIter>),
    Stdin(bool),
}

impl Files {
    /// The files a search finds, opened one by one.
    pub fn found(find: Find) -> Files {
        Files {
            inner: Inner::Found(Box::new(find.into_iter())),
            progress: None,
            decode_threads: 1,
            gz_index: None,
            time_range: None,
        }
    }

    /// The files a search finds, checking its globs first (so a bad glob is reported
    /// before anything is read).
    pub fn try_found(find: Find) -> Result<Files, Error> {
        Ok(Files {
            inner: Inner::Found(Box::new(find.walk()?)),
            progress: None,
            decode_threads: 1,
            gz_index: None,
            time_range: None,
        })
    }

    /// Standard input alone.
    pub fn stdin() -> Files {
        Files {
            inner: Inner::Stdin(false),
            progress: None,
            decode_threads: 1,
            gz_index: None,
            time_range: None,
        }
    }

    /// Decode each bzip2 and xz input with up to `n` threads (see
    /// [`crate::source::open_reader_with`]): for a single large input on idle cores.
    pub fn with_decode_threads(mut self, n: usize) -> Files {
        self.decode_threads = n.max(1);
        self
    }

    /// Read gzip files through the indexes in `cache`, and record them there (see
    /// [`crate::source::gzindex`]).
    pub fn with_gz_index(mut self, cache: Arc<IndexCache>) -> Files {
        self.gz_index = Some(cache);
        self
    }

    /// Only the lines of `range`: files outside it are not read, plain files are entered
    /// by binary search, every line is filtered by its time (see [`super::timerange`]).
    /// Standard input is filtered line by line. What was skipped is counted in
    /// [`Files::range_counters`].
    pub fn with_time_range(mut self, range: TimeRange) -> Files {
        self.time_range = Some((range, Arc::new(RangeCounters::default())));
        self
    }

    /// What reading in the time range did so far (see [`Files::with_time_range`]).
    pub fn range_counters(&self) -> Option<Arc<RangeCounters>> {
        self.time_range.as_ref().map(|(_, c)| c.clone())
    }

    /// Add the bytes read from each file (compressed size) to `counter`, for progress.
    pub fn with_progress(mut self, counter: Arc<AtomicU64>) -> Files {
        self.progress = Some(counter);
        self
    }

    /// What the search behind these files found (directories where it kept nothing), to be
    /// read after the run; `None` for standard input.
    pub fn walk_report(&self) -> Option<WalkReport> {
        match &self.inner {
            Inner::Found(it) => Some(it.report()),
            Inner::Stdin(_) => None,
        }
    }
}

impl Iterator for Files {
    type Item = Result<Input, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = match &mut self.inner {
                Inner::Found(it) => match it.next()? {
                    Ok(path) if path.as_os_str() == "-" => open_stdin_with(self.decode_threads),
                    Ok(path) => {
                        let (progress, threads) = (self.progress.clone(), self.decode_threads);
                        let gz_index = self.gz_index.as_ref();
                        let open = || open_with_index(&path, progress, threads, gz_index);
                        match &self.time_range {
                            // Outside the range: on to the next file.
                            Some((range, counters)) => {
                                match timerange::open_in_range(
                                    &path, range, counters, gz_index, open,
                                ) {
                                    Some(item) => return Some(item),
                                    None => continue,
                                }
                            }
                            None => open(),
                        }
                    }
                    Err(e) => Err(e),
                },
                Inner::Stdin(done) => {
                    if *done {
                        return None;
                    }
                    *done = true;
                    open_stdin_with(self.decode_threads)
                }
            };
            return Some(match (&self.time_range, item) {
                (Some((range, counters)), Ok(input)) => {
                    Ok(timerange::filter_stream(input, *range, counters.clone()))
                }
                (_, item) => item,
            });
        }
    }
}
