//! Files in parallel, results in order.
//!
//! Workers take the next input from a shared queue (the directory walk and the opening of
//! files happen under its lock, so inputs are numbered in walk order) and read it with
//! their own copy of the compiled stages. For each input, a worker registers a bounded
//! channel with the emitter *while still holding the queue lock*, so the emitter receives
//! the channels in input order. The emitter (the calling thread) drains one input's channel
//! to its end before the next: values reach the output, errors reach the error handler and
//! partial aggregates are merged exactly as in a single-threaded run.
//!
//! Memory is bounded: a worker ahead of the emitter blocks once its channel holds
//! [`CHUNKS_IN_FLIGHT`] chunks of about [`CHUNK_BYTES`].
//!
//! **One file on every core.** A work unit is an input or a *piece* of one: a plain file
//! of at least [`Split::min_file`] bytes taken from the queue is cut into byte ranges at
//! line boundaries (see [`crate::source::pieces`]), each queued as an input of its own
//! with its channel registered in order, marked as continuing the one before. Each piece
//! counts its lines from 1 and says in its [`Done`] how many it read; the emitter adds the
//! lines of the pieces before to every line number it passes on (values, skipped values,
//! unparsed lines, errors), so the output is the single-threaded run's. An error in a
//! piece ends its file there, as it would in a single reader: the later pieces' results
//! are dropped. A `parse auto` chooses its parser from the file's first lines before the
//! pieces start (see [`resolve_auto_ahead`]), so every worker chooses alike.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Mutex;

use super::chain::{Partial, Stats};
use super::event::{self, Event};
use super::flow::{Flow, RunError};
use super::runner::Runner;
use super::{conclude, Compiled, Emitted, Events, Summary};
use crate::error::{Error, InputName};
use crate::query::Plan;
use crate::source::gzindex::members::AbsorbedSlot;
use crate::source::gzindex::parallel::{MemberCheck, Piece as CrcPiece};
use crate::source::pieces::{CrcSlot, Split};
use crate::source::{Input, LineReader};

/// Bytes of values gathered before they are handed to the emitter.
const CHUNK_BYTES: usize = 128 * 1024;
/// Chunks a worker may hold ready per input before it waits for the emitter.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Values of one input, in order: their bytes back to back, and (line number, end).
struct Chunk {
    input: InputName,
    bytes: Vec<u8>,
    items: Vec<(u64, usize)>,
}

/// What one input (or piece of one) produced, after its values.
struct Done {
    partial: Partial,
    stats: Stats,
    error: Option<Error>,
    /// Lines read (to the end): what the line numbers of the next piece start after.
    lines: u64,
    /// A gzip chunk's CRC pieces, to be checked in file order (see [`MemberCheck`]);
    /// `None` inside when the chunk was not read to its end (the run was cancelled).
    check: Option<(InputName, Option<Vec<CrcPiece>>)>,
    /// A gzip member range: how many ranges after it it absorbed (their cuts were no
    /// member starts, see [`crate::source::gzindex::members`]); they are discarded unread.
    absorbed: usize,
}

/// Where a piece leaves what the emitter needs once it is read: a gzip chunk's CRC
/// pieces, or how many ranges after it a gzip member range absorbed.
enum Slot {
    Crc(CrcSlot),
    Absorbed(AbsorbedSlot),
}

/// A work unit taken from the queue: an input or a piece of one, its channel to the
/// emitter, and where a gzip piece leaves what it found.
type Work = (Result<Input, Error>, SyncSender<Msg>, Option<Slot>);

/// A work unit's channel, as the emitter gets it, in input order.
struct Unit {
    rx: Receiver<Msg>,
    /// A piece of the same file as the unit before (not its first).
    continues: bool,
}

/// The inputs, and the pieces of a split file waiting for a worker (their channels
/// already registered with the emitter).
struct Queue<I> {
    files: I,
    pieces: VecDeque<(Input, SyncSender<Msg>, Option<Slot>)>,
    threads: usize,
    split: Split,
}

