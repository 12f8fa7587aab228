//! One gzip file on every core, through an index of seek points.
//!
//! deflate has no independent blocks: each block may refer back 32 KiB into the output of
//! the ones before it, and its boundaries are only found by decoding. So a gzip file is read
//! once, sequentially, and *while it is read* the decoder's state is noted every few MiB at a
//! block boundary: the compressed offset to the bit, and the last 32 KiB of output (the
//! *window*). From such a seek point a raw inflate can start cold. With the points of a file
//! stored (its *index*), later reads decode the chunks between them on several threads, each
//! at full single-thread speed, and hand the bytes out in order (see [`parallel`]); this is
//! what zlib's `zran.c`, `gztool`, `indexed_gzip` and rapidgzip's index do.
//!
//! * **Recording** ([`record`]) replaces the plain `flate2` decoder for files of at least
//!   [`cache::DEFAULT_MIN_SIZE`] (4 MiB compressed) when an [`IndexCache`] is given. It is the
//!   same zlib-rs inflate, called through zlib's C API (`libz-rs-sys`) with `Z_BLOCK` so that
//!   it returns at each block boundary ([`inflate`] says why not `flate2`). The index is stored
//!   only after the whole file was read and every member's CRC matched.
//! * **Spacing**: a point at the first block, then one at the first block boundary at least
//!   1 MiB compressed further ([`record::MIN_SPACING`]) *and* at least 100 times its own
//!   stored window further ([`record::BUDGET`]). Windows are stored raw-deflated (log text:
//!   5–10 KiB each); each is charged to the stretch before it, so the windows of an index
//!   never exceed 1% of the compressed file, whatever the data (plus 33 bytes a point and an
//!   84-byte header);
//!   1 MiB compressed is 5–10 MiB of log text, enough chunks to keep many cores busy on any
//!   file worth indexing, each large enough that a chunk's start-up (inflating its window,
//!   a thread hop) is lost in its decoding time.
//! * **Reading** with an index happens when more than one decode thread is asked for (one
//!   large input, see [`crate::source::open_with_index`]); with one thread the plain decoder
//!   is as fast and needs no index. Every chunk is decoded by a [`chunk::ChunkDecoder`]
//!   into the buffer its reader gives: a chunk *piece* ([`piece`], the usual way with
//!   `-j2` and up) decodes straight into its worker's line buffer, so an indexed read costs
//!   less CPU than the first read (0.90×, no copy between threads); compressed-byte
//!   buffers and inflate states are pooled.
//! * **Seeking** (`--since`): [`seek`] decodes from a seek point on; the search over points
//!   is in [`crate::source::timerange`].
//! * **What 2 cores give**: the first read already decodes on one thread and runs the plan
//!   on another, so its wall time is the decoder's CPU (about 60% of its total); two workers
//!   through the index split the whole CPU: at most about 1.35× faster on 2 cores for
//!   `field -1 | sum`, 2.2× against a read on one core (docs/gzip-index.md has the
//!   arithmetic).
//! * **Multi-member files** (BGZF, `cat a.gz b.gz`) need no index to be read in parallel:
//!   [`members`] cuts them at candidate member starts on their first read, each cut
//!   accepted only when the range before ends a member exactly there. With an index,
//!   points are recorded in every member; a chunk that crosses a member end checks nothing itself but passes the stored
//!   CRC and length on, and the reader checks them against the CRCs of the chunk pieces
//!   combined (`crc32fast::Hasher::combine`).
//! * **Where indexes live**: see [`cache`] (one directory, named by device and inode, keyed
//!   by the file's identity, size-bounded). A stale index (file changed) is ignored and
//!   rebuilt on the next read; a damaged one is ignored with a notice.
//!
//! # Speculative decoding without an index (rapidgzip)
//!
//! rapidgzip (and the `rapidgzip-core` crate, its algorithm in Rust) decodes chunks *without*
//! an index: it guesses block starts, decodes with unknown back-references as markers, and
//! resolves them once the previous chunk's window is known. That costs about twice the CPU
//! per byte of a plain inflate: measured in issue 16 on this 2-core machine, rapidgzip `-P2`
//! took 0.49 s wall (0.94 s CPU) for a 450 MB file that `-P1` decodes in 0.28 s and ISA-L
//! `igzip` in 0.24 s. With about 2× the CPU per byte it can only pay from 3 idle cores up, and
//! logrill's consumer thread needs one of them: we would expect it to win over the
//! sequential decoder from about 4 cores. The `rapidgzip-core` crate (0.3.1), measured in a
//! scratch program on this 2-core machine (bench/RESULTS.md), declines its speculative path
//! here by its own screen and decodes sequentially at 1.09× (1 thread) and 1.20× (2
//! threads) the CPU of plain zlib-rs, no faster: it does not pay on 2 cores, and is not a
//! dependency. The index pays from 2 cores on, on every read after the first.

pub mod cache;
mod chunk;
pub mod format;
mod inflate;
pub mod members;
#[cfg(test)]
mod members_tests;
pub mod parallel;
pub mod piece;
pub mod record;
pub mod seek;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

pub use cache::IndexCache;
pub use format::{Identity, Index, Point};

