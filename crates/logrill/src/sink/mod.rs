//! The push side: Beazley's coroutines as [`Sink`]s.
//!
//! A generator *pulls*: the consumer asks for the next item (`for line in lines`). A
//! coroutine is *pushed* to: the producer hands it each item (`g.send(line)`), and the
//! coroutine decides what to do with it. Both shapes are useful. Pulling composes
//! naturally into one pipeline that ends in one result; pushing lets one producer feed
//! several consumers at once ([`broadcast`]), lets consumers live on other threads
//! ([`threaded`]), and is how a reader that owns its buffer hands out borrowed lines
//! without copying them (ripgrep's searcher works the same way: "internal iteration").
//!
//! # The seed's concepts, and their Rust form
//!
//! | the seed (Python) | logrill (Rust) |
//! |---|---|
//! | iterator: `__iter__` / `next()` / `StopIteration` | [`Iterator`]: `next()` returns `None` at the end |
//! | generator: a function with `yield` | a type implementing [`Iterator`] (or [`std::iter::from_fn`]): [`find`](crate::find()), [`Files`](crate::Files), [`Batch::lines`] |
//! | generator pipeline (`gen_grep(pat, gen_cat(...))`) | iterator adapters, or the [`Pipeline`](crate::Pipeline) builder |
//! | coroutine: `line = (yield)` | a type implementing [`Sink<T>`]: [`Sink::send`] receives the item |
//! | priming: `g.next()` / the `@coroutine` decorator | nothing to remember: a constructed sink is ready |
//! | `g.send(item)` | `sink.send(item)?`, which answers [`Flow::Continue`] or [`Flow::Stop`] |
//! | a coroutine that returns (raises `StopIteration`) | [`Flow::Stop`]: "I need no more" |
//! | `g.close()` / `GeneratorExit` clean-up | [`Consumer::close`] (every sink is a [`Consumer`]): consumes the sink, flushes, returns its result; nothing can be sent after it |
//! | garbage collection calls `close()` | `Drop`: a sink dropped without `close` still releases what it holds (a [`Writer`] flushes, a [`Threaded`] sink ends and joins its thread) |
//! | closing a generator from another thread (a semaphore) | a handle that is `Send + Sync`: [`CloseHandle`](crate::source::follow::CloseHandle) closes a follower (pull side); [`StopHandle`] makes a sink answer `Stop` at its next item (push side) |
//! | `broadcast(source, [c1, c2])` | [`broadcast`]`((c1, c2))`: one pass, each branch may stop on its own |
//! | coroutine in a thread, fed through a queue | [`threaded`]`(sink, capacity, policy)`: a bounded channel with explicit backpressure |
//! | a coroutine pipeline over records (`apache_log`, then filters and counts) | [`PlanSink`]: every stage of the pipeline language as one sink, built with the same calls as the pull side (`query().parse(..).filter(..).count_by(..).sink()?`, see [`crate::lang`]); `.sink_into(other)` sends its results on into another sink |
//! | the results of a pipeline, pushed on | a run's results are [`Event`](crate::exec::Event)s sent into any `Sink<Event>` ([`Pipeline::run_into`](crate::Pipeline::run_into), [`crate::exec::run`]): this module's sinks take them as they take lines, and a `Stop` ends the run as `head` does |
//! | push vs pull | the bridge is in one place: [`Feed::feed`] (an iterator drives a sink), [`FeedLines`] (a reader drives a line sink), [`feed_inputs`] (opened files drive a sink), [`channel`] (a sink whose items come out of an iterator, usually on another thread) |
//!
//! The `examples/` directory of the crate has one runnable example per idea of the seed
//! (`cargo run -p logrill --example grep_coroutine`, `broadcast`, `threaded_consumer`,
//! `push_vs_pull`, `follow_close`, `follow_close_thread`, ...), each naming its idea in its
//! first lines.
//!
//! # A coroutine, in both languages
//!
//! ```text
//! def grep(pattern):
//!     print "Looking for %s" % pattern
//!     while True:
//!         line = (yield)
//!         if pattern in line:
//!             print line,
//! g = grep("python")
//! g.next()                             # priming
//! g.send("python generators rock!")
//! g.close()
//! ```
//!
//! ```
//! use logrill::sink::{self, prelude::*};
//!
//! // Constructed = primed: no `next()` to forget.
//! let mut g = sink::grep("python", sink::collect_lines())?;
//! g.send_line("Yeah, but no, but yeah, but no")?;
//! g.send_line("python generators rock!")?;
//! // close() ends it and hands back what the chain produced.
//! let kept = g.close()?;
//! assert_eq!(kept, vec![b"python generators rock!".to_vec()]);
//! # Ok::<(), logrill::sink::SinkError>(())
//! ```
//!
//! # Lines are borrowed
//!
//! Line sinks implement `Sink<&'a [u8]>` for every `'a` (written `for<'a> Sink<&'a [u8]>`):
//! a line is a slice of the [`LineReader`](crate::source::LineReader)'s buffer, valid during
//! the call to `send`, never copied. A sink that keeps lines copies them itself
//! ([`collect_lines`]); only items that cross a thread are owned (`Vec<u8>`).
//!
//! A reader can also hand over a whole [`Batch`] of complete lines at once
//! ([`FeedLines::feed_batches`]): a [`grep`] sink then searches the batch in one pass and
//! sends on only the matching lines, which is what makes a push chain as fast as the pull
//! engine; [`lines`] adapts any line sink to take batches.
//!
//! ```
//! use std::io::Cursor;
//! use logrill::source::LineReader;
//! use logrill::sink::{self, prelude::*};
//! use logrill::AggValue;
//!
//! let log = "a - - [x] \"GET /robots.txt\" 200 120\n\
//!            b - - [x] \"GET /index.html\" 200 9999\n\
//!            c - - [x] \"GET /robots.txt\" 304 -\n\
//!            d - - [x] \"GET /robots.txt\" 200 80\n";
//! // The seed's pipeline, pushed: grep, then the last field, then a sum.
//! let mut chain = sink::grep("robots.txt", sink::field(-1, sink::sum())?)?;
//! LineReader::new(Cursor::new(log)).feed_batches(&mut chain)?;
//! let total = chain.close()?;
//! assert_eq!(total.value, AggValue::Int(200));
//! assert_eq!(total.skips.total(), 1); // the '-'
//! # Ok::<(), logrill::sink::SinkError>(())
//! ```
//!
//! # Contracts
//!
//! * After a sink answers [`Flow::Stop`], the caller sends it nothing more (the drivers and
//!   combinators here never do) and closes it when convenient: a stopped sink still has a
//!   result.
//! * An error from `send` means the sink failed: the caller stops and drops it (its `Drop`
//!   releases what it holds). Errors are values ([`SinkError`]); sinks do not panic on input.
//! * Values a stage could not use (a missing field, a `-` where a number was expected) are
//!   not errors: they are passed down as [`Consumer::skipped`] and counted by the sink at the
//!   end of the chain (an aggregate reports them in its result).