impl<I: Iterator<Item = Result<Input, Error>>> Queue<I> {
    /// The next work unit and its channel, registered with the emitter.
    fn next(&mut self, order: &Sender<Unit>) -> Option<Work> {
        if let Some((piece, tx, check)) = self.pieces.pop_front() {
            return Some((Ok(piece), tx, check));
        }
        let next = self.files.next()?;
        let register = |continues| {
            let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
            order.send(Unit { rx, continues }).ok().map(|()| tx)
        };
        let Ok(input) = &next else {
            return Some((next, register(false)?, None));
        };
        let name = input.name().clone();
        if let Some(whole) = input.whole() {
            let ranges = whole
                .size()
                .ok()
                .and_then(|len| self.split.ranges(len, self.threads));
            if let Some(ranges) = ranges {
                for (k, range) in ranges.into_iter().enumerate() {
                    let piece = Input::piece(name.clone(), whole, range);
                    self.pieces.push_back((piece, register(k > 0)?, None));
                }
            }
        } else if let Some(gz) = input.indexed() {
            if self.threads > 1 && gz.chunks() > 1 {
                for k in 0..gz.chunks() {
                    let (piece, slot) = Input::chunk_piece(name.clone(), gz, k);
                    self.pieces
                        .push_back((piece, register(k > 0)?, Some(Slot::Crc(slot))));
                }
            }
        } else if let Some(file) = input.members() {
            let ranges: Option<Vec<_>> = (0..file.ranges())
                .map(|k| Input::member_piece(name.clone(), file, k).ok())
                .collect();
            if let Some(ranges) = ranges.filter(|r| self.threads > 1 && r.len() > 1) {
                for (k, (piece, slot)) in ranges.into_iter().enumerate() {
                    self.pieces
                        .push_back((piece, register(k > 0)?, Some(Slot::Absorbed(slot))));
                }
            }
        }
        match self.pieces.pop_front() {
            Some((piece, tx, check)) => Some((Ok(piece), tx, check)),
            None => Some((next, register(false)?, None)),
        }
    }
}

/// A `parse auto` decided before the run (see [`resolve_auto_ahead`]).
pub(super) struct Auto {
    sample: Vec<Vec<u8>>,
    /// What was chosen, a line each (the run's notes).
    notes: Vec<String>,
}

/// With more than one thread, a `parse auto` whose first input is a plain file to be split
/// chooses its parser here, from the lines a single-threaded run would sample (the first
/// batch read of that file, read the same way), so that every worker's copy of the plan
/// chooses alike and the run can go parallel. `compiled` is resolved on success; on any
/// doubt (`None`) it is left as it was and the run stays single-threaded.
pub(super) fn resolve_auto_ahead(
    plan: &Plan,
    compiled: &mut Compiled,
    first: &Input,
    options: &super::Options,
) -> Option<Auto> {
    // Not counted as progress: the run reads these bytes again.
    let whole = crate::source::pieces::WholeFile {
        counter: None,
        ..first.whole()?.clone()
    };
    options.split.ranges(whole.size().ok()?, options.threads)?;
    // A single-threaded run reads the magic bytes first, then the rest (see
    // `crate::source::open_reader_with`): the first batch of lines is read the same way.
    let mut head = [0u8; crate::source::open::MAGIC_LEN];
    let got = whole.from_offset(0).read(&mut head).ok()?;
    let reader = io::Cursor::new(head[..got].to_vec()).chain(whole.from_offset(got as u64));
    let mut lines = LineReader::new(reader).max_line_bytes(options.max_line_bytes);
    let batch = lines.next_batch().ok()??;
    let sample: Vec<Vec<u8>> = batch
        .lines()
        .take(super::runner::AUTO_SAMPLE)
        .map(<[u8]>::to_vec)
        .collect();
    let refs: Vec<&[u8]> = sample.iter().map(Vec::as_slice).collect();
    // Tried on a copy first: a choice the plan's fields do not fit is left to the
    // single-threaded run to report, as it always has.
    let mut trial = Compiled::with(plan, options).ok()?;
    trial.resolve_auto(&refs).ok()?;
    if !trial.chain.parallel_safe() {
        // Single-threaded anyway (`head`, streamed records): it chooses as it always has.
        return None;
    }
    let notes = compiled.resolve_auto(&refs).ok()?;
    Some(Auto { sample, notes })
}

enum Msg {
    Values(Chunk),
    // Boxed: a table's state is large, chunks are many.
    Done(Box<Done>),
}

