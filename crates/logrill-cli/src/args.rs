//! Command-line arguments.

use std::path::PathBuf;

use clap::Parser;
use logrill::source::Find;
use logrill::Files;

const AFTER_HELP: &str = r#"PIPELINE
  Stages joined by `|`, applied to every line of every input in turn:

    grep [-i] [-v] [-F] PATTERN   keep lines a regex matches (-i any case, -v the others,
                                  -F PATTERN is a fixed string, not a regex)
    field [-d DELIM] N            the N-th whitespace-separated field; negative N counts
                                  from the end (-1 is the last); -d splits on DELIM instead
    head N                        the first N values, then stop reading
    count | sum | min | max | avg aggregate the current value (ends the pipeline); values
                                  that are not numbers (such as "-") are skipped and counted

  Records (after parse):
    parse FORMAT                  common, combined, vhost_common, vhost_combined, nginx,
                                  json, logfmt, auto, regex '(?P<name>...)', or an Apache
                                  LogFormat / nginx log_format string as written in the config
    where EXPR                    keep records: status >= 500 and path ~ '^/api',
                                  method in ('GET','HEAD'), referer is null, time >= 2023-10-01
                                  (a date, bare or quoted, is midnight UTC; give an offset
                                  for another zone: time >= 2023-10-01T00:00:00-06:00)
    select EXPR [as NAME], ...    columns (computed or renamed)
    sort EXPR [desc], ...         sort (kept in memory)
    AGG, ... [by EXPR, ...]       count, count X, sum X, min X, max X, avg X, distinct X,
                                  count_distinct X, p50/p90/p95/p99 X, percentile(X, Q),
                                  top N X, first X, last X; by fields or hour(time),
                                  day(time), bucket(time, 5m); then sort/head/where/select
    tee (PIPELINE) (PIPELINE) ... several pipelines over one pass; each result under its
                                  own heading (nothing may follow tee)

  Quote the pipeline for the shell; inside it, quote a pattern with '...' (literal) or "..."
  (only \" and \\ are escapes).

INPUTS
  Files are opened whatever their compression (plain, gzip, bzip2, xz, zstd: detected by
  their first bytes, not their name). Directories are searched recursively, keeping files
  whose name matches a -g glob (all files when no -g is given); a file named directly is
  always read. With no PATH, or PATH `-`, standard input is read.

OUTPUT AND EXIT STATUS
  A pipeline ending in an aggregate prints the bare number; otherwise each value on its own
  line (bytes as they are). --json prints JSON lines instead. Exit status: 0 success;
  1 a pipeline without aggregate let nothing through; 2 an input failed (the others were
  still read), the pipeline is wrong, or most lines did not parse (more than half of those
  that reached parse, and at least 5: stderr names the format they seem to have); 141 the
  output was closed early.
  Field names are checked before reading wherever the format names them (Apache, nginx,
  regex, select, table columns): an unknown one is an error naming the nearest ones
  (`stauts`: did you mean `status`?). After json/logfmt, a name no record had is said at
  the end; close to a name that was seen, it is a likely typo and the exit status is 2.

COMMANDS
  Besides `logrill [OPTIONS] PIPELINE [PATHS]...`, the first word may name a command:
    logrill report [OPTIONS] PATHS...   a self-contained HTML report of access logs
                                        (see `logrill report --help`)
    logrill index [OPTIONS] PATHS...    build the gzip index of each file now, so that
                                        even its first read decodes on every core
    logrill completions SHELL           the completion script for bash, zsh, fish,
                                        elvish or powershell
    logrill man                         this help as a man page (roff)

EXAMPLES
  Total bytes of requests for ply tarballs, over every access-log* under www/, compressed
  or not (the seed's job):
    logrill 'grep "ply-.*\.gz" | field -1 | sum' www -g 'access-log*'
  How many requests hit robots.txt:
    logrill 'grep -F robots.txt | count' /var/log/apache2 -g 'access*'
  The largest response:
    zcat access.log.gz | logrill 'field -1 | max'
  The first five 404 lines:
    logrill 'grep "\" 404 " | head 5' access.log
  Users from /etc/passwd with a shell of bash:
    logrill 'grep bash$ | field -d : 1' /etc/passwd
  Requests and bytes per status, then the ten biggest talkers:
    logrill 'parse combined | count, sum bytes by status' access.log
    logrill 'parse combined | sum bytes by host | sort sum_bytes desc | head 10' access.log
  The last hour only (older rotated files are not read; a sorted log is entered by
  binary search; see docs/time-ranges.md):
    logrill --since 1h 'parse combined | count by status' /var/log/apache2 -g 'access*'
  Follow a live log, printing 5xx counts per path every 2 seconds:
    logrill -F --every 2s 'parse combined | where status >= 500 | count by path' access.log
"#;

/// logrill: generator pipelines over piles of logs.
///
/// Find files, open them whatever their compression, read their lines, grep, take a field,
/// aggregate: in one pass, in constant memory.
#[derive(Debug, Parser)]
#[command(
    name = "logrill",
    version,
    override_usage = "logrill [OPTIONS] <PIPELINE> [PATHS]...\n       logrill report [OPTIONS] <PATHS>...\n       logrill index [OPTIONS] <PATHS>...\n       logrill completions <SHELL>\n       logrill man",
    after_long_help = AFTER_HELP,
    after_help = "See --help for the stages, the commands and examples."
)]
pub struct Args {
    /// The pipeline, e.g. 'grep robots.txt | field -1 | sum'.
    pub pipeline: String,

