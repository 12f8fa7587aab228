//! Multi-member gzip files read in member ranges ([`super::members`]): against the truth
//! (the uncompressed text, lines numbered here) and against one thread.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::members::find_cuts;
use super::IndexCache;
use crate::error::InputName;
use crate::exec::{run_with, values, Options};
use crate::source::open_with_index;

/// Lines of text, every one with `GET` but every 7th; `seed` varies them.
fn text(lines: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = Vec::new();
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let verb = if i % 7 == 3 { "PUT" } else { "GET" };
        writeln!(out, "{i} {verb} /p/{:x} {}", x >> 24, x % 10_000).unwrap();
    }
    out
}

fn gzip(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// BGZF (SAM specification, section 4.1): members of at most 65280 input bytes, each with
/// a `BC` extra subfield holding its compressed size less one, and the 28-byte empty
/// member at the end. Returns the file and its member offsets.
fn bgzf(data: &[u8]) -> (Vec<u8>, Vec<u64>) {
    let mut out = Vec::new();
    let mut starts = Vec::new();
    let eof: &[u8] = &[];
    for block in data.chunks(65280).chain(std::iter::once(eof)) {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(block).unwrap();
        let cdata = e.finish().unwrap();
        let bsize = u16::try_from(18 + cdata.len() + 8 - 1).unwrap();
        starts.push(out.len() as u64);
        out.extend([
            0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, b'B', b'C', 2, 0,
        ]);
        out.extend(bsize.to_le_bytes());
        out.extend(&cdata);
        let mut crc = crc32fast::Hasher::new();
        crc.update(block);
        out.extend(crc.finalize().to_le_bytes());
        out.extend((block.len() as u32).to_le_bytes());
    }
    (out, starts)
}

/// A fresh index directory each run: a one-thread read records an index, which a later
/// run would read through instead of cutting at members.
fn cache(dir: &Path, spacing: u64) -> Arc<IndexCache> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Arc::new(
        IndexCache::new(dir.join(format!("cache{n}")))
            .min_size(0)
            .spacing(spacing),
    )
}

/// `grep GET` over `path` on `threads` threads: the values (`name:line:value`), then the
/// errors and the count of failed inputs.
fn run(path: &Path, threads: usize, spacing: u64) -> String {
    let dir = path.parent().unwrap();
    let plan = crate::query::parse("grep GET").unwrap();
    let mut out = String::new();
    let mut errors = Vec::new();
    let options = Options {
        threads,
        ..Options::default()
    };
    let input = open_with_index(path, None, threads, Some(&cache(dir, spacing)));
    let mut sink = values(|v| {
        let value = String::from_utf8_lossy(v.value);
        out.push_str(&format!("{}:{}:{value}\n", v.input, v.line));
        Ok(crate::sink::Flow::Continue)
    });
    let s = run_with(
        &plan,
        [input],
        &mut sink,
        &mut |e| errors.push(e.to_string()),
        &options,
    )
    .unwrap();
    format!("{out}errors {errors:?} failed {}", s.failed_inputs)
}

/// What `grep GET` must give for the decoded text `text` of `path`.
fn truth(path: &Path, text: &[u8]) -> String {
    let name = InputName::Path(path.to_path_buf());
    let mut out = String::new();
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if memchr::memmem::find(line, b"GET").is_some() {
            let line = String::from_utf8_lossy(line);
            out.push_str(&format!("{name}:{}:{line}\n", i + 1));
        }
    }
    format!("{out}errors [] failed 0")
}

/// How many ranges `path` is cut into for a read on two threads.
fn ranges(path: &Path, spacing: u64) -> usize {
    let input = open_with_index(path, None, 2, Some(&cache(path.parent().unwrap(), spacing)));
    input.unwrap().members().map_or(1, |m| m.ranges())
}