pub(super) fn run(
    plan: &Plan,
    compiled: Compiled,
    files: impl Iterator<Item = Result<Input, Error>> + Send,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
    options: &super::Options,
    auto: Option<Auto>,
) -> io::Result<Summary> {
    // Each worker has its own copy of the plan (its `parse auto` resolved as `compiled`'s
    // was), compiled on the worker's own thread: the workers start at once and compile
    // side by side, instead of the calling thread compiling one copy after the other
    // before any reading starts (a regex or a parse pattern is compiled anew each time).
    // `compiled` gathers the merged results.
    let (sample, notes) = match auto {
        Some(a) => (Some(a.sample), a.notes),
        None => (None, Vec::new()),
    };
    let copy = || {
        let mut c = Compiled::with(plan, options)?;
        if let Some(sample) = &sample {
            let refs: Vec<&[u8]> = sample.iter().map(Vec::as_slice).collect();
            c.resolve_auto(&refs)?;
        }
        Ok::<_, Error>(c)
    };
    let threads = options.threads.max(1);
    // Workers whose copy of the plan could not be compiled: they take no work. (The plan
    // compiled once already, so none should; if all failed, the run is single-threaded.)
    let unusable = AtomicUsize::new(0);
    let mut total = compiled;
    let queue = Mutex::new(Queue {
        files,
        pieces: VecDeque::new(),
        threads: options.threads,
        split: options.split,
    });
    let cancel = AtomicBool::new(false);
    let (order_tx, order_rx) = channel::<Unit>();
    let emitted = std::thread::scope(|scope| {
        for _ in 0..threads {
            let (queue, cancel, order_tx) = (&queue, &cancel, order_tx.clone());
            let (copy, unusable) = (&copy, &unusable);
            let (limit, max_line) = (options.state_limit, options.max_line_bytes);
            let user_cancel = options.cancel.clone();
            scope.spawn(move || {
                let Ok(compiled) = copy() else {
                    unusable.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                worker(
                    compiled,
                    queue,
                    order_tx,
                    cancel,
                    limit,
                    max_line,
                    user_cancel,
                )
            });
        }
        drop(order_tx);
        let result = emit(
            order_rx,
            &mut total,
            output,
            on_error,
            options.state_limit,
            notes,
        );
        // On an output error, `emit` has dropped every channel: workers see their sends
        // fail; the flag also stops them before they open another input.
        // So does an output that wants no more.
        if result.as_ref().map_or(true, |r| r.2) {
            cancel.store(true, Ordering::Relaxed);
        }
        result
    });
    if unusable.into_inner() == threads {
        // No worker could run the plan, so none took an input: all are still queued.
        let files = queue.into_inner().map(|q| q.files);
        if let Ok(files) = files {
            return super::run_sequential(total, files, output, on_error, options);
        }
    }
    emitted.and_then(|(stats, failed, stopped)| {
        conclude(total, stats, output, on_error, failed, stopped)
    })
}

fn worker<I: Iterator<Item = Result<Input, Error>>>(
    mut compiled: Compiled,
    queue: &Mutex<Queue<I>>,
    order: Sender<Unit>,
    cancel: &AtomicBool,
    state_limit: usize,
    max_line: usize,
    user_cancel: Option<std::sync::Arc<AtomicBool>>,
) {
    loop {
        if cancel.load(Ordering::Relaxed) || super::cancelled(&user_cancel) {
            // Pieces are registered with the emitter when their file is taken: drop the
            // senders of those nobody will read now, or the emitter waits on them forever.
            if let Ok(mut queue) = queue.lock() {
                queue.pieces.clear();
            }
            return;
        }
        let (next, tx, slot) = {
            let Ok(mut queue) = queue.lock() else { return };
            let Some(unit) = queue.next(&order) else {
                return;
            };
            unit
        };
        let input = match next {
            Ok(input) => input.read_ahead(),
            Err(e) => {
                let done = Done {
                    partial: Partial::None,
                    stats: Stats::new(state_limit),
                    error: Some(e),
                    lines: 0,
                    check: None,
                    absorbed: 0,
                };
                if tx.send(Msg::Done(Box::new(done))).is_err() {
                    return;
                }
                continue;
            }
        };
        let mut out = ChunkOutput {
            tx: &tx,
            chunk: Chunk {
                input: input.name().clone(),
                bytes: Vec::new(),
                items: Vec::new(),
            },
        };
        let mut runner = Runner::new(compiled, &mut out, Stats::new(state_limit));
        runner.max_line = max_line;
        runner.cancel = user_cancel.clone();
        let error = match runner.input(input) {
            Ok(_) => None,
            Err(RunError::Input(e)) => Some(e),
            // The emitter is gone.
            Err(RunError::Output(_)) => return,
        };
        let lines = runner.lines;
        let (back, stats) = runner.finish();
        compiled = back;
        let partial = compiled.chain.take_partial();
        if out.send_chunk().is_err() {
            return;
        }
        let (check, absorbed) = match slot {
            Some(Slot::Crc(s)) => {
                let pieces = s.lock().ok().and_then(|mut s| s.take());
                (Some((out.chunk.input.clone(), pieces)), 0)
            }
            // A range not read to its end (the run was cancelled) absorbed nothing known.
            Some(Slot::Absorbed(s)) => (None, s.lock().ok().and_then(|s| *s).unwrap_or(0)),
            None => (None, 0),
        };
        let done = Done {
            partial,
            stats,
            error,
            lines,
            check,
            absorbed,
        };
        if tx.send(Msg::Done(Box::new(done))).is_err() {
            return;
        }
    }
}

/// Gathers a worker's values into chunks for the emitter.
struct ChunkOutput<'t> {
    tx: &'t SyncSender<Msg>,
    chunk: Chunk,
}