mod agg;
mod broadcast;
mod combinators;
mod feed;
mod plan;
mod thread;
mod write;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io;

pub use crate::source::Batch;
pub use crate::stage::SkipReason;

pub use agg::{aggregate, avg, count, max, min, sum, Agg, Aggregated};
pub use broadcast::{broadcast, Branches, Broadcast, Fanout};
pub use combinators::{
    collect, collect_lines, field, field_by, filter, filter_map, from_fn, grep, grep_with, head,
    lines, map, map_output, parse, stage, stoppable, Collect, CollectLines, Field, Filter,
    FilterMap, FromFn, Grep, Head, Lines, Map, MapOutput, Parse, Staged, StopHandle, Stoppable,
};
pub use feed::{feed_inputs, Feed, FeedLines};
pub use plan::{run_pushed, PlanSink};
pub use thread::{
    channel, owned, threaded, threaded_lines, Backpressure, ChannelIter, ChannelSink, Owned,
    ThreadOutput, Threaded,
};
pub use write::{printer, writer, Writer, Written};

/// What a sink says after an item: go on, or it needs no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Send more.
    Continue,
    /// Send nothing more (the sink has what it needs: a `head` is full, a consumer is
    /// done). Close it to get its result.
    Stop,
}

impl Flow {
    /// Whether this is [`Flow::Stop`].
    #[inline]
    pub fn is_stop(self) -> bool {
        self == Flow::Stop
    }
}

/// What every sink has, whatever it is sent: a result, and an end.
///
/// Split from [`Sink<T>`] because a sink may take several item types (a `grep` takes single
/// lines and whole batches) while what it returns at the end is one type: so `close()` and
/// `S::Output` never need the item type spelled out. (The name is the course's: a
/// "consumer" is a coroutine that only receives.)
pub trait Consumer {
    /// What [`close`](Consumer::close) returns: a total, the collected items, a writer.
    type Output;

    /// `n` values upstream were skipped for `reason` (a stage could not use them). Chains
    /// pass this on; the sink at the end counts it. The default ignores it.
    #[inline]
    fn skipped(&mut self, reason: SkipReason, n: u64) {
        let _ = (reason, n);
    }

