//! Combinators: sinks that do something to each item and pass it on to the sink they wrap.
//!
//! They mirror the pull-side stages, and the line ones *are* the stages: [`field`] and
//! [`head`] run [`crate::stage::Field`] and [`crate::stage::Head`] through one adapter,
//! [`Staged`], and [`grep`] runs [`crate::stage::Grep`], searching a whole [`Batch`] in one
//! pass when it is given batches. One mechanism, two faces.
//!
//! Every combinator's output is the output of the sink it wraps, so `close` on the outer
//! one returns what the innermost one produced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Batch, Flow, SinkError, SkipReason};
use super::{Consumer, Sink};
use crate::agg::{parse_number, Number};
use crate::stage::{self, GrepOptions, Stage, Step};

/// The wrappers below pass the end of the chain through: their output is the output of
/// the sink they wrap, and skip notices go on to it.
macro_rules! consumer_via_inner {
    ($($ty:ident<$($p:ident),*>),+ $(,)?) => {$(
        impl<$($p),*> Consumer for $ty<$($p),*>
        where
            S: Consumer,
        {
            type Output = S::Output;

            #[inline]
            fn skipped(&mut self, reason: SkipReason, n: u64) {
                self.inner.skipped(reason, n)
            }

            fn close(self) -> Result<S::Output, SinkError> {
                self.inner.close()
            }
        }
    )+};
}

consumer_via_inner!(
    Filter<F, S>,
    Map<F, S>,
    FilterMap<F, S>,
    Staged<St, S>,
    Grep<S>,
    Parse<S>,
    Lines<S>,
    Stoppable<S>,
);

// --- filter / map / filter_map / map_output ------------------------------------------------

/// Passes on the items a predicate accepts. See [`filter`].
#[derive(Debug, Clone)]
pub struct Filter<F, S> {
    pred: F,
    inner: S,
}

/// Pass on the items for which `pred` is true (the seed's `if pattern in line`).
pub fn filter<F, S>(pred: F, inner: S) -> Filter<F, S> {
    Filter { pred, inner }
}

impl<T, F, S> Sink<T> for Filter<F, S>
where
    F: FnMut(&T) -> bool,
    S: Sink<T>,
{
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        if (self.pred)(&item) {
            self.inner.send(item)
        } else {
            Ok(Flow::Continue)
        }
    }
}

/// Passes on `f(item)`. See [`map`].
#[derive(Debug, Clone)]
pub struct Map<F, S> {
    f: F,
    inner: S,
}

/// Pass on `f(item)` instead of the item.
pub fn map<F, S>(f: F, inner: S) -> Map<F, S> {
    Map { f, inner }
}

impl<T, U, F, S> Sink<T> for Map<F, S>
where
    F: FnMut(T) -> U,
    S: Sink<U>,
{
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        self.inner.send((self.f)(item))
    }
}

/// Passes on what `f` returns when it returns something. See [`filter_map`].
#[derive(Debug, Clone)]
pub struct FilterMap<F, S> {
    f: F,
    inner: S,
}

/// Pass on `x` when `f(item)` is `Some(x)`; drop the item when it is `None`.
pub fn filter_map<F, S>(f: F, inner: S) -> FilterMap<F, S> {
    FilterMap { f, inner }
}

impl<T, U, F, S> Sink<T> for FilterMap<F, S>
where
    F: FnMut(T) -> Option<U>,
    S: Sink<U>,
{
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        match (self.f)(item) {
            Some(u) => self.inner.send(u),
            None => Ok(Flow::Continue),
        }
    }
}

/// A sink whose output is transformed at close. See [`map_output`].
#[derive(Debug, Clone)]
pub struct MapOutput<S, F> {
    inner: S,
    f: F,
}

/// Transform the output of `inner` when it is closed: gives sinks of different outputs
/// one output type, so they can be the branches of one `Vec` [`broadcast`](super::broadcast).
pub fn map_output<S, F>(inner: S, f: F) -> MapOutput<S, F> {
    MapOutput { inner, f }
}