impl ChunkOutput<'_> {
    fn send_chunk(&mut self) -> io::Result<()> {
        if self.chunk.items.is_empty() {
            return Ok(());
        }
        let full = Chunk {
            input: self.chunk.input.clone(),
            bytes: std::mem::replace(&mut self.chunk.bytes, Vec::with_capacity(CHUNK_BYTES)),
            items: std::mem::take(&mut self.chunk.items),
        };
        self.tx
            .send(Msg::Values(full))
            .map_err(|_| io::Error::other("the run was stopped"))
    }
}

impl crate::sink::Consumer for ChunkOutput<'_> {
    type Output = ();
    fn close(self) -> Result<(), crate::sink::SinkError> {
        Ok(())
    }
}

impl<'a> crate::sink::Sink<Event<'a>> for ChunkOutput<'_> {
    #[inline]
    fn send(&mut self, e: Event<'a>) -> Result<crate::sink::Flow, crate::sink::SinkError> {
        if let Event::Value(v) = e {
            self.chunk.bytes.extend_from_slice(v.value);
            self.chunk.items.push((v.line, self.chunk.bytes.len()));
            if self.chunk.bytes.len() >= CHUNK_BYTES {
                self.send_chunk().map_err(crate::sink::SinkError::Write)?;
            }
        }
        Ok(crate::sink::Flow::Continue)
    }
}

