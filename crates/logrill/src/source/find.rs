//! `find`: walk directory trees and keep files whose name matches a glob.
//!
//! This is the seed's `gen_find(filepat, top)`, with what a real tool needs on top: several
//! roots and several globs, a sorted (so reproducible) order, symlinks followed with loop
//! detection, and problems (an unreadable directory, a symlink loop, a file that vanished
//! mid-walk) yielded as errors in the stream rather than ending it.
//!
//! Each directory's entries are visited in *reading order*, not byte order: the copies of a
//! rotated log oldest first (`access.log.3.gz`, `access.log.2`, `access.log.1`,
//! `access.log`; dated copies by ascending date), numbers in other names numerically
//! (`app-2.log` before `app-10.log`). The rule is [`crate::source::rotation`]'s; it makes
//! records, `head`, `first`/`last` and time charts come out in time order. Roots are
//! visited in the order given.
//!
//! A root that is not a directory is yielded as it is, whatever the globs say: a file named
//! on the command line is always read (and a missing one is reported when it is opened).
//!
//! A directory in which no file is kept (a misspelled glob, `-g 'logs/*.log'` where globs
//! see names, not paths, an empty directory) is not an error of the stream: the walk just
//! yields nothing for it. So that such a search is not mistaken for "no match in the
//! logs", it is recorded in the search's [`WalkReport`], which a caller reads after the
//! walk to warn about each [`EmptyRoot`] and tell "nothing matched" from "nothing read".

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, InputName, Result};
use crate::source::rotation::compare_names;

/// Start a search under `root` (a directory, or a file that is taken as it is).
pub fn find(root: impl AsRef<Path>) -> Find {
    Find::new([root])
}

/// A directory search: roots and name globs. Iterate it (it is an `IntoIterator`) to get
/// `Result<PathBuf>` items.
#[derive(Debug, Clone)]
pub struct Find {
    roots: Vec<PathBuf>,
    globs: Vec<String>,
    report: WalkReport,
}

/// What a walk found, shared between a [`Find`] (and its iterator) and whoever asked for it
/// with [`Find::report`]: read it after the walk. Clones share the same record.
#[derive(Debug, Clone, Default)]
pub struct WalkReport(Arc<Mutex<Walked>>);

#[derive(Debug, Default)]
struct Walked {
    paths: u64,
    empty_roots: Vec<EmptyRoot>,
}

/// A directory given as a root in which the walk kept no file (and met no problem, which
/// would have been reported as an error of the stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptyRoot {
    /// The directory, as given.
    pub root: PathBuf,
    /// The globs that kept nothing (empty: every file would have been kept).
    pub globs: Vec<String>,
    /// How many files the walk saw there (none of them matched).
    pub files_seen: u64,
}

impl fmt::Display for EmptyRoot {
    /// `DIR: no file matches -g 'acess*' (of 12 files there)`, or `DIR: no file in it`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.root.display())?;
        if self.files_seen == 0 || self.globs.is_empty() {
            return f.write_str("no file in it");
        }
        f.write_str("no file matches")?;
        for g in &self.globs {
            write!(f, " -g '{g}'")?;
        }
        let s = if self.files_seen == 1 { "" } else { "s" };
        write!(f, " (of {} file{s} there", self.files_seen)?;
        if self.globs.iter().any(|g| g.contains('/')) {
            f.write_str("; globs match file names, not paths")?;
        }
        f.write_str(")")
    }
}

impl WalkReport {
    /// How many paths the walk has yielded so far (files found, and roots that are not
    /// directories).
    pub fn paths_found(&self) -> u64 {
        self.lock().paths
    }