    /// Draw tables as charts: bars over time when the first column is a time, else a bar
    /// per row (width of the terminal; redrawn in place with -F).
    #[arg(long)]
    pub chart: bool,

    /// Charts in plain ASCII (the default when the locale is not UTF-8).
    #[arg(long, requires = "chart")]
    pub ascii: bool,

    /// Files and directories to read (none, or `-`: standard input).
    pub paths: Vec<PathBuf>,

    /// Keep files whose name matches GLOB when searching directories (repeatable).
    #[arg(short = 'g', long = "glob", value_name = "GLOB")]
    pub globs: Vec<String>,

    /// Print JSON lines instead of plain values and tables.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Print tables and records as CSV.
    #[arg(long)]
    pub csv: bool,

    /// Write bytes from the logs as they are even to a terminal (by default, control
    /// characters such as ESC are shown as \x1b there, so log content cannot drive the
    /// terminal; a pipe or file always gets the bytes as they are).
    #[arg(long)]
    pub raw: bool,

    /// Make the first line `parse` cannot read an error (exit status 2).
    #[arg(long)]
    pub strict: bool,

    /// Skip (and count) lines longer than N bytes instead of reading them into memory.
    #[arg(long, value_name = "N", default_value_t = logrill::source::lines::DEFAULT_MAX_LINE, value_parser = at_least_one)]
    pub max_line_bytes: usize,

    /// Most groups and kept values an aggregate or sort may hold in memory.
    #[arg(long, value_name = "N", default_value_t = logrill::exec::DEFAULT_STATE_LIMIT, value_parser = at_least_one)]
    pub max_state: usize,

    /// Say less on stderr: no report of skipped values or unparsed lines, no follow
    /// notices (files rotated, removed, lost) or closing report, no summary of what
    /// --output wrote. Errors are still reported.
    #[arg(short, long)]
    pub quiet: bool,

    /// Follow the files as they grow, like `tail -F` (through rotation and truncation; a
    /// directory also picks up new files matching -g). Aggregates print their running
    /// result every --every; Ctrl-C closes cleanly and prints the final result.
    #[arg(short = 'F', long)]
    pub follow: bool,

    /// With -F: read the files from their start, then follow ("batch then follow").
    #[arg(long, requires = "follow", conflicts_with = "lines")]
    pub from_start: bool,

    /// With -F: start with the last N lines of each file.
    #[arg(short = 'n', long = "lines", value_name = "N", requires = "follow")]
    pub lines: Option<u64>,

    /// With -F: how often a running aggregate is printed.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = crate::duration::parse_duration)]
    pub every: std::time::Duration,

