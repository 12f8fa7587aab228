//! Partial results of one indexed gzip file, a run of its chunks at a time: how one `.gz`
//! is spread over several machines (Spark executors) instead of being one unsplittable
//! part.
//!
//! With a gzip index ([`crate::source::gzindex`]), chunk *k* of a file (from seek point *k*
//! to the next) can be decoded cold, and the lines that *start* in it are a piece of the
//! file, as for `-j` on one machine ([`crate::source::pieces::ChunkPiece`]): each line in
//! exactly one piece. A part here is a contiguous run of chunks `first..last`, read in
//! order as one input; its [`PartialResult`] merges with the parts before and after it as
//! any part does.
//!
//! Each member's CRC-32 and length are still checked, but no part sees a whole member (a
//! one-member file spans every part): each part hands back its chunks' CRC pieces
//! ([`ChunkChecks`], a few bytes), and whoever merges the parts folds them in file order
//! ([`ChunkChecks::check`]) and compares every member's CRC with its stored trailer, as the
//! one-machine reader does.

use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::{PartialError, PartialResult};
use crate::agg::{WireReader, WireWriter};
use crate::error::{Error, InputName};
use crate::exec::Options;
use crate::query::Plan;
use crate::source::gzindex::parallel::{IndexedFile, MemberCheck, Piece};
use crate::source::gzindex::IndexCache;
use crate::source::open::{open_reader, open_with_index};
use crate::source::pieces::CrcSlot;
use crate::source::Input;

/// The indexed chunks of the gzip file `path`, if `cache` holds a current index of it that
/// the chunked reader can use (else the file is one part: `None`). The file's errors (it
/// cannot be opened) are errors.
pub fn gzip_chunks(path: &Path, cache: &Arc<IndexCache>) -> Result<Option<usize>, Error> {
    let input = open_with_index(path, None, 2, Some(cache))?;
    Ok(input.indexed().map(IndexedFile::chunks))
}

/// The CRC pieces of a run of chunks, in file order: checked once all the parts of a file
/// are back ([`ChunkChecks::check`]).
#[derive(Default)]
pub struct ChunkChecks {
    pieces: Vec<Piece>,
    /// A chunk was not decoded (its part met an error, reported there): the file's CRCs
    /// cannot be checked.
    incomplete: bool,
    /// The run ended at the last chunk of the file as the part's own index counts them:
    /// the last part of a file must, or the parts were planned against an index with
    /// fewer chunks and the file's end was never read (even when the parts happen to stop
    /// at a member's end, where the CRCs all match).
    at_end: bool,
}

impl std::fmt::Debug for ChunkChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkChecks")
            .field("pieces", &self.pieces.len())
            .field("incomplete", &self.incomplete)
            .field("at_end", &self.at_end)
            .finish()
    }
}

impl ChunkChecks {
    /// The bytes: flags (1: incomplete, 2: at the end), the count, then per piece its CRC-32 (u32), its
    /// length (u64) and a trailer flag with the stored CRC-32 and length (u32 each).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = WireWriter::default();
        w.u8(u8::from(self.incomplete) | (u8::from(self.at_end) << 1));
        w.len(self.pieces.len());
        for p in &self.pieces {
            let (crc, len, trailer) = p.to_parts();
            w.u64(u64::from(crc));
            w.u64(len);
            match trailer {
                Some((c, l)) => {
                    w.u8(1);
                    w.u64(u64::from(c));
                    w.u64(u64::from(l));
                }
                None => w.u8(0),
            }
        }
        w.bytes
    }

    /// Read what [`ChunkChecks::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<ChunkChecks, PartialError> {
        let mut r = WireReader::new(bytes);
        let flags = r.u8()?;
        let (incomplete, at_end) = (flags & 1 != 0, flags & 2 != 0);
        let mut pieces = Vec::new();
        for _ in 0..r.len(8 + 8 + 1)? {
            let crc = u32_of(&mut r)?;
            let len = r.u64()?;
            let trailer = match r.u8()? {
                0 => None,
                _ => Some((u32_of(&mut r)?, u32_of(&mut r)?)),
            };
            pieces.push(Piece::from_parts(crc, len, trailer));
        }
        if !r.at_end() {
            return Err(r.error("bytes after the end").into());
        }
        Ok(ChunkChecks {
            pieces,
            incomplete,
            at_end,
        })
    }

    /// Check every member of the file whose parts' checks are `parts`, in file order: an
    /// error names the member whose CRC-32 or length does not match. Nothing is checked if
    /// a part was incomplete (its error was reported where it happened).
    pub fn check(parts: impl IntoIterator<Item = ChunkChecks>) -> std::io::Result<()> {
        let mut members = MemberCheck::default();
        let mut at_end = false;
        for part in parts {
            if part.incomplete {
                return Ok(());
            }
            at_end = part.at_end;
            members.fold(part.pieces)?;
        }
        members.finish()?;
        match at_end {
            true => Ok(()),
            false => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the parts end before the file's last chunk: its end was never read (its \
                 index changed since they were planned?)",
            )),
        }
    }
}