    /// The directories walked to their end without a file kept, in walk order.
    pub fn empty_roots(&self) -> Vec<EmptyRoot> {
        self.lock().empty_roots.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Walked> {
        // The record is only ever appended to: a panic elsewhere leaves it valid.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Find {
    /// A search over several roots, visited in the order given.
    pub fn new<P: AsRef<Path>>(roots: impl IntoIterator<Item = P>) -> Find {
        Find {
            roots: roots
                .into_iter()
                .map(|p| p.as_ref().to_path_buf())
                .collect(),
            globs: Vec::new(),
            report: WalkReport::default(),
        }
    }

    /// The record of what the walk finds (see [`WalkReport`]); take it before the walk
    /// and read it after. A clone of this `Find` shares the record: walk only one of them
    /// if the record is to be read.
    pub fn report(&self) -> WalkReport {
        self.report.clone()
    }

    /// Keep only files whose name matches `pattern` (fnmatch-style: `*`, `?`, `[abc]`,
    /// `{a,b}`). Several globs keep a file that matches any of them; none keeps every file.
    pub fn glob(mut self, pattern: impl Into<String>) -> Find {
        self.globs.push(pattern.into());
        self
    }

    /// Several globs at once (see [`Find::glob`]).
    pub fn globs<S: Into<String>>(mut self, patterns: impl IntoIterator<Item = S>) -> Find {
        self.globs.extend(patterns.into_iter().map(Into::into));
        self
    }

    /// Compile the globs and start walking. Fails only on a glob that does not compile.
    pub fn walk(self) -> Result<FindIter> {
        let matcher = compile_globs(&self.globs)?;
        let mut roots = self.roots;
        roots.reverse();
        Ok(FindIter {
            roots,
            walk: None,
            matcher,
            globs: self.globs,
            report: self.report,
            root_counts: RootCounts::default(),
        })
    }

    /// Open every file found, lazily (the seed's `gen_open`; see [`crate::source::open`]).
    pub fn open(self) -> super::Files {
        super::Files::found(self)
    }
}

impl IntoIterator for Find {
    type Item = Result<PathBuf>;
    type IntoIter = FindIter;

    /// Walks the tree. A glob that does not compile comes out as the first (and only) item.
    fn into_iter(self) -> FindIter {
        let report = self.report.clone();
        match self.walk() {
            Ok(it) => it,
            Err(e) => FindIter {
                roots: Vec::new(),
                walk: Some(Walking::Failed(Some(e))),
                matcher: None,
                globs: Vec::new(),
                report,
                root_counts: RootCounts::default(),
            },
        }
    }
}

fn compile_globs(globs: &[String]) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| Error::Glob {
                glob: g.clone(),
                message: e.kind().to_string(),
            })?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| Error::Glob {
        glob: globs.join(" "),
        message: e.to_string(),
    })
}

enum Walking {
    Dir(PathBuf, walkdir::IntoIter),
    Failed(Option<Error>),
}

/// Files seen and kept, and problems met, under the directory being walked.
#[derive(Default)]
struct RootCounts {
    seen: u64,
    kept: u64,
    problems: u64,
}

/// The iterator behind [`Find`].
pub struct FindIter {
    roots: Vec<PathBuf>,
    walk: Option<Walking>,
    matcher: Option<GlobSet>,
    globs: Vec<String>,
    report: WalkReport,
    root_counts: RootCounts,
}

impl FindIter {
    /// The record of what this walk finds (the same as [`Find::report`]'s).
    pub fn report(&self) -> WalkReport {
        self.report.clone()
    }

    /// A path is yielded.
    fn found(&mut self, path: PathBuf) -> Option<Result<PathBuf>> {
        self.report.lock().paths += 1;
        Some(Ok(path))
    }

    fn name_matches(&self, path: &Path) -> bool {
        match (&self.matcher, path.file_name()) {
            (None, _) => true,
            (Some(m), Some(name)) => m.is_match(Path::new(name)),
            (Some(_), None) => false,
        }
    }
}

impl Iterator for FindIter {
    type Item = Result<PathBuf>;

