//! The bad-input corpus: one end-to-end test of the `logrill` binary per kind of bad input.
//!
//! Every case checks the same things: the exit status; for a problem, exactly one line on
//! stderr that names the input (and the line, where there is one); the other inputs read in
//! full (their totals computed here, from the bytes this file writes, never by logrill);
//! no panic; and, where the input is huge, bounded memory (the child's peak RSS, `VmHWM`,
//! polled from `/proc`) and time.
//!
//! `docs/hardening.md` has the table of what logrill does with each of these inputs.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use logrill_testgen::{compress, truncate, Codec};
use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_logrill");
const MIB: usize = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------

/// Writes a child's standard input (see [`Stdin::Gen`]).
type Generator = Box<dyn FnOnce(&mut dyn Write) + Send>;

/// What goes to the child's standard input.
enum Stdin {
    /// An empty pipe (closed at once).
    Empty,
    /// A generator writing into the pipe on a thread of its own; the pipe is closed when
    /// it returns. Write errors (the child stopped reading) are the generator's to ignore.
    Gen(Generator),
    /// Set up by the caller (a file, a directory, a closed descriptor).
    Given(Stdio),
}

/// What a run of the binary did.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident set size of the child in KiB (`VmHWM`, last seen before it exited).
    peak_kib: Option<u64>,
    elapsed: Duration,
}

impl std::fmt::Debug for Run {
    /// Output as text (cut to a few KiB), for failure messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let out = self.out();
        let cut = out.char_indices().nth(4000).map_or(out.len(), |(i, _)| i);
        f.debug_struct("Run")
            .field("code", &self.code)
            .field("stdout", &&out[..cut])
            .field("stdout_bytes", &self.stdout.len())
            .field("stderr", &self.stderr)
            .field("peak_kib", &self.peak_kib)
            .field("elapsed", &self.elapsed)
            .finish()
    }
}

impl Run {
    fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// The bare integer an aggregate printed.
    fn number(&self) -> i128 {
        let out = self.out();
        assert!(out.ends_with('\n') && out.lines().count() == 1, "{self:#?}");
        out.trim_end()
            .parse()
            .unwrap_or_else(|e| panic!("not an integer: {out:?} ({e}); {self:#?}"))
    }

    /// The stderr lines that report a problem with an input (not the end-of-run summaries
    /// of skipped values and unparsed lines).
    fn problems(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| !l.starts_with("logrill: skipped "))
            .collect()
    }

    /// The one problem line, which must name `name`; returns it.
    fn one_problem(&self, name: &str) -> &str {
        let p = self.problems();
        assert_eq!(p.len(), 1, "expected one problem line: {self:#?}");
        assert!(
            p[0].starts_with("logrill: ") && p[0].contains(name),
            "the problem line does not name {name}: {self:#?}"
        );
        p[0]
    }

    fn no_panic(&self) {
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "panic: {self:#?}"
        );
        assert!(self.code.is_some(), "killed by a signal: {self:#?}");
    }
}