/// Drain the inputs' channels in input order into the output and the summary.
fn emit(
    order: Receiver<Unit>,
    total: &mut Compiled,
    output: &mut dyn Events,
    on_error: &mut dyn FnMut(Error),
    state_limit: usize,
    notes: Vec<String>,
) -> io::Result<(Stats, u64, bool)> {
    let mut stats: Option<Stats> = None;
    // The output said stop: values it was given, and nothing more is read.
    let (mut stopped, mut given) = (false, 0u64);
    let mut failed = 0;
    // The run's verdict on failed inputs, by the one rule (see `Stats::input_failed`).
    let mut tally = Stats::new(state_limit);
    let mut limit_reported = false;
    // A run-ending error was met: later inputs are read to the end of their channel but
    // no longer merged (their state would only grow past the limit) nor counted.
    let mut ended = false;
    // Lines of the pieces of the current file before this one, and with this one.
    let (mut base, mut next_base): (u64, u64);
    next_base = 0;
    // A piece of the current file failed: it ends there, as for a single reader.
    let mut file_failed = false;
    // The gzip members of the current file, checked chunk by chunk, until a chunk comes
    // back unread to its end (a cancelled run): past it the CRCs could not be folded in
    // order, and checking on would report a mismatch that is not there.
    let mut members = Some(MemberCheck::default());
    // Ranges of a gzip file cut at its members still to discard: the range before them
    // decoded on through their cuts, which were no member starts.
    let mut absorbed = 0;
    'units: for unit in order {
        if unit.continues && absorbed > 0 {
            absorbed -= 1;
            // Its worker is let finish (it sends until its Done), but nothing it found is
            // used: not its values, state, errors, or lines.
            for msg in unit.rx {
                if matches!(msg, Msg::Done(_)) {
                    break;
                }
            }
            continue;
        }
        if unit.continues {
            base = next_base;
        } else {
            (base, file_failed, absorbed) = (0, false, 0);
            members = Some(MemberCheck::default());
        }
        for msg in unit.rx {
            match msg {
                Msg::Values(_) if file_failed => {}
                Msg::Values(chunk) => {
                    let mut start = 0;
                    for &(line, end) in &chunk.items {
                        let value = Emitted {
                            input: &chunk.input,
                            line: line + base,
                            value: &chunk.bytes[start..end],
                        };
                        given += 1;
                        if event::emit(output, Event::Value(value))? == Flow::Stop {
                            stopped = true;
                            break 'units;
                        }
                        start = end;
                    }
                }
                Msg::Done(done) => {
                    // Read first: ranges this one decoded through are discarded even
                    // after the run or the file failed (their cuts were no member starts).
                    absorbed = done.absorbed;
                    if ended || file_failed {
                        break;
                    }
                    let mut done = *done;
                    next_base = base + done.lines;
                    done.stats.skips.after_lines(base);
                    done.stats.failures.after_lines(base);
                    done.error = done.error.map(|e| e.after_lines(base));
                    let check = match (&done.error, done.check) {
                        (None, Some((name, Some(pieces)))) => Some((name, pieces)),
                        (_, Some((_, None))) => {
                            members = None;
                            None
                        }
                        _ => None,
                    };
                    if let (Some((name, pieces)), Some(members)) = (check, members.as_mut()) {
                        if let Err(source) = members.fold(pieces) {
                            // The chunk's lines went on before its CRC could be checked:
                            // the error comes after them.
                            done.error = Some(Error::Decode {
                                name,
                                codec: crate::source::Codec::Gzip,
                                line: next_base,
                                source,
                            });
                        }
                    }
                    file_failed = done.error.is_some();
                    total.chain.merge_partial(done.partial);
                    // Each worker checks the limit on its own input only: the merged
                    // state is checked here, so that the run fails as a single-threaded
                    // one does.
                    let mut error = done.error;
                    if error.is_none() {
                        let size = total.chain.state_size();
                        error = crate::agg::check_state_limit(size, state_limit)
                            .err()
                            .map(Error::State);
                    }
                    match &mut stats {
                        None => stats = Some(done.stats),
                        Some(s) => {
                            s.values += done.stats.values;
                            s.skips.merge(&done.stats.skips);
                            s.failures.merge(done.stats.failures);
                            s.unseen.merge(&done.stats.unseen);
                        }
                    }
                    if let Some(e) = error {
                        failed += 1;
                        // Each worker may reach the state limit: it is one problem.
                        let repeat = matches!(e, Error::State(_)) && limit_reported;
                        limit_reported |= matches!(e, Error::State(_));
                        ended |= tally.input_failed(&e) == Flow::Stop;
                        if !repeat {
                            on_error(e);
                        }
                    }
                    break;
                }
            }
        }
    }
    let mut stats = stats.unwrap_or_else(|| Stats::new(super::DEFAULT_STATE_LIMIT));
    stats.over_limit |= tally.over_limit;
    stats.notes.splice(0..0, notes);
    if stopped {
        stats.values = given;
    }
    Ok((stats, failed, stopped))
}

#[cfg(test)]
mod tests {
    use super::super::{run_with, Options, Summary};
    use super::*;
    use crate::source::gzindex::IndexCache;
    use crate::source::{open, open_with_index, pieces::Split};
    use std::fmt::Write as _;
    use std::path::Path;
    use std::sync::Arc;

    /// Piece size of these tests: the test file is about 60 pieces long.
    const PIECE: u64 = 4096;

