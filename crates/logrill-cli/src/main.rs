//! `logrill`: the command line. Thin by design: arguments, output, exit codes; the work is
//! done by the `logrill` library.

mod args;
mod chart;
mod columnar;
mod diag;
mod duration;
mod escape;
mod follow;
mod index;
// Without the `nats` feature only the stand-ins are used; the URL and id helpers stay
// compiled (and unit-tested) either way.
#[cfg_attr(not(feature = "nats"), allow(dead_code))]
mod nats;
mod output;
mod progress;
mod report;
mod running;
mod shell;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;
use logrill::exec::{self, RunFailure};
use logrill::query;

use args::Args;

/// Exit status: success.
const OK: u8 = 0;
/// Exit status: a pure filter let nothing through (as grep's 1).
const NOTHING_MATCHED: u8 = 1;
/// Exit status: an input failed, or the pipeline or arguments are wrong.
const FAILED: u8 = 2;
/// Exit status after Ctrl-C (128 + SIGINT).
const INTERRUPTED: u8 = 130;
/// Exit status when the output (stdout, or stderr: see [`diag`]) was closed early
/// (`| head -1`): 128 + SIGPIPE, what a process killed by SIGPIPE reports to the shell.
const BROKEN_PIPE: u8 = diag::BROKEN_PIPE;

fn main() -> ExitCode {
    let code = run_main();
    // Diagnostics that could not be written (stderr closed early) end like a closed stdout.
    ExitCode::from(if diag::stderr_closed() {
        BROKEN_PIPE
    } else {
        code
    })
}

fn run_main() -> u8 {
    // `logrill completions SHELL` and `logrill man`: words seen before clap (see shell.rs).
    if let Some(code) = shell::dispatch(&std::env::args_os().collect::<Vec<_>>()) {
        return code;
    }
    // `logrill report …`: the HTML report (see report/).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if argv.get(1).is_some_and(|a| a == "report") {
        #[derive(clap::Parser)]
        #[command(name = "logrill report", version)]
        /// A self-contained HTML report of access logs.
        struct ReportCli {
            #[command(flatten)]
            args: report::ReportArgs,
        }
        let cli = ReportCli::parse_from(
            std::iter::once("logrill report".into()).chain(argv[2..].iter().cloned()),
        );
        return match report::run(&cli.args) {
            Ok(code) => code,
            Err(e) => {
                diag::say(diag::chain(&e));
                FAILED
            }
        };
    }
    // `logrill index PATH…`: build gzip indexes (see index.rs).
    if argv.get(1).is_some_and(|a| a == "index") {
        #[derive(clap::Parser)]
        #[command(name = "logrill index", version)]
        /// Build the gzip index of each file now.
        struct IndexCli {
            #[command(flatten)]
            args: index::IndexArgs,
        }
        let cli = IndexCli::parse_from(
            std::iter::once("logrill index".into()).chain(argv[2..].iter().cloned()),
        );
        return index::run(&cli.args);
    }
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            diag::say(diag::chain(&e));
            FAILED
        }
    }
}

/// What stderr says at the end: what `parse auto` chose, lines that did not parse (count
/// per reason and the first few with their place), values skipped; and, even with `-q`
/// (it explains the exit status), that most lines did not parse and which format they have.
pub(crate) fn report(args: &Args, summary: &exec::Summary) {
    for note in &summary.notes {
        diag::say(note);
    }
    // A likely misspelled field is said even with -q: the answer above is probably not
    // the one asked for (and the exit status says so). A field that is merely absent is a
    // note.
    for field in &summary.unseen_fields {
        if field.likely_typo || !args.quiet {
            diag::say(&field.message);
        }
    }
    if !args.quiet {
        for line in &summary.parse_report {
            diag::say(line);
        }
        if summary.skips.total() > 0 {
            diag::say(&summary.skips);
        }
    }
    if let Some(m) = &summary.format_mismatch {
        let hint = m
            .suggestion()
            .map_or(String::new(), |name| format!(": try `parse {name}`"));
        diag::say(format!("{m}{hint}"));
    }
}