impl<O, S, F> Consumer for MapOutput<S, F>
where
    S: Consumer,
    F: FnOnce(S::Output) -> O,
{
    type Output = O;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        self.inner.skipped(reason, n)
    }

    fn close(self) -> Result<O, SinkError> {
        self.inner.close().map(self.f)
    }
}

impl<T, O, S, F> Sink<T> for MapOutput<S, F>
where
    S: Sink<T>,
    F: FnOnce(S::Output) -> O,
{
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        self.inner.send(item)
    }
}

// --- sinks made from closures, collecting ---------------------------------------------------

/// A sink made of a closure. See [`from_fn`].
#[derive(Debug, Clone)]
pub struct FromFn<F> {
    f: F,
}

/// A sink that calls `f` with each item; `f` says whether it wants more. Its output is
/// `()`: whatever `f` accumulates lives in what it borrows.
pub fn from_fn<F>(f: F) -> FromFn<F> {
    FromFn { f }
}

impl<F> Consumer for FromFn<F> {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<T, F: FnMut(T) -> Flow> Sink<T> for FromFn<F> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        Ok((self.f)(item))
    }
}

/// Collects owned items. See [`collect`].
#[derive(Debug, Clone)]
pub struct Collect<T> {
    items: Vec<T>,
}

/// Keep every item; the output is them all, in order.
pub fn collect<T>() -> Collect<T> {
    Collect { items: Vec::new() }
}

impl<T> Consumer for Collect<T> {
    type Output = Vec<T>;

    fn close(self) -> Result<Vec<T>, SinkError> {
        Ok(self.items)
    }
}

impl<T> Sink<T> for Collect<T> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        self.items.push(item);
        Ok(Flow::Continue)
    }
}

/// Collects lines as owned bytes. See [`collect_lines`].
#[derive(Debug, Clone, Default)]
pub struct CollectLines {
    lines: Vec<Vec<u8>>,
}

/// Keep a copy of every line (lines are borrowed from the reader, so keeping them means
/// copying them); the output is them all, in order.
pub fn collect_lines() -> CollectLines {
    CollectLines::default()
}

impl Consumer for CollectLines {
    type Output = Vec<Vec<u8>>;

    fn close(self) -> Result<Vec<Vec<u8>>, SinkError> {
        Ok(self.lines)
    }
}

impl<'a> Sink<&'a [u8]> for CollectLines {
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        self.lines.push(line.to_vec());
        Ok(Flow::Continue)
    }
}

// --- the stages as sinks --------------------------------------------------------------------

/// Runs a pull-side [`Stage`] on each value and pushes what it lets through. See [`stage()`].
#[derive(Debug, Clone)]
pub struct Staged<St, S> {
    stage: St,
    inner: S,
}

/// `field N` as a sink.
pub type Field<S> = Staged<stage::Field, S>;

/// `head N` as a sink.
pub type Head<S> = Staged<stage::Head, S>;

/// Run any [`Stage`] in front of `inner`: what the stage passes is sent on, what it skips
/// is counted downstream ([`Consumer::skipped`]), and its `Last`/`Stop` become [`Flow::Stop`].
pub fn stage<St: Stage, S>(stage: St, inner: S) -> Staged<St, S> {
    Staged { stage, inner }
}

/// Pass on field `index` of each line (1-based, negative from the end: `field(-1, ..)` is
/// the seed's `line.rsplit(None, 1)[1]`), fields being runs of non-blanks. Lines without
/// that field are skipped and counted as [`SkipReason::NoSuchField`].
pub fn field<S>(index: i64, inner: S) -> Result<Field<S>, SinkError> {
    let f = stage::Field::new(index).ok_or_else(|| no_field(index))?;
    Ok(stage(f, inner))
}

