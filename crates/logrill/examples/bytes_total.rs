//! Seed idea: **generators as a pipeline** — the bytes transferred in one Apache log,
//! computed the imperative way (a loop with a running total) and the generator way (a
//! chain of lazy stages ending in `sum`).
//!
//! ```text
//! wwwlog = open("access-log")            wwwlog     = open("access-log")
//! total = 0                              bytecolumn = (line.rsplit(None,1)[1] for line in wwwlog)
//! for line in wwwlog:                    bytes      = (int(x) for x in bytecolumn if x != '-')
//!     bytestr = line.rsplit(None,1)[1]   print "Total", sum(bytes)
//!     if bytestr != '-':
//!         total += int(bytestr)
//! print "Total", total
//! ```
//!
//! Both read the file once, line by line, in constant memory; the pipeline just names
//! each step. (The seed's loop would crash on a line with no fields or a last field that
//! is not a number; here such lines are skipped, and the pipeline counts them.)
//!
//! Run: `cargo run -p logrill --example bytes_total [-- FILE]`
//! (default `examples/logs/www/site0/access-log`, from the repository root).

use std::error::Error;
use std::io::{self, Write};
use std::path::Path;

use logrill::AggValue;

/// The imperative form: a loop and a running total.
pub fn imperative(path: &Path) -> Result<i128, logrill::Error> {
    let mut lines = logrill::source::open(path)?.lines();
    let mut total: i128 = 0;
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(total),
            Err(e) => {
                let n = lines.lines_read();
                return Err(lines.get_ref().read_error(e, n));
            }
        };
        // line.rsplit(None, 1)[1]: the last run of non-blanks.
        let Some(bytestr) = line
            .split(|b| b.is_ascii_whitespace())
            .rfind(|f| !f.is_empty())
        else {
            continue;
        };
        if bytestr != b"-" {
            // int(bytestr), leaving out what is not an integer.
            if let Some(n) = std::str::from_utf8(bytestr)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
            {
                total += i128::from(n);
            }
        }
    }
}

/// The pipeline form: `field(-1)` is `line.rsplit(None,1)[1]`, `sum()` is
/// `sum(int(x) for x ... if x != '-')`.
pub fn pipeline(path: &Path) -> Result<logrill::Report<AggValue>, logrill::Error> {
    logrill::find(path).open().lines().field(-1).sum()
}

/// Compute the total both ways and print them.
pub fn run(out: &mut dyn Write, path: &Path) -> Result<(i128, AggValue), Box<dyn Error>> {
    let by_loop = imperative(path)?;
    let report = pipeline(path)?;
    if let Some(e) = report.errors.first() {
        return Err(format!("{e}").into());
    }
    writeln!(out, "imperative: Total {by_loop}")?;
    writeln!(out, "pipeline:   Total {}", report.value)?;
    if report.skips.total() > 0 {
        writeln!(out, "(pipeline {})", report.skips)?;
    }
    Ok((by_loop, report.value))
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/logs/www/site0/access-log".into());
    let (a, b) = run(&mut io::stdout().lock(), Path::new(&path))?;
    if AggValue::Int(a) != b {
        return Err("the two forms disagree".into());
    }
    Ok(())
}