    /// End: flush what is buffered, release what is held, return the result. This is the
    /// seed's `close()`, and the place for what its `except GeneratorExit:` did. It takes
    /// the sink by value, so nothing can be sent after it (the compiler checks what the
    /// seed's `StopIteration` reports at run time).
    fn close(self) -> Result<Self::Output, SinkError>
    where
        Self: Sized;
}

/// A consumer of items of type `T`: Beazley's coroutine.
///
/// Line sinks implement `Sink<&'a [u8]>` for every `'a`, so a line borrowed from a
/// reader's buffer is handed over without a copy.
///
/// There is no priming step: a value of a type implementing `Sink` is ready for `send`.
///
/// Writing one takes two small impls: [`Consumer`] (the result and the end) and `Sink<T>`
/// (what to do with an item):
///
/// ```
/// use logrill::sink::{Consumer, Feed, Flow, Sink, SinkError};
///
/// /// Counts the lines that contain a word; stops at the first `STOP`.
/// struct Count { word: &'static [u8], n: u64 }
///
/// impl Consumer for Count {
///     type Output = u64;
///     fn close(self) -> Result<u64, SinkError> { Ok(self.n) }
/// }
///
/// impl<'a> Sink<&'a [u8]> for Count {
///     fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
///         if line == b"STOP" {
///             return Ok(Flow::Stop);
///         }
///         self.n += u64::from(line.windows(self.word.len()).any(|w| w == self.word));
///         Ok(Flow::Continue)
///     }
/// }
///
/// let lines = [&b"python rocks"[..], b"perl", b"more python", b"STOP", b"python"];
/// let n = lines.into_iter().feed(Count { word: b"python", n: 0 })?;
/// assert_eq!(n, 2);
/// # Ok::<(), SinkError>(())
/// ```
pub trait Sink<T>: Consumer {
    /// Take one item. Answers whether more are wanted; an error means the sink failed
    /// (a write failed, its thread panicked) and must not be sent more.
    #[must_use = "a sink that says Stop must not be sent more items"]
    fn send(&mut self, item: T) -> Result<Flow, SinkError>;
}

/// A sink lent out: `&mut sink` is a sink too, so a caller can hand a sink to something
/// that consumes one ([`Pipeline::run_into`](crate::Pipeline::run_into), a [`broadcast`])
/// and still close it, and read what it holds, afterwards. Closing the borrow does nothing:
/// the owner closes the sink.
impl<S: Consumer + ?Sized> Consumer for &mut S {
    type Output = ();

    #[inline]
    fn skipped(&mut self, reason: SkipReason, n: u64) {
        (**self).skipped(reason, n)
    }

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<T, S: Sink<T> + ?Sized> Sink<T> for &mut S {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        (**self).send(item)
    }
}

/// `send_line`: send text (`&str`, `String`, `b"..."`, `Vec<u8>`) to any line sink, as the
/// seed's `g.send("python generators rock!")` does. Implemented for every line sink.
pub trait SendLine {
    /// Send `line` (as bytes) to this line sink.
    #[must_use = "a sink that says Stop must not be sent more items"]
    fn send_line(&mut self, line: impl AsRef<[u8]>) -> Result<Flow, SinkError>;
}

impl<S: for<'a> Sink<&'a [u8]> + ?Sized> SendLine for S {
    #[inline]
    fn send_line(&mut self, line: impl AsRef<[u8]>) -> Result<Flow, SinkError> {
        self.send(line.as_ref())
    }
}