/// Run the binary (`program`, default [`BIN`]) with `args` in `dir`, killing it after
/// `limit`; polls its peak memory while it runs.
fn run_full(
    program: &Path,
    pre: &[&str],
    args: &[&str],
    dir: &Path,
    stdin: Stdin,
    limit: Duration,
) -> Run {
    let (stdin_cfg, generator) = match stdin {
        Stdin::Empty => (Stdio::piped(), None),
        Stdin::Gen(g) => (Stdio::piped(), Some(g)),
        Stdin::Given(s) => (s, None),
    };
    let mut cmd = if pre.is_empty() {
        Command::new(program)
    } else {
        let mut c = Command::new(pre[0]);
        c.args(&pre[1..]).arg(program);
        c
    };
    // gzip indexes recorded by the run go to a directory of its own, not to ~/.cache.
    let index_dir = tempfile::tempdir().expect("temporary index directory");
    cmd.args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .env("LOGRILL_INDEX_DIR", index_dir.path())
        .stdin(stdin_cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn logrill");
    let feeder = child.stdin.take().map(|mut pipe| {
        thread::spawn(move || {
            if let Some(g) = generator {
                g(&mut pipe);
            }
            // Dropping the pipe closes it: end of input.
        })
    });
    let out = reader(&mut child, true);
    let err = reader(&mut child, false);
    let mut peak = None;
    let status = loop {
        if let Some(kib) = vm_hwm(child.id()) {
            peak = Some(peak.map_or(kib, |p: u64| p.max(kib)));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("logrill {args:?} still running after {limit:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    if let Some(f) = feeder {
        f.join().expect("stdin generator");
    }
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        peak_kib: peak,
        elapsed,
    }
}

fn reader(child: &mut Child, stdout: bool) -> thread::JoinHandle<Vec<u8>> {
    let mut r: Box<dyn Read + Send> = if stdout {
        Box::new(child.stdout.take().unwrap())
    } else {
        Box::new(child.stderr.take().unwrap())
    };
    thread::spawn(move || {
        let mut v = Vec::new();
        r.read_to_end(&mut v).unwrap();
        v
    })
}

/// `VmHWM` of a running process, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `logrill ARGS` in `dir`, with an empty stdin and a two-minute limit.
fn logrill(dir: &Path, args: &[&str]) -> Run {
    run_full(
        Path::new(BIN),
        &[],
        args,
        dir,
        Stdin::Empty,
        Duration::from_secs(120),
    )
}

fn logrill_stdin(dir: &Path, args: &[&str], stdin: Stdin, limit: Duration) -> Run {
    run_full(Path::new(BIN), &[], args, dir, stdin, limit)
}

// ---------------------------------------------------------------------------------------
// Data with a known truth
// ---------------------------------------------------------------------------------------

/// Lines `TAG <n> some padding <value>`, values from a small LCG (so compressed data is
/// not trivially small), with the values kept as the truth.
fn numbered(tag: &str, lines: usize, seed: u64) -> (Vec<u8>, Vec<i128>) {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut text = Vec::new();
    let mut values = Vec::new();
    for i in 0..lines {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = (x >> 33) % 100_000;
        writeln!(text, "{tag} {i} GET /p/{:x} HTTP/1.1 {v}", x >> 40).unwrap();
        values.push(v as i128);
    }
    (text, values)
}

fn total(values: &[i128]) -> i128 {
    values.iter().sum()
}

/// The N of `after line N` in an error message.
fn after_line(message: &str) -> usize {
    let rest = message
        .split("after line ")
        .nth(1)
        .unwrap_or_else(|| panic!("no `after line N` in {message:?}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// A tempdir that other users may enter (tempfile makes them 0700).
fn open_tempdir() -> TempDir {
    let d = tempfile::tempdir().unwrap();
    chmod(d.path(), 0o755);
    d
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Two good plain files, `good1.log` and `good2.log`, and the sum of their last fields.
fn good_files(dir: &Path) -> i128 {
    let (a, va) = numbered("good1", 500, 1);
    let (b, vb) = numbered("good2", 700, 2);
    fs::write(dir.join("good1.log"), a).unwrap();
    fs::write(dir.join("good2.log"), b).unwrap();
    total(&va) + total(&vb)
}

// ---------------------------------------------------------------------------------------
// Corrupt compressed files
// ---------------------------------------------------------------------------------------

/// A file of two streams (members, frames) where the second is cut in the middle: logrill
/// reports it once, with the number of lines it delivered, and those lines (a prefix of
/// the file, at least the whole first stream) count; the good files around it count fully.
fn truncated(codec: Codec, name: &str) {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let (first, v1) = numbered("first", 3000, 3);
    let (second, v2) = numbered("second", 30000, 4);
    let mut data = compress(codec, &first).unwrap();
    let c2 = compress(codec, &second).unwrap();
    data.extend(truncate(&c2, c2.len() / 2));
    fs::write(d.path().join(name), &data).unwrap();
    let all: Vec<i128> = v1.iter().chain(&v2).copied().collect();

    for threads in ["1", "2"] {
        let r = logrill(
            d.path(),
            &[
                "-j",
                threads,
                "field -1 | sum",
                "good1.log",
                name,
                "good2.log",
            ],
        );
        r.no_panic();
        assert_eq!(r.code, Some(2), "{r:#?}");
        let p = r.one_problem(name);
        assert!(
            p.contains("data corrupt or truncated after line"),
            "{codec:?}: {r:#?}"
        );
        let n = after_line(p);
        assert!(
            n >= v1.len() && n < all.len(),
            "{codec:?}: {n} lines delivered of {} (first stream {})",
            all.len(),
            v1.len()
        );
        assert_eq!(
            r.number(),
            good + total(&all[..n]),
            "{codec:?} -j {threads}"
        );
    }
}

#[test]
fn truncated_gzip() {
    truncated(Codec::Gzip, "cut.gz");
}

#[test]
fn truncated_bzip2() {
    truncated(Codec::Bzip2, "cut.bz2");
}

#[test]
fn truncated_xz() {
    truncated(Codec::Xz, "cut.xz");
}

#[test]
fn truncated_zstd() {
    truncated(Codec::Zstd, "cut.zst");
}

#[test]
fn garbage_after_a_valid_gzip_member() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let (text, values) = numbered("member", 2000, 5);
    for (name, garbage) in [
        ("garbage.gz", &b"this is not a gzip member at all\n"[..]),
        ("short.gz", &b"junk\n"[..]),
        ("zeros.gz", &[0u8; 64][..]),
    ] {
        let mut data = compress(Codec::Gzip, &text).unwrap();
        data.extend_from_slice(garbage);
        fs::write(d.path().join(name), data).unwrap();
        let r = logrill(
            d.path(),
            &["field -1 | sum", "good1.log", name, "good2.log"],
        );
        r.no_panic();
        assert_eq!(r.code, Some(2), "{r:#?}");
        let p = r.one_problem(name);
        assert!(p.contains("gzip data corrupt or truncated"), "{r:#?}");
        // The whole member was read before the garbage.
        assert_eq!(after_line(p), values.len(), "{r:#?}");
        assert_eq!(r.number(), good + total(&values), "{name}");
    }
}

#[test]
fn gzip_magic_without_gzip_data() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    for (name, data) in [
        (
            "fake.gz",
            &b"\x1f\x8bthis is plain text\nwith lines 12\n"[..],
        ),
        ("magic-only.gz", &b"\x1f\x8b"[..]),
        ("bzh.bz2", &b"BZh9 but plain text 5\n"[..]),
        ("xz-magic.xz", &b"\xfd7zXZ\x00plain 5\n"[..]),
        ("zstd-magic.zst", &b"\x28\xb5\x2f\xfdplain 5\n"[..]),
    ] {
        fs::write(d.path().join(name), data).unwrap();
        let r = logrill(
            d.path(),
            &["field -1 | sum", "good1.log", name, "good2.log"],
        );
        r.no_panic();
        assert_eq!(r.code, Some(2), "{name}: {r:#?}");
        let p = r.one_problem(name);
        assert!(p.contains("corrupt or truncated after line 0"), "{r:#?}");
        assert_eq!(r.number(), good, "{name}");
    }
}

#[test]
fn empty_compressed_files() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    // A zero-byte file named .gz has no magic: it is an empty plain file.
    fs::write(d.path().join("zero.gz"), b"").unwrap();
    let mut names = vec!["zero.gz".to_string()];
    for (codec, ext) in [
        (Codec::Gzip, "gz"),
        (Codec::Bzip2, "bz2"),
        (Codec::Xz, "xz"),
        (Codec::Zstd, "zst"),
    ] {
        let name = format!("empty.{ext}");
        fs::write(d.path().join(&name), compress(codec, b"").unwrap()).unwrap();
        names.push(name);
    }
    let mut args = vec!["field -1 | sum", "good1.log"];
    args.extend(names.iter().map(String::as_str));
    args.push("good2.log");
    let r = logrill(d.path(), &args);
    r.no_panic();
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert!(r.problems().is_empty(), "{r:#?}");
    assert_eq!(r.number(), good);
    // Alone, they give an aggregate of nothing.
    let mut args = vec!["count"];
    args.extend(names.iter().map(String::as_str));
    let r = logrill(d.path(), &args);
    assert_eq!((r.code, r.out().as_str()), (Some(0), "0\n"), "{r:#?}");
}

// ---------------------------------------------------------------------------------------
// Odd bytes inside lines
// ---------------------------------------------------------------------------------------

#[test]
fn nul_bytes_and_invalid_utf8_inside_lines() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let mut odd = Vec::new();
    odd.extend_from_slice(b"nul\x00inside 10\n");
    odd.extend_from_slice(b"\xff\xfe\xfd invalid utf8 \xc3\x28 20\n");
    odd.extend_from_slice(b"\x00\x00\x00 30\n");
    odd.extend_from_slice(b"lone surrogate \xed\xa0\x80 and overlong \xc0\xaf 40\r\n");
    odd.extend_from_slice(b"last without newline \x00\xff 50");
    fs::write(d.path().join("odd.log"), &odd).unwrap();
    fs::write(
        d.path().join("odd.gz"),
        compress(Codec::Gzip, &odd).unwrap(),
    )
    .unwrap();

    for name in ["odd.log", "odd.gz"] {
        let r = logrill(
            d.path(),
            &["field -1 | sum", "good1.log", name, "good2.log"],
        );
        r.no_panic();
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert!(r.problems().is_empty(), "{r:#?}");
        assert_eq!(r.number(), good + 150);

        let r = logrill(d.path(), &["count", name]);
        assert_eq!(r.number(), 5);

        // grep sees the bytes after a NUL, and values come out byte for byte.
        let r = logrill(d.path(), &["grep -F inside", name]);
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert_eq!(r.stdout, b"nul\x00inside 10\n");
        let r = logrill(d.path(), &["grep (?-u:\\xff)", name]);
        assert_eq!(r.out().lines().count(), 2, "{r:#?}");

        // JSON output stays valid JSON.
        let r = logrill(d.path(), &["--json", "grep .", name]);
        assert_eq!(r.code, Some(0), "{r:#?}");
        let lines: Vec<serde_json::Value> = r
            .out()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0]["value"], "nul\u{0}inside 10");
        assert_eq!(lines[2]["line"], 3);
    }

    // In a parsed format, odd bytes in a field do not stop the line from parsing.
    let mut log = Vec::new();
    log.extend_from_slice(
        b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET /a\x00b HTTP/1.0\" 200 10 \"-\" \"agent \xff\xfe\"\n",
    );
    log.extend_from_slice(
        b"1.2.3.4 - \xc3\x28 [10/Oct/2000:13:55:37 -0700] \"GET /c HTTP/1.0\" 404 20 \"\x00\" \"x\"\n",
    );
    fs::write(d.path().join("odd-combined.log"), log).unwrap();
    let r = logrill(
        d.path(),
        &["parse combined | sum bytes", "odd-combined.log"],
    );
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), 30), "{r:#?}");
    assert!(!r.stderr.contains("not match"), "{r:#?}");
}

