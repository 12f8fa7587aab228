//! The index against the plain decoder: same bytes, same lines, same errors.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::source::open_with_index;

/// Log-like lines of varied length, a few very long ones, deterministic.
fn text(lines: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::new();
    let words = [
        "GET",
        "POST",
        "/index.html",
        "/api/v1/items",
        "200",
        "404",
        "Mozilla/5.0",
    ];
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = if i % 997 == 0 {
            3000
        } else {
            (x % 20) as usize
        };
        out.extend_from_slice(format!("10.0.{}.{} - - ", x % 256, (x >> 8) % 256).as_bytes());
        for k in 0..n {
            out.extend_from_slice(
                words[(x.rotate_right(k as u32) % words.len() as u64) as usize].as_bytes(),
            );
            out.push(b' ');
        }
        out.extend_from_slice(format!("{}\n", x % 100_000).as_bytes());
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn cache(dir: &Path) -> Arc<IndexCache> {
    Arc::new(
        IndexCache::new(dir.join("cache"))
            .min_size(0)
            .spacing(16 * 1024)
            .budget(1),
    )
}

fn read(path: &Path, cache: &Arc<IndexCache>, threads: usize) -> Result<Vec<u8>, String> {
    let mut input = open_with_index(path, None, threads, Some(cache)).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match input.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(input.read_error(e, 0).to_string()),
    }
}

fn stored(cache: &IndexCache, path: &Path) -> Option<Index> {
    let f = fs::File::open(path).unwrap();
    let (_, index) = cache.load(&f, path)?;
    index
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn indexed_parallel_read_equals_the_text_and_the_first_read_records() {
    let d = tempfile::tempdir().unwrap();
    let plain = text(40_000, 7);
    let path = write(d.path(), "a.log.gz", &gzip(&plain));
    let c = cache(d.path());
    assert!(stored(&c, &path).is_none());
    // First read: sequential, recording.
    assert_eq!(read(&path, &c, 2).unwrap(), plain);
    let index = stored(&c, &path).expect("index stored after the first read");
    assert!(index.points.len() >= 8, "{} points", index.points.len());
    assert_eq!(index.total_out, plain.len() as u64);
    // Chunks start in the middle of lines: the stitching is exercised.
    let mid_line = index.points[1..]
        .iter()
        .filter(|p| plain[p.out as usize - 1] != b'\n')
        .count();
    assert!(mid_line > 0);
    // With two threads the index is what reads it (not a silent fall-back); with one, not.
    let f = fs::File::open(&path).unwrap();
    let chosen = |threads| choose(&path, &f, std::io::empty(), &c, threads, None);
    assert!(matches!(chosen(2), Decoder::Indexed(_)));
    assert!(matches!(chosen(1), Decoder::Plain(_)));
    for threads in [2, 3, 8] {
        let got = read(&path, &c, threads).unwrap();
        assert!(got == plain, "{threads} threads");
        // And as lines.
        let input = open_with_index(&path, None, threads, Some(&c)).unwrap();
        let mut lines = input.lines();
        let mut n = 0;
        while let Some(b) = lines.next_batch().unwrap() {
            n += b.len();
        }
        assert_eq!(n, plain.iter().filter(|&&b| b == b'\n').count() as u64);
    }
    assert!(c.take_notices().is_empty());
}

#[test]
fn multi_member_files_including_empty_and_tiny_members() {
    let d = tempfile::tempdir().unwrap();
    let parts = [
        text(15_000, 1),
        Vec::new(),
        b"one line\n".to_vec(),
        text(20_000, 2),
        b"no newline".to_vec(),
    ];
    let mut gz = Vec::new();
    for p in &parts {
        gz.extend(gzip(p));
    }
    let all: Vec<u8> = parts.concat();
    let path = write(d.path(), "multi.gz", &gz);
    let c = cache(d.path());
    assert_eq!(read(&path, &c, 2).unwrap(), all);
    let index = stored(&c, &path).unwrap();
    assert_eq!(index.members, 5);
    assert!(index.points.iter().any(|p| p.member == 3));
    for threads in [2, 4] {
        assert!(read(&path, &c, threads).unwrap() == all);
    }
}

#[test]
fn a_changed_file_is_never_read_through_its_stale_index() {
    let d = tempfile::tempdir().unwrap();
    let first = text(30_000, 3);
    let path = write(d.path(), "s.gz", &gzip(&first));
    let c = cache(d.path());
    read(&path, &c, 2).unwrap();
    let old = stored(&c, &path).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    // Same length, same mtime, other content: only the fingerprint tells.
    let mut second = first.clone();
    second[..100].fill(b'x');
    second[first.len() - 100..].fill(b'y');
    let mut gz2 = gzip(&second);
    let len = fs::metadata(&path).unwrap().len() as usize;
    assert!(gz2.len() <= len);
    // Pad with an empty member so the size is the same too (if the lengths allow).
    while gz2.len() < len {
        let empty = gzip(b"");
        if gz2.len() + empty.len() > len {
            break;
        }
        gz2.extend(empty);
    }
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        f.write_all(&gz2).unwrap();
        f.set_modified(mtime).unwrap();
    }
    // The old index no longer matches; the read is right and the index is rebuilt.
    assert!(stored(&c, &path).is_none());
    assert!(read(&path, &c, 2).unwrap() == second);
    let new = stored(&c, &path).expect("rebuilt");
    assert_ne!(new.identity, old.identity);
    assert!(read(&path, &c, 2).unwrap() == second);
}