/// As [`field`], with fields split on every occurrence of `delimiter` (as `cut -d`).
pub fn field_by<S>(index: i64, delimiter: &[u8], inner: S) -> Result<Field<S>, SinkError> {
    let f = stage::Field::with_delimiter(index, delimiter).ok_or_else(|| {
        if delimiter.is_empty() {
            SinkError::Invalid("a field delimiter cannot be empty".into())
        } else {
            no_field(index)
        }
    })?;
    Ok(stage(f, inner))
}

fn no_field(index: i64) -> SinkError {
    SinkError::Invalid(format!("no field {index} (fields count from 1 or -1)"))
}

/// Pass on the first `n` values, then say [`Flow::Stop`].
pub fn head<S>(n: u64, inner: S) -> Head<S> {
    stage(stage::Head::new(n), inner)
}

impl<St, S> Staged<St, S> {
    /// The stage.
    pub fn stage(&self) -> &St {
        &self.stage
    }
}

impl<'a, St: Stage, S: Sink<&'a [u8]>> Sink<&'a [u8]> for Staged<St, S> {
    #[inline]
    fn send(&mut self, value: &'a [u8]) -> Result<Flow, SinkError> {
        match self.stage.apply(value) {
            Step::Pass(v) => self.inner.send(v),
            Step::Last(v) => {
                // Whatever the inner sink says, this stage wants no more.
                let _ = self.inner.send(v)?;
                Ok(Flow::Stop)
            }
            Step::Drop => Ok(Flow::Continue),
            Step::Skip(reason) => {
                self.inner.skipped(reason, 1);
                Ok(Flow::Continue)
            }
            Step::Stop => Ok(Flow::Stop),
        }
    }
}

impl<'a, St: Stage, S: Sink<&'a [u8]>> Sink<Batch<'a>> for Staged<St, S> {
    #[inline]
    fn send(&mut self, batch: Batch<'a>) -> Result<Flow, SinkError> {
        send_lines(self, batch)
    }
}

/// Send each line of `batch` to `sink` until it stops.
#[inline]
fn send_lines<'a, S: Sink<&'a [u8]> + ?Sized>(
    sink: &mut S,
    batch: Batch<'a>,
) -> Result<Flow, SinkError> {
    for line in batch.lines() {
        if sink.send(line)?.is_stop() {
            return Ok(Flow::Stop);
        }
    }
    Ok(Flow::Continue)
}

/// Passes on the lines a pattern matches. See [`grep`].
#[derive(Debug, Clone)]
pub struct Grep<S> {
    grep: stage::Grep,
    inner: S,
}

/// Pass on the lines `pattern` (a regular expression, matched on bytes) matches: the seed's
/// `grep` coroutine. Given a [`Batch`] (see [`FeedLines::feed_batches`](super::FeedLines)),
/// it searches the whole batch in one pass and sends only the matching lines.
pub fn grep<S>(pattern: &str, inner: S) -> Result<Grep<S>, SinkError> {
    Ok(grep_with(
        stage::Grep::new(pattern, GrepOptions::default())?,
        inner,
    ))
}

/// [`grep`] with a compiled [`stage::Grep`] (for `-i`, `-v`, `-F`).
pub fn grep_with<S>(grep: stage::Grep, inner: S) -> Grep<S> {
    Grep { grep, inner }
}

impl<'a, S: Sink<&'a [u8]>> Sink<&'a [u8]> for Grep<S> {
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        if self.grep.keeps(line) {
            self.inner.send(line)
        } else {
            Ok(Flow::Continue)
        }
    }
}