    /// With -F: stop after DURATION without a new line.
    #[arg(long, value_name = "DURATION", requires = "follow", value_parser = crate::duration::parse_duration)]
    pub exit_on_idle: Option<std::time::Duration>,

    /// With -F: keep checkpoints in FILE and resume from them (no line lost across
    /// restarts, even after kill -9; see the README for the bound on repeats).
    #[arg(long, value_name = "FILE", requires = "follow")]
    pub state: Option<PathBuf>,

    /// With -F: poll every DURATION instead of using change notification (for NFS and
    /// other file systems where it misses writes).
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "100ms", requires = "follow", value_parser = crate::duration::parse_duration)]
    pub poll: Option<std::time::Duration>,

    /// Tag what comes from an input with its name: `name:value` for values, a `file`
    /// column first for records (after parse), {"file","line","record"} with --json.
    #[arg(short = 'H', long)]
    pub with_filename: bool,

    /// Only lines at or after TIME: a duration back from now (30m, 1h, 2d, 1w) or a date
    /// and time (2026-12-01, 2026-12-01T10:00, …+01:00; without an offset, UTC, as in
    /// `where`). Files outside the range are not read; a sorted plain file is entered by
    /// binary search. Lines without a recognisable time are left out (counted on stderr).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only lines before TIME (as --since). Reading a file stops at the first line at or
    /// after TIME plus --time-margin.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// With --since/--until: how far out of time order a file's lines may be (Apache logs a
    /// request at its end, stamped with its start). Larger reads more at the edges.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = crate::duration::parse_duration)]
    pub time_margin: std::time::Duration,

    /// Neither read gzip files through their index nor record one (see `logrill index`).
    #[arg(long)]
    pub no_index: bool,

    /// Keep gzip indexes in DIR (default: $LOGRILL_INDEX_DIR, else
    /// $XDG_CACHE_HOME/logrill/gzindex or ~/.cache/logrill/gzindex; at most 256 MiB).
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,

    /// Read up to N files at once (default: the number of cores). Output order is the
    /// same whatever N.
    #[arg(short = 'j', long = "threads", value_name = "N")]
    pub threads: Option<usize>,

    /// Write the results to FILE as typed columns instead of printing them: FORMAT is
    /// `parquet` (zstd) or `arrow` (Arrow IPC). Batch runs only.
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"], conflicts_with_all = ["follow", "json", "csv"])]
    pub output: Vec<String>,

    /// With --output: FILE is a directory of Hive-style partitions by the first time
    /// field, in UTC (`date=2023-10-01/…`, with `hour` also `…/hour=13/…`).
    #[arg(long, value_name = "day|hour", requires = "output")]
    pub partition_by: Option<String>,

    /// With --output: rows per row group (the most held in memory per partition).
    #[arg(long, value_name = "N", requires = "output", hide = true)]
    pub row_group_rows: Option<usize>,

    /// Colour the table header and `tee` headings: auto (on a terminal, unless NO_COLOR
    /// is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,

    /// Publish every result as a JSON message to NATS JetStream (`nats://HOST:PORT/SUBJECT`),
    /// waiting for the server's acknowledgements; with -F --state the checkpoint covers
    /// only acknowledged records (at-least-once, de-duplicated by message id).
    #[arg(long, value_name = "URL", conflicts_with = "output")]
    pub to: Option<String>,

    /// With --to: this logrill's name in message ids (default: the host name). Ids are
    /// instance + file identity + position, so JetStream drops only true re-sends; give
    /// each host (container, pipeline) publishing to one subject its own.
    #[arg(long, value_name = "ID", requires = "to")]
    pub nats_instance: Option<String>,

    /// NATS (--to and nats:// inputs): trust only the certificate authorities in FILE (PEM)
    /// instead of the system's, and require TLS.
    #[arg(long, value_name = "FILE")]
    pub nats_ca: Option<std::path::PathBuf>,

    /// NATS: present this client certificate (PEM; with --nats-key), and require TLS.
    #[arg(long, value_name = "FILE", requires = "nats_key")]
    pub nats_cert: Option<std::path::PathBuf>,

    /// NATS: the private key of --nats-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "nats_cert")]
    pub nats_key: Option<std::path::PathBuf>,

    /// NATS: log in with this credentials file (JWT + NKey seed, `.creds`); also
    /// $LOGRILL_NATS_CREDS. User and password, or a token: in the URL
    /// (nats://USER:PASSWORD@HOST/SUBJECT) or $LOGRILL_NATS_USER + $LOGRILL_NATS_PASSWORD,
    /// $LOGRILL_NATS_TOKEN.
    #[arg(long, value_name = "FILE")]
    pub nats_creds: Option<std::path::PathBuf>,
}

