//! `broadcast`: one pass over the data, several consumers (the course's
//! `broadcast(log, [find_404(), bytes_transferred()])`).
//!
//! Branches are a tuple (any mix of sink types; the output is the tuple of their outputs)
//! or a `Vec` (one sink type, for example [`BoxSink`](super::BoxSink) or
//! [`BoxLineSink`](super::BoxLineSink) when the number of branches is known only at run
//! time). Each branch may stop on its own: a branch that says [`Flow::Stop`] is sent nothing
//! more, the others go on, and the broadcast itself stops only when every branch has.

use super::{Consumer, Flow, Sink, SinkError, SkipReason};

/// A set of branches, whatever they are sent: how many, their outputs, their end.
pub trait Fanout {
    /// The outputs of all branches.
    type Output;
    /// The number of branches.
    fn len(&self) -> usize;
    /// Whether there are no branches.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Tell branch `i` about skipped values.
    fn skipped_to(&mut self, i: usize, reason: SkipReason, n: u64);
    /// Close every branch (stopped ones too: they have results). If some fail, every
    /// branch is still closed and the first error is returned.
    fn close_all(self) -> Result<Self::Output, SinkError>;
}

/// A set of sinks of `T` that can be addressed by index: tuples and `Vec`s of sinks.
pub trait Branches<T>: Fanout {
    /// Send to branch `i` (`i < len()`).
    fn send_to(&mut self, i: usize, item: T) -> Result<Flow, SinkError>;
}

/// Sends each item to every branch still listening. See [`broadcast`].
#[derive(Debug, Clone)]
pub struct Broadcast<B> {
    branches: B,
    live: Vec<bool>,
    live_count: usize,
}

/// Send each item to every branch: `broadcast((find_404, bytes_transferred))`.
///
/// Items are cloned for all branches but the last one listening (lines are `&[u8]`, so a
/// clone is a copy of a pointer and a length). With no branch, the first item is answered
/// with [`Flow::Stop`].
pub fn broadcast<B: Fanout>(branches: B) -> Broadcast<B> {
    let n = branches.len();
    Broadcast {
        branches,
        live: vec![true; n],
        live_count: n,
    }
}

impl<B> Broadcast<B> {
    /// Whether branch `i` is still listening (it has not said [`Flow::Stop`]).
    pub fn is_live(&self, i: usize) -> bool {
        self.live.get(i).copied().unwrap_or(false)
    }

    /// How many branches are still listening.
    pub fn live_count(&self) -> usize {
        self.live_count
    }
}

impl<B: Fanout> Consumer for Broadcast<B> {
    type Output = B::Output;

    fn skipped(&mut self, reason: SkipReason, n: u64) {
        for i in 0..self.live.len() {
            if self.live[i] {
                self.branches.skipped_to(i, reason, n);
            }
        }
    }

    fn close(self) -> Result<B::Output, SinkError> {
        self.branches.close_all()
    }
}

impl<T: Clone, B: Branches<T>> Sink<T> for Broadcast<B> {
    #[inline]
    fn send(&mut self, item: T) -> Result<Flow, SinkError> {
        let Some(last) = self.live.iter().rposition(|&l| l) else {
            return Ok(Flow::Stop);
        };
        for i in 0..last {
            if self.live[i] && self.branches.send_to(i, item.clone())?.is_stop() {
                self.live[i] = false;
                self.live_count -= 1;
            }
        }
        if self.branches.send_to(last, item)?.is_stop() {
            self.live[last] = false;
            self.live_count -= 1;
        }
        Ok(if self.live_count == 0 {
            Flow::Stop
        } else {
            Flow::Continue
        })
    }
}

impl<S: Consumer> Fanout for Vec<S> {
    type Output = Vec<S::Output>;

    fn len(&self) -> usize {
        Vec::len(self)
    }

    fn skipped_to(&mut self, i: usize, reason: SkipReason, n: u64) {
        if let Some(s) = self.get_mut(i) {
            s.skipped(reason, n);
        }
    }

    fn close_all(self) -> Result<Vec<S::Output>, SinkError> {
        let mut outputs = Vec::with_capacity(self.len());
        let mut first_error = None;
        for s in self {
            match s.close() {
                Ok(o) => outputs.push(o),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            None => Ok(outputs),
            Some(e) => Err(e),
        }
    }
}

impl<T, S: Sink<T>> Branches<T> for Vec<S> {
    #[inline]
    fn send_to(&mut self, i: usize, item: T) -> Result<Flow, SinkError> {
        match self.get_mut(i) {
            Some(s) => s.send(item),
            None => Ok(Flow::Stop),
        }
    }
}

macro_rules! tuple_branches {
    ($n:expr; $($S:ident $out:ident $idx:tt),+) => {
        impl<$($S: Consumer),+> Fanout for ($($S,)+) {
            type Output = ($($S::Output,)+);

            fn len(&self) -> usize {
                $n
            }

            fn skipped_to(&mut self, i: usize, reason: SkipReason, n: u64) {
                match i {
                    $($idx => self.$idx.skipped(reason, n),)+
                    _ => {}
                }
            }

            fn close_all(self) -> Result<Self::Output, SinkError> {
                let mut first_error = None;
                $(
                    let $out = match self.$idx.close() {
                        Ok(o) => Some(o),
                        Err(e) => {
                            first_error.get_or_insert(e);
                            None
                        }
                    };
                )+
                match ($($out,)+) {
                    ($(Some($out),)+) => Ok(($($out,)+)),
                    _ => Err(first_error.unwrap_or(SinkError::Disconnected)),
                }
            }
        }

        impl<T, $($S: Sink<T>),+> Branches<T> for ($($S,)+) {
            #[inline]
            fn send_to(&mut self, i: usize, item: T) -> Result<Flow, SinkError> {
                match i {
                    $($idx => self.$idx.send(item),)+
                    _ => Ok(Flow::Stop),
                }
            }
        }
    };
}

tuple_branches!(1; A a 0);
tuple_branches!(2; A a 0, B b 1);
tuple_branches!(3; A a 0, B b 1, C c 2);
tuple_branches!(4; A a 0, B b 1, C c 2, D d 3);
tuple_branches!(5; A a 0, B b 1, C c 2, D d 3, E e 4);
tuple_branches!(6; A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);