/// Whatever the threads, the output is the truth.
fn check(path: &Path, text: &[u8], spacing: u64) {
    let want = truth(path, text);
    for threads in [1, 2, 3] {
        let got = run(path, threads, spacing);
        assert!(
            got == want,
            "{threads} threads:\n{got:.3000}\nwant\n{want:.3000}"
        );
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_bgzf_file_is_cut_at_its_members_and_read_as_one_thread_reads_it() {
    let d = tempfile::tempdir().unwrap();
    let data = text(20_000, 1);
    let (bytes, starts) = bgzf(&data);
    assert!(starts.len() > 8, "{}", starts.len());
    let path = write(d.path(), "reads.bgz", &bytes);
    let f = std::fs::File::open(&path).unwrap();
    let cuts = find_cuts(&f, bytes.len() as u64, 16 * 1024).unwrap();
    // Every cut is a member start (the BC chain, walked here), about 16 KiB apart.
    assert!(cuts.len() >= 5, "{cuts:?}");
    assert!(
        cuts.iter().all(|c| starts.contains(c)),
        "{cuts:?} {starts:?}"
    );
    assert_eq!(ranges(&path, 16 * 1024), cuts.len());
    check(&path, &data, 16 * 1024);
}

#[test]
fn concatenated_members_of_very_different_sizes_cut_mid_line() {
    let d = tempfile::tempdir().unwrap();
    let data = text(30_000, 2);
    // Member ends in the middle of lines, an empty member, one of a single byte, members
    // from a few bytes to most of the file, some stored, some compressed.
    let ends = [
        7,
        40_000,
        40_000,
        40_001,
        41_234,
        300_000,
        300_100,
        450_017,
        data.len(),
    ];
    let mut bytes = Vec::new();
    let mut at = 0;
    for (k, &end) in ends.iter().enumerate() {
        bytes.extend(gzip(&data[at..end], [6, 1, 0, 9][k % 4]));
        at = end;
    }
    let path = write(d.path(), "cat.gz", &bytes);
    assert!(ranges(&path, 4096) >= 4, "{}", ranges(&path, 4096));
    check(&path, &data, 4096);
}

#[test]
fn a_false_candidate_never_changes_the_output() {
    let d = tempfile::tempdir().unwrap();
    // A stored member whose content holds whole gzip members (headers, deflate data,
    // trailers: they decode cleanly on their own), between compressed members.
    let fake = gzip(b"FAKE GET line that is no part of the file\n", 6);
    let mut stored = Vec::new();
    for i in 0..400 {
        write!(stored, "{i} GET /stored ").unwrap();
        stored.extend(&fake);
        stored.push(b'\n');
    }
    let before = text(3000, 3);
    let after = text(3000, 4);
    let mut bytes = gzip(&before, 6);
    let stored_at = bytes.len();
    bytes.extend(gzip(&stored, 0));
    bytes.extend(gzip(&after, 6));
    let path = write(d.path(), "fake.gz", &bytes);
    let f = std::fs::File::open(&path).unwrap();
    let cuts = find_cuts(&f, bytes.len() as u64, 2048).unwrap();
    let fakes = cuts
        .iter()
        .filter(|&&c| c > stored_at as u64 + 20 && c < (stored_at + stored.len()) as u64)
        .count();
    // The test means something: several cuts are false.
    assert!(fakes >= 5, "{cuts:?}");
    let data = [before, stored, after].concat();
    check(&path, &data, 2048);
}

/// A damaged file read on one and on several threads: an error naming the file, the
/// same message, and values that are the truth's up to the damage. How many lines of the
/// damaged member itself come out before its error depends on buffering, on one thread
/// too (its read-ahead drops the block the error is in); on several, every line of the
/// members before it (`lines_before`) comes out.
fn damaged_like_one_thread(text: &[u8], bytes: &[u8], at: usize, name: &str, lines_before: usize) {
    let d = tempfile::tempdir().unwrap();
    let mut bad = bytes.to_vec();
    bad[at] ^= 0x55;
    let path = write(d.path(), name, &bad);
    assert!(ranges(&path, 4096) >= 3);
    let want = truth(&path, text);
    let want: Vec<&str> = want.lines().collect();
    let error = |out: &str| {
        let last = out.lines().last().unwrap_or_default().to_string();
        assert!(last.ends_with("failed 1") && last.contains(name), "{last}");
        // The message without its line number.
        last.split(" after line ")
            .next()
            .map(str::to_string)
            .zip(last.split(": ").last().map(str::to_string))
    };
    let one = run(&path, 1, 4096);
    for threads in [1, 2, 3] {
        let got = run(&path, threads, 4096);
        let values: Vec<&str> = got.lines().filter(|l| !l.starts_with("errors ")).collect();
        assert!(
            values[..] == want[..values.len()],
            "{name}, {threads} threads"
        );
        if threads > 1 {
            let before = want.iter().take_while(|l| {
                let n: usize = l.split(':').nth(1).and_then(|n| n.parse().ok()).unwrap();
                n <= lines_before
            });
            assert!(values.len() >= before.count(), "{name}, {threads} threads");
        }
        assert_eq!(error(&got), error(&one), "{name}, {threads} threads");
    }
}

#[test]
fn a_corrupt_middle_member_is_an_error_naming_the_file_as_with_one_thread() {
    let parts = [text(4000, 5), text(4000, 6), text(4000, 7)];
    let members: Vec<Vec<u8>> = parts.iter().map(|p| gzip(p, 6)).collect();
    let bytes = members.concat();
    let second = members[0].len();
    let third = second + members[1].len();
    // Its stored CRC-32, its stored length, and a byte of its deflate data.
    let text = parts.concat();
    let mid = second + members[1].len() / 2;
    damaged_like_one_thread(&text, &bytes, third - 8, "crc.gz", 4000);
    damaged_like_one_thread(&text, &bytes, third - 3, "len.gz", 4000);
    damaged_like_one_thread(&text, &bytes, mid, "data.gz", 4000);
}

#[test]
fn one_member_is_not_cut() {
    let d = tempfile::tempdir().unwrap();
    let data = text(20_000, 8);
    let path = write(d.path(), "one.gz", &gzip(&data, 6));
    let f = std::fs::File::open(&path).unwrap();
    let size = f.metadata().unwrap().len();
    assert_eq!(find_cuts(&f, size, 4096).unwrap(), vec![0]);
    assert_eq!(ranges(&path, 4096), 1);
    check(&path, &data, 4096);
}
