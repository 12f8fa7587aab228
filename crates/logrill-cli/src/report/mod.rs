//! `logrill report`: a self-contained HTML report of access logs.
//!
//! Every number comes from the logrill engine (see [`data`]); the page is drawn by
//! [`html`] with charts from [`svg`]. `--follow` makes the report again every `--every`
//! over the same files and replaces the file atomically (the page reloads itself);
//! `--serve ADDR` serves the latest report on a loopback address and pushes each new one
//! to open pages ([`serve`]).

pub mod collect;
pub mod data;
pub mod html;
pub mod serve;
pub mod svg;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};

/// Exit status: success.
const OK: u8 = 0;
/// Exit status: an input could not be read (the report was still made from the others),
/// or most lines did not parse (the format asked for is likely wrong).
const FAILED: u8 = 2;

/// The arguments of `logrill report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Files and directories to read (none, or `-`: standard input).
    pub paths: Vec<PathBuf>,

    /// Keep files whose name matches GLOB when searching directories (repeatable).
    #[arg(short = 'g', long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// The log format, as for `parse`: auto, common, combined, vhost_common,
    /// vhost_combined, nginx, json, logfmt, 'regex PATTERN', or a LogFormat / log_format
    /// string. If most lines do not parse with it (more than half, at least 5), the report
    /// is still made, stderr names the format the lines have, and the exit status is 2.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub format: String,

    /// Write the report to FILE (`-`: standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Make the report again every --every, replacing the file atomically; the page
    /// reloads itself.
    #[arg(long)]
    pub follow: bool,

    /// How often --follow and --serve make the report again (e.g. 500ms, 10s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_every)]
    pub every: Duration,

    /// Serve the report over HTTP on ADDR (a loopback address such as 127.0.0.1:8080),
    /// made again every --every; open pages reload when it changes.
    #[arg(long, value_name = "ADDR")]
    pub serve: Option<SocketAddr>,

    /// Allow --serve on an address that is not loopback (the report is then readable by
    /// anyone who can reach it).
    #[arg(long, requires = "serve")]
    pub serve_any: bool,

    /// Rows of each "top" table.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Stop after making the report N times (for tests of --follow and --serve).
    #[arg(long, value_name = "N", hide = true)]
    pub rounds: Option<u64>,
}