// ---------------------------------------------------------------------------------------
// Huge inputs: memory stays bounded
// ---------------------------------------------------------------------------------------

/// Write `len` bytes of `byte` in 1 MiB pieces (ignoring a closed pipe).
fn write_run(w: &mut dyn Write, byte: u8, len: usize) -> bool {
    let chunk = vec![byte; MIB];
    let mut left = len;
    while left > 0 {
        let n = left.min(MIB);
        if w.write_all(&chunk[..n]).is_err() {
            return false;
        }
        left -= n;
    }
    true
}

#[test]
fn a_one_gigabyte_line_is_skipped_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let gen = Stdin::Gen(Box::new(|w: &mut dyn Write| {
        let _ = w.write_all(b"a 1\n");
        if write_run(w, b'x', 1 << 30) {
            let _ = w.write_all(b" 5\nb 2\nlast 4");
        }
    }));
    let r = logrill_stdin(
        d.path(),
        &["--max-line-bytes", "1048576", "field -1 | sum"],
        gen,
        Duration::from_secs(300),
    );
    r.no_panic();
    assert_eq!(r.code, Some(0), "{r:#?}");
    // The long line (line 2) is not read; lines 1, 3 and 4 are.
    assert_eq!(r.number(), 7, "{r:#?}");
    assert!(
        r.stderr.contains("too long") && r.stderr.contains("<stdin>:2"),
        "the long line is reported with its place: {r:#?}"
    );
    if let Some(kib) = r.peak_kib {
        assert!(kib < 64 * 1024, "peak RSS {kib} KiB for a 1 MiB line limit");
    }
    eprintln!("1 GiB line: {:?}, peak RSS {:?} KiB", r.elapsed, r.peak_kib);
}

