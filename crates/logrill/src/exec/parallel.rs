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

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Mutex;

use super::chain::{Partial, Stats};
use super::flow::{Flow, RunError};
use super::runner::Runner;
use super::{conclude, Compiled, Emitted, Output, Summary};
use crate::error::{Error, InputName};
use crate::query::Plan;
use crate::source::Input;

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

/// What one input produced, after its values.
struct Done {
    partial: Partial,
    stats: Stats,
    error: Option<Error>,
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
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
    options: &super::Options,
) -> io::Result<Summary> {
    // Each worker has its own copy of the plan; `compiled` gathers the merged results.
    let copies: Result<Vec<Compiled>, _> = (0..options.threads.max(1))
        .map(|_| Compiled::with(plan, options))
        .collect();
    let Ok(copies) = copies else {
        return super::run_sequential(compiled, files, output, on_error, options);
    };
    let mut total = compiled;
    let queue = Mutex::new(files);
    let cancel = AtomicBool::new(false);
    let (order_tx, order_rx) = channel::<Receiver<Msg>>();
    std::thread::scope(|scope| {
        for compiled in copies {
            let (queue, cancel, order_tx) = (&queue, &cancel, order_tx.clone());
            let (limit, max_line) = (options.state_limit, options.max_line_bytes);
            let user_cancel = options.cancel.clone();
            scope.spawn(move || {
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
        let result = emit(order_rx, &mut total, output, on_error, options.state_limit);
        // On an output error, `emit` has dropped every channel: workers see their sends
        // fail; the flag also stops them before they open another input.
        if result.is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
        result
    })
    .and_then(|(stats, failed)| conclude(total, stats, output, on_error, failed, false))
}

fn worker<I: Iterator<Item = Result<Input, Error>>>(
    mut compiled: Compiled,
    queue: &Mutex<I>,
    order: Sender<Receiver<Msg>>,
    cancel: &AtomicBool,
    state_limit: usize,
    max_line: usize,
    user_cancel: Option<std::sync::Arc<AtomicBool>>,
) {
    loop {
        if cancel.load(Ordering::Relaxed) || super::cancelled(&user_cancel) {
            return;
        }
        let (next, tx) = {
            let Ok(mut files) = queue.lock() else { return };
            let Some(next) = files.next() else { return };
            let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
            if order.send(rx).is_err() {
                return;
            }
            (next, tx)
        };
        let input = match next {
            Ok(input) => input.read_ahead(),
            Err(e) => {
                let done = Done {
                    partial: Partial::None,
                    stats: Stats::new(state_limit),
                    error: Some(e),
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
        let (back, stats) = runner.finish();
        compiled = back;
        let partial = compiled.chain.take_partial();
        if out.send_chunk().is_err() {
            return;
        }
        let done = Done {
            partial,
            stats,
            error,
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

impl Output for ChunkOutput<'_> {
    fn value(&mut self, v: Emitted<'_>) -> io::Result<()> {
        self.chunk.bytes.extend_from_slice(v.value);
        self.chunk.items.push((v.line, self.chunk.bytes.len()));
        if self.chunk.bytes.len() >= CHUNK_BYTES {
            self.send_chunk()?;
        }
        Ok(())
    }
}

/// Drain the inputs' channels in input order into the output and the summary.
fn emit(
    order: Receiver<Receiver<Msg>>,
    total: &mut Compiled,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
    state_limit: usize,
) -> io::Result<(Stats, u64)> {
    let mut stats: Option<Stats> = None;
    let mut failed = 0;
    // The run's verdict on failed inputs, by the one rule (see `Stats::input_failed`).
    let mut tally = Stats::new(state_limit);
    let mut limit_reported = false;
    // A run-ending error was met: later inputs are read to the end of their channel but
    // no longer merged (their state would only grow past the limit) nor counted.
    let mut ended = false;
    for input in order {
        for msg in input {
            match msg {
                Msg::Values(chunk) => {
                    let mut start = 0;
                    for &(line, end) in &chunk.items {
                        output.value(Emitted {
                            input: &chunk.input,
                            line,
                            value: &chunk.bytes[start..end],
                        })?;
                        start = end;
                    }
                }
                Msg::Done(done) => {
                    if ended {
                        break;
                    }
                    let done = *done;
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
    Ok((stats, failed))
}