    /// Everything a run gives, as text.
    #[derive(Default)]
    struct Capture(String);

    impl crate::sink::Consumer for Capture {
        type Output = ();
        fn close(self) -> Result<(), crate::sink::SinkError> {
            Ok(())
        }
    }

    impl<'a> crate::sink::Sink<Event<'a>> for Capture {
        fn send(&mut self, e: Event<'a>) -> Result<crate::sink::Flow, crate::sink::SinkError> {
            let _ = match e {
                Event::Value(v) => {
                    let value = String::from_utf8_lossy(v.value);
                    writeln!(self.0, "value {}:{}:{value}", v.input, v.line)
                }
                Event::Record {
                    input,
                    line,
                    record,
                } => writeln!(self.0, "record {input}:{line}:{}", record.to_json()),
                Event::Columns(names) => writeln!(self.0, "columns {names:?}"),
                Event::Aggregate { name, value } => {
                    writeln!(self.0, "aggregate {name} {value:?}")
                }
                Event::EndTable | Event::Branch { .. } => Ok(()),
            };
            Ok(crate::sink::Flow::Continue)
        }
    }

    /// Output that cancels the run at its first value.
    fn cancel_at_first(flag: Arc<AtomicBool>) -> impl Events {
        crate::exec::values(move |_| {
            flag.store(true, Ordering::Relaxed);
            Ok(crate::sink::Flow::Continue)
        })
    }