#[test]
fn a_long_line_in_a_file_is_reported_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let mut text = b"one 1\ntwo 2\n".to_vec();
    text.extend(vec![b'y'; 3 * MIB]);
    text.extend_from_slice(b" 100\nfour 4\n");
    fs::write(d.path().join("long.log"), &text).unwrap();
    fs::write(
        d.path().join("long.gz"),
        compress(Codec::Gzip, &text).unwrap(),
    )
    .unwrap();
    for name in ["long.log", "long.gz"] {
        let r = logrill(
            d.path(),
            &[
                "--max-line-bytes",
                "1048576",
                "field -1 | sum",
                "good1.log",
                name,
                "good2.log",
            ],
        );
        r.no_panic();
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert_eq!(r.number(), good + 7);
        assert!(
            r.stderr.contains("too long") && r.stderr.contains(&format!("{name}:3")),
            "{r:#?}"
        );
        // A limit above the line reads it.
        let r = logrill(
            d.path(),
            &["--max-line-bytes", "4194304", "field -1 | sum", name],
        );
        assert_eq!((r.code, r.number()), (Some(0), 107), "{r:#?}");
    }
}

#[test]
fn the_line_limit_is_inclusive() {
    // `--max-line-bytes N` skips lines *longer* than N bytes: a line of exactly N is read.
    let d = tempfile::tempdir().unwrap();
    let mut text = b"a 1\n".to_vec();
    for len in [999, 1000, 1001] {
        text.extend(vec![b'q'; len - 2]);
        text.extend_from_slice(b" 9\n");
    }
    text.extend_from_slice(b"b 2\n");
    fs::write(d.path().join("edge.log"), &text).unwrap();
    let r = logrill(
        d.path(),
        &["--max-line-bytes", "1000", "field -1 | sum", "edge.log"],
    );
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), 21), "{r:#?}");
    assert!(r.stderr.contains("edge.log:4"), "{r:#?}");
}

#[test]
fn the_default_line_limit_is_64_mib() {
    let r = logrill(Path::new("."), &["--help"]);
    assert!(
        r.out().contains("67108864"),
        "--help shows the default --max-line-bytes: {r:#?}"
    );
    // Without the option, a line a little under 64 MiB is read, one a little over is not.
    let d = tempfile::tempdir().unwrap();
    let mut f = std::io::BufWriter::new(fs::File::create(d.path().join("big.log")).unwrap());
    f.write_all(b"a 1\n").unwrap();
    write_run(&mut f, b'z', 64 * MIB - 100);
    f.write_all(b" 9\n").unwrap();
    write_run(&mut f, b'z', 64 * MIB + 100);
    f.write_all(b" 9\nb 2\n").unwrap();
    drop(f);
    let r = logrill(d.path(), &["field -1 | sum", "big.log"]);
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), 12), "{r:#?}");
    assert!(r.stderr.contains("big.log:3"), "{r:#?}");
}