#[test]
fn a_damaged_index_is_ignored_with_a_notice_and_replaced() {
    let d = tempfile::tempdir().unwrap();
    let plain = text(30_000, 4);
    let path = write(d.path(), "c.gz", &gzip(&plain));
    let c = cache(d.path());
    read(&path, &c, 2).unwrap();
    let f = fs::File::open(&path).unwrap();
    let index_path = c.path_for(&cache::identity(&f).unwrap());
    let mut bytes = fs::read(&index_path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(&index_path, &bytes).unwrap();
    assert!(read(&path, &c, 2).unwrap() == plain);
    let notices = c.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("c.gz") && notices[0].contains("ignored"),
        "{notices:?}"
    );
    // Rebuilt by that read, and used.
    assert!(stored(&c, &path).is_some());
    assert!(read(&path, &c, 2).unwrap() == plain);
    assert!(c.take_notices().is_empty());
}

#[test]
fn a_corrupt_gzip_read_through_its_index_reports_the_crc_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    // Two members; the first one's stored CRC sits in the middle of the file, out of reach of
    // the fingerprint, so the index still matches after the damage.
    let a = text(30_000, 5);
    let b = text(30_000, 6);
    let ga = gzip(&a);
    let mut gz = ga.clone();
    gz.extend(gzip(&b));
    assert!(ga.len() > 70_000 && gz.len() - ga.len() > 70_000);
    let path = write(d.path(), "bad.gz", &gz);
    let c = cache(d.path());
    read(&path, &c, 2).unwrap();
    assert!(stored(&c, &path).is_some());
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    gz[ga.len() - 8] ^= 1; // the first member's CRC-32
    {
        let mut f = fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all(&gz).unwrap();
        f.set_modified(mtime).unwrap();
    }
    assert!(stored(&c, &path).is_some(), "the index still matches");
    let e = read(&path, &c, 2).unwrap_err();
    assert!(e.contains("bad.gz") && e.contains("CRC"), "{e}");
    // The sequential decoder says the same kind of thing.
    let e1 = read(&path, &c, 1).unwrap_err();
    assert!(e1.contains("bad.gz"), "{e1}");
    // A damaged deflate stream: a format error, also naming the file.
    let mut broken = gz.clone();
    broken[ga.len() - 8] ^= 1;
    broken[ga.len() / 2..ga.len() / 2 + 64].fill(0xff);
    fs::write(&path, &broken).unwrap();
    for threads in [1, 2] {
        let e = read(&path, &c, threads).unwrap_err();
        assert!(e.contains("bad.gz") && e.contains("gzip"), "{e}");
    }
}