impl<'a, S: Sink<&'a [u8]>> Sink<Batch<'a>> for Grep<S> {
    fn send(&mut self, batch: Batch<'a>) -> Result<Flow, SinkError> {
        if !self.grep.searches_batches() {
            return send_lines(self, batch);
        }
        let bytes = batch.as_bytes();
        let inner = &mut self.inner;
        let mut result = Ok(Flow::Continue);
        self.grep.matching_lines(bytes, |start, line| {
            // A pattern that matches the empty string (`^$`) also matches at the very end
            // of a batch, after its last `\n`: that is no line, and is not passed on.
            if start == bytes.len() {
                return true;
            }
            result = inner.send(line);
            matches!(result, Ok(Flow::Continue))
        });
        result
    }
}

/// Parses values as numbers. See [`parse`].
#[derive(Debug, Clone)]
pub struct Parse<S> {
    inner: S,
}

/// Parse each value as a number ([`parse_number`]: integers exactly, decimals as `f64`) and
/// pass the [`Number`] on: the seed's `int(x) for x in bytecolumn if x != '-'`. Values that
/// are not numbers are skipped and counted as [`SkipReason::NotANumber`].
pub fn parse<S>(inner: S) -> Parse<S> {
    Parse { inner }
}

impl<'a, S: Sink<Number>> Sink<&'a [u8]> for Parse<S> {
    #[inline]
    fn send(&mut self, value: &'a [u8]) -> Result<Flow, SinkError> {
        match parse_number(value) {
            Some(n) => self.inner.send(n),
            None => {
                self.inner.skipped(SkipReason::NotANumber, 1);
                Ok(Flow::Continue)
            }
        }
    }
}

/// Turns batches into lines. See [`lines`].
#[derive(Debug, Clone)]
pub struct Lines<S> {
    inner: S,
}

/// Adapt a line sink to take whole [`Batch`]es (sending their lines one by one), so it can
/// be driven by [`FeedLines::feed_batches`](super::FeedLines) or
/// [`feed_inputs`](super::feed_inputs). It takes single lines as well.
pub fn lines<S>(inner: S) -> Lines<S> {
    Lines { inner }
}

impl<'a, S: Sink<&'a [u8]>> Sink<Batch<'a>> for Lines<S> {
    #[inline]
    fn send(&mut self, batch: Batch<'a>) -> Result<Flow, SinkError> {
        send_lines(&mut self.inner, batch)
    }
}

impl<'a, S: Sink<&'a [u8]>> Sink<&'a [u8]> for Lines<S> {
    #[inline]
    fn send(&mut self, line: &'a [u8]) -> Result<Flow, SinkError> {
        self.inner.send(line)
    }
}

// --- stopping from another thread -----------------------------------------------------------

/// A sink that another thread can ask to stop. See [`stoppable`].
#[derive(Debug)]
pub struct Stoppable<S> {
    inner: S,
    flag: Arc<AtomicBool>,
}

/// Asks a [`Stoppable`] sink to stop, from any thread. Cloneable.
///
/// This is the push side of the seed's "close a generator from another thread": closing
/// needs the sink itself (its owner closes it, to get its result), so the handle does the
/// part that can be done from afar: from the next item on, the sink answers
/// [`Flow::Stop`], the producer driving it stops, and the owner closes it.
#[derive(Debug, Clone)]
pub struct StopHandle {
    flag: Arc<AtomicBool>,
}

impl StopHandle {
    /// Ask the sink to stop at its next item.
    pub fn stop(&self) {
        self.flag.store(true, Ordering::Release);
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }
}

/// Wrap `inner` so that a [`StopHandle`] can stop it from another thread. The cost is one
/// atomic load per item.
pub fn stoppable<S>(inner: S) -> (Stoppable<S>, StopHandle) {
    let flag = Arc::new(AtomicBool::new(false));
    let handle = StopHandle {
        flag: Arc::clone(&flag),
    };
    (Stoppable { inner, flag }, handle)
}

impl<T, S: Sink<T>> Sink<T> for Stoppable<S> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        if self.flag.load(Ordering::Acquire) {
            return Ok(Flow::Stop);
        }
        self.inner.send(item)
    }
}
