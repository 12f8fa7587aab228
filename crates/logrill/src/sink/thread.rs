//! Sinks and threads: a consumer on its own thread ([`threaded`]), and a sink whose items
//! come out of an iterator, usually on another thread ([`channel`]).
//!
//! Items that cross a thread must be owned: a line borrowed from a reader's buffer is only
//! valid until the reader reads again, which it does while the other thread still works.
//! So the line forms here copy each line into a `Vec<u8>` (one allocation per line that
//! crosses): keep the expensive filtering (a `grep`) on the reading side, and send across
//! only what survives it.

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::{Consumer, Flow, Sink, SinkError, SkipCounts, SkipReason};

/// What a [`threaded`] sink does when its channel is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Wait until the consumer has room: nothing is lost, and a slow consumer slows the
    /// producer down (what a batch job wants).
    Block,
    /// Drop the item being sent and count it ([`ThreadOutput::dropped`]): the producer never
    /// waits (what a live monitor that must keep up with a log wants).
    DropNewest,
}

/// What a [`threaded`] sink returns at close.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadOutput<O> {
    /// The output of the sink that ran on the thread.
    pub output: O,
    /// Items dropped because the channel was full ([`Backpressure::DropNewest`]; always 0
    /// with [`Backpressure::Block`]).
    pub dropped: u64,
}

enum Msg<T> {
    Item(T),
    Skipped(SkipReason, u64),
}

/// State shared between the producer's handle and the consumer's thread.
#[derive(Debug, Default)]
struct Shared {
    /// The consumer said [`Flow::Stop`]: the producer answers Stop from now on.
    stopped: AtomicBool,
    /// The handle was dropped without close: the thread drops the sink without closing it.
    abandoned: AtomicBool,
}

/// The producer's side of a sink running on its own thread. See [`threaded`].
///
/// Closing it closes the channel, lets the thread finish the items already queued, closes
/// the sink there and joins the thread. Dropping it without closing also ends and joins
/// the thread, but the items still queued are discarded and the sink is dropped without
/// being closed (its own `Drop` releases what it holds).
pub struct Threaded<T, O> {
    tx: Option<SyncSender<Msg<T>>>,
    handle: Option<JoinHandle<Result<Option<O>, SinkError>>>,
    shared: Arc<Shared>,
    policy: Backpressure,
    dropped: u64,
    skips: SkipCounts,
}

impl<T, O> std::fmt::Debug for Threaded<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threaded")
            .field("policy", &self.policy)
            .field("dropped", &self.dropped)
            .field("running", &self.handle.is_some())
            .finish_non_exhaustive()
    }
}

/// Run `sink` on a thread of its own, behind a channel holding up to `capacity` items
/// (at least 1), with an explicit `policy` for a full channel.
///
/// `T` must be owned (`Send + 'static`); for line sinks use [`threaded_lines`], which copies
/// each line into a `Vec<u8>`. The consumer saying [`Flow::Stop`] is seen by the producer
/// at its next `send`; an error or a panic on the thread is returned by the next `send` or
/// by `close`.
pub fn threaded<T, S>(
    sink: S,
    capacity: usize,
    policy: Backpressure,
) -> Result<Threaded<T, S::Output>, SinkError>
where
    T: Send + 'static,
    S: Sink<T> + Send + 'static,
    S::Output: Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(capacity.max(1));
    let shared = Arc::new(Shared::default());
    let theirs = Arc::clone(&shared);
    let handle = std::thread::Builder::new()
        .name("logrill-sink".into())
        .spawn(move || consume(sink, rx, &theirs))
        .map_err(SinkError::Thread)?;
    Ok(Threaded {
        tx: Some(tx),
        handle: Some(handle),
        shared,
        policy,
        dropped: 0,
        skips: SkipCounts::default(),
    })
}

/// [`threaded`] for a line sink: lines are copied into `Vec<u8>`s to cross the thread.
pub fn threaded_lines<S>(
    sink: S,
    capacity: usize,
    policy: Backpressure,
) -> Result<Threaded<Vec<u8>, S::Output>, SinkError>
where
    S: for<'a> Sink<&'a [u8]> + Send + 'static,
    S::Output: Send + 'static,
{
    threaded(owned(sink), capacity, policy)
}

/// The consumer's loop, on its own thread.
fn consume<T, S: Sink<T>>(
    mut sink: S,
    rx: Receiver<Msg<T>>,
    shared: &Shared,
) -> Result<Option<S::Output>, SinkError> {
    let mut stopped = false;
    for msg in rx.iter() {
        if shared.abandoned.load(Ordering::Acquire) {
            return Ok(None);
        }
        match msg {
            Msg::Item(item) if !stopped => {
                if sink.send(item)?.is_stop() {
                    stopped = true;
                    shared.stopped.store(true, Ordering::Release);
                }
            }
            // Items queued before the producer saw the Stop are discarded.
            Msg::Item(_) => {}
            Msg::Skipped(reason, n) => sink.skipped(reason, n),
        }
    }
    if shared.abandoned.load(Ordering::Acquire) {
        return Ok(None);
    }
    sink.close().map(Some)
}