fn u32_of(r: &mut WireReader<'_>) -> Result<u32, PartialError> {
    let v = r.u64()?;
    u32::try_from(v).map_err(|_| r.error("a CRC-32 or length past 32 bits").into())
}

impl PartialResult {
    /// Run `plan` over the lines that start in chunks `chunks` of the indexed gzip file
    /// `path` (index in `cache`), as one input: the part, and the chunks' CRC pieces for
    /// [`ChunkChecks::check`]. A file without a current index (changed since the chunks
    /// were counted) is an error of the input, sent to `on_error`.
    pub fn run_gzip_chunks(
        plan: &Plan,
        path: &Path,
        cache: &Arc<IndexCache>,
        chunks: Range<usize>,
        on_error: &mut dyn FnMut(Error),
        options: &Options,
    ) -> Result<(PartialResult, ChunkChecks), PartialError> {
        let name = InputName::Path(path.to_path_buf());
        let mut slots = Vec::new();
        let mut at_end = false;
        let input = open_with_index(path, None, 2, Some(cache)).and_then(|whole| {
            let Some(file) = whole.indexed().filter(|f| chunks.end <= f.chunks()) else {
                return Err(Error::Io {
                    name: name.clone(),
                    source: std::io::Error::other(
                        "its gzip index is missing or no longer matches the file (changed \
                         since the job was planned?)",
                    ),
                });
            };
            at_end = chunks.end == file.chunks();
            chained(&name, file, chunks.clone(), &mut slots)
        });
        let failed = input.is_err();
        let part = PartialResult::run(plan, input.map(Some).transpose(), on_error, options)?;
        let mut checks = ChunkChecks {
            incomplete: failed,
            at_end,
            ..ChunkChecks::default()
        };
        for slot in slots {
            match slot.lock().ok().and_then(|mut s| s.take()) {
                Some(pieces) => checks.pieces.extend(pieces),
                None => checks.incomplete = true,
            }
        }
        Ok((part, checks))
    }
}