fn run(args: &Args) -> anyhow::Result<u8> {
    // Everything that can be checked is checked before any input is read.
    let plan = match query::parse(&args.pipeline) {
        Ok(plan) => plan,
        Err(e) => {
            diag::say_block(e);
            return Ok(FAILED);
        }
    };
    if args.paths.iter().any(|p| nats::is_url(p)) {
        return nats::source(args, &plan);
    }
    if args.follow {
        return follow::run(args, &plan);
    }
    if args.to.is_some() {
        return nats::run_batch(args, &plan);
    }
    if !args.output.is_empty() {
        return columnar::run(args, &plan);
    }
    let gz_index = args.gz_index();
    let mut files = args.files_with_index(gz_index.clone())?;
    let walk = files.walk_report();
    let range_counters = files.range_counters();
    let stdout = io::stdout();
    let to_terminal = stdout.is_terminal();
    // A bar only where it cannot get mixed up with values printed to the same terminal.
    let show_progress =
        !args.quiet && io::stderr().is_terminal() && !(to_terminal && plan.is_filter());
    let progress = match args.find() {
        Some(find) if show_progress => {
            let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            files = files.with_progress(counter.clone());
            Some(progress::Progress::start(find, counter))
        }
        _ => None,
    };

    let escape = to_terminal && !args.raw;
    let mut out = output::Printer::new(stdout.lock(), args.format(), to_terminal, escape)
        .with_filename(args.with_filename)
        .with_color(shell::use_color(&args.color, to_terminal))
        .with_chart(args.chart());
    let mut on_error = |e: logrill::Error| {
        // A pipeline found wrong while running (a field the format `parse auto` chose does
        // not have) keeps its caret line under the column, as diag::say_error writes it.
        let block = matches!(e, logrill::Error::Query(_));
        let message = diag::line(&e.to_string(), block);
        match &progress {
            Some(p) => p.eprintln(&message),
            None => diag::write_raw(&message),
        }
    };
    // Ctrl-C or SIGTERM stops reading; the partial result is printed and marked. A second
    // Ctrl-C ends the process at once.
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(
            signal,
            INTERRUPTED as i32,
            cancel.clone(),
        )?;
        signal_hook::flag::register(signal, cancel.clone())?;
    }
    let mut options = args.options();
    options.cancel = Some(cancel);
    let summary = exec::run_with(&plan, files, &mut out, &mut on_error, &options);
    if let Some(p) = progress {
        p.finish();
    }
    let summary = match summary {
        Ok(summary) => summary,
        Err(RunFailure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            return Ok(BROKEN_PIPE)
        }
        Err(e) => return Err(e.into()),
    };
    match out.finish() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(BROKEN_PIPE),
        other => other?,
    }
    report(args, &summary);
    index::say_notices(gz_index.as_ref(), args.quiet);
    if let Some(counters) = range_counters.filter(|_| !args.quiet) {
        counters.notices().iter().for_each(diag::say);
    }
    let nothing_read = walk.is_some_and(|w| warn_empty_roots(&w));
    if summary.interrupted {
        diag::say("interrupted: the result above is partial (reading stopped early)");
        return Ok(INTERRUPTED);
    }
    Ok(if summary.failed() {
        FAILED
    } else if nothing_read || (plan.is_filter() && summary.values == 0) {
        NOTHING_MATCHED
    } else {
        OK
    })
}

/// Warn about each directory given where the globs kept no file (a misspelled glob must
/// not pass for "no match in the logs"); true when the whole run found no input at all,
/// which exits 1 as for no match (the answer, an empty list or a zero, is still printed).
pub(crate) fn warn_empty_roots(walk: &logrill::source::WalkReport) -> bool {
    for empty in walk.empty_roots() {
        diag::say(format!("warning: {empty}"));
    }
    walk.paths_found() == 0
}
