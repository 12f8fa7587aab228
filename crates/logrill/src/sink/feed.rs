//! The bridge from pull to push, in one place: a driver pulls from a source and sends into
//! a sink until the source ends or the sink says [`Flow::Stop`].
//!
//! * any iterator: [`Feed::feed`] (`(1..=5).feed(sink)`);
//! * a [`LineReader`]: [`FeedLines::feed_lines`] (line by line) or
//!   [`FeedLines::feed_batches`] (whole batches of complete lines, so a [`grep`](super::grep)
//!   sink searches each batch in one pass);
//! * opened inputs (`find(..).open()`): [`feed_inputs`], the push form of the seed's
//!   `gen_cat`, with the same rule as the pull side: an input that fails is reported and
//!   the others are read.

use std::io::Read;

use super::{Batch, Flow, Sink, SinkError};
use crate::error::Error;
use crate::source::{Input, LineReader};

/// Drive an iterator into a sink. Implemented for every iterator.
pub trait Feed: Iterator + Sized {
    /// Send every item into `sink` until the items end or it says [`Flow::Stop`]; then
    /// close it and return its output.
    fn feed<S: Sink<Self::Item>>(self, mut sink: S) -> Result<S::Output, SinkError> {
        // Stopped or not, the sink is closed: a stopped sink still has a result.
        let _ = self.feed_into(&mut sink)?;
        sink.close()
    }

    /// Send every item into `sink` until the items end or it says [`Flow::Stop`], without
    /// closing it (more can be fed into it; the caller closes it). Returns what it said
    /// last: [`Flow::Stop`] if it stopped.
    fn feed_into<S: Sink<Self::Item> + ?Sized>(self, sink: &mut S) -> Result<Flow, SinkError> {
        for item in self {
            if sink.send(item)?.is_stop() {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

impl<I: Iterator> Feed for I {}

/// Drive a [`LineReader`] into a sink. The lines and batches sent are borrowed from the
/// reader's buffer: nothing is copied.
pub trait FeedLines {
    /// Send each line (without its line end) until the input ends or the sink stops.
    /// A read error is returned as [`SinkError::Read`] after every complete line before it
    /// was sent.
    fn feed_lines<S>(&mut self, sink: &mut S) -> Result<Flow, SinkError>
    where
        S: for<'a> Sink<&'a [u8]> + ?Sized;

    /// Send each [`Batch`] of complete lines until the input ends or the sink stops. Wrap a
    /// line sink in [`lines`](super::lines) to drive it this way; a
    /// [`grep`](super::grep) sink takes batches directly and searches each in one pass.
    fn feed_batches<S>(&mut self, sink: &mut S) -> Result<Flow, SinkError>
    where
        S: for<'a> Sink<Batch<'a>> + ?Sized;
}

impl<R: Read> FeedLines for LineReader<R> {
    fn feed_lines<S>(&mut self, sink: &mut S) -> Result<Flow, SinkError>
    where
        S: for<'a> Sink<&'a [u8]> + ?Sized,
    {
        while let Some(batch) = self.next_batch().map_err(SinkError::Read)? {
            for line in batch.lines() {
                if sink.send(line)?.is_stop() {
                    return Ok(Flow::Stop);
                }
            }
        }
        Ok(Flow::Continue)
    }

    fn feed_batches<S>(&mut self, sink: &mut S) -> Result<Flow, SinkError>
    where
        S: for<'a> Sink<Batch<'a>> + ?Sized,
    {
        while let Some(batch) = self.next_batch().map_err(SinkError::Read)? {
            if sink.send(batch)?.is_stop() {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }
}

/// Read every input in turn and send its batches of lines into `sink`: the push form of
/// `find(..).open().lines()`.
///
/// An input that cannot be opened or fails while being read goes to `on_error` (named, and
/// for corrupt compressed data with the number of lines read before the damage, which were
/// sent), and the next input is read. A failing *sink* ends the run: its error is returned.
/// Returns [`Flow::Stop`] if the sink stopped before the inputs ended (inputs not yet
/// opened are then never opened).
pub fn feed_inputs<S>(
    inputs: impl IntoIterator<Item = Result<Input, Error>>,
    sink: &mut S,
    mut on_error: impl FnMut(Error),
) -> Result<Flow, SinkError>
where
    S: for<'a> Sink<Batch<'a>> + ?Sized,
{
    for input in inputs {
        let input = match input {
            Ok(input) => input,
            Err(e) => {
                on_error(e);
                continue;
            }
        };
        let mut reader = LineReader::new(input);
        loop {
            match reader.next_batch() {
                Ok(Some(batch)) => {
                    if sink.send(batch)?.is_stop() {
                        return Ok(Flow::Stop);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let lines = reader.lines_read();
                    on_error(reader.get_ref().read_error(e, lines));
                    break;
                }
            }
        }
    }
    Ok(Flow::Continue)
}