/// Chunks `chunks` of `file` as one input: their pieces one after the other (the lines
/// that start in each, so together the lines that start in the run).
fn chained(
    name: &InputName,
    file: &IndexedFile,
    chunks: Range<usize>,
    slots: &mut Vec<CrcSlot>,
) -> Result<Input, Error> {
    let mut pieces = Vec::new();
    for k in chunks {
        let (piece, slot) = Input::chunk_piece(name.clone(), file, k);
        pieces.push(piece);
        slots.push(slot);
    }
    let mut pieces = pieces.into_iter();
    let Some(first) = pieces.next() else {
        // No chunk: an empty input.
        return open_reader(name.clone(), std::io::empty());
    };
    Ok(first
        .map_reader(|r| pieces.fold(r, |acc, p| Box::new(acc.chain(p)) as Box<dyn Read + Send>)))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::*;
    use crate::results::Results;
    use crate::source::gzindex;

    fn plan(text: &str) -> Plan {
        crate::lang::query().stage(text).plan().unwrap()
    }

    /// A gzip file of `members` members of numbered lines, indexed with seek points every
    /// 16 KiB of compressed input: `(dir, path, cache, chunks, the text)`.
    fn indexed(members: usize) -> (tempfile::TempDir, PathBuf, Arc<IndexCache>, usize, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = Vec::new();
        let mut gz = Vec::new();
        let mut x: u64 = 0x9e37_79b9;
        for m in 0..members {
            let mut part = Vec::new();
            for i in 0..8_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                writeln!(part, "{m} {i} k{} {:016x}", x % 97, x).unwrap();
            }
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(&part).unwrap();
            gz.extend(e.finish().unwrap());
            text.extend(part);
        }
        let path = dir.path().join("t.log.gz");
        std::fs::write(&path, &gz).unwrap();
        let cache = Arc::new(
            IndexCache::new(dir.path().join("idx"))
                .min_size(0)
                .spacing(16 * 1024)
                .budget(1),
        );
        gzindex::build(&path, &cache).unwrap();
        let chunks = gzip_chunks(&path, &cache).unwrap().unwrap();
        (dir, path, cache, chunks, text)
    }

    fn run_in_parts(
        text: &str,
        path: &Path,
        cache: &Arc<IndexCache>,
        cuts: &[usize],
    ) -> (Results, Vec<ChunkChecks>) {
        let plan = plan(text);
        let options = Options {
            threads: 1,
            ..Options::default()
        };
        let mut total = PartialResult::empty(&plan).unwrap();
        let mut checks = Vec::new();
        for w in cuts.windows(2) {
            let (part, c) = PartialResult::run_gzip_chunks(
                &plan,
                path,
                cache,
                w[0]..w[1],
                &mut |e| panic!("{e}"),
                &options,
            )
            .unwrap();
            // Through bytes, as between machines.
            let bytes = part.to_bytes();
            total
                .merge(PartialResult::from_bytes(&plan, &bytes).unwrap())
                .unwrap();
            checks.push(ChunkChecks::from_bytes(&c.to_bytes()).unwrap());
        }
        (total.finish(&options).unwrap().value, checks)
    }

    #[test]
    fn runs_of_chunks_give_the_whole_file_answer_and_check_every_member() {
        for members in [1, 3] {
            let (_dir, path, cache, chunks, text) = indexed(members);
            assert!(chunks >= 4, "{chunks} chunks");
            let lines = text.iter().filter(|&&b| b == b'\n').count() as i64;
            let q = "parse regex '(?P<m>\\d+) (?P<i>\\d+) (?P<k>\\S+) (?P<x>\\S+)' \
                     | count, count_distinct x, first x, last x";
            // The whole file, read by the plain decoder.
            let options = Options::default();
            let whole = PartialResult::run(
                &plan(q),
                [crate::source::open(&path)],
                &mut |e| panic!("{e}"),
                &options,
            )
            .unwrap()
            .finish(&options)
            .unwrap()
            .value;
            let shown = |r: &Results| -> Vec<Vec<(String, String)>> {
                r.rows
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|(n, v)| (n.to_string(), format!("{v:?}")))
                            .collect()
                    })
                    .collect()
            };
            for cuts in [
                vec![0, chunks],
                vec![0, 1, chunks],
                vec![0, chunks / 2, chunks - 1, chunks],
            ] {
                let (got, checks) = run_in_parts(q, &path, &cache, &cuts);
                assert_eq!(shown(&got), shown(&whole), "cuts {cuts:?}");
                ChunkChecks::check(checks).unwrap();
            }
            let count = match whole.rows[0].get_by_name("count") {
                Some(crate::record::Value::Int(n)) => *n,
                _ => -1,
            };
            assert_eq!(count, lines);
        }
    }

    #[test]
    fn a_wrong_crc_in_a_part_is_an_error_naming_the_member() {
        let (_dir, path, cache, chunks, _) = indexed(2);
        let (_, checks) = run_in_parts("count", &path, &cache, &[0, chunks / 2, chunks]);
        let mut bytes: Vec<Vec<u8>> = checks.iter().map(ChunkChecks::to_bytes).collect();
        // The first piece's CRC of the second part, one bit flipped.
        bytes[1][1 + 8] ^= 1;
        let parts = bytes.iter().map(|b| ChunkChecks::from_bytes(b).unwrap());
        let e = ChunkChecks::check(parts).unwrap_err().to_string();
        assert!(e.contains("CRC-32 mismatch"), "{e}");
        // Cut bytes are an error, not a panic.
        for n in 0..bytes[0].len() {
            let _ = ChunkChecks::from_bytes(&bytes[0][..n]).map(|c| ChunkChecks::check([c]));
        }
        assert!(ChunkChecks::from_bytes(&bytes[0][..bytes[0].len() - 1]).is_err());
    }

    /// Parts planned against fewer chunks than the file has (an index rebuilt with
    /// another spacing between planning and the tasks) read only a prefix: the check
    /// must say so, not pass because every member it saw ended well.
    #[test]
    fn parts_that_do_not_reach_the_end_are_an_error() {
        // Every prefix, among them those that stop exactly at a member's end (where every
        // CRC seen matches).
        for members in [1, 3] {
            let (_dir, path, cache, chunks, _) = indexed(members);
            for end in 1..chunks {
                let (_, checks) = run_in_parts("count", &path, &cache, &[0, end]);
                let e = ChunkChecks::check(checks).unwrap_err().to_string();
                assert!(e.contains("end was never read"), "{end} of {chunks}: {e}");
            }
        }
    }

    #[test]
    fn a_file_changed_since_the_plan_is_an_input_error() {
        let (_dir, path, cache, chunks, _) = indexed(1);
        std::fs::write(&path, b"now plain text\n").unwrap();
        let mut errors = Vec::new();
        let (part, checks) = PartialResult::run_gzip_chunks(
            &plan("count"),
            &path,
            &cache,
            0..chunks,
            &mut |e| errors.push(e.to_string()),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("gzip index"), "{errors:?}");
        assert!(errors[0].contains("t.log.gz"), "{errors:?}");
        assert_eq!(part.values, 0);
        assert!(checks.incomplete);
        ChunkChecks::check([checks]).unwrap();
    }
}
