//! `-F`: the pipeline over live files.
//!
//! The library's follower waits for lines (rotation, truncation and new files are its
//! business); the library's [`Live`] engine takes them; this loop ties the two together
//! with the clock: every `--every`, a pipeline that gathers results (an aggregate, a
//! table, `tee`) shows its running result — redrawn in place on a terminal, appended
//! otherwise — and when following ends (Ctrl-C, SIGTERM, `--exit-on-idle`, or a `head`
//! that has all it wants), the follower is closed (checkpoint written, files closed) and
//! the final result printed.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use logrill::exec::{Live, Pushed};
use logrill::query::Plan;
use logrill::source::follow::{Follow, Follower, NextBatch, Start, Watch};

use crate::args::Args;
use crate::diag;
use crate::output::Printer;

/// Lines `parse auto` chooses its format from (the first batch's, up to this many).
const AUTO_SAMPLE: usize = 20;

/// The longest a notice (a file removed, rotated, lost) waits before it is printed when no
/// line comes: the follower queues notices, and is asked for lines with this deadline at
/// most, so that they go out when they happen whatever the pipeline (not at the next line,
/// or at exit).
const NOTICE_CHECK: Duration = Duration::from_millis(200);

/// Print the follower's notices now (unless `-q`).
fn say_notices(follower: &mut Follower, quiet: bool) {
    for notice in follower.take_notices() {
        if !quiet {
            diag::say(notice);
        }
    }
}