#[test]
fn a_long_line_through_a_pipe_is_read_in_linear_time() {
    // 96 MiB arriving in pipe-sized pieces (64 KiB): the line must not be searched again
    // from its start after every read.
    let d = tempfile::tempdir().unwrap();
    let gen = Stdin::Gen(Box::new(|w: &mut dyn Write| {
        let _ = w.write_all(b"a 1\n");
        if write_run(w, b'x', 96 * MIB) {
            let _ = w.write_all(b" 5\nb 2\n");
        }
    }));
    let r = logrill_stdin(
        d.path(),
        &["--max-line-bytes", "134217728", "field -1 | sum"],
        gen,
        Duration::from_secs(120),
    );
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), 8), "{r:#?}");
    assert!(
        r.elapsed < Duration::from_secs(40),
        "a 96 MiB line took {:?}",
        r.elapsed
    );
}

#[test]
fn a_decompression_bomb_streams_in_bounded_memory() {
    // 2 GiB of text in a gzip file of a few MiB: one 16 MiB member (lines of 1023 `a`s),
    // repeated 128 times (a valid multi-member gzip, as `cat a.gz a.gz …` makes).
    let d = tempfile::tempdir().unwrap();
    good_files(d.path());
    let mut line = vec![b'a'; 1023];
    line.push(b'\n');
    let piece: Vec<u8> = line.repeat(16 * 1024);
    let member = compress(Codec::Gzip, &piece).unwrap();
    let copies = 128;
    {
        let mut f = std::io::BufWriter::new(fs::File::create(d.path().join("bomb.gz")).unwrap());
        for _ in 0..copies {
            f.write_all(&member).unwrap();
        }
    }
    let size = fs::metadata(d.path().join("bomb.gz")).unwrap().len();
    assert!(size < 8 << 20, "the bomb is {size} bytes");
    let lines = (16 * 1024 * copies) as i128;
    let r = run_full(
        Path::new(BIN),
        &[],
        &["count", "good1.log", "bomb.gz", "good2.log"],
        d.path(),
        Stdin::Empty,
        Duration::from_secs(600),
    );
    r.no_panic();
    assert_eq!(r.code, Some(0), "{r:#?}");
    assert_eq!(r.number(), lines + 1200);
    match r.peak_kib {
        Some(kib) => assert!(kib < 256 * 1024, "peak RSS {kib} KiB"),
        None => eprintln!("skipping the memory check: /proc/PID/status has no VmHWM"),
    }
    eprintln!(
        "bomb: {size} bytes → 2 GiB in {:?}, peak RSS {:?} KiB",
        r.elapsed, r.peak_kib
    );
}

// ---------------------------------------------------------------------------------------
// Paths that are not plain files
// ---------------------------------------------------------------------------------------

#[test]
fn a_directory_where_a_file_is_expected() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    // Standard input that is a directory: an error naming <stdin>.
    let dir = fs::File::open(d.path()).unwrap();
    let r = run_full(
        Path::new(BIN),
        &[],
        &["count"],
        d.path(),
        Stdin::Given(Stdio::from(dir)),
        Duration::from_secs(60),
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(r.one_problem("<stdin>").contains("directory"), "{r:#?}");

    // A directory as a PATH is searched, not opened; one whose name matches the glob is
    // searched too (its files still have to match).
    let tree = d.path().join("tree");
    fs::create_dir_all(tree.join("access-log.d")).unwrap();
    fs::write(tree.join("access-log.d/access-log.1"), "x 5\n").unwrap();
    fs::write(tree.join("access-log.d/other"), "x 1000\n").unwrap();
    fs::write(tree.join("access-log"), "x 7\n").unwrap();
    let r = logrill(
        d.path(),
        &[
            "field -1 | sum",
            "good1.log",
            "tree",
            "good2.log",
            "-g",
            "access-log*",
        ],
    );
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), good + 12), "{r:#?}");

    // The library refuses to open a directory as a file, by name.
    let e = logrill::source::open(&tree).unwrap_err().to_string();
    assert!(
        e.contains("is a directory") && e.contains(&tree.display().to_string()),
        "{e}"
    );
}

/// Whether this process runs as root (then chmod does not deny it anything).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// How to run logrill so that file permissions apply: as is when not root; as root, a
/// copy of the binary (in a world-readable dir) run as `nobody` through setpriv or
/// runuser. `None` (with the reason printed) when neither is available.
fn unprivileged(d: &Path) -> Option<(PathBuf, Vec<&'static str>)> {
    if !is_root() {
        return Some((PathBuf::from(BIN), Vec::new()));
    }
    let bin = d.join("logrill-copy");
    fs::copy(BIN, &bin).unwrap();
    chmod(&bin, 0o755);
    let tools: [&[&'static str]; 2] = [
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ],
        &["runuser", "-u", "nobody", "--"],
    ];
    for pre in tools {
        let ok = Command::new(pre[0])
            .args(&pre[1..])
            .arg(&bin)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some((bin, pre.to_vec()));
        }
    }
    eprintln!("skipping: running as root and neither setpriv nor runuser can drop privileges");
    None
}

