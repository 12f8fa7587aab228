//! `-F`: the pipeline over live files.
//!
//! The library's follower waits for lines (rotation, truncation and new files are its
//! business); the library's [`Live`] engine takes them; this loop ties the two together
//! with the clock: every `--every`, a pipeline that gathers results (an aggregate, a
//! table, `tee`) shows its running result — redrawn in place on a terminal, appended
//! otherwise — and when following ends (Ctrl-C, SIGTERM, `--exit-on-idle`, or a `head`
//! that has all it wants), the follower is closed (checkpoint written, files closed) and
//! the final result printed.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use logrill::exec::{live::LiveError, Live, Pushed};
use logrill::query::Plan;
use logrill::source::follow::{Follow, Follower, NextBatch, Start, Watch};
use logrill::InputName;

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

/// Line numbers of followed lines, where they are known: a file whose lines were all seen
/// from its start (`--from-start`, a file that appeared while following, the new file after
/// a rotation). The follower gives byte offsets; a batch that starts at byte 0 starts the
/// count, a batch that starts where the last one of the same name ended goes on with it,
/// anything else (following from the end, resuming from a checkpoint) is unknown: 0, which
/// JSON output shows as `null`.
#[derive(Default)]
struct LineNumbers {
    /// Per name: the byte where the last batch ended and the number of its next line.
    next: HashMap<InputName, (u64, u64)>,
}

impl LineNumbers {
    /// The number of the first line of a batch of `name` at `offset` (0: unknown).
    fn start(&self, name: &InputName, offset: u64) -> u64 {
        match self.next.get(name) {
            _ if offset == 0 => 1,
            Some(&(end, line)) if end == offset && line > 0 => line,
            _ => 0,
        }
    }

    /// The batch ended at byte `end`, before line `next` (0: unknown).
    fn end(&mut self, name: InputName, end: u64, next: u64) {
        self.next.insert(name, (end, next));
    }
}

/// Parse a duration such as `500ms`, `1s`, `2.5s`, `5m`, `1h` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 1s, 5m)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is out of range"))
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
    let mut numbers = LineNumbers::default();

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
                let name = batch.name.clone();
                let mut line_no = numbers.start(&name, batch.offset);
                let mut pos = 0;
                for line in batch.lines() {
                    let target: &mut dyn logrill::exec::Output = match sink.as_mut() {
                        Some(s) => {
                            s.at_line(&batch, pos, line.len());
                            s
                        }
                        None => &mut out,
                    };
                    pos += line.len()
                        + 1
                        + usize::from(batch.bytes.get(pos + line.len()) == Some(&b'\r'));
                    let pushed = live.push(&name, line_no, line, target);
                    if line_no > 0 {
                        line_no += 1;
                    }
                    match pushed {
                        Ok(Pushed::More) => {}
                        Ok(Pushed::Done) => {
                            done = true;
                            break;
                        }
                        Err(LiveError::Input(e)) => {
                            failed += 1;
                            diag::say_error(&e);
                            if e.ends_run() {
                                done = true;
                                break;
                            }
                        }
                        Err(LiveError::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
                            return Ok(141)
                        }
                        Err(LiveError::Output(e)) => {
                            output_error = Some(e);
                            break;
                        }
                    }
                }
                numbers.end(name, batch.offset + pos as u64, line_no);
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
            shown_lines = show(&mut live, args, terminal, shown_lines)?;
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

/// Print the running result; on a terminal over the previous one. Returns how many lines
/// it took.
pub(crate) fn show(
    live: &mut Live,
    args: &Args,
    terminal: bool,
    previous: usize,
) -> io::Result<usize> {
    let mut buf = Printer::new(Vec::new(), args.format(), terminal, terminal && !args.raw)
        .with_chart(args.chart());
    live.snapshot(&mut buf)?;
    let bytes = buf.into_inner()?;
    let mut stdout = io::stdout().lock();
    if terminal && previous > 0 {
        write!(stdout, "\x1b[{previous}A\x1b[J")?;
    }
    stdout.write_all(&bytes)?;
    stdout.flush()?;
    Ok(bytes.iter().filter(|&&b| b == b'\n').count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