/// How a gzip file is to be decoded.
pub(crate) enum Decoder<R> {
    /// Through its index, on worker threads.
    Indexed(parallel::IndexedReader),
    /// Sequentially, recording an index.
    Recording(Box<dyn Read + Send>),
    /// As any gzip stream (no index to use, none worth recording): the reader, given back.
    Plain(R),
}

/// Choose the decoder of the gzip file `path`, opened as `file` and read from its start by
/// `reader`.
pub(crate) fn choose<R: Read + Send + 'static>(
    path: &Path,
    file: &File,
    reader: R,
    cache: &Arc<IndexCache>,
    threads: usize,
    counter: Option<Arc<AtomicU64>>,
) -> Decoder<R> {
    let Some((id, index)) = cache.load(file, path) else {
        return Decoder::Plain(reader);
    };
    if let Some(index) = index {
        if threads > 1 && index.points.len() > 1 && largest_chunk(&index) <= MAX_CHUNK_OUT {
            if let Ok(f) = file.try_clone() {
                return Decoder::Indexed(parallel::IndexedReader::new(f, index, threads, counter));
            }
        }
        return Decoder::Plain(reader);
    }
    if id.size < cache.min_compressed() {
        return Decoder::Plain(reader);
    }
    let (Ok(check), Ok(stream)) = (file.try_clone(), inflate::Stream::gzip()) else {
        return Decoder::Plain(reader);
    };
    let on_done = store_when_done(Arc::clone(cache), check, id, path.to_path_buf());
    Decoder::Recording(Box::new(record::Recorder::new(
        BufReader::with_capacity(128 * 1024, reader),
        stream,
        cache.spacing_rule(),
        on_done,
    )))
}

/// The most decoded bytes one chunk between seek points may have for the parallel path:
/// each worker holds up to two chunks whole, and points are spaced by *compressed*
/// distance, so a file that compresses 1000:1 (a decompression bomb) would make chunks
/// of a GiB. Past this, the file is read by the plain decoder, in constant memory.
pub(crate) const MAX_CHUNK_OUT: u64 = 32 << 20;

/// The decoded size of the largest chunk of `index`.
fn largest_chunk(index: &Index) -> u64 {
    let ends = index
        .points
        .iter()
        .skip(1)
        .map(|p| p.out)
        .chain(std::iter::once(index.total_out));
    index
        .points
        .iter()
        .zip(ends)
        .map(|(p, end)| end.saturating_sub(p.out))
        .max()
        .unwrap_or(0)
}

/// Once the recorder finished: store the index, if the file is still the one it read.
fn store_when_done(
    cache: Arc<IndexCache>,
    file: File,
    id: Identity,
    path: PathBuf,
) -> record::OnDone {
    Box::new(move |rec: record::Recorded| {
        if rec.points.len() < 2 || cache::identity(&file).ok() != Some(id) {
            return;
        }
        let index = Index {
            identity: id,
            total_out: rec.total_out,
            members: rec.members,
            points: rec.points,
        };
        if let Err(e) = cache.store(&index) {
            cache.notice(format!(
                "{}: could not store its gzip index in {}: {e}",
                path.display(),
                cache.dir().display()
            ));
        }
    })
}

/// What [`build`] made.
#[derive(Debug, Clone)]
pub struct Built {
    /// Where the index was stored.
    pub index_path: PathBuf,
    /// Its size in bytes.
    pub index_bytes: u64,
    /// The gzip file's size.
    pub compressed_bytes: u64,
    /// Its size decompressed.
    pub decompressed_bytes: u64,
    /// Number of seek points.
    pub points: usize,
}

/// Read the gzip file `path` to its end and store its index in `cache`, whatever its size
/// (`logrill index`). Errors name no file: the caller does.
pub fn build(path: &Path, cache: &IndexCache) -> io::Result<Built> {
    let file = File::open(path)?;
    let id = cache::identity(&file)?;
    let mut head = [0u8; 2];
    if cache::read_at_most(&file, &mut head, 0)? < 2 || head != [0x1f, 0x8b] {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a gzip file",
        ));
    }
    let found: Arc<std::sync::Mutex<Option<record::Recorded>>> = Arc::default();
    let slot = Arc::clone(&found);
    let on_done: record::OnDone = Box::new(move |r| {
        if let Ok(mut s) = slot.lock() {
            *s = Some(r);
        }
    });
    let stream = inflate::Stream::gzip().map_err(io::Error::other)?;
    let mut rec = record::Recorder::new(
        BufReader::with_capacity(128 * 1024, file.try_clone()?),
        stream,
        cache.spacing_rule(),
        on_done,
    );
    io::copy(&mut rec, &mut io::sink())?;
    let rec = found
        .lock()
        .ok()
        .and_then(|mut s| s.take())
        .ok_or_else(|| io::Error::other("gzip file not read to its end"))?;
    if cache::identity(&file)? != id {
        return Err(io::Error::other("the file changed while it was indexed"));
    }
    let index = Index {
        identity: id,
        total_out: rec.total_out,
        members: rec.members,
        points: rec.points,
    };
    let index_path = cache.store(&index)?;
    Ok(Built {
        index_bytes: std::fs::metadata(&index_path)?.len(),
        index_path,
        compressed_bytes: id.size,
        decompressed_bytes: index.total_out,
        points: index.points.len(),
    })
}