    /// A run cancelled while a file's pieces are queued ends (review: the emitter waited
    /// forever on the pieces no worker would take, their senders held by the queue).
    #[test]
    fn a_cancelled_run_in_pieces_ends() {
        let dir = tempfile::tempdir().unwrap();
        // Pieces whose values fill their channels, so that workers wait on the emitter and
        // the cancel comes while later pieces are still queued.
        let path = dir.path().join("big.log");
        let line = format!("GET {}\n", "x".repeat(95));
        std::fs::write(&path, line.repeat(60_000)).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let flag = Arc::new(AtomicBool::new(false));
            let options = Options {
                threads: 2,
                cancel: Some(flag.clone()),
                split: Split {
                    min_file: 0,
                    piece: 1 << 20,
                    ..Split::default()
                },
                ..Options::default()
            };
            let plan = crate::query::parse("grep GET").unwrap();
            let mut out = cancel_at_first(flag);
            let s = run_with(&plan, [open(&path)], &mut out, &mut |_| {}, &options);
            let _ = tx.send(s.map(|s| s.interrupted).unwrap_or(false));
        });
        let interrupted = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the cancelled run did not end");
        assert!(interrupted);
    }

    /// A combined log of about 250 KB, with unparsable lines (`bad`, each a byte offset
    /// before which one is put) and one line longer than a piece.
    fn log(dir: &Path, bad: &[usize]) -> std::path::PathBuf {
        let mut text = String::new();
        let mut bad = bad.iter().peekable();
        for i in 0..2400 {
            if bad.next_if(|&&at| text.len() >= at).is_some() {
                writeln!(text, "garbage line {i} that no format reads").unwrap();
            }
            if i == 1000 {
                writeln!(text, "{}", "a line longer than a piece ".repeat(400)).unwrap();
            }
            let status = [200, 200, 404, 500, 301][i % 5];
            let bytes = if i % 11 == 0 && i > 500 {
                "-".to_string()
            } else {
                (i * 37 % 9000).to_string()
            };
            writeln!(
                text,
                "10.0.{}.{} - - [05/Dec/2026:05:{:02}:{:02} +0000] \"GET /page/{} HTTP/1.1\" \
                 {status} {bytes} \"-\" \"agent {:x} {}\"",
                i % 7,
                i % 250,
                i / 60 % 60,
                i % 60,
                i % 23,
                (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                "x".repeat(i % 40)
            )
            .unwrap();
        }
        let path = dir.join("access.log");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn run(text: &str, path: &Path, threads: usize, strict: bool) -> String {
        run_on(text, || open(path), threads, strict)
    }

    fn run_on(
        text: &str,
        input: impl Fn() -> Result<Input, Error>,
        threads: usize,
        strict: bool,
    ) -> String {
        let split = Split {
            min_file: 0,
            piece: PIECE,
            ..Split::default()
        };
        run_split(text, input, threads, strict, split)
    }

    fn run_split(
        text: &str,
        input: impl Fn() -> Result<Input, Error>,
        threads: usize,
        strict: bool,
        split: Split,
    ) -> String {
        let plan = crate::query::parse(text).unwrap();
        let mut out = Capture::default();
        let mut errors = Vec::new();
        let options = Options {
            threads,
            strict,
            split,
            ..Options::default()
        };
        let s: Summary = run_with(
            &plan,
            [input()],
            &mut out,
            &mut |e| errors.push(e.to_string()),
            &options,
        )
        .unwrap();
        format!(
            "{}errors {errors:?}\nvalues {} failed {} stopped {}\nskips {}\nparse {:?}\n\
             mismatch {:?}\nnotes {:?}\nresult {:?}",
            out.0,
            s.values,
            s.failed_inputs,
            s.stopped_early,
            s.skips,
            s.parse_report,
            s.format_mismatch,
            s.notes,
            s.result()
        )
    }

    fn same_as_one_thread(text: &str, path: &Path, strict: bool) -> String {
        let one = run(text, path, 1, strict);
        for threads in [2, 3] {
            assert_eq!(
                run(text, path, threads, strict),
                one,
                "{text}, {threads} threads"
            );
        }
        one
    }

    #[test]
    fn one_file_in_pieces_gives_what_one_thread_gives() {
        let d = tempfile::tempdir().unwrap();
        // Bad lines in the second and third pieces (and later ones).
        let bad = [5000, 9000, 30_000, 100_000];
        let path = log(d.path(), &bad);
        assert!(std::fs::metadata(&path).unwrap().len() > 50 * PIECE);
        for text in [
            "grep x",
            "grep xxxxx | field -1",
            "field 9 | sum",
            "parse combined",
            "parse combined | count by status",
            "parse combined | count, sum(bytes), first(path), last(path) by status",
            "parse combined | first(path), last(agent)",
            "parse auto | count by status",
            "parse auto | sum(bytes) by status",
            "parse auto | where status == 404 | select path",
            "head 5",
            "parse combined | head 5",
            "grep GET | head 3",
        ] {
            let out = same_as_one_thread(text, &path, false);
            assert!(!out.starts_with("errors"), "{text}: no output\n{out}");
        }
        // The unparsed lines are reported with their line numbers; the first of them is
        // in the second piece.
        let out = same_as_one_thread("parse combined | count by status", &path, false);
        assert!(out.contains("garbage line"), "{out}");
        // With --strict, the first unparsable line ends the file: an error naming its line.
        let out = same_as_one_thread("parse combined | count by status", &path, true);
        let first_bad = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .position(|l| l.starts_with("garbage"))
            .unwrap()
            + 1;
        assert!(out.contains(&format!(":{first_bad}: ")), "{out}");
        // Skipped values (`-` bytes) name their lines.
        let out = same_as_one_thread("field 10 | sum", &path, false);
        assert!(out.contains("skipped"), "{out}");
    }

    #[test]
    fn guided_pieces_give_what_one_thread_gives() {
        // Sizes chosen from the file (large first, down to 4 KiB at the end: about 20
        // pieces), as by default on big files.
        let d = tempfile::tempdir().unwrap();
        let path = log(d.path(), &[5000, 9000, 30_000, 100_000, 240_000]);
        let split = Split {
            min_file: 0,
            min_piece: PIECE,
            ..Split::default()
        };
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(split.sizes(len, 2).len() > 10, "{:?}", split.sizes(len, 2));
        for strict in [false, true] {
            for text in [
                "grep x",
                "field 10 | sum",
                "parse combined | count, first(path), last(path) by status",
                "parse auto | sum(bytes) by status",
            ] {
                let one = run_split(text, || open(&path), 1, strict, split);
                for threads in [2, 3] {
                    let got = run_split(text, || open(&path), threads, strict, split);
                    assert_eq!(got, one, "{text}, {threads} threads, strict {strict}");
                }
            }
        }
    }

    #[test]
    fn pieces_in_parallel_are_not_a_single_reader_in_disguise() {
        // The split is really taken: the values of a three-thread run come from pieces
        // whose line numbers were rebased (each piece alone counts from 1).
        let d = tempfile::tempdir().unwrap();
        let path = log(d.path(), &[]);
        let whole = open(&path).unwrap();
        let ranges = Split {
            min_file: 0,
            piece: PIECE,
            ..Split::default()
        }
        .ranges(std::fs::metadata(&path).unwrap().len(), 2)
        .unwrap();
        let w = whole.whole().unwrap();
        let second = crate::source::LineReader::new(w.piece(ranges[1]))
            .next_line()
            .unwrap()
            .map(<[u8]>::to_vec)
            .unwrap();
        let out = run("grep GET", &path, 2, false);
        let text = String::from_utf8_lossy(&second);
        let line = out.lines().find(|l| l.ends_with(&*text));
        let line = line.unwrap_or_else(|| panic!("{text:?}\n{}", &out[..2000]));
        assert!(!line.contains(":1:"), "{line}");
    }

    /// The test log gzipped, and an index cache holding its index (seek points every
    /// 2 KiB of compressed data, at block ends: about a dozen chunks).
    fn indexed_gz(dir: &Path, bad: &[usize]) -> (std::path::PathBuf, Arc<IndexCache>) {
        // Three times over: deflate sees no further back than 32 KiB, so the file has as
        // many blocks (and seek points) as text.
        let text = std::fs::read(log(dir, bad)).unwrap().repeat(3);
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        std::io::Write::write_all(&mut e, &text).unwrap();
        let gz = dir.join("access.log.gz");
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let cache = Arc::new(
            IndexCache::new(dir.join("cache"))
                .min_size(0)
                .spacing(2 * 1024)
                .budget(1),
        );
        // The first read records the index.
        let mut first = open_with_index(&gz, None, 2, Some(&cache)).unwrap();
        std::io::copy(&mut first, &mut std::io::sink()).unwrap();
        (gz, cache)
    }

    #[test]
    fn an_indexed_gzip_file_in_chunk_pieces_gives_what_one_thread_gives() {
        let d = tempfile::tempdir().unwrap();
        let (gz, cache) = indexed_gz(d.path(), &[5000, 9000, 30_000, 100_000]);
        let input = || open_with_index(&gz, None, 2, Some(&cache));
        let chunks = input().unwrap().indexed().map(|f| f.chunks()).unwrap_or(0);
        assert!(chunks > 4, "{chunks} chunks");
        for text in [
            "grep x",
            "field 10 | sum",
            "parse combined | count, first(path), last(path) by status",
            "parse auto | sum(bytes) by status",
            "parse combined | head 5",
        ] {
            let one = run_on(text, input, 1, false);
            for threads in [2, 3] {
                assert_eq!(run_on(text, input, threads, false), one, "{text}");
            }
        }
        let one = run_on("parse combined | count by status", input, 1, true);
        assert!(one.contains("failed 1"), "{one}");
        assert_eq!(
            run_on("parse combined | count by status", input, 2, true),
            one
        );
    }

    #[test]
    fn a_bad_crc_in_a_chunk_piece_is_an_error_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let (gz, cache) = indexed_gz(d.path(), &[]);
        let good = std::fs::read(&gz).unwrap();
        let mtime = std::fs::metadata(&gz).unwrap().modified().unwrap();
        // A changed byte in the middle of the deflate data that still decodes (to other
        // bytes) is found by the CRC; the index still applies (same size, time and ends).
        let mut crc_found = false;
        for at in (good.len() / 3..good.len() / 2).step_by(997).take(40) {
            let mut bad = good.clone();
            bad[at] ^= 0x10;
            std::fs::write(&gz, &bad).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&gz)
                .unwrap()
                .set_modified(mtime)
                .unwrap();
            let input = || open_with_index(&gz, None, 2, Some(&cache));
            if input().unwrap().indexed().is_none() {
                continue;
            }
            let out = run_on("count", input, 2, false);
            assert!(out.contains("failed 1"), "{out}");
            assert!(out.contains("access.log.gz"), "{out}");
            crc_found |= out.contains("CRC-32 mismatch");
            if crc_found {
                break;
            }
        }
        assert!(crc_found);
    }
}