#[test]
fn permission_denied_on_a_file_and_on_a_directory() {
    let d = open_tempdir();
    let Some((bin, pre)) = unprivileged(d.path()) else {
        return;
    };
    let good = good_files(d.path());
    for f in ["good1.log", "good2.log"] {
        chmod(&d.path().join(f), 0o644);
    }
    fs::write(d.path().join("secret.log"), "s 1000\n").unwrap();
    chmod(&d.path().join("secret.log"), 0o000);
    let tree = d.path().join("tree");
    fs::create_dir_all(tree.join("closed")).unwrap();
    fs::create_dir_all(tree.join("open")).unwrap();
    fs::write(tree.join("closed/x.log"), "c 1000\n").unwrap();
    fs::write(tree.join("open/y.log"), "o 3\n").unwrap();
    fs::write(tree.join("open/z.log"), "o 1000\n").unwrap();
    for p in [tree.join("open/y.log"), tree.join("closed/x.log")] {
        chmod(&p, 0o644);
    }
    chmod(&tree.join("open/z.log"), 0o000);
    for p in [tree.clone(), tree.join("open")] {
        chmod(&p, 0o755);
    }
    chmod(&tree.join("closed"), 0o000);
    let limit = Duration::from_secs(120);

    // A file given by name.
    let r = run_full(
        &bin,
        &pre,
        &["field -1 | sum", "good1.log", "secret.log", "good2.log"],
        d.path(),
        Stdin::Empty,
        limit,
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.one_problem("secret.log").contains("Permission denied"),
        "{r:#?}"
    );
    assert_eq!(r.number(), good);

    // In a tree: a closed directory and an unreadable file, each reported; the rest read.
    let r = run_full(
        &bin,
        &pre,
        &[
            "-j",
            "1",
            "field -1 | sum",
            "good1.log",
            "tree",
            "good2.log",
        ],
        d.path(),
        Stdin::Empty,
        limit,
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    let problems = r.problems();
    assert_eq!(problems.len(), 2, "{r:#?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("closed") && p.contains("Permission denied")),
        "{r:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("z.log") && p.contains("Permission denied")),
        "{r:#?}"
    );
    assert_eq!(r.number(), good + 3);

    // A closed directory given by name.
    let r = run_full(
        &bin,
        &pre,
        &["field -1 | sum", "good1.log", "tree/closed", "good2.log"],
        d.path(),
        Stdin::Empty,
        limit,
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.one_problem("closed").contains("Permission denied"),
        "{r:#?}"
    );
    assert_eq!(r.number(), good);
    chmod(&tree.join("closed"), 0o755); // so the tempdir can be removed
}

#[test]
fn symlink_loops() {
    use std::os::unix::fs::symlink;
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let tree = d.path().join("tree");
    fs::create_dir_all(tree.join("a/b")).unwrap();
    fs::write(tree.join("a/b/f.log"), "f 11\n").unwrap();
    fs::write(tree.join("a/g.log"), "g 13\n").unwrap();
    symlink("..", tree.join("a/b/up")).unwrap(); // a directory loop
    symlink("self", tree.join("self")).unwrap(); // a link to itself
    symlink("pong", tree.join("ping")).unwrap(); // two links to each other
    symlink("ping", tree.join("pong")).unwrap();

    let r = logrill(
        d.path(),
        &[
            "-j",
            "1",
            "field -1 | sum",
            "good1.log",
            "tree",
            "good2.log",
        ],
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    // Every file once, every loop reported with its path.
    assert_eq!(r.number(), good + 24, "{r:#?}");
    let problems = r.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("up") && p.contains("loop")),
        "{r:#?}"
    );
    for name in ["self", "ping", "pong"] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&format!("tree/{name}:"))),
            "{name} not reported: {r:#?}"
        );
    }
    assert_eq!(problems.len(), 4, "{r:#?}");

    // A looping link given by name.
    let r = logrill(
        d.path(),
        &["field -1 | sum", "good1.log", "tree/self", "good2.log"],
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    assert!(
        r.one_problem("tree/self")
            .contains("Too many levels of symbolic links"),
        "{r:#?}"
    );
    assert_eq!(r.number(), good);
}

