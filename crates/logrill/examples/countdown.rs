//! Seed idea: **iterators vs generators** — the `countdown` class (`__iter__`, `next`,
//! `StopIteration`) and the `countdown` generator function (`yield`).
//!
//! In Rust both are an [`Iterator`]: a struct whose `next` returns `None` at the end (the
//! class), or a closure turned into an iterator with [`std::iter::from_fn`], whose captured
//! variables play the part of the generator's suspended frame (the function). Either way
//! nothing runs until someone asks for the next value: iteration is lazy, as in Python.
//!
//! Run: `cargo run -p logrill --example countdown [-- START]`

use std::error::Error;
use std::io::{self, Write};

/// The iterator form: Python's `class countdown(object)` with `__iter__` and `next`.
pub struct Countdown {
    count: u64,
}

impl Countdown {
    /// `countdown(start)`.
    pub fn new(start: u64) -> Countdown {
        Countdown { count: start }
    }
}

impl Iterator for Countdown {
    type Item = u64;

    /// `raise StopIteration` becomes `None`.
    fn next(&mut self) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let r = self.count;
        self.count -= 1;
        Some(r)
    }
}

/// The generator form: `def countdown(n): while n > 0: yield n; n -= 1`.
pub fn countdown(mut n: u64) -> impl Iterator<Item = u64> {
    std::iter::from_fn(move || {
        if n == 0 {
            return None;
        }
        let r = n;
        n -= 1;
        Some(r)
    })
}

/// Print both forms, then call `next()` by hand past the end.
pub fn run(out: &mut dyn Write, start: u64) -> io::Result<()> {
    write!(out, "iterator:")?;
    for i in Countdown::new(start) {
        write!(out, " {i}")?;
    }
    writeln!(out)?;
    write!(out, "generator:")?;
    for i in countdown(start) {
        write!(out, " {i}")?;
    }
    writeln!(out)?;
    // `c = countdown(2); c.next(); c.next(); c.next()`: the third raises StopIteration in
    // Python; here it is `None`, and stays `None`.
    let mut c = countdown(2);
    let (a, b, end) = (c.next(), c.next(), c.next());
    writeln!(out, "by hand: {a:?} {b:?} {end:?}")?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let start = match std::env::args().nth(1) {
        Some(s) => s.parse()?,
        None => 5,
    };
    run(&mut io::stdout().lock(), start)?;
    Ok(())
}
