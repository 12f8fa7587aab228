//! What a run gives, as items pushed into a [`Sink`]: the one push abstraction.
//!
//! A plan's results are [`Event`]s (a value, a record, a table's columns and its end, the
//! seed's aggregate, a `tee` branch's heading), and whatever takes them is an ordinary
//! [`Sink<Event<'_>>`](Sink): the command line's printers, a [`Collector`](crate::Collector),
//! a [`sink::collect`](crate::sink::collect) of owned copies, a
//! [`broadcast`](crate::sink::broadcast) of several, a [`threaded`](crate::sink::threaded)
//! one. A sink that answers [`Flow::Stop`] ends the run as `head` does: what it was sent
//! counts, the summary says the run stopped early ([`super::Summary::stopped_early`]).
//!
//! The engine holds its sink as `&mut dyn` [`Events`], the object-safe face every
//! `Sink<Event>` has (as [`crate::sink::DynSink`] is for boxing), so a plan is compiled
//! once whatever it feeds and there is one virtual call per result, as before.

use std::io;

use crate::agg::AggValue;
use crate::error::InputName;
use crate::record::Record;
use crate::sink::{Consumer, Flow, Sink, SinkError};

use super::Emitted;

/// One result of a run, in the order the run makes them.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A value (a line, or what the stages made of it), with where it came from.
    Value(Emitted<'a>),
    /// A record (after `parse`), or one row of a table, with where it came from (rows of
    /// a table: the input is stdin, the line the row's number).
    Record {
        /// The input it came from.
        input: &'a InputName,
        /// Its line number there.
        line: u64,
        /// The record.
        record: &'a Record<'a>,
    },
    /// The columns of the table whose rows follow.
    Columns(&'a [String]),
    /// The table whose rows came last is complete.
    EndTable,
    /// The seed's single aggregate of the current value (`sum`), named.
    Aggregate {
        /// Its name (`sum`, `count`, ...).
        name: &'a str,
        /// Its value.
        value: AggValue,
    },
    /// The results of `tee` branch `index` (its pipeline text is `title`) follow.
    Branch {
        /// Which branch, from 0.
        index: usize,
        /// Its pipeline text.
        title: &'a str,
    },
}

/// The object-safe face of a sink of [`Event`]s, which is how the engine holds its output.
/// Implemented for every `Sink<Event<'a>>` (for all `'a`); write a `Sink`, not this.
pub trait Events {
    /// As [`Sink::send`], its error as the run reports it ([`output_error`]). The sink's
    /// `send` is inlined here, so the (large) [`SinkError`] is only built when there is
    /// one: the answer of each call fits in registers, as the engine's per-value path
    /// wants.
    fn event(&mut self, event: Event<'_>) -> io::Result<Flow>;
}

impl<S: for<'a> Sink<Event<'a>> + ?Sized> Events for S {
    #[inline]
    fn event(&mut self, event: Event<'_>) -> io::Result<Flow> {
        match self.send(event) {
            Ok(flow) => Ok(flow),
            Err(e) => Err(output_error(e)),
        }
    }
}

/// What a failing sink is to a run (for a caller that reports it as a run does): the `io::Error` a run reports
/// ([`super::RunFailure::Output`]); a sink's write error is that error itself.
#[cold]
#[inline(never)]
pub fn output_error(e: SinkError) -> io::Error {
    match e {
        SinkError::Write(e) => e,
        other => io::Error::other(other),
    }
}

/// A sink of events made of a closure over the values only (records, tables and
/// aggregates are passed over): the shape of most tests and of `Pipeline::for_each`. An
/// error from `f` fails the run with it.
pub fn values<F>(f: F) -> Values<F>
where
    F: FnMut(Emitted<'_>) -> io::Result<Flow>,
{
    Values(f)
}

/// See [`values`].
pub struct Values<F>(F);

impl<F> Consumer for Values<F> {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a, F> Sink<Event<'a>> for Values<F>
where
    F: FnMut(Emitted<'_>) -> io::Result<Flow>,
{
    #[inline]
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        match event {
            Event::Value(v) => (self.0)(v).map_err(SinkError::Write),
            _ => Ok(Flow::Continue),
        }
    }
}

/// Send `event` to the run's output, in the engine's terms: go on or stop, or the
/// output's error.
#[inline]
pub(crate) fn emit(output: &mut dyn Events, event: Event<'_>) -> io::Result<super::flow::Flow> {
    Ok(match output.event(event)? {
        Flow::Continue => super::flow::Flow::Go,
        Flow::Stop => super::flow::Flow::Stop,
    })
}

/// A run's output (`&mut dyn Events`) as a sized sink that remembers whether it said
/// stop: where a `Stop` may come from the stages (`head` after a table) or from the
/// output, this tells them apart; and it is what a generic driver (`Live::push_batch`)
/// can be handed when all there is is the `dyn` output.
pub(crate) struct Latch<'o> {
    output: &'o mut dyn Events,
    pub stopped: bool,
}

impl<'o> Latch<'o> {
    pub fn new(output: &'o mut dyn Events) -> Latch<'o> {
        Latch {
            output,
            stopped: false,
        }
    }
}

impl Consumer for Latch<'_> {
    type Output = ();

    fn close(self) -> Result<(), SinkError> {
        Ok(())
    }
}

impl<'a> Sink<Event<'a>> for Latch<'_> {
    #[inline]
    fn send(&mut self, event: Event<'a>) -> Result<Flow, SinkError> {
        let flow = self.output.event(event).map_err(SinkError::Write)?;
        self.stopped |= flow.is_stop();
        Ok(flow)
    }
}