/// `500ms`, `10s`, `5m`, `1h`, or plain seconds; at least 100 ms.
pub fn parse_every(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 10s, 5m, 1h)"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown unit `{other}` (ms, s, m, h)")),
    };
    if !(0.1..=86_400.0 * 365.0).contains(&secs) {
        return Err(format!("`{text}`: between 100ms and a year, please"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Whether `--serve` may bind `addr`.
pub fn check_serve_addr(addr: SocketAddr, any: bool) -> anyhow::Result<()> {
    if !addr.ip().is_loopback() && !any {
        bail!(
            "--serve {addr}: not a loopback address; the report would be readable from other \
             machines (use 127.0.0.1:PORT, or add --serve-any if that is what you want)"
        );
    }
    Ok(())
}

/// Write `contents` to `path` atomically: a temporary file in the same directory, then a
/// rename over the old one, so a reader sees the old report or the new one, never half.
pub fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report.html".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

/// A value for the one inline script of a served page (CSP nonce): random enough that a
/// page cannot guess it, from the standard library's randomly keyed hasher.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let a = h.finish();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(a);
    format!("{a:016x}{:016x}", h.finish())
}

/// What the inputs look like now: each file's path, size and modification time (and
/// the errors of the walk, as text). A round of `--follow` whose inputs look the same as
/// in the last round makes no new report.
fn fingerprint(inputs: &data::Inputs) -> Vec<String> {
    let find = logrill::source::Find::new(&inputs.paths).globs(inputs.globs.iter().cloned());
    find.into_iter()
        .map(|entry| match entry {
            Ok(path) => match std::fs::metadata(&path) {
                Ok(m) => format!("{}\t{}\t{:?}", path.display(), m.len(), m.modified().ok()),
                Err(e) => format!("{}\t{e}", path.display()),
            },
            Err(e) => e.to_string(),
        })
        .collect()
}

/// `logrill report`. Returns the exit status: 0, or 2 when an input could not be read
/// (the report is still made from the others, and says so).
pub fn run(args: &ReportArgs) -> anyhow::Result<u8> {
    let live = args.follow || args.serve.is_some();
    if args.output.is_none() && args.serve.is_none() {
        bail!("report: say where the report goes: -o FILE (or -o - for standard output), or --serve ADDR");
    }
    let stdin = args.paths.is_empty() || args.paths.iter().any(|p| p.as_os_str() == "-");
    if live && stdin {
        bail!("report: --follow and --serve read the files again each time: give files or directories, not standard input");
    }
    if args.follow && args.output.as_deref() == Some(Path::new("-")) {
        bail!("report: --follow rewrites a file: give -o FILE");
    }
    let server = match args.serve {
        Some(addr) => {
            check_serve_addr(addr, args.serve_any)?;
            let s = serve::Server::start(addr, args.serve_any)
                .with_context(|| format!("--serve {addr}"))?;
            crate::diag::say(format_args!("serving the report on http://{}/", s.addr()));
            Some(s)
        }
        None => None,
    };
    let inputs = data::Inputs {
        paths: args.paths.clone(),
        globs: args.globs.clone(),
        format: args.format.clone(),
        top: args.top.max(1),
    };
    let mut round = 0u64;
    let mut code = OK;
    let mut last_inputs: Option<Vec<String>> = None;
    let mut last_numbers: Option<serde_json::Value> = None;
    loop {
        let started = std::time::Instant::now();
        // Nothing to do when no input changed since the last round.
        let now_inputs = live.then(|| fingerprint(&inputs));
        if round > 0 && now_inputs.is_some() && now_inputs == last_inputs {
            round += 1;
            if args.rounds.is_some_and(|r| round >= r) {
                return Ok(code);
            }
            std::thread::sleep(args.every);
            continue;
        }
        last_inputs = now_inputs;
        let report = data::gather(&inputs)?;
        let now = SystemTime::now();
        // Most lines unparsed: the report's numbers cover only the few that parsed.
        code = if report.failed_inputs > 0 || report.mismatch.is_some() {
            FAILED
        } else {
            OK
        };
        if round == 0 {
            for note in &report.notes {
                crate::diag::say(note);
            }
        }
        if let Some(path) = &args.output {
            let mode = if args.follow {
                html::Live::Refresh(args.every)
            } else {
                html::Live::Static
            };
            let page = html::render(&report, &mode, now);
            if path.as_os_str() == "-" {
                std::io::stdout()
                    .write_all(page.as_bytes())
                    .context("writing the report")?;
            } else {
                write_atomic(path, page.as_bytes())?;
            }
        }
        // Open pages reload only when a number changed.
        let numbers = html::json(&report);
        if let Some(server) = server
            .as_ref()
            .filter(|_| last_numbers.as_ref() != Some(&numbers))
        {
            let generation = server.next_generation();
            let mode = html::Live::Push {
                nonce: nonce(),
                generation,
            };
            server.publish(generation, html::render(&report, &mode, now));
        }
        if round == 0 || !live {
            for e in &report.errors {
                crate::diag::say(e);
            }
            if report.unparsed > 0 {
                crate::diag::say(format_args!(
                    "{} did not parse (the report lists why)",
                    logrill::plural(report.unparsed, "line", "lines")
                ));
            }
            if let Some(m) = &report.mismatch {
                let hint = m
                    .suggestion()
                    .map_or(String::new(), |name| format!(": try `--format {name}`"));
                // (Numbers and the format as given: no byte of the logs.)
                crate::diag::say(format!("{m}{hint}"));
            }
        }
        last_numbers = Some(numbers);
        round += 1;
        if !live || args.rounds.is_some_and(|r| round >= r) {
            return Ok(code);
        }
        std::thread::sleep(
            args.every
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(100)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_every() {
        assert_eq!(parse_every("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_every("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_every("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_every("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_every("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_every("0s").is_err());
        assert!(parse_every("10 parsecs").is_err());
        assert!(parse_every("").is_err());
        assert!(parse_every("-1s").is_err());
    }

    #[test]
    fn serve_stays_on_loopback_unless_asked() {
        let ok = |a: &str| {
            a.parse()
                .map_err(anyhow::Error::from)
                .and_then(|a| check_serve_addr(a, false))
        };
        assert!(ok("127.0.0.1:8080").is_ok());
        assert!(ok("[::1]:8080").is_ok());
        assert!(ok("0.0.0.0:8080").is_err());
        assert!(ok("192.168.1.10:8080").is_err());
        assert!(ok("[::]:8080").is_err());
        let any = "0.0.0.0:8080".parse().map(|a| check_serve_addr(a, true));
        assert!(matches!(any, Ok(Ok(()))));
    }

    #[test]
    fn atomic_write_replaces_the_file() {
        let dir = std::env::temp_dir().join(format!("logrill-report-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("r.html");
        assert!(write_atomic(&path, b"one").is_ok());
        assert!(write_atomic(&path, b"two").is_ok());
        assert_eq!(std::fs::read(&path).unwrap_or_default(), b"two");
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(write_atomic(&dir.join("no/such/dir/r.html"), b"x").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
