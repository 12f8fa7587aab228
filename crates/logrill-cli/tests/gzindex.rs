//! End-to-end tests of the gzip index: `logrill index`, then reads through it on two
//! threads that give exactly what one thread gives, and the truth computed here from the
//! generated lines; damaged indexes and damaged files.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn logrill(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let out = Command::new(BIN)
        .args(args.iter().map(|a| a.as_ref()))
        .env_remove("LOGRILL_INDEX_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run logrill");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Access-log-like lines whose last field is a number; returns the text, the line count
/// and the sum of the last fields.
fn log_text(lines: u64) -> (Vec<u8>, u64, u64) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut text = Vec::new();
    let mut sum = 0;
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x % 100_000;
        sum += bytes;
        writeln!(
            text,
            "10.{}.{}.{} - - [10/Oct/2000:13:{:02}:{:02} -0700] \"GET /p/{:x} HTTP/1.1\" 200 {bytes}",
            x % 256,
            (x >> 8) % 256,
            (x >> 16) % 256,
            i / 60 % 60,
            i % 60,
            x >> 20,
        )
        .unwrap();
    }
    (text, lines, sum)
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn index_file(dir: &Path) -> std::path::PathBuf {
    let mut found: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "lgzi"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

#[test]
fn reads_through_the_index_equal_the_sequential_read_and_the_truth() {
    let d = tempfile::tempdir().unwrap();
    let (text, lines, sum) = log_text(250_000);
    let gz = d.path().join("access.log.gz");
    // Two members, the second one large too: chunks cross the member end.
    let half = text[..text.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let mut bytes = gzip(&text[..half]);
    bytes.extend(gzip(&text[half..]));
    fs::write(&gz, &bytes).unwrap();
    let idx = d.path().join("idx");

    let built = logrill(&[&"index", &"--index-dir", &idx, &gz]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let points: usize = built
        .stdout
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", built.stdout));
    assert!(points >= 3, "{}", built.stdout);
    assert!(built.stdout.contains("access.log.gz"));

    for (threads, index) in [("-j2", true), ("-j1", true), ("-j2", false)] {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![
            &threads,
            &"--index-dir",
            &idx,
            &"-q",
            &"field -1 | sum",
            &gz,
        ];
        if !index {
            args.insert(0, &"--no-index");
        }
        let r = logrill(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.stdout.trim(), sum.to_string(), "{threads} index={index}");
        args[4] = &"count";
        let r = logrill(&args);
        assert_eq!(
            r.stdout.trim(),
            lines.to_string(),
            "{threads} index={index}"
        );
    }
    // Every line, in order, byte for byte: the lines cut by chunk ends are stitched.
    let all = |threads: &str| {
        let r = logrill(&[&threads, &"--index-dir", &idx, &"grep -F GET", &gz]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        r.stdout
    };
    let two = all("-j2");
    assert!(
        two.as_bytes() == text.as_slice(),
        "-j2 output differs from the text"
    );
    assert!(two == all("-j1"));
}

#[test]
fn a_damaged_index_gives_a_notice_and_the_right_answer() {
    let d = tempfile::tempdir().unwrap();
    let (text, _, sum) = log_text(150_000);
    let gz = d.path().join("a.gz");
    fs::write(&gz, gzip(&text)).unwrap();
    let idx = d.path().join("idx");
    assert_eq!(
        logrill(&[&"index", &"-q", &"--index-dir", &idx, &gz]).code,
        Some(0)
    );
    // Flip one more byte each time (flipping the same one twice would mend it).
    let flips = std::cell::Cell::new(0);
    let damage = |path: &std::path::Path| {
        let mut bytes = fs::read(path).unwrap();
        let at = bytes.len() / 2 + flips.get();
        flips.set(flips.get() + 1);
        bytes[at] ^= 0x55;
        fs::write(path, bytes).unwrap();
    };
    damage(&index_file(&idx));
    let said = |stderr: &str| {
        stderr.contains("a.gz") && stderr.contains("index") && stderr.contains("ignored")
    };
    let r = logrill(&[&"-j2", &"--index-dir", &idx, &"field -1 | sum", &gz]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout.trim(), sum.to_string());
    assert!(said(&r.stderr), "{}", r.stderr);
    // The Parquet run reads through the same cache and says the same (review: its
    // notices were dropped). Whether or not the run above stored a new index, damage it.
    if cfg!(feature = "columnar") {
        damage(&index_file(&idx));
        let out = d.path().join("out.parquet");
        let r = logrill(&[
            &"-j2",
            &"--index-dir",
            &idx,
            &"--output",
            &"parquet",
            &out,
            &"field -1",
            &gz,
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(said(&r.stderr), "{}", r.stderr);
    }
}

#[test]
fn a_corrupt_gzip_read_through_its_index_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let (text, _, _) = log_text(150_000);
    let gz = d.path().join("broken.gz");
    let mut bytes = gzip(&text);
    fs::write(&gz, &bytes).unwrap();
    let idx = d.path().join("idx");
    assert_eq!(
        logrill(&[&"index", &"-q", &"--index-dir", &idx, &gz]).code,
        Some(0)
    );
    // Damage the middle (out of the fingerprint's reach) and keep size and mtime: the
    // index still matches, and the chunk decoder must find the damage itself.
    let mtime = fs::metadata(&gz).unwrap().modified().unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 32].fill(0xa5);
    {
        let mut f = fs::OpenOptions::new().write(true).open(&gz).unwrap();
        f.write_all(&bytes).unwrap();
        f.set_modified(mtime).unwrap();
    }
    for threads in ["-j2", "-j1"] {
        let r = logrill(&[&threads, &"--index-dir", &idx, &"count", &gz]);
        assert_eq!(r.code, Some(2), "{threads}: {}", r.stderr);
        assert!(
            r.stderr.contains("broken.gz") && r.stderr.contains("gzip"),
            "{threads}: {}",
            r.stderr
        );
    }
    let r = logrill(&[&"index", &"--index-dir", &idx, &d.path().join("nope.gz")]);
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("nope.gz"), "{}", r.stderr);
}

/// A gzip file of several members (mostly stored, to pass the 4 MiB the split needs at
/// little decoding cost), cut mid-line; and its text.
fn members_file(dir: &Path) -> (std::path::PathBuf, Vec<u8>, u64, u64) {
    let (text, lines, sum) = log_text(70_000);
    let mut bytes = Vec::new();
    for (k, part) in text.chunks(300_001).enumerate() {
        let level = if k % 4 == 1 { 6 } else { 0 };
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
        e.write_all(part).unwrap();
        bytes.extend(e.finish().unwrap());
    }
    assert!(bytes.len() > 4 << 20, "{}", bytes.len());
    let gz = dir.join("members.gz");
    fs::write(&gz, &bytes).unwrap();
    (gz, text, lines, sum)
}

#[test]
fn a_file_of_several_members_is_read_in_parallel_on_its_first_read() {
    let d = tempfile::tempdir().unwrap();
    let (gz, text, lines, sum) = members_file(d.path());
    let idx = d.path().join("idx");
    let lgzi = || fs::read_dir(&idx).map_or(0, |r| r.count());
    for threads in ["-j2", "-j1"] {
        let r = logrill(&[
            &threads,
            &"--index-dir",
            &idx,
            &"-q",
            &"field -1 | sum",
            &gz,
        ]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.stdout.trim(), sum.to_string(), "{threads}");
        let r = logrill(&[&threads, &"--index-dir", &idx, &"-q", &"count", &gz]);
        assert_eq!(r.stdout.trim(), lines.to_string(), "{threads}");
        let r = logrill(&[&threads, &"--index-dir", &idx, &"grep -F GET", &gz]);
        assert!(r.stdout.as_bytes() == text.as_slice(), "{threads}");
        // Split at its members, the first read records no index; read as one stream, it
        // does.
        assert_eq!(lgzi(), usize::from(threads == "-j1"), "{threads}");
    }
}

#[test]
fn a_corrupt_member_in_the_middle_is_an_error_naming_the_file_on_any_threads() {
    let d = tempfile::tempdir().unwrap();
    let (gz, _, lines, _) = members_file(d.path());
    let mut bytes = fs::read(&gz).unwrap();
    // The stored CRC-32 of a member in the middle (found by its successor's header).
    let next = (bytes.len() / 2..bytes.len())
        .find(|&i| bytes[i..].starts_with(&[0x1f, 0x8b, 8, 0]))
        .unwrap();
    bytes[next - 8] ^= 0xff;
    fs::write(&gz, &bytes).unwrap();
    for threads in ["-j2", "-j1", "-j2"] {
        let idx = d.path().join(format!("idx{threads}"));
        let r = logrill(&[&threads, &"--index-dir", &idx, &"-q", &"count", &gz]);
        assert_eq!(r.code, Some(2), "{threads}: {}", r.stderr);
        assert!(
            r.stderr.contains("members.gz") && r.stderr.contains("gzip"),
            "{threads}: {}",
            r.stderr
        );
        let counted: u64 = r.stdout.trim().parse().unwrap_or(0);
        assert!(
            counted > lines / 3 && counted < lines,
            "{threads}: {counted}"
        );
    }
}