#[test]
fn the_index_stays_within_its_budget_and_build_makes_it() {
    let d = tempfile::tempdir().unwrap();
    let plain = text(60_000, 8);
    let gz = gzip(&plain);
    let path = write(d.path(), "big.gz", &gz);
    // A budget of 1/20 (5%) instead of 1%, so that a small file gets several points.
    let c = IndexCache::new(d.path().join("cache"))
        .spacing(16 * 1024)
        .budget(20);
    let built = build(&path, &c).unwrap();
    assert_eq!(built.decompressed_bytes, plain.len() as u64);
    assert!(built.points >= 4, "{built:?}");
    // 5% of the file for the windows, plus the fixed header and each point's fields.
    assert!(
        built.index_bytes <= gz.len() as u64 / 20 + 84 + 33 * built.points as u64,
        "{built:?} for {} bytes",
        gz.len()
    );
    assert!(build(&write(d.path(), "plain.txt", b"hello\n"), &c).is_err());
}

#[test]
fn the_cache_is_bounded_oldest_first() {
    let d = tempfile::tempdir().unwrap();
    let c = Arc::new(
        IndexCache::new(d.path().join("cache"))
            .min_size(0)
            .spacing(16 * 1024)
            .budget(1)
            .max_bytes(1),
    );
    let p1 = write(d.path(), "1.gz", &gzip(&text(20_000, 9)));
    let p2 = write(d.path(), "2.gz", &gzip(&text(20_000, 10)));
    read(&p1, &c, 2).unwrap();
    assert!(stored(&c, &p1).is_some());
    read(&p2, &c, 2).unwrap();
    assert!(stored(&c, &p2).is_some());
    assert!(stored(&c, &p1).is_none(), "the older index was removed");
}

/// Review: points are spaced by compressed distance, and each worker holds two chunks
/// whole, so a file that compresses 1000:1 would make chunks of a GiB. The parallel path is
/// taken only when every chunk decodes to at most `MAX_CHUNK_OUT`.
#[test]
fn chunks_too_big_to_hold_send_the_file_to_the_plain_decoder() {
    let d = tempfile::tempdir().unwrap();
    let plain = text(40_000, 7);
    let path = write(d.path(), "a.log.gz", &gzip(&plain));
    let c = cache(d.path());
    read(&path, &c, 2).unwrap();
    let mut index = stored(&c, &path).unwrap();
    assert!(largest_chunk(&index) <= MAX_CHUNK_OUT);
    assert!(largest_chunk(&index) > 0);
    // The same points, the last chunk as a decompression bomb's would be.
    index.total_out = index.points.last().unwrap().out + MAX_CHUNK_OUT + 1;
    assert_eq!(largest_chunk(&index), MAX_CHUNK_OUT + 1);
    // Between two points, too.
    index.total_out = index.points.last().unwrap().out + 1;
    let k = index.points.len() / 2;
    let shift = MAX_CHUNK_OUT * 2;
    for p in &mut index.points[k..] {
        p.out += shift;
    }
    index.total_out += shift;
    assert!(largest_chunk(&index) > MAX_CHUNK_OUT);
}

/// The gzip data `gz` written to a file in `dir`, read once: the file and its index.
fn indexed(dir: &Path, gz: &[u8]) -> (PathBuf, Index) {
    let path = write(dir, "indexed.gz", gz);
    let c = cache(dir);
    read(&path, &c, 2).unwrap();
    let index = stored(&c, &path).expect("an index after the first read");
    (path, index)
}