#[test]
fn a_fifo() {
    let d = tempfile::tempdir().unwrap();
    let good = good_files(d.path());
    let fifo = d.path().join("fifo");
    let ok = Command::new("mkfifo").arg(&fifo).status();
    if !ok.is_ok_and(|s| s.success()) {
        eprintln!("skipping: mkfifo failed");
        return;
    }
    let (text, values) = numbered("fifo", 5000, 9);
    // Given by name, a FIFO is read like a file (a writer on a thread, one per run, so a
    // writer never meets the previous run's reader).
    let gz = compress(Codec::Gzip, &text).unwrap();
    for data in [text, gz] {
        let writer = {
            let fifo = fifo.clone();
            thread::spawn(move || {
                let mut f = fs::OpenOptions::new().write(true).open(&fifo).unwrap();
                let _ = f.write_all(&data);
            })
        };
        let r = logrill(
            d.path(),
            &["field -1 | sum", "good1.log", "fifo", "good2.log"],
        );
        r.no_panic();
        assert_eq!(
            (r.code, r.number()),
            (Some(0), good + total(&values)),
            "{r:#?}"
        );
        writer.join().unwrap();
    }
    // Met while searching a directory, a FIFO is not a regular file: it is passed over,
    // not opened (nothing would ever write to it).
    let tree = d.path().join("tree");
    fs::create_dir(&tree).unwrap();
    Command::new("mkfifo")
        .arg(tree.join("access-log.fifo"))
        .status()
        .unwrap();
    fs::write(tree.join("access-log"), "x 5\n").unwrap();
    let r = run_full(
        Path::new(BIN),
        &[],
        &["field -1 | sum", "tree"],
        d.path(),
        Stdin::Empty,
        Duration::from_secs(30),
    );
    r.no_panic();
    assert_eq!((r.code, r.number()), (Some(0), 5), "{r:#?}");
}

// ---------------------------------------------------------------------------------------
// Inputs that change or end while being read
// ---------------------------------------------------------------------------------------

/// Run `logrill -j 1 'field -1' victim other.log`; after the first line of output (logrill
/// is then held up by the pipe, early in the victim), `act` is done to the victim. Returns
/// the run and the values printed (`None` for a value that is not a number).
fn while_reading(d: &Path, victim: &str, act: impl FnOnce(&Path)) -> (Run, Vec<Option<i128>>) {
    let mut child = Command::new(BIN)
        .args(["-j", "1", "field -1", victim, "other.log"])
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = reader(&mut child, false);
    let mut stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut b = [0u8; 1];
    while first.last() != Some(&b'\n') {
        assert_eq!(stdout.read(&mut b).unwrap(), 1, "no output");
        first.push(b[0]);
    }
    act(&d.join(victim));
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    let status = child.wait().unwrap();
    first.extend(rest);
    let run = Run {
        code: status.code(),
        stdout: first,
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        peak_kib: None,
        elapsed: Duration::ZERO,
    };
    let values = run.out().lines().map(|l| l.parse().ok()).collect();
    (run, values)
}

/// The victim: lines `v <i>` for i in 1..=n, long enough that logrill cannot have read it
/// all when the pipe holds it up; `other.log` holds 1000001 and 1000002.
fn victim(d: &Path, n: usize) -> Vec<u8> {
    let mut text = Vec::with_capacity(n * 64);
    for i in 1..=n {
        writeln!(text, "v padding padding padding padding padding {i}").unwrap();
    }
    fs::write(d.join("other.log"), "o 1000001\no 1000002\n").unwrap();
    text
}

fn check_prefix_then_other(values: &[Option<i128>], run: &Run, n: usize) -> usize {
    assert!(values.len() >= 2, "{run:#?}");
    let (victim, other) = values.split_at(values.len() - 2);
    assert_eq!(
        other,
        [Some(1000001), Some(1000002)],
        "the other input is read in full: {run:#?}"
    );
    let expected: Vec<Option<i128>> = (1..=victim.len() as i128).map(Some).collect();
    if victim != expected {
        let bad = victim.iter().zip(&expected).position(|(a, b)| a != b);
        let out = run.out();
        let lines: Vec<&str> = out.lines().collect();
        panic!(
            "the victim's values are not exactly its first {} lines: value {:?} is {:?} \
             (a line cut by the truncation passed on as a whole line?); stderr: {:?}",
            victim.len(),
            bad.map(|i| i + 1),
            bad.map(|i| lines[i]),
            run.stderr
        );
    }
    assert!(victim.len() <= n);
    victim.len()
}

#[test]
fn a_file_deleted_while_being_read_is_read_to_its_end() {
    let d = tempfile::tempdir().unwrap();
    let n = 400_000;
    let text = victim(d.path(), n);
    for (name, data) in [
        ("victim.log", text.clone()),
        ("victim.gz", compress(Codec::Gzip, &text).unwrap()),
    ] {
        fs::write(d.path().join(name), data).unwrap();
        let (r, values) = while_reading(d.path(), name, |p| fs::remove_file(p).unwrap());
        r.no_panic();
        // The open descriptor keeps the data: everything is read, no error.
        assert_eq!(r.code, Some(0), "{r:#?}");
        assert!(r.problems().is_empty(), "{r:#?}");
        assert_eq!(check_prefix_then_other(&values, &r, n), n);
    }
}