impl Args {
    /// How to run the pipeline.
    pub fn options(&self) -> logrill::exec::Options {
        let mut options = logrill::exec::Options::default();
        if let Some(n) = self.threads {
            options.threads = n.max(1);
        }
        options.strict = self.strict;
        options.state_limit = self.max_state;
        options.max_line_bytes = self.max_line_bytes;
        options
    }

    /// `--chart`: the width and whether only ASCII may be drawn.
    pub fn chart(&self) -> Option<(usize, bool)> {
        self.chart.then(|| {
            let width = crate::chart::terminal_width().unwrap_or(80);
            (width, self.ascii || !crate::chart::utf8_locale())
        })
    }

    /// The output format.
    pub fn format(&self) -> crate::output::Format {
        if self.json {
            crate::output::Format::Json
        } else if self.csv {
            crate::output::Format::Csv
        } else {
            crate::output::Format::Text
        }
    }

    /// The search over the paths, or `None` for standard input.
    pub fn find(&self) -> Option<Find> {
        (!self.paths.is_empty()).then(|| Find::new(&self.paths).globs(self.globs.iter().cloned()))
    }

    /// The gzip index cache, unless --no-index (see [`crate::index::cache`]).
    pub fn gz_index(&self) -> Option<std::sync::Arc<logrill::source::gzindex::IndexCache>> {
        if self.no_index {
            None
        } else {
            crate::index::cache(self.index_dir.as_ref())
        }
    }

    /// The inputs: the paths (with globs for directories), or standard input; gzip files
    /// read through (and recorded into) `gz_index` (say its notices after the run:
    /// [`crate::index::say_notices`]).
    ///
    /// A single input (standard input, or one path that is a file) gets every core for
    /// decoding bzip2 and xz; several inputs are read in parallel, one core each.
    pub fn files_with_index(
        &self,
        gz_index: Option<std::sync::Arc<logrill::source::gzindex::IndexCache>>,
    ) -> anyhow::Result<Files> {
        let cores = self.options().threads;
        let single = self.paths.len() <= 1 && !self.paths.iter().any(|p| p.is_dir());
        let files = match self.find() {
            None => Files::stdin(),
            Some(find) => Files::try_found(find)?,
        };
        let mut files = files.with_decode_threads(if single { cores } else { 1 });
        if let Some(range) = self.time_range()? {
            files = files.with_time_range(range);
        }
        Ok(match gz_index {
            Some(cache) => files.with_gz_index(cache),
            None => files,
        })
    }

    /// `--since` / `--until` as a range (`None` when neither is given), relative times
    /// counted back from now.
    pub fn time_range(&self) -> anyhow::Result<Option<logrill::source::TimeRange>> {
        if self.since.is_none() && self.until.is_none() {
            return Ok(None);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64);
        let bound = |text: &Option<String>, flag: &str| -> anyhow::Result<Option<i64>> {
            text.as_deref()
                .map(|t| logrill::source::timerange::parse_bound(t, now))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{flag}: {e}"))
        };
        let mut range = logrill::source::TimeRange::new(
            bound(&self.since, "--since")?,
            bound(&self.until, "--until")?,
        );
        range.margin = i64::try_from(self.time_margin.as_micros()).unwrap_or(i64::MAX / 4);
        Ok(Some(range))
    }
}

/// A limit of at least 1: 0 would make every run fail (or, taken as 1, say a limit the
/// user did not give).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}
