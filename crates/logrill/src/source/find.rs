//! `find`: walk directory trees and keep files whose name matches a glob.
//!
//! This is the seed's `gen_find(filepat, top)`, with what a real tool needs on top: several
//! roots and several globs, a sorted (so reproducible) order, symlinks followed with loop
//! detection, and problems (an unreadable directory, a symlink loop, a file that vanished
//! mid-walk) yielded as errors in the stream rather than ending it.
//!
//! A root that is not a directory is yielded as it is, whatever the globs say: a file named
//! on the command line is always read (and a missing one is reported when it is opened).

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, InputName, Result};

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
        }
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
        })
    }

    /// Open every file found, lazily (the seed's `gen_open`; see [`crate::source::open`]).
    pub fn open(self) -> crate::exec::Files {
        crate::exec::Files::found(self)
    }
}

impl IntoIterator for Find {
    type Item = Result<PathBuf>;
    type IntoIter = FindIter;

    /// Walks the tree. A glob that does not compile comes out as the first (and only) item.
    fn into_iter(self) -> FindIter {
        match self.walk() {
            Ok(it) => it,
            Err(e) => FindIter {
                roots: Vec::new(),
                walk: Some(Walking::Failed(Some(e))),
                matcher: None,
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
    Dir(walkdir::IntoIter),
    Failed(Option<Error>),
}

/// The iterator behind [`Find`].
pub struct FindIter {
    roots: Vec<PathBuf>,
    walk: Option<Walking>,
    matcher: Option<GlobSet>,
}

impl FindIter {
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
                Some(Walking::Dir(walk)) => match walk.next() {
                    None => self.walk = None,
                    Some(Err(e)) => return Some(Err(walk_error(e))),
                    Some(Ok(entry)) => {
                        // With links followed, file_type() describes the target.
                        if entry.file_type().is_file() && self.name_matches(entry.path()) {
                            return Some(Ok(entry.into_path()));
                        }
                    }
                },
                None => {
                    let root = self.roots.pop()?;
                    if root.is_dir() {
                        let walk = walkdir::WalkDir::new(root)
                            .follow_links(true)
                            .sort_by_file_name()
                            .into_iter();
                        self.walk = Some(Walking::Dir(walk));
                    } else {
                        return Some(Ok(root));
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