#[test]
fn a_compressed_file_truncated_while_being_read() {
    let d = tempfile::tempdir().unwrap();
    let n = 400_000;
    let text = victim(d.path(), n);
    fs::write(
        d.path().join("victim.gz"),
        compress(Codec::Gzip, &text).unwrap(),
    )
    .unwrap();
    let (r, values) = while_reading(d.path(), "victim.gz", |p| {
        fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(0)
            .unwrap()
    });
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    let read = check_prefix_then_other(&values, &r, n);
    assert!(
        read < n,
        "the file was read to its end before it was cut: {r:#?}"
    );
    let p = r.one_problem("victim.gz");
    assert!(p.contains("gzip data corrupt or truncated"), "{r:#?}");
    assert_eq!(
        after_line(p),
        read,
        "the error says how many lines were read"
    );
}

#[test]
fn a_plain_file_truncated_while_being_read() {
    let d = tempfile::tempdir().unwrap();
    let n = 400_000;
    let text = victim(d.path(), n);
    fs::write(d.path().join("victim.log"), text).unwrap();
    let (r, values) = while_reading(d.path(), "victim.log", |p| {
        fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(0)
            .unwrap()
    });
    r.no_panic();
    // The line cut by the truncation must not be passed on as if it were whole, and the
    // shrinking must be reported, naming the file.
    let read = check_prefix_then_other(&values, &r, n);
    assert!(
        read < n,
        "the file was read to its end before it was cut: {r:#?}"
    );
    assert_eq!(r.code, Some(2), "{r:#?}");
    let p = r.one_problem("victim.log");
    assert!(p.contains("truncated"), "{r:#?}");
}

#[test]
fn standard_input_closed_early() {
    let d = tempfile::tempdir().unwrap();
    let (text, values) = numbered("in", 10000, 11);
    // The writer stops in the middle of a line and closes the pipe: every complete line
    // and the cut last line are read (a last line needs no newline), no error.
    let cut = text.len() * 2 / 3;
    let last_line_start = text[..cut].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let complete = text[..last_line_start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let partial = String::from_utf8(text[last_line_start..cut].to_vec()).unwrap();
    let sent = text[..cut].to_vec();
    let r = logrill_stdin(
        d.path(),
        &["count"],
        Stdin::Gen(Box::new(move |w: &mut dyn Write| {
            let _ = w.write_all(&sent);
        })),
        Duration::from_secs(60),
    );
    r.no_panic();
    assert_eq!(
        (r.code, r.number()),
        (Some(0), complete as i128 + 1),
        "{r:#?}"
    );
    let _ = partial;

    // Compressed standard input cut short: the lines before the cut count, the error
    // names <stdin> and the line.
    let gz = compress(Codec::Gzip, &text).unwrap();
    let sent = truncate(&gz, gz.len() / 2);
    let r = logrill_stdin(
        d.path(),
        &["field -1 | sum"],
        Stdin::Gen(Box::new(move |w: &mut dyn Write| {
            let _ = w.write_all(&sent);
        })),
        Duration::from_secs(60),
    );
    r.no_panic();
    assert_eq!(r.code, Some(2), "{r:#?}");
    let p = r.one_problem("<stdin>");
    let n = after_line(p);
    assert!(n > 0 && n < values.len(), "{r:#?}");
    assert_eq!(r.number(), total(&values[..n]));

    // Standard input closed before logrill starts (`<&-`): no input, not a hang.
    let r = run_full(
        Path::new("sh"),
        &[],
        &["-c", &format!("exec '{BIN}' count <&-")],
        d.path(),
        Stdin::Empty,
        Duration::from_secs(60),
    );
    r.no_panic();
    assert_eq!((r.code, r.out().as_str()), (Some(0), "0\n"), "{r:#?}");
}

// ---------------------------------------------------------------------------------------
// State limit
// ---------------------------------------------------------------------------------------

#[test]
fn a_group_by_over_its_state_limit() {
    let d = tempfile::tempdir().unwrap();
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..1000 {
        writeln!(a, "key{i} 1").unwrap();
        writeln!(b, "other{i} 1").unwrap();
    }
    fs::write(d.path().join("a.log"), a).unwrap();
    fs::write(d.path().join("b.log"), b).unwrap();
    for threads in ["1", "2"] {
        let r = logrill(
            d.path(),
            &[
                "-j",
                threads,
                "--max-state",
                "100",
                "parse regex '^(?P<k>\\S+)' | count by k",
                "a.log",
                "b.log",
            ],
        );
        r.no_panic();
        assert_eq!(r.code, Some(2), "{r:#?}");
        let p = r.problems();
        assert_eq!(p.len(), 1, "{r:#?}");
        assert!(
            p[0].contains("more than 100") && p[0].contains("--max-state"),
            "{r:#?}"
        );
        // A table cut at the limit is not passed off as the answer.
        assert!(
            r.stdout.is_empty() || r.stderr.contains("partial"),
            "a truncated table is printed as if it were complete: {r:#?}"
        );
        // Within the limit, the same run works.
        let r = logrill(
            d.path(),
            &[
                "-j",
                threads,
                "--max-state",
                "2000",
                "parse regex '^(?P<k>\\S+)' | count by k | count",
                "a.log",
                "b.log",
            ],
        );
        assert_eq!((r.code, r.number()), (Some(0), 2000), "{r:#?}");
    }
}
