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

use super::runner::{RunError, Runner};
use super::{Compiled, Emitted, Output, Skips, Summary};
use crate::agg::Aggregate;
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
    aggregate: Option<Aggregate>,
    values: u64,
    skips: Skips,
    error: Option<Error>,
}

enum Msg {
    Values(Chunk),
    Done(Done),
}

pub(super) fn run(
    plan: &Plan,
    compiled: Compiled,
    files: impl Iterator<Item = Result<Input, Error>> + Send,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
    options: &super::Options,
) -> io::Result<Summary> {
    let start = match compiled.terminal {
        crate::query::Terminal::Aggregate(kind) => Some(Aggregate::new(kind)),
        crate::query::Terminal::Values => None,
    };
    let queue = Mutex::new(files);
    let cancel = AtomicBool::new(false);
    let (order_tx, order_rx) = channel::<Receiver<Msg>>();
    std::thread::scope(|scope| {
        let mut first = Some(compiled);
        for _ in 0..options.threads.max(1) {
            // The plan compiled once already; compiling it again cannot fail.
            let Some(compiled) = first.take().or_else(|| Compiled::new(plan).ok()) else {
                break;
            };
            let (queue, cancel, order_tx) = (&queue, &cancel, order_tx.clone());
            scope.spawn(move || worker(compiled, queue, order_tx, cancel));
        }
        drop(order_tx);
        let result = emit(order_rx, start, output, on_error);
        // On an output error, `emit` has dropped every channel: workers see their sends
        // fail; the flag also stops them before they open another input.
        if result.is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
        result
    })
}

fn worker<I: Iterator<Item = Result<Input, Error>>>(
    mut compiled: Compiled,
    queue: &Mutex<I>,
    order: Sender<Receiver<Msg>>,
    cancel: &AtomicBool,
) {
    loop {
        if cancel.load(Ordering::Relaxed) {
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
                    aggregate: None,
                    values: 0,
                    skips: Skips::default(),
                    error: Some(e),
                };
                if tx.send(Msg::Done(done)).is_err() {
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
        let mut runner = Runner::new(compiled, &mut out);
        let error = match runner.input(input) {
            Ok(_) => None,
            Err(RunError::Input(e)) => Some(e),
            // The emitter is gone.
            Err(RunError::Output(_)) => return,
        };
        let (back, aggregate, values, skips) = runner.finish();
        compiled = back;
        if out.send_chunk().is_err() {
            return;
        }
        let done = Done {
            aggregate,
            values,
            skips,
            error,
        };
        if tx.send(Msg::Done(done)).is_err() {
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
    aggregate: Option<Aggregate>,
    output: &mut dyn Output,
    on_error: &mut dyn FnMut(Error),
) -> io::Result<Summary> {
    let mut summary = Summary {
        aggregate,
        values: 0,
        failed_inputs: 0,
        skips: Skips::default(),
        stopped_early: false,
    };
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
                    summary.values += done.values;
                    summary.skips.merge(&done.skips);
                    match (&mut summary.aggregate, done.aggregate) {
                        (Some(total), Some(part)) => total.merge(&part),
                        (total @ None, part) => *total = part,
                        (Some(_), None) => {}
                    }
                    if let Some(e) = done.error {
                        summary.failed_inputs += 1;
                        on_error(e);
                    }
                    break;
                }
            }
        }
    }
    Ok(summary)
}