/// Why a sink failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// Reading the input that fed the sink failed (the complete lines before the problem
    /// were delivered).
    #[error("reading the input: {0}")]
    Read(#[source] io::Error),
    /// An input failed, with its name (see [`crate::Error`]).
    #[error(transparent)]
    Input(#[from] crate::Error),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("writing the output: {0}")]
    Write(#[source] io::Error),
    /// A `grep` pattern did not compile.
    #[error("bad regular expression: {0}")]
    Pattern(#[from] regex::Error),
    /// A combinator was given an argument it cannot work with (field 0).
    #[error("{0}")]
    Invalid(String),
    /// A sink's thread could not be started.
    #[error("starting the sink's thread: {0}")]
    Thread(#[source] io::Error),
    /// A sink's thread panicked; the message is the panic's, when it was text.
    #[error("the sink's thread panicked: {0}")]
    Panicked(String),
    /// The other side of a threaded sink is gone (its thread ended early, or the sink was
    /// already closed after a failure).
    #[error("the sink's thread is gone")]
    Disconnected,
    /// An error from a sink written outside this crate.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Skipped values, counted by reason (see [`Consumer::skipped`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipCounts {
    by_reason: BTreeMap<SkipReason, u64>,
}

impl SkipCounts {
    /// Count `n` values skipped for `reason`.
    #[inline]
    pub fn add(&mut self, reason: SkipReason, n: u64) {
        if n > 0 {
            *self.by_reason.entry(reason).or_insert(0) += n;
        }
    }

    /// Values skipped for `reason`.
    pub fn count(&self, reason: SkipReason) -> u64 {
        self.by_reason.get(&reason).copied().unwrap_or(0)
    }

    /// All skipped values.
    pub fn total(&self) -> u64 {
        self.by_reason.values().sum()
    }

    /// Reasons with their counts, in a fixed order.
    pub fn iter(&self) -> impl Iterator<Item = (SkipReason, u64)> + '_ {
        self.by_reason.iter().map(|(r, n)| (*r, *n))
    }

    /// Fold in another set of counts.
    pub fn merge(&mut self, other: &SkipCounts) {
        for (r, n) in other.iter() {
            self.add(r, n);
        }
    }
}

/// The object-safe face of a [`Sink`], for boxing sinks of different types behind one type
/// (branches of a [`broadcast`] built at run time). Implemented for every sink; use it
/// through [`BoxSink`] or [`BoxLineSink`], which are sinks again.
pub trait DynSink<T> {
    /// As [`Consumer::Output`].
    type Output;
    /// As [`Sink::send`].
    fn send_dyn(&mut self, item: T) -> Result<Flow, SinkError>;
    /// As [`Consumer::skipped`].
    fn skipped_dyn(&mut self, reason: SkipReason, n: u64);
    /// As [`Consumer::close`], through a box.
    fn close_dyn(self: Box<Self>) -> Result<Self::Output, SinkError>;
}

impl<T, S: Sink<T>> DynSink<T> for S {
    type Output = S::Output;

    #[inline]
    fn send_dyn(&mut self, item: T) -> Result<Flow, SinkError> {
        self.send(item)
    }

    #[inline]
    fn skipped_dyn(&mut self, reason: SkipReason, n: u64) {
        self.skipped(reason, n)
    }

    fn close_dyn(self: Box<Self>) -> Result<S::Output, SinkError> {
        (*self).close()
    }
}

/// A boxed sink of `T` with output `O`: sinks of different types, one type.
pub struct BoxSink<'s, T, O>(Box<dyn DynSink<T, Output = O> + Send + 's>);

/// Box a sink (see [`BoxSink`]).
pub fn boxed<'s, T, S>(sink: S) -> BoxSink<'s, T, S::Output>
where
    S: Sink<T> + Send + 's,
{
    BoxSink(Box::new(sink))
}

impl<T, O> Consumer for BoxSink<'_, T, O> {
    type Output = O;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.0.skipped_dyn(reason, n)
    }

    fn close(self) -> Result<O, SinkError> {
        self.0.close_dyn()
    }
}

impl<T, O> Sink<T> for BoxSink<'_, T, O> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        self.0.send_dyn(item)
    }
}

/// A boxed line sink (`Sink<&'a [u8]>` for every `'a`) with output `O`.
///
/// A separate type from [`BoxSink`] because "a sink of lines of *any* lifetime" is a
/// different trait object (`dyn for<'a> DynSink<&'a [u8]>`) from "a sink of lines of one
/// lifetime".
pub struct BoxLineSink<'s, O>(Box<dyn for<'a> DynSink<&'a [u8], Output = O> + Send + 's>);

/// Box a line sink (see [`BoxLineSink`]).
pub fn boxed_lines<'s, S>(sink: S) -> BoxLineSink<'s, S::Output>
where
    S: for<'a> Sink<&'a [u8]> + Send + 's,
{
    BoxLineSink(Box::new(sink))
}

impl<O> Consumer for BoxLineSink<'_, O> {
    type Output = O;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.0.skipped_dyn(reason, n)
    }

    fn close(self) -> Result<O, SinkError> {
        self.0.close_dyn()
    }
}

impl<'a, O> Sink<&'a [u8]> for BoxLineSink<'_, O> {
    #[inline]
    fn send(&mut self, item: &'a [u8]) -> Result<Flow, SinkError> {
        self.0.send_dyn(item)
    }
}

/// The traits needed to use sinks, in one import: `use logrill::sink::prelude::*;`.
pub mod prelude {
    pub use super::{Consumer, Feed, FeedLines, Flow, SendLine, Sink};
}