impl<T, O> Threaded<T, O> {
    /// Items dropped so far because the channel was full.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn push(&mut self, item: T) -> Result<Flow, SinkError> {
        if self.shared.stopped.load(Ordering::Acquire) {
            return Ok(Flow::Stop);
        }
        let Some(tx) = &self.tx else {
            return Err(SinkError::Disconnected);
        };
        let delivered = match self.policy {
            Backpressure::Block => tx.send(Msg::Item(item)).is_ok(),
            Backpressure::DropNewest => match tx.try_send(Msg::Item(item)) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    self.dropped += 1;
                    true
                }
                Err(TrySendError::Disconnected(_)) => false,
            },
        };
        if delivered {
            Ok(Flow::Continue)
        } else {
            Err(self.failure())
        }
    }

    /// The thread is gone while the producer still sends: join it and say why.
    fn failure(&mut self) -> SinkError {
        self.tx = None;
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(panic)) => SinkError::Panicked(panic_message(panic.as_ref())),
            // The thread cannot end by itself without an error: it runs until the channel
            // closes.
            Some(Ok(Ok(_))) | None => SinkError::Disconnected,
        }
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(not a text message)".to_string()
    }
}

impl<T, O> Consumer for Threaded<T, O> {
    type Output = ThreadOutput<O>;

    /// Counted here and handed to the thread at close, so they are never dropped by
    /// [`Backpressure::DropNewest`] and cost no channel message per skip.
    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.skips.add(reason, n)
    }

    fn close(mut self) -> Result<ThreadOutput<O>, SinkError> {
        if let Some(tx) = self.tx.take() {
            for (reason, n) in self.skips.iter() {
                // A failed send means the thread is gone: join says why.
                let _ = tx.send(Msg::Skipped(reason, n));
            }
        }
        let handle = self.handle.take().ok_or(SinkError::Disconnected)?;
        match handle.join() {
            Ok(Ok(Some(output))) => Ok(ThreadOutput {
                output,
                dropped: self.dropped,
            }),
            Ok(Ok(None)) => Err(SinkError::Disconnected),
            Ok(Err(e)) => Err(e),
            Err(panic) => Err(SinkError::Panicked(panic_message(panic.as_ref()))),
        }
    }
}

impl<T, O> Sink<T> for Threaded<T, O> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        self.push(item)
    }
}

impl<'a, O> Sink<&'a [u8]> for Threaded<Vec<u8>, O> {
    /// Copies the line into a `Vec<u8>` to send it across.
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        self.push(line.to_vec())
    }
}

impl<T, O> Drop for Threaded<T, O> {
    /// Ends the thread and waits for it: a dropped handle leaves no thread behind. Queued
    /// items are discarded; if the consumer is in the middle of an item, this waits for it.
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.shared.abandoned.store(true, Ordering::Release);
            self.tx = None;
            let _ = handle.join();
        }
    }
}

/// A line sink that takes owned lines. See [`owned`].
#[derive(Debug, Clone)]
pub struct Owned<S> {
    inner: S,
}

/// Let a line sink (`Sink<&[u8]>`) take owned lines (`Vec<u8>`), lending each to it: what
/// runs on the far side of a channel.
pub fn owned<S>(inner: S) -> Owned<S> {
    Owned { inner }
}

impl<S: Consumer> Consumer for Owned<S> {
    type Output = S::Output;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.inner.skipped(reason, n)
    }

    fn close(self) -> Result<S::Output, SinkError> {
        self.inner.close()
    }
}

impl<S> Sink<Vec<u8>> for Owned<S>
where
    S: for<'a> Sink<&'a [u8]>,
{
    #[inline]
    fn send(&mut self, line: Vec<u8>) -> Result<Flow, SinkError> {
        self.inner.send(&line)
    }
}

/// The sending side of a [`channel`]: a sink.
#[derive(Debug)]
pub struct ChannelSink<T> {
    tx: SyncSender<T>,
    sent: u64,
}

// Cloned by hand: a derive would require `T: Clone`.
impl<T> Clone for ChannelSink<T> {
    /// Another sender into the same channel (its count starts at 0). The iterator ends when
    /// every sender has been closed or dropped.
    fn clone(&self) -> Self {
        ChannelSink {
            tx: self.tx.clone(),
            sent: 0,
        }
    }
}

/// The receiving side of a [`channel`]: an iterator of what was sent.
#[derive(Debug)]
pub struct ChannelIter<T> {
    rx: Receiver<T>,
}

/// The bridge from push to pull: a sink, and an iterator that yields what is sent into the
/// sink. The channel holds up to `capacity` items (at least 1); a full channel makes `send`
/// wait. The iterator ends when the sink is closed or dropped; dropping the iterator makes
/// the sink answer [`Flow::Stop`] (nobody is listening). Its output is the number of items
/// it sent.
///
/// Typical use: a push producer (a reader driving a sink) runs on one thread, and a pull
/// consumer iterates on another.
pub fn channel<T>(capacity: usize) -> (ChannelSink<T>, ChannelIter<T>) {
    let (tx, rx) = mpsc::sync_channel(capacity.max(1));
    (ChannelSink { tx, sent: 0 }, ChannelIter { rx })
}

impl<T> Consumer for ChannelSink<T> {
    type Output = u64;

    fn close(self) -> Result<u64, SinkError> {
        Ok(self.sent)
    }
}

impl<T> Sink<T> for ChannelSink<T> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        match self.tx.send(item) {
            Ok(()) => {
                self.sent += 1;
                Ok(Flow::Continue)
            }
            Err(_) => Ok(Flow::Stop),
        }
    }
}

impl<'a> Sink<&'a [u8]> for ChannelSink<Vec<u8>> {
    /// Copies the line into a `Vec<u8>` to send it across.
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        <Self as Sink<Vec<u8>>>::send(self, line.to_vec())
    }
}

impl<T> Iterator for ChannelIter<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}
