//! Write a deterministic tree of access logs and print its ground truth as JSON.
//!
//! ```text
//! cargo run --release -p logrill-testgen --example mklogs -- OUT --mb 200 [--sites N] [--seed S] [--combined] [--codecs plain,gz,bz2,xz,zst]
//! ```
//!
//! The layout and the truth are described in the `logrill-testgen` crate documentation.
//!
//! The committed sample `examples/logs` and its `TRUTH.json` are made (from the repository
//! root) with exactly this command, the options of `logrill_testgen::sample_options`:
//!
//! ```text
//! rm -rf examples/logs && cargo run -p logrill-testgen --example mklogs -- examples/logs --mb 2.8 --sites 2 --seed 1 > TRUTH.tmp && mv TRUTH.tmp examples/logs/TRUTH.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use logrill_testgen::{generate, Codec, Options};

const USAGE: &str =
    "usage: mklogs OUT [--mb MB] [--sites N] [--seed S] [--combined] [--codecs LIST]
  OUT        directory to write (created if needed)
  --mb       total uncompressed size of the access-log* files in 10^6 bytes (default 20)
  --sites    number of www/site<N> directories (default 3)
  --seed     random seed (default 1)
  --combined combined log format instead of common
  --codecs   comma-separated subset of plain,gzip,bzip2,xz,zstd (default all)
Prints the truth (JSON) on stdout.";

fn parse(args: &[String]) -> Result<(PathBuf, Options), String> {
    let mut opts = Options::default();
    let mut out = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "--mb" => opts.mb = value("--mb")?.parse().map_err(|e| format!("--mb: {e}"))?,
            "--sites" => {
                opts.sites = value("--sites")?
                    .parse()
                    .map_err(|e| format!("--sites: {e}"))?
            }
            "--seed" => {
                opts.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--combined" => opts.combined = true,
            "--codecs" => {
                opts.codecs = value("--codecs")?
                    .split(',')
                    .map(|c| {
                        Codec::from_name(c.trim()).ok_or_else(|| format!("unknown codec {c:?}"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "-h" | "--help" => return Err(String::new()),
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            a if out.is_none() => out = Some(PathBuf::from(a)),
            a => return Err(format!("unexpected argument {a}")),
        }
    }
    let out = out.ok_or("missing OUT directory")?;
    Ok((out, opts))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, opts) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("mklogs: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match generate(&out, &opts) {
        Ok(truth) => {
            print!("{}", truth.to_json_string());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mklogs: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