    fn next(&mut self) -> Option<Result<PathBuf>> {
        loop {
            match self.walk.as_mut() {
                Some(Walking::Failed(e)) => return e.take().map(Err),
                Some(Walking::Dir(root, walk)) => match walk.next() {
                    None => {
                        let counts = std::mem::take(&mut self.root_counts);
                        // A walk that met a problem (an unreadable directory) has already
                        // said why it may have found nothing.
                        if counts.kept == 0 && counts.problems == 0 {
                            let empty = EmptyRoot {
                                root: std::mem::take(root),
                                globs: self.globs.clone(),
                                files_seen: counts.seen,
                            };
                            self.report.lock().empty_roots.push(empty);
                        }
                        self.walk = None;
                    }
                    Some(Err(e)) => {
                        self.root_counts.problems += 1;
                        return Some(Err(walk_error(e)));
                    }
                    Some(Ok(entry)) => {
                        // With links followed, file_type() describes the target.
                        if entry.file_type().is_file() {
                            self.root_counts.seen += 1;
                            if self.name_matches(entry.path()) {
                                self.root_counts.kept += 1;
                                return self.found(entry.into_path());
                            }
                        }
                    }
                },
                None => {
                    let root = self.roots.pop()?;
                    if root.is_dir() {
                        let walk = walkdir::WalkDir::new(&root)
                            .follow_links(true)
                            .sort_by(|a, b| compare_names(a.file_name(), b.file_name()))
                            .into_iter();
                        self.walk = Some(Walking::Dir(root, walk));
                    } else {
                        return self.found(root);
                    }
                }
            }
        }
    }
}