/// Each chunk on its own: its bytes are the text between its seek points and its CRC
/// piece is theirs (a chunk filled exactly to its length must still be finished: its piece
/// was once lost that way).
#[test]
fn every_chunk_decodes_to_its_stretch_of_the_text_with_its_crc() {
    let d = tempfile::tempdir().unwrap();
    let plain = text(60_000, 7);
    let (path, index) = indexed(d.path(), &gzip(&plain));
    let outs: Vec<u64> = index.points.iter().map(|p| p.out).collect();
    let f = fs::File::open(&path).unwrap();
    let file = parallel::IndexedFile::new(f, index, None);
    for k in 0..file.chunks() {
        let (data, pieces) = file.decode(k).unwrap();
        let end = outs.get(k + 1).copied().unwrap_or(plain.len() as u64) as usize;
        let want = &plain[outs[k] as usize..end];
        assert_eq!(data.len(), want.len(), "chunk {k} len");
        assert!(data == want, "chunk {k} data");
        let mut h = crc32fast::Hasher::new();
        h.update(want);
        let sum: u64 = pieces.iter().map(|p| p.len).sum();
        assert_eq!(sum, want.len() as u64, "chunk {k} pieces len");
        assert_eq!(pieces.len(), 1, "chunk {k}");
        assert_eq!(
            pieces[0].crc.clone().finalize(),
            h.finalize(),
            "chunk {k} crc"
        );
    }
}

/// Read from a seek point (`--since`): from every point of a multi-member file, the text
/// after the first newline past the point; the members after the point are checked (a
/// damaged CRC in the last member is an error when read from an earlier member), the one
/// the point is in is not (its start is never decoded).
#[test]
fn reading_from_a_seek_point_gives_the_lines_after_it_and_checks_later_members() {
    let d = tempfile::tempdir().unwrap();
    let parts = [text(15_000, 4), b"one line\n".to_vec(), text(20_000, 5)];
    let mut gz = Vec::new();
    for p in &parts {
        gz.extend(gzip(p));
    }
    let all: Vec<u8> = parts.concat();
    let (path, index) = indexed(d.path(), &gz);
    let members: Vec<u64> = index.points.iter().map(|p| p.member).collect();
    assert!(members.contains(&0) && members.contains(&2), "{members:?}");
    let outs: Vec<u64> = index.points.iter().map(|p| p.out).collect();
    let from = |gz_path: &Path, k: usize| {
        let f = fs::File::open(gz_path).unwrap();
        let file = parallel::IndexedFile::new(f, index.clone(), None);
        let mut out = Vec::new();
        seek::FromPoint::new(file, k)
            .read_to_end(&mut out)
            .map(|_| out)
    };
    for (k, &start) in outs.iter().enumerate() {
        let start = start as usize;
        let skip = if k == 0 {
            0
        } else {
            // Through the first newline at or after the point (as the probes of a search
            // skip it: a line that starts right at the point is dropped too).
            all[start..].iter().position(|&b| b == b'\n').unwrap() + 1
        };
        let want = &all[start + skip..];
        assert!(from(&path, k).unwrap() == want, "point {k}");
    }
    // The last member's CRC damaged (its stored CRC is the file's last 8 bytes but 4).
    let mut bad = gz.clone();
    let at = bad.len() - 8;
    bad[at] ^= 1;
    let bad_path = write(d.path(), "bad.gz", &bad);
    for (k, &member) in members.iter().enumerate() {
        let got = from(&bad_path, k);
        if member < 2 {
            let e = got.unwrap_err();
            assert!(
                e.to_string().contains("member 3: CRC-32 mismatch"),
                "point {k}: {e}"
            );
        } else {
            assert!(got.is_ok(), "point {k} in the last member");
        }
    }
}

/// Where indexes go when no directory is given: `$LOGRILL_INDEX_DIR` (if not empty), else
/// `$XDG_CACHE_HOME/logrill/gzindex`, else `$HOME/.cache/logrill/gzindex`, else nowhere.
#[test]
fn the_index_directory_by_the_environment() {
    let os = |s: &str| Some(std::ffi::OsString::from(s));
    let dir = |l, x, h| IndexCache::dir_from_env(l, x, h);
    assert_eq!(dir(os("/i"), os("/x"), os("/h")), Some(PathBuf::from("/i")));
    assert_eq!(
        dir(os(""), os("/x"), os("/h")),
        Some(PathBuf::from("/x/logrill/gzindex"))
    );
    assert_eq!(
        dir(None, None, os("/h")),
        Some(PathBuf::from("/h/.cache/logrill/gzindex"))
    );
    assert_eq!(dir(None, None, None), None);
}
