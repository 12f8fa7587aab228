//! `logrill index PATH…`: build the gzip index of each file now (see
//! `logrill::source::gzindex`), instead of on its first read.

use std::path::PathBuf;
use std::sync::Arc;

use logrill::source::gzindex::{self, IndexCache};

/// Build gzip indexes now, so that the first read of each file already decodes on every
/// core. Indexes go to the index directory (--index-dir, else $LOGRILL_INDEX_DIR, else
/// $XDG_CACHE_HOME/logrill/gzindex or ~/.cache/logrill/gzindex), at most 256 MiB in all.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The gzip files to index.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,

    /// Keep the indexes in DIR.
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The index cache: `dir` if given, else $LOGRILL_INDEX_DIR, else the user's cache
/// directory. `None` when there is no home to put it in.
pub fn cache(dir: Option<&PathBuf>) -> Option<Arc<IndexCache>> {
    let dir = match dir {
        Some(d) => d.clone(),
        None => IndexCache::dir_from_env(
            std::env::var_os("LOGRILL_INDEX_DIR"),
            std::env::var_os("XDG_CACHE_HOME"),
            std::env::var_os("HOME"),
        )?,
    };
    Some(Arc::new(IndexCache::new(dir)))
}

/// Say what the index cache noticed during a run (a damaged index skipped, an index that
/// could not be stored), unless `quiet`: every run that reads through the cache ends so.
pub fn say_notices(cache: Option<&Arc<IndexCache>>, quiet: bool) {
    let Some(cache) = cache else { return };
    for notice in cache.take_notices() {
        if !quiet {
            crate::diag::say(notice);
        }
    }
}

/// Index every path; exit status 2 if any failed.
pub fn run(args: &IndexArgs) -> u8 {
    let Some(cache) = cache(args.index_dir.as_ref()) else {
        crate::diag::say("no directory for indexes: give --index-dir or set HOME");
        return crate::FAILED;
    };
    let mut failed = false;
    for path in &args.paths {
        match gzindex::build(path, &cache) {
            Ok(b) => {
                if !args.quiet {
                    println!(
                        "{}: {} seek points, index {} bytes ({:.2}% of {} compressed, {} decompressed): {}",
                        path.display(),
                        b.points,
                        b.index_bytes,
                        100.0 * b.index_bytes as f64 / b.compressed_bytes.max(1) as f64,
                        b.compressed_bytes,
                        b.decompressed_bytes,
                        b.index_path.display()
                    );
                }
            }
            Err(e) => {
                crate::diag::say(format!("{}: {e}", path.display()));
                failed = true;
            }
        }
    }
    if failed {
        crate::FAILED
    } else {
        crate::OK
    }
}