fn walk_error(e: walkdir::Error) -> Error {
    let path = e
        .path()
        .map(|p| InputName::Path(p.to_path_buf()))
        .unwrap_or(InputName::Path(PathBuf::from("?")));
    let message = if let Some(ancestor) = e.loop_ancestor() {
        format!("symlink loop (back to {}), skipped", ancestor.display())
    } else if let Some(io) = e.io_error() {
        match io.kind() {
            std::io::ErrorKind::NotFound => "vanished during the walk, skipped".to_string(),
            _ => format!("{io}, skipped"),
        }
    } else {
        e.to_string()
    };
    Error::Walk { path, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"x\n").unwrap();
    }

    fn names(root: &Path, f: Find) -> Vec<String> {
        f.into_iter()
            .map(|r| {
                let p = r.unwrap();
                p.strip_prefix(root).unwrap().to_string_lossy().into_owned()
            })
            .collect()
    }

    #[test]
    fn globs_match_names_recursively_in_sorted_order() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "b/access-log",
            "a/access-log.1.gz",
            "a/error-log",
            "access-log",
            "a/z/access-log-0108.bz2",
            "notes.txt",
        ] {
            touch(&d.path().join(n));
        }
        let got = names(d.path(), find(d.path()).glob("access-log*"));
        assert_eq!(
            got,
            vec![
                "a/access-log.1.gz",
                "a/z/access-log-0108.bz2",
                "access-log",
                "b/access-log"
            ]
        );
        let got = names(d.path(), find(d.path()).glob("*.txt").glob("error-*"));
        assert_eq!(got, vec!["a/error-log", "notes.txt"]);
        assert_eq!(names(d.path(), find(d.path())).len(), 6);
    }

    #[test]
    fn rotated_logs_are_walked_oldest_first_and_numbers_numerically() {
        let d = tempfile::tempdir().unwrap();
        let want = [
            "nginx/access.log-20261130.gz",
            "nginx/access.log-20261201",
            "nginx/access.log",
            "web/access-log.10.gz",
            "web/access-log.3.gz",
            "web/access-log.2",
            "web/access-log.1",
            "web/access-log",
            "web/part-2.log",
            "web/part-10.log",
        ];
        // Created in reverse, so that no file system order can pass for the right one.
        for n in want.iter().rev() {
            touch(&d.path().join(n));
        }
        let got = names(d.path(), find(d.path()));
        assert_eq!(got, want);
    }

    #[test]
    fn roots_where_nothing_was_kept_are_reported() {
        let d = tempfile::tempdir().unwrap();
        touch(&d.path().join("web/access-log"));
        touch(&d.path().join("web/sub/access-log.1"));
        touch(&d.path().join("db/slow.log"));
        touch(&d.path().join("db/error.log"));
        fs::create_dir_all(d.path().join("empty")).unwrap();
        touch(&d.path().join("single.txt"));
        let roots = ["web", "db", "empty", "single.txt"].map(|r| d.path().join(r));
        let f = Find::new(&roots).glob("access-log*");
        let report = f.report();
        let got: Vec<_> = f.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(report.paths_found(), 3);
        let empty = report.empty_roots();
        assert_eq!(
            empty,
            vec![
                EmptyRoot {
                    root: roots[1].clone(),
                    globs: vec!["access-log*".into()],
                    files_seen: 2,
                },
                EmptyRoot {
                    root: roots[2].clone(),
                    globs: vec!["access-log*".into()],
                    files_seen: 0,
                },
            ]
        );
        let db = roots[1].display();
        assert_eq!(
            empty[0].to_string(),
            format!("{db}: no file matches -g 'access-log*' (of 2 files there)")
        );
        assert_eq!(
            empty[1].to_string(),
            format!("{}: no file in it", roots[2].display())
        );
        // A glob with a slash never matches a name: say so.
        let f = find(d.path().join("db")).glob("db/*.log").glob("x*");
        let report = f.report();
        assert_eq!(f.into_iter().count(), 0);
        assert_eq!(report.paths_found(), 0);
        assert_eq!(
            report.empty_roots()[0].to_string(),
            format!(
                "{db}: no file matches -g 'db/*.log' -g 'x*' \
                 (of 2 files there; globs match file names, not paths)"
            )
        );
    }

    #[test]
    fn a_file_root_is_always_yielded() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("whatever.txt");
        touch(&f);
        let got: Vec<_> = find(&f).glob("access-log*").into_iter().collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].as_ref().unwrap(), &f);
        // A missing path is yielded too: opening it reports the problem with its name.
        let missing = d.path().join("missing");
        let got: Vec<_> = find(&missing).into_iter().collect();
        assert_eq!(got[0].as_ref().unwrap(), &missing);
    }

    #[test]
    fn bad_glob_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let mut it = find(d.path()).glob("access-[log").into_iter();
        let e = it.next().unwrap().unwrap_err();
        assert!(e.to_string().contains("access-[log"), "{e}");
        assert!(it.next().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_is_reported_and_the_walk_goes_on() {
        let d = tempfile::tempdir().unwrap();
        touch(&d.path().join("a/access-log"));
        touch(&d.path().join("c/access-log"));
        std::os::unix::fs::symlink(d.path().join("a"), d.path().join("a/loop")).unwrap();
        let items: Vec<_> = find(d.path()).glob("access-log").into_iter().collect();
        let oks = items.iter().filter(|r| r.is_ok()).count();
        let errs: Vec<_> = items.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(oks, 2, "{items:?}");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().contains("symlink loop"), "{}", errs[0]);
        assert!(errs[0].to_string().contains("loop"));
    }

    #[cfg(unix)]
    #[test]
    fn unreadable_directory_is_reported_and_skipped() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        touch(&d.path().join("ok/access-log"));
        touch(&d.path().join("secret/access-log"));
        let secret = d.path().join("secret");
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
        // Root can read anything: then there is nothing to test.
        let readable = fs::read_dir(&secret).is_ok();
        let items: Vec<_> = find(d.path()).glob("access-log").into_iter().collect();
        fs::set_permissions(&secret, fs::Permissions::from_mode(0o755)).unwrap();
        if readable {
            return;
        }
        assert_eq!(items.iter().filter(|r| r.is_ok()).count(), 1);
        let err = items.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(err.to_string().contains("secret"), "{err}");
    }
}