/// Follow the paths of `args` through `plan`. Returns the exit status.
pub fn run(args: &Args, plan: &Plan) -> anyhow::Result<u8> {
    if args.paths.is_empty() {
        anyhow::bail!("-F needs files or directories to follow (standard input is not followed; pipe into logrill without -F instead)");
    }
    let start = if args.from_start {
        Start::Beginning
    } else if let Some(n) = args.lines {
        Start::LastLines(n)
    } else {
        Start::End
    };
    let mut follow = Follow::new()
        .paths(&args.paths)
        .globs(args.globs.iter().cloned())
        .start(start)
        .exit_on_idle(args.exit_on_idle)
        .max_line(args.max_line_bytes);
    if let Some(poll) = args.poll {
        follow = follow.watch(Watch::Poll(poll));
    }
    if let Some(state) = &args.state {
        follow = follow.state(state);
    }
    if args.to.is_some() {
        // `--to nats://…`: checkpoints cover only what the broker acknowledged.
        follow = follow.auto_commit(false);
    }
    let options = args.options();
    let mut live = Live::new(plan, &options)?;
    let mut range = args
        .time_range()?
        .map(logrill::source::timerange::LiveRange::new);
    if let Some(r) = range
        .as_ref()
        .filter(|r| args.from_start && r.range().since.is_some())
    {
        // `--from-start --since`: files are entered by binary search where a batch read
        // of the range would start, not read from their start.
        follow = follow.since_seek(*r.range(), r.counters().clone());
    }
    // `--until` ends following only when one plain file is followed (see below).
    let one_file = args.paths.len() == 1 && args.globs.is_empty() && args.paths[0].is_file();
    let mut follower = follow.open()?;

    // Ctrl-C and SIGTERM close the follower (the seed's GeneratorExit): it wakes at once.
    let flag = follower.close_handle().flag();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, flag.clone())?;
        signal_hook::flag::register(signal, flag.clone())?;
    }
    let mut sink = match &args.to {
        Some(_) => Some(crate::nats::NatsSink::connect(args, Some(flag.clone()))?),
        None => None,
    };

    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let escape = terminal && !args.raw;
    let mut out = Printer::new(stdout.lock(), args.format(), terminal, escape)
        .with_filename(args.with_filename)
        .live();
    let every = args.every;
    let gathers = live.has_snapshot();
    let mut next_tick = Instant::now() + every;
    let mut shown_lines = 0usize;
    let mut failed = 0u64;

    loop {
        let soon = Instant::now() + NOTICE_CHECK;
        let deadline = if gathers { next_tick.min(soon) } else { soon };
        let mut done = false;
        let mut output_error = None;
        match follower.next_batch_until(Some(deadline)) {
            NextBatch::Batch(batch) => {
                if live.needs_format() {
                    // `parse auto`: the format is chosen from the first lines that come.
                    let sample: Vec<&[u8]> = batch.lines().take(AUTO_SAMPLE).collect();
                    match live.choose_format(&sample) {
                        Ok(chosen) => chosen.iter().for_each(diag::say),
                        Err(e) => {
                            diag::say_error(&e);
                            // Not closed: closing would checkpoint the lines handed out,
                            // which the fixed pipeline must still read.
                            std::mem::forget(follower);
                            return Ok(2);
                        }
                    }
                }
                // The leading grep searches the whole read in one pass (as in batch mode).
                let mut on_error = |e: logrill::Error| {
                    failed += 1;
                    diag::say_error(&e);
                };
                // With --since/--until, only the runs of lines in range are pushed, each
                // with its own line numbers and byte positions.
                let (runs, past_end) = match range.as_mut() {
                    Some(r) => {
                        let found = r.runs(batch.name, batch.bytes);
                        (found.runs, found.past_end)
                    }
                    None => (vec![(0..batch.bytes.len(), 0)], false),
                };
                let mut pushed = Ok(Pushed::More);
                for (run, lines_before) in runs {
                    let first_line = match batch.line {
                        0 => 0,
                        n => n + lines_before,
                    };
                    let bytes = &batch.bytes[run.clone()];
                    pushed = match sink.as_mut() {
                        Some(s) => live.push_batch(
                            batch.name,
                            first_line,
                            bytes,
                            s,
                            |s, pos, len| s.at_line(&batch, run.start + pos, len),
                            &mut on_error,
                        ),
                        None => live.push_batch(
                            batch.name,
                            first_line,
                            bytes,
                            &mut out,
                            |_, _, _| {},
                            &mut on_error,
                        ),
                    };
                    if !matches!(pushed, Ok(Pushed::More)) {
                        break;
                    }
                }
                if past_end && one_file && matches!(pushed, Ok(Pushed::More)) {
                    // --until: a line past the range (and its margin) came in the one file
                    // followed; nothing later can be in it, so following ends as when
                    // `head` has all it wants. With several files, that file's later lines
                    // are dropped and the others are followed on.
                    pushed = Ok(Pushed::Done);
                }
                match pushed {
                    Ok(Pushed::More) => {}
                    Ok(Pushed::Done) => done = true,
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(141),
                    Err(e) => output_error = Some(e),
                }
                if !gathers {
                    out.flush()?;
                }
            }
            NextBatch::Timeout => {}
            NextBatch::Closed(_) => break,
        }
        if let Some(e) = output_error {
            if sink.is_some() {
                // The sink failed (Ctrl-C while the broker was away, its window full):
                // dropping the follower would checkpoint every line handed out, records
                // the broker never acknowledged among them.
                std::mem::forget(follower);
            }
            return Err(e.into());
        }
        if let Err(e) = crate::nats::settle_commit(sink.as_mut(), &mut follower) {
            say_notices(&mut follower, args.quiet);
            diag::say(e);
            std::mem::forget(follower); // not closed: the checkpoint stays where acked
            return Ok(2);
        }
        say_notices(&mut follower, args.quiet);
        if done {
            break;
        }
        if gathers && Instant::now() >= next_tick {
            shown_lines = crate::running::show(&mut live, args, terminal, shown_lines)?;
            next_tick = Instant::now() + every;
        }
    }

    // Closing: the checkpoint records every line handed out, so the output is flushed
    // first.
    out.flush()?;
    if let Err(e) = crate::nats::settle_commit(sink.as_mut(), &mut follower) {
        say_notices(&mut follower, args.quiet);
        diag::say(e);
        std::mem::forget(follower); // not closed: the checkpoint stays where acked
        return Ok(2);
    }
    let report = follower.close();
    if let Some(r) = range.as_ref().filter(|_| !args.quiet) {
        r.counters().follow_notices().iter().for_each(diag::say);
    }
    // What closing noticed (the last file finished, a checkpoint that failed) is said too.
    say_notices(&mut follower, args.quiet);
    let report = report?;
    if !args.quiet {
        diag::say(report);
    }
    if gathers && terminal && shown_lines > 0 {
        // The final result replaces the last running one.
        let mut err = io::stdout().lock();
        write!(err, "\x1b[{shown_lines}A\x1b[J")?;
        err.flush()?;
    }
    let mut on_error = |e: logrill::Error| {
        failed += 1;
        diag::say(e);
    };
    let summary = match sink.as_mut() {
        Some(s) => {
            s.at(None);
            let summary = live.finish(s, &mut on_error)?;
            s.settle()?;
            if !s.report(args.quiet) {
                failed += 1;
            }
            summary
        }
        None => live.finish(&mut out, &mut on_error)?,
    };
    out.finish()?;
    crate::report(args, &summary);
    Ok(if failed > 0 { 2 } else { 0 })
}
